"""Import stock vehicles from a dealer file (CSV/XLSX/XML + photo ZIP) or API items.

Pipeline: read (``app.imports.readers``) → map columns (``app.imports.mapping``) → validate every
row (VIN through ``app.domain.vin``, values through ``app.imports.values``) → reconcile with the
dealer's stock (one query) → report → optionally apply (flush only; the caller commits once, so
the import is atomic).

Rules (documented for dealers in the import page and tested on the real Kijiji export):

* Identity: a vehicle is identified by its VIN, else by its stock number (upper-cased). A VIN
  cell that looks like a stock number (``"1CPC3900"``) on a row without a stock number is used
  as the stock number, with a warning. A row with neither a valid VIN nor a stock number is
  **rejected**: a used car without a VIN cannot be told apart from the next one, and keying it by
  its content would create a new phantom vehicle every time its price changes.
* A row whose VIN is present but invalid (length, alphabet, a check digit that the region or
  market requires) is rejected; VIN warnings (make or year disagreeing with the VIN; a check
  digit on a vehicle built outside North America/China for a dealer outside the US and Canada)
  keep the row. A US or Canadian dealer's VINs all need a valid check digit, whatever the maker
  (49 CFR 565.15 / CMVSS 115 bind every vehicle sold there).
* Make, model and model year are required; an unreadable price, odometer, year or condition
  rejects the row. A price of 0 or none is a warning and the vehicle is stored unpriced (kept off
  the online display). Missing condition → ``used`` with a warning. Over-long text is cut with a
  warning. Text that a spreadsheet would run as a formula is kept as text (warning); every CSV
  export neutralises it again (``csv_safe``).
* Duplicates in one file: later rows of the same vehicle (same VIN, or same stock number) are
  **merged** into the first: the later row's values win (a warning names the row when they
  differ). Counted as ``duplicates``.
* Arrival (an ``arrival date`` / "in stock since" / ``Eingangsdatum`` / ``입고일`` column): the day the
  car came into stock, from which days in stock count; a date cell, ISO text, ``03.11.2026``, or an XLSX
  date serial number (read with the workbook's 1900 or 1904 date system). A future or unreadable date
  rejects the row; without the column (or with an empty cell) a new vehicle arrives on the import day.
* Acquisition cost (a ``cost`` / "acquisition cost" / "purchase price" column, internal): written
  when the cell holds an amount in the dealer's currency. An empty cell, or 0, leaves the stored
  cost as it is (a DMS export without the figure must not erase a cost typed on the vehicle page);
  0 also warns. A cost above the list price is kept with a warning.
* Against the stock: ``created`` (new key), ``updated`` (some mapped field differs), ``unchanged``.
  Only fields the file maps are compared and written; status and photos are never touched by a
  file. Importing the same file twice therefore changes nothing.
* Every data row lands in exactly one bucket:
  ``created + updated + unchanged + duplicates + rejected == total_rows``.
* Modes: ``valid_rows`` saves the accepted vehicles; ``all_or_nothing`` saves nothing when any row
  is rejected.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.vin import check_vin
from app.imports.mapping import CanonicalField, ColumnMapping, suggest_mapping
from app.imports.photos import PhotoArchive, read_photo_zip
from app.imports.readers import ImportFileError, ImportTable, read_table
from app.imports.values import (
    DistanceUnit,
    ValueParseError,
    VehicleCondition,
    clean_text,
    file_decimal_separator,
    looks_like_formula,
    parse_arrival_date,
    parse_condition,
    parse_model_year,
    parse_odometer,
    parse_price,
)
from app.models.accounts import Dealer
from app.models.base import utcnow
from app.models.inventory import ImportColumnMapping, ImportMode, StockVehicle, VehiclePhoto, VehicleStatus
from app.services import audit
from app.services.images import ImageRejected, process_image

ERROR, WARNING = "error", "warning"

#: Text fields: canonical field → (model attribute, maximum length or None for long text).
TEXT_FIELDS: dict[CanonicalField, tuple[str, int | None]] = {
    CanonicalField.MAKE: ("make", 60),
    CanonicalField.MODEL: ("model", 80),
    CanonicalField.TRIM: ("trim", 200),
    CanonicalField.BODY_TYPE: ("body_style", 60),
    CanonicalField.DRIVETRAIN: ("drivetrain", 60),
    CanonicalField.TRANSMISSION: ("transmission", 60),
    CanonicalField.FUEL_TYPE: ("fuel_type", 40),
    CanonicalField.ENGINE: ("engine", 80),
    CanonicalField.EXTERIOR_COLOR: ("exterior_color", 60),
    CanonicalField.INTERIOR_COLOR: ("interior_color", 60),
    CanonicalField.DESCRIPTION: ("description", 20_000),
    CanonicalField.IMAGE_URL: ("image_url", 500),
    CanonicalField.HISTORY_REPORT_URL: ("history_report_url", 500),
    CanonicalField.DEALER_ADDRESS: ("location", 200),
}
#: Amount fields, read in the file's number dialect (``validate_table``).
MONEY_FIELDS: tuple[CanonicalField, ...] = (CanonicalField.PRICE, CanonicalField.MSRP, CanonicalField.COST)
#: Fields an import can fill (``DOORS`` is recognised by the mapper but not stored).
IMPORTABLE_FIELDS: tuple[CanonicalField, ...] = (
    CanonicalField.VIN,
    CanonicalField.STOCK_NUMBER,
    CanonicalField.CONDITION,
    CanonicalField.MODEL_YEAR,
    CanonicalField.PRICE,
    CanonicalField.MSRP,
    CanonicalField.COST,
    CanonicalField.ODOMETER,
    CanonicalField.ARRIVAL_DATE,
    *TEXT_FIELDS,
)
STOCK_NUMBER_MAX = 40
#: Largest amount a ``Numeric(14, 2)`` money column holds; largest odometer reading accepted.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_ODOMETER = 9_999_999


def _reason(exc: Exception) -> str:
    """Return the reason shown for a refused cell: the parse error's text, never a ``decimal`` error's repr."""
    if isinstance(exc, ArithmeticError):  # str(InvalidOperation()) is "[<class 'decimal.InvalidOperation'>]"
        return "The number is too large or not a number."
    return str(exc)


def check_amount(amount: Decimal | None) -> Decimal | None:
    """Return ``amount`` unchanged; raise ``ValueParseError`` when it exceeds ``MAX_AMOUNT``."""
    if amount is not None and amount > MAX_AMOUNT:
        raise ValueParseError(f"Amount {amount} is too large.")
    return amount


@dataclass(frozen=True, slots=True)
class RowIssue:
    """One finding about one cell: row number as the user sees it, column, value, reason, severity."""

    row: int
    column: str
    value: str
    reason: str
    severity: str = ERROR

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored in ``ImportBatch.issues``."""
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason, "severity": self.severity}


