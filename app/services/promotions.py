"""Promotion and banner writes, and the reads dealers need (``active_banners``, ``live_promotions``).

Every rule comes from ``app.domain.promotions``: a row is turned into the domain ``Promotion``
(``to_domain``) whose constructor checks the fields, and publish / withdraw / edit go through the
domain's lifecycle functions with the brand's time zone. Services flush; views commit.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.domain import promotions as rules
from app.domain.messages import N_, Text
from app.models.accounts import Brand, Dealer
from app.models.base import utcnow
from app.models.promotions import Coupon, Promotion, PromotionBanner
from app.services import audit

TARGET_KEYS = ("model_codes", "trim_codes", "option_codes", "accessory_codes")


class PromotionInvalid(ValueError):
    """A promotion or banner that cannot be saved; ``field`` names the form field when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def to_domain(row: Promotion, timezone: str, *, overrides: dict[str, Any] | None = None) -> rules.Promotion:
    """Return the domain ``Promotion`` for ``row`` in the brand ``timezone``; ``overrides`` replace row values.

    Raises ``PromotionInvalid`` (with the field) when the combination breaks a domain rule.
    """
    data = {c: getattr(row, c) for c in (
        "code", "name", "kind", "scope", "currency", "amount", "percent", "apr", "accessory_code", "benefit_value",
        "min_order_amount", "valid_from", "valid_until", "priority", "exclusive", "published", "withdrawn",
        "targets", "all_dealers", "budget_max_count", "budget_max_amount", "budget_used_count", "budget_used_amount")}
    data["dealer_ids"] = [d.id for d in row.dealers]
    data["coupons"] = [(c.code, c.max_uses, c.used_count) for c in row.coupons]
    data.update(overrides or {})
    targets = data["targets"] or {}
    try:
        return rules.Promotion(
            id=row.id or 0,
            code=data["code"],
            name=data["name"],
            brand_id=row.brand_id or 0,
            kind=data["kind"],
            scope=data["scope"],
            currency=data["currency"],
            timezone=timezone,
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            amount=data["amount"],
            percent=data["percent"],
            apr=data["apr"],
            accessory_code=data["accessory_code"] or None,
            benefit_value=data["benefit_value"],
            targets=rules.PromotionTargets(**{k: frozenset(targets.get(k) or ()) for k in TARGET_KEYS}),
            min_order_amount=data["min_order_amount"],
            eligible_dealer_ids=None if data["all_dealers"] else frozenset(data["dealer_ids"]),
            priority=data["priority"] or 0,
            exclusive=bool(data["exclusive"]),
            budget=rules.Budget(data["budget_max_count"], data["budget_max_amount"], data["budget_used_count"] or 0,
                                data["budget_used_amount"] if data["budget_used_amount"] is not None else 0),
            coupons=tuple(rules.Coupon(code, max_uses, used) for code, max_uses, used in data["coupons"]),
            published=bool(data["published"]),
            withdrawn=bool(data["withdrawn"]),
        )
    except rules.PromotionError as exc:
        raise PromotionInvalid(exc.args[0], exc.field) from exc


def status(row: Promotion, timezone: str, now_utc: datetime | None = None) -> rules.PromotionStatus:
    """Return the lifecycle status of ``row`` now (or at ``now_utc``)."""
    return rules.lifecycle_status(to_domain(row, timezone), now_utc or utcnow())


