"""Dealers, invitations, consultants, brand-wide customer search and membership withdrawal."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import JSON, String, Text, cast, func, select

from app.extensions import db
from app.models import Base
from app.models.accounts import Dealer, Membership
from app.models.audit import AuditEvent
from app.models.customers import Customer, CustomerEvent
from app.models.mail import OutboxMessage
from app.services import audit
from app.tenancy import scoped
from tests.conftest import csrf_token
from tests.corporate import factories as cf


def test_create_dealer_invite_principal_and_accept(app, client, corp, login, world, read):
    base, token = corp
    data = {"csrf_token": token, "code": "DAEGU1", "name": "Daegu Motors", "slug": "daegu-motors",
            "business_model": "O2O", "locale": "ko", "currency": "KRW", "timezone": "Asia/Seoul",
            "latitude": "35.871435", "longitude": "128.601445"}
    taken = client.post(f"{base}/dealers/new", data={**data, "slug": world.slugs["b1"]})
    assert taken.status_code == 400 and "This web address name is taken." in taken.get_data(as_text=True)
    bad_tz = client.post(f"{base}/dealers/new", data={**data, "timezone": "Mars/Olympus"})
    assert bad_tz.status_code == 400 and "Unknown time zone." in bad_tz.get_data(as_text=True)
    assert client.post(f"{base}/dealers/new", data=data).status_code == 302
    dealer = read(lambda: db.session.scalar(select(Dealer).where(Dealer.slug == "daegu-motors")))
    assert dealer.brand_id == world.ids["brand_a"] and dealer.latitude == Decimal("35.871435")
    response = client.post(f"{base}/dealers/{dealer.id}/invite",
                           data={"csrf_token": token, "name": "Park Invitee", "email": "Invitee@Example.com"})
    assert response.status_code == 302
    mail = read(lambda: db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc())))
    assert mail.recipients == "invitee@example.com"
    link = re.search(r"http://localhost(/invitation/\S+)", mail.body_text).group(1)
    client.post("/logout", data={"csrf_token": token})
    form_token = csrf_token(client, link)
    ok = client.post(link, data={"csrf_token": form_token, "password": "a-long-password", "confirm": "a-long-password"})
    assert ok.status_code == 302
    assert client.get(link).status_code == 400  # single use
    assert client.get("/invite/forged-token").status_code == 400
    login("invitee@example.com", "a-long-password")
    assert client.get("/d/daegu-motors/").status_code == 200


def test_deactivate_dealer_and_consultant(client, corp, world, read):
    base, token = corp
    page = client.get(f"{base}/consultants/?q=consultant_a1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "consultant_a1" in page and "consultant_b1" not in page and "<html" not in page
    membership_id = read(lambda: db.session.scalar(
        select(Membership.id).where(Membership.user_id == world.ids["user_consultant_a1"])))
    assert client.post(f"{base}/consultants/{membership_id}/deactivate", data={"csrf_token": token}).status_code == 302
    assert read(lambda: db.session.get(Membership, membership_id).active) is False
    assert client.post(f"{base}/dealers/{world.ids['a2']}/active", data={"csrf_token": token}).status_code == 302
    assert read(lambda: db.session.get(Dealer, world.ids["a2"]).active) is False


def test_marketer_cannot_manage_dealers_or_customers(client, login, world):
    login(world.emails["marketer_a"])
    base = f"/c/{world.slugs['brand_a']}"
    for path in ["/dealers/", "/consultants/", "/customers/"]:
        assert client.get(base + path).status_code == 403


def test_brand_wide_customer_search(client, corp, world, make):
    base, _ = corp
    make(cf.customer, world.ids["a1"], full_name="Kim Minji", email="minji@example.com", phone_e164="+821012345678")
    make(cf.customer, world.ids["a2"], full_name="Kim Dohyun", email="dohyun@example.com", phone_e164="+821098765432")
    make(cf.customer, world.ids["b1"], full_name="Kim Other Brand", email="other@example.com", phone_e164="+66812345678")
    names = client.get(f"{base}/customers/?q=kim", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Kim Minji" in names and "Kim Dohyun" in names and "Other Brand" not in names
    by_phone = client.get(f"{base}/customers/?q=010-1234-5678").get_data(as_text=True)
    assert "Kim Minji" in by_phone and "Kim Dohyun" not in by_phone
    assert "Kim Dohyun" in client.get(f"{base}/customers/?q=DOHYUN@example.com").get_data(as_text=True)


def _text_columns():
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                yield table, column


def _occurrences(needle: str) -> list[str]:
    found = []
    for table, column in _text_columns():
        hits = db.session.execute(
            select(func.count()).select_from(table).where(cast(column, Text).ilike(f"%{needle}%"))
        ).scalar()
        if hits:
            found.append(f"{table.name}.{column.name}")
    return found


def test_membership_withdrawal_erases_personal_data_everywhere(app, client, corp, world, make, read):
    base, token = corp
    email, phone, name = "jiwoo.lee@example.com", "+821055501234", "Lee Jiwoo"
    customer_id = make(cf.customer, world.ids["a1"], full_name=name, email=email, phone_e164=phone,
                       street="테헤란로 1", notes="Prefers calls after 6pm")

    def history():
        customer = db.session.get(Customer, customer_id)
        db.session.add(CustomerEvent(dealer_id=customer.dealer_id, customer_id=customer.id, kind="note",
                                     summary=f"Called {name} on {phone}"))
        db.session.add(OutboxMessage(sender="x@example.com", recipients=email, subject=f"Your offer, {name}",
                                     body_text=f"Dear {name}", dealer_id=customer.dealer_id))
        db.session.add(OutboxMessage(sender="x@example.com", recipients="consultant@example.com",
                                     subject="New lead", body_text=f"Call {name} at {phone}",
                                     dealer_id=customer.dealer_id))
        with scoped(dealer_id=customer.dealer_id, brand_id=world.ids["brand_a"]):
            audit.record(db.session, "customer_created", customer, after={"email": email, "phone": phone, "name": name})
        db.session.commit()

    read(history)
    assert read(lambda: _occurrences(email)) and read(lambda: _occurrences(phone))
    page = client.get(f"{base}/customers/{customer_id}").get_data(as_text=True)
    assert name in page
    refused = client.post(f"{base}/customers/{customer_id}/withdraw", data={"csrf_token": token, "confirm": "no"})
    assert refused.status_code == 302 and read(lambda: db.session.get(Customer, customer_id).withdrawn_at) is None
    response = client.post(f"{base}/customers/{customer_id}/withdraw", data={"csrf_token": token, "confirm": "WITHDRAW"})
    assert response.status_code == 302
    for needle in (email, phone, phone.lstrip("+"), name, "테헤란로 1", "after 6pm"):
        assert read(lambda n=needle: _occurrences(n)) == [], needle
    customer = read(lambda: db.session.get(Customer, customer_id))
    assert customer.withdrawn_at is not None and customer.dealer_id == world.ids["a1"]
    assert "Lee Jiwoo" not in client.get(f"{base}/customers/?q=Lee").get_data(as_text=True)
    assert read(lambda: db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "customer_withdrawn"))) == 1
    again = client.post(f"{base}/customers/{customer_id}/withdraw", data={"csrf_token": token, "confirm": "WITHDRAW"},
                        follow_redirects=True)
    assert "already withdrawn" in again.get_data(as_text=True)


def test_consultants_of_other_brands_never_show(client, corp, world, read):
    """Regression: the staff list and the dashboard counted every brand's dealer staff."""
    base, token = corp
    page = client.get(f"{base}/consultants/").get_data(as_text=True)
    assert "consultant_a1" in page and "principal_a1" in page
    assert "consultant_b1" not in page and "principal_b1" not in page
    other = read(lambda: db.session.scalar(
        select(Membership.id).where(Membership.user_id == world.ids["user_consultant_b1"])))
    assert client.post(f"{base}/consultants/{other}/deactivate", data={"csrf_token": token}).status_code == 404
    assert read(lambda: db.session.get(Membership, other).active) is True
    brand_a_staff = read(lambda: db.session.scalar(select(func.count()).select_from(Membership).join(
        Dealer, Dealer.id == Membership.dealer_id).where(Dealer.brand_id == world.ids["brand_a"],
                                                         Membership.active.is_(True))))
    dashboard = client.get(f"{base}/").get_data(as_text=True)
    assert f'<span class="value">{brand_a_staff}</span>Dealer staff' in dashboard