@dataclass(slots=True)
class VehicleRow:
    """A validated row: its identity and the model attribute values of the mapped fields."""

    row: int
    vin: str | None
    stock_number: str | None
    values: dict[str, Any]


@dataclass(slots=True)
class ImportReport:
    """Counts and row-level issues of one import (dry run or commit); see the module rules."""

    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    photos_attached: int = 0
    photos_rejected: int = 0
    saved: bool = False
    issues: list[RowIssue] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # API: one result per item
    duration_ms: int = 0

    @property
    def error_count(self) -> int:
        """Number of error issues."""
        return sum(1 for issue in self.issues if issue.severity == ERROR)

    @property
    def warning_count(self) -> int:
        """Number of warning issues."""
        return sum(1 for issue in self.issues if issue.severity == WARNING)

    def counts(self) -> dict[str, int]:
        """Return the bucket counts as a dict (for audit events, the CLI and the API)."""
        return {
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "photos_attached": self.photos_attached,
            "photos_rejected": self.photos_rejected,
        }


@dataclass(frozen=True, slots=True)
class ImportContext:
    """What validation needs to know about the dealer: currency, odometer unit, latest model year, market.

    ``market`` is the dealer's country (ISO 3166 alpha-2); it decides whether every VIN must carry
    a valid check digit (``app.domain.vin.check_digit_required``: the US and Canada). ``locale``
    (Babel, ``"de_DE"``) is the dealer's number convention, the last word on a file's decimal
    separator; ``decimal_separator`` is that file's separator once ``validate_table`` decided it.
    ``today`` refuses arrival dates in the future; ``date_epoch`` is an XLSX workbook's date
    system, to read date serial numbers with (``app.imports.values.parse_arrival_date``).
    """

    currency: str
    unit: DistanceUnit
    latest_year: int
    market: str | None = None
    locale: str | None = None
    decimal_separator: str | None = None
    today: date | None = None
    date_epoch: datetime | None = None

    @classmethod
    def for_dealer(cls, dealer: Dealer, today: date | None = None) -> ImportContext:
        """Build the context of ``dealer``: miles in the US and UK, kilometres elsewhere; model year ≤ next year."""
        today = today or utcnow().date()
        unit = DistanceUnit.MI if dealer.country in {"US", "GB"} else DistanceUnit.KM
        locale = dealer.locale if "_" in (dealer.locale or "") else f"{dealer.locale}_{dealer.country}"
        return cls(
            currency=dealer.currency, unit=unit, latest_year=today.year + 1, market=dealer.country, locale=locale,
            today=today,
        )


