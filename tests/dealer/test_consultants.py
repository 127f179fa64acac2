"""Sales consultant setup: invitation by signed link, edit, photo, authority, deactivate, roles."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from app.domain.approval import DiscountAuthority
from app.domain.roles import Role
from app.extensions import db
from app.models.accounts import Membership, User
from app.models.customers import Customer
from app.models.mail import OutboxMessage
from app.services import consultants as service
from app.services import customers as customer_service
from app.services import invitations
from app.tenancy import all_tenants
from tests.conftest import csrf_token
from tests.dealer.helpers import as_dealer, post, url


def test_invite_mail_link_sets_password_once(client, login, app, world):
    login(world.emails["principal_a1"])
    page = url(world, "a1", "consultants/invite")
    response = post(client, page, {"email": "New.Person@example.kr", "name": "신입 상담사", "role": "sales_consultant",
                                   "languages": ["ko", "en"], "discount_max_amount": "300000", "discount_max_percent": "1.5"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context(), all_tenants():
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipients == "new.person@example.kr"))
        link = re.search(r"http://[^\s]+/invitation/[^\s]+", message.body_text).group(0)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    path = link.split("localhost", 1)[-1]
    assert client.get(path).status_code == 200
    short = post(client, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 400
    done = post(client, path, {"password": "a-long-password", "confirm": "a-long-password"})
    assert done.status_code == 302
    assert client.get(path).status_code == 400  # single use
    login("new.person@example.kr", "a-long-password")
    assert client.get(url(world, "a1", "customers/")).status_code == 200
    with as_dealer(app, world) as dealer:
        user = db.session.scalar(select(User).where(User.email == "new.person@example.kr"))
        assert service.discount_authority_for(user, dealer) == DiscountAuthority(Decimal(300000), Decimal("1.5"))


def test_expired_and_forged_invitations(app, world):
    with app.test_request_context(), all_tenants():
        from app.models.accounts import Dealer

        invitation = invitations.invite(db.session, db.session.get(Dealer, world.ids["a1"]), email="late@example.kr",
                                        name="Late", role=Role.SALES_CONSULTANT)
        token = invitations.make_token(invitation.membership, "testing-secret-key")
        with pytest.raises(invitations.InvalidInvitation, match="expired"):
            invitations.verify_token(db.session, token, "testing-secret-key", max_age=-1)
        with pytest.raises(invitations.InvalidInvitation, match="not valid"):
            invitations.verify_token(db.session, token, "another-key", max_age=3600)
        assert invitations.verify_token(db.session, token, "testing-secret-key", max_age=3600).user.email == "late@example.kr"
        invitations.withdraw(db.session, invitation.membership)
        with pytest.raises(invitations.InvalidInvitation):
            invitations.verify_token(db.session, token, "testing-secret-key", max_age=3600)


def test_duplicate_email_of_current_staff_is_refused(client, login, app, world):
    login(world.emails["principal_a1"])
    response = post(client, url(world, "a1", "consultants/invite"),
                    {"email": world.emails["consultant_a1"], "name": "Again", "role": "sales_consultant"})
    assert response.status_code == 400
    assert "already works at this dealership" in response.get_data(as_text=True)
    with app.app_context(), all_tenants():
        assert db.session.scalar(select(OutboxMessage)) is None


def test_manager_cannot_make_a_principal(client, login, world):
    login(world.emails["manager_a1"])
    response = post(client, url(world, "a1", "consultants/invite"),
                    {"email": "boss@example.kr", "name": "Boss", "role": "dealer_principal"})
    assert response.status_code == 400  # not among the manager's role choices


def test_consultant_gets_403_on_consultant_setup(client, login, world):
    login(world.emails["consultant_a1"])
    for path in ["consultants/", "consultants/invite", f"consultants/{world.ids['user_consultant_a1']}"]:
        response = client.get(url(world, "a1", path))
        assert response.status_code == 403, path
        assert "403" in response.get_data(as_text=True)  # the error page (in the dealer's language, Korean here)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_edit_role_languages_authority_and_photo(client, login, app, world):
    login(world.emails["principal_a1"])
    uid = world.ids["user_consultant_a1"]
    page = url(world, "a1", f"consultants/{uid}")
    token = csrf_token(client, page)
    bad = client.post(page, data={"csrf_token": token, "name": "X", "role": "sales_consultant", "discount_max_percent": "120"})
    assert bad.status_code == 400 and "between 0 and 100" in bad.get_data(as_text=True)
    response = client.post(page, data={
        "csrf_token": token, "name": "Renamed", "role": "sales_manager", "languages": ["ko", "th"],
        "discount_max_amount": "700000", "photo": (io.BytesIO(_png()), "me.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    photo = client.get(url(world, "a1", f"consultants/{uid}/photo"))
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    with as_dealer(app, world) as dealer:
        member = service.staff_member(db.session, dealer, uid)
        # the dealer changes its membership (role), never the person's identity
        assert member.membership.role.value == "sales_manager" and member.user.name == "consultant_a1"
        assert member.profile.languages == ["ko", "th"]
        assert service.discount_authority_for(member.user, dealer) == DiscountAuthority(Decimal(700000), None)


def test_deactivate_reassigns_open_customers_and_keeps_history(client, login, app, world):
    uid = world.ids["user_consultant_a1"]
    with as_dealer(app, world) as dealer:
        for n in range(2):
            customer_service.create_customer(db.session, dealer, customer_service.CustomerInput(
                full_name=f"C{n}", phone=f"010-2345-678{n}", assigned_consultant_id=uid))
        db.session.commit()
    login(world.emails["principal_a1"])
    page = url(world, "a1", f"consultants/{uid}")
    target = url(world, "a1", f"consultants/{uid}/deactivate")
    missing = post(client, page, {"reassign_to": ""}, target=target)
    assert missing.status_code == 303  # refused with a message: nobody to take over
    response = post(client, page, {"reassign_to": world.ids["user_manager_a1"]}, target=target)
    assert response.status_code == 303
    with as_dealer(app, world) as dealer:
        membership = db.session.scalar(select(Membership).where(Membership.user_id == uid, Membership.dealer_id == dealer.id))
        assert membership.active is False
        owners = {c.assigned_consultant_id for c in db.session.scalars(select(Customer))}
        assert owners == {world.ids["user_manager_a1"]}
        assert all(any(e.kind == "reassigned" for e in c.events) for c in db.session.scalars(select(Customer)))
        assert service.discount_authority_for(db.session.get(User, uid), dealer) == DiscountAuthority()
    assert client.get(url(world, "a1", "consultants/")).status_code == 200  # still listed, as inactive


def test_cannot_deactivate_self(client, login, world):
    login(world.emails["principal_a1"])
    uid = world.ids["user_principal_a1"]
    response = post(client, url(world, "a1", f"consultants/{uid}"), {"reassign_to": ""}, target=url(world, "a1", f"consultants/{uid}/deactivate"))
    assert response.status_code == 303
    assert client.get(url(world, "a1", "")).status_code == 200  # still a member
