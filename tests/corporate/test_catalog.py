"""Catalog pages: lists and fragments, forms with translations, inline prices, matrix, option rules on save, publish."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.catalog import CatalogRelease, Category, Option, Trim, TrimColor, localized
from tests.conftest import csrf_token
from tests.corporate import factories as cf

SECTIONS = ["categories", "models", "trims", "colors", "features", "options", "accessories", "warranties", "videos",
            "reviews"]


@pytest.mark.parametrize("locale", ["en", "ko", "ru", "th", "zh_Hans"])
def test_every_catalog_page_renders_in_every_locale(app, client, corp, world, make, locale):
    base, _token = corp
    client.post("/locale", data={"locale": locale, "csrf_token": _token, "next": "/"})
    trim_id = make(cf.trim, world.ids["brand_a"])
    for section in SECTIONS:
        assert client.get(f"{base}/catalog/{section}/").status_code == 200, section
        assert client.get(f"{base}/catalog/{section}/new").status_code == 200, section
    for path in ["/", f"/catalog/trims/{trim_id}", "/catalog/color-exclusions", "/catalog/publish", "/promotions/",
                 "/promotions/new", "/banners/", "/banners/new", "/dealers/", "/dealers/new", "/consultants/",
                 "/customers/?q=kim"]:
        assert client.get(base + path).status_code == 200, path


def test_list_fragment_and_filter(client, corp, world, make):
    base, _ = corp
    make(cf.color, world.ids["brand_a"], name="Abyss Black", kind="exterior")
    make(cf.color, world.ids["brand_a"], name="Navy Leather", kind="interior")
    full = client.get(f"{base}/catalog/colors/")
    assert "<html" in full.get_data(as_text=True) and "HX-Request" in full.headers["Vary"]
    frag = client.get(f"{base}/catalog/colors/?kind=interior", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in frag and "Navy Leather" in frag and "Abyss Black" not in frag
    search = client.get(f"{base}/catalog/colors/?q=abyss", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Abyss Black" in search and "Navy Leather" not in search


def test_create_category_with_translations_and_audit(client, corp, read):
    base, token = corp
    response = client.post(f"{base}/catalog/categories/new", data={
        "csrf_token": token, "code": "SUV", "name": "SUV", "sort_order": "1", "name_ko": "SUV (한국어)", "name_th": "รถ SUV"})
    assert response.status_code == 302
    row = read(lambda: db.session.scalar(select(Category).where(Category.code == "SUV")))
    assert row.name_i18n == {"ko": "SUV (한국어)", "th": "รถ SUV"}
    assert localized(row.name_i18n, "ko", row.name) == "SUV (한국어)"
    assert localized(row.name_i18n, "zh_Hans", row.name) == "SUV"  # English fallback
    assert read(lambda: db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "catalog_created", AuditEvent.object_type == "Category")))


def test_bad_input_is_400_with_field_message_and_nothing_saved(client, corp, world, make, read):
    base, token = corp
    make(cf.category, world.ids["brand_a"], code="SEDAN")
    response = client.post(f"{base}/catalog/categories/new", data={"csrf_token": token, "code": "SEDAN", "name": "X"})
    assert response.status_code == 400
    assert "This code is already used in your catalog." in response.get_data(as_text=True)
    response = client.post(f"{base}/catalog/trims/new", data={"csrf_token": token, "code": "bad code!", "name": "",
                                                              "msrp": "-5"})
    assert response.status_code == 400
    assert read(lambda: db.session.scalar(select(func.count()).select_from(Trim))) == 0


def test_missing_csrf_is_rejected(client, corp):
    base, _ = corp
    assert client.post(f"{base}/catalog/categories/new", data={"code": "X", "name": "X"}).status_code == 400


def test_marketer_may_edit_catalog_but_dealer_users_get_404(client, login, world):
    login(world.emails["marketer_a"])
    assert client.get(f"/c/{world.slugs['brand_a']}/catalog/trims/").status_code == 200
    assert client.get(f"/c/{world.slugs['brand_a']}/dealers/").status_code == 403  # not a marketer's job
    for who in ["principal_a1", "consultant_a1"]:
        client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
        login(world.emails[who])
        for path in ["/", "/catalog/trims/", "/promotions/", "/banners/", "/dealers/", "/customers/", "/catalog/publish"]:
            assert client.get(f"/c/{world.slugs['brand_a']}{path}").status_code == 404, (who, path)


def test_inline_price_edit(client, corp, world, make, read):
    base, token = corp
    trim_id = make(cf.trim, world.ids["brand_a"], msrp=Decimal("30000000"))
    form = client.get(f"{base}/catalog/trims/{trim_id}/price", headers={"HX-Request": "true"})
    assert form.status_code == 200 and 'hx-post' in form.get_data(as_text=True)
    bad = client.post(f"{base}/catalog/trims/{trim_id}/price", data={"csrf_token": token, "price": "abc"},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422
    ok = client.post(f"{base}/catalog/trims/{trim_id}/price", data={"csrf_token": token, "price": "31500000"},
                     headers={"HX-Request": "true"})
    assert ok.status_code == 200 and ok.headers["HX-Trigger"] == "catalog-changed"
    assert "<tr" in ok.get_data(as_text=True)
    assert read(lambda: db.session.get(Trim, trim_id).msrp) == Decimal("31500000")


def test_trim_color_matrix(client, corp, world, make, read):
    base, token = corp
    trim_id = make(cf.trim, world.ids["brand_a"])
    red = make(cf.color, world.ids["brand_a"], surcharge=Decimal("80000"))
    black = make(cf.color, world.ids["brand_a"], kind="interior")
    response = client.post(f"{base}/catalog/trims/{trim_id}/colors", data={
        "csrf_token": token, "color": [str(red), str(black)], f"surcharge_{red}": "150000", f"surcharge_{black}": ""})
    assert response.status_code == 302
    cells = read(lambda: {c.color_id: c.surcharge for c in db.session.scalars(select(TrimColor))})
    assert cells == {red: Decimal("150000"), black: None}
    bad = client.post(f"{base}/catalog/trims/{trim_id}/colors", data={
        "csrf_token": token, "color": [str(red)], f"surcharge_{red}": "-1"})
    assert bad.status_code == 302
    assert read(lambda: len(db.session.scalars(select(TrimColor)).all())) == 2  # unchanged


# Table-driven rule-engine integration: (existing options, posted option, expected message or None).
RULE_CASES = [
    ("requires cycle", [("SUNRF", "single", [], [])], {"code": "PANO", "requires": ["SUNRF"]},
     {"SUNRF": ["PANO"]}, "→"),
    ("requires and excludes", [("PREM", "single", [], [])], {"code": "MATTE", "requires": ["PREM"], "excludes": ["PREM"]},
     {}, "MATTE"),
    ("self exclusion", [], {"code": "TOW", "excludes": ["TOW"]}, {}, "TOW"),
    ("consistent", [("PREM", "single", [], [])], {"code": "SUNRF", "requires": ["PREM"]}, {}, None),
]


@pytest.mark.parametrize("label,existing,posted,later_requires,expected", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_option_rules_checked_on_save(app, client, corp, world, make, read, label, existing, posted, later_requires,
                                      expected):
    base, token = corp
    ids = {}
    for code, kind, _r, _e in existing:
        ids[code] = make(cf.option, world.ids["brand_a"], code=code, name=f"Name {code}", kind=kind)
    # Save the posted option first when it is consistent on its own, then the edit that closes the cycle.
    data = {"csrf_token": token, "code": posted["code"], "name": f"Name {posted['code']}", "kind": "single",
            "price": "100000"}
    if posted["code"] in posted.get("excludes", []) or posted["code"] in posted.get("requires", []):
        data["excludes_ids"] = []  # self-reference needs the row id: create first, then edit
        assert client.post(f"{base}/catalog/options/new", data=data).status_code == 302
        new_id = read(lambda: db.session.scalar(select(Option.id).where(Option.code == posted["code"])))
        ids[posted["code"]] = new_id
        data["excludes_ids"] = [str(ids[c]) for c in posted.get("excludes", [])]
        response = client.post(f"{base}/catalog/options/{new_id}", data=data)
    else:
        data["requires_ids"] = [str(ids[c]) for c in posted.get("requires", [])]
        data["excludes_ids"] = [str(ids[c]) for c in posted.get("excludes", [])]
        response = client.post(f"{base}/catalog/options/new", data=data)
        if later_requires and response.status_code == 302:
            ids[posted["code"]] = read(lambda: db.session.scalar(select(Option.id).where(Option.code == posted["code"])))
            for code, reqs in later_requires.items():
                response = client.post(f"{base}/catalog/options/{ids[code]}", data={
                    "csrf_token": token, "code": code, "name": f"Name {code}", "kind": "single", "price": "100000",
                    "requires_ids": [str(ids[r]) for r in reqs]})
    if expected is None:
        assert response.status_code == 302
        return
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[-2000:]
    assert "Nothing was saved" in body and expected in body
    # nothing saved: no option requires anything that would make the rule set inconsistent
    from app.domain.option_rules import check_rule_set
    from app.services.catalog import _domain_option

    def problems():
        return check_rule_set(_domain_option(o) for o in db.session.scalars(select(Option)))

    assert read(problems) == []


def test_check_configuration_reports_conflicts(client, corp, world, make, read):
    base, _ = corp
    brand = world.ids["brand_a"]
    trim_id = make(cf.trim, brand, code="SON-PREM")
    prem = make(cf.option, brand, code="PREM", name="Premium package", kind="package")
    sunrf = make(cf.option, brand, code="SUNRF", name="Sunroof")

    def link():
        opt = db.session.get(Option, sunrf)
        opt.requires = [db.session.get(Option, prem)]
        db.session.commit()

    read(link)
    response = client.get(f"{base}/catalog/trims/{trim_id}/check?check=1&options=SUNRF", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sunroof requires Premium package" in body


def test_publish_makes_a_release_and_later_edits_stay_draft(client, corp, world, make, read):
    base, token = corp
    brand = world.ids["brand_a"]
    assert client.post(f"{base}/catalog/publish", data={"csrf_token": token}).status_code == 400  # nothing to publish
    trim_id = make(cf.trim, brand, msrp=Decimal("29000000"))
    assert client.post(f"{base}/catalog/publish", data={"csrf_token": token}).status_code == 302
    release = read(lambda: db.session.scalar(select(CatalogRelease)))
    assert release.version == 1 and release.trim_count == 1
    assert release.snapshot["models"][0]["trims"][0]["msrp"] == "29000000.00"
    client.post(f"{base}/catalog/trims/{trim_id}/price", data={"csrf_token": token, "price": "35000000"})
    page = client.get(f"{base}/catalog/publish").get_data(as_text=True)
    assert "The draft has changes that dealers do not see yet." in page
    release = read(lambda: db.session.scalar(select(CatalogRelease).order_by(CatalogRelease.version.desc())))
    assert release.snapshot["models"][0]["trims"][0]["msrp"] == "29000000.00"  # published data untouched


def test_hero_image_upload_rejects_bad_files(client, corp, world, make, read):
    import io

    from PIL import Image

    base, token = corp
    cat = make(cf.category, world.ids["brand_a"])
    data = {"csrf_token": token, "code": "IONIQ5", "name": "Ioniq 5", "category_id": str(cat), "model_year": "2025"}
    bad = client.post(f"{base}/catalog/models/new", data={**data, "hero_image": (io.BytesIO(b"%PDF-1.4 nope"), "car.jpg")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "not a readable JPEG" in bad.get_data(as_text=True)
    huge = io.BytesIO()
    Image.new("RGB", (9000, 9000)).save(huge, "PNG")
    bad = client.post(f"{base}/catalog/models/new", data={**data, "hero_image": (io.BytesIO(huge.getvalue()), "x.png")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "too large" in bad.get_data(as_text=True)
    from app.models.catalog import VehicleModel

    assert read(lambda: db.session.scalar(select(func.count()).select_from(VehicleModel))) == 0
    good = io.BytesIO()
    Image.new("RGB", (800, 400), "navy").save(good, "JPEG")
    ok = client.post(f"{base}/catalog/models/new", data={**data, "hero_image": (io.BytesIO(good.getvalue()), "x.jpg")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    key = read(lambda: db.session.scalar(select(VehicleModel.hero_image_key)))
    assert client.get(f"{base}/uploads/{key}").headers["Content-Type"] == "image/jpeg"


def test_money_fields_use_the_brand_currency_minor_unit(client, corp, world, make, read):
    base, token = corp
    trim_id = make(cf.trim, world.ids["brand_a"], msrp=Decimal("34040000"))
    form = client.get(f"{base}/catalog/trims/{trim_id}").get_data(as_text=True)
    assert 'value="34,040,000"' in form and "34040000.00" not in form  # KRW has no decimals, grouped
    bad = client.post(f"{base}/catalog/trims/{trim_id}/price", data={"csrf_token": token, "price": "34040000.5"},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "KRW amounts are whole numbers." in bad.get_data(as_text=True)
    assert read(lambda: db.session.get(Trim, trim_id).msrp) == Decimal("34040000")