# --- validation ----------------------------------------------------------------------------


def _as_raw(value: Any) -> str | int | Decimal | None:
    """Turn a spreadsheet cell into a parser input (dates and booleans become text)."""
    if value is None or isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _shown(value: Any) -> str:
    return "" if value is None else str(value)[:200]


def validate_row(
    cells: Mapping[CanonicalField, Any],
    *,
    row: int,
    columns: Mapping[CanonicalField, str],
    context: ImportContext,
    formula_columns: Iterable[str] = (),
) -> tuple[VehicleRow | None, list[RowIssue]]:
    """Validate one row's cells (keyed by field); return the vehicle (``None`` when rejected) and issues.

    ``columns`` names the source column of each field, for the report. Never raises for bad data.
    """
    issues: list[RowIssue] = []
    values: dict[str, Any] = {}

    def issue(canonical: CanonicalField | str, reason: str, severity: str = ERROR, value: Any = None) -> None:
        column = columns.get(canonical, str(canonical)) if isinstance(canonical, CanonicalField) else canonical
        shown = _shown(cells.get(canonical) if value is None and isinstance(canonical, CanonicalField) else value)
        issues.append(RowIssue(row, column, shown, reason, severity))

    for column in formula_columns:
        issues.append(RowIssue(row, column, "", "The cell holds a spreadsheet formula; its last saved value is used.", WARNING))

    # Text first: make and year feed the VIN cross-check.
    for canonical, (attr, limit) in TEXT_FIELDS.items():
        if canonical not in cells:
            continue
        raw = _as_raw(cells[canonical])
        try:
            text = clean_text(raw)
        except (ValueParseError, TypeError) as exc:
            issue(canonical, str(exc))
            continue
        if text and limit and len(text) > limit:
            issue(canonical, f"Text is {len(text)} characters long; the first {limit} are kept.", WARNING)
            text = text[:limit]
        if text and looks_like_formula(text):
            issue(canonical, "Starts like a spreadsheet formula; kept as text and neutralised in exports.", WARNING)
        values[attr] = text or ""

    for canonical, attr in ((CanonicalField.MAKE, "make"), (CanonicalField.MODEL, "model")):
        if not values.get(attr):
            issue(canonical, f"{attr.capitalize()} is required.")

    year: int | None = None
    if CanonicalField.MODEL_YEAR in cells:
        try:
            year = parse_model_year(_as_raw(cells[CanonicalField.MODEL_YEAR]), latest=context.latest_year)
        except (ValueParseError, TypeError, ArithmeticError) as exc:
            issue(CanonicalField.MODEL_YEAR, _reason(exc))
        else:
            if year is None:
                issue(CanonicalField.MODEL_YEAR, "Model year is required.")
            values["model_year"] = year
    else:
        issue(CanonicalField.MODEL_YEAR, "Model year is required.")

    stock_number: str | None = None
    if CanonicalField.STOCK_NUMBER in cells:
        try:
            stock_number = clean_text(_as_raw(cells[CanonicalField.STOCK_NUMBER]))
        except (ValueParseError, TypeError) as exc:
            issue(CanonicalField.STOCK_NUMBER, str(exc))
        if stock_number:
            stock_number = stock_number.upper()
            if len(stock_number) > STOCK_NUMBER_MAX:
                issue(CanonicalField.STOCK_NUMBER, f"A stock number has at most {STOCK_NUMBER_MAX} characters.")
                stock_number = None

    vin: str | None = None
    raw_vin = _as_raw(cells.get(CanonicalField.VIN))
    check = check_vin(
        None if raw_vin is None else str(raw_vin),
        make=values.get("make") or None,
        model_year=year,
        market=context.market,
    )
    if check.is_valid:
        vin = check.vin
        for warning in check.warnings:
            issue(CanonicalField.VIN, warning.message, WARNING)
    elif check.is_missing:
        if not stock_number:
            issue(
                CanonicalField.VIN,
                "No VIN and no stock number: the vehicle cannot be identified.",
                value=raw_vin,
            )
    elif check.looks_like_stock_number and not stock_number:
        stock_number = check.normalized
        issue(CanonicalField.VIN, f"{check.normalized!r} looks like a stock number; it is used as the stock number.", WARNING)
    else:
        for error in check.errors:
            issue(CanonicalField.VIN, error.message)

    if CanonicalField.CONDITION in cells:
        try:
            condition = parse_condition(_as_raw(cells[CanonicalField.CONDITION]))
        except (ValueParseError, TypeError) as exc:
            issue(CanonicalField.CONDITION, str(exc))
            condition = None
        else:
            if condition is None:
                issue(CanonicalField.CONDITION, "No condition; the vehicle is imported as used.", WARNING)
                condition = VehicleCondition.USED
        values["condition"] = condition

    for canonical, attr in ((CanonicalField.PRICE, "price"), (CanonicalField.MSRP, "msrp")):
        if canonical not in cells:
            continue
        try:
            amount = check_amount(parse_price(
                _as_raw(cells[canonical]), currency=context.currency, decimal=context.decimal_separator
            ))
        except (ValueParseError, TypeError, ArithmeticError) as exc:
            issue(canonical, _reason(exc))
            continue
        if canonical is CanonicalField.PRICE and not amount:
            issue(canonical, "No price: the vehicle is kept off the online display until it is priced.", WARNING)
        values[attr] = amount if amount else None
    if CanonicalField.PRICE not in cells:
        issue(CanonicalField.PRICE, "No price: the vehicle is kept off the online display until it is priced.", WARNING)

    if CanonicalField.ARRIVAL_DATE in cells:
        cell = cells[CanonicalField.ARRIVAL_DATE]
        try:
            arrived = parse_arrival_date(
                cell if isinstance(cell, date) else _as_raw(cell), epoch=context.date_epoch, today=context.today
            )
        except (ValueParseError, TypeError, ArithmeticError, OverflowError) as exc:
            issue(CanonicalField.ARRIVAL_DATE, _reason(exc))
        else:
            if arrived is not None:
                values["arrival_date"] = arrived

    if CanonicalField.COST in cells:
        try:
            cost = check_amount(parse_price(
                _as_raw(cells[CanonicalField.COST]), currency=context.currency, decimal=context.decimal_separator
            ))
        except (ValueParseError, TypeError, ArithmeticError) as exc:
            issue(CanonicalField.COST, _reason(exc).replace("Price", "Cost", 1))
        else:
            if cost is not None and cost == 0:
                issue(CanonicalField.COST, "A cost of 0 is not stored; the vehicle keeps its current cost.", WARNING)
            elif cost is not None:
                values["acquisition_cost"] = cost
                price = values.get("price")
                if price and cost > price:
                    issue(CanonicalField.COST, "The cost is above the list price; kept as written.", WARNING)

    if CanonicalField.ODOMETER in cells:
        try:
            reading = parse_odometer(_as_raw(cells[CanonicalField.ODOMETER]), default_unit=context.unit)
            if reading is not None and max(reading.kilometres, reading.miles) > MAX_ODOMETER:
                raise ValueParseError(f"Odometer {reading.reading} is not plausible (over {MAX_ODOMETER:,}).")
        except (ValueParseError, TypeError, ArithmeticError) as exc:
            issue(CanonicalField.ODOMETER, _reason(exc))
        else:
            if reading is None:
                values["odometer"] = None
            else:
                values["odometer"] = reading.kilometres if context.unit is DistanceUnit.KM else reading.miles
                if reading.unit is not context.unit:
                    issue(
                        CanonicalField.ODOMETER,
                        f"Converted from {reading.reading} {reading.unit.value} to {values['odometer']} {context.unit.value}.",
                        WARNING,
                    )

    if any(i.severity == ERROR for i in issues):
        return None, issues
    return VehicleRow(row=row, vin=vin, stock_number=stock_number, values=values), issues


