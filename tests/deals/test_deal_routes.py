"""Deal pages: pipeline, detail with timeline, offline records (O2O only), cancel, purchase link, notifications."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.domain.deal_states import DealState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal
from app.services import deals as svc
from app.tenancy import scoped
from tests import deal_factories
from tests.conftest import csrf_token


def _make_deal(app, world, dealer_key="a1", consultant_key="consultant_a1", o2o=False) -> int:
    with app.app_context(), scoped(dealer_id=world.ids[dealer_key], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids[dealer_key])
        customer = Customer(dealer_id=dealer.id, full_name="Minjun Kim", email="minjun@example.com")
        db.session.add(customer)
        db.session.flush()
        if o2o:
            car = deal_factories.stock_vehicle(dealer)
            deal = svc.open_reservation(db.session, dealer, customer=customer, vehicle=car, locale="en")
        else:
            deal = deal_factories.deal(dealer, customer, db.session.get(User, world.ids[f"user_{consultant_key}"]))
        db.session.commit()
        return deal.id


def test_pipeline_and_detail(app, client, login, world):
    deal_id = _make_deal(app, world)
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals"
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "Minjun Kim" in page and "Offer accepted" in page
    fragment = client.get(f"{base}/?q=nobody", headers={"HX-Request": "true"})
    assert "No deals match." in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    detail = client.get(f"{base}/{deal_id}").get_data(as_text=True)
    assert "Deal opened from the accepted offer" in detail
    assert "Record a showroom step" not in detail  # E2E: the steps happen online
    assert 'data-testid="balance-due"' in detail


def test_o2o_records_a_showroom_step(app, client, login, world):
    deal_id = _make_deal(app, world, dealer_key="a2", o2o=True)
    login(world.emails["principal_a2"])
    base = f"/d/{world.slugs['a2']}/deals/{deal_id}"
    page = client.get(base).get_data(as_text=True)
    assert "Record a showroom step" in page
    token = csrf_token(client, base)
    local = (datetime.now(UTC) - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(f"{base}/offline", data={"csrf_token": token, "action": "reserve", "performed_by": "", "occurred_at": local})
    assert bad.status_code == 422 and "This field is required." in bad.get_data(as_text=True)
    out_of_order = client.post(f"{base}/offline", data={"csrf_token": token, "action": "deliver", "performed_by": "Lee", "occurred_at": local})
    assert out_of_order.status_code == 422
    ok = client.post(f"{base}/offline", data={"csrf_token": token, "action": "reserve", "performed_by": "Lee Ji-eun",
                                               "occurred_at": local, "note": "Paid by card in the showroom"})
    assert ok.status_code == 302
    with app.app_context(), scoped(dealer_id=world.ids["a2"]):
        deal = db.session.get(Deal, deal_id)
        assert deal.state is DealState.RESERVED
        assert deal.events[-1].performed_by == "Lee Ji-eun" and deal.events[-1].channel == "offline"
    assert "in the showroom, by Lee Ji-eun" in client.get(base).get_data(as_text=True)


def test_e2e_offline_route_is_404_and_cancel_needs_reason(app, client, login, world):
    deal_id = _make_deal(app, world)
    login(world.emails["principal_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    token = csrf_token(client, base)
    assert client.post(f"{base}/offline", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{base}/cancel", data={"csrf_token": token, "reason": ""}).status_code == 422
    assert client.post(f"{base}/cancel", data={"reason": "No token"}).status_code == 400
    assert client.post(f"{base}/cancel", data={"csrf_token": token, "reason": "Changed mind"}).status_code == 302
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.get(Deal, deal_id).state is DealState.CANCELLED


def test_other_consultant_cannot_cancel(app, client, login, world):
    deal_id = _make_deal(app, world, consultant_key="principal_a1")
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    token = csrf_token(client, base)
    assert client.post(f"{base}/cancel", data={"csrf_token": token, "reason": "x"}).status_code == 403


def test_purchase_link_and_notifications(app, client, login, world):
    deal_id = _make_deal(app, world)
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}"
    detail = client.get(f"{base}/deals/{deal_id}").get_data(as_text=True)
    link = re.search(r'value="(http[^"]+/p/[^"]+)"', detail).group(1)
    token = csrf_token(client, f"{base}/deals/{deal_id}")
    assert client.post(f"{base}/deals/{deal_id}/send-link", data={"csrf_token": token}).status_code == 302
    badge = client.get(f"{base}/notifications/badge").get_data(as_text=True)
    assert 'class="count-badge">1<' in badge
    listing = client.get(f"{base}/notifications/").get_data(as_text=True)
    assert "deal opened" in listing
    assert client.post(f"{base}/notifications/read", data={"csrf_token": token}).status_code == 302
    assert "count-badge" not in client.get(f"{base}/notifications/badge").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    path = link.split("localhost", 1)[-1]
    page = client.get(path)
    assert page.status_code == 200 and "Minjun Kim" in page.get_data(as_text=True)
    assert client.get(path[:-3] + "abc").status_code == 404
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        db.session.get(Deal, deal_id).link_version += 1
        db.session.commit()
    assert client.get(path).status_code == 404


def test_accepting_the_offer_opens_the_deal_and_leads_to_the_purchase_page(app, client, world):
    from app.services import offers as offer_service
    from tests import offer_factories

    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="Ana Park", email="ana@example.com")
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        offer = offer_factories.offer(dealer, customer, consultant, locale="en", valid_until=(datetime.now(UTC) + timedelta(days=7)).date())
        offer_service.send_offer(db.session, offer, actor=consultant, now=offer_factories.NOW)
        token = offer_service.make_link_token(offer, app.config["SECRET_KEY"])
        db.session.commit()
        offer_id = offer.id
    page = client.get(f"/o/{token}")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(f"/o/{token}/accept", data={"csrf_token": csrf, "full_name": "Ana Park", "conditions": "y"})
    assert response.status_code == 302 and "/p/" in response.headers["Location"]
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        deal = db.session.scalar(select(Deal).where(Deal.offer_id == offer_id))
        assert deal is not None and deal.state is DealState.OFFER_ACCEPTED
    assert "Continue your purchase" in client.get(f"/o/{token}").get_data(as_text=True)


def _purchase_path(client, base: str, deal_id: int) -> str:
    detail = client.get(f"{base}/deals/{deal_id}").get_data(as_text=True)
    return re.search(r'value="(http[^"]+/p/[^"]+)"', detail).group(1).split("localhost", 1)[-1]


def test_cancelling_the_deal_revokes_its_purchase_link(app, client, login, world):
    deal_id = _make_deal(app, world)
    login(world.emails["principal_a1"])
    base = f"/d/{world.slugs['a1']}"
    path = _purchase_path(client, base, deal_id)
    assert "Minjun Kim" in client.get(path).get_data(as_text=True)
    token = csrf_token(client, f"{base}/deals/{deal_id}")
    assert client.post(f"{base}/deals/{deal_id}/cancel", data={"csrf_token": token, "reason": "Changed mind"}).status_code == 302
    gone = client.get(path)
    assert gone.status_code == 404 and "Minjun Kim" not in gone.get_data(as_text=True)
    detail = client.get(f"{base}/deals/{deal_id}").get_data(as_text=True)
    assert "/p/" not in detail  # no new link is offered for a cancelled sale


def test_revoking_on_demand_kills_old_links_and_issues_a_new_one(app, client, login, world):
    deal_id = _make_deal(app, world)
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}"
    old = _purchase_path(client, base, deal_id)
    token = csrf_token(client, f"{base}/deals/{deal_id}")
    assert client.post(f"{base}/deals/{deal_id}/revoke-link", data={}).status_code == 400  # no CSRF token
    assert client.get(old).status_code == 200
    assert client.post(f"{base}/deals/{deal_id}/revoke-link", data={"csrf_token": token}).status_code == 302
    new = _purchase_path(client, base, deal_id)
    assert new != old and client.get(old).status_code == 404 and client.get(new).status_code == 200
    assert "Purchase links revoked" in client.get(f"{base}/deals/{deal_id}").get_data(as_text=True)


def test_another_consultant_cannot_revoke_the_link(app, client, login, world):
    deal_id = _make_deal(app, world, consultant_key="principal_a1")
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    token = csrf_token(client, base)
    assert client.post(f"{base}/revoke-link", data={"csrf_token": token}).status_code == 403
