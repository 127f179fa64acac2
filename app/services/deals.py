"""Deals: open one per accepted offer (E2E) or online reservation (O2O), move it step by step, cancel it.

Every state change goes through ``domain.deal_states.transition`` with the facts gathered here,
writes a ``DealEvent`` (the timeline) and an audit event, and notifies the people concerned.
Services only ``flush``; the view commits.

The steps (finance application, trade-in appraisal, reservation payment, contract, delivery) live
in their own services and plug in here through two registries, so this module never imports them:

* ``FACT_PROVIDERS`` — callables ``(session, deal) -> dict`` returning ``DealFacts`` fields they
  know (e.g. ``{"finance_approved": True}``);
* ``CANCEL_HOOKS`` — callables ``(session, deal, now) -> None`` run inside the cancelling
  transaction (refund the deposit, release the delivery slot, void an unsigned contract…).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.deal_settlement import Settlement, settlement
from app.domain.deal_states import N_, DealAction, DealFacts, DealState, DealTransitionError, transition
from app.domain.money import ZERO, quantum
from app.domain.roles import BusinessModel, Role
from app.domain.vehicle_names import clean_title
from app.models.accounts import Dealer, User
from app.models.base import utcnow
from app.models.customers import Customer, CustomerEvent
from app.models.dealer_settings import ModelDeposit, ReservationSettings
from app.models.deals import Deal, DealEvent
from app.models.inventory import StockVehicle, VehicleStatus
from app.models.offers import Offer
from app.models.promotions import PromotionRedemption
from app.services import audit, signed_links
from app.services.notifications import Message, notify_customer, notify_roles
from app.services.offer_numbers import allocate_offer_number
from app.urls import external_url

#: ``(session, deal) -> dict`` of ``DealFacts`` fields; registered by the step services.
FACT_PROVIDERS: list[Callable[[Session, Deal], dict[str, Any]]] = []
#: ``(session, deal, now) -> None``; run when a deal is cancelled, inside the same transaction.
CANCEL_HOOKS: list[Callable[[Session, Deal, datetime], None]] = []

#: Who hears about a deal besides its consultant.
MANAGERS = (Role.DEALER_PRINCIPAL, Role.SALES_MANAGER)


class DealError(ValueError):
    """A deal step that is not allowed; the message is shown to the user."""


def deposit_for(session: Session, model_code: str) -> Decimal:
    """Return the current dealer's reservation deposit for ``model_code`` (model override, else default, else 0)."""
    if model_code:
        override = session.scalar(select(ModelDeposit.amount).where(ModelDeposit.model_code == model_code))
        if override is not None:
            return override
    default = session.scalar(select(ReservationSettings.default_deposit))
    return default if default is not None else ZERO


def _event(
    session: Session,
    deal: Deal,
    kind: str,
    *,
    before: DealState | None = None,
    channel: str = "online",
    actor: User | None = None,
    performed_by: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    amendment_id: int | None = None,
) -> DealEvent:
    event = DealEvent(
        dealer_id=deal.dealer_id, kind=kind, from_state=before.value if before else "",
        to_state=deal.state.value if before else "", channel=channel, actor_user_id=actor.id if actor else None,
        performed_by=performed_by[:200], occurred_at=occurred_at or utcnow(), note=note[:4000], amendment_id=amendment_id,
    )
    deal.events.append(event)
    return event


def record_event(
    session: Session, deal: Deal, kind: str, *, actor: User | None = None, channel: str = "online", note: str = "",
    amendment_id: int | None = None,
) -> DealEvent:
    """Add a timeline entry that changes no state (a document uploaded, a payment received…); flushed.

    ``amendment_id`` links a change to accept (``models.deals.DealAmendment``) whose figures the
    timeline shows old → new.
    """
    event = _event(session, deal, kind, actor=actor, channel=channel, note=note, amendment_id=amendment_id)
    session.flush()
    return event


def _vehicle_from_snapshot(session: Session, snapshot: dict) -> StockVehicle | None:
    stock_id = (snapshot.get("vehicle") or {}).get("stock_id")
    if not stock_id:
        return None
    return session.scalar(select(StockVehicle).where(StockVehicle.id == int(stock_id)))


