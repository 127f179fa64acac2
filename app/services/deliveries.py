"""Delivery of a deal: book or reschedule a slot, tick the pre-delivery checklist, record the balance, hand over.

* **Slots** come from the dealer's delivery settings (``services.dealer_settings.delivery_settings_for``,
  ``domain.delivery_slots``). A booking takes one place of its slot in ``DeliverySlotCounter`` with
  one conditional ``UPDATE … SET booked = booked + 1 WHERE booked < capacity RETURNING booked``: on
  PostgreSQL the row lock makes a second booker wait for the first to commit and then re-check the
  condition, so the last place goes to one customer only; SQLite's write lock serialises the same way.
  A missing counter row is inserted in a SAVEPOINT; a parallel insert loses on the unique key and
  falls back to the UPDATE (as ``services.offer_numbers``). Rescheduling takes the new place first,
  then frees the old one; cancelling the deal frees its place (``CANCEL_HOOKS``).
* **Deal steps**: booking moves the deal ``contracted → delivery_scheduled`` (``schedule_delivery``),
  rebooking is ``reschedule``, the handover is ``deliver`` (``services.deals.advance`` checks the
  checklist and the settlement through the facts registered here). The handover marks the stock
  vehicle ``sold`` in the same transaction and e-mails the customer in their language.
* **A physical car first**: booking and handover are refused until a stock car or a factory VIN is
  allocated to the deal (``services.vehicle_allocation``; a catalog order has none at first).
* **The booked day**: the handover is refused before the booked slot's local date
  (``domain.delivery_handover.check_handover_day``) unless staff first rebook the delivery to one of
  today's slots (``rebook_to_today``: a place taken with the same atomic counter, the old one freed,
  the timeline records old → new).
* **Money**: the balance the customer pays at or before delivery is added to ``Deal.balance_paid``
  so ``settlement_of(deal)`` balances. A home-delivery fee is quoted on the booking (deal currency)
  and is not part of the contracted out-the-door price.

Services only flush; the view commits (or rolls back on an error, so nothing is half-saved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.deal_states import NO_VEHICLE, DealAction, DealState
from app.domain.delivery_handover import (
    CHECKLIST,
    ChecklistItem,
    HandoverError,
    bookable_slot,
    check_handover_day,
    check_method,
    check_odometer,
    check_signature,
    checklist_complete,
    todays_slot,
    todays_slots,
)
from app.domain.delivery_slots import (
    DeliveryMethod,
    DeliverySettings,
    DeliverySlot,
    GeoPoint,
    home_delivery_eligibility,
    next_available_slots,
    quote_for_distance,
)
from app.domain.money import ZERO, MoneyError, quantum, to_decimal
from app.models.accounts import Dealer, User
from app.models.base import utcnow
from app.models.deals import Deal
from app.models.deliveries import BookingStatus, DeliveryBooking, DeliveryChecklistTick, DeliverySlotCounter
from app.models.inventory import VehicleStatus
from app.services import audit
from app.services import deals as deal_service
from app.services.dealer_settings import delivery_settings_for
from app.services.notifications import Message, notify_customer

#: Deal states in which the delivery can be booked, prepared and paid.
OPEN_STATES = (DealState.CONTRACTED, DealState.DELIVERY_SCHEDULED)


class DeliveryError(HandoverError):
    """A delivery step refused by the service (same shape as ``HandoverError``: ``msgid``, ``field``, ``params``)."""


# --- reading ---------------------------------------------------------------------------------------


def settings_for(session: Session, dealer: Dealer) -> DeliverySettings:
    """Return the dealer's delivery settings (``domain.delivery_slots.DeliverySettings``)."""
    return delivery_settings_for(session, dealer)


def booked_counts(session: Session, first_day: date, last_day: date) -> dict[tuple[date, time], int]:
    """Return ``{(local date, slot start): places taken}`` of the current dealer's slots in the day range."""
    rows = session.execute(
        select(DeliverySlotCounter.slot_date, DeliverySlotCounter.slot_start, DeliverySlotCounter.booked).where(
            DeliverySlotCounter.slot_date >= first_day, DeliverySlotCounter.slot_date <= last_day
        )
    )
    return {(day, start): booked for day, start, booked in rows}


