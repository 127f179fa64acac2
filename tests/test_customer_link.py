"""The customer's signed offer link: view counting, accept/decline, revocation, expiry, language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.offer_states import OfferState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.offers import Offer
from app.services import offers as svc
from app.tenancy import scoped
from tests import offer_factories
from tests.conftest import csrf_token


@pytest.fixture
def sent_offer(app, world):
    """Return (offer_id, token) of a sent offer of dealer A1 to a Korean customer, valid for years."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="김민준", email="minjun@example.com")
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        offer = offer_factories.offer(dealer, customer, consultant, valid_until=date(2099, 12, 31))
        svc.send_offer(db.session, offer, actor=consultant, now=offer_factories.NOW)
        db.session.commit()
        return offer.id, svc.make_link_token(offer, app.config["SECRET_KEY"])


def _offer(app, world, offer_id) -> Offer:
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        offer = db.session.get(Offer, offer_id)
        db.session.expunge(offer)
        return offer


def test_view_is_counted_and_shown_in_offer_language(app, client, world, sent_offer):
    offer_id, token = sent_offer
    page = client.get(f"/o/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="ko"' in html
    assert "김민준" in html and "₩34,850,000" not in html  # no discount: 35,000,000 + 150,000
    assert "₩35,150,000" in html
    client.get(f"/o/{token}")
    offer = _offer(app, world, offer_id)
    assert offer.view_count == 2 and offer.state is OfferState.VIEWED and offer.first_viewed_at is not None


def test_accept_needs_name_and_conditions(app, client, world, sent_offer):
    offer_id, token = sent_offer
    page_token = csrf_token(client, f"/o/{token}")
    response = client.post(f"/o/{token}/accept", data={"full_name": "김민준", "csrf_token": page_token})
    assert response.status_code == 302
    assert _offer(app, world, offer_id).state is OfferState.VIEWED
    response = client.post(f"/o/{token}/accept", data={"full_name": "김민준", "conditions": "y", "csrf_token": page_token})
    assert response.status_code == 302
    offer = _offer(app, world, offer_id)
    assert offer.state is OfferState.ACCEPTED and offer.accepted_name == "김민준"
    # a second decision is refused with a message, nothing changes
    response = client.post(f"/o/{token}/decline", data={"reason": "changed my mind", "csrf_token": page_token}, follow_redirects=True)
    assert _offer(app, world, offer_id).state is OfferState.ACCEPTED
    assert "accepted" in response.get_data(as_text=True)


def test_decline_with_reason(app, client, world, sent_offer):
    offer_id, token = sent_offer
    page_token = csrf_token(client, f"/o/{token}")
    client.post(f"/o/{token}/decline", data={"reason": "Found a better price", "csrf_token": page_token})
    offer = _offer(app, world, offer_id)
    assert offer.state is OfferState.DECLINED and offer.decline_reason == "Found a better price"


def _english(client) -> None:
    """Pick English in this browser session (beats the offer's Korean)."""
    client.post("/locale", data={"locale": "en", "next": "/login", "csrf_token": csrf_token(client)})


def test_tampered_revoked_and_foreign_links(app, client, world, sent_offer):
    offer_id, token = sent_offer
    _english(client)
    assert client.get(f"/o/{token[:-2]}xx").status_code == 404
    assert client.get("/o/garbage").status_code == 404
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        offer = db.session.get(Offer, offer_id)
        svc.withdraw_offer(db.session, offer, actor=db.session.get(User, world.ids["user_consultant_a1"]))
        db.session.commit()
    response = client.get(f"/o/{token}")
    assert response.status_code == 410  # was 404: a withdrawn offer's link is gone, and says so (issue 13 item 12)
    assert "withdrawn" in response.get_data(as_text=True)


def test_expired_offer_cannot_be_accepted(app, client, world):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="Late Customer")
        db.session.add(customer)
        db.session.flush()
        offer = offer_factories.offer(dealer, customer, None, valid_until=date(2026, 6, 16))
        svc.send_offer(db.session, offer, actor=db.session.get(User, world.ids["user_consultant_a1"]), now=offer_factories.NOW)
        db.session.commit()
        token = svc.make_link_token(offer, app.config["SECRET_KEY"])
        offer_id = offer.id
    _english(client)
    page = client.get(f"/o/{token}")  # today is past 2026-06-16 in Seoul: expired lazily on read
    # Was 200 with the offer and a banner: now 410 Gone with the expiry message (issue 13 item 12).
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert _offer(app, world, offer_id).state is OfferState.EXPIRED
    accept = client.post(f"/o/{token}/accept", data={"full_name": "x", "conditions": "y", "csrf_token": csrf_token(client)})
    assert accept.status_code == 410
    assert _offer(app, world, offer_id).state is OfferState.EXPIRED


