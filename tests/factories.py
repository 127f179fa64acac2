"""Factories: plain callables that create rows with sensible defaults (flush only)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from app.domain.roles import BusinessModel, Role
from app.extensions import db
from app.models.accounts import Brand, Dealer, User
from app.services import accounts
from app.tenancy import all_tenants

PASSWORD = "correct-horse-battery"  # noqa: S105 - test credential
_seq = itertools.count(1)


def brand(**overrides) -> Brand:
    """Create a brand (defaults: Korean, KRW, Asia/Seoul)."""
    n = next(_seq)
    values = dict(slug=f"brand-{n}", name=f"Brand {n}", country="KR", default_locale="ko", currency="KRW", timezone="Asia/Seoul")
    values.update(overrides)
    with all_tenants():
        obj = Brand(**values)
        db.session.add(obj)
        db.session.flush()
    return obj


def dealer(brand_obj: Brand, **overrides) -> Dealer:
    """Create a dealer of ``brand_obj`` with the brand's locale, currency and time zone."""
    n = next(_seq)
    values = dict(
        code=f"D{n}",
        slug=f"dealer-{n}",
        name=f"Dealer {n}",
        country=brand_obj.country,
        locale=brand_obj.default_locale,
        currency=brand_obj.currency,
        timezone=brand_obj.timezone,
        business_model=BusinessModel.E2E,
        brand_id=brand_obj.id,
    )
    values.update(overrides)
    with all_tenants():
        obj = Dealer(**values)
        db.session.add(obj)
        db.session.flush()
    return obj


def user(role: Role | None = None, *, brand_obj: Brand | None = None, dealer_obj: Dealer | None = None, **overrides) -> User:
    """Create a user with ``PASSWORD`` and, if ``role`` is given, a membership."""
    n = next(_seq)
    values = dict(email=f"user{n}@example.com", name=f"User {n}", password=PASSWORD, preferred_locale=None)
    values.update(overrides)
    with all_tenants():
        obj = accounts.create_user(db.session, **values)
        if role is not None:
            accounts.grant(db.session, obj, role, brand=brand_obj, dealer=dealer_obj)
    return obj


@dataclass
class World:
    """Ids and e-mails of the standard two-brand test world."""

    ids: dict[str, int] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


def build_world() -> World:
    """Brand A (en, KRW, Seoul) with dealers A1 (E2E) and A2 (O2O); brand B (th, THB) with dealer B1; users per role."""
    w = World()
    # Brand A speaks English so that assertions on UI text read naturally; it still sells in KRW
    # from Seoul (currency and time zone are what the tenant tests exercise).
    brand_a = brand(name="Brand A", default_locale="en")
    brand_b = brand(name="Brand B", country="TH", default_locale="th", currency="THB", timezone="Asia/Bangkok")
    a1 = dealer(brand_a, name="Dealer A1")
    a2 = dealer(brand_a, name="Dealer A2", business_model=BusinessModel.O2O)
    b1 = dealer(brand_b, name="Dealer B1")
    for key, obj in {"brand_a": brand_a, "brand_b": brand_b, "a1": a1, "a2": a2, "b1": b1}.items():
        w.ids[key] = obj.id
        w.slugs[key] = obj.slug
    people = {
        "platform": (Role.PLATFORM_ADMIN, None, None),
        "corp_a": (Role.CORPORATE_ADMIN, brand_a, None),
        "marketer_a": (Role.CORPORATE_MARKETER, brand_a, None),
        "corp_b": (Role.CORPORATE_ADMIN, brand_b, None),
        "principal_a1": (Role.DEALER_PRINCIPAL, None, a1),
        "manager_a1": (Role.SALES_MANAGER, None, a1),
        "consultant_a1": (Role.SALES_CONSULTANT, None, a1),
        "principal_a2": (Role.DEALER_PRINCIPAL, None, a2),
        "principal_b1": (Role.DEALER_PRINCIPAL, None, b1),
        "consultant_b1": (Role.SALES_CONSULTANT, None, b1),
    }
    for key, (role, b, d) in people.items():
        u = user(role, brand_obj=b, dealer_obj=d, name=key)
        w.emails[key] = u.email
        w.ids[f"user_{key}"] = u.id
    group = user(Role.SALES_CONSULTANT, dealer_obj=a1, name="group")
    with all_tenants():
        accounts.grant(db.session, group, Role.SALES_CONSULTANT, dealer=a2)
    w.emails["group"] = group.email
    return w
