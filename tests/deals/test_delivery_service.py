"""Delivery service: book, reschedule, cancel, capacity, closures, checklist, balance and handover."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.deal_states import DealState
from app.domain.delivery_handover import CHECKLIST, HandoverError
from app.domain.delivery_slots import GeoPoint
from app.extensions import db
from app.models.customers import Customer
from app.models.deals import DealEvent
from app.models.deliveries import BookingStatus, DeliveryBooking, DeliveryChecklistTick, DeliverySlotCounter
from app.models.inventory import VehicleStatus
from app.models.mail import OutboxMessage
from app.models.notifications import Notification
from app.services import deals as deal_service
from app.services import deliveries as svc
from app.tenancy import all_tenants
from tests.deals.delivery_setup import contracted_deal, delivery_settings
from tests.offer_factories import NOW

TUE, WED = date(2026, 6, 16), date(2026, 6, 17)  # NOW is Monday 15 June 2026, 12:00 in Seoul
ALL_ITEMS = {item.value for item in CHECKLIST}


def _used(day: date, start: time) -> int:
    return db.session.scalar(
        select(DeliverySlotCounter.booked).where(DeliverySlotCounter.slot_date == day, DeliverySlotCounter.slot_start == start)
    ) or 0


def _customer(a1, name="Jiwoo Park", email="jiwoo@example.com"):
    customer = Customer(dealer_id=a1.dealer.id, full_name=name, email=email, preferred_locale="en")
    db.session.add(customer)
    db.session.flush()
    return customer


def _book(a1, deal, day=TUE, start=time(14), **kw):
    return svc.book(db.session, deal, dealer=a1.dealer, slot_date=day, slot_start=start, method=kw.pop("method", "showroom_pickup"),
                    now=NOW, **kw)


def _outbox(to: str) -> list[OutboxMessage]:
    with all_tenants():
        return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients.contains(to)).order_by(OutboxMessage.id)))


def test_free_slots_respect_lead_time_capacity_and_closures(a1):
    delivery_settings(a1.dealer, closures=(WED,))
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    slots = svc.available_slots(db.session, a1.dealer, NOW, limit=4)
    # Tuesday 10:00 is inside the one-day lead time; Wednesday is closed.
    assert [(s.date, s.start, s.remaining) for s in slots] == [
        (TUE, time(14), 1), (date(2026, 6, 18), time(10), 2), (date(2026, 6, 18), time(14), 1), (date(2026, 6, 19), time(10), 2),
    ]
    _book(a1, deal)
    assert (TUE, time(14)) not in {(s.date, s.start) for s in svc.available_slots(db.session, a1.dealer, NOW, limit=4)}
    with pytest.raises(HandoverError, match="no deliveries on that day"):
        _book(a1, contracted_deal(a1.dealer, _customer(a1), a1.consultant, stock_number="S2", vin="KMHJ381ABNU123457"),
              day=WED, start=time(10))


def test_book_reschedule_and_cancel_move_the_places(a1):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    booking = _book(a1, deal)
    assert deal.state is DealState.DELIVERY_SCHEDULED
    assert (booking.status, booking.channel, booking.starts_at.hour) == (BookingStatus.BOOKED, "online", 5)  # 14:00 KST
    assert _used(TUE, time(14)) == 1
    assert "Your delivery appointment" in _outbox("minjun@example.com")[-1].subject

    moved = _book(a1, deal, day=WED, start=time(10), actor=a1.consultant)
    assert deal.state is DealState.DELIVERY_SCHEDULED and deal.events[-1].kind == "reschedule"
    assert booking.status is BookingStatus.CANCELLED and moved.channel == "staff"
    assert (_used(TUE, time(14)), _used(WED, time(10))) == (0, 1)
    with pytest.raises(HandoverError, match="already booked in this slot"):
        _book(a1, deal, day=WED, start=time(10))

    deal_service.cancel(db.session, deal, dealer=a1.dealer, reason="Customer moved abroad", actor=a1.consultant, now=NOW)
    assert moved.status is BookingStatus.CANCELLED and _used(WED, time(10)) == 0
    assert svc.active_booking(db.session, deal) is None


def test_full_slot_is_refused_with_a_clear_message_and_nothing_changes(a1):
    delivery_settings(a1.dealer)
    first = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    second = contracted_deal(a1.dealer, _customer(a1), a1.consultant, stock_number="S2", vin="KMHJ381ABNU123457")
    _book(a1, first)
    with pytest.raises(HandoverError, match="This slot is fully booked. Please choose another time.") as info:
        _book(a1, second)
    assert info.value.field == "slot"
    assert second.state is DealState.CONTRACTED and _used(TUE, time(14)) == 1
    assert svc.active_booking(db.session, second) is None


def test_booking_needs_a_contracted_deal(a1):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    deal.state = DealState.RESERVED
    with pytest.raises(HandoverError, match="once the contract is signed"):
        _book(a1, deal)
    assert _used(TUE, time(14)) == 0


def test_home_delivery_checks_the_radius(a1):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    incheon_airport = GeoPoint(Decimal("37.4602"), Decimal("126.4407"))  # ~48 km from City Hall
    with pytest.raises(HandoverError, match="beyond the 30 km delivery radius") as info:
        _book(a1, deal, method="home_delivery", address="Incheon Airport", destination=incheon_airport)
    assert info.value.params["distance"] > Decimal(40)
    with pytest.raises(HandoverError, match="Enter the delivery address"):
        _book(a1, deal, method="home_delivery", destination=incheon_airport)
    gangnam = GeoPoint(Decimal("37.4979"), Decimal("127.0276"))
    booking = _book(a1, deal, method="home_delivery", address="Gangnam-daero 396, Seoul", destination=gangnam)
    assert booking.method == "home_delivery" and booking.fee == Decimal(50000)
    assert Decimal(8) < booking.distance_km < Decimal(10)


def _ready(a1, deal):
    _book(a1, deal)
    svc.set_checklist(db.session, deal, ALL_ITEMS, actor=a1.consultant, now=NOW)
    svc.record_balance(db.session, deal, deal_service.settlement_of(deal).balance_due, actor=a1.consultant)


def _hand_over(a1, deal, **kw):
    values = dict(odometer=20, signed_name="김민준", consent=True, actor=a1.consultant, ip="203.0.113.9", now=NOW + timedelta(days=1))
    values.update(kw)
    return svc.hand_over(db.session, deal, dealer=a1.dealer, **values)


def test_checklist_records_who_and_when_and_keeps_first_ticks(a1):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    svc.set_checklist(db.session, deal, {"pdi", "cleaned"}, actor=a1.consultant, now=NOW)
    ticks = svc.set_checklist(db.session, deal, {"pdi", "insurance"}, actor=a1.principal, now=NOW + timedelta(hours=1))
    assert set(ticks) == {"pdi", "insurance"}
    assert (ticks["pdi"].ticked_by_user_id, ticks["pdi"].ticked_at) == (a1.consultant.id, NOW)
    assert ticks["insurance"].ticked_by_user_id == a1.principal.id
    assert not deal_service.facts(db.session, deal).checklist_complete
    with pytest.raises(HandoverError, match="Unknown checklist item"):
        svc.set_checklist(db.session, deal, {"pdi", "wax"}, actor=a1.consultant)


def test_balance_cannot_exceed_what_is_due(a1):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    due = deal_service.settlement_of(deal).balance_due
    assert due > 0
    for amount, message in ((due + 1, "more than the balance due"), (Decimal(0), "more than zero"), (Decimal("10.5"), "decimals")):
        with pytest.raises(HandoverError, match=message):
            svc.record_balance(db.session, deal, amount, actor=a1.consultant)
    svc.record_balance(db.session, deal, Decimal(1000000), actor=a1.consultant)
    svc.record_balance(db.session, deal, due - Decimal(1000000), actor=a1.consultant)
    assert deal.balance_paid == due and deal_service.settlement_of(deal).balanced
    assert [e.kind for e in deal.events].count("balance_paid") == 2


@pytest.mark.parametrize("missing", ["checklist", "balance"])
def test_handover_refused_while_checklist_incomplete_or_balance_unsettled(a1, missing):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    _book(a1, deal)
    svc.set_checklist(db.session, deal, ALL_ITEMS - ({"documents"} if missing == "checklist" else set()), actor=a1.consultant)
    due = deal_service.settlement_of(deal).balance_due
    svc.record_balance(db.session, deal, due - (Decimal(1) if missing == "balance" else Decimal(0)), actor=a1.consultant)
    events = len(deal.events)
    expected = "Complete the pre-delivery checklist first." if missing == "checklist" else "The payments do not add up"
    with pytest.raises(deal_service.DealError, match=expected):
        _hand_over(a1, deal)
    assert deal.state is DealState.DELIVERY_SCHEDULED and len(deal.events) == events
    assert deal.stock_vehicle.status is VehicleStatus.IN_STOCK and deal.stock_vehicle.odometer == 12
    assert svc.active_booking(db.session, deal).odometer is None


def test_handover_refuses_a_lower_odometer_and_a_missing_signature(a1):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant, odometer=40)
    _ready(a1, deal)
    with pytest.raises(HandoverError, match="cannot be lower than the 40 recorded"):
        _hand_over(a1, deal, odometer=39)
    with pytest.raises(HandoverError, match="confirm they received"):
        _hand_over(a1, deal, odometer=41, consent=False)
    assert deal.state is DealState.DELIVERY_SCHEDULED and deal.stock_vehicle.status is VehicleStatus.IN_STOCK


def test_handover_delivers_the_deal_sells_the_car_and_emails_the_customer(a1):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    _ready(a1, deal)
    booking = _hand_over(a1, deal)
    assert deal.state is DealState.DELIVERED and deal.delivered_at == NOW + timedelta(days=1)
    assert deal.stock_vehicle.status is VehicleStatus.SOLD and deal.stock_vehicle.odometer == 20
    assert (booking.status, booking.odometer, booking.signed_name, booking.signed_ip) == (BookingStatus.COMPLETED, 20, "김민준", "203.0.113.9")
    assert deal_service.settlement_of(deal).balanced
    mail = _outbox("minjun@example.com")[-1]
    assert "has been handed over" in mail.subject and "with 20 on the odometer" in mail.body_text
    staff = db.session.scalars(select(Notification).where(Notification.deal_id == deal.id, Notification.kind == "deal.deliver")).all()
    assert {n.user_id for n in staff} >= {a1.consultant.id, a1.principal.id}
    assert db.session.scalar(select(DealEvent.kind).where(DealEvent.deal_id == deal.id).order_by(DealEvent.id.desc())) == "deliver"
    # Delivered is terminal: nothing about the delivery changes any more.
    with pytest.raises(HandoverError, match="not waiting for delivery"):
        svc.set_checklist(db.session, deal, set(), actor=a1.consultant)
    with pytest.raises(HandoverError, match="Book the delivery slot first"):
        _hand_over(a1, deal)
    assert db.session.scalar(select(DeliveryChecklistTick.id).where(DeliveryChecklistTick.deal_id == deal.id)) is not None


def test_schedule_shows_used_and_total_per_slot(a1):
    delivery_settings(a1.dealer, closures=(WED,))
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    _book(a1, deal, day=date(2026, 6, 18), start=time(10))
    plans = {p.day: p for p in svc.schedule(db.session, a1.dealer, TUE, 3)}
    assert plans[WED].closed
    thursday = plans[date(2026, 6, 18)]
    assert [(s.start, s.used, s.capacity, len(s.bookings)) for s in thursday.slots] == [(time(10), 1, 2, 1), (time(14), 0, 1, 0)]
    assert db.session.scalar(select(DeliveryBooking.deal_id).where(DeliveryBooking.slot_date == date(2026, 6, 18))) == deal.id


def test_home_delivery_without_a_shared_location_waits_for_the_distance(a1):
    """Issue 11 item 13: a typed address is accepted; staff confirm the km and the fee follows."""
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    booking = _book(a1, deal, method="home_delivery", address="Teheran-ro 152, Gangnam-gu, Seoul")
    assert booking.distance_to_confirm and booking.distance_km is None and booking.fee is None
    assert booking.address == "Teheran-ro 152, Gangnam-gu, Seoul" and deal.state is DealState.DELIVERY_SCHEDULED
    svc.set_checklist(db.session, deal, ALL_ITEMS, actor=a1.consultant, now=NOW)
    svc.record_balance(db.session, deal, deal_service.settlement_of(deal).balance_due, actor=a1.consultant)
    with pytest.raises(HandoverError, match="Confirm the home-delivery distance"):
        _hand_over(a1, deal)
    for km, message in ((None, "Enter the distance"), ("-1", "Enter the distance"), ("abc", "Enter the distance"),
                        (Decimal("30.01"), "beyond the 30 km delivery radius")):
        with pytest.raises(HandoverError, match=message) as info:
            svc.confirm_distance(db.session, deal, dealer=a1.dealer, distance_km=km, actor=a1.principal, now=NOW)
        assert info.value.field == "distance_km"
    assert booking.distance_km is None and booking.fee is None
    confirmed = svc.confirm_distance(db.session, deal, dealer=a1.dealer, distance_km="12.345", actor=a1.principal, now=NOW)
    assert confirmed is booking and not booking.distance_to_confirm
    assert (booking.distance_km, booking.fee) == (Decimal("12.35"), Decimal(50000))  # half-up to 10 m; flat fee
    assert (booking.distance_confirmed_by_user_id, booking.distance_confirmed_at) == (a1.principal.id, NOW)
    assert "delivery_distance_confirmed" in [e.kind for e in deal.events]
    mail = _outbox("minjun@example.com")[-1]
    assert "12.35 km" in mail.body_text and "50000" in mail.body_text
    # Rescheduling to another slot with the same address keeps the confirmed distance and fee.
    moved = _book(a1, deal, day=WED, method="home_delivery", address="Teheran-ro 152, Gangnam-gu, Seoul")
    assert (moved.distance_km, moved.fee, moved.distance_confirmed_by_user_id) == (Decimal("12.35"), Decimal(50000), a1.principal.id)
    # A new address without a location waits again.
    again = _book(a1, deal, day=TUE, method="home_delivery", address="Olympic-ro 300, Songpa-gu, Seoul")
    assert again.distance_to_confirm
    svc.confirm_distance(db.session, deal, dealer=a1.dealer, distance_km=Decimal(14), actor=a1.consultant, now=NOW)
    assert _hand_over(a1, deal).status is BookingStatus.COMPLETED


def test_distance_is_only_confirmed_for_a_live_home_delivery(a1):
    delivery_settings(a1.dealer)
    deal = contracted_deal(a1.dealer, a1.customer, a1.consultant)
    with pytest.raises(HandoverError, match="no home delivery waiting"):
        svc.confirm_distance(db.session, deal, dealer=a1.dealer, distance_km=Decimal(5), actor=a1.consultant)
    _book(a1, deal)
    with pytest.raises(HandoverError, match="no home delivery waiting"):
        svc.confirm_distance(db.session, deal, dealer=a1.dealer, distance_km=Decimal(5), actor=a1.consultant)
