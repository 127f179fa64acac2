"""Tenant isolation: the ORM listeners and a walk over every registered URL rule."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.roles import BusinessModel
from app.extensions import db
from app.models.accounts import Brand, Dealer
from app.models.catalog import Accessory, ExpertReview, Feature, Video, Warranty
from app.tenancy import CrossTenantWrite, TenantNotSet, all_tenants, scoped
from tests.conftest import csrf_token
from tests.corporate import factories as cf


# Parameter name → a callable ``(world) -> value`` giving a slug or id that belongs to ANOTHER
# tenant (brand B / dealer B1). It runs inside an app context with ``all_tenants()``, so it may
# create the row with a factory. Every new route parameter must be listed here: the walk fails
# on an unknown one, so no route escapes it.
def _offer_of_b1(w) -> int:
    from app.models.customers import Customer
    from tests import offer_factories

    dealer = db.session.get(Dealer, w.ids["b1"])
    customer = Customer(dealer_id=dealer.id, full_name="B1 customer")
    db.session.add(customer)
    db.session.flush()
    return offer_factories.offer(dealer, customer, None).id


def _b(factory, **kw):
    """Create a row of brand B with ``factory`` (tests/corporate/factories.py) and return its id."""
    return lambda w: factory(w.ids["brand_b"], **kw).id


def _b_exclusion(w):
    from app.models.catalog import ColorPairExclusion

    ext, inner = cf.color(w.ids["brand_b"]), cf.color(w.ids["brand_b"], kind="interior")
    row = ColorPairExclusion(brand_id=w.ids["brand_b"], exterior_color_id=ext.id, interior_color_id=inner.id)
    db.session.add(row)
    db.session.flush()
    return row.id


def _b1_staff(w):
    from app.models.accounts import Membership

    return db.session.scalar(select(Membership.id).where(Membership.user_id == w.ids["user_consultant_b1"]))


def _other_vehicle(w):
    from tests.inventory.factories import vehicle

    return vehicle(w.ids["b1"], currency="THB")


def _other_photo(w):
    from app.models.inventory import VehiclePhoto

    obj = VehiclePhoto(dealer_id=w.ids["b1"], vehicle=_other_vehicle(w), position=1, storage_key="inventory/x.jpg",
                       content_type="image/jpeg", width=100, height=100, sha256="0" * 64)
    db.session.add(obj)
    db.session.flush()
    return obj.id


def _other_batch(w):
    from app.models.inventory import ImportBatch

    obj = ImportBatch(dealer_id=w.ids["b1"], file_name="stock.csv", file_key="imports/x.bin")
    db.session.add(obj)
    db.session.flush()
    return obj.id


def _other_api_key(w):
    from app.models.inventory import ApiKey

    obj = ApiKey(dealer_id=w.ids["b1"], name="DMS", prefix=f"b1{w.ids['b1']:08d}"[:10], key_hash="0" * 64)
    db.session.add(obj)
    db.session.flush()
    return obj.id


_names = itertools.count(1)


def _other_customer(w) -> int:
    from app.models.customers import Customer

    customer = Customer(dealer_id=w.ids["b1"], full_name="Other tenant customer", email="other@example.com")
    db.session.add(customer)
    db.session.flush()
    return customer.id


def _other_preset(w) -> int:
    from decimal import Decimal

    from app.models.dealer_settings import PresetDiscount

    preset = PresetDiscount(dealer_id=w.ids["b1"], name=f"Other {next(_names)}", kind="amount", value=Decimal(100))
    db.session.add(preset)
    db.session.flush()
    return preset.id


def _other_deal(w) -> int:
    from app.models.customers import Customer
    from app.models.deals import Deal

    customer = Customer(dealer_id=w.ids["b1"], full_name="Other deal customer")
    db.session.add(customer)
    db.session.flush()
    deal = Deal(dealer_id=w.ids["b1"], number=f"B1-DEAL-{next(_names)}", customer_id=customer.id, business_model="E2E",
                currency="THB", locale="th", out_the_door_price=Decimal("900000.00"))
    db.session.add(deal)
    db.session.flush()
    return deal.id


def _other_amendment(w) -> int:
    from app.models.deals import DealAmendment

    deal_id = _other_deal(w)
    row = DealAmendment(dealer_id=w.ids["b1"], deal_id=deal_id, pending_deal_id=deal_id, reasons=[], before={}, after={},
                        customer_total_before=Decimal(0), customer_total_after=Decimal(0))
    db.session.add(row)
    db.session.flush()
    return row.id


def _other_finance_application(w) -> int:
    from datetime import date

    from app.models.finance import FinanceApplication
    from app.models.partner_banks import PartnerBank

    bank = PartnerBank(brand_id=w.ids["brand_b"], name=f"Bank B {next(_names)}", apr_bands=[], max_term=60)
    db.session.add(bank)
    db.session.flush()
    deal_id = _other_deal(w)
    application = FinanceApplication(
        dealer_id=w.ids["b1"], deal_id=deal_id, active_deal_id=deal_id, applicant_name="Other applicant",
        date_of_birth=date(1980, 1, 1), national_id_encrypted="x", address_line="1 Road", city="Bangkok", employer="B",
        position="P", employment_years=1, monthly_income_encrypted="x", currency="THB", partner_bank_id=bank.id,
        bank_name=bank.name, scenario_index=1, payment_kind="finance", term_months=48, down_payment=Decimal(0),
        amount_financed=Decimal("800000.00"), apr_percent=Decimal("3.5"),
    )
    db.session.add(application)
    db.session.flush()
    return application.id


def _other_finance_document(w) -> int:
    from app.models.finance import FinanceDocument

    document = FinanceDocument(dealer_id=w.ids["b1"], application_id=_other_finance_application(w), file_name="b.pdf",
                               content_type="application/pdf", size_bytes=10, storage_key="finance/2026/" + "b" * 32 + ".pdf")
    db.session.add(document)
    db.session.flush()
    return document.id


def _other_payment(w) -> int:
    from app.models.payments import Payment, PaymentKind

    row = Payment(dealer_id=w.ids["b1"], deal_id=_other_deal(w), kind=PaymentKind.DEPOSIT, amount=Decimal("5000.00"),
                  currency="THB", provider="test", idempotency_key=f"b1-{next(_names)}")
    db.session.add(row)
    db.session.flush()
    return row.id


def _other_contract(w) -> int:
    from app.models.contracts import Contract

    row = Contract(dealer_id=w.ids["b1"], deal_id=_other_deal(w), version=1, content={}, content_hash=_empty_hash())
    db.session.add(row)
    db.session.flush()
    return row.id


def _empty_hash() -> str:
    from app.domain.contracts import content_hash

    return content_hash({})


def _other_notification(w) -> int:
    from app.models.notifications import Notification

    row = Notification(dealer_id=w.ids["b1"], user_id=w.ids["user_consultant_b1"], kind="test", title="Other")
    db.session.add(row)
    db.session.flush()
    return row.id


def _other_appraisal(w) -> int:
    from app.models.customers import Customer
    from app.models.trade_ins import TradeInAppraisal

    customer = Customer(dealer_id=w.ids["b1"], full_name="Other trade-in customer")
    db.session.add(customer)
    db.session.flush()
    row = TradeInAppraisal(dealer_id=w.ids["b1"], customer_id=customer.id, vin="1HGCM82633A004352", year=2003,
                           make="Honda", model="Accord", odometer=1000, currency="THB", payoff=Decimal(0))
    db.session.add(row)
    db.session.flush()
    return row.id


def _other_trade_in_photo(w) -> int:
    from app.models.trade_ins import TradeInPhoto

    row = TradeInPhoto(dealer_id=w.ids["b1"], appraisal_id=_other_appraisal(w), position=1,
                       storage_key="trade-ins/x.png", content_type="image/png", width=10, height=10, sha256="0" * 64)
    db.session.add(row)
    db.session.flush()
    return row.id


def _other_bank(w) -> int:
    from app.models.partner_banks import PartnerBank

    bank = PartnerBank(brand_id=w.ids["brand_b"], name=f"Other bank {next(_names)}",
                       apr_bands=[{"min_term": 1, "max_term": 60, "apr": "5.9"}], max_term=60)
    return cf._add(bank).id


def _b_published(w) -> dict:
    """Publish a model with a trim and a color for brand B; return their codes (not in brand A's catalog)."""
    from app.services.catalog import publish_catalog

    brand = w.ids["brand_b"]
    trim = cf.trim(brand, msrp=Decimal("900000.00"), dealer_price_min=Decimal("800000.00"))
    paint = cf.color(brand)
    cf.offer_color(trim, paint)
    with scoped(brand_id=brand):
        publish_catalog(db.session, user_id=None)
    return {"model_code": trim.model.code, "trim_code": trim.code, "color_code": paint.code}


OTHER_TENANT_PARAMS = {
    "dealer_slug": lambda w: w.slugs["b1"],
    "brand_slug": lambda w: w.slugs["brand_b"],
    "offer_id": _offer_of_b1,
    "category_id": _b(cf.category),
    "model_id": _b(cf.model),
    "trim_id": _b(cf.trim),
    "color_id": _b(cf.color),
    "feature_id": lambda w: cf._add(Feature(brand_id=w.ids["brand_b"], name="Lane keeping", group="safety")).id,
    "option_id": _b(cf.option),
    "accessory_id": lambda w: cf._add(Accessory(brand_id=w.ids["brand_b"], part_number=f"B-{next(cf._seq)}", name="Mats",
                                                price=Decimal(1000))).id,
    "warranty_id": lambda w: cf._add(Warranty(brand_id=w.ids["brand_b"], name="Basic", years=3)).id,
    "video_id": lambda w: cf._add(Video(brand_id=w.ids["brand_b"], name="Walkaround", url="https://example.com/v")).id,
    "review_id": lambda w: cf._add(ExpertReview(brand_id=w.ids["brand_b"], source="Press", quote="Good")).id,
    "exclusion_id": _b_exclusion,
    "promotion_id": _b(cf.promotion, currency="THB"),
    "banner_id": _b(cf.banner),
    "dealer_id": lambda w: w.ids["b1"],
    "membership_id": _b1_staff,
    "customer_id": lambda w: cf.customer(w.ids["b1"], phone_e164="+66812345678").id,
    "key": lambda w: cf.model(w.ids["brand_b"], hero_image_key="catalog/2026/" + "b" * 32 + ".png").hero_image_key,
    "vehicle_id": lambda w: _other_vehicle(w).id,
    "photo_id": _other_photo,
    "batch_id": _other_batch,
    "key_id": _other_api_key,
    "user_id": lambda w: w.ids["user_consultant_b1"],  # staff of dealer B1 only
    "preset_id": _other_preset,
    "deal_id": _other_deal,
    "notification_id": _other_notification,
    "application_id": _other_finance_application,
    "document_id": _other_finance_document,
    "payment_id": _other_payment,
    "appraisal_id": _other_appraisal,
    "trade_in_photo_id": _other_trade_in_photo,
    "contract_id": _other_contract,
    "amendment_id": _other_amendment,
    "bank_id": _other_bank,
    # Vehicle display addresses published catalog rows by code: codes published by brand B only.
    "model_code": lambda w: _b_published(w)["model_code"],
    "trim_code": lambda w: _b_published(w)["trim_code"],
    "color_code": lambda w: _b_published(w)["color_code"],
}
# Parameters of routes that are not tenant routes (public links, platform pages): any value.
NEUTRAL_PARAMS = {
    "action": lambda w: "publish",
    "token": lambda w: "not-a-valid-token",
    "message_id": lambda w: 1,
    "filename": lambda w: "x",
    # Public payment pages: the test checkout's unguessable session id, the webhook's provider name,
    # and the online reservation page of a dealer's car (public by design; tests/deals/test_payments_*).
    "session_id": lambda w: "cs_test_unknown",
    "provider": lambda w: "test",
    "shop_slug": lambda w: w.slugs["b1"],
    "car_id": lambda w: _other_vehicle(w).id,
}


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def _build(app, rule, world, extra: dict | None = None) -> str | None:
    values = {}
    with app.app_context(), all_tenants():
        for arg in rule.arguments:
            if extra and arg in extra:
                values[arg] = extra[arg](world)
            elif arg in OTHER_TENANT_PARAMS:
                values[arg] = OTHER_TENANT_PARAMS[arg](world)
            elif arg in NEUTRAL_PARAMS:
                values[arg] = NEUTRAL_PARAMS[arg](world)
            else:
                pytest.fail(f"Route {rule.rule} has parameter {arg!r}: add it to OTHER_TENANT_PARAMS in {__file__}")
        db.session.commit()
    return rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("who", ["consultant_a1", "principal_a1", "corp_a", "marketer_a"])
def test_every_tenant_route_answers_404_for_another_tenant(app, client, login, world, who):
    login(world.emails[who])
    token = csrf_token(client, "/workspaces")
    checked = 0
    for rule in _rules(app):
        if rule.rule.startswith("/api/"):
            continue  # API routes authenticate by key; tests/api covers their isolation
        if not ({"dealer_slug", "brand_slug"} & set(rule.arguments)) and not rule.rule.startswith("/admin"):
            continue
        url = _build(app, rule, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers={"X-CSRFToken": token})
            assert response.status_code == 404, f"{who} {method} {url} → {response.status_code}"
            checked += 1
    assert checked >= 4


def test_own_dealer_with_other_tenants_ids_answers_404(app, client, login, world):
    """Inside one's own dealer, ids that belong to another dealer must not resolve."""
    login(world.emails["principal_a1"])
    token = csrf_token(client, "/workspaces")
    own = {"dealer_slug": lambda w: w.slugs["a1"], "brand_slug": lambda w: w.slugs["brand_a"]}
    for rule in _rules(app):
        args = set(rule.arguments)
        if "dealer_slug" not in args or args == {"dealer_slug"}:
            continue
        url = _build(app, rule, world, own)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers={"X-CSRFToken": token})
            assert response.status_code == 404, f"{method} {url} → {response.status_code}"


