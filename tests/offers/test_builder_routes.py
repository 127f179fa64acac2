"""Offer builder routes: page and fragment, SQL budget of a re-price, bad input, idempotency, stale forms, bypasses."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from app.domain.offer_states import OfferState
from app.extensions import db
from app.models.accounts import Dealer
from app.models.offers import Offer
from app.services import dealer_settings as ds
from app.services import offers as offer_service
from app.services import partner_banks
from app.tenancy import all_tenants, scoped
from tests.conftest import csrf_token
from tests.corporate import factories as cf
from tests.inventory.factories import vehicle
from tests.offers.helpers import open_builder, pdf_text, post, publish_catalog, settings

D = Decimal
ALL = ("vehicle", "options", "accessories", "fees")


@contextmanager
def count_sql():
    """Collect the SQL statements run inside the block (savepoint bookkeeping of the test harness left out)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
def seoul(app, world):
    """Dealer A1 with KRW fees/VAT, a published Tucson catalog, a promotion, a preset, a bank and a customer."""
    with app.app_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["a1"])
        settings(dealer, fees=[ds.FeeInput("DELIVERY", "탁송료", D(250000), True)],
                 taxes=[ds.TaxInput("VAT", "부가가치세 10%", D(10), ALL, True, False)],
                 authority=(D(500000), None), consultant_ids=[world.ids["user_consultant_a1"]])
        publish_catalog(world.ids["brand_a"], model_code="TUCSON", model_name="Tucson", trim_code="TUC-INS",
                        trim_name="Inspiration", msrp=D(35000000), exterior=[("A2B", "Amazon Gray", D(80000))],
                        interior=[("NNB", "Black", D(0))], options=[("SUNRF", "Sunroof", D(890000), [])])
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
            cf.promotion(world.ids["brand_a"], code="SPRING", name="Spring bonus", amount=D(1000000), published=True,
                         valid_from=cf.local("2020-01-01 00:00"), valid_until=cf.local("2099-12-31 23:59"))
            coupon = cf.promotion(world.ids["brand_a"], code="CPN", name="Coupon 100k", kind="coupon", amount=D(100000),
                                  published=True, valid_from=cf.local("2020-01-01 00:00"),
                                  valid_until=cf.local("2099-12-31 23:59"))
            from app.models.promotions import Coupon
            db.session.add(Coupon(brand_id=world.ids["brand_a"], promotion_id=coupon.id, code="SEOUL100", max_uses=None))
            preset = ds.save_preset(db.session, dealer, None, ds.PresetInput("재구매 고객 할인", "amount", D(300000),
                                                                             stackable=True))
            bank = partner_banks.save_bank(db.session, None, brand_id=dealer.brand_id, name="현대캐피탈",
                                           bands=[partner_banks.AprBand(1, 60, D("4.50"))],
                                           min_down_payment_percent=D(0), max_term=60)
        with scoped(brand_id=world.ids["brand_b"]):
            other = cf.promotion(world.ids["brand_b"], code="BCPN", name="B coupon", kind="coupon", currency="THB",
                                 amount=D(1000), published=True)
            db.session.add(Coupon(brand_id=world.ids["brand_b"], promotion_id=other.id, code="BANGKOK1", max_uses=None))
        customer = cf.customer(world.ids["a1"], full_name="이서연")
        ids = {"preset": preset.id, "bank": bank.id, "customer": customer.id, "slug": world.slugs["a1"]}
        db.session.commit()
    return ids


def _form(csrf, key, seoul, **extra):
    data = {"csrf_token": csrf, "idempotency_key": key, "customer_id": seoul["customer"], "source": "catalog",
            "model_code": "TUCSON", "trim_code": "TUC-INS", "exterior_code": "A2B", "interior_code": "NNB",
            "option_codes": "SUNRF"}
    data.update(extra)
    return data