#: How often (in rows) an import reports its progress.
PROGRESS_EVERY = 500

#: ``progress(rows_done, rows_total)``: called as an import reads its rows (see ``import_file``).
Progress = Callable[[int, int], None]


def validate_table(
    table: ImportTable,
    mapping: ColumnMapping,
    context: ImportContext,
    report: ImportReport,
    progress: Progress | None = None,
    *,
    total: int = 0,
    every: int = PROGRESS_EVERY,
) -> list[VehicleRow]:
    """Validate every row of ``table``; count rows and rejections into ``report``; return accepted rows.

    ``progress(rows_done, total)`` is called every ``every`` rows (no database access here, so a
    progress writer may use its own short transactions meanwhile).
    Money columns are read in the file's number dialect: one pass over their cells first decides
    the decimal separator (``app.imports.values.file_decimal_separator``: cells like ``1.234,56``
    across the columns, then a ``;`` delimiter, then the dealer's locale); a ``173,900`` that the
    dialect cannot settle is rejected as ambiguous instead of guessed.
    """
    columns = {canonical: column for column, canonical in mapping.columns.items() if canonical in IMPORTABLE_FIELDS}
    money = [columns[canonical] for canonical in MONEY_FIELDS if canonical in columns]
    if money and context.decimal_separator is None:
        decimal, _source = file_decimal_separator(
            (source.values.get(column) for source in table.rows() for column in money),
            delimiter=table.delimiter,
            locale=context.locale,
        )
        context = replace(context, decimal_separator=decimal)
    if table.date_epoch is not None:
        context = replace(context, date_epoch=table.date_epoch)
    accepted: list[VehicleRow] = []
    for source in table.rows():
        report.total_rows += 1
        cells = {canonical: source.values.get(column) for canonical, column in columns.items()}
        vehicle, issues = validate_row(
            cells, row=source.number, columns=columns, context=context, formula_columns=source.formula_columns
        )
        report.issues.extend(issues)
        if vehicle is None:
            report.rejected += 1
        else:
            accepted.append(vehicle)
        if progress and report.total_rows % every == 0:
            progress(report.total_rows, max(total, report.total_rows))
    return accepted


