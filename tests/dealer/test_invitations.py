"""Invitations never pull another tenant's user in: existing accounts wait for their own acceptance, keep their
name, and the inviter's answer does not tell whether an address has an account (issue 12 item 4)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models.accounts import Membership, User
from app.models.mail import OutboxMessage
from app.tenancy import all_tenants
from tests import factories
from tests.conftest import csrf_token
from tests.dealer.helpers import post, url


def _invite(client, world, email: str, name: str = "Someone Else"):
    return post(client, url(world, "a1", "consultants/invite"), {"email": email, "name": name, "role": "sales_consultant"})


def _membership(app, user_id: int, dealer_id: int) -> Membership | None:
    with app.app_context(), all_tenants():
        return db.session.scalar(select(Membership).where(Membership.user_id == user_id, Membership.dealer_id == dealer_id))


def _link_for(app, email: str) -> str:
    with app.app_context(), all_tenants():
        body = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients == email)
                                  .order_by(OutboxMessage.id.desc())).first().body_text
    return re.search(r"http://localhost(/invitation/\S+)", body).group(1)


def _flash_after(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.search(r'class="flash[^"]*"[^>]*>(.*?)<', page, re.S).group(1).strip()


def test_the_answer_is_the_same_for_known_and_unknown_addresses(app, client, login, world):
    login(world.emails["principal_a1"])
    known = _flash_after(client, _invite(client, world, world.emails["consultant_b1"]))
    unknown = _flash_after(client, _invite(client, world, "nobody.yet@example.kr"))
    platform = _flash_after(client, _invite(client, world, world.emails["platform"]))
    assert known.replace(world.emails["consultant_b1"], "X") == unknown.replace("nobody.yet@example.kr", "X")
    assert platform.replace(world.emails["platform"], "X") == unknown.replace("nobody.yet@example.kr", "X")


def test_another_brands_user_waits_for_their_own_acceptance(app, client, login, world):
    login(world.emails["principal_a1"])
    _invite(client, world, world.emails["consultant_b1"], name="Renamed By A1")
    membership = _membership(app, world.ids["user_consultant_b1"], world.ids["a1"])
    assert membership is not None and membership.pending and not membership.active
    with app.app_context(), all_tenants():
        assert db.session.get(User, world.ids["user_consultant_b1"]).name == "consultant_b1"  # never renamed
    link = _link_for(app, world.emails["consultant_b1"])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})

    invitee = app.test_client()
    data = {"email": world.emails["consultant_b1"], "password": factories.PASSWORD, "csrf_token": csrf_token(invitee)}
    assert invitee.post("/login", data=data).status_code == 302
    assert invitee.get(url(world, "a1")).status_code == 404  # no access before accepting

    # signed out: the link asks to sign in first and comes back
    stranger = app.test_client()
    response = stranger.get(link)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/invitation/")
    # signed in as someone else (even the inviter): refused, nothing changes
    login(world.emails["principal_a1"])
    assert client.get(link).status_code == 403
    assert client.post(link, data={"csrf_token": csrf_token(client, "/workspaces")}).status_code == 403
    assert _membership(app, world.ids["user_consultant_b1"], world.ids["a1"]).pending

    page = invitee.get(link)
    assert page.status_code == 200 and "Dealer A1" in page.get_data(as_text=True)
    accepted = invitee.post(link, data={"csrf_token": csrf_token(invitee, link)})
    assert accepted.status_code == 302 and accepted.headers["Location"] == url(world, "a1")
    assert invitee.get(url(world, "a1")).status_code == 200
    assert invitee.get(url(world, "b1")).status_code == 200  # their own dealer is untouched
    membership = _membership(app, world.ids["user_consultant_b1"], world.ids["a1"])
    assert membership.active and not membership.pending
    assert invitee.get(link).status_code == 400  # used


def test_the_platform_admin_is_not_pulled_into_a_dealer(app, client, login, world):
    login(world.emails["principal_a1"])
    _invite(client, world, world.emails["platform"])
    membership = _membership(app, world.ids["user_platform"], world.ids["a1"])
    assert membership.pending and not membership.active
    listing = client.get(url(world, "a1", "consultants/")).get_data(as_text=True)
    assert "Invited" in listing
    # the platform admin's own answer: brand and platform accounts stay separate from dealer staff
    link = _link_for(app, world.emails["platform"])
    admin = app.test_client()
    admin.post("/login", data={"email": world.emails["platform"], "password": factories.PASSWORD,
                               "csrf_token": csrf_token(admin)})
    refused = admin.post(link, data={"csrf_token": csrf_token(admin, link)})
    assert refused.status_code == 400 and "cannot join a dealership" in refused.get_data(as_text=True)
    assert admin.get(url(world, "a1")).status_code == 404
    # the dealer cannot skip the acceptance by "reactivating" the invitation
    page = url(world, "a1", f"consultants/{world.ids['user_platform']}")
    response = post(client, page, {}, target=url(world, "a1", f"consultants/{world.ids['user_platform']}/reactivate"))
    assert response.status_code == 303
    assert _membership(app, world.ids["user_platform"], world.ids["a1"]).pending


def test_a_pending_invitation_can_be_sent_again_or_withdrawn(app, client, login, world):
    login(world.emails["principal_a1"])
    _invite(client, world, world.emails["principal_b1"])
    uid = world.ids["user_principal_b1"]
    page = url(world, "a1", f"consultants/{uid}")
    assert post(client, page, {}, target=url(world, "a1", f"consultants/{uid}/resend")).status_code == 303
    link = _link_for(app, world.emails["principal_b1"])
    assert post(client, page, {}, target=url(world, "a1", f"consultants/{uid}/deactivate")).status_code == 303
    assert not _membership(app, uid, world.ids["a1"]).pending
    invitee = app.test_client()
    data = {"email": world.emails["principal_b1"], "password": factories.PASSWORD, "csrf_token": csrf_token(invitee)}
    invitee.post("/login", data=data)
    assert invitee.get(link).status_code == 400  # withdrawn


def test_corporate_invitation_of_an_existing_account_waits_too(app, client, login, world):
    login(world.emails["corp_a"])
    base = f"/c/{world.slugs['brand_a']}"
    token = csrf_token(client, f"{base}/dealers/{world.ids['a2']}")
    response = client.post(f"{base}/dealers/{world.ids['a2']}/invite",
                           data={"csrf_token": token, "name": "Boss Of Everything", "email": world.emails["corp_b"]})
    assert response.status_code == 302
    membership = _membership(app, world.ids["user_corp_b"], world.ids["a2"])
    assert membership.pending and not membership.active and membership.role.value == "dealer_principal"
    with app.app_context(), all_tenants():
        assert db.session.get(User, world.ids["user_corp_b"]).name == "corp_b"
        body = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first().body_text
    assert "sign in with your existing Forecourt account" in body
    # inviting someone who already runs the dealer is refused, and nothing is mailed
    token = csrf_token(client, f"{base}/dealers/{world.ids['a2']}")
    again = client.post(f"{base}/dealers/{world.ids['a2']}/invite",
                        data={"csrf_token": token, "name": "P", "email": world.emails["principal_a2"]})
    assert again.status_code == 302
    assert "already works at this dealership" in client.get(again.headers["Location"]).get_data(as_text=True)
