"""Offer numbers are unique per dealer and year, also under concurrent creation on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, delete, select
from sqlalchemy.orm import Session

from app.domain.roles import BusinessModel
from app.extensions import db
from app.models.accounts import Brand, Dealer
from app.models.offers import OfferNumberCounter
from app.services.offer_numbers import allocate_offer_number
from app.tenancy import all_tenants, scoped
from tests.conftest import is_postgres


def test_numbers_increase_per_dealer_and_reset_per_local_year(app, world):
    with app.app_context():
        with all_tenants():
            a1 = db.session.get(Dealer, world.ids["a1"])
            b1 = db.session.get(Dealer, world.ids["b1"])
        with scoped(dealer_id=a1.id, brand_id=a1.brand_id):
            first = allocate_offer_number(db.session, a1, datetime(2026, 6, 1, tzinfo=UTC))
            second = allocate_offer_number(db.session, a1, datetime(2026, 6, 1, tzinfo=UTC))
            # 16:00 UTC on 31 Dec is already 1 Jan 2027 in Seoul: a new year's series
            new_year = allocate_offer_number(db.session, a1, datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
        with scoped(dealer_id=b1.id, brand_id=b1.brand_id):
            other = allocate_offer_number(db.session, b1, datetime(2026, 6, 1, tzinfo=UTC))
    assert first == f"{a1.code}-2026-000001"
    assert second == f"{a1.code}-2026-000002"
    assert new_year == f"{a1.code}-2027-000001"
    assert other == f"{b1.code}-2026-000001"


def test_naive_time_refused(app, world):
    with app.app_context(), all_tenants():
        a1 = db.session.get(Dealer, world.ids["a1"])
        with pytest.raises(ValueError):
            allocate_offer_number(db.session, a1, datetime(2026, 6, 1))


@pytest.mark.no_db
@pytest.mark.skipif(not is_postgres(), reason="row-lock concurrency is a PostgreSQL property")
def test_parallel_allocation_never_duplicates(app):
    """16 threads × 10 numbers each, every one in its own committed transaction."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=20)
    with Session(engine) as session, all_tenants():
        brand = Brand(slug="race-brand", name="Race", country="KR", default_locale="ko", currency="KRW", timezone="Asia/Seoul")
        session.add(brand)
        session.flush()
        dealer = Dealer(
            brand_id=brand.id, code="RACE", slug="race-dealer", name="Race", country="KR", locale="ko", currency="KRW",
            timezone="Asia/Seoul", business_model=BusinessModel.E2E,
        )
        session.add(dealer)
        session.commit()
        dealer_id, brand_id = dealer.id, brand.id
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait()
            for _ in range(10):
                with Session(engine) as session, scoped(dealer_id=dealer_id, brand_id=brand_id):
                    dealer = session.get(Dealer, dealer_id)
                    number = allocate_offer_number(session, dealer, datetime(2026, 6, 1, tzinfo=UTC))
                    session.commit()
                with lock:
                    numbers.append(number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors, errors
        assert len(numbers) == 160
        assert len(set(numbers)) == 160
        assert sorted(numbers) == [f"RACE-2026-{n:06d}" for n in range(1, 161)]
    finally:
        with Session(engine) as session, all_tenants():
            session.execute(delete(OfferNumberCounter).where(OfferNumberCounter.dealer_id == dealer_id))
            session.execute(delete(Dealer).where(Dealer.id == dealer_id))
            session.execute(delete(Brand).where(Brand.id == brand_id))
            session.commit()
            assert session.scalar(select(Brand).where(Brand.slug == "race-brand")) is None
        engine.dispose()