def test_page_fragment_and_permissions(app, client, login, world, seoul):
    login(world.emails["consultant_a1"])
    page = client.get(f"/d/{seoul['slug']}/offers/new?customer_id={seoul['customer']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "이서연" in html and 'hx-post="/d/' in html
    assert "재구매 고객 할인" in html and "현대캐피탈" in html and "Tucson" in html
    assert "HX-Request" in page.headers["Vary"]
    csrf, key = open_builder(client, seoul["slug"])
    fragment = post(client, seoul["slug"], "reprice", _form(csrf, key, seoul))
    assert "<html" not in fragment.get_data(as_text=True) and 'id="price-panel"' in fragment.get_data(as_text=True)
    # CSRF is required
    assert client.post(f"/d/{seoul['slug']}/offers/reprice", data={"source": "catalog"}).status_code in (400, 403)
    # an O2O dealer has no offers menu → 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    login(world.emails["principal_a2"])
    assert client.get(f"/d/{world.slugs['a2']}/offers/new").status_code == 404


def test_reprice_uses_at_most_8_sql_statements(app, client, login, world, seoul):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, seoul["slug"])
    form = _form(csrf, key, seoul, preset_ids=seoul["preset"], manual_value="100000", coupon_code="seoul100",
                 trade_allowance="5000000", trade_payoff="1000000", finance_enabled="y", finance_bank_id=seoul["bank"],
                 finance_term="48", finance_down="5000000")
    post(client, seoul["slug"], "reprice", form)  # warm the catalog cache
    with count_sql() as statements:
        response = post(client, seoul["slug"], "reprice", form)
    html = response.get_data(as_text=True)
    # 35,000,000 + 80,000 + 0 + 890,000 = 35,970,000 − 1,000,000 promotion − 300,000 preset − 100,000 manual
    # − 100,000 coupon = 34,470,000 + delivery 250,000 = 34,720,000
    assert 'data-otd="34720000"' in html, html[:2000]
    print("reprice SQL statements:", len(statements))
    assert len(statements) <= 8, "\n".join(s[:120] for s in statements)


def test_bad_input_gets_messages_and_saves_nothing(app, client, login, world, seoul):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, seoul["slug"])
    cases = [
        ({"manual_value": "lots"}, "Enter a number"),
        ({"manual_value": "-5"}, "Must not be negative"),
        ({"manual_kind": "percent", "manual_value": "120"}, "at most 100"),
        ({"finance_enabled": "y", "finance_apr": "150", "finance_term": "48"}, "APR must be between 0 and 100"),
        ({"finance_enabled": "y", "finance_apr": "5", "finance_term": "0"}, "from 1 to 120 months"),
        ({"finance_enabled": "y", "finance_apr": "5", "finance_term": "48", "finance_down": "99999999999"},
         "larger than the balance due"),
        ({"coupon_code": "BANGKOK1"}, "belongs to another brand"),
        ({"coupon_code": "NOSUCH"}, "is not valid"),
        ({"model_code": "NOPE"}, "Choose a model"),
        ({"manual_value": "100.5"}, "Too many decimals"),
        ({"preset_ids": "999999"}, "not available"),
        ({"trade_payoff": "1000"}, "trade-in allowance"),
    ]
    for extra, message in cases:
        data = _form(csrf, key, seoul, **extra)
        panel = post(client, seoul["slug"], "reprice", data)
        assert panel.status_code == 200 and message in panel.get_data(as_text=True), (extra, panel.get_data(as_text=True)[:800])
        saved = post(client, seoul["slug"], "new", data)
        body = saved.get_data(as_text=True)
        assert saved.status_code == 422 and message in body, extra
        # nothing typed is lost
        for name, value in extra.items():
            assert f'value="{value}"' in body or f'value="{value}" selected' in body or "selected" in body, (name, value)
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 0
    # a full-page post (no htmx) answers 400 with the page
    assert post(client, seoul["slug"], "new", _form(csrf, key, seoul, manual_value="x"), htmx=False).status_code == 400


def test_no_customer_is_a_field_error(app, client, login, world, seoul):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, seoul["slug"])
    data = _form(csrf, key, seoul)
    data.pop("customer_id")
    response = post(client, seoul["slug"], "new", data)
    assert response.status_code == 422 and "Choose a customer" in response.get_data(as_text=True)


def test_idempotent_save_and_quick_customer(app, client, login, world, seoul):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, seoul["slug"])
    data = _form(csrf, key, seoul, new_customer_name="박서준", new_customer_phone="010-2345-6789", new_customer_privacy="y")
    data.pop("customer_id")
    first = post(client, seoul["slug"], "new", data)
    second = post(client, seoul["slug"], "new", data)  # re-submit after a dropped connection
    assert first.status_code == second.status_code == 204
    assert first.headers["HX-Redirect"] == second.headers["HX-Redirect"]
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        offers = db.session.scalars(select(Offer)).all()
        assert len(offers) == 1 and offers[0].customer.full_name == "박서준"


