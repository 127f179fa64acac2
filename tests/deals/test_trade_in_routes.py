"""Trade-in pages: the customer's request through the purchase link, the appraisal queue, appraise, apply, O2O 404.

Figures (see ``tests/trade_in_factories``): OTD 36,900,000 KRW before; value 12,000,000 and payoff 4,500,000
→ sales tax 5 % × 23,000,000 = 1,150,000, OTD 36,300,000, equity 7,500,000.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.domain.trade_ins import TradeInStatus
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.notifications import Notification
from app.models.trade_ins import TradeInAppraisal
from app.services import deals as deal_service
from app.services import trade_ins as svc
from app.tenancy import scoped
from tests import deal_factories
from tests import trade_in_factories as tf
from tests.conftest import CSRF_RE, csrf_token

D = Decimal


def _deal(app, world, dealer_key="a1", trade_in=None) -> tuple[int, str]:
    """Open a builder-made deal (O2O: an online reservation) and return its id and purchase-link path."""
    with app.app_context(), app.test_request_context(), scoped(dealer_id=world.ids[dealer_key], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids[dealer_key])
        customer = Customer(dealer_id=dealer.id, full_name="Minjun Kim", email="minjun@example.com", preferred_locale="en")
        db.session.add(customer)
        db.session.flush()
        if dealer_key == "a2":
            car = deal_factories.stock_vehicle(dealer)
            deal = deal_service.open_reservation(db.session, dealer, customer=customer, vehicle=car, locale="en")
        else:
            deal = tf.builder_deal(dealer, customer, db.session.get(User, world.ids["user_consultant_a1"]), trade_in=trade_in)
        db.session.commit()
        return deal.id, "/p/" + deal_service.make_link_token(deal, app.config["SECRET_KEY"])


def _form(token: str, **overrides) -> dict:
    data = {"csrf_token": token, "vin": tf.VIN, "year": "2003", "make": "Honda", "model": "Accord", "odometer": "182000",
            "odometer_unit": "km", "payoff": "4500000", "note": "Winter tyres included", **tf.CONDITION}
    data.update(overrides)
    return data


def _count(app, world) -> int:
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        return db.session.scalar(select(func.count()).select_from(TradeInAppraisal))


def test_trade_in_typed_in_the_offer_prefills_both_forms(app, client, login, world):
    """Issue 11 item 13: the consultant typed the trade-in in the offer; nobody types it again."""
    from app.services.offer_builder import TradeInInput

    trade = TradeInInput(vin=tf.VIN, year=2003, make="Honda", model="Accord", odometer=182000, condition="good",
                         allowance=D(11_000_000), payoff=D(4_500_000))
    deal_id, link = _deal(app, world, trade_in=trade)
    expected = [f'value="{tf.VIN}"', 'value="2003"', 'value="Honda"', 'value="Accord"', 'value="182000"', 'value="4,500,000"']
    customer_form = client.get(f"{link}/trade-in").get_data(as_text=True)
    assert all(v in customer_form for v in expected), customer_form[:3000]
    login(world.emails["consultant_a1"])
    staff_form = client.get(f"/d/{world.slugs['a1']}/deals/{deal_id}/trade-in").get_data(as_text=True)
    assert all(v in staff_form for v in expected)
    # The condition questions are not asked in the builder: still to be answered.
    assert 'value="none" checked' not in staff_form
    # And the prefilled form goes through as typed.
    token = csrf_token(client, f"/d/{world.slugs['a1']}/deals/{deal_id}/trade-in")
    response = client.post(f"/d/{world.slugs['a1']}/deals/{deal_id}/trade-in", data=_form(token))
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]


def test_forms_stay_empty_without_a_trade_in_in_the_offer(app, client, world):
    _deal_id, link = _deal(app, world)
    assert f'value="{tf.VIN}"' not in client.get(f"{link}/trade-in").get_data(as_text=True)


def _seoul_today():
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Seoul")).date()


def test_customer_submits_with_photos_through_the_purchase_link(app, client, login, world):
    deal_id, link = _deal(app, world)
    page = client.get(link).get_data(as_text=True)
    assert 'data-testid="trade-in-card"' in page and f"{link}/trade-in" in page
    form_page = client.get(f"{link}/trade-in")
    assert form_page.status_code == 200 and "Has the car had an accident?" in form_page.get_data(as_text=True)
    token = csrf_token(client, f"{link}/trade-in")
    photos = [(io.BytesIO(tf.image("PNG")), "front.png"), (io.BytesIO(tf.image("JPEG")), "back.jpg")]
    response = client.post(f"{link}/trade-in", data={**_form(token), "photos": photos}, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(link)
    assert "Waiting for appraisal" in client.get(link).get_data(as_text=True)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        appraisal = db.session.scalar(select(TradeInAppraisal))
        assert appraisal.deal_id == deal_id and appraisal.channel == "customer" and len(appraisal.photos) == 2
        assert appraisal.condition == tf.CONDITION and appraisal.payoff == D(4500000)
        consultant = world.ids["user_consultant_a1"]
        assert db.session.scalar(select(Notification).where(Notification.user_id == consultant,
                                                            Notification.kind == "trade_in.requested")) is not None
        appraisal_id, photo_ids = appraisal.id, [p.id for p in appraisal.photos]
    login(world.emails["manager_a1"])
    base = f"/d/{world.slugs['a1']}/deals/trade-ins/{appraisal_id}"
    detail = client.get(base).get_data(as_text=True)
    assert "Winter tyres included" in detail and "Record the appraisal" in detail
    photo = client.get(f"{base}/photos/{photo_ids[0]}")
    assert photo.status_code == 200 and photo.mimetype == "image/png" and photo.data.startswith(b"\x89PNG")
    assert client.get(f"{base}/photos/{photo_ids[1]}").mimetype == "image/jpeg"
    assert client.get(f"/d/{world.slugs['a1']}/deals/trade-ins/{appraisal_id + 1000}/photos/{photo_ids[0]}").status_code == 404


def test_bad_customer_input_is_refused_with_a_message_and_nothing_saved(app, client, world):
    _deal_id, link = _deal(app, world)
    token = csrf_token(client, f"{link}/trade-in")
    cases = [
        (_form(token, vin="1HGCM82634A004352"), "fails the check digit"),
        (_form(token, payoff="-100"), "The payoff cannot be negative."),
        ({**_form(token), "photos": [(io.BytesIO(b"%PDF-1.7 not an image"), "car.jpg")]}, "car.jpg: The file is not a readable"),
        ({k: v for k, v in _form(token).items() if k != "keys"}, "Please answer this question."),
    ]
    for data, message in cases:
        response = client.post(f"{link}/trade-in", data=data, content_type="multipart/form-data")
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True)
    assert client.post(f"{link}/trade-in", data={k: v for k, v in _form(token).items() if k != "csrf_token"}).status_code == 400
    assert _count(app, world) == 0


def test_queue_is_oldest_first_with_waiting_time(app, client, login, world):
    with app.app_context(), app.test_request_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        now = datetime.now(UTC)
        for name, hours in (("Newest Kim", 1), ("Oldest Park", 50), ("Middle Lee", 5)):
            customer = Customer(dealer_id=dealer.id, full_name=name)
            db.session.add(customer)
            db.session.flush()
            svc.submit(db.session, dealer=dealer, customer=customer, request=tf.request(), photos=[],
                       storage=None, now=now - timedelta(hours=hours))
        db.session.commit()
    login(world.emails["manager_a1"])
    base = f"/d/{world.slugs['a1']}/deals/trade-ins/"
    page = client.get(base).get_data(as_text=True)
    assert page.index("Oldest Park") < page.index("Middle Lee") < page.index("Newest Kim")
    assert "2 days" in page and "5 hours" in page
    fragment = client.get(base, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Oldest Park" in fragment


def _appraisal_id(app, world) -> int:
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        return db.session.scalar(select(TradeInAppraisal.id))


def test_consultant_requests_manager_appraises_consultant_applies(app, client, login, world):
    deal_id, _link = _deal(app, world)
    base = f"/d/{world.slugs['a1']}/deals"
    login(world.emails["consultant_a1"])
    assert "Enter a trade-in" in client.get(f"{base}/{deal_id}").get_data(as_text=True)
    token = csrf_token(client, f"{base}/{deal_id}/trade-in")
    response = client.post(f"{base}/{deal_id}/trade-in", data=_form(token), content_type="multipart/form-data")
    assert response.status_code == 302
    appraisal_id = _appraisal_id(app, world)
    valid = (_seoul_today() + timedelta(days=7)).isoformat()
    # Consultants cannot appraise.
    assert client.post(f"{base}/trade-ins/{appraisal_id}/appraise",
                       data={"csrf_token": token, "value": "12000000", "valid_until": valid}).status_code == 403
    client.post("/logout", data={"csrf_token": token})

    login(world.emails["manager_a1"])
    token = csrf_token(client, f"{base}/trade-ins/{appraisal_id}")
    bad = client.post(f"{base}/trade-ins/{appraisal_id}/appraise",
                      data={"csrf_token": token, "value": "-5", "valid_until": valid})
    assert bad.status_code == 422 and "The value cannot be negative." in bad.get_data(as_text=True)
    past = (_seoul_today() - timedelta(days=1)).isoformat()
    bad = client.post(f"{base}/trade-ins/{appraisal_id}/appraise",
                      data={"csrf_token": token, "value": "12000000", "valid_until": past})
    assert bad.status_code == 422 and "The validity date cannot be in the past." in bad.get_data(as_text=True)
    ok = client.post(f"{base}/trade-ins/{appraisal_id}/appraise",
                     data={"csrf_token": token, "value": "12000000", "valid_until": valid, "notes": "Clean"},
                     headers={"HX-Request": "true"})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"].endswith(f"/trade-ins/{appraisal_id}")
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        appraisal = db.session.get(TradeInAppraisal, appraisal_id)
        assert appraisal.status is TradeInStatus.APPRAISED and appraisal.response_seconds is not None
        assert appraisal.response_seconds >= 0 and appraisal.value == D(12000000)
    client.post("/logout", data={"csrf_token": token})

    login(world.emails["consultant_a1"])
    token = csrf_token(client, f"{base}/trade-ins/{appraisal_id}")
    assert client.get("/d/{}/notifications/".format(world.slugs["a1"])).get_data(as_text=True).count("Trade-in appraised") == 1
    applied = client.post(f"{base}/trade-ins/{appraisal_id}/apply", data={"csrf_token": token})
    assert applied.status_code == 302 and applied.headers["Location"].endswith(f"/deals/{deal_id}")
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        deal = db.session.get(Deal, deal_id)
        assert deal.offer_revision_no == 2 and deal.offer.current_revision_no == 2
        assert deal.out_the_door_price == D(36300000) and deal.trade_in_equity == D(7500000)
    detail = client.get(f"{base}/{deal_id}").get_data(as_text=True)
    assert "Trade-in applied to the offer" in detail and "in offer v2" in detail
    again = client.post(f"{base}/trade-ins/{appraisal_id}/apply", data={"csrf_token": token})
    assert again.status_code == 422 and "already in the offer" in again.get_data(as_text=True)


def test_expired_appraisal_cannot_be_applied(app, client, login, world):
    deal_id, _link = _deal(app, world)
    with app.app_context(), app.test_request_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        deal = db.session.get(Deal, deal_id)
        earlier = datetime.now(UTC) - timedelta(days=10)
        appraisal = svc.submit(db.session, dealer=dealer, customer=deal.customer, request=tf.request(), photos=[],
                               storage=None, deal=deal, now=earlier)
        svc.appraise(db.session, appraisal, dealer=dealer, appraiser=db.session.get(User, world.ids["user_principal_a1"]),
                     role=svc.APPRAISER_ROLES[0], value=D(12000000),
                     valid_until=earlier.astimezone(ZoneInfo("Asia/Seoul")).date() + timedelta(days=2), now=earlier)
        db.session.commit()
        appraisal_id = appraisal.id
    login(world.emails["principal_a1"])
    url = f"/d/{world.slugs['a1']}/deals/trade-ins/{appraisal_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="trade-in-status">Expired<' in page and "Apply to the offer" not in page
    match = CSRF_RE.search(page)
    refused = client.post(f"{url}/apply", data={"csrf_token": match.group(1) or match.group(2)})
    assert refused.status_code == 422 and "This appraisal has expired" in refused.get_data(as_text=True)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.get(Deal, deal_id).offer_revision_no == 1


def test_o2o_dealer_has_no_trade_in_pages(app, client, login, world):
    deal_id, link = _deal(app, world, dealer_key="a2")
    login(world.emails["principal_a2"])
    base = f"/d/{world.slugs['a2']}/deals"
    assert client.get(f"{base}/trade-ins/").status_code == 404
    assert client.get(f"{base}/{deal_id}/trade-in").status_code == 404
    assert "Enter a trade-in" not in client.get(f"{base}/{deal_id}").get_data(as_text=True)
    assert client.get(f"{link}/trade-in").status_code == 404
    assert 'data-testid="trade-in-card"' not in client.get(link).get_data(as_text=True)
