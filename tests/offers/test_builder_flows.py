"""The offer builder end to end with real inputs, totals worked out by hand (issue #6, "Real input").

Each flow: builder re-price → save → (approval when over authority) → send → customer link accept;
the exact out-the-door price is asserted on the detail page and in the PDF text.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from app.domain.offer_states import OfferState
from app.domain.roles import Role
from app.extensions import db
from app.models.accounts import Dealer
from app.models.offers import Offer
from app.models.promotions import Promotion
from app.services import dealer_settings as ds
from app.services import offers as offer_service
from app.services import partner_banks
from app.tenancy import all_tenants, scoped
from tests import factories
from tests.conftest import csrf_token
from tests.corporate import factories as cf
from tests.inventory.factories import canadian_dealer, vehicle
from tests.offers.helpers import open_builder, pdf_text, post, publish_catalog, settings

D = Decimal
ALL = ("vehicle", "options", "accessories", "fees")


def _offer(app, dealer_id: int, brand_id: int) -> Offer:
    with app.app_context(), scoped(dealer_id=dealer_id, brand_id=brand_id):
        offer = db.session.scalar(select(Offer).order_by(Offer.id.desc()))
        assert offer is not None
        db.session.expunge(offer)
        return offer


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})


def _act(client, slug, offer_id, action, **data):
    token = csrf_token(client, f"/d/{slug}/offers/{offer_id}")
    return client.post(f"/d/{slug}/offers/{offer_id}/{action}", data={"csrf_token": token, "revision_no": 1, **data})


def _accept(app, client, offer, name):
    token = offer_service.make_link_token(offer, app.config["SECRET_KEY"])
    page_token = csrf_token(client, f"/o/{token}")
    response = client.post(f"/o/{token}/accept", data={"full_name": name, "conditions": "y", "csrf_token": page_token})
    assert response.status_code in (200, 302, 303)


# --- (a) Toronto, CAD: a real Kijiji listing in stock, 13 % HST added with trade-in credit -------------------------


@pytest.fixture
def toronto(app):
    """A Toronto dealer with Ontario fees and HST, a consultant (authority 300.00 CAD) and a principal."""
    with app.app_context():
        dealer = canadian_dealer()
        consultant = factories.user(Role.SALES_CONSULTANT, dealer_obj=dealer, name="Liam Consultant", preferred_locale="en")
        principal = factories.user(Role.DEALER_PRINCIPAL, dealer_obj=dealer, name="Emma Principal", preferred_locale="en")
        settings(dealer, fees=[ds.FeeInput("DOC", "Documentation fee", D("499.00"), True),
                               ds.FeeInput("OMVIC", "OMVIC transaction fee", D("12.50"), True),
                               ds.FeeInput("LICENSING", "Licensing fee", D("59.00"), False)],
                 taxes=[ds.TaxInput("HST", "HST 13%", D(13), ALL, False, True)],
                 authority=(D("300.00"), None), consultant_ids=[consultant.id])
        # A real row of app/demo/data/kijiji_listings_2019.csv:
        # Hyundai,Elantra,2018,17995,Blue,GL SE|SUNROOF|…,Used,Sedan,…,39649,…,KMHD84LF4JU498825
        car = vehicle(dealer.id, vin="KMHD84LF4JU498825", stock_number="K-498825", make="Hyundai", model="Elantra",
                      model_year=2018, trim="GL SE", exterior_color="Blue", odometer=39649, price=D("17995.00"),
                      acquisition_cost=D("15500.00"), currency="CAD")
        result = {"dealer": dealer.id, "brand": dealer.brand_id, "slug": dealer.slug, "car": car.id,
                  "consultant": consultant.email, "principal": principal.email}
        db.session.commit()
        return result


def test_toronto_stock_car_with_trade_in_hst_and_approval(app, client, login, toronto):
    t = toronto
    login(t["consultant"])
    csrf, key = open_builder(client, t["slug"])
    form = {
        "csrf_token": csrf, "idempotency_key": key, "source": "stock", "stock_id": t["car"],
        "new_customer_name": "Olivia Chen", "new_customer_email": "olivia.chen@example.com", "new_customer_privacy": "y",
        "manual_kind": "amount", "manual_value": "500.00", "manual_reason": "Winter clearance",
        "trade_vin": "2HGFC2F59HH000001", "trade_year": "2017", "trade_make": "Honda", "trade_model": "Civic",
        "trade_odometer": "88000", "trade_condition": "good", "trade_allowance": "6,000.00", "trade_payoff": "2500.00",
    }
    # By hand:
    #   vehicle 17,995.00 − manual discount 500.00                         = net 17,495.00
    #   fees: documentation 499.00 + OMVIC 12.50 (both taxable) + licensing 59.00 = 570.50
    #   HST base: 17,495.00 + 511.50 taxable fees − 6,000.00 trade-in credit = 12,006.50
    #   HST 13 % = 1,560.845 → 1,560.85 (half-up)
    #   out-the-door = 17,495.00 + 570.50 + 1,560.85                      = 19,626.35
    #   trade-in equity 6,000.00 − 2,500.00 payoff = 3,500.00 → balance due = 16,126.35
    panel = post(client, t["slug"], "reprice", form)
    html = panel.get_data(as_text=True)
    assert panel.status_code == 200 and 'data-otd="19626.35"' in html
    assert "1,560.85" in html and "16,126.35" in html and "Needs approval" in html  # 500.00 > authority 300.00

    saved = post(client, t["slug"], "new", form)
    assert saved.status_code == 204 and "/offers/" in saved.headers["HX-Redirect"]
    again = post(client, t["slug"], "new", form)  # a double tap: same key → same offer
    assert again.headers["HX-Redirect"] == saved.headers["HX-Redirect"]
    offer = _offer(app, t["dealer"], t["brand"])
    with app.app_context(), all_tenants():
        assert db.session.scalar(select(db.func.count()).select_from(Offer).where(Offer.dealer_id == t["dealer"])) == 1
    assert offer.out_the_door_price == D("19626.35") and offer.state is OfferState.DRAFT

    assert _act(client, t["slug"], offer.id, "send").status_code == 302  # refused: needs approval
    assert _offer(app, t["dealer"], t["brand"]).state is OfferState.DRAFT
    _act(client, t["slug"], offer.id, "submit")
    _logout(client)
    login(t["principal"])
    _act(client, t["slug"], offer.id, "decide", decision="approve")
    _logout(client)
    login(t["consultant"])
    _act(client, t["slug"], offer.id, "send")
    assert _offer(app, t["dealer"], t["brand"]).state is OfferState.SENT

    detail = client.get(f"/d/{t['slug']}/offers/{offer.id}").get_data(as_text=True)
    assert "$19,626.35" in detail and "Olivia Chen" in detail
    text = pdf_text(client.get(f"/d/{t['slug']}/offers/{offer.id}/pdf").data)
    assert "19,626.35" in text and "Olivia Chen" in text
    _accept(app, client, offer, "Olivia Chen")
    assert _offer(app, t["dealer"], t["brand"]).state is OfferState.ACCEPTED


# --- (b) Seoul, KRW: a configured new car from a published catalog, 10 % VAT included --------------------------


def test_seoul_configured_car_with_promotion_vat_included(app, client, login, world):
    with app.app_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["a1"])
        settings(dealer, fees=[ds.FeeInput("DELIVERY", "탁송료", D(250000), True)],
                 taxes=[ds.TaxInput("VAT", "부가가치세 10%", D(10), ALL, True, False)],
                 authority=(D(500000), D(2)), consultant_ids=[world.ids["user_consultant_a1"]])
        publish_catalog(world.ids["brand_a"], model_code="TUCSON", model_name="Tucson", trim_code="TUC-HEV-INS",
                        trim_name="Hybrid Inspiration", msrp=D(38000000),
                        exterior=[("A2B", "Amazon Gray", D(80000)), ("WW2", "Creamy White", D(0))],
                        interior=[("NNB", "Black", D(0))],
                        options=[("SUNRF", "Panoramic sunroof", D(890000), []), ("HUD", "Head-up display", D(590000), ["SUNRF"])],
                        accessories=[("MAT-01", "Floor mats", D(150000))])
        with scoped(brand_id=world.ids["brand_a"]):
            cf.promotion(world.ids["brand_a"], code="SPRING", name="Spring bonus", amount=D(1000000), published=True,
                         valid_from=cf.local("2020-01-01 00:00"), valid_until=cf.local("2099-12-31 23:59"))
        customer = cf.customer(world.ids["a1"], full_name="김민준", preferred_locale="ko")
        db.session.commit()
        customer_id = customer.id
    slug = world.slugs["a1"]
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, slug)
    form = {"csrf_token": csrf, "idempotency_key": key, "customer_id": customer_id, "source": "catalog",
            "model_code": "TUCSON", "trim_code": "TUC-HEV-INS", "exterior_code": "A2B", "interior_code": "NNB",
            "option_codes": ["SUNRF", "HUD"], "accessory_codes": "MAT-01", "changed": "option_codes"}
    # The head-up display excludes the sunroof: the rule conflict is explained, nothing is priced.
    conflict = post(client, slug, "reprice", form).get_data(as_text=True)
    assert "Head-up display" in conflict and "data-otd" not in conflict and 'id="vehicle-choices" hx-swap-oob' in conflict
    form["option_codes"] = ["SUNRF"]
    # By hand (KRW has no minor unit):
    #   Tucson Hybrid Inspiration 38,000,000 + Amazon Gray 80,000 + Black 0 + sunroof 890,000
    #   + floor mats 150,000                                            = subtotal 39,120,000
    #   − Spring bonus (order-level cash promotion) 1,000,000            = net 38,120,000
    #   + delivery 250,000                                               = out-the-door 38,370,000
    #   VAT included: 38,370,000 × 10 / 110 = 3,488,181.8… → 3,488,182 (informational)
    html = post(client, slug, "reprice", form).get_data(as_text=True)
    assert 'data-otd="38370000"' in html and "3,488,182" in html and "Spring bonus" in html
    assert "Within your discount authority" in html
    saved = post(client, slug, "new", form)
    assert saved.status_code == 204
    offer = _offer(app, world.ids["a1"], world.ids["brand_a"])
    assert offer.out_the_door_price == D(38370000) and offer.locale == "ko"
    _act(client, slug, offer.id, "send")  # no approval needed: sent directly
    assert _offer(app, world.ids["a1"], world.ids["brand_a"]).state is OfferState.SENT
    detail = client.get(f"/d/{slug}/offers/{offer.id}").get_data(as_text=True)
    assert "₩38,370,000" in detail
    text = pdf_text(client.get(f"/d/{slug}/offers/{offer.id}/pdf").data)
    assert "38,370,000" in text and "김민준" in text
    _accept(app, client, offer, "김민준")
    assert _offer(app, world.ids["a1"], world.ids["brand_a"]).state is OfferState.ACCEPTED


# --- (c) Bangkok, THB: 7 % VAT included, finance with a partner bank --------------------------------------------


def test_bangkok_finance_with_partner_bank(app, client, login, world):
    with app.app_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["b1"])
        settings(dealer, fees=[ds.FeeInput("REG", "ค่าจดทะเบียนรถ", D("2500.00"), False),
                               ds.FeeInput("DELIVERY", "ค่าขนส่ง", D("3500.00"), True)],
                 taxes=[ds.TaxInput("VAT", "ภาษีมูลค่าเพิ่ม 7%", D(7), ALL, True, False)],
                 authority=(D("30000.00"), None), consultant_ids=[world.ids["user_consultant_b1"]])
        publish_catalog(world.ids["brand_b"], model_code="CRETA", model_name="Creta", trim_code="CRETA-SEL",
                        trim_name="1.5 SEL", msrp=D("899000.00"), exterior=[("WAW", "Atlas White", D(0))],
                        interior=[("BLK", "Black", D(0))])
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
            preset = ds.save_preset(db.session, dealer, None, ds.PresetInput("Cash bonus", "amount", D("20000.00"),
                                                                             stackable=True))
            bank = partner_banks.save_bank(db.session, None, brand_id=dealer.brand_id, name="Krungsri Auto",
                                           bands=[partner_banks.AprBand(1, 48, D("5.59")), partner_banks.AprBand(49, 84, D("6.99"))],
                                           min_down_payment_percent=D(20), max_term=84)
        customer = cf.customer(world.ids["b1"], full_name="สมชาย ใจดี", preferred_locale="th", phone_e164="+66812345679")
        db.session.commit()
        ids = {"preset": preset.id, "bank": bank.id, "customer": customer.id}
    slug = world.slugs["b1"]
    login(world.emails["consultant_b1"])
    csrf, key = open_builder(client, slug)
    form = {"csrf_token": csrf, "idempotency_key": key, "customer_id": ids["customer"], "source": "catalog",
            "model_code": "CRETA", "trim_code": "CRETA-SEL", "exterior_code": "WAW", "interior_code": "BLK",
            "preset_ids": ids["preset"], "finance_enabled": "y", "finance_bank_id": ids["bank"], "finance_term": "48",
            "finance_down": "150000.00"}
    # By hand:
    #   Creta 1.5 SEL 899,000.00 − Cash bonus 20,000.00 = net 879,000.00
    #   + registration 2,500.00 + delivery 3,500.00     = out-the-door 885,000.00
    #   VAT included on 879,000.00 + 3,500.00 (taxable fee) = 882,500.00 × 7/107 = 57,733.644… → 57,733.64
    #   Krungsri needs 20 % down: 885,000.00 × 20 % = 177,000.00 > 150,000.00 → refused with a message
    low = post(client, slug, "reprice", form).get_data(as_text=True)
    assert "177000" in low.replace(",", "") and "data-otd" not in low
    form["finance_down"] = "200,000.00"
    #   amount financed 885,000.00 − 200,000.00 = 685,000.00 at 5.59 % APR (band 1–48 months), 48 months:
    #   r = 0.0559 / 12; payment = 685,000 × r / (1 − (1 + r)^−48) = 15,958.796… → 15,958.80
    r = D("0.0559") / 12
    payment = (D(685000) * r / (1 - (1 + r) ** -48)).quantize(D("0.01"), ROUND_HALF_UP)
    assert payment == D("15958.80")
    html = post(client, slug, "reprice", form).get_data(as_text=True)
    assert 'data-otd="885000.00"' in html and "57,733.64" in html and "15,958.80" in html and "Krungsri Auto" in html
    assert post(client, slug, "new", form).status_code == 204
    offer = _offer(app, world.ids["b1"], world.ids["brand_b"])
    assert offer.out_the_door_price == D("885000.00") and offer.locale == "th"
    _act(client, slug, offer.id, "send")
    detail = client.get(f"/d/{slug}/offers/{offer.id}").get_data(as_text=True)
    assert "885,000.00" in detail and "15,958.80" in detail
    text = pdf_text(client.get(f"/d/{slug}/offers/{offer.id}/pdf").data)
    assert "885,000.00" in text and "15,958.80" in text
    _accept(app, client, offer, "สมชาย ใจดี")
    assert _offer(app, world.ids["b1"], world.ids["brand_b"]).state is OfferState.ACCEPTED
    with app.app_context(), scoped(brand_id=world.ids["brand_b"]):
        assert db.session.scalar(select(Promotion)) is None  # no brand promotion was involved
