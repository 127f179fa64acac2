"""Shared fixtures.

The schema is built once per run by the real Alembic migrations (``flask db upgrade``) on
SQLite, or on PostgreSQL when ``TEST_DATABASE_URL`` is set. Each test then runs inside one
outer transaction on one connection; the app's sessions join it with SAVEPOINTs
(SQLAlchemy's "joining a session into an external transaction" recipe), and the outer
transaction is rolled back after the test, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db as _db
from app.extensions import limiter
from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def _per_worker_services() -> None:
    """Give each pytest-xdist worker its own PostgreSQL database and Redis database.

    The suite drops and rebuilds the ``public`` schema of its database and flushes its Redis database, so two
    workers must never share either: worker ``gwN`` uses ``<database>_gwN`` (created when missing) and Redis
    database ``15 - N``. Runs at import time, before any test module reads the environment.
    """
    global TEST_DATABASE_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return
    index = int(worker.removeprefix("gw") or 0)
    redis_url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    base, _, _db_number = redis_url.rpartition("/")
    os.environ["REDIS_TEST_URL"] = f"{base}/{15 - index}"
    if not TEST_DATABASE_URL.startswith("postgresql"):
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))  # noqa: S608 - the name is built from the worker id
    finally:
        admin.dispose()
    TEST_DATABASE_URL = url.set(database=name).render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = TEST_DATABASE_URL


_per_worker_services()


def is_postgres() -> bool:
    """Return True when the suite runs on PostgreSQL."""
    return TEST_DATABASE_URL.startswith("postgresql")


#: On PostgreSQL the app connects as this role (as in production): not a superuser, not the tables' owner,
#: so row-level security really applies. ``TEST_DATABASE_URL``'s own user (a superuser in CI) owns the
#: schema and runs the migrations.
APP_ROLE = "forecourt_app"


def _app_role_url(owner_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(owner_url).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


def _ensure_app_role(connection) -> None:
    """Create the cluster-wide app role once; two workers racing to create it both succeed."""
    connection.execute(text(
        "DO $$ BEGIN "
        f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    ))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, on a freshly migrated database."""
    uri = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'forecourt-test.db'}"
    overrides = {"SQLALCHEMY_DATABASE_URI": uri, "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")), "SERVER_NAME": None}
    if is_postgres():
        overrides |= {"SQLALCHEMY_DATABASE_URI": _app_role_url(uri), "MIGRATION_DATABASE_URI": uri}
    app = create_app("testing", overrides)
    with app.app_context():
        owner = None
        if is_postgres():
            from sqlalchemy import create_engine

            owner = create_engine(uri)
            with owner.begin() as conn:
                _ensure_app_role(conn)
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")))
        if owner is not None:
            from app.rls import grant_app_role

            with owner.begin() as conn:
                grant_app_role(conn, APP_ROLE)
            owner.dispose()
        _db.session.configure(join_transaction_mode="create_savepoint")
    yield app
    with app.app_context():
        for engine in _db.engines.values():
            engine.dispose()


@pytest.fixture(autouse=True)
def db(request, app):
    """Run the test inside an outer transaction that is rolled back afterwards."""
    if "no_db" in request.keywords:
        yield None
        return
    with app.app_context():
        engines = _db.engines
        originals = dict(engines)
        connections = {}
        for key, engine in originals.items():
            connection = engine.connect()
            connections[key] = (connection, connection.begin())
            engines[key] = connection
    limiter.reset()
    try:
        yield _db
    finally:
        with app.app_context():
            _db.session.remove()
            for key, (connection, transaction) in connections.items():
                transaction.rollback()
                connection.close()
                engines[key] = originals[key]


@contextmanager
def fresh_app(base_app, **overrides):
    """Yield a second app instance on the same database (e.g. another gunicorn worker).

    The one ``Limiter`` object rebinds its storage to the newest app; the suite's own storage is
    put back afterwards, and the extra app's engine is disposed.
    """
    saved = (limiter._storage, limiter._limiter)
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": base_app.config["SQLALCHEMY_DATABASE_URI"], **overrides})
    try:
        yield other
    finally:
        limiter._storage, limiter._limiter = saved
        with other.app_context():
            _db.engine.dispose()


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on loopback, with the app's mail backend pointed at it (outbox copy kept)."""
    from tests.smtp_server import SMTPServer

    with SMTPServer() as server:
        for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port,
                           "MAIL_USE_TLS": False, "MAIL_USERNAME": ""}.items():
            monkeypatch.setitem(app.config, key, value)
        yield server


@pytest.fixture
def client(app):
    """A test client (cookies kept between requests)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context for service-level tests that do not make requests."""
    with app.app_context():
        yield


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """Fetch ``path`` and return the CSRF token rendered in it."""
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


@pytest.fixture
def login(client):
    """``login(email)`` signs the test client in with the factory password."""

    def _login(email: str, password: str = factories.PASSWORD):
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return _login


@pytest.fixture
def world(app):
    """Two brands; brand A has dealers A1 (E2E) and A2 (O2O), brand B has dealer B1; one user per role."""
    with app.app_context():
        data = factories.build_world()
        _db.session.commit()
    return data


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 API server (moto in server mode) on loopback; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(app, s3_server, monkeypatch, tmp_path):
    """Point the app's storage at a fresh bucket on the local S3 server; yields the boto3 client and bucket.

    The local upload folder is swapped for an empty one, so a test can prove that nothing was written to disk.
    """
    import uuid

    from app.services.storage import s3_client

    settings = {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": s3_server, "S3_REGION": "us-east-1",
                "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing",
                "S3_BUCKET": f"forecourt-{uuid.uuid4().hex[:12]}", "S3_PREFIX": "media"}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    disk = tmp_path / "uploads-unused"
    disk.mkdir()
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(disk))
    client = s3_client(app.config)
    client.create_bucket(Bucket=settings["S3_BUCKET"])
    yield client, settings["S3_BUCKET"]
    assert not any(disk.iterdir()), "a file was written to the local disk while the storage is S3"