# --- reconciliation ------------------------------------------------------------------------


@dataclass(slots=True)
class _Unit:
    """One vehicle of the file: the merged rows that describe it."""

    vin: str | None
    stock_number: str | None
    values: dict[str, Any]
    rows: list[int]
    existing: StockVehicle | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    action: str = ""


@dataclass(slots=True)
class ImportPlan:
    """What a commit would do: the vehicles to create, update or leave, by key."""

    units: list[_Unit]

    def vehicles_by_key(self) -> dict[str, StockVehicle]:
        """Return the stored vehicle of each unit by VIN and stock number (after ``apply_plan``)."""
        found: dict[str, StockVehicle] = {}
        for unit in self.units:
            if unit.existing is not None:
                for key in (unit.existing.vin, unit.existing.stock_number):
                    if key:
                        found[key] = unit.existing
        return found


def _merge(rows: list[VehicleRow], report: ImportReport) -> list[_Unit]:
    by_vin: dict[str, _Unit] = {}
    by_stock: dict[str, _Unit] = {}
    units: list[_Unit] = []
    for row in rows:
        unit = by_vin.get(row.vin) if row.vin else None
        if unit is None and row.stock_number:
            other = by_stock.get(row.stock_number)
            if other is not None and other.vin and row.vin and other.vin != row.vin:
                report.rejected += 1
                report.issues.append(
                    RowIssue(row.row, "stock_number", row.stock_number,
                             f"Stock number {row.stock_number} is already used by VIN {other.vin} on row {other.rows[0]}.")
                )
                continue
            unit = other
        if unit is None:
            unit = _Unit(vin=row.vin, stock_number=row.stock_number, values=dict(row.values), rows=[row.row])
            units.append(unit)
        else:
            report.duplicates += 1
            differs = any(unit.values.get(k) != v for k, v in row.values.items())
            if differs:
                report.issues.append(
                    RowIssue(row.row, "", row.vin or row.stock_number or "",
                             f"Repeats the vehicle of row {unit.rows[0]} with other values; this later row's values are used.",
                             WARNING)
                )
            unit.values.update(row.values)
            unit.rows.append(row.row)
            unit.vin = unit.vin or row.vin
            if row.stock_number and unit.stock_number != row.stock_number:
                by_stock.pop(unit.stock_number or "", None)
                unit.stock_number = row.stock_number
        if unit.vin:
            by_vin[unit.vin] = unit
        if unit.stock_number:
            by_stock[unit.stock_number] = unit
    return units


def _reject_unit(unit: _Unit, report: ImportReport, column: str, value: str, reason: str) -> None:
    report.rejected += len(unit.rows)
    report.duplicates -= len(unit.rows) - 1
    for number in unit.rows:
        report.issues.append(RowIssue(number, column, value, reason))


def reconcile(session: Session, rows: list[VehicleRow], report: ImportReport) -> ImportPlan:
    """Merge duplicate rows, match them with the dealer's stock (one query), count the buckets.

    The current tenant scope limits the query to the dealer's own vehicles.
    """
    units = _merge(rows, report)
    stock = session.scalars(select(StockVehicle)).all()
    by_vin = {v.vin: v for v in stock if v.vin}
    by_stock = {v.stock_number: v for v in stock if v.stock_number}
    claimed_stock: dict[str, _Unit] = {}
    kept: list[_Unit] = []
    for unit in units:
        vehicle = by_vin.get(unit.vin) if unit.vin else None
        if unit.stock_number:
            holder = by_stock.get(unit.stock_number)
            if vehicle is None and holder is not None and not (holder.vin and unit.vin and holder.vin != unit.vin):
                vehicle = holder
            elif holder is not None and holder is not vehicle:
                _reject_unit(unit, report, "stock_number", unit.stock_number,
                             f"Stock number {unit.stock_number} already belongs to another vehicle ({holder.vin or holder.title}).")
                continue
            if unit.stock_number in claimed_stock:
                _reject_unit(unit, report, "stock_number", unit.stock_number,
                             f"Stock number {unit.stock_number} is used by two vehicles in this file.")
                continue
            claimed_stock[unit.stock_number] = unit
        unit.existing = vehicle
        if vehicle is None:
            unit.action = "create"
            report.created += 1
        else:
            wanted = dict(unit.values)
            if unit.vin and vehicle.vin != unit.vin:
                wanted["vin"] = unit.vin
            if unit.stock_number and vehicle.stock_number != unit.stock_number:
                wanted["stock_number"] = unit.stock_number
            unit.changes = {k: v for k, v in wanted.items() if getattr(vehicle, k) != v}
            unit.action = "update" if unit.changes else "unchanged"
            if unit.changes:
                report.updated += 1
            else:
                report.unchanged += 1
        kept.append(unit)
    return ImportPlan(units=kept)