def test_dealer_users_cannot_reach_corporate_pages(client, login, world):
    login(world.emails["principal_a1"])
    assert client.get(f"/c/{world.slugs['brand_a']}/").status_code == 404
    assert client.get("/admin/").status_code == 404


def test_corporate_users_cannot_reach_dealer_pages(client, login, world):
    login(world.emails["corp_a"])
    assert client.get(f"/d/{world.slugs['a1']}/").status_code == 404


def test_unknown_slug_and_inactive_dealer_are_404(app, client, login, world):
    login(world.emails["principal_a1"])
    assert client.get("/d/no-such-dealer/").status_code == 404
    with app.app_context(), all_tenants():
        db.session.get(Dealer, world.ids["a1"]).active = False
        db.session.commit()
    assert client.get(f"/d/{world.slugs['a1']}/").status_code == 404


def test_query_without_scope_fails_closed(app, world):
    with app.app_context():
        with pytest.raises(TenantNotSet):
            db.session.scalars(select(Dealer)).all()
        # Brand is not tenant-owned: it is readable (login needs it), Dealer is not.
        assert db.session.scalars(select(Brand)).all()


def test_scoped_queries_see_only_their_tenant(app, world):
    with app.app_context():
        with scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
            slugs = {d.slug for d in db.session.scalars(select(Dealer))}
        assert slugs == {world.slugs["a1"], world.slugs["a2"]}  # the brand's dealers, via brand scope
        with scoped(brand_id=world.ids["brand_b"]):
            assert {d.slug for d in db.session.scalars(select(Dealer))} == {world.slugs["b1"]}
            # get() by primary key goes through the same criteria
            assert db.session.get(Dealer, world.ids["a1"]) is None
        with scoped(brand_id=world.ids["brand_a"]):
            explicit = db.session.scalars(select(Dealer).execution_options(all_tenants=True)).all()
            assert len(explicit) >= 3  # the one greppable bypass


