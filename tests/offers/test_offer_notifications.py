"""Offer workflow messages (issue 11, item 14): who hears of each step, in their language, in the bell and by e-mail.

Mail goes through the app's real ``smtp`` backend to a real SMTP server on loopback (``smtp`` fixture).
"""

from __future__ import annotations

import io
import re
from datetime import date

from flask_babel import force_locale, gettext
from pypdf import PdfReader
from sqlalchemy import select

from app.domain.offer_states import OfferState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.mail import OutboxMessage
from app.models.notifications import Notification
from app.models.offers import Offer
from app.tenancy import all_tenants, scoped
from tests import offer_factories
from tests.conftest import csrf_token

CUSTOMER_EMAIL = "minjun@example.com"


def _tr(app, locale: str, msgid: str, **params) -> str:
    """Return ``msgid`` translated into ``locale`` by the app's catalogs."""
    with app.app_context(), force_locale(locale):
        return gettext(msgid, **params)


def _make(app, world, *, discount="0", email=CUSTOMER_EMAIL, consultant_key="user_consultant_a1",
          consultant_locale="ko", principal_locale="ru") -> tuple[int, str]:
    """Create a draft offer of dealer A1 for a Korean customer; return (offer id, offer number)."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="김민준", email=email, preferred_locale="ko")
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids[consultant_key])
        consultant.preferred_locale = consultant_locale
        db.session.get(User, world.ids["user_principal_a1"]).preferred_locale = principal_locale
        offer = offer_factories.offer(dealer, customer, consultant, discount=discount, valid_until=date(2099, 1, 1), locale="ko")
        db.session.commit()
        return offer.id, offer.number


def _post(client, world, offer_id, action, dealer="a1", **data):
    base = f"/d/{world.slugs[dealer]}/offers/{offer_id}"
    return client.post(f"{base}/{action}", data={"csrf_token": csrf_token(client, base), **data})


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})


def _notifications(app, user_id: int) -> list[Notification]:
    with app.app_context(), all_tenants():
        rows = list(db.session.scalars(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def _badge(client, world, dealer="a1") -> str:
    return client.get(f"/d/{world.slugs[dealer]}/notifications/badge").get_data(as_text=True)


def test_send_emails_the_customer_the_pdf_and_link_in_korean(app, client, login, world, smtp):
    offer_id, number = _make(app, world)
    login(world.emails["consultant_a1"])
    response = _post(client, world, offer_id, "send", revision_no=1)
    assert response.status_code == 302
    [mail] = smtp.to(CUSTOMER_EMAIL)
    subject = _tr(app, "ko", "Your offer %(number)s from %(dealer)s", number=number, dealer="Dealer A1")
    assert subject != f"Your offer {number} from Dealer A1"  # a real Korean text, not the msgid
    assert mail.message["Subject"] == subject
    body = mail.text()
    assert "김민준" in body and "Dear" not in body
    link = re.search(r"http://localhost(/o/\S+)", body).group(1)
    [(filename, content_type, pdf)] = mail.attachments()
    assert (filename, content_type) == (f"{number}-v1.pdf", "application/pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert number in text and _tr(app, "ko", "Valid until") in text and "Valid until" not in text
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.recipients == CUSTOMER_EMAIL)) == "sent"
    # the link in the mail opens the customer's offer page (and the offer is sent, then viewed)
    _logout(client)
    assert client.get(link).status_code == 200
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        assert db.session.get(Offer, offer_id).state is OfferState.VIEWED


def test_send_without_customer_email_says_so_and_still_sends(app, client, login, world, smtp):
    offer_id, _number = _make(app, world, email=None)
    login(world.emails["consultant_a1"])
    page = client.get(f"/d/{world.slugs['a1']}/offers/{offer_id}")
    assert page.status_code == 200
    response = _post(client, world, offer_id, "send", revision_no=1)
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _tr(app, "ko", "The customer has no e-mail address: share the link or the QR code.") in flashed
    assert smtp.messages == []
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        assert db.session.get(Offer, offer_id).state is OfferState.SENT


def test_approval_request_reaches_the_principal_and_the_decision_the_consultant(app, client, login, world, smtp):
    offer_id, number = _make(app, world, discount="2000000")  # needs approval
    login(world.emails["consultant_a1"])
    _post(client, world, offer_id, "submit", revision_no=1)
    _logout(client)
    # the principal: bell + mail, in Russian (their own language)
    [request] = _notifications(app, world.ids["user_principal_a1"])
    assert request.kind == "offer.approval_requested" and request.dealer_id == world.ids["a1"]
    assert request.title == _tr(app, "ru", "Offer %(number)s waits for your approval", number=number)
    assert request.title != f"Offer {number} waits for your approval"
    assert request.url.endswith(f"/d/{world.slugs['a1']}/offers/{offer_id}") and request.url.startswith("http://localhost/")
    [mail] = smtp.to(world.emails["principal_a1"])
    assert mail.message["Subject"] == request.title and request.url in mail.text()
    # the consultant, who asked, and the sales manager (not an approver of record here) hear nothing yet
    assert _notifications(app, world.ids["user_consultant_a1"]) == []
    assert smtp.to(world.emails["consultant_a1"]) == [] and smtp.to(world.emails["manager_a1"]) == []

    login(world.emails["principal_a1"])
    assert 'class="count-badge">1<' in _badge(client, world)
    _post(client, world, offer_id, "decide", revision_no=1, decision="approve", comment="단골 고객")
    _logout(client)
    [approved] = _notifications(app, world.ids["user_consultant_a1"])
    assert approved.kind == "offer.approved"
    assert approved.title == _tr(app, "ko", "Offer %(number)s approved by %(approver)s", number=number, approver="principal_a1")
    assert "단골 고객" in approved.body and approved.url == request.url
    [mail] = smtp.to(world.emails["consultant_a1"])
    assert mail.message["Subject"] == approved.title and approved.url in mail.text()
    login(world.emails["consultant_a1"])
    assert 'class="count-badge">1<' in _badge(client, world)
    listing = client.get(f"/d/{world.slugs['a1']}/notifications/").get_data(as_text=True)
    assert approved.title in listing


def test_a_returned_offer_tells_the_consultant_why(app, client, login, world, smtp):
    offer_id, number = _make(app, world, discount="2000000", consultant_locale="th")
    login(world.emails["consultant_a1"])
    _post(client, world, offer_id, "submit", revision_no=1)
    _logout(client)
    login(world.emails["principal_a1"])
    _post(client, world, offer_id, "decide", revision_no=1, decision="return", comment="Discount too high")
    [returned] = _notifications(app, world.ids["user_consultant_a1"])
    assert returned.kind == "offer.returned"
    assert returned.title == _tr(app, "th", "Offer %(number)s returned by %(approver)s", number=number, approver="principal_a1")
    assert returned.body == _tr(app, "th", "Please revise it and submit it again. Reason: %(comment)s", comment="Discount too high")
    assert smtp.to(world.emails["consultant_a1"])[0].message["Subject"] == returned.title


def _sent(app, world, client, login, offer_id) -> str:
    """Send the offer as its consultant; return the customer's link path from the mail."""
    login(world.emails["consultant_a1"])
    _post(client, world, offer_id, "send", revision_no=1)
    _logout(client)
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        from app.services import offers as svc

        return "/o/" + svc.make_link_token(db.session.get(Offer, offer_id), app.config["SECRET_KEY"])


