"""Preset discounts name catalog models, trims and stock conditions (issue 11, item 4).

A preset typed as "IONIQ5" while the catalog code is NE1 never applied and nothing warned: the form
now offers the published catalog, the service refuses unknown codes, bad stored rows are flagged,
and the list shows where each preset applies (models, trims, conditions, cars in stock).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.preset_discounts import CatalogIndex, PresetScope, ScopeProblems, fold
from app.extensions import db
from app.imports.values import VehicleCondition
from app.models.accounts import Dealer, Membership, User
from app.models.base import utcnow
from app.models.dealer_settings import PresetDiscount
from app.models.inventory import VehicleStatus
from app.services import dealer_settings as svc
from app.services import offer_builder
from app.services.catalog import publish_catalog
from app.tenancy import all_tenants, scoped
from tests.corporate import factories as cf
from tests.dealer.helpers import as_dealer, post, url
from tests.inventory.factories import vehicle

D = Decimal
NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)

MODELS = [
    {"code": "NE1", "name": "IONIQ 5", "name_i18n": {"ko": "아이오닉 5"},
     "trims": [{"code": "NE1-LR-EXCL", "name": "Long Range Exclusive", "name_i18n": {"ko": "롱레인지 익스클루시브"}},
               {"code": "NE1-LR-PRES", "name": "Long Range Prestige", "name_i18n": {"ko": "롱레인지 프레스티지"}}]},
    {"code": "NX4", "name": "Tucson", "name_i18n": {"ko": "투싼"},
     "trims": [{"code": "NX4-MOD", "name": "Modern", "name_i18n": {"ko": "모던"}}]},
]


# --- the rules, without the app ----------------------------------------------------------------------


@pytest.mark.no_db
@pytest.mark.parametrize(("text", "folded"), [("Ioniq 5", "ioniq5"), ("IONIQ-5", "ioniq5"), (" 아이오닉 5 ", "아이오닉5"),
                                               ("ＮＥ１", "ne1"), (None, "")])
def test_fold(text, folded):
    assert fold(text) == folded


@pytest.mark.no_db
@pytest.mark.parametrize(("model", "trim", "expected"), [
    ("Ioniq 5", "Long Range Prestige", ("NE1", "NE1-LR-PRES")),
    ("IONIQ5", "long-range exclusive", ("NE1", "NE1-LR-EXCL")),
    ("아이오닉 5", "롱레인지 프레스티지", ("NE1", "NE1-LR-PRES")),
    ("NE1", "", ("NE1", None)),
    ("Ioniq 5", "Modern", ("NE1", None)),  # a trim of another model is not this model's trim
    ("Tucson", "Hybrid Noblesse", ("NX4", None)),
    ("Civic", "EX", (None, None)),
    ("", "Modern", (None, None)),
])
def test_stock_car_matched_to_the_catalog(model, trim, expected):
    assert CatalogIndex.from_models(MODELS).match_stock(model, trim) == expected


@pytest.mark.no_db
@pytest.mark.parametrize(("scope", "vehicle", "applies"), [
    (PresetScope(), (None, None, "used"), True),
    (PresetScope(("NE1",)), ("NE1", "NE1-LR-PRES", "new"), True),
    (PresetScope(("NE1",)), ("NX4", "NX4-MOD", "new"), False),
    (PresetScope(("NE1",)), (None, None, "new"), False),
    (PresetScope(("NE1",), ("NE1-LR-PRES",)), ("NE1", "NE1-LR-EXCL", "new"), False),
    (PresetScope((), (), ("used", "cpo")), ("NE1", None, "cpo"), True),
    (PresetScope((), (), ("used",)), ("NE1", "NE1-LR-PRES", "new"), False),
])
def test_scope_applies(scope, vehicle, applies):
    assert scope.applies(*vehicle) is applies


@pytest.mark.no_db
def test_scope_problems_name_the_bad_codes():
    index = CatalogIndex.from_models(MODELS)
    conditions = [c.value for c in VehicleCondition]
    assert not PresetScope(("NE1",), ("NE1-LR-PRES",), ("new",)).problems(index, conditions)
    assert PresetScope(("IONIQ5", "NE1"), ("NX4-MOD", "XX-1"), ("mint",)).problems(index, conditions) == ScopeProblems(
        unknown_models=("IONIQ5",), unknown_trims=("XX-1",), foreign_trims=("NX4-MOD",), unknown_conditions=("mint",))
    assert PresetScope(("NE1",)).problems(CatalogIndex.from_models([]), conditions).unknown_models == ("NE1",)


# --- with the app: a published catalog and stock for dealer A1 --------------------------------------------


@pytest.fixture
def catalog(app, world):
    """Brand A publishes NE1 (two trims) and NX4; dealer A1 has three cars in stock and one sold."""
    brand = world.ids["brand_a"]
    with app.app_context(), all_tenants():
        white, black = cf.color(brand, code="WHT", name="White"), cf.color(brand, kind="interior", code="BLK", name="Black")
        for m in MODELS:
            model = cf.model(brand, code=m["code"], name=m["name"], name_i18n=m["name_i18n"])
            for t in m["trims"]:
                trim = cf.trim(brand, model=model, code=t["code"], name=t["name"], name_i18n=t["name_i18n"], msrp=D(50_000_000))
                cf.offer_color(trim, white)
                cf.offer_color(trim, black)
        with scoped(brand_id=brand):
            publish_catalog(db.session, user_id=None)
        a1 = world.ids["a1"]
        cars = {
            "ioniq_new": vehicle(a1, model="Ioniq 5", trim="Long Range Prestige", condition=VehicleCondition.NEW,
                                 price=D(56_000_000), currency="KRW", acquisition_cost=D(50_000_000)),
            "ioniq_used": vehicle(a1, model="IONIQ 5", trim="Long Range Exclusive", condition=VehicleCondition.USED,
                                  price=D(40_000_000), currency="KRW", status=VehicleStatus.IN_TRANSIT),
            "tucson": vehicle(a1, model="Tucson", trim="Modern", condition=VehicleCondition.NEW, price=D(30_000_000),
                              currency="KRW"),
            "sold": vehicle(a1, model="Ioniq 5", trim="Long Range Prestige", condition=VehicleCondition.NEW,
                            price=D(56_000_000), currency="KRW", status=VehicleStatus.SOLD),
        }
        world.ids.update({f"car_{k}": v.id for k, v in cars.items()})
        db.session.commit()
    return world


def _preset(app, world, name: str, *, models=(), trims=(), conditions=(), value=D(300_000)) -> int:  # noqa: B008 - an immutable Decimal
    with as_dealer(app, world) as dealer:
        preset = svc.save_preset(db.session, dealer, None, svc.PresetInput(
            name, "amount", value, tuple(models), tuple(trims), None, None, False, True, tuple(conditions)))
        db.session.commit()
        return preset.id


def _korean(client):
    from tests.conftest import csrf_token

    client.post("/locale", data={"locale": "ko", "next": "/", "csrf_token": csrf_token(client, "/workspaces")})


def test_form_offers_the_published_catalog_in_the_readers_language(client, login, catalog):
    login(catalog.emails["principal_a1"])
    _korean(client)
    body = client.get(url(catalog, "a1", "settings/preset-discounts/new")).get_data(as_text=True)
    assert 'name="model_codes" value="NE1"' in body and "아이오닉 5" in body
    assert 'name="trim_codes" value="NE1-LR-PRES"' in body and "롱레인지 프레스티지" in body
    assert 'name="conditions"' in body and 'value="used"' in body


def test_form_saves_catalog_codes_and_conditions(client, login, app, catalog):
    login(catalog.emails["principal_a1"])
    new = url(catalog, "a1", "settings/preset-discounts/new")
    ok = post(client, new, {"name": "EV test drive", "kind": "amount", "value": "300000", "model_codes": ["NE1"],
                            "trim_codes": ["NE1-LR-PRES"], "conditions": ["new"], "active": "y"})
    assert ok.status_code == 303, ok.get_data(as_text=True)[:2000]
    with as_dealer(app, catalog):
        row = db.session.scalar(select(PresetDiscount))
        assert (row.model_codes, row.trim_codes, row.conditions) == (["NE1"], ["NE1-LR-PRES"], ["new"])


@pytest.mark.parametrize(("data", "message"), [
    ({"model_codes": ["IONIQ5"]}, "IONIQ5"),
    ({"trim_codes": ["NE1-XX"]}, "NE1-XX"),
    ({"conditions": ["mint"]}, "mint"),
])
def test_form_refuses_a_code_not_offered(client, login, app, catalog, data, message):
    login(catalog.emails["principal_a1"])
    response = post(client, url(catalog, "a1", "settings/preset-discounts/new"),
                    {"name": "Typo", "kind": "amount", "value": "300000", **data})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not one of the choices offered" in body and message in body
    with as_dealer(app, catalog):
        assert db.session.scalar(select(PresetDiscount)) is None


def test_form_refuses_a_trim_of_another_model(client, login, app, catalog):
    login(catalog.emails["principal_a1"])
    response = post(client, url(catalog, "a1", "settings/preset-discounts/new"),
                    {"name": "Mixed", "kind": "amount", "value": "300000", "model_codes": ["NE1"], "trim_codes": ["NX4-MOD"]})
    assert response.status_code == 400 and "Not a trim of the chosen models: NX4-MOD" in response.get_data(as_text=True)


@pytest.mark.parametrize(("models", "trims", "conditions", "field"), [
    (("IONIQ5",), (), (), "model_codes"),
    (("NE1",), ("NX4-MOD",), (), "trim_codes"),
    ((), ("NE1-LR-XX",), (), "trim_codes"),
    ((), (), ("mint",), "conditions"),
])
def test_service_refuses_codes_the_catalog_lacks(app, catalog, models, trims, conditions, field):
    with as_dealer(app, catalog) as dealer:
        with pytest.raises(svc.SettingsError) as caught:
            svc.save_preset(db.session, dealer, None, svc.PresetInput("Bad", "amount", D(1000), models, trims,
                                                                      conditions=conditions))
        assert caught.value.field == field
        assert db.session.scalar(select(PresetDiscount)) is None


def test_service_takes_the_catalogs_spelling(app, catalog):
    with as_dealer(app, catalog) as dealer:
        row = svc.save_preset(db.session, dealer, None, svc.PresetInput("Case", "amount", D(1000), ("ne1",), ("ne1-lr-pres",),
                                                                        conditions=("NEW",)))
        assert (row.model_codes, row.trim_codes, row.conditions) == (["NE1"], ["NE1-LR-PRES"], ["new"])


def test_service_refuses_codes_when_nothing_is_published(app, world):
    with as_dealer(app, world) as dealer:
        with pytest.raises(svc.SettingsError):
            svc.save_preset(db.session, dealer, None, svc.PresetInput("Early", "amount", D(1000), ("NE1",)))
        # Every vehicle, or a stock condition, needs no catalog.
        assert svc.save_preset(db.session, dealer, None, svc.PresetInput("Used", "amount", D(1000), conditions=("used",)))


def test_list_shows_where_each_preset_applies_and_flags_bad_rows(client, login, app, catalog):
    ev = _preset(app, catalog, "EV test drive", models=["NE1"])
    prestige_new = _preset(app, catalog, "Prestige new", models=["NE1"], trims=["NE1-LR-PRES"], conditions=["new"])
    used = _preset(app, catalog, "Used cars", conditions=["used"])
    every = _preset(app, catalog, "Loyalty")
    with as_dealer(app, catalog):
        # A row stored before the catalog check (the demo's "IONIQ5"): it never matched anything.
        bad = PresetDiscount(dealer_id=catalog.ids["a1"], name="Old typo", kind="amount", value=D(300_000), model_codes=["IONIQ5"])
        db.session.add(bad)
        db.session.commit()
        bad_id = bad.id
        reach = svc.preset_reach(db.session, db.session.get(Dealer, catalog.ids["a1"]),
                                 db.session.scalars(select(PresetDiscount)).all(), "en")
    # Cars in stock or in transit: new Ioniq 5 Prestige, used Ioniq 5 Exclusive, new Tucson (the sold car is not counted).
    assert reach[ev].stock_count == 2 and reach[ev].models == ("IONIQ 5",)
    assert reach[prestige_new].stock_count == 1 and reach[prestige_new].trims == ("IONIQ 5 Long Range Prestige",)
    assert reach[used].stock_count == 1 and reach[every].stock_count == 3
    assert reach[bad_id].broken and reach[bad_id].stock_count == 0 and not reach[ev].broken

    login(catalog.emails["principal_a1"])
    _korean(client)
    body = client.get(url(catalog, "a1", "settings/preset-discounts/")).get_data(as_text=True)
    row = body[body.index(f'id="preset-{bad_id}"'):]
    row = row[:row.index("</tr>")]
    assert "preset-problem" in row and "IONIQ5" in row
    ev_row = body[body.index(f'id="preset-{ev}"'):]
    assert "아이오닉 5" in ev_row[:ev_row.index("</tr>")] and "preset-problem" not in ev_row[:ev_row.index("</tr>")]
    edit = client.get(url(catalog, "a1", f"settings/preset-discounts/{bad_id}")).get_data(as_text=True)
    assert "preset-problem" in edit and "IONIQ5" in edit


def _build(app, world, data: offer_builder.BuilderInput):
    with as_dealer(app, world) as dealer, app.test_request_context():
        user = db.session.get(User, world.ids["user_consultant_a1"])
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id, Membership.dealer_id == dealer.id))
        return offer_builder.build(db.session, dealer=dealer, user=user, membership=membership, data=data, now=NOW, locale="en")


def _dealer_lines(result) -> list[str]:
    assert result.priced is not None, result.errors
    return [line.label for line in result.priced.discount_lines if line.kind.value == "dealer_discount"]


def test_builder_applies_a_catalog_preset_to_catalog_and_stock_cars(app, catalog):
    offer_builder.clear_catalog_cache()
    ev = _preset(app, catalog, "EV test drive", models=["NE1"])
    used = _preset(app, catalog, "Used cars", conditions=["used"])
    ids = (ev, used)
    factory = _build(app, catalog, offer_builder.BuilderInput(source="catalog", model_code="NE1", trim_code="NE1-LR-PRES",
                                                               exterior_code="WHT", interior_code="BLK", preset_ids=ids))
    assert _dealer_lines(factory) == ["EV test drive"]  # a factory order is new, not used
    stock = _build(app, catalog, offer_builder.BuilderInput(source="stock", stock_id=catalog.ids["car_ioniq_new"], preset_ids=ids))
    assert _dealer_lines(stock) == ["EV test drive"]  # the stock "Ioniq 5" is NE1
    tucson = _build(app, catalog, offer_builder.BuilderInput(source="catalog", model_code="NX4", trim_code="NX4-MOD",
                                                              exterior_code="WHT", interior_code="BLK", preset_ids=ids))
    assert _dealer_lines(tucson) == [] and any("EV test drive" in n for n in tucson.notes)


def test_demo_ioniq5_test_drive_discount_applies(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.test_request_context():
        with all_tenants():
            seoul = db.session.scalar(select(Dealer).where(Dealer.slug == "seoul-gangnam"))
            consultant = db.session.scalar(select(User).where(User.email == "consultant.seoul@forecourt.example"))
        with scoped(dealer_id=seoul.id, brand_id=seoul.brand_id):
            presets = {p.name: p for p in svc.presets(db.session, seoul)}
            preset = presets["아이오닉 5 시승 고객 할인"]
            reach = svc.preset_reach(db.session, seoul, [preset], "ko")[preset.id]
            assert not reach.broken and reach.models == ("아이오닉 5",) and reach.stock_count >= 1
            assert not any(r.broken for r in svc.preset_reach(db.session, seoul, list(presets.values()), "ko").values())
            membership = db.session.scalar(select(Membership).where(Membership.user_id == consultant.id,
                                                                    Membership.dealer_id == seoul.id))
            offer_builder.clear_catalog_cache()
            result = offer_builder.build(
                db.session, dealer=seoul, user=consultant, membership=membership, locale="ko",
                # Mid-month of the seed: its brand promotions (this month's, relative to the seed day) are on.
                now=utcnow().replace(day=15, hour=3, minute=0, second=0, microsecond=0),
                data=offer_builder.BuilderInput(source="catalog", model_code="NE1", trim_code="NE1-LR-ELITE",
                                                exterior_code="A2B", interior_code="NNB", preset_ids=(preset.id,)),
            )
            assert "아이오닉 5 시승 고객 할인" in _dealer_lines(result)
            assert any(line.kind.value == "promotion" for line in result.priced.discount_lines)  # and it stacks
