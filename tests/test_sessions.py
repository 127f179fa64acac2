"""Server-side sign-in sessions: every old cookie is replayed after the session ended and gets the login page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.accounts import Membership, User, UserSession
from app.services import accounts, consultants, dealers, sessions
from app.tenancy import all_tenants
from tests import factories
from tests.conftest import csrf_token

PROTECTED = "/workspaces"
COOKIES = ("session", "remember_token")


def _sign_in(client, email: str, *, remember: bool = True) -> dict[str, str]:
    """Sign ``client`` in and return the values of its session and remember cookies."""
    data = {"email": email, "password": factories.PASSWORD, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert client.get(PROTECTED).status_code == 200
    return {name: cookie.value for name in COOKIES if (cookie := client.get_cookie(name)) is not None}


def _replay(app, name: str, value: str):
    """Send a protected request from a fresh browser carrying only the cookie ``name`` = ``value``."""
    browser = app.test_client()
    browser.set_cookie(name, value)
    return browser.get(PROTECTED)


def _assert_signed_out(app, captured: dict[str, str]) -> None:
    assert set(captured) == set(COOKIES), captured
    for name, value in captured.items():
        response = _replay(app, name, value)
        assert response.status_code == 302, name
        assert response.headers["Location"].startswith("/login"), name


def _assert_signed_in(app, captured: dict[str, str]) -> None:
    for name, value in captured.items():
        assert _replay(app, name, value).status_code == 200, name


def _logout(client, path: str = "/logout"):
    return client.post(path, data={"csrf_token": csrf_token(client, PROTECTED)})


def test_each_sign_in_gets_its_own_cookie_never_derived_from_the_user_id(app, world):
    first = _sign_in(app.test_client(), world.emails["consultant_a1"])
    second = _sign_in(app.test_client(), world.emails["consultant_a1"])
    assert first["remember_token"] != second["remember_token"]
    for cookie in (first["remember_token"], second["remember_token"]):
        assert cookie.split("|")[0] != str(world.ids["user_consultant_a1"])
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == world.ids["user_consultant_a1"])).all()
        assert len(rows) == 2 and all(r.remember for r in rows)
        # only a hash is stored: neither cookie's secret is in the table
        assert not {r.token_hash for r in rows} & {first["remember_token"].split("|")[0]}


def test_logout_ends_the_session_on_the_server_and_only_that_one(app, client, world):
    other_device = app.test_client()
    kept = _sign_in(other_device, world.emails["consultant_a1"])
    captured = _sign_in(client, world.emails["consultant_a1"])
    assert _logout(client).status_code == 302
    _assert_signed_out(app, captured)
    # the same person's other device is still signed in
    _assert_signed_in(app, kept)
    assert other_device.get(PROTECTED).status_code == 200


def test_logout_everywhere_ends_every_session(app, client, world):
    other = _sign_in(app.test_client(), world.emails["manager_a1"])
    mine = _sign_in(client, world.emails["manager_a1"])
    assert _logout(client, "/logout/everywhere").status_code == 302
    _assert_signed_out(app, mine)
    _assert_signed_out(app, other)


def test_password_reset_ends_every_session(app, client, world):
    from tests.test_auth import _reset_link

    email = world.emails["consultant_a1"]
    before = [_sign_in(app.test_client(), email), _sign_in(app.test_client(), email, remember=False)]
    client.post("/password/forgot", data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")})
    link = _reset_link(app)
    token = csrf_token(client, link)
    done = client.post(link, data={"password": "new-password-123", "confirm": "new-password-123", "csrf_token": token})
    assert done.status_code == 302
    _assert_signed_out(app, before[0])
    for name, value in before[1].items():  # the session cookie of a sign-in without "keep me signed in"
        assert _replay(app, name, value).headers["Location"].startswith("/login")
    # the old password is gone, the new one signs in
    fresh = app.test_client()
    old = fresh.post("/login", data={"email": email, "password": factories.PASSWORD, "csrf_token": csrf_token(fresh)})
    assert old.status_code == 401
    new = fresh.post("/login", data={"email": email, "password": "new-password-123", "csrf_token": csrf_token(fresh)})
    assert new.status_code == 302


def test_password_change_keeps_this_session_and_ends_the_others(app, world):
    email = world.emails["principal_a1"]
    other = _sign_in(app.test_client(), email)
    mine = _sign_in(app.test_client(), email)
    with app.test_request_context():
        user = sessions.load(db.session, mine["remember_token"].split("|")[0], sessions.current_time())
        assert user is not None and user.email == email
        with pytest.raises(accounts.AccountError):
            accounts.change_password(db.session, user, "wrong", "another-password-1")
        assert accounts.change_password(db.session, user, factories.PASSWORD, "another-password-1") == 1
        db.session.commit()
    _assert_signed_in(app, mine)
    _assert_signed_out(app, other)


def test_deactivated_user_is_signed_out_at_once(app, client, world):
    captured = _sign_in(client, world.emails["consultant_b1"])
    with app.app_context(), all_tenants():
        accounts.set_user_active(db.session, db.session.get(User, world.ids["user_consultant_b1"]), False)
        db.session.commit()
    _assert_signed_out(app, captured)
    assert client.get(PROTECTED).status_code == 302


def test_inactive_user_is_refused_even_with_a_live_session_row(app, client, world):
    """A user switched off by any other path (SQL, a future admin page) is refused too: the loader checks."""
    captured = _sign_in(client, world.emails["consultant_b1"])
    with app.app_context(), all_tenants():
        db.session.get(User, world.ids["user_consultant_b1"]).active = False
        db.session.commit()
    _assert_signed_out(app, captured)


def test_deactivated_dealer_membership_ends_the_sessions(app, client, world):
    captured = _sign_in(client, world.emails["consultant_a1"])
    with app.app_context(), all_tenants():
        dealer = db.session.get(dealers.Dealer, world.ids["a1"])
        actor = db.session.get(User, world.ids["user_principal_a1"])
        member = consultants.staff_member(db.session, dealer, world.ids["user_consultant_a1"])
        consultants.deactivate(db.session, dealer, member, actor=actor, reassign_to_id=None)
        db.session.commit()
    _assert_signed_out(app, captured)


def test_corporate_deactivation_of_a_membership_ends_the_sessions(app, client, world):
    captured = _sign_in(client, world.emails["consultant_b1"])
    with app.app_context(), all_tenants():
        membership = db.session.scalar(select(Membership).where(Membership.user_id == world.ids["user_consultant_b1"]))
        dealers.deactivate_membership(db.session, membership)
        db.session.commit()
    _assert_signed_out(app, captured)


def test_sessions_expire_on_the_server(app, world, monkeypatch):
    start = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    monkeypatch.setitem(app.config, "CLOCK", lambda: start)
    short = _sign_in(app.test_client(), world.emails["consultant_a1"], remember=False)
    remembered = _sign_in(app.test_client(), world.emails["consultant_a1"])
    hours = app.config["LOGIN_SESSION_HOURS"]
    monkeypatch.setitem(app.config, "CLOCK", lambda: start + timedelta(hours=hours) - timedelta(seconds=1))
    _assert_signed_in(app, short)
    monkeypatch.setitem(app.config, "CLOCK", lambda: start + timedelta(hours=hours))
    assert _replay(app, "session", short["session"]).status_code == 302
    _assert_signed_in(app, remembered)
    days = app.config["REMEMBER_COOKIE_DURATION"] // 86400
    monkeypatch.setitem(app.config, "CLOCK", lambda: start + timedelta(days=days))
    _assert_signed_out(app, remembered)


def test_a_forged_or_user_id_cookie_gets_nothing(app, client, world):
    _sign_in(client, world.emails["consultant_a1"], remember=False)
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(world.ids["user_platform"])  # as the old cookies carried
    response = client.get(PROTECTED)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_purge_deletes_old_revoked_and_expired_sessions(app, world):
    now = datetime(2026, 12, 8, tzinfo=UTC)
    with app.app_context(), all_tenants():
        user = db.session.get(User, world.ids["user_corp_a"])
        old = sessions.start(db.session, user, remember=False, now=now - timedelta(days=40), lifetime=timedelta(hours=1))
        live = sessions.start(db.session, user, remember=True, now=now, lifetime=timedelta(days=14))
        ended = sessions.start(db.session, user, remember=False, now=now, lifetime=timedelta(hours=1))
        sessions.end(db.session, ended, now=now)
        assert sessions.purge(db.session, now, keep_days=30) == 1
        left = set(db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)))
        assert old.id not in left and {live.id, ended.id} <= left
        assert [s.id for s in sessions.live_sessions(db.session, user, now)] == [live.id]


def test_change_password_page_signs_out_the_other_devices(app, client, world):
    email = world.emails["corp_b"]
    other = _sign_in(app.test_client(), email)
    _sign_in(client, email)
    page = client.get(PROTECTED).get_data(as_text=True)
    assert "/password/change" in page and "/logout/everywhere" in page
    token = csrf_token(client, "/password/change")
    wrong = client.post("/password/change", data={"current": "nope", "password": "brand-new-pass-1",
                                                  "confirm": "brand-new-pass-1", "csrf_token": token})
    assert wrong.status_code == 400 and "current password is not correct" in wrong.get_data(as_text=True)
    _assert_signed_in(app, other)
    done = client.post("/password/change", data={"current": factories.PASSWORD, "password": "brand-new-pass-1",
                                                 "confirm": "brand-new-pass-1", "csrf_token": token})
    assert done.status_code == 302
    assert "1 other session was signed out" in client.get(PROTECTED).get_data(as_text=True)
    _assert_signed_out(app, other)


def test_users_compare_by_account_not_by_session(app, world):
    with app.app_context(), all_tenants():
        user = db.session.get(User, world.ids["user_corp_a"])
        other = db.session.get(User, world.ids["user_corp_b"])
        assert user == user and user != other and not (user == other)
        assert user == User(id=user.id) and User() != User()
        with pytest.raises(RuntimeError):
            user.get_id()  # not signed in through a session: no id to hand out