def open_from_offer(session: Session, offer: Offer, dealer: Dealer, *, now: datetime | None = None) -> Deal:
    """Open the deal of an accepted offer (idempotent: the existing deal is returned).

    Copies from the accepted revision's snapshot: out-the-door price, trade-in equity, the vehicle
    (a stock car is linked by id) and the first payment scenario's kind. The deposit asked is the
    dealer's reservation deposit for the model (``deposit_for``). Notifies the consultant and the
    managers. Raises ``DealError`` when the offer is not accepted.
    """
    existing = session.scalar(select(Deal).where(Deal.offer_id == offer.id))
    if existing is not None:
        return existing
    if offer.state.value != "accepted":
        raise DealError("Only an accepted offer opens a deal.")
    revision = next(r for r in offer.revisions if r.revision_no == offer.current_revision_no)
    snapshot = revision.snapshot
    priced = snapshot.get("priced", {})
    vehicle = snapshot.get("vehicle", {})
    payments = priced.get("payments") or []
    model_code = str(vehicle.get("model_code") or vehicle.get("model") or "")[:40]
    stock = _vehicle_from_snapshot(session, snapshot)
    deal = Deal(
        dealer_id=offer.dealer_id, number=offer.number, customer_id=offer.customer_id, offer_id=offer.id,
        offer_revision_no=revision.revision_no, stock_vehicle_id=stock.id if stock else None,
        consultant_id=offer.consultant_id, business_model=BusinessModel(dealer.business_model).value,
        state=DealState.OFFER_ACCEPTED, vehicle_label=offer.vehicle_label, model_code=model_code,
        currency=offer.currency, locale=offer.locale, out_the_door_price=Decimal(priced.get("out_the_door_price", "0")),
        trade_in_equity=Decimal(priced.get("trade_in_equity", "0")),
        deposit_amount=deposit_for(session, model_code).quantize(quantum(offer.currency)),
        payment_kind=str(payments[0].get("kind", "cash")) if payments else "cash",
    )
    session.add(deal)
    _event(session, deal, "opened", note=offer.number, occurred_at=now)
    session.flush()
    # The coupon and budget uses taken at acceptance belong to this deal: its cancellation gives them back.
    for redemption in session.scalars(select(PromotionRedemption).where(
            PromotionRedemption.offer_id == offer.id, PromotionRedemption.deal_id.is_(None))):
        redemption.deal_id = deal.id
    audit.record(session, "deal.open", deal, after={"state": deal.state.value, "offer": offer.number})
    # This is how the consultant hears that the customer accepted: every acceptance opens its deal here.
    params = {"number": deal.number, "customer": offer.customer.full_name, "vehicle": deal.vehicle_label}
    _notify(session, deal, dealer, "deal.opened", Message("Offer %(number)s accepted: deal opened", params),
            Message("%(customer)s accepted offer %(number)s for the %(vehicle)s. Please contact the customer for the next steps.",
                    params))
    return deal


def open_reservation(
    session: Session,
    dealer: Dealer,
    *,
    customer: Customer,
    vehicle: StockVehicle,
    locale: str,
    consultant: User | None = None,
    now: datetime | None = None,
) -> Deal:
    """Open a deal for a customer who reserves a stock vehicle online (no offer; O2O and E2E alike).

    The price is the vehicle's list price (the showroom quotes the rest). The deal starts in
    ``offer_accepted`` and becomes ``reserved`` when the deposit is paid. Raises ``DealError``
    when the vehicle is not available or has no price.
    """
    if vehicle.status not in (VehicleStatus.IN_STOCK, VehicleStatus.IN_TRANSIT):
        raise DealError("This vehicle is no longer available.")
    if not vehicle.price or vehicle.currency != dealer.currency:
        raise DealError("This vehicle has no price yet.")
    now = now or utcnow()
    model_code = (vehicle.model or "").upper()[:40]
    deal = Deal(
        dealer_id=dealer.id, number=allocate_offer_number(session, dealer, now), customer_id=customer.id,
        stock_vehicle_id=vehicle.id, consultant_id=consultant.id if consultant else None,
        business_model=BusinessModel(dealer.business_model).value, state=DealState.OFFER_ACCEPTED,
        vehicle_label=clean_title(vehicle.title)[:200], model_code=model_code, currency=dealer.currency, locale=locale,
        out_the_door_price=vehicle.price, deposit_amount=deposit_for(session, model_code).quantize(quantum(dealer.currency)),
    )
    session.add(deal)
    _event(session, deal, "reservation_requested", occurred_at=now)
    session.flush()
    audit.record(session, "deal.open", deal, after={"state": deal.state.value, "vehicle": vehicle.id})
    return deal


