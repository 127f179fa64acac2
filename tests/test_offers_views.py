"""Offer pages: pipeline list, detail, approval queue, and the workflow over HTTP (incl. bypass attempts)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.offer_states import OfferState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.offers import Offer
from app.tenancy import scoped
from tests import offer_factories
from tests.conftest import csrf_token


def _make(app, world, discount="0", consultant_key="user_consultant_a1", name="김민준") -> int:
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name=name)
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids[consultant_key])
        offer = offer_factories.offer(dealer, customer, consultant, discount=discount, valid_until=date(2099, 1, 1))
        db.session.commit()
        return offer.id


def _state(app, world, offer_id) -> OfferState:
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        return db.session.get(Offer, offer_id).state


def _post(client, world, offer_id, action, **data):
    token = csrf_token(client, f"/d/{world.slugs['a1']}/offers/{offer_id}")
    return client.post(f"/d/{world.slugs['a1']}/offers/{offer_id}/{action}", data={"csrf_token": token, **data})


def test_consultant_sees_own_pipeline_by_default(app, client, login, world):
    mine = _make(app, world, name="Mine Customer")
    _make(app, world, consultant_key="user_manager_a1", name="Colleague Customer")
    login(world.emails["consultant_a1"])
    page = client.get(f"/d/{world.slugs['a1']}/offers/").get_data(as_text=True)
    assert "Mine Customer" in page and "Colleague Customer" not in page
    assert "₩35,150,000" in page  # open pipeline value: one offer
    everyone = client.get(f"/d/{world.slugs['a1']}/offers/?consultant=0").get_data(as_text=True)
    assert "Colleague Customer" in everyone
    fragment = client.get(f"/d/{world.slugs['a1']}/offers/?q=Mine", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "Mine Customer" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    assert client.get(f"/d/{world.slugs['a1']}/offers/{mine}").status_code == 200


def test_bad_filters_do_not_break_the_list(client, login, world):
    login(world.emails["principal_a1"])
    response = client.get(f"/d/{world.slugs['a1']}/offers/?page=abc&state=nonsense&consultant=x")
    assert response.status_code == 200


def test_full_approval_flow_and_bypass_attempts(app, client, login, world):
    offer_id = _make(app, world, discount="2000000")
    login(world.emails["consultant_a1"])
    # direct POST to send: refused, state unchanged
    response = _post(client, world, offer_id, "send", revision_no=1)
    assert response.status_code == 302
    assert _state(app, world, offer_id) is OfferState.DRAFT
    # consultant cannot decide (no approve permission) → 403
    assert _post(client, world, offer_id, "decide", revision_no=1, decision="approve").status_code == 403
    _post(client, world, offer_id, "submit", revision_no=1)
    assert _state(app, world, offer_id) is OfferState.PENDING_APPROVAL
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})

    login(world.emails["principal_a1"])
    queue = client.get(f"/d/{world.slugs['a1']}/offers/approvals").get_data(as_text=True)
    assert "김민준" in queue and "exceeds" in queue
    badge = client.get(f"/d/{world.slugs['a1']}/offers/approvals/badge").get_data(as_text=True)
    assert ">1<" in badge
    # returning needs a comment
    _post(client, world, offer_id, "decide", revision_no=1, decision="return", comment="")
    assert _state(app, world, offer_id) is OfferState.PENDING_APPROVAL
    # a stale decision (revision the approver did not see) is refused
    _post(client, world, offer_id, "decide", revision_no=7, decision="approve")
    assert _state(app, world, offer_id) is OfferState.PENDING_APPROVAL
    _post(client, world, offer_id, "decide", revision_no=1, decision="approve", comment="OK")
    assert _state(app, world, offer_id) is OfferState.APPROVED
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})

    login(world.emails["consultant_a1"])
    _post(client, world, offer_id, "send", revision_no=1)
    assert _state(app, world, offer_id) is OfferState.SENT
    detail = client.get(f"/d/{world.slugs['a1']}/offers/{offer_id}").get_data(as_text=True)
    assert "/o/" in detail and "<svg" in detail  # customer link and its QR code


def test_tampered_forms_are_rejected(app, client, login, world):
    offer_id = _make(app, world)
    login(world.emails["consultant_a1"])
    assert _post(client, world, offer_id, "send", revision_no="abc").status_code == 400
    assert _post(client, world, offer_id, "decide", revision_no=1, decision="hack").status_code == 403
    response = client.post(f"/d/{world.slugs['a1']}/offers/{offer_id}/send", data={"revision_no": 1})
    assert response.status_code == 400  # no CSRF token
    assert _state(app, world, offer_id) is OfferState.DRAFT


def test_consultant_cannot_act_on_a_colleagues_offer(app, client, login, world):
    offer_id = _make(app, world, consultant_key="user_manager_a1")
    login(world.emails["consultant_a1"])
    assert _post(client, world, offer_id, "withdraw", revision_no=1).status_code == 403
    assert _state(app, world, offer_id) is OfferState.DRAFT


@pytest.mark.parametrize("path", ["/offers/", "/offers/approvals"])
def test_o2o_dealer_has_no_offer_menus(client, login, world, path):
    login(world.emails["principal_a2"])
    assert client.get(f"/d/{world.slugs['a2']}{path}").status_code == 404


def test_dealer_pdf_download(app, client, login, world):
    offer_id = _make(app, world)
    login(world.emails["consultant_a1"])
    response = client.get(f"/d/{world.slugs['a1']}/offers/{offer_id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_menu_badge_shows_offers_waiting_for_approval(app, client, login, world):
    slug = world.slugs["a1"]
    offer_id = _make(app, world, discount="2000000")
    login(world.emails["consultant_a1"])
    _post(client, world, offer_id, "submit", revision_no=1)
    assert "approvals/badge" not in client.get(f"/d/{slug}/").get_data(as_text=True)  # consultants approve nothing
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    login(world.emails["principal_a1"])
    page = client.get(f"/d/{slug}/offers/").get_data(as_text=True)
    # the "Offer approval" menu item loads its badge on every page and refreshes it every minute
    assert f'hx-get="/d/{slug}/offers/approvals/badge" hx-trigger="load, every 60s"' in page
    assert ">1</span>" in client.get(f"/d/{slug}/offers/approvals/badge", headers={"HX-Request": "true"}).get_data(as_text=True)
    _post(client, world, offer_id, "decide", revision_no=1, decision="approve", comment="OK")
    assert "count-badge" not in client.get(f"/d/{slug}/offers/approvals/badge").get_data(as_text=True)


def test_final_offer_has_no_empty_actions_card(app, client, login, world):
    offer_id = _make(app, world)
    login(world.emails["consultant_a1"])
    assert 'class="actions"' in client.get(f"/d/{world.slugs['a1']}/offers/{offer_id}").get_data(as_text=True)
    _post(client, world, offer_id, "withdraw", revision_no=1)
    assert _state(app, world, offer_id) is OfferState.WITHDRAWN
    assert 'class="actions"' not in client.get(f"/d/{world.slugs['a1']}/offers/{offer_id}").get_data(as_text=True)
