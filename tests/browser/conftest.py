"""Browser test fixtures: the real app on a live loopback server, driven by Debian's Chromium through Playwright.

The live server has its OWN SQLite file, migrated with Alembic and seeded with committed rows: the browser's
requests run in server threads on their own connections, which the per-test rollback of ``tests/conftest.py``
cannot wrap (so these tests are marked ``no_db``). It never reads ``TEST_DATABASE_URL``.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``.ci/run`` when missing), launched through its
executable path: ``playwright install`` is never run and no browser is downloaded. Without Chromium (or
without the ``playwright`` package) the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask, got_request_exception
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app.extensions import db
from app.models.accounts import Dealer
from app.services import dealer_settings as ds
from app.services import offer_builder
from app.tenancy import all_tenants, scoped
from tests import factories
from tests.conftest import fresh_app
from tests.corporate import factories as cf
from tests.offers.helpers import publish_catalog, settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Root in a container needs --no-sandbox; the rest keeps Chromium off the network (loopback only).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
D = Decimal


@dataclass
class LiveServer:
    """The running app: its base ``url``, the seeded ``world``, the ``ids`` of the extra rows, server-side ``errors``."""

    url: str
    app: Flask
    world: factories.World
    ids: dict[str, int] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)


def _seed(app: Flask) -> tuple[factories.World, dict[str, int]]:
    """Commit a minimal world: dealer A1 (KRW, 10 % VAT included, delivery fee), a consultant whose discount
    authority is 500,000, the principal, a published one-model catalog, a brand promotion and a customer."""
    with app.app_context():
        world = factories.build_world()
        with all_tenants():
            dealer = db.session.get(Dealer, world.ids["a1"])
            settings(dealer, fees=[ds.FeeInput("DELIVERY", "Delivery", D(250000), True)],
                     taxes=[ds.TaxInput("VAT", "VAT 10%", D(10), ("vehicle", "options", "accessories", "fees"), True, False)],
                     authority=(D(500000), None), consultant_ids=[world.ids["user_consultant_a1"]])
            publish_catalog(world.ids["brand_a"], model_code="TUCSON", model_name="Tucson", trim_code="TUC-INS",
                            trim_name="Inspiration", msrp=D(35000000), exterior=[("A2B", "Amazon Gray", D(80000))],
                            interior=[("NNB", "Black", D(0))], options=[("SUNRF", "Sunroof", D(890000), [])])
            with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
                cf.promotion(world.ids["brand_a"], code="SPRING", name="Spring bonus", amount=D(1000000), published=True,
                             valid_from=cf.local("2020-01-01 00:00"), valid_until=cf.local("2099-12-31 23:59"))
                ds.save_purchasing_conditions(
                    db.session, dealer, offer_validity_days=14, required_documents=["Driving licence"],
                    cancellation_policy={"en": "The deposit is refundable within 7 days."}, refund_policy={},
                    payment_methods=[])
            customer = cf.customer(world.ids["a1"], full_name="Kim Minjun", email="minjun.kim@example.com")
        ids = {"customer": customer.id}
        db.session.commit()
    return world, ids


@pytest.fixture
def live_seed():
    """The function that commits the live server's rows: ``seed(app) -> (world, ids)``; a test module may override it."""
    return _seed


@pytest.fixture
def live_server(app, tmp_path, live_seed) -> Iterator[LiveServer]:
    """Run ``create_app`` on 127.0.0.1 (ephemeral port) in a thread, on a migrated and seeded SQLite file.

    The rows come from the ``live_seed`` fixture (by default ``_seed``). Any exception a request raises in the
    server is collected and fails the test at teardown, so a 500 behind a page the browser happens not to look
    at is still seen.
    """
    uri = f"sqlite:///{tmp_path / 'live.db'}"
    offer_builder.clear_catalog_cache()  # keyed by release id: ids of the suite's own database must not leak in
    with fresh_app(app, SQLALCHEMY_DATABASE_URI=uri, UPLOAD_DIR=str(tmp_path / "uploads"), SERVER_NAME=None) as live:
        with live.app_context():
            upgrade(directory=MIGRATIONS)
            # WAL: the browser's parallel requests (a page and an htmx poll) never block each other's reads.
            raw = db.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA journal_mode=WAL")
            finally:
                raw.close()
        world, ids = live_seed(live)
        server = make_server("127.0.0.1", 0, live, threaded=True)
        result = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=live, world=world, ids=ids)

        def record(sender, exception, **extra):
            result.errors.append(exception)

        got_request_exception.connect(record, live)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield result
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            got_request_exception.disconnect(record, live)
            offer_builder.clear_catalog_cache()
    assert not result.errors, f"the live server raised: {result.errors!r}"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, through Playwright's sync API (skipped when either is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (.ci/run installs Debian's chromium package)")
    sync_api.expect.set_options(timeout=10_000)  # generous for a loaded CI machine; a passing run never waits it out
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def shots(tmp_path):
    """``shots(page, name, full_page=True)`` saves a PNG of the step under the test's tmp_path (never committed)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    counter = iter(range(1, 100))

    def _shot(page, name: str, *, full_page: bool = True) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    _shot.folder = folder
    return _shot