def facts(session: Session, deal: Deal, *, offline: bool = False) -> DealFacts:
    """Gather the guard facts of ``deal`` from the deal itself and every registered provider."""
    values: dict[str, Any] = {
        "deposit_required": deal.deposit_amount > ZERO,
        "deposit_paid": deal.deposit_amount > ZERO and deal.deposit_paid >= deal.deposit_amount,
        "financed": deal.payment_kind in ("finance", "lease"),
        "settlement_balanced": settlement_of(deal).balanced,
        "offline": offline,
        "vehicle_allocated": deal.vehicle_allocated,
    }
    known = {f.name for f in fields(DealFacts)}
    for provider in FACT_PROVIDERS:
        values.update({key: value for key, value in provider(session, deal).items()
                       if key in known and key not in ("offline", "vehicle_allocated")})
    return DealFacts(**values)


def settlement_of(deal: Deal) -> Settlement:
    """Return how the deal's out-the-door price is paid so far (``domain.deal_settlement``)."""
    return settlement(
        currency=deal.currency, out_the_door_price=deal.out_the_door_price, deposit_paid=deal.deposit_paid,
        amount_financed=deal.amount_financed, trade_in_equity=deal.trade_in_equity, balance_paid=deal.balance_paid,
    )


_STEP_MESSAGES = {
    DealAction.RESERVE: N_("Deal %(number)s: vehicle reserved"),
    DealAction.START_FINANCING: N_("Deal %(number)s: finance application submitted"),
    DealAction.FINANCE_DECLINED: N_("Deal %(number)s: finance declined"),
    DealAction.CONTRACT: N_("Deal %(number)s: contract signed"),
    DealAction.SCHEDULE_DELIVERY: N_("Deal %(number)s: delivery scheduled"),
    DealAction.RESCHEDULE: N_("Deal %(number)s: delivery rescheduled"),
    DealAction.DELIVER: N_("Deal %(number)s: vehicle delivered"),
    DealAction.CANCEL: N_("Deal %(number)s: cancelled"),
}


def _notify(session: Session, deal: Deal, dealer: Dealer, kind: str, title: Message, body: Message | None = None) -> None:
    """Tell the deal's consultant and the managers (bell + e-mail), linking to the deal page."""
    consultant = session.get(User, deal.consultant_id) if deal.consultant_id else None
    notify_roles(session, dealer=dealer, roles=MANAGERS, extra=[consultant], kind=kind, title=title, body=body,
                 deal_id=deal.id, url=staff_link(deal, dealer))


def staff_link(deal: Deal, dealer: Dealer) -> str:
    """Return the absolute link to the staff page of ``deal`` at ``dealer`` (on ``EXTERNAL_BASE_URL``)."""
    return external_url("deals.detail", dealer_slug=dealer.slug, deal_id=deal.id)


def advance(
    session: Session,
    deal: Deal,
    action: DealAction,
    *,
    dealer: Dealer,
    actor: User | None = None,
    channel: str = "online",
    note: str = "",
    now: datetime | None = None,
) -> DealEvent:
    """Apply ``action`` to ``deal`` if its guards pass; timeline + audit + notification.

    Raises ``DealError`` with the guard's reason otherwise (nothing changes).
    """
    before = deal.state
    try:
        deal.state = transition(before, action, facts(session, deal))
    except DealTransitionError as exc:
        raise DealError(str(exc)) from exc
    event = _event(session, deal, action.value, before=before, channel=channel, actor=actor, note=note, occurred_at=now)
    if action is DealAction.DELIVER:
        deal.delivered_at = now or utcnow()
    session.flush()
    audit.record(session, f"deal.{action.value}", deal, before={"state": before.value}, after={"state": deal.state.value})
    _notify(session, deal, dealer, f"deal.{action.value}", Message(_STEP_MESSAGES[action], {"number": deal.number}))
    return event


