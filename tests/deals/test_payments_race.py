"""Two customers pay for the same car at the same moment (PostgreSQL, real parallel connections).

Each webhook is handled in its own thread, connection and transaction, released together by a
barrier. Exactly one reserves the car; the other's money is refunded automatically, its deal
cancelled and the customer told. A duplicated webhook racing itself records the deposit once.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session

from app.domain.deal_states import DealState
from app.domain.roles import BusinessModel
from app.models.accounts import Brand, Dealer
from app.models.base import Base, utcnow
from app.models.customers import Customer
from app.models.dealer_settings import ReservationSettings
from app.models.deals import Deal
from app.models.inventory import StockVehicle, VehicleCondition, VehicleStatus
from app.models.mail import OutboxMessage
from app.models.payments import Payment, PaymentEvent, PaymentKind, PaymentStatus, TestWebhook
from app.services import deals as deal_service
from app.services import payments as svc
from app.services.payments.test_provider import SUCCESS_CARD, deliver_pending
from app.tenancy import all_tenants, scoped
from tests.conftest import is_postgres

pytestmark = [pytest.mark.no_db, pytest.mark.skipif(not is_postgres(), reason="row-lock concurrency is a PostgreSQL property")]


def _setup(app, engine, n_customers: int):
    with app.test_request_context("/"), Session(engine) as session:
        with all_tenants():
            brand = Brand(slug="pay-race-brand", name="Race", country="KR", default_locale="ko", currency="KRW", timezone="Asia/Seoul")
            session.add(brand)
            session.flush()
            dealer = Dealer(brand_id=brand.id, code="PAYRACE", slug="pay-race-dealer", name="Race Motors", country="KR",
                            locale="ko", currency="KRW", timezone="Asia/Seoul", business_model=BusinessModel.O2O)
            session.add(dealer)
            session.commit()
            ids = {"brand": brand.id, "dealer": dealer.id, "deals": [], "payments": []}
        with scoped(dealer_id=dealer.id, brand_id=brand.id):
            session.add(ReservationSettings(dealer_id=dealer.id, default_deposit=Decimal("500000"), refundable=True, refundable_days=7))
            car = StockVehicle(dealer_id=dealer.id, vin="KMHJ381ABNU654321", stock_number="R1", condition=VehicleCondition.NEW,
                               model_year=2026, make="Hyundai", model="Tucson", price=Decimal("35000000"), currency="KRW",
                               status=VehicleStatus.IN_STOCK)
            session.add(car)
            session.flush()
            ids["car"] = car.id
            for n in range(n_customers):
                customer = Customer(dealer_id=dealer.id, full_name=f"Buyer {n}", email=f"buyer{n}@example.com", preferred_locale="en")
                session.add(customer)
                session.flush()
                deal = deal_service.open_reservation(session, dealer, customer=customer, vehicle=car, locale="en")
                payment = svc.start_checkout(session, deal, return_url="http://localhost/p/x")
                provider = svc.provider_for(session, "test")
                provider.pay(provider.checkout(payment.provider_reference), SUCCESS_CARD, now=utcnow())
                ids["deals"].append(deal.id)
                ids["payments"].append(payment.id)
            session.commit()
    return ids


def _cleanup(engine, ids):
    with Session(engine) as session, all_tenants():
        for table in reversed(Base.metadata.sorted_tables):
            if "dealer_id" in table.c and table.name != "dealer":
                session.execute(delete(table).where(table.c.dealer_id == ids["dealer"]))
        session.execute(delete(Dealer.__table__).where(Dealer.__table__.c.id == ids["dealer"]))
        session.execute(delete(Brand.__table__).where(Brand.__table__.c.id == ids["brand"]))
        session.commit()
        assert session.scalar(select(Brand).where(Brand.slug == "pay-race-brand")) is None


def _deliver_in_parallel(app, engine, dealer_id, rows: list[tuple[str, str]]):
    """Deliver each (session_id, body) in its own thread and connection; return the statuses."""
    barrier = threading.Barrier(len(rows))
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(session_id: str, body: str):
        try:
            with app.app_context(), Session(engine) as session:
                with scoped(dealer_id=dealer_id):
                    provider = svc.provider_for(session, "test")
                    row = session.scalar(select(TestWebhook).where(TestWebhook.body == body))
                    headers = provider.signed_headers(row, timestamp=int(utcnow().timestamp()))
                    session.commit()
                barrier.wait()
                status, _ = svc.handle_webhook_delivery(session, "test", headers, body.encode())
            with lock:
                statuses.append(status)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=row) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return statuses


def _webhooks(engine, dealer_id):
    with Session(engine) as session, scoped(dealer_id=dealer_id):
        return [(w.session_id, w.body) for w in session.scalars(select(TestWebhook).order_by(TestWebhook.id))]


def test_two_customers_racing_for_one_car(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=10)
    ids = _setup(app, engine, 2)
    try:
        rows = _webhooks(engine, ids["dealer"])
        assert len(rows) == 2
        assert _deliver_in_parallel(app, engine, ids["dealer"], rows) == [200, 200]
        with app.test_request_context("/"), Session(engine) as session, scoped(dealer_id=ids["dealer"]):
            deals = [session.get(Deal, deal_id) for deal_id in ids["deals"]]
            states = sorted(deal.state.value for deal in deals)
            assert states == [DealState.CANCELLED.value, DealState.RESERVED.value]
            winner = next(d for d in deals if d.state is DealState.RESERVED)
            loser = next(d for d in deals if d.state is DealState.CANCELLED)
            assert session.get(StockVehicle, ids["car"]).status is VehicleStatus.RESERVED
            assert winner.deposit_paid == Decimal("500000")
            refunds = list(session.scalars(select(Payment).where(Payment.kind == PaymentKind.REFUND)))
            assert len(refunds) == 1 and refunds[0].deal_id == loser.id and refunds[0].amount == Decimal("500000")
            # The provider confirms the refund: the loser's deposit is back to zero.
            deliver_pending(session)
            session.expire_all()
            loser = session.get(Deal, loser.id)
            assert loser.deposit_paid == 0
            loser_payment = session.scalar(select(Payment).where(Payment.deal_id == loser.id, Payment.kind == PaymentKind.DEPOSIT))
            assert loser_payment.status is PaymentStatus.REFUNDED
            told = session.scalars(select(OutboxMessage.subject).where(OutboxMessage.recipients.contains(loser.customer.email)))
            assert any("being refunded" in subject for subject in told)
    finally:
        _cleanup(engine, ids)
        engine.dispose()


def test_one_webhook_delivered_twice_at_once_records_one_deposit(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=10)
    ids = _setup(app, engine, 1)
    try:
        [row] = _webhooks(engine, ids["dealer"])
        statuses = _deliver_in_parallel(app, engine, ids["dealer"], [row, row, row, row])
        assert statuses == [200, 200, 200, 200]
        with Session(engine) as session, scoped(dealer_id=ids["dealer"]):
            deal = session.get(Deal, ids["deals"][0])
            assert deal.deposit_paid == Decimal("500000") and deal.state is DealState.RESERVED
            assert session.scalar(select(func.count(PaymentEvent.id))) == 1
            assert session.scalar(select(func.count(Payment.id)).where(Payment.kind == PaymentKind.REFUND)) == 0
    finally:
        _cleanup(engine, ids)
        engine.dispose()
