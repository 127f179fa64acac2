"""Two web servers, one PostgreSQL, one Redis, one S3 bucket: a sale goes across them (issue 12 item 12).

Two gunicorn instances on two ports serve the same database (its own PostgreSQL database, migrated
and seeded with the demo here), share rate limits and jobs through one Redis, and keep files in one
bucket of a real S3 API server on loopback (moto in server mode). The Toronto consultant saves an
offer over their authority on instance A and submits it; the principal approves it on instance B;
both instances serve the offer PDF and the car's photo. Nothing is shared through the local disk:
each instance gets its own empty ``UPLOAD_DIR``.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from tests.conftest import CSRF_RE, TEST_DATABASE_URL, fresh_app

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db]
ROOT = Path(__file__).resolve().parent.parent
KEY_RE = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
REVISION_RE = re.compile(r'name="revision_no"[^>]*value="(\d+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client for one user against one instance (``base`` URL)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})  # noqa: S310 - loopback
        try:
            with self.opener.open(req, timeout=60) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def csrf(self, path: str) -> tuple[str, str]:
        status, _headers, page = self.request(path)
        assert status == 200, (path, status, page[:300])
        html = page.decode()
        match = CSRF_RE.search(html)
        assert match, path
        return match.group(1) or match.group(2), html

    def login(self, email: str) -> None:
        token, _html = self.csrf("/login")
        status, _headers, page = self.request("/login", {"csrf_token": token, "email": email, "password": "forecourt-demo"})
        assert status == 200 and b"/logout" in page, page[:500]


@pytest.fixture
def shared_database():
    """A fresh, empty PostgreSQL database beside the suite's; yields its URL and drops it afterwards."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: two servers cannot share the embedded SQLite test database")
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_two_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def _seed(app, database_url: str, settings: dict, tmp_path: Path) -> dict:
    """Migrate and seed the shared database through a third app instance; add a photo to a Toronto car."""
    import hashlib

    from flask_migrate import upgrade

    from app.demo.seed import seed_demo
    from app.extensions import db
    from app.models.accounts import Dealer
    from app.models.inventory import StockVehicle, VehiclePhoto
    from app.services.storage import get_storage, s3_client
    from app.tenancy import all_tenants, scoped

    with fresh_app(app, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_DIR=str(tmp_path / "seeder"), **settings) as seeder, \
            seeder.app_context():
        s3_client(seeder.config).create_bucket(Bucket=settings["S3_BUCKET"])
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo(db.session)
        db.session.commit()
        with all_tenants():
            dealer = db.session.scalar(select(Dealer).where(Dealer.slug == "toronto-north"))
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
            car = db.session.scalar(select(StockVehicle).where(StockVehicle.acquisition_cost.is_not(None),
                                                               StockVehicle.price > Decimal("15000"))
                                    .order_by(StockVehicle.id))
            data = _jpeg()
            key = get_storage(seeder.config).save(data, area="vehicles", extension="jpg")
            position = 1 + max((p.position for p in car.photos), default=0)
            photo = VehiclePhoto(dealer_id=dealer.id, vehicle_id=car.id, position=position, storage_key=key,
                                 content_type="image/jpeg", width=64, height=48,
                                 sha256=hashlib.sha256(data).hexdigest(), original_name="front.jpg")
            db.session.add(photo)
            db.session.commit()
            found = {"car": car.id, "photo": photo.id, "jpeg": data}
        db.session.remove()
    return found


def _start(port: int, env: dict) -> subprocess.Popen:
    """Start gunicorn on ``port`` and return once it listens (read from its log, not by waiting)."""
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
         "--error-logfile", "-", "--log-level", "info", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Booting worker" in line:
            # Keep draining its log so a full pipe never blocks the server.
            process.drain = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
            process.drain.start()
            process.log = lines
            return process
        if len(lines) > 200:
            break
    process.kill()
    process.stdout.close()
    raise AssertionError("gunicorn did not start:\n" + "".join(lines))


def test_a_sale_across_two_web_servers_sharing_database_redis_and_bucket(app, shared_database, s3_server, tmp_path):
    redis_url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    settings = {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": s3_server, "S3_REGION": "us-east-1",
                "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing",
                "S3_BUCKET": f"forecourt-{uuid.uuid4().hex[:12]}"}
    database_url = shared_database
    processes = []
    try:
        seeded = _seed(app, database_url, settings, tmp_path)
        ports = [_free_port(), _free_port()]
        for index, port in enumerate(ports):
            disk = tmp_path / f"uploads-{index}"
            disk.mkdir()
            env = {**os.environ, **settings, "FORECOURT_CONFIG": "development", "DATABASE_URL": database_url,
                   "REDIS_URL": redis_url, "SECRET_KEY": "two-instances-shared-secret", "UPLOAD_DIR": str(disk),
                   "EXTERNAL_BASE_URL": f"http://127.0.0.1:{ports[0]}"}
            env.pop("TEST_DATABASE_URL", None)
            processes.append(_start(port, env))
        a, b = (f"http://127.0.0.1:{port}" for port in ports)
        base = "/d/toronto-north/offers"

        consultant = Browser(a)
        consultant.login("consultant.toronto@forecourt.example")
        token, html = consultant.csrf(f"{base}/new")
        key = KEY_RE.search(html).group(1)
        form = {"csrf_token": token, "idempotency_key": key, "source": "stock", "stock_id": seeded["car"],
                "new_customer_name": "Noah Tremblay", "new_customer_email": "noah.tremblay@example.com",
                "new_customer_privacy": "y", "manual_kind": "amount", "manual_value": "6000.00",
                "manual_reason": "Loyal customer"}
        status, headers, page = consultant.request(f"{base}/new", form, {"HX-Request": "true"})
        assert status == 204, page[:800]
        offer_path = urllib.parse.urlparse(headers["HX-Redirect"]).path
        offer_id = int(offer_path.rstrip("/").rsplit("/", 1)[-1])
        token, html = consultant.csrf(offer_path)
        assert "Submit for approval" in html
        status, _headers, page = consultant.request(f"{offer_path}/submit",
                                                    {"csrf_token": token, "revision_no": REVISION_RE.search(html).group(1)})
        assert status == 200 and b"Sent for approval." in page

        principal = Browser(b)  # the other server: its session, its process, the same database
        principal.login("principal.toronto@forecourt.example")
        token, queue = principal.csrf(f"{base}/approvals")
        assert offer_path in queue
        _token, detail = principal.csrf(offer_path)
        revision = REVISION_RE.search(detail).group(1)
        status, _headers, page = principal.request(f"{offer_path}/decide",
                                                   {"csrf_token": token, "decision": "approve", "revision_no": revision})
        assert status == 200 and b"Offer approved." in page

        _token, seen_by_a = consultant.csrf(offer_path)  # server A reads what server B wrote
        assert "Send to customer" in seen_by_a
        for user in (consultant, principal):
            status, headers, pdf = user.request(f"{base}/{offer_id}/pdf")
            assert status == 200 and headers["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF")
            status, headers, photo = user.request(f"/d/toronto-north/inventory/photos/{seeded['photo']}")
            assert status == 200 and photo == seeded["jpeg"]
        for index in range(2):
            assert not any((tmp_path / f"uploads-{index}").iterdir())  # the bucket, not the servers' disks
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.drain.join(timeout=30)  # the log ends with the process
            process.stdout.close()