#: The steps an O2O dealer records after they happened in the showroom.
OFFLINE_ACTIONS = (
    DealAction.RESERVE,
    DealAction.START_FINANCING,
    DealAction.FINANCE_DECLINED,
    DealAction.CONTRACT,
    DealAction.SCHEDULE_DELIVERY,
    DealAction.DELIVER,
)


def record_offline(
    session: Session,
    deal: Deal,
    action: DealAction,
    *,
    dealer: Dealer,
    actor: User,
    performed_by: str,
    occurred_at: datetime,
    note: str = "",
    balance_paid: Decimal | None = None,
    amount_financed: Decimal | None = None,
) -> DealEvent:
    """Record a step done in the showroom of an O2O dealer: who did it and when, by the staff member ``actor``.

    ``performed_by`` (required) names the person who did the step; ``occurred_at`` (aware, not in
    the future) when. For ``deliver`` the stock vehicle becomes ``sold``; ``balance_paid`` /
    ``amount_financed`` record the money settled offline. The order of steps and terminal states
    are enforced as online. Raises ``DealError`` for an E2E dealer's deal (its steps happen online),
    an action that is not an offline step, a missing name or a future time.
    """
    if deal.business_model != BusinessModel.O2O.value:
        raise DealError("This dealer completes deals online; record the step on its own page.")
    if action not in OFFLINE_ACTIONS:
        raise DealError("This step cannot be recorded offline.")
    if not performed_by.strip():
        raise DealError("Say who did this step.")
    if occurred_at.tzinfo is None or occurred_at > utcnow():
        raise DealError("The time of the step cannot be in the future.")
    if balance_paid is not None:
        if balance_paid < ZERO:
            raise DealError("An amount cannot be negative.")
        deal.balance_paid = balance_paid
    if amount_financed is not None:
        if amount_financed < ZERO:
            raise DealError("An amount cannot be negative.")
        deal.amount_financed = amount_financed
    before = deal.state
    try:
        deal.state = transition(before, action, facts(session, deal, offline=True))
    except DealTransitionError as exc:
        raise DealError(str(exc)) from exc
    event = _event(
        session, deal, action.value, before=before, channel="offline", actor=actor, performed_by=performed_by.strip(),
        occurred_at=occurred_at, note=note,
    )
    if action is DealAction.DELIVER:
        deal.delivered_at = occurred_at
        if deal.stock_vehicle is not None:
            from app.services.inventory_import import change_status

            change_status(session, deal.stock_vehicle, VehicleStatus.SOLD)
    session.flush()
    audit.record(
        session, f"deal.{action.value}", deal, before={"state": before.value},
        after={"state": deal.state.value, "channel": "offline", "performed_by": performed_by.strip()},
    )
    _notify(session, deal, dealer, f"deal.{action.value}", Message(_STEP_MESSAGES[action], {"number": deal.number}))
    return event


def cancel(
    session: Session, deal: Deal, *, dealer: Dealer, reason: str, actor: User | None, now: datetime | None = None,
    tell_customer: bool = True,
) -> DealEvent:
    """Cancel the deal (any state before delivery): run ``CANCEL_HOOKS`` (refunds…), release a reserved car.

    The consultant and managers are notified; the customer is e-mailed in their language unless
    ``tell_customer`` is False (a caller that already wrote to them about it). The staff's
    ``reason`` stays internal. Raises ``DealError`` without a reason or when the deal is delivered
    or already cancelled.
    """
    if not reason.strip():
        raise DealError("Give the reason for the cancellation.")
    now = now or utcnow()
    before = deal.state
    try:
        deal.state = transition(before, DealAction.CANCEL)
    except DealTransitionError as exc:
        raise DealError(str(exc)) from exc
    deal.cancelled_at = now
    deal.cancel_reason = reason.strip()[:2000]
    deal.link_version += 1  # the customer's purchase link dies with the sale (it showed their name and finance)
    for hook in CANCEL_HOOKS:
        hook(session, deal, now)
    vehicle = deal.stock_vehicle
    if vehicle is not None and vehicle.status is VehicleStatus.RESERVED:
        other = session.scalar(
            select(Deal.id).where(
                Deal.stock_vehicle_id == vehicle.id, Deal.id != deal.id, Deal.state.not_in([DealState.CANCELLED])
            )
        )
        if other is None:
            from app.services.inventory_import import change_status

            change_status(session, vehicle, VehicleStatus.IN_STOCK)
    event = _event(session, deal, "cancel", before=before, actor=actor, note=deal.cancel_reason, occurred_at=now)
    session.flush()
    audit.record(session, "deal.cancel", deal, before={"state": before.value}, after={"state": deal.state.value})
    session.add(
        CustomerEvent(dealer_id=deal.dealer_id, customer_id=deal.customer_id, kind="deal_cancelled",
                      summary=f"{deal.number}: {deal.cancel_reason}"[:500], actor_user_id=actor.id if actor else None)
    )
    _notify(session, deal, dealer, "deal.cancel", Message(_STEP_MESSAGES[DealAction.CANCEL], {"number": deal.number}))
    if tell_customer:
        customer = deal.customer
        params = {"number": deal.number, "vehicle": deal.vehicle_label, "dealer": dealer.name, "name": customer.full_name}
        notify_customer(
            session, email=None if customer.is_withdrawn else customer.email, locale=customer.preferred_locale or deal.locale,
            subject=Message("Your purchase %(number)s has been cancelled", params),
            body=Message("Dear %(name)s, your purchase %(number)s of the %(vehicle)s at %(dealer)s has been cancelled. "
                         "If you paid a reservation deposit, you will receive a separate message about its refund. "
                         "Your sales consultant will contact you if you have questions.", params),
        )
    return event