def test_draft_offer_is_not_visible_to_the_customer(app, client, world):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="Draft Customer")
        db.session.add(customer)
        db.session.flush()
        offer = offer_factories.offer(dealer, customer, None, valid_until=date(2099, 1, 1))
        db.session.commit()
        token = svc.make_link_token(offer, app.config["SECRET_KEY"])
    assert client.get(f"/o/{token}").status_code == 404
    assert datetime.now(UTC).year >= 2026


def test_customer_downloads_pdf_in_their_language(app, client, world, sent_offer):
    import io

    from pypdf import PdfReader

    _offer_id, token = sent_offer
    response = client.get(f"/o/{token}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "김민준" in text and "₩35,150,000" in text
    assert "년" in text  # dates formatted for the offer's Korean locale


# --- the link's life follows the offer (issue 13 item 12) --------------------------------------------------------

SEOUL_CLOCK = [  # (clock in UTC, status): valid_until 2026-06-16 ends at 2026-06-17 00:00 Seoul = 2026-06-16 15:00 UTC
    (datetime(2026, 6, 16, 14, 59, 59, tzinfo=UTC), 200),   # 23:59:59 on the last day in Seoul
    (datetime(2026, 6, 16, 15, 0, tzinfo=UTC), 410),        # midnight in Seoul: expired
    (datetime(2026, 9, 1, tzinfo=UTC), 410),
]


@pytest.mark.parametrize(("now", "status"), SEOUL_CLOCK)
def test_link_lives_until_the_end_of_the_validity_day_in_the_dealer_zone(app, client, world, monkeypatch, now, status):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="Clocked Customer")
        db.session.add(customer)
        db.session.flush()
        offer = offer_factories.offer(dealer, customer, None, valid_until=date(2026, 6, 16))
        svc.send_offer(db.session, offer, actor=db.session.get(User, world.ids["user_consultant_a1"]), now=offer_factories.NOW)
        db.session.commit()
        token = svc.make_link_token(offer, app.config["SECRET_KEY"])
    monkeypatch.setitem(app.config, "CLOCK", lambda: now)
    _english(client)
    page = client.get(f"/o/{token}")
    assert page.status_code == status
    if status == 410:
        assert "This offer has expired" in page.get_data(as_text=True)


def test_link_of_an_earlier_revision_says_the_offer_was_revised(app, client, world, sent_offer):
    offer_id, token = sent_offer
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        offer = db.session.get(Offer, offer_id)
        assert svc.link_token_revision(token, app.config["SECRET_KEY"]) == 1
        offer.current_revision_no = 2  # as a revise-and-send would leave it (revision 2 stands in for the new figures)
        offer.revisions.append(_copy_revision(offer.revisions[0], 2))
        db.session.commit()
        current = svc.make_link_token(offer, app.config["SECRET_KEY"])
    _english(client)
    page = client.get(f"/o/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "This offer was revised" in html and "revision 2" in html
    assert f"/o/{current}" in html
    accept = client.post(f"/o/{token}/accept", data={"full_name": "x", "conditions": "y", "csrf_token": csrf_token(client)})
    assert accept.status_code == 302 and accept.headers["Location"].endswith(f"/o/{token}")
    assert _offer(app, world, offer_id).state is not OfferState.ACCEPTED
    fresh = client.get(f"/o/{current}")
    assert fresh.status_code == 200 and "This offer was revised" not in fresh.get_data(as_text=True)


_REVISION_COPY = ("content_hash", "out_the_door_price", "discount_total", "needs_approval", "approval_reasons", "cost_rule")


def _copy_revision(revision, number: int):
    from app.models.offers import OfferRevision

    return OfferRevision(dealer_id=revision.dealer_id, revision_no=number, inputs=revision.inputs,
                         snapshot=revision.snapshot, **{c: getattr(revision, c) for c in _REVISION_COPY})
