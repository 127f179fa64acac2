"""Catalog writes: save catalog rows, the trim×color matrix, option rules (checked first), publish.

Every function takes the session and plain values, changes rows of the current brand scope,
audit-logs the change and only flushes; the view commits. Option rules are checked with
``domain.option_rules.check_rule_set`` against the WHOLE proposed rule set before anything is
changed, so a rejected save leaves the catalog untouched.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain import option_rules as rules
from app.models.base import utcnow
from app.models.catalog import (
    Accessory,
    CatalogRelease,
    Category,
    Color,
    ColorPairExclusion,
    ExpertReview,
    Option,
    Trim,
    TrimColor,
    VehicleModel,
    Video,
    Warranty,
    localized,
)
from app.services import audit


class CatalogError(ValueError):
    """A catalog change that cannot be saved; ``messages`` are user-facing (English, from the rules engine)."""

    def __init__(self, messages: list[str], field: str | None = None) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.field = field


def _summary(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (sorted(v) if isinstance(v, set) else v) for k, v in values.items() if not isinstance(v, list)}


def save(session: Session, obj: Any, values: dict[str, Any], relations: dict[str, list] | None = None) -> Any:
    """Create (``obj.id`` None) or update a catalog row with ``values``; ``relations`` replace list relationships.

    Returns the row (flushed). Audit: ``catalog_created`` / ``catalog_updated`` with the changed fields.
    """
    is_new = obj.id is None
    before, after = audit.changes(obj, list(values), values) if not is_new else ({}, dict(values))
    for key, value in values.items():
        setattr(obj, key, value)
    for key, items in (relations or {}).items():
        old = sorted(getattr(o, "id", 0) for o in getattr(obj, key))
        setattr(obj, key, list(items))
        new = sorted(o.id for o in items)
        if old != new:
            before[key], after[key] = str(old), str(new)
    if is_new:
        session.add(obj)
    session.flush()
    if is_new or before or after:
        audit.record(session, "catalog_created" if is_new else "catalog_updated", obj, before=_summary(before) or None,
                     after=_summary(after) or None)
    return obj


def set_active(session: Session, obj: Any, active: bool) -> Any:
    """Show (``active``) or hide a catalog row from the next release; audit-logged."""
    if obj.active != active:
        audit.record(session, "catalog_activated" if active else "catalog_deactivated", obj,
                     before={"active": obj.active}, after={"active": active})
        obj.active = active
        session.flush()
    return obj


# --- option rules -----------------------------------------------------------------------------------


def _domain_option(option: Option) -> rules.Option:
    return rules.Option(
        code=option.code,
        name=option.name,
        price=option.price,
        kind=rules.OptionKind(option.kind),
        trims=frozenset(t.code for t in option.trims) or None,
        contents=frozenset(o.code for o in option.contents),
        requires=frozenset(o.code for o in option.requires),
        excludes=frozenset(o.code for o in option.excludes),
    )


def check_option_rules(session: Session, proposed: rules.Option, replacing_id: int | None) -> list[str]:
    """Return the rule problems the brand's options would have with ``proposed`` saved (empty = consistent).

    ``replacing_id`` is the id of the option being edited (its stored version is left out).
    """
    others = session.scalars(select(Option).where(Option.active.is_(True))).all()
    domain = [_domain_option(o) for o in others if o.id != replacing_id]
    domain.append(proposed)
    return [problem.message for problem in rules.check_rule_set(domain)]


def save_option(
    session: Session,
    option: Option,
    values: dict[str, Any],
    *,
    trims: list[Trim],
    requires: list[Option],
    excludes: list[Option],
    contents: list[Option],
) -> Option:
    """Save an option or package after checking the whole rule set; raises ``CatalogError`` (nothing changed).

    ``values`` holds code, name, kind, price, name_i18n, description_i18n. A single option
    cannot have contents; an option cannot require, exclude or contain itself.
    """
    if values["kind"] == "single" and contents:
        raise CatalogError([f"{values['name']} is a single option and cannot include other options"], "contents")
    try:
        proposed = rules.Option(
            code=values["code"],
            name=values["name"],
            price=values["price"],
            kind=rules.OptionKind(values["kind"]),
            trims=frozenset(t.code for t in trims) or None,
            contents=frozenset(o.code for o in contents),
            requires=frozenset(o.code for o in requires),
            excludes=frozenset(o.code for o in excludes),
        )
    except (rules.OptionRuleError, TypeError) as exc:
        raise CatalogError([str(exc)]) from exc
    problems = check_option_rules(session, proposed, option.id)
    if problems:
        raise CatalogError(problems)
    return save(session, option, values, {"trims": trims, "requires": requires, "excludes": excludes, "contents": contents})


# --- trim × color matrix -----------------------------------------------------------------------------


def set_trim_colors(session: Session, trim: Trim, offers: dict[int, Decimal | None]) -> Trim:
    """Make the trim offer exactly the colors in ``offers`` (color id → surcharge, None = color default).

    Raises ``CatalogError`` for a negative surcharge or a color id not of this brand.
    """
    colors = {c.id: c for c in session.scalars(select(Color).where(Color.id.in_(list(offers)))).all()}
    missing = set(offers) - set(colors)
    if missing:
        raise CatalogError([f"Unknown colors: {sorted(missing)}"])
    for color_id, surcharge in offers.items():
        if surcharge is not None and surcharge < 0:
            raise CatalogError([f"The surcharge of {colors[color_id].name} must not be negative"])
    before = {tc.color.code: str(tc.surcharge) for tc in trim.colors}
    current = {tc.color_id: tc for tc in trim.colors}
    for color_id, cell in list(current.items()):
        if color_id not in offers:
            trim.colors.remove(cell)
    for color_id, surcharge in offers.items():
        if color_id in current:
            current[color_id].surcharge = surcharge
        else:
            trim.colors.append(TrimColor(color_id=color_id, surcharge=surcharge, brand_id=trim.brand_id))
    session.flush()
    session.expire(trim, ["colors"])
    after = {tc.color.code: str(tc.surcharge) for tc in trim.colors}
    if before != after:
        audit.record(session, "trim_colors_updated", trim, before=before, after=after)
    return trim


def add_color_exclusion(session: Session, exterior: Color, interior: Color, trim: Trim | None) -> ColorPairExclusion:
    """Forbid ``exterior`` with ``interior`` (on ``trim``, or every trim); raises ``CatalogError`` for wrong kinds or a duplicate."""
    if exterior.kind != "exterior" or interior.kind != "interior":
        raise CatalogError(["Choose an exterior color and an interior color."])
    exists = session.scalar(
        select(ColorPairExclusion).where(
            ColorPairExclusion.exterior_color_id == exterior.id,
            ColorPairExclusion.interior_color_id == interior.id,
            ColorPairExclusion.trim_id == trim.id if trim else ColorPairExclusion.trim_id.is_(None),
        )
    )
    if exists is not None:
        raise CatalogError([f"{exterior.name} with {interior.name} is already excluded."])
    row = ColorPairExclusion(exterior=exterior, interior=interior, trim=trim)
    session.add(row)
    session.flush()
    audit.record(session, "color_exclusion_added", row,
                 after={"exterior": exterior.code, "interior": interior.code, "trim": trim.code if trim else "*"})
    return row


def remove_color_exclusion(session: Session, row: ColorPairExclusion) -> None:
    """Delete an excluded color pair; audit-logged."""
    audit.record(session, "color_exclusion_removed", row,
                 before={"exterior": row.exterior.code, "interior": row.interior.code})
    session.delete(row)
    session.flush()


def option_catalog(session: Session, locale: str | None = None) -> rules.OptionCatalog:
    """Return the brand's DRAFT catalog as the rules engine's ``OptionCatalog`` (active rows only).

    ``locale``: names (and so the check's conflict messages) in that language; None = canonical names.
    """
    trims = session.scalars(select(Trim).where(Trim.active.is_(True)).order_by(Trim.code)).all()
    options = session.scalars(select(Option).where(Option.active.is_(True)).order_by(Option.code)).all()
    exclusions = session.scalars(select(ColorPairExclusion)).all()
    return _build_option_catalog(
        [_trim_dict(t) for t in trims], [_option_dict(o) for o in options], [_exclusion_dict(e) for e in exclusions],
        locale,
    )


def _build_option_catalog(
    trims: list[dict], options: list[dict], exclusions: list[dict], locale: str | None = None
) -> rules.OptionCatalog:
    """Build the rules engine's catalog; names are in ``locale`` (the marketer's translation) when given."""
    def name(row: dict) -> str:
        return localized(row.get("name_i18n"), locale, row["name"]) if locale else row["name"]

    def offers(cells: list[dict], kind: rules.ColorKind) -> tuple[rules.ColorOffer, ...]:
        return tuple(
            rules.ColorOffer(rules.Color(c["code"], name(c), kind), Decimal(c["surcharge"])) for c in cells
        )

    return rules.OptionCatalog(
        trims=tuple(
            rules.Trim(t["code"], name(t), offers(t["exterior_colors"], rules.ColorKind.EXTERIOR),
                       offers(t["interior_colors"], rules.ColorKind.INTERIOR))
            for t in trims
        ),
        options=tuple(
            rules.Option(o["code"], name(o), Decimal(o["price"]), rules.OptionKind(o["kind"]),
                         frozenset(o["trims"]) or None, frozenset(o["contents"]), frozenset(o["requires"]),
                         frozenset(o["excludes"]))
            for o in options
        ),
        color_exclusions=tuple(
            rules.ColorPairExclusion(e["exterior"], e["interior"], frozenset([e["trim"]]) if e["trim"] else None)
            for e in exclusions
        ),
    )


def catalog_from_snapshot(snapshot: dict, locale: str | None = None) -> rules.OptionCatalog:
    """Return the rules engine's ``OptionCatalog`` for a published release ``snapshot``, names in ``locale``.

    ``locale`` None keeps the canonical (English) names; otherwise each trim, colour and option carries
    its translation (``models.catalog.localized``), so conflicts and offer lines read in that language.
    """
    trims = [t for m in snapshot["models"] for t in m["trims"]]
    return _build_option_catalog(trims, snapshot["options"], snapshot["color_exclusions"], locale)


# --- publishing ----------------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _trim_dict(t: Trim) -> dict:
    cells = sorted((c for c in t.colors if c.color.active), key=lambda c: c.color.code)
    def cell(c: TrimColor) -> dict:
        return {"code": c.color.code, "name": c.color.name, "name_i18n": c.color.name_i18n,
                "swatch_hex": c.color.swatch_hex, "paint_type": c.color.paint_type,
                "surcharge": _money(c.effective_surcharge)}
    return {
        "code": t.code, "name": t.name, "name_i18n": t.name_i18n, "msrp": _money(t.msrp),
        "dealer_price_min": _money(t.dealer_price_min), "dealer_price_max": _money(t.dealer_price_max),
        "powertrain": t.powertrain,
        "drivetrain": t.drivetrain, "transmission": t.transmission, "fuel_type": t.fuel_type, "key_specs": t.key_specs,
        "exterior_colors": [cell(c) for c in cells if c.color.kind == "exterior"],
        "interior_colors": [cell(c) for c in cells if c.color.kind == "interior"],
        "features": [{"group": f.group, "name": f.name, "name_i18n": f.name_i18n} for f in t.features if f.active],
    }


def _option_dict(o: Option) -> dict:
    return {
        "code": o.code, "name": o.name, "name_i18n": o.name_i18n, "description_i18n": o.description_i18n,
        "kind": o.kind, "price": _money(o.price), "trims": [t.code for t in o.trims],
        "requires": [x.code for x in o.requires], "excludes": [x.code for x in o.excludes],
        "contents": [x.code for x in o.contents],
    }


def _exclusion_dict(e: ColorPairExclusion) -> dict:
    return {"exterior": e.exterior.code, "interior": e.interior.code, "trim": e.trim.code if e.trim else None}


def _model_codes(rows) -> list[str]:
    return [m.code for m in rows if m.active]


def build_snapshot(session: Session) -> dict:
    """Return the brand's active draft catalog as the JSON a release stores.

    Shape: ``{"categories": [...], "models": [{code, name, ..., "trims": [{code, msrp, exterior_colors,
    interior_colors, features, ...}]}], "options": [...], "color_exclusions": [...], "accessories": [...],
    "warranties": [...], "videos": [...], "reviews": [...]}``; money as decimal strings.
    """
    categories = session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.sort_order)).all()
    models = session.scalars(
        select(VehicleModel).where(VehicleModel.active.is_(True)).order_by(VehicleModel.sort_order, VehicleModel.code)
    ).all()
    options = session.scalars(select(Option).where(Option.active.is_(True)).order_by(Option.code)).all()
    return {
        "categories": [{"code": c.code, "name": c.name, "name_i18n": c.name_i18n} for c in categories],
        "models": [
            {
                "code": m.code, "name": m.name, "name_i18n": m.name_i18n, "category": m.category.code,
                "model_year": m.model_year, "body_style": m.body_style, "hero_image_key": m.hero_image_key,
                "description_i18n": m.description_i18n,
                "trims": [_trim_dict(t) for t in m.trims if t.active],
            }
            for m in models
            if m.category.active
        ],
        "options": [_option_dict(o) for o in options],
        "color_exclusions": [_exclusion_dict(e) for e in session.scalars(select(ColorPairExclusion)).all()],
        "accessories": [
            {"part_number": a.part_number, "name": a.name, "name_i18n": a.name_i18n, "price": _money(a.price),
             "labour": _money(a.labour), "models": _model_codes(a.models)}
            for a in session.scalars(select(Accessory).where(Accessory.active.is_(True)).order_by(Accessory.part_number))
        ],
        "warranties": [
            {"name": w.name, "name_i18n": w.name_i18n, "years": w.years, "distance_km": w.distance_km,
             "terms_i18n": w.terms_i18n, "models": _model_codes(w.models)}
            for w in session.scalars(select(Warranty).where(Warranty.active.is_(True)).order_by(Warranty.id))
        ],
        "videos": [
            {"title": v.name, "title_i18n": v.name_i18n, "url": v.url, "models": _model_codes(v.models)}
            for v in session.scalars(select(Video).where(Video.active.is_(True)).order_by(Video.id))
        ],
        "reviews": [
            {"source": r.source, "reviewer": r.reviewer, "rating": _money(r.rating), "quote": r.quote,
             "quote_i18n": r.quote_i18n, "url": r.url, "models": _model_codes(r.models)}
            for r in session.scalars(select(ExpertReview).where(ExpertReview.active.is_(True)).order_by(ExpertReview.id))
        ],
    }


def publish_catalog(session: Session, *, user_id: int | None) -> CatalogRelease:
    """Freeze the brand's active draft catalog into a new ``CatalogRelease`` (next version number).

    Raises ``CatalogError`` with the rule problems when the option rules are inconsistent, or when
    the catalog has no model with a trim (nothing to publish).
    """
    problems = [p.message for p in rules.check_rule_set(
        _domain_option(o) for o in session.scalars(select(Option).where(Option.active.is_(True))))]
    if problems:
        raise CatalogError(problems)
    snapshot = build_snapshot(session)
    trim_count = sum(len(m["trims"]) for m in snapshot["models"])
    if trim_count == 0:
        raise CatalogError(["Add at least one model with a trim before publishing."])
    version = (session.scalar(select(func.max(CatalogRelease.version))) or 0) + 1
    release = CatalogRelease(
        version=version, published_at=utcnow(), published_by_id=user_id, snapshot=snapshot,
        model_count=len(snapshot["models"]), trim_count=trim_count,
    )
    session.add(release)
    session.flush()
    audit.record(session, "catalog_published", release, after={"version": version, "models": release.model_count,
                                                                 "trims": trim_count})
    return release


def published_catalog(session: Session) -> CatalogRelease | None:
    """Return the latest release of the brand in scope (what dealers and offers see), or None."""
    return session.scalar(select(CatalogRelease).order_by(CatalogRelease.version.desc()).limit(1))


def has_unpublished_changes(session: Session, release: CatalogRelease | None) -> bool:
    """Return True when any draft row changed after ``release`` was published (or nothing is published)."""
    # Comparing snapshots (not updated_at stamps) also catches matrix and exclusion changes.
    return release is None or build_snapshot(session) != release.snapshot
