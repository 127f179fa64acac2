"""Price-list import: plan the changes a checked price list makes to the catalog draft, then apply them.

``plan_price_list`` resolves the rows of ``imports.price_list.parse_price_list`` against the
brand's draft (trim, model, option and accessory codes), adds row-level errors for unknown codes
and missing names, and sorts every row into new / changed (field: old → new) / unchanged.
``apply_price_list`` writes a plan without errors through ``services.catalog.save`` (each row
audit-logged) plus one ``price_list_imported`` audit event; it only flushes, so the view's single
commit (or rollback) makes the whole file all-or-nothing. Publishing stays a separate step.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import option_rules as rules
from app.imports.price_list import PriceRow, RowError
from app.models.catalog import Accessory, Option, Trim, VehicleModel
from app.services import audit
from app.services import catalog as catalog_service

ACTIONS = ("new", "changed", "unchanged")


@dataclass(frozen=True, slots=True)
class Change:
    """One field a row changes; ``old`` is None for a new row."""

    field: str
    old: Any
    new: Any


@dataclass(slots=True)
class PlannedRow:
    """What one price-list row will do: ``action`` in ``ACTIONS`` and its field changes."""

    row: PriceRow
    action: str
    changes: list[Change] = field(default_factory=list)
    current_name: str = ""

    @property
    def price_change(self) -> Change | None:
        """Return the price (MSRP) change, if any."""
        return next((c for c in self.changes if c.field == "price"), None)


@dataclass(slots=True)
class PriceListPlan:
    """The planned rows and every row-level error; ``ok`` when there is something to apply and no error."""

    rows: list[PlannedRow]
    errors: list[RowError]

    def count(self, action: str) -> int:
        """Return how many rows have ``action``."""
        return sum(1 for r in self.rows if r.action == action)

    @property
    def ok(self) -> bool:
        """True when the file has no error (an all-unchanged file is valid but changes nothing)."""
        return not self.errors and bool(self.rows)

    def digest(self) -> str:
        """Return a short hash of the planned changes (to notice a draft edited between preview and confirm)."""
        data = [(r.row.kind, r.row.code, r.action, [(c.field, str(c.old), str(c.new)) for c in r.changes])
                for r in self.rows]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:32]


def _by_code(rows, attr: str = "code") -> dict[str, Any]:
    """Map codes to rows, exact spelling first, then case-insensitively."""
    result: dict[str, Any] = {}
    for row in rows:
        result.setdefault(getattr(row, attr).casefold(), row)
    return result


def _codes(objs) -> list[str]:
    return sorted(o.code for o in objs)


def plan_price_list(session: Session, rows: list[PriceRow], errors: list[RowError],
                    columns: dict[str, str] | None = None) -> PriceListPlan:
    """Resolve ``rows`` against the brand's draft catalog and return the plan (nothing is changed).

    ``errors`` (from parsing) are kept; unknown model/trim codes, a code used by the other option
    kind, and new rows without a name or model add ``RowError`` s. ``columns`` maps ``model`` /
    ``trims`` / ``name`` / ``type`` to the file's header names for the messages.
    """
    columns = columns or {}
    col = {k: columns.get(k, k) for k in ("type", "name", "model", "trims")}
    models = _by_code(session.scalars(select(VehicleModel)).all())
    trims = _by_code(session.scalars(select(Trim)).all())
    options = _by_code(session.scalars(select(Option)).all())
    accessories = _by_code(session.scalars(select(Accessory)).all(), "part_number")
    errors = list(errors)
    planned: list[PlannedRow] = []

    def error(row: PriceRow, column: str, value: str, message: str) -> None:
        errors.append(RowError(row.number, column, value, message))

    def unknown(row: PriceRow, column: str, codes: tuple[str, ...], known: dict, message: str) -> list:
        missing = [c for c in codes if c.casefold() not in known]
        if missing:
            error(row, column, ", ".join(missing), message % {"codes": ", ".join(missing)})
        return [known[c.casefold()] for c in codes if c.casefold() in known]

    # Options may fit trims that this same file creates.
    trim_codes = {key: t.code for key, t in trims.items()}
    for row in rows:
        if row.kind == "trim":
            trim_codes.setdefault(row.code.casefold(), row.code)

    for row in rows:
        before = len(errors)
        if row.kind == "trim":
            obj = trims.get(row.code.casefold())
            model = None
            if row.model:
                found = unknown(row, col["model"], (row.model,), models,
                                _("No model with the code %(codes)s in your catalog."))
                model = found[0] if found else None
            elif obj is None:
                error(row, col["model"], "", _("A new trim needs the code of its model."))
            current = {"price": obj.msrp, "name": obj.name, "model": obj.model.code} if obj else {}
            proposed = {"price": row.price, "name": row.name, "model": model.code if model else None}
        elif row.kind in ("option", "package"):
            obj = options.get(row.code.casefold())
            if obj is not None and obj.kind != ("single" if row.kind == "option" else "package"):
                error(row, col["type"], row.kind, _("%(code)s is a %(kind)s in your catalog.", code=obj.code,
                                                    kind=_("package") if obj.kind == "package" else _("option")))
            fits = unknown(row, col["trims"], row.trims, trim_codes,
                           _("No trim with the code %(codes)s in your catalog."))
            current = {"price": obj.price, "name": obj.name, "trims": _codes(obj.trims)} if obj else {}
            proposed = {"price": row.price, "name": row.name, "trims": sorted(fits) if row.trims else None}
        else:
            obj = accessories.get(row.code.casefold())
            fits = unknown(row, col["model"], row.models, models,
                           _("No model with the code %(codes)s in your catalog."))
            current = ({"price": obj.price, "labour": obj.labour, "name": obj.name, "models": _codes(obj.models)}
                       if obj else {})
            proposed = {"price": row.price, "labour": row.labour, "name": row.name,
                        "models": _codes(fits) if row.models else None}
        if obj is None and not row.name:
            error(row, col["name"], "", _("A new row needs a name."))
        if len(errors) > before:
            continue
        if obj is None:
            changes = [Change(k, None, v) for k, v in proposed.items() if v not in (None, [])]
            planned.append(PlannedRow(row, "new", changes))
            continue
        changes = [Change(k, current[k], v) for k, v in proposed.items() if v is not None and v != current[k]]
        planned.append(PlannedRow(row, "changed" if changes else "unchanged", changes, current_name=obj.name))
    planned.sort(key=lambda p: (ACTIONS.index(p.action), p.row.number))
    return PriceListPlan(planned, sorted(errors, key=lambda e: (e.row, e.column)))


def apply_price_list(session: Session, plan: PriceListPlan, *, filename: str) -> dict[str, int]:
    """Write ``plan`` (which must be ``ok``) to the draft; return ``{"new": n, "changed": n, "unchanged": n}``.

    Raises ``CatalogError`` when the plan has errors, or when the option rules would become
    inconsistent (nothing is flushed in that case: the check runs on the proposed rule set first).
    Flushes only; the caller commits once.
    """
    if not plan.ok:
        raise catalog_service.CatalogError([_("The price list has errors; nothing was saved.")])
    models = _by_code(session.scalars(select(VehicleModel)).all())
    trims = _by_code(session.scalars(select(Trim)).all())
    options = _by_code(session.scalars(select(Option)).all())
    accessories = _by_code(session.scalars(select(Accessory)).all(), "part_number")
    _check_rules(session, plan, options)
    order = {"trim": 0, "option": 1, "package": 1, "accessory": 2}  # trims first: new options may fit new trims
    for planned in sorted(plan.rows, key=lambda p: (order[p.row.kind], p.row.number)):
        if planned.action == "unchanged":
            continue
        row = planned.row
        if row.kind == "trim":
            obj = trims.get(row.code.casefold()) or Trim(code=row.code, msrp=row.price)
            values: dict[str, Any] = {"msrp": row.price}
            if row.name:
                values["name"] = row.name
            if row.model:
                values["model_id"] = models[row.model.casefold()].id
            catalog_service.save(session, obj, values)
            trims[obj.code.casefold()] = obj
        elif row.kind in ("option", "package"):
            obj = options.get(row.code.casefold()) or Option(code=row.code, kind="single" if row.kind == "option"
                                                             else "package", price=row.price)
            values = {"price": row.price, **({"name": row.name} if row.name else {})}
            relations = {"trims": [trims[c.casefold()] for c in row.trims]} if row.trims else None
            catalog_service.save(session, obj, values, relations)
        else:
            obj = accessories.get(row.code.casefold()) or Accessory(part_number=row.code, price=row.price)
            values = {"price": row.price, **({"name": row.name} if row.name else {})}
            if row.labour is not None:
                values["labour"] = row.labour
            relations = {"models": [models[c.casefold()] for c in row.models]} if row.models else None
            catalog_service.save(session, obj, values, relations)
    counts = {action: plan.count(action) for action in ACTIONS}
    audit.record(session, "price_list_imported", object_type="PriceList", object_id=plan.digest()[:12],
                 after={"file": filename, **counts})
    session.flush()
    return counts


def _check_rules(session: Session, plan: PriceListPlan, options: dict) -> None:
    """Raise ``CatalogError`` when the option rules with the planned option changes would be inconsistent."""
    touched = {p.row.code.casefold(): p.row for p in plan.rows
               if p.row.kind in ("option", "package") and p.action != "unchanged"}
    if not touched:
        return
    domain = []
    for key, option in options.items():
        if not option.active:
            continue
        current = catalog_service._domain_option(option)
        row = touched.pop(key, None)
        if row is not None:
            current = rules.Option(current.code, current.name, row.price, current.kind,
                                   frozenset(row.trims) if row.trims
                                   else current.trims, current.contents, current.requires, current.excludes)
        domain.append(current)
    for row in touched.values():
        domain.append(rules.Option(row.code, row.name or row.code, row.price,
                                   rules.OptionKind.PACKAGE if row.kind == "package" else rules.OptionKind.SINGLE,
                                   frozenset(row.trims) or None))
    problems = [p.message for p in rules.check_rule_set(domain)]
    if problems:
        raise catalog_service.CatalogError(problems)
