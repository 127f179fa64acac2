"""Benchmark the offer builder: re-price, offer list and PDF, on a dealer with 10,000 offers.

Usage::

    python bench/offer_bench.py [--offers 10000] [--runs 200] [--database-url postgresql+psycopg://...]

Always runs on a fresh SQLite file; also on PostgreSQL when ``--database-url`` or
``TEST_DATABASE_URL`` is given (the database's ``public`` schema is dropped and rebuilt!).
Requests go through the Flask test client in-process (no network), signed in as the dealer's
consultant; "server time" is the wall time of one request inside the process. SQL statements are
counted with a ``before_cursor_execute`` listener. Goals (issue #6): re-price p95 ≤ 30 ms with
≤ 8 statements; offer list p95 ≤ 50 ms, with or without a search; PDF p95 ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

D = Decimal
ALL = ("vehicle", "options", "accessories", "fees")
KEY_RE = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Counter:
    """Count SQL statements run while ``active``."""

    def __init__(self) -> None:
        self.active = False
        self.count = 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        # Transaction bookkeeping (BEGIN, SAVEPOINT…) is not a query; the test suite counts the same way.
        if self.active and not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.count += 1


def seed(offers: int) -> dict:
    """Create a Seoul dealer with settings, a published catalog, a promotion, a preset, a bank and ``offers`` offers."""
    from app.domain.offer_states import OfferState
    from app.domain.roles import Role
    from app.extensions import db
    from app.models.customers import Customer
    from app.models.dealer_settings import ConsultantProfile
    from app.models.offers import Offer, OfferNumberCounter, OfferRevision
    from app.services import dealer_settings as ds
    from app.services import offer_builder, partner_banks
    from app.services import offers as offer_service
    from app.tenancy import scoped
    from tests import factories
    from tests.corporate import factories as cf
    from tests.offers.helpers import publish_catalog

    brand = factories.brand(name="Hyundai Motor Korea")
    dealer = factories.dealer(brand, code="SEOUL1", name="Gangnam Motors Seoul")
    consultant = factories.user(Role.SALES_CONSULTANT, dealer_obj=dealer, name="정우진")
    principal = factories.user(Role.DEALER_PRINCIPAL, dealer_obj=dealer, name="박지훈")
    with scoped(dealer_id=dealer.id, brand_id=brand.id):
        ds.replace_fee_tax_table(db.session, dealer, [ds.FeeInput("DELIVERY", "탁송료", D(250000), True),
                                                      ds.FeeInput("REG", "등록비", D(150000), True)],
                                 [ds.TaxInput("VAT", "부가가치세 10%", D(10), ALL, True, False)])
        db.session.add(ConsultantProfile(dealer_id=dealer.id, user_id=consultant.id, discount_max_amount=D(500000)))
        preset = ds.save_preset(db.session, dealer, None, ds.PresetInput("재구매 고객 할인", "amount", D(300000), stackable=True))
        bank = partner_banks.save_bank(db.session, None, brand_id=brand.id, name="현대캐피탈",
                                       bands=[partner_banks.AprBand(1, 36, D("4.50")), partner_banks.AprBand(37, 72, D("5.20"))],
                                       min_down_payment_percent=D(0), max_term=72)
    publish_catalog(brand.id, model_code="TUCSON", model_name="Tucson", trim_code="TUC-INS", trim_name="Inspiration",
                    msrp=D(35000000), exterior=[("A2B", "Amazon Gray", D(80000)), ("WW2", "White", D(0))],
                    interior=[("NNB", "Black", D(0))],
                    options=[("SUNRF", "Sunroof", D(890000), []), ("HUD", "Head-up display", D(590000), [])],
                    accessories=[("MAT-01", "Floor mats", D(150000))])
    with scoped(brand_id=brand.id):
        cf.promotion(brand.id, code="SPRING", name="Spring bonus", amount=D(1000000), published=True,
                     valid_from=cf.local("2020-01-01 00:00"), valid_until=cf.local("2099-12-31 23:59"))
    now = datetime.now(UTC)
    with scoped(dealer_id=dealer.id, brand_id=brand.id):
        customers = [Customer(dealer_id=dealer.id, full_name=f"고객 {n}", email=f"c{n}@example.com") for n in range(500)]
        db.session.add_all(customers)
        db.session.flush()
        # One real priced offer through the builder; its snapshot is reused for the bulk rows.
        data = offer_builder.BuilderInput(model_code="TUCSON", trim_code="TUC-INS", exterior_code="A2B",
                                          interior_code="NNB", option_codes=("SUNRF",), preset_ids=(preset.id,))
        membership = consultant.memberships[0]
        built = offer_builder.build(db.session, dealer=dealer, user=consultant, membership=membership, data=data,
                                    now=now, locale="ko")
        assert built.ok, built.errors
        first = offer_builder.save(db.session, dealer=dealer, user=consultant, result=built, customer=customers[0],
                                   offer=None, base_revision_no=None, idempotency_key="bench-0", now=now)
        snapshot = offer_service.current_revision(first).snapshot
        digest = offer_service.content_hash(snapshot)
        states = [OfferState.DRAFT, OfferState.SENT, OfferState.VIEWED, OfferState.ACCEPTED, OfferState.PENDING_APPROVAL,
                  OfferState.DECLINED, OfferState.EXPIRED]
        year = now.year
        rows = [
            {"dealer_id": dealer.id, "number": f"SEOUL1-{year}-{n + 2:06d}", "customer_id": customers[n % 500].id,
             "consultant_id": (consultant if n % 3 else principal).id, "state": states[n % len(states)],
             "current_revision_no": 1, "currency": "KRW", "locale": "ko", "valid_until": date.today() + timedelta(days=30),
             "out_the_door_price": first.out_the_door_price + n, "vehicle_label": first.vehicle_label,
             "created_at": now - timedelta(minutes=n), "updated_at": now - timedelta(minutes=n)}
            for n in range(offers - 1)
        ]
        ids = list(db.session.scalars(insert(Offer).returning(Offer.id), rows))
        db.session.execute(insert(OfferRevision), [
            {"dealer_id": dealer.id, "offer_id": offer_id, "revision_no": 1, "inputs": data.to_json(), "snapshot": snapshot,
             "content_hash": digest, "out_the_door_price": first.out_the_door_price, "discount_total": D(300000),
             "needs_approval": False, "approval_reasons": [], "created_at": now}
            for offer_id in ids
        ])
        counter = db.session.query(OfferNumberCounter).one()
        counter.last_value = offers + 1
        db.session.commit()
        return {"slug": dealer.slug, "email": consultant.email, "preset": preset.id, "bank": bank.id,
                "customer": customers[1].id, "offer": first.id}


def measure(client, method: str, url: str, counter: Counter, runs: int, **kwargs) -> tuple[list[float], int]:
    """Run the request ``runs`` times; return the times in ms and the statements of the last run."""
    times = []
    for _ in range(runs):
        counter.count = 0
        counter.active = True
        started = time.perf_counter()
        response = client.open(url, method=method, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        counter.active = False
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
        times.append(elapsed)
    return times, counter.count


def pct(values: list[float], q: float) -> float:
    """Return the ``q`` quantile (0..1) of ``values`` (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] if len(values) > 1 else values[0]


