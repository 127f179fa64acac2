"""Sign-in throttling with the production storage: Flask-Limiter on the real Redis.

Uses ``REDIS_TEST_URL`` (CI: ``redis://127.0.0.1:6379/15``). Skipped on a developer machine
without Redis, but never under CI, where the suite must prove the Redis path.

The two "workers" are separate apps on their own database connections, so the test runs outside
the per-test transaction (``no_db``) and deletes the failure counts the sign-ins wrote.
"""

from __future__ import annotations

import os

import pytest
import redis

from app.extensions import db
from app.services import sessions
from tests.conftest import csrf_token, fresh_app

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
SETTINGS = {"RATELIMIT_STORAGE_URI": REDIS_URL, "LOGIN_RATE_LIMIT_PER_IP": "3 per minute"}
EMAILS = [f"someone{i}@example.com" for i in range(5)]


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def clean_redis(app):
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required under CI: {REDIS_URL}")
        pytest.skip("Redis not reachable")
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    yield store
    store.flushdb()
    with app.app_context():
        for email in EMAILS:
            sessions.clear_failures(db.session, email)
        db.session.commit()


@pytest.mark.no_db
def test_login_throttle_is_stored_in_redis_and_shared_by_workers(app, clean_redis):
    def attempt(client, email: str) -> int:
        data = {"email": email, "password": "wrong", "csrf_token": csrf_token(client)}
        return client.post("/login", data=data).status_code

    with fresh_app(app, **SETTINGS) as worker_1:
        client = worker_1.test_client()
        statuses = [attempt(client, email) for email in EMAILS[:4]]
    assert statuses == [401, 401, 401, 429]
    keys = [k.decode() for k in clean_redis.keys("*")]
    assert any("login-ip" in key for key in keys), keys
    with fresh_app(app, **SETTINGS) as worker_2:  # another gunicorn worker sees the same counters
        client = worker_2.test_client()
        assert attempt(client, EMAILS[4]) == 429
