"""Issue 11 item 5: a catalog (factory) order is allocated to a physical car before contract and delivery.

Rules (``services.vehicle_allocation``): a matching new stock car of the same dealer (reserved like a
stock-car deal's car) or a valid factory VIN, unique among the dealer's live deals. Until then the
contract, the delivery booking and the handover are refused, online and offline. Every refusal leaves
nothing changed.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from app.domain.deal_states import DealAction, DealState
from app.domain.vehicle_allocation import AllocationError
from app.extensions import db
from app.models.accounts import Dealer
from app.models.customers import Customer
from app.models.deals import Deal, DealEvent
from app.models.inventory import VehicleCondition, VehicleStatus
from app.services import contracts, deliveries
from app.services import deals as deal_service
from app.services import vehicle_allocation as svc
from app.tenancy import scoped
from tests.deals.allocation_setup import BAD_CHECK_DIGIT_VIN, FACTORY_VIN, catalog_deal, stock_car
from tests.deals.contract_helpers import pdf_text
from tests.deals.delivery_setup import delivery_settings
from tests.offer_factories import NOW


def _events(deal: Deal, kind: str) -> list[DealEvent]:
    return list(db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id, DealEvent.kind == kind)))


def _customer(a1, name: str) -> Customer:
    customer = Customer(dealer_id=a1.dealer.id, full_name=name, email=f"{name.split()[0].lower()}@example.com",
                        preferred_locale="en")
    db.session.add(customer)
    db.session.flush()
    return customer


def test_unallocated_catalog_order_gets_no_contract_booking_or_handover(a1):
    delivery_settings(a1.dealer)
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    assert deal.stock_vehicle_id is None and not deal.vehicle_allocated
    with pytest.raises(contracts.ContractError, match="Allocate a vehicle"):
        contracts.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert contracts.current_contract(db.session, deal) is None
    deal.state = DealState.CONTRACTED  # a deal contracted before the rule (or offline): still no booking
    with pytest.raises(deliveries.DeliveryError, match="Allocate a vehicle") as refused:
        deliveries.book(db.session, deal, dealer=a1.dealer, slot_date=date(2026, 6, 16), slot_start=time(14),
                        method="showroom_pickup", now=NOW)
    assert refused.value.field == "slot" and deliveries.active_booking(db.session, deal) is None


def test_matching_stock_lists_only_new_available_cars_of_the_configured_model_and_trim(a1):
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    fits = stock_car(a1.dealer, stock_number="T1", vin="KMHJ381ABNU100001")
    stock_car(a1.dealer, stock_number="T2", vin="KMHJ381ABNU100002", status=VehicleStatus.IN_TRANSIT)
    stock_car(a1.dealer, stock_number="X1", trim="2.5 Calligraphy")
    stock_car(a1.dealer, stock_number="X2", model="Santa Fe")
    stock_car(a1.dealer, stock_number="X3", condition=VehicleCondition.USED)
    stock_car(a1.dealer, stock_number="X4", status=VehicleStatus.SOLD)
    held = stock_car(a1.dealer, stock_number="X5")
    other = catalog_deal(a1.dealer, _customer(a1, "Jiwoo Park"), a1.consultant)
    svc.allocate_stock(db.session, other, held.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert [v.stock_number for v in svc.matching_stock(db.session, deal)] == ["T1", "T2"]
    assert fits in svc.matching_stock(db.session, deal)


def test_stock_car_allocation_reserves_the_car_and_the_contract_prints_its_vin(a1):
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    car = stock_car(a1.dealer, stock_number="T1", vin="KMHJ381ABNU100001")
    svc.allocate_stock(db.session, deal, car.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert (deal.stock_vehicle_id, deal.allocated_at, deal.vin) == (car.id, NOW, "KMHJ381ABNU100001")
    assert car.status is VehicleStatus.RESERVED  # the deal is reserved: its car is held now
    (event,) = _events(deal, "vehicle_allocated")
    assert "T1" in event.note and "KMHJ381ABNU100001" in event.note and event.actor_user_id == a1.consultant.id
    contract, created = contracts.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert created and contract.content["vehicle"]["vin"] == "KMHJ381ABNU100001"
    assert contract.content["vehicle"]["stock_number"] == "T1"
    assert "KMHJ381ABNU100001" in pdf_text(contracts.contract_pdf(contract))


def test_stock_car_of_a_deal_waiting_for_its_deposit_is_linked_and_reserved_with_the_deposit(a1):
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant, reserved=False)
    car = stock_car(a1.dealer, stock_number="T1")
    svc.allocate_stock(db.session, deal, car.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert car.status is VehicleStatus.IN_STOCK and deal.stock_vehicle_id == car.id
    from app.services.payments import reserve_vehicle

    assert reserve_vehicle(db.session, deal, NOW) and car.status is VehicleStatus.RESERVED


def test_stock_car_of_another_dealer_is_not_found_and_nothing_changes(app, world, a1):
    with scoped(dealer_id=world.ids["a2"], brand_id=world.ids["brand_a"]):
        foreign = stock_car(db.session.get(Dealer, world.ids["a2"]), stock_number="A2-1")
        foreign_id = foreign.id
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    with pytest.raises(LookupError):
        svc.allocate_stock(db.session, deal, foreign_id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert deal.stock_vehicle_id is None and deal.allocated_at is None and not _events(deal, "vehicle_allocated")


@pytest.mark.parametrize(("car", "message"), [
    ({"trim": "2.5 Calligraphy"}, "not the configured model and trim"),
    ({"condition": VehicleCondition.DEMO}, "not the configured model and trim"),
    ({"status": VehicleStatus.SOLD}, "no longer available"),
])
def test_stock_car_that_does_not_fit_is_refused(a1, car, message):
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    vehicle = stock_car(a1.dealer, stock_number="T9", **car)
    with pytest.raises(AllocationError, match=message):
        svc.allocate_stock(db.session, deal, vehicle.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert deal.stock_vehicle_id is None and not _events(deal, "vehicle_allocated")


def test_stock_car_held_by_another_deal_is_refused(a1):
    car = stock_car(a1.dealer, stock_number="T1")
    first = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    svc.allocate_stock(db.session, first, car.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    second = catalog_deal(a1.dealer, _customer(a1, "Jiwoo Park"), a1.consultant)
    with pytest.raises(AllocationError, match="already allocated to another deal"):
        svc.allocate_stock(db.session, second, car.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)


@pytest.mark.parametrize(("vin", "message"), [
    ("", "Enter the VIN the factory gave"),
    ("KMHL341D4PA00001", "has 17 characters, this has 16"),
    ("KMHL341D4PA0000O1", "without I, O and Q"),
    (BAD_CHECK_DIGIT_VIN, "fails the VIN check digit"),
    ("S-1234", "looks like a stock number"),
])
def test_bad_factory_vin_is_refused_with_a_message_and_nothing_is_saved(a1, vin, message):
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    with pytest.raises(AllocationError, match=message) as refused:
        svc.allocate_factory_vin(db.session, deal, vin, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert refused.value.field == "vin"
    assert (deal.factory_vin, deal.allocated_at) == (None, None) and not _events(deal, "vehicle_allocated")


def test_factory_vin_is_normalised_recorded_and_printed_on_the_contract(a1):
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    svc.allocate_factory_vin(db.session, deal, f"  {FACTORY_VIN.lower()} ", dealer=a1.dealer, actor=a1.consultant,
                             arrival_date=date(2026, 8, 3), now=NOW)
    assert (deal.factory_vin, deal.factory_arrival_date, deal.vin) == (FACTORY_VIN, date(2026, 8, 3), FACTORY_VIN)
    (event,) = _events(deal, "vehicle_allocated")
    assert event.note == f"{FACTORY_VIN} · 2026-08-03"
    contract, _created = contracts.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert contract.content["vehicle"]["vin"] == FACTORY_VIN and FACTORY_VIN in pdf_text(contracts.contract_pdf(contract))


def test_factory_vin_is_unique_among_live_deals_and_freed_by_a_cancellation(a1):
    first = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    svc.allocate_factory_vin(db.session, first, FACTORY_VIN, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    second = catalog_deal(a1.dealer, _customer(a1, "Jiwoo Park"), a1.consultant)
    with pytest.raises(AllocationError, match=f"already allocated to deal {first.number}"):
        svc.allocate_factory_vin(db.session, second, FACTORY_VIN, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert second.factory_vin is None
    deal_service.cancel(db.session, first, dealer=a1.dealer, reason="Customer withdrew", actor=a1.consultant, now=NOW)
    svc.allocate_factory_vin(db.session, second, FACTORY_VIN, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    db.session.flush()
    assert second.factory_vin == FACTORY_VIN and first.factory_vin == FACTORY_VIN  # the cancelled deal keeps its history


def test_factory_vin_of_a_stock_car_or_with_a_past_arrival_is_refused(a1):
    stock_car(a1.dealer, stock_number="T1", vin=FACTORY_VIN)
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    with pytest.raises(AllocationError, match="is a car in your stock"):
        svc.allocate_factory_vin(db.session, deal, FACTORY_VIN, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    with pytest.raises(AllocationError, match="cannot be in the past") as refused:
        svc.allocate_factory_vin(db.session, deal, "KMHJ381ABNU100001", dealer=a1.dealer, actor=a1.consultant,
                                 arrival_date=date(2026, 6, 14), now=NOW)
    assert refused.value.field == "arrival_date" and deal.factory_vin is None


def test_reallocation_frees_the_previous_stock_car_and_stops_once_contracted(a1):
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    car = stock_car(a1.dealer, stock_number="T1")
    svc.allocate_stock(db.session, deal, car.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert car.status is VehicleStatus.RESERVED
    svc.allocate_factory_vin(db.session, deal, FACTORY_VIN, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert car.status is VehicleStatus.IN_STOCK and deal.stock_vehicle_id is None and deal.factory_vin == FACTORY_VIN
    assert _events(deal, "vehicle_allocated")[-1].note == f"T1 → {FACTORY_VIN}"
    deal.state = DealState.CONTRACTED
    with pytest.raises(AllocationError, match="contract is signed"):
        svc.allocate_stock(db.session, deal, car.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert deal.factory_vin == FACTORY_VIN


def test_a_stock_offer_deal_keeps_its_car_and_cancelling_frees_an_allocated_car(a1):
    from tests import deal_factories

    stock_deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant, vehicle=deal_factories.stock_vehicle(a1.dealer))
    other = stock_car(a1.dealer, stock_number="T1")
    with pytest.raises(AllocationError, match="sells the stock car of its offer"):
        svc.allocate_stock(db.session, stock_deal, other.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    deal = catalog_deal(a1.dealer, _customer(a1, "Jiwoo Park"), a1.consultant)
    svc.allocate_stock(db.session, deal, other.id, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    deal_service.cancel(db.session, deal, dealer=a1.dealer, reason="Customer withdrew", actor=a1.consultant, now=NOW)
    assert other.status is VehicleStatus.IN_STOCK


def test_o2o_showroom_steps_also_need_a_car(a2):
    deal = catalog_deal(a2.dealer, a2.customer, a2.consultant)
    with pytest.raises(deal_service.DealError, match="Allocate a vehicle"):
        deal_service.record_offline(db.session, deal, DealAction.CONTRACT, dealer=a2.dealer, actor=a2.principal,
                                    performed_by="Jane Roe", occurred_at=NOW)
    assert deal.state is DealState.RESERVED
    svc.allocate_factory_vin(db.session, deal, FACTORY_VIN, dealer=a2.dealer, actor=a2.principal, now=NOW)
    deal_service.record_offline(db.session, deal, DealAction.CONTRACT, dealer=a2.dealer, actor=a2.principal,
                                performed_by="Jane Roe", occurred_at=NOW)
    assert deal.state is DealState.CONTRACTED


# --- the handover and the booked day ------------------------------------------------------------------

TUE = date(2026, 6, 16)  # NOW is Monday 15 June 2026, 12:00 in Seoul (03:00 UTC)


def _ready_for_handover(a1, **settings) -> Deal:
    """A catalog deal allocated to a factory VIN, contracted, booked for Tuesday 14:00, checklist done, paid."""
    from app.domain.delivery_handover import CHECKLIST

    delivery_settings(a1.dealer, **settings)
    deal = catalog_deal(a1.dealer, a1.customer, a1.consultant)
    svc.allocate_factory_vin(db.session, deal, FACTORY_VIN, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    deal.state = DealState.CONTRACTED
    deliveries.book(db.session, deal, dealer=a1.dealer, slot_date=TUE, slot_start=time(14), method="showroom_pickup",
                    actor=a1.consultant, now=NOW)
    deliveries.set_checklist(db.session, deal, {item.value for item in CHECKLIST}, actor=a1.consultant, now=NOW)
    deal.balance_paid = deal_service.settlement_of(deal).balance_due
    db.session.flush()
    return deal


def _hand_over(a1, deal, now):
    return deliveries.hand_over(db.session, deal, dealer=a1.dealer, odometer=8, signed_name=a1.customer.full_name,
                                consent=True, actor=a1.consultant, now=now)


def test_handover_is_refused_before_the_booked_day_in_the_dealers_time_zone(a1):
    deal = _ready_for_handover(a1)
    # Monday 23:59 in Seoul is still Monday 14:59 UTC: refused; Tuesday 00:00 in Seoul is Monday 15:00 UTC: allowed.
    monday_late = NOW + timedelta(hours=11, minutes=59)
    with pytest.raises(deliveries.HandoverError, match="booked for 2026-06-16") as refused:
        _hand_over(a1, deal, monday_late)
    assert refused.value.field == "odometer" and deal.state is DealState.DELIVERY_SCHEDULED
    assert deliveries.active_booking(db.session, deal).status.value == "booked"
    booking = _hand_over(a1, deal, NOW + timedelta(hours=12))
    assert booking.status.value == "completed" and deal.state is DealState.DELIVERED


def test_rebooking_to_today_takes_a_place_frees_the_old_one_and_lets_the_handover_happen(a1):
    deal = _ready_for_handover(a1, capacity_afternoon=1)
    # Today's afternoon place goes to another customer who rebooked first; the morning has two places.
    other = _ready_other(a1)
    deliveries.rebook_to_today(db.session, other, dealer=a1.dealer, slot_start=time(14), actor=a1.consultant, now=NOW)
    assert [(s.start, s.remaining) for s in deliveries.rebook_slots(db.session, a1.dealer, deal, NOW)] == [(time(10), 2)]
    with pytest.raises(deliveries.DeliveryError, match="fully booked"):
        deliveries.rebook_to_today(db.session, deal, dealer=a1.dealer, slot_start=time(14), actor=a1.consultant, now=NOW)
    assert deliveries.active_booking(db.session, deal).slot_date == TUE
    with pytest.raises(deliveries.HandoverError, match="not offered today"):
        deliveries.rebook_to_today(db.session, deal, dealer=a1.dealer, slot_start=time(9), actor=a1.consultant, now=NOW)

    moved = deliveries.rebook_to_today(db.session, deal, dealer=a1.dealer, slot_start=time(10), actor=a1.consultant, now=NOW)
    assert (moved.slot_date, moved.slot_start, moved.channel) == (NOW.date(), time(10), "staff")
    counts = deliveries.booked_counts(db.session, NOW.date(), TUE)
    assert counts[(NOW.date(), time(10))] == 1 and counts[(TUE, time(14))] == 0
    (event,) = _events(deal, "delivery_rebooked")
    assert event.note == "2026-06-16 14:00–16:00 → 2026-06-15 10:00–12:00" and event.actor_user_id == a1.consultant.id
    with pytest.raises(deliveries.DeliveryError, match="no rebooking is needed"):
        deliveries.rebook_to_today(db.session, deal, dealer=a1.dealer, slot_start=time(10), actor=a1.consultant, now=NOW)
    assert _hand_over(a1, deal, NOW).status.value == "completed" and deal.state is DealState.DELIVERED


def test_rebooking_is_refused_on_a_closed_day(a1):
    deal = _ready_for_handover(a1, closures=(NOW.date(),))
    with pytest.raises(deliveries.HandoverError, match="no deliveries on that day"):
        deliveries.rebook_to_today(db.session, deal, dealer=a1.dealer, slot_start=time(10), actor=a1.consultant, now=NOW)
    assert deliveries.rebook_slots(db.session, a1.dealer, deal, NOW) == []


def _ready_other(a1) -> Deal:
    customer = _customer(a1, "Jiwoo Park")
    deal = catalog_deal(a1.dealer, customer, a1.consultant)
    svc.allocate_factory_vin(db.session, deal, "KMHJ381ABNU100009", dealer=a1.dealer, actor=a1.consultant, now=NOW)
    deal.state = DealState.CONTRACTED
    deliveries.book(db.session, deal, dealer=a1.dealer, slot_date=date(2026, 6, 17), slot_start=time(10),
                    method="showroom_pickup", actor=a1.consultant, now=NOW)
    return deal