def run(database_url: str, label: str, offers: int, runs: int) -> None:
    """Migrate, seed and measure on ``database_url``; print one table."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from tests.factories import PASSWORD

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        if database_url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        started = time.perf_counter()
        with app.test_request_context():  # the builder's messages and labels are translated
            ids = seed(offers)
        seeded = time.perf_counter() - started
        db.session.remove()
        # A bulk load leaves the planner without statistics (autovacuum would ANALYZE soon after in
        # production); without them PostgreSQL picks nested loops and the list takes ~1 s.
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    counter = Counter()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"email": ids["email"], "password": PASSWORD,
                                    "csrf_token": CSRF_RE.search(login_page).group(1)})
        base = f"/d/{ids['slug']}/offers"
        page = client.get(f"{base}/new").get_data(as_text=True)
        form = {"csrf_token": CSRF_RE.search(page).group(1), "idempotency_key": KEY_RE.search(page).group(1),
                "customer_id": ids["customer"], "source": "catalog", "model_code": "TUCSON", "trim_code": "TUC-INS",
                "exterior_code": "A2B", "interior_code": "NNB", "option_codes": ["SUNRF", "HUD"],
                "accessory_codes": "MAT-01", "preset_ids": ids["preset"], "manual_value": "200000",
                "trade_allowance": "8000000", "trade_payoff": "2000000", "finance_enabled": "y",
                "finance_bank_id": ids["bank"], "finance_term": "60", "finance_down": "5000000",
                "lease_enabled": "y", "lease_apr": "5.9", "lease_term": "36", "lease_residual": "55"}
        headers = {"HX-Request": "true"}
        results = [
            ("re-price (HTMX)", *measure(client, "POST", f"{base}/reprice", counter, runs, data=form, headers=headers)),
            ("offer list (page)", *measure(client, "GET", f"{base}/?consultant=0", counter, max(runs // 4, 20))),
            ("offer list (HTMX, search)", *measure(client, "GET", f"{base}/?consultant=0&q=SEOUL1", counter,
                                                   max(runs // 4, 20), headers=headers)),
            # A selective search through the customers' names: 고객 42 and 고객 420…429, 220 offers.
            ("offer list (HTMX, name)", *measure(client, "GET", f"{base}/?" + urlencode({"consultant": 0, "q": "고객 42"}),
                                                 counter, max(runs // 4, 20), headers=headers)),
            ("builder page", *measure(client, "GET", f"{base}/new", counter, max(runs // 10, 10))),
            ("offer PDF", *measure(client, "GET", f"{base}/{ids['offer']}/pdf", counter, max(runs // 10, 10))),
        ]
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    print(f"\n{label}: {offers:,} offers seeded in {seeded:.1f} s")
    print(f"{'request':<28}{'runs':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'SQL':>6}")
    for name, times, statements in results:
        print(f"{name:<28}{len(times):>6}{statistics.median(times):>10.1f}{pct(times, 0.95):>10.1f}{max(times):>10.1f}{statements:>6}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", "SQLite", args.offers, args.runs)
    if args.database_url:
        run(args.database_url, "PostgreSQL", args.offers, args.runs)


if __name__ == "__main__":
    main()