def available_slots(session: Session, dealer: Dealer, now: datetime, *, limit: int = 8) -> list[DeliverySlot]:
    """Return the next ``limit`` slots with a free place, earliest first (lead time, closures and capacity applied)."""
    settings = settings_for(session, dealer)
    today = now.astimezone(settings.zone).date()
    booked = booked_counts(session, today, today + timedelta(days=120))
    return next_available_slots(settings, now, booked, limit=limit)


def active_booking(session: Session, deal: Deal) -> DeliveryBooking | None:
    """Return the deal's live (``booked``) delivery booking, if any."""
    return session.scalar(
        select(DeliveryBooking).where(DeliveryBooking.deal_id == deal.id, DeliveryBooking.status == BookingStatus.BOOKED)
    )


def latest_booking(session: Session, deal: Deal) -> DeliveryBooking | None:
    """Return the deal's live booking, else its completed one (the handover record), else None."""
    return active_booking(session, deal) or session.scalar(
        select(DeliveryBooking)
        .where(DeliveryBooking.deal_id == deal.id, DeliveryBooking.status == BookingStatus.COMPLETED)
        .order_by(DeliveryBooking.id.desc())
    )


def checklist_of(session: Session, deal: Deal) -> dict[str, DeliveryChecklistTick]:
    """Return the deal's ticked checklist items by item value."""
    rows = session.scalars(select(DeliveryChecklistTick).where(DeliveryChecklistTick.deal_id == deal.id))
    return {row.item: row for row in rows}


# --- slot places -----------------------------------------------------------------------------------


def _take_statement(dealer_id: int, day: date, start: time, capacity: int):
    counter = DeliverySlotCounter
    return (
        update(counter)
        .where(counter.dealer_id == dealer_id, counter.slot_date == day, counter.slot_start == start, counter.booked < capacity)
        .values(booked=counter.booked + 1)
        .returning(counter.booked)
        .execution_options(synchronize_session=False)
    )


def take_place(session: Session, dealer_id: int, day: date, start: time, capacity: int) -> bool:
    """Take one place of the slot (local ``day``, ``start``) if fewer than ``capacity`` are taken; return success.

    Atomic under concurrency (see the module docstring). Must run in the transaction that creates
    the booking, so the place and the booking commit or roll back together.
    """
    statement = _take_statement(dealer_id, day, start, capacity)
    if session.execute(statement).scalar_one_or_none() is not None:
        return True
    exists = session.scalar(
        select(DeliverySlotCounter.id).where(DeliverySlotCounter.slot_date == day, DeliverySlotCounter.slot_start == start)
    )
    if exists is not None:
        return False  # the slot is full
    try:
        with session.begin_nested():
            session.add(DeliverySlotCounter(dealer_id=dealer_id, slot_date=day, slot_start=start, booked=1))
        return True
    except IntegrityError:
        # A parallel booking created the counter first: compete for a place through the UPDATE.
        return session.execute(statement).scalar_one_or_none() is not None


def release_place(session: Session, day: date, start: time) -> None:
    """Free one place of the current dealer's slot (local ``day``, ``start``); never below zero."""
    counter = DeliverySlotCounter
    session.execute(
        update(counter)
        .where(counter.slot_date == day, counter.slot_start == start, counter.booked > 0)
        .values(booked=counter.booked - 1)
        .execution_options(synchronize_session=False)
    )


# --- booking ---------------------------------------------------------------------------------------


def _slot_text(booking: DeliveryBooking) -> str:
    return f"{booking.slot_date.isoformat()} {booking.slot_start:%H:%M}–{booking.slot_end:%H:%M}"


def _customer_locale(deal: Deal) -> str:
    return deal.customer.preferred_locale or deal.locale


