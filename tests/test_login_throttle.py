"""Sign-in throttling: a growing wait per account after failures, a per-client limit that sees the real client
behind the configured proxies, and successes that never count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from app import security
from app.services import sessions
from tests import factories
from tests.conftest import csrf_token, fresh_app

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock for ``config["CLOCK"]``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app, monkeypatch):
    c = Clock(T0)
    monkeypatch.setitem(app.config, "CLOCK", c)
    # the per-address limit has its own (real) clock; keep it out of the way of the per-account rule
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_IP", "1000 per minute")
    return c


def _wait(response) -> int:
    """Return the seconds the refusal asks to wait, read from the page."""
    match = re.search(r"try again in (\d+) seconds?\.", response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:300]
    return int(match.group(1))


def _attempt(client, email: str, password: str, **kwargs):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}, **kwargs)


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (14, 512), (15, 900), (40, 900), (10_000, 900)],
)
def test_wait_doubles_after_the_free_failures_up_to_the_cap(failures, delay):
    assert sessions._delay(failures, 5, 900) == delay


def test_growing_wait_then_the_right_password_works(app, client, world, clock):
    email = world.emails["principal_a1"]
    assert [_attempt(client, email, "bad").status_code for _ in range(5)] == [401] * 5
    # inside the wait even the right password is refused, before it is checked, and says how long to wait
    refused = _attempt(client, email, factories.PASSWORD)
    assert refused.status_code == 429
    assert _wait(refused) == 1
    assert "Please try again in 1 second." in refused.get_data(as_text=True)
    # Flask-Limiter keeps the larger of this wait and its own window in the header
    assert int(refused.headers["Retry-After"]) >= 1
    clock.advance(1)
    assert _attempt(client, email, "bad").status_code == 401  # 6th failure: wait 2 s
    clock.advance(1)
    assert _attempt(client, email, factories.PASSWORD).status_code == 429
    clock.advance(1)
    assert _attempt(client, email, factories.PASSWORD).status_code == 302  # after the wait: signed in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    # the success cleared the count: five free failures again
    assert [_attempt(client, email, "bad").status_code for _ in range(5)] == [401] * 5


def test_attempts_inside_the_wait_do_not_make_it_longer(app, client, world, clock):
    email = world.emails["corp_a"]
    for _ in range(5):
        _attempt(client, email, "bad")
    for _ in range(20):  # an attacker hammering during the wait
        assert _attempt(client, email, "bad").status_code == 429
    clock.advance(1)
    assert _attempt(client, email, factories.PASSWORD).status_code == 302


def test_someone_elses_failures_lock_nobody_out_for_longer_than_the_cap(app, client, world, clock):
    email = world.emails["consultant_a1"]
    attacker = app.test_client()
    for _ in range(60):  # every allowed attempt, as fast as the waits let it
        while (response := _attempt(attacker, email, "bad")).status_code == 429:
            clock.advance(_wait(response))
    assert _attempt(client, email, factories.PASSWORD).status_code == 429
    clock.advance(app.config["LOGIN_THROTTLE_MAX_DELAY"])
    assert _attempt(client, email, factories.PASSWORD).status_code == 302


def test_the_count_is_forgotten_after_a_quiet_day(app, client, world, clock):
    email = world.emails["manager_a1"]
    for _ in range(12):
        while _attempt(client, email, "bad").status_code == 429:
            clock.advance(60)
    clock.advance(app.config["LOGIN_THROTTLE_RESET"])
    assert [_attempt(client, email, "bad").status_code for _ in range(5)] == [401] * 5


def test_unknown_addresses_are_throttled_the_same(app, client, clock):
    statuses = [_attempt(client, "nobody@example.com", "bad").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_other_accounts_are_not_slowed_down(app, client, world, clock):
    for _ in range(6):
        _attempt(client, world.emails["principal_a1"], "bad")
    assert _attempt(client, world.emails["corp_a"], "bad").status_code == 401
    assert _attempt(client, world.emails["principal_a2"], factories.PASSWORD).status_code == 302


def test_per_client_limit_counts_failures_not_successes(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_IP", "3 per minute")
    client = app.test_client()
    for _ in range(5):  # a showroom whose staff all sign in from one address
        assert _attempt(client, world.emails["consultant_a1"], factories.PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    emails = [world.emails[k] for k in ("corp_a", "corp_b", "marketer_a", "principal_b1")]
    assert [_attempt(client, e, "bad").status_code for e in emails] == [401, 401, 401, 429]


def test_create_app_trusts_exactly_the_configured_proxies(app):
    with fresh_app(app, TRUSTED_PROXY_COUNT=2) as proxied:
        assert isinstance(proxied.wsgi_app, ProxyFix)
        assert (proxied.wsgi_app.x_for, proxied.wsgi_app.x_proto, proxied.wsgi_app.x_host) == (2, 2, 0)
    assert not isinstance(app.wsgi_app, ProxyFix)  # the suite's app: TRUSTED_PROXY_COUNT = 0


def test_behind_the_proxy_each_client_has_its_own_limit(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_COUNT", 1)
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_IP", "3 per minute")
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # put back after the test
    security.trust_proxies(app)
    attacker, colleague = app.test_client(), app.test_client()

    def from_ip(client, ip: str, email: str, password: str) -> int:
        data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
        return client.post("/login", data=data, headers={"X-Forwarded-For": ip}).status_code

    guesses = [from_ip(attacker, "203.0.113.9", f"guess{i}@example.com", "bad") for i in range(4)]
    assert guesses == [401, 401, 401, 429]
    # everybody else behind the same proxy still signs in
    assert from_ip(colleague, "198.51.100.7", world.emails["consultant_a1"], factories.PASSWORD) == 302
    # only the hop the proxy added is believed: a client cannot pick its address by sending the header
    assert from_ip(attacker, "10.0.0.1, 203.0.113.9", "guess9@example.com", "bad") == 429


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_IP", "3 per minute")
    client = app.test_client()
    statuses = [
        client.post("/login", data={"email": f"g{i}@example.com", "password": "bad", "csrf_token": csrf_token(client)},
                    headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_a_first_failure_counted_by_another_process_at_the_same_time_is_not_an_error(app, monkeypatch):
    from app.extensions import db
    from app.models.accounts import LoginThrottle

    email = "race@example.com"
    with app.app_context():
        # the other process inserted the row after this one looked and found none
        db.session.add(LoginThrottle(email_hash=sessions._hash(email), failures=1, last_failure_at=T0))
        db.session.flush()
        real, calls = sessions._throttle, []

        def first_look_misses(session, address):
            calls.append(address)
            return None if len(calls) == 1 else real(session, address)

        monkeypatch.setattr(sessions, "_throttle", first_look_misses)
        assert sessions.record_failure(db.session, email, T0, reset=86400) == 2
        assert db.session.query(LoginThrottle).filter_by(email_hash=sessions._hash(email)).one().failures == 2
