"""Sign-in, landing pages, password reset, throttling, CSRF and HTMX auth expiry."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.models.accounts import User
from app.models.mail import OutboxMessage
from app.tenancy import all_tenants
from tests import factories
from tests.conftest import csrf_token


def test_each_role_lands_on_its_home(client, login, world):
    cases = {
        "consultant_a1": f"/d/{world.slugs['a1']}/",
        "principal_a2": f"/d/{world.slugs['a2']}/",
        "corp_a": f"/c/{world.slugs['brand_a']}/",
        "platform": "/admin/",
        "group": "/workspaces",
    }
    for who, expected in cases.items():
        login(world.emails[who])
        response = client.get("/")
        assert response.status_code == 302
        assert response.headers["Location"] == expected, who
        assert client.get(expected).status_code == 200
        client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})


def test_user_of_two_dealers_chooses(client, login, world):
    login(world.emails["group"])
    page = client.get("/workspaces").get_data(as_text=True)
    assert "Dealer A1" in page and "Dealer A2" in page
    assert client.get(f"/d/{world.slugs['a2']}/").status_code == 200
    assert client.get(f"/d/{world.slugs['b1']}/").status_code == 404


def test_email_is_case_insensitive(client, login, world):
    login(world.emails["consultant_a1"].upper())
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_clear_message(client, world):
    token = csrf_token(client)
    for email, password in [(world.emails["consultant_a1"], "wrong-password"), ("nobody@example.com", "whatever")]:
        response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert response.status_code == 401
        assert "The e-mail or password is not correct." in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(app, client, world):
    with app.app_context(), all_tenants():
        db.session.get(User, world.ids["user_consultant_a1"]).active = False
        db.session.commit()
    response = client.post(
        "/login", data={"email": world.emails["consultant_a1"], "password": factories.PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 401


def test_invalid_form_is_400_with_field_message(client):
    response = client.post("/login", data={"email": "not-an-email", "password": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert "aria-invalid" in response.get_data(as_text=True)


def test_missing_or_tampered_csrf_token_is_rejected(client, world):
    data = {"email": world.emails["consultant_a1"], "password": factories.PASSWORD}
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "expired or was tampered with" in response.get_data(as_text=True)
    response = client.post("/login", data={**data, "csrf_token": "tampered"})
    assert response.status_code == 400


def test_htmx_request_with_bad_csrf_asks_for_refresh(client, login, world):
    login(world.emails["consultant_a1"])
    response = client.post("/locale", data={"locale": "ko"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Refresh"] == "true"


def test_login_required_redirects_and_htmx_gets_hx_redirect(client, world):
    url = f"/d/{world.slugs['a1']}/"
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


def test_next_parameter_only_accepts_local_paths(client, world):
    token = csrf_token(client)
    data = {"email": world.emails["consultant_a1"], "password": factories.PASSWORD, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    response = client.post(f"/login?next=/d/{world.slugs['a1']}/", data={**data, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == f"/d/{world.slugs['a1']}/"


def test_remember_me_sets_cookie(client, world):
    data = {"email": world.emails["consultant_a1"], "password": factories.PASSWORD, "remember": "y", "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_logout_requires_post(client, login, world):
    login(world.emails["consultant_a1"])
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    assert client.get(f"/d/{world.slugs['a1']}/").status_code == 302


def test_login_is_throttled_per_account(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    token = csrf_token(client)
    statuses = [
        client.post("/login", data={"email": world.emails["principal_a1"], "password": "bad", "csrf_token": token}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # another account from the same address is not blocked by the account limit
    other = client.post("/login", data={"email": world.emails["corp_a"], "password": "bad", "csrf_token": token})
    assert other.status_code == 401


def _reset_link(app) -> str:
    with app.app_context(), all_tenants():
        message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    match = re.search(r"http://[^\s]+/password/reset/(\S+)", message.body_text)
    assert match, message.body_text
    return "/password/reset/" + match.group(1)


def test_password_reset_flow_is_single_use(app, client, world):
    email = world.emails["consultant_a1"]
    response = client.post("/password/forgot", data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")})
    assert response.status_code == 302
    link = _reset_link(app)
    assert client.get(link).status_code == 200
    token = csrf_token(client, link)
    mismatch = client.post(link, data={"password": "new-password-123", "confirm": "other-password-123", "csrf_token": token})
    assert mismatch.status_code == 400 and "do not match" in mismatch.get_data(as_text=True)
    done = client.post(link, data={"password": "new-password-123", "confirm": "new-password-123", "csrf_token": token})
    assert done.status_code == 302
    # used once: the link is dead now
    again = client.get(link)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    response = client.post("/login", data={"email": email, "password": "new-password-123", "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_unknown_email_reset_answers_the_same_and_sends_nothing(app, client):
    with app.app_context(), all_tenants():
        before = db.session.query(OutboxMessage).count()
    response = client.post("/password/forgot", data={"email": "ghost@example.com", "csrf_token": csrf_token(client, "/password/forgot")})
    assert response.status_code == 302
    with app.app_context(), all_tenants():
        assert db.session.query(OutboxMessage).count() == before


def test_bad_and_expired_reset_tokens(app, client, world):
    assert client.get("/password/reset/garbage").status_code == 400
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset")
    forged = URLSafeTimedSerializer("wrong-key", salt="password-reset").dumps({"uid": world.ids["user_corp_a"], "fp": "x"})
    assert client.get(f"/password/reset/{forged}").status_code == 400
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        stale = serializer.dumps({"uid": world.ids["user_corp_a"], "fp": "x"})
        response = client.get(f"/password/reset/{stale}")
        assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_platform_admin_reads_outbox(app, client, login, world):
    client.post("/password/forgot", data={"email": world.emails["corp_a"], "csrf_token": csrf_token(client, "/password/forgot")})
    login(world.emails["platform"])
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Reset your Forecourt password" in page
    with app.app_context(), all_tenants():
        message_id = db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())).first()
    assert "/password/reset/" in client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert client.get("/admin/outbox/999999").status_code == 404