def test_quick_customer_without_privacy_consent_is_refused_and_nothing_saved(app, client, login, world, seoul):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, seoul["slug"])
    data = _form(csrf, key, seoul, new_customer_name="박서준", new_customer_phone="010-2345-6789", new_customer_marketing="y")
    data.pop("customer_id")
    response = post(client, seoul["slug"], "new", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "must accept the privacy notice" in body
    assert 'name="new_customer_privacy"' in body
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        from app.models.customers import Customer

        assert db.session.scalar(select(func.count()).select_from(Offer)) == 0
        assert db.session.scalar(select(Customer).where(Customer.full_name == "박서준")) is None


def test_quick_customer_gets_its_consultant_and_recorded_consent(app, client, login, world, seoul):
    from app.models.customers import Customer, CustomerEvent

    login(world.emails["consultant_a1"])
    page = client.get(f"/d/{seoul['slug']}/offers/new").get_data(as_text=True)
    assert 'name="new_customer_privacy"' in page and "2026-01" in page
    csrf, key = open_builder(client, seoul["slug"])
    data = _form(csrf, key, seoul, new_customer_name="박서준", new_customer_email="seojun@example.com",
                 new_customer_privacy="y", new_customer_marketing="y")
    data.pop("customer_id")
    assert post(client, seoul["slug"], "new", data).status_code == 204
    consultant = world.ids["user_consultant_a1"]
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        customer = db.session.scalar(select(Customer).where(Customer.full_name == "박서준"))
        assert customer.assigned_consultant_id == consultant
        assert customer.privacy_notice_version == app.config["PRIVACY_NOTICE_VERSION"] == "2026-01"
        assert customer.privacy_accepted_at is not None and customer.privacy_recorded_by_id == consultant
        assert customer.marketing_consent and customer.marketing_consent_at is not None
        assert customer.marketing_consent_recorded_by_id == consultant
        consent = db.session.scalar(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id,
                                                                 CustomerEvent.kind == "consent"))
        assert consent.actor_user_id == consultant and "2026-01" in consent.summary and "marketing yes" in consent.summary
        customer_id = customer.id
    detail = client.get(f"/d/{seoul['slug']}/customers/{customer_id}").get_data(as_text=True)
    assert detail.count("recorded by consultant_a1") == 2


def _save_offer(client, seoul, **extra) -> int:
    csrf, key = open_builder(client, seoul["slug"])
    response = post(client, seoul["slug"], "new", _form(csrf, key, seoul, **extra))
    assert response.status_code == 204, response.get_data(as_text=True)[:1000]
    return int(response.headers["HX-Redirect"].rstrip("/").split("/")[-1])


def _state(app, world, offer_id):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        offer = db.session.get(Offer, offer_id)
        return offer.state, offer.current_revision_no


def _act(client, slug, offer_id, action, revision_no, **data):
    token = csrf_token(client, f"/d/{slug}/offers/{offer_id}")
    return client.post(f"/d/{slug}/offers/{offer_id}/{action}",
                       data={"csrf_token": token, "revision_no": revision_no, **data})


def test_edit_after_approval_voids_it_and_stale_form_keeps_input(app, client, login, world, seoul):
    slug = seoul["slug"]
    login(world.emails["consultant_a1"])
    offer_id = _save_offer(client, seoul, manual_value="900000")  # above the 500,000 authority
    _act(client, slug, offer_id, "submit", 1)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    login(world.emails["principal_a1"])
    _act(client, slug, offer_id, "decide", 1, decision="approve")
    assert _state(app, world, offer_id) == (OfferState.APPROVED, 1)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    login(world.emails["consultant_a1"])

    edit_page = client.get(f"/d/{slug}/offers/{offer_id}/edit").get_data(as_text=True)
    assert 'value="900,000"' in edit_page and 'name="base_revision_no" type="hidden" value="1"' in edit_page
    csrf = csrf_token(client, f"/d/{slug}/offers/{offer_id}/edit")
    # a bigger discount after approval: new revision, back to draft, the approval no longer counts
    edited = post(client, slug, f"{offer_id}/edit", _form(csrf, "", seoul, manual_value="1500000", base_revision_no=1))
    assert edited.status_code == 204
    assert _state(app, world, offer_id) == (OfferState.DRAFT, 2)
    assert _act(client, slug, offer_id, "send", 2).status_code == 302
    assert _state(app, world, offer_id)[0] is OfferState.DRAFT  # send refused: needs a new approval
    # the same (now stale) form again: clear message, typed values kept, nothing saved
    stale = post(client, slug, f"{offer_id}/edit", _form(csrf, "", seoul, manual_value="1700000", base_revision_no=1))
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "changed meanwhile" in body and 'value="1700000"' in body
    assert _state(app, world, offer_id) == (OfferState.DRAFT, 2)