def test_flush_refuses_rows_of_another_brand(app, world):
    with app.app_context():
        with scoped(brand_id=world.ids["brand_a"]):
            db.session.add(
                Dealer(
                    brand_id=world.ids["brand_b"], code="X", slug="x-dealer", name="X", country="TH", locale="th",
                    currency="THB", timezone="Asia/Bangkok", business_model=BusinessModel.E2E,
                )
            )
            with pytest.raises(CrossTenantWrite):
                db.session.flush()
            db.session.rollback()


def test_flush_stamps_brand_on_new_rows(app, world):
    with app.app_context():
        with scoped(brand_id=world.ids["brand_a"]):
            dealer = Dealer(
                code="NEW", slug="new-dealer", name="New", country="KR", locale="ko", currency="KRW",
                timezone="Asia/Seoul", business_model=BusinessModel.O2O,
            )
            db.session.add(dealer)
            db.session.flush()
            assert dealer.brand_id == world.ids["brand_a"]
            db.session.rollback()


def test_count_and_subquery_selects_are_scoped_too(app, world):
    """``select(func.count()).select_from(Model)`` names the model only in FROM; it must be scoped (was fail-open)."""
    from sqlalchemy import func

    from app.models.inventory import StockVehicle
    from tests.inventory.factories import vehicle

    with app.app_context():
        vehicle(world.ids["a1"])
        vehicle(world.ids["b1"], currency="THB")
        statements = [
            select(func.count()).select_from(StockVehicle),
            select(func.count()).select_from(select(StockVehicle).subquery()),
        ]
        for statement in statements:
            with pytest.raises(TenantNotSet):
                db.session.scalar(statement)
            with scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
                assert db.session.scalar(statement) == 1
        db.session.rollback()