def apply_plan(session: Session, plan: ImportPlan, dealer: Dealer, *, source: str) -> None:
    """Create and update the planned vehicles (flush only).

    New vehicles arrive in stock on the file's arrival date, else today (days in stock count from it).
    """
    context_unit = ImportContext.for_dealer(dealer).unit
    now = utcnow()
    new: list[StockVehicle] = []
    for unit in plan.units:
        if unit.action == "create":
            vehicle = StockVehicle(
                dealer_id=dealer.id,
                vin=unit.vin,
                stock_number=unit.stock_number,
                currency=dealer.currency,
                odometer_unit=context_unit,
                status=VehicleStatus.IN_STOCK,
                status_changed_at=now,
                source=source,
                **{"arrival_date": now.date(), **unit.values},
            )
            new.append(vehicle)
            unit.existing = vehicle
        elif unit.action == "update":
            for attr, value in unit.changes.items():
                setattr(unit.existing, attr, value)
    session.add_all(new)
    session.flush()


# --- photos --------------------------------------------------------------------------------


def attach_photos(
    session: Session, archive: PhotoArchive, vehicles: Mapping[str, StockVehicle], storage, report: ImportReport, *,
    dry_run: bool, saved_keys: list[str],
) -> None:
    """Store each matched photo (re-encoded by ``process_image``) after the vehicle's last photo.

    A photo already attached (same SHA-256) is skipped, so re-importing a ZIP changes nothing.
    ``saved_keys`` collects new storage keys so a failed commit can delete them.
    """
    for rejected in archive.rejected:
        report.photos_rejected += 1
        report.issues.append(RowIssue(0, "photos", rejected.name, f"Photo {rejected.reason}.", WARNING))
    existing_hashes: dict[int, set[str]] = {}
    next_position: dict[int, int] = {}
    for photo in archive.photos:
        vehicle = vehicles.get(photo.match.key)
        if vehicle is None:
            report.photos_rejected += 1
            report.issues.append(RowIssue(0, "photos", photo.name, "Photo belongs to a vehicle that was rejected.", WARNING))
            continue
        digest = hashlib.sha256(photo.data).hexdigest()
        if vehicle.id is not None and vehicle.id not in existing_hashes:
            existing_hashes[vehicle.id] = {p.sha256 for p in vehicle.photos}
            next_position[vehicle.id] = max((p.position for p in vehicle.photos), default=0) + 1
        key_id = vehicle.id if vehicle.id is not None else id(vehicle)
        hashes = existing_hashes.setdefault(key_id, set())
        if digest in hashes:
            continue
        hashes.add(digest)
        if dry_run:
            report.photos_attached += 1
            continue
        try:
            processed = process_image(photo.data)
        except ImageRejected as exc:
            report.photos_rejected += 1
            report.issues.append(RowIssue(0, "photos", photo.name, str(exc), WARNING))
            continue
        key = storage.save(processed.data, area="inventory", extension=processed.extension)
        saved_keys.append(key)
        position = next_position.get(key_id, 1)
        next_position[key_id] = position + 1
        session.add(
            VehiclePhoto(
                dealer_id=vehicle.dealer_id, vehicle=vehicle, position=position, storage_key=key,
                content_type="image/png" if processed.extension == "png" else "image/jpeg",
                width=processed.width, height=processed.height, sha256=digest, original_name=photo.name[:255],
            )
        )
        report.photos_attached += 1
    session.flush()


# --- entry points --------------------------------------------------------------------------


