"""Catalog and promotion factories (flush only); each runs in the brand scope it is given."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from app.extensions import db
from app.models.catalog import Category, Color, Option, Trim, TrimColor, VehicleModel
from app.models.customers import Customer
from app.models.promotions import Promotion, PromotionBanner
from app.tenancy import all_tenants

_seq = itertools.count(1)


def _add(obj):
    with all_tenants():
        db.session.add(obj)
        db.session.flush()
    return obj


def category(brand_id: int, **kw) -> Category:
    """Create a category."""
    n = next(_seq)
    return _add(Category(**{"brand_id": brand_id, "code": f"CAT{n}", "name": f"Category {n}", **kw}))


def model(brand_id: int, **kw) -> VehicleModel:
    """Create a model (and its category)."""
    n = next(_seq)
    cat = kw.pop("category", None) or category(brand_id)
    return _add(VehicleModel(**{"brand_id": brand_id, "code": f"M{n}", "name": f"Model {n}", "category_id": cat.id,
                                "model_year": 2025, **kw}))


def trim(brand_id: int, **kw) -> Trim:
    """Create a trim (and its model)."""
    n = next(_seq)
    mdl = kw.pop("model", None) or model(brand_id)
    return _add(Trim(**{"brand_id": brand_id, "code": f"T{n}", "name": f"Trim {n}", "model_id": mdl.id,
                        "msrp": Decimal("30000000"), **kw}))


def color(brand_id: int, kind: str = "exterior", **kw) -> Color:
    """Create a color."""
    n = next(_seq)
    return _add(Color(**{"brand_id": brand_id, "code": f"C{n}", "name": f"Color {n}", "kind": kind, **kw}))


def offer_color(trim_obj: Trim, color_obj: Color, surcharge: Decimal | None = None) -> TrimColor:
    """Offer ``color_obj`` on ``trim_obj``."""
    return _add(TrimColor(brand_id=trim_obj.brand_id, trim_id=trim_obj.id, color_id=color_obj.id, surcharge=surcharge))


def option(brand_id: int, **kw) -> Option:
    """Create a single option."""
    n = next(_seq)
    return _add(Option(**{"brand_id": brand_id, "code": f"O{n}", "name": f"Option {n}", "price": Decimal("500000"), **kw}))


def promotion(brand_id: int, **kw) -> Promotion:
    """Create an order-level cash discount draft."""
    n = next(_seq)
    values = {"brand_id": brand_id, "code": f"P{n}", "name": f"Promotion {n}", "kind": "cash_discount",
              "scope": "order", "currency": "KRW", "amount": Decimal("1000000"), "targets": {}}
    values.update(kw)
    return _add(Promotion(**values))


def banner(brand_id: int, **kw) -> PromotionBanner:
    """Create a banner with a fake image key."""
    values = {"brand_id": brand_id, "image_key": f"banners/2026/{next(_seq):032x}.png",
              "headline_i18n": {"en": "Spring sale"}, "starts_at": None, "ends_at": None}
    values.update(kw)
    return _add(PromotionBanner(**values))


def customer(dealer_id: int, **kw) -> Customer:
    """Create a customer of ``dealer_id``."""
    n = next(_seq)
    return _add(Customer(**{"dealer_id": dealer_id, "full_name": f"Customer {n}", "email": f"c{n}@example.com",
                            "phone_e164": f"+8210{n:08d}", **kw}))


def local(text: str) -> datetime:
    """Parse ``YYYY-MM-DD HH:MM`` as a naive local datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M")
