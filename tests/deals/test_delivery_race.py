"""Two customers booking the last place of a delivery slot at the same time: only one gets it (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session

from app.domain.deal_states import DealState
from app.domain.roles import BusinessModel
from app.models.accounts import Brand, Dealer
from app.models.audit import AuditEvent
from app.models.customers import Customer
from app.models.dealer_settings import DeliveryClosure, DeliveryConfig, DeliverySlotSetting
from app.models.deals import Deal, DealEvent
from app.models.deliveries import BookingStatus, DeliveryBooking, DeliverySlotCounter
from app.models.mail import OutboxMessage
from app.services import deliveries as svc
from app.tenancy import all_tenants, scoped
from tests.conftest import is_postgres
from tests.finance_factories import factory_vin

RACERS = 8
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)  # Monday 12:00 in Seoul
TUESDAY = date(2026, 6, 16)


@pytest.mark.no_db
@pytest.mark.skipif(not is_postgres(), reason="row-lock concurrency is a PostgreSQL property")
@pytest.mark.parametrize("capacity", [2, 1], ids=["counter-exists", "counter-created-by-the-race"])
def test_last_place_of_a_slot_goes_to_one_customer_only(app, capacity):
    """8 customers race on their own connections for the last place of a slot.

    Capacity 2 with one place already taken (the counter row exists: the conditional UPDATE decides),
    or capacity 1 with no booking yet (every racer tries to create the counter row: the unique key
    and the fallback UPDATE decide).
    """
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=RACERS + 2)
    with Session(engine) as session, all_tenants():
        brand = Brand(slug="slot-race-brand", name="Race", country="KR", default_locale="en", currency="KRW", timezone="Asia/Seoul")
        session.add(brand)
        session.flush()
        dealer = Dealer(brand_id=brand.id, code="SLOTRACE", slug="slot-race-dealer", name="Slot Race", country="KR", locale="en",
                        currency="KRW", timezone="Asia/Seoul", business_model=BusinessModel.E2E)
        session.add(dealer)
        session.flush()
        session.add(DeliveryConfig(dealer_id=dealer.id, showroom_pickup=True, home_delivery=False, lead_time_days=1))
        session.add(DeliverySlotSetting(dealer_id=dealer.id, weekday=TUESDAY.weekday(), start=time(14), end=time(16), capacity=capacity))
        deal_ids = []
        for n in range(RACERS + 1):
            customer = Customer(dealer_id=dealer.id, full_name=f"Racer {n}", email=f"racer{n}@example.com")
            session.add(customer)
            session.flush()
            deal = Deal(dealer_id=dealer.id, number=f"SLOTRACE-{n}", customer_id=customer.id, business_model="E2E",
                        state=DealState.CONTRACTED, currency="KRW", locale="en", out_the_door_price=Decimal(30000000),
                        factory_vin=factory_vin(n))  # a car allocated: booking needs one
            session.add(deal)
            session.flush()
            deal_ids.append(deal.id)
        session.commit()
        dealer_id, brand_id = dealer.id, brand.id

    def book(session: Session, deal_id: int) -> None:
        dealer = session.get(Dealer, dealer_id)
        deal = session.get(Deal, deal_id)
        svc.book(session, deal, dealer=dealer, slot_date=TUESDAY, slot_start=time(14), method="showroom_pickup", now=NOW)
        session.commit()

    first = [deal_ids[0]] if capacity == 2 else []
    if first:
        with app.app_context(), Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
            book(session, first[0])  # the first place goes without a race

    won: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(RACERS)
    lock = threading.Lock()

    def racer(deal_id: int) -> None:
        try:
            with app.app_context(), Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
                barrier.wait()
                try:
                    book(session, deal_id)
                except svc.DeliveryError as exc:
                    session.rollback()
                    with lock:
                        refused.append(str(exc))
                else:
                    with lock:
                        won.append(deal_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=racer, args=(deal_id,)) for deal_id in deal_ids[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors, errors
        assert len(won) == 1, won
        assert refused == ["This slot is fully booked. Please choose another time."] * (RACERS - 1)
        with Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
            assert session.scalar(select(DeliverySlotCounter.booked)) == capacity
            live = session.scalars(select(DeliveryBooking.deal_id).where(DeliveryBooking.status == BookingStatus.BOOKED)).all()
            assert sorted(live) == sorted([*first, *won])
            scheduled = session.scalar(select(func.count(Deal.id)).where(Deal.state == DealState.DELIVERY_SCHEDULED))
            assert scheduled == capacity
    finally:
        with Session(engine) as session, all_tenants():
            for model in (DeliveryBooking, DeliverySlotCounter, DealEvent, Deal, Customer, DeliverySlotSetting, DeliveryConfig,
                          DeliveryClosure, OutboxMessage, AuditEvent):
                session.execute(delete(model).where(model.dealer_id == dealer_id))
            session.execute(delete(Dealer).where(Dealer.id == dealer_id))
            session.execute(delete(Brand).where(Brand.id == brand_id))
            session.commit()
            assert session.scalar(select(Brand).where(Brand.slug == "slot-race-brand")) is None
        engine.dispose()