def revoke_link(session: Session, deal: Deal, *, actor: User) -> DealEvent:
    """Revoke every purchase link of ``deal`` handed out so far (a forwarded or leaked link).

    Bumps ``link_version``; the deal page then shows a new link to send. Recorded on the timeline.
    """
    deal.link_version += 1
    event = _event(session, deal, "link_revoked", actor=actor, occurred_at=utcnow())
    audit.record(session, "deal.link_revoked", deal, before={}, after={"link_version": deal.link_version})
    return event


def make_link_token(deal: Deal, secret_key: str) -> str:
    """Return a signed token for the customer's purchase page of ``deal`` (revoked by bumping ``link_version``)."""
    return signed_links.make_token(signed_links.DEAL_LINK, deal.id, deal.dealer_id, deal.link_version, secret_key)


def load_link_token(token: str, secret_key: str, max_age: int) -> tuple[int, int, int]:
    """Return ``(deal_id, dealer_id, link_version)``; raises ``DealError`` for a forged, malformed or expired token."""
    try:
        return signed_links.load_token(signed_links.DEAL_LINK, token, secret_key, max_age)
    except signed_links.LinkError as exc:
        if exc.expired:
            raise DealError("This link has expired. Please ask your sales consultant for a new one.") from exc
        raise DealError("This link is not valid.") from exc


def deal_for_offer(session: Session, offer_id: int) -> Deal | None:
    """Return the deal opened from offer ``offer_id`` in the current dealer, if any."""
    return session.scalar(select(Deal).where(Deal.offer_id == offer_id))


def list_deals(
    session: Session,
    *,
    q: str | None = None,
    state: str | None = None,
    consultant_id: int | None = None,
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[Deal], int]:
    """Return one page of the current dealer's deals (newest first) and the total count.

    ``q`` matches the deal number, the customer's name or the vehicle label (case-insensitive,
    substring); ``state`` a ``DealState`` value (unknown values are ignored).
    """
    from sqlalchemy import func, or_

    from app.database import contains_text

    query = select(Deal).join(Customer, Customer.id == Deal.customer_id)
    if q and q.strip():
        term = q.strip()
        query = query.where(or_(*(contains_text(column, term) for column in (Deal.number, Customer.full_name, Deal.vehicle_label))))
    if state in {s.value for s in DealState}:
        query = query.where(Deal.state == DealState(state))
    if consultant_id is not None:
        query = query.where(Deal.consultant_id == consultant_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Deal.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page))
    return list(rows), total


def counts_by_state(session: Session, consultant_id: int | None = None) -> dict[str, int]:
    """Return ``{state: count}`` of the current dealer's deals (optionally one consultant's)."""
    from sqlalchemy import func

    query = select(Deal.state, func.count(Deal.id)).group_by(Deal.state)
    if consultant_id is not None:
        query = query.where(Deal.consultant_id == consultant_id)
    return {state.value: count for state, count in session.execute(query)}
