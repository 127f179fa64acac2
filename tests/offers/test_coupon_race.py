"""Customers accepting offers with the same single-use coupon at the same time: only one gets it (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, or_, select
from sqlalchemy.orm import Session

from app.domain.offer_states import OfferState
from app.domain.pricing import PricingInput, StockVehicle, price_offer
from app.domain.roles import BusinessModel
from app.models.accounts import Brand, Dealer
from app.models.base import Base
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.offers import Offer
from app.models.promotions import Coupon, Promotion, PromotionRedemption
from app.services import deals as deal_service
from app.services import offers as offer_service
from app.services import promotions as promotion_service
from app.services.promotion_redemptions import PromotionUsedUp
from app.tenancy import all_tenants, scoped
from tests.conftest import is_postgres
from tests.offer_factories import AUTHORITY, KRW_TABLE, POLICY

RACERS = 4
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
D = Decimal


def _purge(session: Session, dealer_id: int, brand_id: int) -> None:
    """Delete every row of the race's dealer and brand, children first."""
    for table in reversed(Base.metadata.sorted_tables):
        conditions = []
        if "dealer_id" in table.c:
            conditions.append(table.c.dealer_id == dealer_id)
        if "brand_id" in table.c:
            conditions.append(table.c.brand_id == brand_id)
        if conditions:
            session.execute(table.delete().where(or_(*conditions)))
    session.execute(Brand.__table__.delete().where(Brand.id == brand_id))
    session.commit()


@pytest.mark.no_db
@pytest.mark.skipif(not is_postgres(), reason="row-lock concurrency is a PostgreSQL property; SQLite serialises writers")
def test_single_use_coupon_goes_to_one_acceptance_only(app):
    """Offers priced with the same single-use coupon are accepted at once on their own connections: one wins."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=RACERS + 2)
    with app.app_context(), Session(engine) as session, all_tenants():
        brand = Brand(slug="coupon-race-brand", name="Race", country="KR", default_locale="en", currency="KRW",
                      timezone="Asia/Seoul")
        session.add(brand)
        session.flush()
        dealer = Dealer(brand_id=brand.id, code="CPNRACE", slug="coupon-race-dealer", name="Coupon Race", country="KR",
                        locale="en", currency="KRW", timezone="Asia/Seoul", business_model=BusinessModel.E2E)
        promotion = Promotion(brand_id=brand.id, code="RACE", name="Race coupon", kind="coupon", scope="order",
                              currency="KRW", amount=D(100000), targets={}, published=True)
        session.add_all([dealer, promotion])
        session.flush()
        promotion.coupons = [Coupon(brand_id=brand.id, code="ONCE", max_uses=1, used_count=0)]
        session.flush()
        promo = promotion_service.to_domain(promotion, brand.timezone)
        offer_ids = []
        for n in range(RACERS):
            customer = Customer(dealer_id=dealer.id, full_name=f"Racer {n}")
            session.add(customer)
            session.flush()
            priced = price_offer(PricingInput(
                currency="KRW", brand_id=brand.id, dealer_id=dealer.id, now_utc=NOW, fee_tax_table=KRW_TABLE,
                vehicle=StockVehicle(stock_number="S1", label="Tucson", model_code="TUC", trim_code="TUC-INS",
                                     list_price=D(35000000), acquisition_cost=D(31000000)),
                promotions=(promo,), coupon_codes=("once",),
            ))
            assert [p.coupon_code for p in priced.applied_promotions] == ["ONCE"]
            offer = offer_service.create_offer(
                session, dealer=dealer, customer=customer, consultant=None, inputs={}, priced=priced,
                approval=priced.approval.check(AUTHORITY, POLICY), vehicle={"label": "Tucson"}, texts={},
                valid_until=date(2099, 1, 1), locale="en", now=NOW)
            offer.state = OfferState.SENT  # as sent to the customer
            offer_ids.append(offer.id)
        session.commit()
        dealer_id, brand_id, coupon_id = dealer.id, brand.id, promotion.coupons[0].id

    won: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(RACERS)
    lock = threading.Lock()

    def racer(offer_id: int) -> None:
        try:
            with app.app_context(), Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
                dealer = session.get(Dealer, dealer_id)
                offer = session.get(Offer, offer_id)
                offer_service.current_revision(offer)  # loaded before the start line: the race is on the UPDATE
                barrier.wait()
                try:
                    offer_service.accept_offer(session, offer, typed_name="Racer", conditions_accepted=True, now=NOW)
                    deal_service.open_from_offer(session, offer, dealer, now=NOW)
                    session.commit()
                except PromotionUsedUp as exc:
                    session.rollback()
                    with lock:
                        refused.append(str(exc))
                else:
                    with lock:
                        won.append(offer_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=racer, args=(offer_id,)) for offer_id in offer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors, errors
        assert len(won) == 1, won
        assert refused == ["Coupon ONCE has already been used"] * (RACERS - 1)
        with Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
            assert session.get(Coupon, coupon_id).used_count == 1
            promotion = session.scalar(select(Promotion))
            assert (promotion.budget_used_count, promotion.budget_used_amount) == (1, D(100000))
            assert session.scalars(select(PromotionRedemption.offer_id)).all() == won
            assert session.scalar(select(func.count(Deal.id))) == 1
            states = session.scalars(select(Offer.state).order_by(Offer.id)).all()
            assert sorted(states) == sorted([OfferState.ACCEPTED] + [OfferState.SENT] * (RACERS - 1))
    finally:
        with Session(engine) as session, all_tenants():
            _purge(session, dealer_id, brand_id)
        engine.dispose()
