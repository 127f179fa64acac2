"""Vehicle display: published data only, toggles, order, dealer prices within the brand range, roles, O2O."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.dealer_pricing import PriceProblem, PriceRange, effective_price, price_problem
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.catalog import CatalogRelease, Trim
from app.models.dealer_settings import DealerDisplayTrim
from app.services import vehicle_display as svc
from app.services.catalog import publish_catalog
from app.tenancy import all_tenants, scoped
from tests.corporate import factories as cf
from tests.dealer.helpers import as_dealer, post, url

D = Decimal
PAGE = "settings/vehicle-display"
HX = {"HX-Request": "true"}


# --- domain: table-driven, hand-computed --------------------------------------------------------------

RANGE = PriceRange(D(48_000_000), D(52_000_000))
PRICE_CASES = [
    # (price, range, expected problem)
    (D(50_000_000), RANGE, None),
    (D(48_000_000), RANGE, None),  # bounds are inclusive
    (D(52_000_000), RANGE, None),
    (D(47_999_999), RANGE, PriceProblem.BELOW_MIN),
    (D(52_000_001), RANGE, PriceProblem.ABOVE_MAX),
    (D(0), RANGE, PriceProblem.NOT_POSITIVE),
    (D(50_000_000), PriceRange(), PriceProblem.NOT_ALLOWED),
    (D(1), PriceRange(high=D(30_000)), None),  # open below, but above zero
    (D(-5), PriceRange(high=D(30_000)), PriceProblem.NOT_POSITIVE),
    (D("29999.99"), PriceRange(low=D(30_000)), PriceProblem.BELOW_MIN),
    (D(10**9), PriceRange(low=D(30_000)), None),  # open above
]


@pytest.mark.no_db
@pytest.mark.parametrize(("price", "allowed", "expected"), PRICE_CASES)
def test_price_problem(price, allowed, expected):
    assert price_problem(price, allowed) is expected


@pytest.mark.no_db
@pytest.mark.parametrize(
    ("msrp", "allowed", "stored", "expected"),
    [
        (D(50_000_000), RANGE, None, (D(50_000_000), False)),
        (D(50_000_000), RANGE, D(49_500_000), (D(49_500_000), True)),
        (D(50_000_000), RANGE, D(47_000_000), (D(50_000_000), False)),  # range moved past the stored price
        (D(50_000_000), PriceRange(), D(49_500_000), (D(50_000_000), False)),  # pricing withdrawn
    ],
)
def test_effective_price(msrp, allowed, stored, expected):
    assert effective_price(msrp, allowed, stored) == expected


# --- a published catalog for brand A ---------------------------------------------------------------


def _publish(brand_id: int) -> int:
    with scoped(brand_id=brand_id):
        return publish_catalog(db.session, user_id=None).version


@pytest.fixture
def catalog(app, world):
    """Brand A publishes IONIQ5 (two trims, two exterior and one interior color) and TUCSON; then drafts DRAFTY."""
    brand = world.ids["brand_a"]
    with app.app_context(), all_tenants():
        cat = cf.category(brand, code="SUV", name="SUV")
        ioniq = cf.model(brand, category=cat, code="IONIQ5", name="Ioniq 5", name_i18n={"ko": "아이오닉 5"}, sort_order=1)
        tucson = cf.model(brand, category=cat, code="TUCSON", name="Tucson", sort_order=2)
        std = cf.trim(brand, model=ioniq, code="IQ5-STD", name="Standard", msrp=D(50_000_000),
                      dealer_price_min=D(48_000_000), dealer_price_max=D(52_000_000))
        cf.trim(brand, model=ioniq, code="IQ5-LR", name="Long Range", msrp=D(55_000_000))
        cf.trim(brand, model=tucson, code="TUC-1", name="Modern", msrp=D(30_000_000), dealer_price_min=D(29_000_000))
        white = cf.color(brand, code="WHT", name="Atlas White", swatch_hex="#f4f4f4")
        red = cf.color(brand, code="RED", name="Ultimate Red", swatch_hex="#a01010")
        black = cf.color(brand, kind="interior", code="BLK", name="Black cloth")
        for c in (white, red, black):
            cf.offer_color(std, c)
        _publish(brand)
        # Drafted after publishing: corporate sees it, dealers must not.
        drafty = cf.model(brand, category=cat, code="DRAFTY", name="Drafty Concept")
        cf.trim(brand, model=drafty, code="DRAFT-1", name="Prototype", msrp=D(99_000_000), dealer_price_min=D(1))
        db.session.commit()
    return world


def _shown(app, world, key="a1"):
    with as_dealer(app, world, key) as dealer:
        shown = svc.displayed_catalog(db.session, dealer)
        return [(m.code, [(t.code, t.price) for t in m.trims]) for m in shown.models]


def _toggle(client, world, path: str, shown: str, key="a1", **kw):
    return post(client, url(world, key, PAGE), {"shown": shown}, target=url(world, key, f"{PAGE}/{path}"), **kw)


def test_page_lists_only_published_models(client, login, catalog):
    from tests.conftest import csrf_token

    login(catalog.emails["principal_a1"])
    client.post("/locale", data={"locale": "ko", "next": "/", "csrf_token": csrf_token(client, "/workspaces")})
    response = client.get(url(catalog, "a1", PAGE))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert 'id="model-IONIQ5"' in body and "아이오닉 5" in body  # the user's language (ko) where translated
    assert 'id="model-TUCSON"' in body and "Tucson" in body
    assert "Drafty" not in body and "DRAFT" not in body
    assert "<html" in body
    fragment = client.get(url(catalog, "a1", PAGE), headers=HX)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert 'id="vehicle-display"' in text and "<html" not in text


def test_unpublished_draft_cannot_be_shown_or_priced(client, login, catalog, app):
    login(catalog.emails["principal_a1"])
    assert _toggle(client, catalog, "models/DRAFTY/shown", "1").status_code == 404
    assert _toggle(client, catalog, "trims/DRAFT-1/shown", "0").status_code == 404
    page = url(catalog, "a1", PAGE)
    assert post(client, page, {"price": "5"}, target=url(catalog, "a1", f"{PAGE}/trims/DRAFT-1/price")).status_code == 404
    assert post(client, page, {"shown": "0"}, target=url(catalog, "a1", f"{PAGE}/models/IONIQ5/colors/NOPE/shown")).status_code == 404
    assert _shown(app, catalog) == []


def test_no_release_yet(client, login, world):
    login(world.emails["principal_a1"])
    body = client.get(url(world, "a1", PAGE)).get_data(as_text=True)
    assert "has not published a catalog yet" in body
    assert _toggle(client, world, "models/IONIQ5/shown", "1").status_code == 404


def test_show_model_with_htmx_then_hide(client, login, catalog, app):
    login(catalog.emails["principal_a1"])
    response = _toggle(client, catalog, "models/IONIQ5/shown", "1", headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="vehicle-display"' in body and "<html" not in body
    assert 'aria-pressed="true"' in body
    assert _shown(app, catalog) == [("IONIQ5", [("IQ5-STD", D(50_000_000)), ("IQ5-LR", D(55_000_000))])]
    with as_dealer(app, catalog) as _dealer:
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.dealer_id == catalog.ids["a1"])).all()
    assert "settings.vehicle_display.model" in actions
    # Without HTMX: a redirect back to the model's card.
    response = _toggle(client, catalog, "models/IONIQ5/shown", "0")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#model-IONIQ5")
    assert _shown(app, catalog) == []


def test_order_with_up_and_down(client, login, catalog, app):
    login(catalog.emails["principal_a1"])
    _toggle(client, catalog, "models/IONIQ5/shown", "1")
    _toggle(client, catalog, "models/TUCSON/shown", "1")
    assert [code for code, _t in _shown(app, catalog)] == ["IONIQ5", "TUCSON"]
    page = url(catalog, "a1", PAGE)
    move = url(catalog, "a1", f"{PAGE}/models/TUCSON/move")
    assert post(client, page, {"direction": "up"}, target=move, headers=HX).status_code == 200
    assert [code for code, _t in _shown(app, catalog)] == ["TUCSON", "IONIQ5"]
    assert post(client, page, {"direction": "up"}, target=move).status_code == 303  # already first: no-op
    assert [code for code, _t in _shown(app, catalog)] == ["TUCSON", "IONIQ5"]
    assert post(client, page, {"direction": "down"}, target=move).status_code == 303
    assert [code for code, _t in _shown(app, catalog)] == ["IONIQ5", "TUCSON"]
    assert post(client, page, {"direction": "sideways"}, target=move).status_code == 400
    # A hidden model has no place in the order.
    _toggle(client, catalog, "models/TUCSON/shown", "0")
    assert post(client, page, {"direction": "up"}, target=move).status_code == 404
    # Showing it again puts it last.
    _toggle(client, catalog, "models/TUCSON/shown", "1")
    assert [code for code, _t in _shown(app, catalog)] == ["IONIQ5", "TUCSON"]


def test_hide_trim_and_color(client, login, catalog, app):
    login(catalog.emails["principal_a1"])
    _toggle(client, catalog, "models/IONIQ5/shown", "1")
    assert _toggle(client, catalog, "trims/IQ5-LR/shown", "0", headers=HX).status_code == 200
    assert _toggle(client, catalog, "models/IONIQ5/colors/RED/shown", "0", headers=HX).status_code == 200
    with as_dealer(app, catalog) as dealer:
        shown = svc.displayed_catalog(db.session, dealer)
        (model,) = shown.models
        assert [t.code for t in model.trims] == ["IQ5-STD"]
        assert [c["code"] for c in model.trims[0].data["exterior_colors"]] == ["WHT"]
        assert [c["code"] for c in model.trims[0].data["interior_colors"]] == ["BLK"]
        assert shown.release_version == 1
    _toggle(client, catalog, "models/IONIQ5/colors/RED/shown", "1")
    _toggle(client, catalog, "trims/IQ5-STD/shown", "0")
    # Every trim hidden: the model is not displayed at all.
    assert _shown(app, catalog) == []
    _toggle(client, catalog, "trims/IQ5-LR/shown", "1")
    with as_dealer(app, catalog) as dealer:
        (model,) = svc.displayed_catalog(db.session, dealer).models
        assert [t.code for t in model.trims] == ["IQ5-LR"]


@pytest.mark.parametrize(
    ("trim", "price", "message"),
    [
        ("IQ5-STD", "47999999", "lowest price"),
        ("IQ5-STD", "52000001", "highest price"),
        ("IQ5-STD", "0", "above 0"),
        ("IQ5-STD", "49000000.50", "Too many decimals"),
        ("IQ5-STD", "abc", 'id="price-IQ5-STD-error"'),  # WTForms' own message, in the user's language
        ("IQ5-LR", "54000000", "sold at MSRP"),
    ],
)
def test_price_outside_range_is_refused_and_nothing_saved(client, login, catalog, app, trim, price, message):
    login(catalog.emails["principal_a1"])
    _toggle(client, catalog, "models/IONIQ5/shown", "1")
    page = url(catalog, "a1", PAGE)
    target = url(catalog, "a1", f"{PAGE}/trims/{trim}/price")
    response = post(client, page, {"price": price}, target=target, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert f'id="price-{trim}-error"' in body
    full = post(client, page, {"price": price}, target=target)
    assert full.status_code == 400 and "<html" in full.get_data(as_text=True)
    with as_dealer(app, catalog):
        assert db.session.scalars(select(DealerDisplayTrim.selling_price)).all() in ([], [None])


def test_price_within_range_is_used_and_reset_to_msrp(client, login, catalog, app):
    login(catalog.emails["principal_a1"])
    _toggle(client, catalog, "models/IONIQ5/shown", "1")
    _toggle(client, catalog, "models/TUCSON/shown", "1")
    page = url(catalog, "a1", PAGE)
    std = url(catalog, "a1", f"{PAGE}/trims/IQ5-STD/price")
    assert post(client, page, {"price": "48000000"}, target=std, headers=HX).status_code == 200  # inclusive minimum
    tucson = url(catalog, "a1", f"{PAGE}/trims/TUC-1/price")
    assert post(client, page, {"price": "45000000"}, target=tucson).status_code == 303  # open maximum
    assert _shown(app, catalog) == [
        ("IONIQ5", [("IQ5-STD", D(48_000_000)), ("IQ5-LR", D(55_000_000))]),
        ("TUCSON", [("TUC-1", D(45_000_000))]),
    ]
    with as_dealer(app, catalog):
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.vehicle_display.price")).all()
        assert {e.after["price"] for e in events} >= {"48000000", "45000000"}
    assert post(client, page, {"price": ""}, target=std).status_code == 303
    assert _shown(app, catalog)[0] == ("IONIQ5", [("IQ5-STD", D(50_000_000)), ("IQ5-LR", D(55_000_000))])


def test_republished_range_overrides_a_stale_dealer_price(client, login, catalog, app):
    login(catalog.emails["principal_a1"])
    _toggle(client, catalog, "models/IONIQ5/shown", "1")
    page = url(catalog, "a1", PAGE)
    post(client, page, {"price": "49000000"}, target=url(catalog, "a1", f"{PAGE}/trims/IQ5-STD/price"))
    with app.app_context(), all_tenants():
        trim = db.session.scalar(select(Trim).where(Trim.code == "IQ5-STD"))
        trim.dealer_price_min = D(49_500_000)
        _publish(catalog.ids["brand_a"])
        db.session.commit()
    assert _shown(app, catalog)[0][1][0] == ("IQ5-STD", D(50_000_000))  # MSRP applies
    body = client.get(url(catalog, "a1", PAGE)).get_data(as_text=True)
    assert "outside the brand range" in body


def test_o2o_dealer_has_the_menu(client, login, catalog, app):
    login(catalog.emails["principal_a2"])
    dashboard = client.get(url(catalog, "a2")).get_data(as_text=True)
    assert url(catalog, "a2", PAGE) in dashboard
    assert client.get(url(catalog, "a2", PAGE)).status_code == 200
    assert _toggle(client, catalog, "models/TUCSON/shown", "1", key="a2").status_code == 303
    assert [code for code, _t in _shown(app, catalog, "a2")] == ["TUCSON"]
    assert _shown(app, catalog, "a1") == []  # the other dealer of the brand is untouched


@pytest.mark.parametrize("who", ["consultant_a1", "manager_a1"])
def test_staff_without_settings_permission_get_403(client, login, catalog, who):
    login(catalog.emails[who])
    assert client.get(url(catalog, "a1", PAGE)).status_code == 403
    token_page = url(catalog, "a1", "customers/")
    response = post(client, token_page, {"shown": "1"}, target=url(catalog, "a1", f"{PAGE}/models/IONIQ5/shown"))
    assert response.status_code == 403


def test_post_without_csrf_is_refused(client, login, catalog, app):
    login(catalog.emails["principal_a1"])
    response = client.post(url(catalog, "a1", f"{PAGE}/models/IONIQ5/shown"), data={"shown": "1"})
    assert response.status_code == 400
    assert _shown(app, catalog) == []


def test_corporate_trim_form_sets_the_dealer_price_range(client, login, catalog, app):
    from tests.conftest import csrf_token

    login(catalog.emails["corp_a"])
    base = f"/c/{catalog.slugs['brand_a']}"
    with app.app_context(), all_tenants():
        trim = db.session.scalar(select(Trim).where(Trim.code == "IQ5-LR"))
        trim_id, model_id = trim.id, trim.model_id
    token = csrf_token(client, f"{base}/catalog/trims/{trim_id}")
    data = {"csrf_token": token, "code": "IQ5-LR", "name": "Long Range", "model_id": str(model_id), "msrp": "55000000",
            "drivetrain": "AWD", "fuel_type": "ev", "dealer_price_min": "56000000", "dealer_price_max": "54000000"}
    bad = client.post(f"{base}/catalog/trims/{trim_id}", data=data)
    assert bad.status_code == 400
    assert "must not be below the lowest" in bad.get_data(as_text=True)
    ok = client.post(f"{base}/catalog/trims/{trim_id}", data={**data, "dealer_price_min": "53000000"})
    assert ok.status_code == 302, ok.get_data(as_text=True)[:2000]
    with app.app_context(), all_tenants():
        trim = db.session.get(Trim, trim_id)
        assert (trim.dealer_price_min, trim.dealer_price_max) == (D(53_000_000), D(54_000_000))
        version = _publish(catalog.ids["brand_a"])
        db.session.commit()
    assert version == 2
    with as_dealer(app, catalog) as dealer:
        (lr,) = [t for m in svc.display_settings(db.session, dealer).models for t in m.trims if t.code == "IQ5-LR"]
        assert lr.price_range == PriceRange(D("53000000.00"), D("54000000.00"))


def test_demo_seed_displays_the_published_catalog_idempotently(app, runner):
    from app.models.accounts import Brand, Dealer
    from app.models.dealer_settings import DealerDisplayModel

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context(), all_tenants():
        brand = db.session.scalar(select(Brand).where(Brand.slug == "hyundai-kr"))
        if db.session.scalar(select(CatalogRelease.id).where(CatalogRelease.brand_id == brand.id)) is None:
            # No catalog demo on this branch: publish a small catalog so the seed has something to show.
            trim = cf.trim(brand.id, msrp=D(46_000_000), dealer_price_min=D(44_000_000), dealer_price_max=D(47_000_000))
            _publish(brand.id)
            db.session.commit()
            expected_price = {trim.code: D(45_540_000)}  # 46,000,000 × 0.99 = 45,540,000 (already a 10,000 step)
        else:
            expected_price = {}
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context(), all_tenants():
        first = db.session.scalar(select(func.count()).select_from(DealerDisplayModel))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context(), all_tenants():
        assert db.session.scalar(select(func.count()).select_from(DealerDisplayModel)) == first
        dealers = {d.slug: d for d in db.session.scalars(select(Dealer))}
    for slug in ("seoul-gangnam", "busan-haeundae"):
        with app.app_context(), scoped(dealer_id=dealers[slug].id, brand_id=dealers[slug].brand_id):
            dealer = db.session.get(Dealer, dealers[slug].id)
            settings = svc.display_settings(db.session, dealer)
            assert settings.models and all(m.shown for m in settings.models)
            prices = {t.code: t.price for m in settings.models for t in m.trims}
            if slug == "seoul-gangnam":
                for code, price in expected_price.items():
                    assert prices[code] == price