def book(
    session: Session,
    deal: Deal,
    *,
    dealer: Dealer,
    slot_date: date,
    slot_start: time,
    method: str,
    address: str = "",
    destination: GeoPoint | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> DeliveryBooking:
    """Book (or reschedule to) the slot on local ``slot_date`` at ``slot_start``; flushed.

    ``method``: ``showroom_pickup`` or ``home_delivery`` (then ``address`` is required; with a shared
    ``destination`` it must lie within the dealer's radius and the fee is quoted now; without one the
    booking waits with ``distance_to_confirm`` until staff enter the km, ``confirm_distance``, unless a
    reschedule keeps the address whose distance is already known). ``actor`` is the staff member booking for the
    customer (None: the customer through their link). The deal must be ``contracted`` (→
    ``schedule_delivery``) or ``delivery_scheduled`` (→ ``reschedule``: the old place is freed).
    The customer is e-mailed in their language. Raises ``DeliveryError``/``HandoverError`` (slot not
    offered, closed, too soon, full; method; address) or ``deals.DealError``; the caller rolls back.
    """
    now = now or utcnow()
    if deal.state not in OPEN_STATES:
        raise DeliveryError("The delivery can be booked once the contract is signed.", "slot")
    if not deal.vehicle_allocated:
        raise DeliveryError(NO_VEHICLE, "slot")
    settings = settings_for(session, dealer)
    slot = bookable_slot(settings, slot_date, slot_start, now)
    chosen = check_method(settings, method)
    address = (address or "").strip()
    quote = None
    home = chosen is DeliveryMethod.HOME_DELIVERY
    current = active_booking(session, deal)
    kept: DeliveryBooking | None = None
    if home:
        if not address:
            raise DeliveryError("Enter the delivery address.", "address")
        if destination is not None:
            quote = home_delivery_eligibility(settings, destination)
            if not quote.eligible:
                raise DeliveryError(
                    "This address is %(distance)s km away, beyond the %(radius)s km delivery radius.", "address",
                    distance=quote.distance_km, radius=format(quote.radius_km.normalize(), "f"),
                )
        elif (current is not None and current.method == DeliveryMethod.HOME_DELIVERY.value
              and current.address == address and current.distance_km is not None):
            kept = current  # same address, its distance already known (shared location or confirmed by staff)
    if current is not None and (current.slot_date, current.slot_start) == (slot_date, slot_start):
        raise DeliveryError("The delivery is already booked in this slot.", "slot")
    if not take_place(session, deal.dealer_id, slot_date, slot_start, slot.capacity):
        raise DeliveryError("This slot is fully booked. Please choose another time.", "slot")
    if current is not None:
        current.status = BookingStatus.CANCELLED
        current.cancelled_at = now
        release_place(session, current.slot_date, current.slot_start)
    booking = DeliveryBooking(
        dealer_id=deal.dealer_id, deal_id=deal.id, slot_date=slot_date, slot_start=slot.start, slot_end=slot.end,
        starts_at=slot.starts_at.astimezone(UTC), method=chosen.value, address=address if home else "",
        latitude=destination.latitude if quote else (kept.latitude if kept else None),
        longitude=destination.longitude if quote else (kept.longitude if kept else None),
        distance_km=quote.distance_km if quote else (kept.distance_km if kept else None),
        fee=quote.fee if quote else (kept.fee if kept else None),
        distance_confirmed_by_user_id=kept.distance_confirmed_by_user_id if kept else None,
        distance_confirmed_at=kept.distance_confirmed_at if kept else None,
        channel="staff" if actor else "online", booked_by_user_id=actor.id if actor else None,
    )
    session.add(booking)
    session.flush()
    action = DealAction.RESCHEDULE if deal.state is DealState.DELIVERY_SCHEDULED else DealAction.SCHEDULE_DELIVERY
    deal_service.advance(
        session, deal, action, dealer=dealer, actor=actor, channel="online", now=now,
        note=f"{_slot_text(booking)} · {chosen.value.replace('_', ' ')}",
    )
    notify_customer(
        session, email=deal.customer.email, locale=_customer_locale(deal),
        subject=Message("Your delivery appointment at %(dealer)s", {"dealer": dealer.name}),
        body=Message(
            "Your %(vehicle)s will be handed over on %(slot)s (%(dealer)s). You can change the time through your purchase page.",
            {"vehicle": deal.vehicle_label, "slot": _slot_text(booking), "dealer": dealer.name},
        ),
    )
    return booking


def confirm_distance(
    session: Session,
    deal: Deal,
    *,
    dealer: Dealer,
    distance_km: Decimal | str | None,
    actor: User,
    now: datetime | None = None,
) -> DeliveryBooking:
    """Record the km staff measured for a home delivery booked without a shared location; the fee follows.

    Issue 11, item 13: the customer may type an address without sharing GPS; the booking waits in
    ``distance_to_confirm``. The distance (km, rounded half-up to 0.01) goes through the dealer's
    radius rule (``domain.delivery_slots.quote_for_distance``); within it the booking takes the
    flat home-delivery fee, who confirmed it and when; a timeline event and an audit event are
    written and the customer is e-mailed the fee. A distance already known may be corrected the
    same way. Raises ``DeliveryError`` (field ``distance_km``) for no live home-delivery booking, a
    missing, negative or non-numeric distance, or one beyond the radius (rebook as showroom pickup
    then); nothing changes.
    """
    now = now or utcnow()
    _require_open(deal)
    booking = active_booking(session, deal)
    if booking is None or booking.method != DeliveryMethod.HOME_DELIVERY.value:
        raise DeliveryError("There is no home delivery waiting for its distance.", "distance_km")
    try:
        value = to_decimal(distance_km) if distance_km not in (None, "") else None
    except (TypeError, MoneyError):
        value = None
    if value is None or value < ZERO:
        raise DeliveryError("Enter the distance in km (0 or more).", "distance_km")
    quote = quote_for_distance(settings_for(session, dealer), value)
    if not quote.eligible:
        if quote.radius_km is None:
            raise DeliveryError("The dealership no longer offers home delivery; rebook as showroom pickup.", "distance_km")
        raise DeliveryError(
            "%(distance)s km is beyond the %(radius)s km delivery radius; rebook the delivery as showroom pickup.",
            "distance_km", distance=quote.distance_km, radius=format(quote.radius_km.normalize(), "f"),
        )
    before = {"distance_km": booking.distance_km, "fee": booking.fee}
    booking.distance_km, booking.fee = quote.distance_km, quote.fee
    booking.distance_confirmed_by_user_id, booking.distance_confirmed_at = actor.id, now
    deal_service.record_event(session, deal, "delivery_distance_confirmed", actor=actor,
                              note=f"{quote.distance_km} km · {quote.fee} {quote.currency}")
    audit.record(session, "delivery.distance", booking, before=before,
                 after={"distance_km": booking.distance_km, "fee": booking.fee})
    notify_customer(
        session, email=deal.customer.email, locale=_customer_locale(deal),
        subject=Message("Your home delivery from %(dealer)s is confirmed", {"dealer": dealer.name}),
        body=Message(
            "We checked the distance to %(address)s: %(distance)s km. Your %(vehicle)s will be delivered there on %(slot)s; "
            "the delivery fee is %(fee)s %(currency)s, payable at delivery.",
            {"address": booking.address, "distance": str(quote.distance_km), "vehicle": deal.vehicle_label,
             "slot": _slot_text(booking), "fee": str(quote.fee), "currency": quote.currency},
        ),
    )
    session.flush()
    return booking


def cancel_booking(session: Session, booking: DeliveryBooking, now: datetime) -> None:
    """Cancel a live booking and free its place; a booking that is not live is left alone."""
    if booking.status is not BookingStatus.BOOKED:
        return
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    release_place(session, booking.slot_date, booking.slot_start)
    session.flush()


def _on_deal_cancelled(session: Session, deal: Deal, now: datetime) -> None:
    booking = active_booking(session, deal)
    if booking is not None:
        cancel_booking(session, booking, now)


# --- preparing the handover ------------------------------------------------------------------------


def _require_open(deal: Deal) -> None:
    if deal.state not in OPEN_STATES:
        raise DeliveryError("This deal is not waiting for delivery.")


def set_checklist(session: Session, deal: Deal, ticked: set[str], *, actor: User | None, now: datetime | None = None) -> dict[str, DeliveryChecklistTick]:
    """Make the deal's ticked items exactly ``ticked`` (item values); new ticks record ``actor`` and ``now``.

    Items already ticked keep who ticked them and when. Returns the ticks by item. Raises
    ``DeliveryError`` for an unknown item or a deal not waiting for delivery.
    """
    _require_open(deal)
    known = {item.value for item in CHECKLIST}
    unknown = set(ticked) - known
    if unknown:
        raise DeliveryError("Unknown checklist item.", "items")
    now = now or utcnow()
    current = checklist_of(session, deal)
    for item, row in list(current.items()):
        if item not in ticked:
            session.delete(row)
            del current[item]
    for item in CHECKLIST:
        if item.value in ticked and item.value not in current:
            row = DeliveryChecklistTick(
                dealer_id=deal.dealer_id, deal_id=deal.id, item=item.value, ticked_by_user_id=actor.id if actor else None,
                ticked_at=now,
            )
            session.add(row)
            current[item.value] = row
    session.flush()
    audit.record(session, "delivery.checklist", deal, after={"ticked": sorted(current)})
    return current


def record_balance(session: Session, deal: Deal, amount: Decimal | str, *, actor: User | None, now: datetime | None = None) -> Decimal:
    """Add ``amount`` (deal currency, > 0, at most the balance due) to ``deal.balance_paid``; return the new total.

    Timeline entry ``balance_paid`` and an audit event. Raises ``DeliveryError`` (field ``amount``)
    for a non-number, zero or negative amount, too many decimals, or more than the balance due.
    """
    _require_open(deal)
    try:
        value = to_decimal(amount)
    except (TypeError, MoneyError) as exc:
        raise DeliveryError("Enter the amount received.", "amount") from exc
    if value <= ZERO:
        raise DeliveryError("The amount must be more than zero.", "amount")
    if value != value.quantize(quantum(deal.currency)):
        raise DeliveryError("Too many decimals for %(currency)s.", "amount", currency=deal.currency)
    due = deal_service.settlement_of(deal).balance_due
    if value > due:
        raise DeliveryError("The amount is more than the balance due (%(due)s).", "amount", due=due)
    before = deal.balance_paid
    deal.balance_paid = before + value
    deal_service.record_event(session, deal, "balance_paid", actor=actor, note=f"{value} {deal.currency}")
    audit.record(session, "delivery.balance_paid", deal, before={"balance_paid": before}, after={"balance_paid": deal.balance_paid})
    return deal.balance_paid


def hand_over(
    session: Session,
    deal: Deal,
    *,
    dealer: Dealer,
    odometer: int | None,
    signed_name: str,
    consent: bool,
    actor: User | None,
    ip: str = "",
    now: datetime | None = None,
) -> DeliveryBooking:
    """Confirm the handover: odometer, the customer's typed-name signature; deal ``delivered``, vehicle ``sold``.

    Checks in order (nothing changes when one fails): a live booking, a car allocated to the deal,
    the booked day reached in the dealer's zone (else rebook to today first), the odometer (whole number,
    not below the vehicle's recorded reading), the signature, then ``deals.advance(deliver)`` whose
    guards need the checklist complete and the settlement balanced. Then the booking is completed,
    the vehicle's odometer updated and its status set to ``sold`` (same transaction), and the
    customer e-mailed in their language (staff are notified by ``advance``). Raises
    ``DeliveryError``/``HandoverError`` or ``deals.DealError``; the caller rolls back.
    """
    now = now or utcnow()
    booking = active_booking(session, deal)
    if booking is None or deal.state is not DealState.DELIVERY_SCHEDULED:
        raise DeliveryError("Book the delivery slot first.", "odometer")
    if booking.distance_to_confirm:
        raise DeliveryError("Confirm the home-delivery distance (and so its fee) before the handover.", "odometer")
    if not deal.vehicle_allocated:
        raise DeliveryError(NO_VEHICLE, "odometer")
    check_handover_day(booking.slot_date, now, settings_for(session, dealer).zone)
    vehicle = deal.stock_vehicle
    reading = check_odometer(odometer, vehicle.odometer if vehicle is not None else None)
    signature = check_signature(signed_name, consent)
    deal_service.advance(session, deal, DealAction.DELIVER, dealer=dealer, actor=actor, now=now,
                         note=f"{reading} · {signature.typed_name}")
    booking.status = BookingStatus.COMPLETED
    booking.completed_at = now
    booking.odometer = reading
    booking.signed_name = signature.typed_name
    booking.signed_at = now
    booking.signed_ip = (ip or "")[:45]
    booking.handed_over_by_user_id = actor.id if actor else None
    if vehicle is not None:
        from app.services.inventory_import import change_status

        vehicle.odometer = reading
        change_status(session, vehicle, VehicleStatus.SOLD)
    session.flush()
    audit.record(session, "delivery.handover", booking, after={"odometer": reading, "signed_name": signature.typed_name})
    notify_customer(
        session, email=deal.customer.email, locale=_customer_locale(deal),
        subject=Message("Your %(vehicle)s has been handed over", {"vehicle": deal.vehicle_label}),
        body=Message(
            "Thank you, %(name)s. We confirm the handover of your %(vehicle)s (purchase %(number)s) on %(date)s "
            "with %(odometer)s on the odometer. Enjoy your new car! — %(dealer)s",
            {"name": signature.typed_name, "vehicle": deal.vehicle_label, "number": deal.number,
             "date": booking.slot_date.isoformat(), "odometer": reading, "dealer": dealer.name},
        ),
    )
    return booking


def rebook_slots(session: Session, dealer: Dealer, deal: Deal, now: datetime) -> list[DeliverySlot]:
    """Return today's slots with a free place a live booking of ``deal`` booked for a later day may move to.

    Empty when there is no such booking (nothing to rebook) or today is closed; ``remaining`` is the
    places left now.
    """
    booking = active_booking(session, deal)
    settings = settings_for(session, dealer)
    today = now.astimezone(settings.zone).date()
    if booking is None or booking.slot_date <= today:
        return []
    used = booked_counts(session, today, today)
    slots = []
    for slot in todays_slots(settings, now):
        left = slot.capacity - used.get((today, slot.start), 0)
        if left > 0:
            slots.append(DeliverySlot(date=slot.date, start=slot.start, end=slot.end, capacity=slot.capacity, remaining=left,
                                      starts_at=slot.starts_at, ends_at=slot.ends_at))
    return slots


def rebook_to_today(
    session: Session,
    deal: Deal,
    *,
    dealer: Dealer,
    slot_start: time,
    actor: User,
    now: datetime | None = None,
) -> DeliveryBooking:
    """Move the deal's live booking of a later day to today's slot at local ``slot_start`` (the customer came early).

    Today is the local date of ``now`` in the dealer's zone; the slot must be offered today and the
    day open (``domain.delivery_handover.todays_slot``; no lead time). The new place is taken with the
    atomic counter (``take_place``) before the old one is freed; the new booking keeps the method,
    address, distance and fee. Timeline ``delivery_rebooked`` (old slot → new slot, by ``actor``) and
    an audit event. Raises ``DeliveryError``/``HandoverError`` (field ``slot``): no live booking, one
    already today or earlier, no such slot today, a closed day, or the slot full; the caller rolls back.
    """
    now = now or utcnow()
    booking = active_booking(session, deal)
    if booking is None or deal.state is not DealState.DELIVERY_SCHEDULED:
        raise DeliveryError("Book the delivery slot first.", "slot")
    settings = settings_for(session, dealer)
    slot = todays_slot(settings, slot_start, now)
    if booking.slot_date <= slot.date:
        raise DeliveryError("The delivery is already booked for today or earlier; no rebooking is needed.", "slot")
    if not take_place(session, deal.dealer_id, slot.date, slot.start, slot.capacity):
        raise DeliveryError("This slot is fully booked. Please choose another time.", "slot")
    before = _slot_text(booking)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    release_place(session, booking.slot_date, booking.slot_start)
    session.flush()  # the partial unique index allows one live booking per deal: end the old one first
    moved = DeliveryBooking(
        dealer_id=deal.dealer_id, deal_id=deal.id, slot_date=slot.date, slot_start=slot.start, slot_end=slot.end,
        starts_at=slot.starts_at.astimezone(UTC), method=booking.method, address=booking.address,
        latitude=booking.latitude, longitude=booking.longitude, distance_km=booking.distance_km, fee=booking.fee,
        distance_confirmed_by_user_id=booking.distance_confirmed_by_user_id, distance_confirmed_at=booking.distance_confirmed_at,
        channel="staff", booked_by_user_id=actor.id,
    )
    session.add(moved)
    session.flush()
    deal_service.record_event(session, deal, "delivery_rebooked", actor=actor, note=f"{before} → {_slot_text(moved)}")
    audit.record(session, "delivery.rebook_today", moved, before={"slot": before}, after={"slot": _slot_text(moved)})
    return moved


# --- the staff schedule ----------------------------------------------------------------------------


@dataclass
class SlotPlan:
    """One slot of a day on the staff schedule: local times, places ``used`` of ``capacity`` (None: no longer offered)."""

    start: time
    end: time
    capacity: int | None
    used: int
    bookings: list[DeliveryBooking] = field(default_factory=list)


@dataclass
class DayPlan:
    """One local day of the staff schedule: ``closed`` by a closure, and its slots in time order."""

    day: date
    closed: bool
    slots: list[SlotPlan] = field(default_factory=list)


def schedule(session: Session, dealer: Dealer, first_day: date, days: int = 14) -> list[DayPlan]:
    """Return ``days`` local days from ``first_day``: every offered slot with places used/total and its bookings.

    Live and completed bookings are listed; a booking whose slot was later removed from the
    settings is shown in a slot without capacity.
    """
    settings = settings_for(session, dealer)
    last_day = first_day + timedelta(days=days - 1)
    used = booked_counts(session, first_day, last_day)
    bookings = session.scalars(
        select(DeliveryBooking)
        .where(DeliveryBooking.slot_date >= first_day, DeliveryBooking.slot_date <= last_day,
               DeliveryBooking.status.in_([BookingStatus.BOOKED, BookingStatus.COMPLETED]))
        .order_by(DeliveryBooking.slot_date, DeliveryBooking.slot_start, DeliveryBooking.id)
    ).all()
    plans: list[DayPlan] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        plan = DayPlan(day=day, closed=settings.is_closed(day))
        slots = {t.start: SlotPlan(t.start, t.end, t.capacity, used.get((day, t.start), 0))
                 for t in settings.slots if t.weekday == day.weekday()}
        for booking in (b for b in bookings if b.slot_date == day):
            slot = slots.setdefault(
                booking.slot_start, SlotPlan(booking.slot_start, booking.slot_end, None, used.get((day, booking.slot_start), 0))
            )
            slot.bookings.append(booking)
        plan.slots = [slots[start] for start in sorted(slots)]
        if plan.slots or plan.closed:
            plans.append(plan)
    return plans


def upcoming_count(session: Session, from_day: date) -> int:
    """Return how many live bookings of the current dealer are on or after local ``from_day``."""
    return session.scalar(
        select(func.count(DeliveryBooking.id)).where(
            DeliveryBooking.status == BookingStatus.BOOKED, DeliveryBooking.slot_date >= from_day
        )
    ) or 0


# --- plug into the deal core -----------------------------------------------------------------------


def _facts(session: Session, deal: Deal) -> dict[str, bool]:
    return {
        "delivery_booked": active_booking(session, deal) is not None,
        "checklist_complete": checklist_complete(frozenset(checklist_of(session, deal))),
    }


deal_service.FACT_PROVIDERS.append(_facts)
deal_service.CANCEL_HOOKS.append(_on_deal_cancelled)

__all__ = [
    "CHECKLIST", "ChecklistItem", "DeliveryError", "OPEN_STATES", "active_booking", "available_slots", "book",
    "cancel_booking", "checklist_of", "confirm_distance", "hand_over", "latest_booking", "rebook_slots", "rebook_to_today",
    "record_balance", "schedule", "set_checklist",
]
