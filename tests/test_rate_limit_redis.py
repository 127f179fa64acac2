"""Sign-in throttling with the production storage: Flask-Limiter on the real Redis.

Uses ``REDIS_TEST_URL`` (CI: ``redis://127.0.0.1:6379/15``). Skipped on a developer machine
without Redis, but never under CI, where the suite must prove the Redis path.
"""

from __future__ import annotations

import os

import pytest
import redis

from app import create_app
from app.extensions import db, limiter
from tests.conftest import csrf_token

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_app(app):
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required under CI: {REDIS_URL}")
        pytest.skip("Redis not reachable")
    redis.Redis.from_url(REDIS_URL).flushdb()
    # One Limiter object serves every app instance; put the suite's memory storage back afterwards.
    saved = (limiter._storage, limiter._limiter)
    limited = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "LOGIN_RATE_LIMIT_PER_ACCOUNT": "3 per minute",
        },
    )
    yield limited
    limiter._storage, limiter._limiter = saved
    redis.Redis.from_url(REDIS_URL).flushdb()
    with limited.app_context():
        db.engine.dispose()


def test_login_throttle_is_stored_in_redis(redis_app):
    client = redis_app.test_client()
    token = csrf_token(client)
    data = {"email": "someone@example.com", "password": "wrong", "csrf_token": token}
    statuses = [client.post("/login", data=data).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    keys = [k.decode() for k in redis.Redis.from_url(REDIS_URL).keys("*")]
    assert any("login-account" in key for key in keys), keys
    # a second app instance (another gunicorn worker) shares the same counters
    other = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": redis_app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "LOGIN_RATE_LIMIT_PER_ACCOUNT": "3 per minute",
        },
    )
    other_client = other.test_client()
    response = other_client.post("/login", data={**data, "csrf_token": csrf_token(other_client)})
    assert response.status_code == 429
    with other.app_context():
        db.engine.dispose()
