"""25 consultants saving offers at once on a SQLite file behind a threaded server: every save succeeds.

Before WAL, the busy timeout and ``BEGIN IMMEDIATE`` (``app/database.py``) 23 of 25 such saves failed with
"database is locked" (500). The server is a real threaded werkzeug server on 127.0.0.1 (ephemeral port) with
its own app instance and its own migrated SQLite file; each consultant is a ``requests`` session with its
own cookie jar. The server's requests run on their own connections, which the per-test rollback cannot wrap,
hence ``no_db``.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from flask import got_request_exception
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.domain.roles import Role
from app.extensions import db
from app.models.accounts import Dealer
from app.models.offers import Offer
from app.services import dealer_settings as ds
from app.services import offer_builder
from app.tenancy import all_tenants, scoped
from tests import factories
from tests.conftest import fresh_app
from tests.corporate import factories as cf
from tests.offers.helpers import publish_catalog, settings

CONSULTANTS = 25
MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
KEY_RE = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
D = Decimal


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, html[:300]
    return match.group(1) or match.group(2)


def _seed(app) -> tuple[str, int, list[str]]:
    """Commit dealer A1 with a one-model catalog, a customer and ``CONSULTANTS`` consultants; return (slug, customer, e-mails)."""
    with app.app_context():
        world = factories.build_world()
        with all_tenants():
            dealer = db.session.get(Dealer, world.ids["a1"])
            consultants = [factories.user(Role.SALES_CONSULTANT, dealer_obj=dealer, email=f"racer{n}@example.com")
                           for n in range(CONSULTANTS)]
            db.session.flush()
            settings(dealer, fees=[ds.FeeInput("DELIVERY", "Delivery", D(250000), True)], taxes=[],
                     authority=(D(500000), None), consultant_ids=[u.id for u in consultants])
            publish_catalog(world.ids["brand_a"], model_code="TUCSON", model_name="Tucson", trim_code="TUC-INS",
                            trim_name="Inspiration", msrp=D(35000000), exterior=[("A2B", "Amazon Gray", D(80000))],
                            interior=[("NNB", "Black", D(0))], options=[])
            with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
                customer = cf.customer(world.ids["a1"], full_name="Kim Minjun", email="minjun.kim@example.com")
            result = world.slugs["a1"], customer.id, [u.email for u in consultants]
        db.session.commit()
        return result


@pytest.mark.no_db
def test_parallel_offer_saves_on_sqlite_all_succeed(app, tmp_path):
    uri = f"sqlite:///{tmp_path / 'concurrent.db'}"
    offer_builder.clear_catalog_cache()  # keyed by release id: the suite's own database's ids must not leak in
    errors: list[BaseException] = []
    with fresh_app(app, SQLALCHEMY_DATABASE_URI=uri, UPLOAD_DIR=str(tmp_path / "uploads"), SERVER_NAME=None,
                   RATELIMIT_ENABLED=False) as live:
        with live.app_context():
            upgrade(directory=MIGRATIONS)
        slug, customer_id, emails = _seed(live)
        got_request_exception.connect(lambda sender, exception, **extra: errors.append(exception), live, weak=False)
        server = make_server("127.0.0.1", 0, live, threaded=True)
        base = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, name="sqlite-concurrency", daemon=True)
        thread.start()
        try:
            # Log in and open the builder first: the race is on the save alone.
            sessions = []
            for email in emails:
                http = requests.Session()
                token = _csrf(http.get(f"{base}/login", timeout=30).text)
                login = http.post(f"{base}/login", data={"email": email, "password": factories.PASSWORD,
                                                         "csrf_token": token}, allow_redirects=False, timeout=30)
                assert login.status_code == 302, login.text[:300]
                page = http.get(f"{base}/d/{slug}/offers/new", timeout=30)
                assert page.status_code == 200, page.text[:300]
                sessions.append((http, _csrf(page.text), KEY_RE.search(page.text).group(1)))
            statuses: list[int] = []
            lock = threading.Lock()
            barrier = threading.Barrier(CONSULTANTS)

            def save(http: requests.Session, csrf: str, key: str) -> None:
                form = {"csrf_token": csrf, "idempotency_key": key, "customer_id": customer_id, "source": "catalog",
                        "model_code": "TUCSON", "trim_code": "TUC-INS", "exterior_code": "A2B", "interior_code": "NNB"}
                barrier.wait()
                response = http.post(f"{base}/d/{slug}/offers/new", data=form, headers={"HX-Request": "true"},
                                     timeout=120)
                with lock:
                    statuses.append(response.status_code)

            racers = [threading.Thread(target=save, args=args) for args in sessions]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join()
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            offer_builder.clear_catalog_cache()
        assert not errors, errors
        assert statuses == [204] * CONSULTANTS
        with live.app_context(), all_tenants():
            assert db.session.scalar(select(func.count(Offer.id))) == CONSULTANTS
            journal = db.session.connection().exec_driver_sql("PRAGMA journal_mode").scalar()
            assert journal == "wal"