def test_stock_vehicle_sold_meanwhile_and_other_dealers_car(app, client, login, world, seoul):
    with app.app_context(), all_tenants():
        sold = vehicle(world.ids["a1"], currency="KRW", price=D(20000000), status="sold").id
        foreign = vehicle(world.ids["b1"], currency="THB", price=D(500000)).id
        db.session.commit()
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, seoul["slug"])
    for stock_id, message in ((sold, "no longer available"), (foreign, "Choose a vehicle from stock")):
        data = {"csrf_token": csrf, "idempotency_key": key, "customer_id": seoul["customer"], "source": "stock",
                "stock_id": stock_id}
        assert message in post(client, seoul["slug"], "reprice", data).get_data(as_text=True)


def test_consultant_cannot_edit_a_colleagues_offer(app, client, login, world, seoul):
    login(world.emails["principal_a1"])
    offer_id = _save_offer(client, seoul)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    login(world.emails["consultant_a1"])
    assert client.get(f"/d/{seoul['slug']}/offers/{offer_id}/edit").status_code == 403


def test_balloon_is_quoted_shown_saved_and_printed(app, client, login, world, seoul):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, seoul["slug"])
    # Net price 35,970,000 − 1,000,000 promotion = 34,970,000; 40 % balloon = 13,988,000. Balance due with the
    # 250,000 delivery fee (VAT included) 35,220,000; 0 %: (35,220,000 − 13,988,000) / 10 = 2,123,200.
    form = _form(csrf, key, seoul, finance_enabled="y", finance_apr="0", finance_term="10",
                 finance_balloon="40", finance_balloon_kind="percent")
    panel = post(client, seoul["slug"], "reprice", form).get_data(as_text=True)
    assert "Final payment (balloon)" in panel and "13,988,000" in panel and "2,123,200" in panel, panel[:3000]
    assert post(client, seoul["slug"], "new", form).status_code == 204
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        offer = db.session.scalar(select(Offer).order_by(Offer.id.desc()))
        revision = offer_service.current_revision(offer)
        loan = revision.snapshot["priced"]["payments"][1]
        inputs = revision.inputs
        offer_id = offer.id
    assert (loan["balloon_payment"], loan["monthly_payment"]) == ("13988000", "2123200")
    assert loan["finance"]["schedule"][-1]["balloon"] == "13988000"
    assert inputs["finance"]["balloon"] == "40" and inputs["finance"]["balloon_kind"] == "percent"
    page = client.get(f"/d/{seoul['slug']}/offers/{offer_id}").get_data(as_text=True)
    assert 'data-testid="balloon-payment"' in page and "13,988,000" in page
    edit = client.get(f"/d/{seoul['slug']}/offers/{offer_id}/edit").get_data(as_text=True)
    assert 'name="finance_balloon"' in edit and 'value="40"' in edit  # the edit form keeps the balloon as typed
    printed = pdf_text(client.get(f"/d/{seoul['slug']}/offers/{offer_id}/pdf").data)
    assert "Final payment (balloon)" in printed and "13,988,000" in printed


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"finance_apr": "5", "finance_balloon": "99999999"}, "The balloon must be less than the amount financed."),
        ({"finance_apr": "5", "finance_balloon": "100.5"}, "Too many decimals"),
        ({"finance_apr": "5", "finance_balloon": "100", "finance_balloon_kind": "percent"}, "below 100"),
        ({"finance_apr": "5", "finance_balloon": "-1"}, "Must not be negative"),
        ({"finance_bank_id": "BANK", "finance_balloon": "10", "finance_balloon_kind": "percent"},
         "현대캐피탈 offers no balloon payment for 48 months."),
    ],
    ids=["above-amount", "decimals", "percent-100", "negative", "bank-writes-none"],
)
def test_bad_balloon_is_a_field_message_and_saves_nothing(app, client, login, world, seoul, extra, message):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, seoul["slug"])
    extra = {k: (str(seoul["bank"]) if v == "BANK" else v) for k, v in extra.items()}
    data = _form(csrf, key, seoul, finance_enabled="y", finance_term="48", **extra)
    panel = post(client, seoul["slug"], "reprice", data)
    assert panel.status_code == 200 and message in panel.get_data(as_text=True), panel.get_data(as_text=True)[:1500]
    saved = post(client, seoul["slug"], "new", data)
    assert saved.status_code == 422 and message in saved.get_data(as_text=True)
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 0
