"""The demo catalog: a realistic, published Hyundai line-up with real gaps and rules; seeding twice changes nothing."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from app.domain import option_rules as rules
from app.extensions import db
from app.models.accounts import Brand, Dealer
from app.models.audit import AuditEvent
from app.models.catalog import CatalogRelease
from app.models.promotions import Promotion
from app.services import catalog as catalog_service
from app.services import promotions as promotion_service
from app.tenancy import all_tenants, scoped


def _counts():
    with all_tenants():
        return [db.session.scalar(select(func.count()).select_from(m)) for m in (CatalogRelease, Promotion, AuditEvent)]


def test_demo_catalog_is_published_realistic_and_idempotent(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        first = _counts()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _counts() == first  # no new release, promotion or audit event
        with all_tenants():
            kr = db.session.scalar(select(Brand).where(Brand.slug == "hyundai-kr"))
            th = db.session.scalar(select(Brand).where(Brand.slug == "hyundai-th"))
            seoul = db.session.scalar(select(Dealer).where(Dealer.slug == "seoul-gangnam"))
        with scoped(brand_id=kr.id):
            release = catalog_service.published_catalog(db.session)
            snap = release.snapshot
            assert release.version == 1 and not catalog_service.has_unpublished_changes(db.session, release)
            models = {m["code"]: m for m in snap["models"]}
            assert {"CN7", "DN8", "NX4", "MX5", "NE1"} <= set(models)
            assert {c["code"] for c in snap["categories"]} == {"SEDAN", "SUV", "EV"}
            assert all(len(m["trims"]) >= 3 for m in models.values())
            avante = {t["name"]: Decimal(t["msrp"]) for t in models["CN7"]["trims"]}
            assert avante == {"1.6 Smart": Decimal("19940000"), "1.6 Modern": Decimal("23550000"),
                              "1.6 Inspiration": Decimal("27550000")}
            assert models["NE1"]["name_i18n"]["ko"] == "아이오닉 5"
            trims = [t for m in models.values() for t in m["trims"]]
            exteriors = {c["code"] for t in trims for c in t["exterior_colors"]}
            interiors = {c["code"] for t in trims for c in t["interior_colors"]}
            assert len(exteriors) >= 8 and len(interiors) >= 3
            # Real gaps: matte only on top trims; light interiors not on base trims; excluded pairs.
            matte = [t["code"] for t in trims if any(c["paint_type"] == "matte" for c in t["exterior_colors"])]
            assert matte and all(code.endswith(("INSP", "CALL", "PRES")) for code in matte)
            assert "SBG" not in {c["code"] for c in models["NX4"]["trims"][0]["interior_colors"]}
            assert len(snap["color_exclusions"]) >= 3
            catalog = catalog_service.catalog_from_snapshot(snap)
            result = rules.validate_configuration(
                rules.Configuration("NX4-16T-INSP", "GTG", "SBG", frozenset({"NX4-SUNRF", "NX4-SPORT", "NX4-COMF"})),
                catalog)
            messages = " ".join(c.message for c in result.conflicts)
            assert not result.valid
            assert "Comfort package" in messages and "Sport package" in messages  # excludes
            assert "Sand Beige" in messages  # excluded colour pair
            assert "Convenience package" in messages  # the sunroof requires it
            assert len(snap["accessories"]) >= 12 and len(snap["videos"]) == 2 and len(snap["reviews"]) == 3
            assert {(w["years"], w["distance_km"]) for w in snap["warranties"]} >= {(3, 60000), (5, 100000), (10, 200000)}
            promos = db.session.scalars(select(Promotion)).all()
            statuses = Counter(str(promotion_service.status(p, kr.timezone)) for p in promos)
            assert statuses["expired"] == 1 and statuses["active"] >= 4
            by_kind = {p.kind: p for p in promos}
            assert by_kind["apr_subvention"].apr_term_min == 12 and by_kind["apr_subvention"].apr_term_max == 36
            assert len(by_kind["coupon"].coupons) == 3 and any(p.exclusive for p in promos)
        with scoped(dealer_id=seoul.id, brand_id=kr.id):
            assert len(promotion_service.active_banners(db.session, seoul)) == 2
        with scoped(brand_id=th.id):
            thai = catalog_service.published_catalog(db.session).snapshot
            assert {m["code"] for m in thai["models"]} == {"SU2", "KS", "NE1-TH"}
            assert thai["models"][0]["name_i18n"]["th"] == "ครีต้า"


def test_demo_rows_fit_the_corporate_forms(app, runner):
    """Every demo value a select offers must be one of its choices, or editing the row in the UI would fail."""
    from app.blueprints.corporate import forms as f
    from app.models.catalog import Color, Option, Trim

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.test_request_context(), all_tenants():
        trim_form, color_form, option_form = f.TrimForm(meta={"csrf": False}), f.ColorForm(meta={"csrf": False}), \
            f.OptionForm(meta={"csrf": False})

        def values(field):
            return {c[0] for c in field.iter_choices()}

        for trim in db.session.scalars(select(Trim)):
            assert trim.fuel_type in values(trim_form.fuel_type), trim.code
            assert trim.drivetrain in values(trim_form.drivetrain), trim.code
        for color in db.session.scalars(select(Color)):
            assert color.paint_type in values(color_form.paint_type), color.code
            assert color.kind in values(color_form.kind), color.code
        assert {o.kind for o in db.session.scalars(select(Option))} <= values(option_form.kind)