def save_promotion(
    session: Session,
    row: Promotion,
    values: dict[str, Any],
    *,
    dealers: list[Dealer],
    coupons: list[tuple[str, int | None]],
    timezone: str,
    now_utc: datetime | None = None,
) -> Promotion:
    """Create or edit a promotion after the domain checks; raises ``PromotionInvalid`` with nothing changed.

    ``values``: the scalar columns (code, name, name_i18n, text_i18n, kind, scope, currency, amount…,
    targets, all_dealers, valid_from/valid_until as naive brand-local datetimes, priority, exclusive,
    budget caps). ``coupons``: (code, max uses or None) pairs, replacing the current codes while
    keeping the use counts of codes that stay. Once active, pricing fields are frozen
    (``domain.promotions.ensure_editable``).
    """
    now = now_utc or utcnow()
    used = {c.code.upper(): c.used_count for c in row.coupons}
    new_coupons = [(code, max_uses, used.get(code.upper(), 0)) for code, max_uses in coupons]
    overrides = dict(values, dealer_ids=[d.id for d in dealers], coupons=new_coupons,
                     published=row.published or False, withdrawn=row.withdrawn or False)
    overrides.setdefault("budget_used_count", row.budget_used_count or 0)
    overrides.setdefault("budget_used_amount", row.budget_used_amount)
    proposed = to_domain(row, timezone, overrides=overrides)
    if row.id is not None:
        try:
            rules.ensure_editable(to_domain(row, timezone), replace(proposed, id=row.id), now)
        except rules.PromotionError as exc:
            raise PromotionInvalid(exc.args[0], exc.field) from exc
    taken = {c.upper() for c in session.scalars(
        select(Coupon.code).where(Coupon.promotion_id != (row.id or 0)))}
    for code, _max, _used in new_coupons:
        if code.upper() in taken:
            message = Text(N_("Coupon code %(code)s is already used by another promotion."), code=code)
            raise PromotionInvalid(message, "coupons")
    is_new = row.id is None
    before, after = ({}, dict(values)) if is_new else audit.changes(row, list(values), values)
    for key, value in values.items():
        setattr(row, key, value)
    row.dealers = [] if values.get("all_dealers") else list(dealers)
    keep = {c.code.upper(): c for c in row.coupons}
    row.coupons = [
        keep.get(code.upper()) or Coupon(code=code.upper(), max_uses=max_uses, used_count=0)
        for code, max_uses, _used in new_coupons
    ]
    for coupon, (_code, max_uses, _u) in zip(row.coupons, new_coupons, strict=True):
        coupon.max_uses = max_uses
    if is_new:
        session.add(row)
    session.flush()
    after["coupons"] = ", ".join(c.code for c in row.coupons)
    audit.record(session, "promotion_created" if is_new else "promotion_updated", row,
                 before={k: str(v) for k, v in before.items()} or None, after={k: str(v) for k, v in after.items()})
    return row


def publish(session: Session, row: Promotion, timezone: str, now_utc: datetime | None = None) -> Promotion:
    """Publish a draft (it becomes scheduled or active); raises ``PromotionInvalid`` otherwise."""
    now = now_utc or utcnow()
    try:
        rules.publish(to_domain(row, timezone), now)
    except rules.PromotionError as exc:
        raise PromotionInvalid(exc.args[0], exc.field) from exc
    row.published, row.published_at = True, now
    session.flush()
    audit.record(session, "promotion_published", row, after={"status": str(status(row, timezone, now))})
    return row


def withdraw(session: Session, row: Promotion, timezone: str, now_utc: datetime | None = None) -> Promotion:
    """Withdraw a promotion for good; raises ``PromotionInvalid`` when it already expired or was withdrawn."""
    now = now_utc or utcnow()
    before = status(row, timezone, now)
    try:
        rules.withdraw(to_domain(row, timezone), now)
    except rules.PromotionError as exc:
        raise PromotionInvalid(exc.args[0], exc.field) from exc
    row.withdrawn, row.withdrawn_at = True, now
    session.flush()
    audit.record(session, "promotion_withdrawn", row, before={"status": str(before)}, after={"status": "withdrawn"})
    return row


def live_promotions(session: Session, brand: Brand, now_utc: datetime | None = None) -> list[Promotion]:
    """Return the brand's promotions that are ACTIVE now, highest priority first."""
    now = now_utc or utcnow()
    rows = session.scalars(
        select(Promotion).where(Promotion.published.is_(True), Promotion.withdrawn.is_(False))
        .order_by(Promotion.priority.desc(), Promotion.id)
    ).all()
    return [r for r in rows if status(r, brand.timezone, now) is rules.PromotionStatus.ACTIVE]


# --- banners -----------------------------------------------------------------------------------------


def _local_to_utc(value: datetime, timezone: str) -> datetime:
    # Same reading as domain.promotions: a naive local time, fold=0 (first occurrence / pre-gap offset).
    return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


def banner_is_live(banner: PromotionBanner, timezone: str, now_utc: datetime) -> bool:
    """Return True when ``banner`` is shown at ``now_utc``: active, started (inclusive) and not ended (exclusive)."""
    if not banner.active:
        return False
    if banner.starts_at is not None and now_utc < _local_to_utc(banner.starts_at, timezone):
        return False
    return banner.ends_at is None or now_utc < _local_to_utc(banner.ends_at, timezone)


def active_banners(session: Session, dealer: Dealer, now_utc: datetime | None = None) -> list[PromotionBanner]:
    """Return the banners ``dealer`` shows on its dashboard now, by ``sort_order``.

    A banner is shown when it is active, its schedule (brand time zone) covers ``now_utc`` and it
    targets every dealer or this one. Runs in the dealer's scope (brand rows of its own brand only).
    """
    now = now_utc or utcnow()
    rows = session.scalars(
        select(PromotionBanner).where(PromotionBanner.active.is_(True), PromotionBanner.brand_id == dealer.brand_id)
        .order_by(PromotionBanner.sort_order, PromotionBanner.id)
    ).all()
    timezone = dealer.brand.timezone
    return [b for b in rows if banner_is_live(b, timezone, now)
            and (b.all_dealers or any(d.id == dealer.id for d in b.dealers))]