def remembered_mapping(session: Session, header: Iterable[str]) -> ColumnMapping:
    """Suggest a mapping for ``header``, overridden by the dealer's remembered choices."""
    from app.imports.mapping import normalize_header

    mapping = suggest_mapping(list(header))
    saved = session.scalar(select(ImportColumnMapping))
    if saved is None:
        return mapping
    for column in mapping.columns:
        choice = saved.choices.get(normalize_header(column))
        if choice is None:
            continue
        try:
            mapping = mapping.with_choice(column, CanonicalField(choice) if choice else None)
        except ValueError:
            continue
    return mapping


def remember_mapping(session: Session, mapping: ColumnMapping) -> ImportColumnMapping:
    """Store the dealer's column choices (normalised column name → field value, ``""`` = skip)."""
    from app.imports.mapping import normalize_header

    saved = session.scalar(select(ImportColumnMapping))
    if saved is None:
        saved = ImportColumnMapping(choices={})
        session.add(saved)
    choices = dict(saved.choices or {})
    for column, canonical in mapping.columns.items():
        choices[normalize_header(column)] = canonical.value if canonical else ""
    saved.choices = choices
    session.flush()
    return saved


def mapping_from_dict(header: Iterable[str], choices: Mapping[str, str | None]) -> ColumnMapping:
    """Build a ``ColumnMapping`` from stored ``{column: field value or ""}`` choices."""
    columns = {column: (CanonicalField(choices[column]) if choices.get(column) else None) for column in header}
    return ColumnMapping(columns=columns, alternatives={})


def mapping_to_dict(mapping: ColumnMapping) -> dict[str, str]:
    """Return ``{column: field value or ""}`` for storing in ``ImportBatch.mapping``."""
    return {column: (canonical.value if canonical else "") for column, canonical in mapping.columns.items()}


def import_file(
    session: Session,
    dealer: Dealer,
    data: bytes,
    filename: str,
    *,
    mapping: ColumnMapping | None = None,
    encoding: str | None = None,
    photos: bytes | None = None,
    dry_run: bool = True,
    mode: ImportMode = ImportMode.VALID_ROWS,
    source: str = "file",
    storage=None,
    progress: Progress | None = None,
    progress_every: int = PROGRESS_EVERY,
    context: ImportContext | None = None,
) -> ImportReport:
    """Read, validate and reconcile a stock file; unless ``dry_run``, write it (flush only).

    Runs in the dealer's tenant scope. ``mapping`` defaults to the remembered/suggested one.
    Raises ``ImportFileError`` when the file or photo ZIP cannot be read safely (nothing is written)
    and when the mapping lacks a required field. ``storage`` is needed to save photos.

    ``progress(rows_done, rows_total)``, when given, is called once the rows are counted (0 of
    total), every ``progress_every`` rows, and when every row is read. Given ``mapping`` and
    ``context``, nothing touches the database until the rows are read, so a caller that has
    committed beforehand holds no transaction (no SQLite lock) while progress is written.
    """
    started = time.perf_counter()
    table = read_table(data, filename, encoding=encoding)
    mapping = mapping or remembered_mapping(session, table.header)
    missing = mapping.missing_required()
    if missing:
        names = ", ".join("VIN or stock number" if m is CanonicalField.VIN else m.value for m in missing)
        raise ImportFileError(f"No column is mapped to: {names}.")
    report = ImportReport()
    context = context or ImportContext.for_dealer(dealer)
    total = 0
    if progress is not None:
        total = table.count_rows()
        progress(0, total)
    rows = validate_table(table, mapping, context, report, progress, total=total, every=progress_every)
    if progress is not None:
        progress(report.total_rows, report.total_rows)
    archive = None
    if photos:
        keys = [r.vin for r in rows if r.vin], [r.stock_number for r in rows if r.stock_number]
        archive = read_photo_zip(photos, vins=keys[0], stock_numbers=keys[1])
    plan = reconcile(session, rows, report)
    _finish(session, dealer, plan, report, archive, dry_run=dry_run, mode=mode, source=source, storage=storage)
    report.duration_ms = int((time.perf_counter() - started) * 1000)
    return report


def _finish(session, dealer, plan, report, archive, *, dry_run, mode, source, storage) -> None:
    blocked = mode is ImportMode.ALL_OR_NOTHING and report.rejected > 0
    if dry_run or blocked:
        if archive is not None:
            attach_photos(session, archive, _planned_keys(plan), storage, report,
                          dry_run=True, saved_keys=[])
        report.saved = False
        return
    apply_plan(session, plan, dealer, source=source)
    if archive is not None:
        saved_keys: list[str] = []
        try:
            attach_photos(session, archive, plan.vehicles_by_key(), storage, report, dry_run=False, saved_keys=saved_keys)
        except BaseException:
            for key in saved_keys:
                storage.delete(key)
            raise
    report.saved = True
    if report.created or report.updated or report.photos_attached:
        audit.record(session, "inventory.import", object_type="StockVehicle", object_id="", after=report.counts())


