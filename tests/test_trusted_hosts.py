"""Links in mails are built on EXTERNAL_BASE_URL whatever Host the request carried; production answers only
its own host names (TRUSTED_HOSTS)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import config
from app import ConfigurationError, create_app
from app.extensions import db
from app.models.mail import OutboxMessage
from app.tenancy import all_tenants
from tests import factories
from tests.conftest import CSRF_RE, fresh_app

EVIL = "evil.example"


def _form_token(client, path: str, host: str = "localhost") -> str:
    match = CSRF_RE.search(client.get(path, headers={"Host": host}).get_data(as_text=True))
    assert match
    return match.group(1) or match.group(2)


def _last_mail(app) -> str:
    with app.app_context(), all_tenants():
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first().body_text


def test_password_reset_mail_ignores_a_forged_host(app, world):
    client = app.test_client()
    # the whole exchange claims to be for evil.example
    token = _form_token(client, "/password/forgot", EVIL)
    response = client.post("/password/forgot", data={"email": world.emails["consultant_a1"], "csrf_token": token},
                           headers={"Host": EVIL})
    assert response.status_code == 302
    body = _last_mail(app)
    links = re.findall(r"\S+/password/reset/\S+", body)
    assert links and all(link.startswith(app.config["EXTERNAL_BASE_URL"] + "/password/reset/") for link in links), body
    assert "evil.example" not in body


def test_consultant_invitation_mail_ignores_a_forged_host(app, world):
    client = app.test_client()
    data = {"email": world.emails["principal_a1"], "password": factories.PASSWORD,
            "csrf_token": _form_token(client, "/login", EVIL)}
    assert client.post("/login", data=data, headers={"Host": EVIL}).status_code == 302
    page = f"/d/{world.slugs['a1']}/consultants/invite"
    token = _form_token(client, page, EVIL)
    response = client.post(page, data={"email": "new.person@example.com", "name": "New Person",
                                       "role": "sales_consultant", "csrf_token": token}, headers={"Host": EVIL})
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    body = _last_mail(app)
    assert "evil.example" not in body
    assert app.config["EXTERNAL_BASE_URL"] + "/invitation/" in body


@pytest.fixture
def trusted(app):
    with fresh_app(app, TRUSTED_HOSTS=["portal.example.com"]) as other:
        yield other


def test_requests_for_other_hosts_are_refused(trusted):
    client = trusted.test_client()
    response = client.get("/login", headers={"Host": EVIL})
    assert response.status_code == 400
    assert "does not answer to this address" in response.get_data(as_text=True)
    assert client.post("/password/forgot", data={"email": "x@example.com"}, headers={"Host": EVIL}).status_code == 400
    assert client.get("/login").status_code == 400  # "localhost" is not listed either
    answer = client.get("/login", headers={"Host": "portal.example.com:443"})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]


def test_production_trusts_the_external_host_or_the_listed_ones():
    assert config.trusted_hosts({"EXTERNAL_BASE_URL": "https://Portal.Example.com/forecourt"}) == ["portal.example.com"]
    listed = {"EXTERNAL_BASE_URL": "https://portal.example.com", "TRUSTED_HOSTS": "a.example, B.example ,"}
    assert config.trusted_hosts(listed) == ["a.example", "b.example"]
    assert config.trusted_hosts({}) == ["localhost"]  # never "trust everything"
    assert config.ProductionConfig.TRUSTED_HOSTS


def test_production_refuses_to_start_without_its_public_address(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("EXTERNAL_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="EXTERNAL_BASE_URL"):
        create_app("production")