def check_banner(row: PromotionBanner, values: dict[str, Any], dealers: list[Dealer]) -> None:
    """Raise ``PromotionInvalid`` without a headline, without an image, or with an empty dealer list."""
    if not values.get("headline_i18n"):
        raise PromotionInvalid("Give a headline in at least one language.", "headline_en")
    if not (values.get("image_key") or row.image_key):
        raise PromotionInvalid("Upload an image.", "image")
    if not values.get("all_dealers") and not dealers:
        raise PromotionInvalid("Choose the dealers, or show it to every dealer.", "dealer_ids")


def save_banner(session: Session, row: PromotionBanner, values: dict[str, Any], *, dealers: list[Dealer]) -> PromotionBanner:
    """Create or edit a banner after ``check_banner``; audit-logged."""
    check_banner(row, values, dealers)
    is_new = row.id is None
    before, after = ({}, dict(values)) if is_new else audit.changes(row, list(values), values)
    for key, value in values.items():
        setattr(row, key, value)
    row.dealers = [] if values.get("all_dealers") else list(dealers)
    if is_new:
        session.add(row)
    session.flush()
    audit.record(session, "banner_created" if is_new else "banner_updated", row,
                 before={k: str(v) for k, v in before.items()} or None, after={k: str(v) for k, v in after.items()})
    return row


def set_banner_active(session: Session, row: PromotionBanner, active: bool) -> PromotionBanner:
    """Show or hide a banner; audit-logged."""
    if row.active != active:
        audit.record(session, "banner_shown" if active else "banner_hidden", row,
                     before={"active": row.active}, after={"active": active})
        row.active = active
        session.flush()
    return row


# --- what the offer builder prices with -------------------------------------------------------------


@functools.cache
def _pricing_statement():
    return (
        select(Promotion)
        .options(joinedload(Promotion.dealers), joinedload(Promotion.coupons))
        .where(Promotion.published.is_(True), Promotion.withdrawn.is_(False))
        .order_by(Promotion.priority.desc(), Promotion.id)
    )


def promotions_for_pricing(
    session: Session, brand: Brand, now_utc: datetime, coupon_codes: tuple[str, ...] = (), locale: str | None = None
) -> tuple[tuple[rules.Promotion, ...], dict[int, tuple[int, int]]]:
    """Return the brand's promotions to hand the pricing engine, and the APR-subvention terms by promotion id.

    Candidates: every published, not withdrawn promotion that is ACTIVE at ``now_utc`` (brand time
    zone), plus any published one carrying an entered coupon code whatever its status — so the engine
    can say *why* that coupon does not apply (expired, used up…). One query: dealers and coupons
    are joined in. APR terms default to 1–120 months when a bound is not set. Rows that no longer
    pass the domain checks are left out (they cannot be priced). ``locale``: the promotions carry their
    name in that language (the marketer's translation, else the canonical name), as offers print it.
    """
    entered = {code.strip().upper() for code in coupon_codes if code.strip()}
    rows = session.scalars(_pricing_statement()).unique().all()
    result: list[rules.Promotion] = []
    terms: dict[int, tuple[int, int]] = {}
    for row in rows:
        try:
            promo = to_domain(row, brand.timezone, overrides={"name": row.label(locale)} if locale else None)
        except PromotionInvalid:
            continue
        has_entered = any(c.code.upper() in entered for c in row.coupons)
        if not has_entered and rules.lifecycle_status(promo, now_utc) is not rules.PromotionStatus.ACTIVE:
            continue
        result.append(promo)
        if promo.kind is rules.PromotionKind.APR_SUBVENTION:
            terms[row.id] = (row.apr_term_min or 1, row.apr_term_max or 120)
    return tuple(result), terms


def coupon_brand_id(session: Session, code: str) -> int | None:
    """Return the brand id owning coupon ``code`` (any brand), or None when no brand has it.

    Deliberately cross-tenant (``all_tenants``): the builder tells a consultant that a code belongs
    to ANOTHER brand instead of calling it unknown; only the owning brand's id is read, nothing else.
    """
    return session.scalar(
        select(Coupon.brand_id).where(Coupon.code == code.strip().upper()).execution_options(all_tenants=True).limit(1)
    )
