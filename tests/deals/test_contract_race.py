"""Two signatures of one contract posted at the same moment sign it once (row lock; PostgreSQL only)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session

from app.domain.deal_states import DealState
from app.domain.roles import BusinessModel
from app.models.accounts import Brand, Dealer
from app.models.audit import AuditEvent
from app.models.contracts import Contract, ContractState
from app.models.customers import Customer
from app.models.deals import Deal, DealEvent
from app.models.mail import OutboxMessage
from app.services import contracts as svc
from app.tenancy import all_tenants, scoped
from tests.conftest import is_postgres


@pytest.mark.no_db
@pytest.mark.skipif(not is_postgres(), reason="row-lock concurrency is a PostgreSQL property")
def test_parallel_customer_signatures_sign_once(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=4)
    with app.app_context():
        with Session(engine) as session, all_tenants():
            brand = Brand(slug="contract-race", name="Race", country="KR", default_locale="ko", currency="KRW", timezone="Asia/Seoul")
            session.add(brand)
            session.flush()
            dealer = Dealer(brand_id=brand.id, code="CRACE", slug="contract-race-dealer", name="Race Motors", country="KR",
                            locale="ko", currency="KRW", timezone="Asia/Seoul", business_model=BusinessModel.E2E)
            session.add(dealer)
            session.commit()
            dealer_id, brand_id = dealer.id, brand.id
        try:
            with Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
                customer = Customer(full_name="김민준", email="race@example.com", preferred_locale="ko")
                session.add(customer)
                session.flush()
                deal = Deal(number="CRACE-1", customer_id=customer.id, business_model="E2E", state=DealState.RESERVED,
                            currency="KRW", locale="ko", out_the_door_price=Decimal("35150000"), vehicle_label="Tucson",
                            factory_vin="KMHL341D4PA000001")
                session.add(deal)
                session.flush()
                contract, _ = svc.generate(session, deal, dealer=session.get(Dealer, dealer_id), actor=None)
                session.commit()
                contract_id = contract.id

            barrier = threading.Barrier(2)
            results: list[str] = []
            lock = threading.Lock()

            def sign(ip: str) -> None:
                with app.app_context(), Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
                    row = session.get(Contract, contract_id)
                    barrier.wait()
                    try:
                        svc.sign_by_customer(session, row, typed_name="김민준", consent=True, ip=ip, user_agent="race")
                        session.commit()
                        outcome = "signed"
                    except Exception as exc:  # noqa: BLE001 - any failure is reported in the assertion
                        session.rollback()
                        outcome = str(exc)
                    with lock:
                        results.append(outcome)

            threads = [threading.Thread(target=sign, args=(f"203.0.113.{n}",)) for n in (1, 2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(results) == ["You have already signed this contract.", "signed"]
            with Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
                row = session.get(Contract, contract_id)
                assert row.state is ContractState.CUSTOMER_SIGNED
                events = session.scalars(DealEvent.__table__.select().where(DealEvent.kind == "contract_signed_by_customer")).all()
                assert len(events) == 1
        finally:
            with Session(engine) as session, all_tenants():
                for model in (AuditEvent, OutboxMessage):
                    session.execute(delete(model).where(model.dealer_id == dealer_id))
                for model in (Contract, DealEvent, Deal, Customer):
                    session.execute(delete(model).where(model.dealer_id == dealer_id))
                session.execute(delete(Dealer).where(Dealer.id == dealer_id))
                session.execute(delete(Brand).where(Brand.id == brand_id))
                session.commit()
            engine.dispose()