def _planned_keys(plan: ImportPlan) -> dict[str, StockVehicle]:
    """Stand-in vehicles for a dry run's photo matching (new vehicles have no row yet)."""
    found: dict[str, StockVehicle] = {}
    for unit in plan.units:
        vehicle = unit.existing or StockVehicle(vin=unit.vin, stock_number=unit.stock_number)
        for key in (unit.vin, unit.stock_number):
            if key:
                found[key] = vehicle
    return found


def import_items(
    session: Session,
    dealer: Dealer,
    items: list[Mapping[str, Any]],
    *,
    dry_run: bool = False,
    mode: ImportMode = ImportMode.VALID_ROWS,
) -> ImportReport:
    """Validate and upsert API items (``{"vin": ..., "make": ..., ...}``, field names as in ``CanonicalField``).

    Item *n* (1-based) is reported as row *n*; ``report.items`` holds one result per item:
    ``{"index", "vin", "stock_number", "result", "errors", "warnings"}`` where result is created,
    updated, unchanged, duplicate or rejected. Flush only.
    """
    report = ImportReport(total_rows=len(items))
    context = ImportContext.for_dealer(dealer)
    accepted: list[VehicleRow] = []
    for index, item in enumerate(items, start=1):
        cells = {CanonicalField(k): v for k, v in item.items() if k in {f.value for f in IMPORTABLE_FIELDS}}
        columns = {canonical: canonical.value for canonical in cells}
        row, issues = validate_row(cells, row=index, columns=columns, context=context)
        report.issues.extend(issues)
        if row is None:
            report.rejected += 1
        else:
            accepted.append(row)
    plan = reconcile(session, accepted, report)
    _finish(session, dealer, plan, report, None, dry_run=dry_run, mode=mode, source="api", storage=None)
    results: dict[int, str] = {}
    for unit in plan.units:
        results[unit.rows[0]] = {"create": "created", "update": "updated"}.get(unit.action, "unchanged")
        for later in unit.rows[1:]:
            results[later] = "duplicate"
    by_row: dict[int, list[RowIssue]] = {}
    for issue in report.issues:
        by_row.setdefault(issue.row, []).append(issue)
    for index, item in enumerate(items, start=1):
        found = by_row.get(index, [])
        errors = [f"{i.column}: {i.reason}" for i in found if i.severity == ERROR]
        report.items.append({
            "index": index,
            "vin": item.get("vin") if isinstance(item.get("vin"), str) else None,
            "stock_number": item.get("stock_number") if isinstance(item.get("stock_number"), str) else None,
            "result": "rejected" if errors or index not in results else results[index],
            "errors": errors,
            "warnings": [f"{i.column}: {i.reason}" for i in found if i.severity == WARNING],
        })
    return report


# --- status --------------------------------------------------------------------------------

_STATUS_STAMPS = {
    VehicleStatus.RESERVED: "reserved_at",
    VehicleStatus.SOLD: "sold_at",
    VehicleStatus.WITHDRAWN: "withdrawn_at",
}


def change_status(session: Session, vehicle: StockVehicle, status: VehicleStatus) -> bool:
    """Set ``vehicle.status`` with its timestamps and an audit event; return False when unchanged."""
    status = VehicleStatus(status)
    if vehicle.status == status:
        return False
    before = vehicle.status
    now = utcnow()
    vehicle.status = status
    vehicle.status_changed_at = now
    stamp = _STATUS_STAMPS.get(status)
    if stamp:
        setattr(vehicle, stamp, now)
    audit.record(session, "inventory.status", vehicle, before={"status": before.value}, after={"status": status.value})
    session.flush()
    return True


def change_price(session: Session, vehicle: StockVehicle, price: Decimal | None) -> bool:
    """Set the list price (``None`` or 0 → unpriced, off the online display); audit-logged."""
    price = price if price else None
    if vehicle.price == price:
        return False
    audit.record(session, "inventory.price", vehicle, before={"price": vehicle.price}, after={"price": price})
    vehicle.price = price
    session.flush()
    return True


__all__ = [
    "IMPORTABLE_FIELDS",
    "ImportContext",
    "ImportFileError",
    "ImportPlan",
    "ImportReport",
    "RowIssue",
    "VehicleRow",
    "apply_plan",
    "attach_photos",
    "check_amount",
    "change_price",
    "change_status",
    "import_file",
    "import_items",
    "mapping_from_dict",
    "mapping_to_dict",
    "reconcile",
    "remember_mapping",
    "remembered_mapping",
    "validate_row",
    "validate_table",
]