def test_acceptance_by_the_customer_reaches_the_consultant(app, client, login, world, smtp):
    offer_id, number = _make(app, world)
    link = _sent(app, world, client, login, offer_id)
    response = client.post(f"{link}/accept", data={"full_name": "김민준", "conditions": "y", "csrf_token": csrf_token(client, link)})
    assert response.status_code == 302 and "/p/" in response.headers["Location"]
    [told] = _notifications(app, world.ids["user_consultant_a1"])
    assert told.kind == "deal.opened" and told.deal_id is not None
    assert told.title == _tr(app, "ko", "Offer %(number)s accepted: deal opened", number=number)
    assert "김민준" in told.body and f"/deals/{told.deal_id}" in told.url
    [mail] = smtp.to(world.emails["consultant_a1"])
    assert mail.message["Subject"] == told.title and told.url in mail.text()


def test_decline_by_the_customer_reaches_the_consultant_with_the_reason(app, client, login, world, smtp):
    offer_id, number = _make(app, world)
    link = _sent(app, world, client, login, offer_id)
    client.post(f"{link}/decline", data={"reason": "가격이 너무 높아요", "csrf_token": csrf_token(client, link)})
    [told] = _notifications(app, world.ids["user_consultant_a1"])
    assert told.kind == "offer.declined"
    assert told.title == _tr(app, "ko", "Offer %(number)s declined by %(customer)s", number=number, customer="김민준")
    assert "가격이 너무 높아요" in told.body
    assert smtp.to(world.emails["consultant_a1"])[0].message["Subject"] == told.title


def test_no_notification_crosses_to_another_tenant(app, client, login, world, smtp):
    """A consultant of two dealers sees an A1 offer's news only in A1's bell; nobody at A2 or B1 hears of it."""
    with app.app_context(), all_tenants():
        group_id = db.session.scalar(select(User.id).where(User.email == world.emails["group"]))
    world.ids["user_group"] = group_id
    offer_id, number = _make(app, world, discount="2000000", consultant_key="user_group", consultant_locale="en")
    login(world.emails["group"])
    _post(client, world, offer_id, "submit", revision_no=1)
    _logout(client)
    login(world.emails["principal_a1"])
    _post(client, world, offer_id, "decide", revision_no=1, decision="approve", comment="")
    _logout(client)
    with app.app_context(), all_tenants():
        dealers = set(db.session.scalars(select(Notification.dealer_id)))
    assert dealers == {world.ids["a1"]}
    for key in ("principal_a2", "principal_b1", "consultant_b1", "corp_a", "platform"):
        assert _notifications(app, world.ids[f"user_{key}"]) == []
        assert smtp.to(world.emails[key]) == []
    login(world.emails["group"])
    assert 'class="count-badge">1<' in _badge(client, world, "a1")
    assert "count-badge" not in _badge(client, world, "a2")
    assert number not in client.get(f"/d/{world.slugs['a2']}/notifications/").get_data(as_text=True)
    # and the A1 notification cannot be opened or marked read from A2 (404, it is not A2's)
    [row] = _notifications(app, group_id)
    base = f"/d/{world.slugs['a2']}/notifications"
    assert client.post(f"{base}/{row.id}/read", data={"csrf_token": csrf_token(client, base + "/")}).status_code == 404
