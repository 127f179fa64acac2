"""Read a corporate price list (trims, options, packages, accessories) into checked rows.

One sheet, one row per catalog item. Columns (header names are matched case-insensitively,
with a few Korean/Thai aliases; order does not matter):

========  ========  ==================================================================
column    required  meaning
========  ========  ==================================================================
type      yes       ``trim``, ``option``, ``package`` or ``accessory``
code      yes       trim code, option/package code, or accessory part number
price     yes       MSRP (trim) or price, in the brand currency, within its minor unit
name      new rows  canonical (English) name; blank keeps the current name
model     new trims trim: its model code; accessory: the model codes it fits
trims     no        option/package: the trim codes it fits (blank keeps the current list)
labour    no        accessory: fitting labour in the brand currency
========  ========  ==================================================================

Lists (``model`` of an accessory, ``trims``) are separated by commas, semicolons or spaces.
``parse_price_list`` never touches the database: it checks each cell on its own (formulas,
prices, codes, duplicates) and returns the rows plus row-level ``RowError`` s; resolving codes
against the catalog is ``services.price_import``'s job. Messages are translated (``gettext``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import gettext as _

from app.domain.money import minor_units, round_money
from app.imports.readers import ImportFileError, ImportTable, SourceRow
from app.imports.values import ValueParseError, clean_text, looks_like_formula, parse_price

KINDS = ("trim", "option", "package", "accessory")
REQUIRED_COLUMNS = ("type", "code", "price")
OPTIONAL_COLUMNS = ("name", "model", "trims", "labour")

#: Header spellings accepted for each column (compared after casefold and trimming).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "type": ("type", "kind", "item", "구분", "유형", "ประเภท"),
    "code": ("code", "part number", "part_number", "part no", "코드", "품번", "รหัส"),
    "price": ("price", "msrp", "가격", "판매가", "ราคา"),
    "name": ("name", "이름", "명칭", "ชื่อ"),
    "model": ("model", "models", "model code", "모델", "รุ่น"),
    "trims": ("trims", "trim codes", "트림"),
    "labour": ("labour", "labor", "공임", "ค่าแรง"),
}
KIND_ALIASES: dict[str, str] = {
    "trim": "trim", "option": "option", "package": "package", "accessory": "accessory",
    "트림": "trim", "옵션": "option", "패키지": "package", "액세서리": "accessory",
}
# What each kind's code may look like (the catalog's form rules), and its column length.
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CODE_LENGTH = {"trim": 40, "option": 30, "package": 30, "accessory": 40}
NAME_LENGTH = 200
_LIST_SPLIT = re.compile(r"[,;\s]+")


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one cell: spreadsheet row number, column name, the value as text, the reason."""

    row: int
    column: str
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One valid price-list row. ``models`` / ``trims`` are empty when the cell was blank."""

    number: int
    kind: str
    code: str
    price: Decimal
    name: str | None = None
    labour: Decimal | None = None
    model: str | None = None
    models: tuple[str, ...] = ()
    trims: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        """Return the code namespace: options and packages share one, trims and accessories have their own."""
        return "option" if self.kind == "package" else self.kind


def resolve_columns(header: tuple[str, ...]) -> dict[str, str]:
    """Map each known column (``type``, ``code``…) to the file's header name.

    Raises ``ImportFileError`` (translated) naming the required columns that are missing.
    """
    found: dict[str, str] = {}
    for name in header:
        key = " ".join(name.replace("_", " ").casefold().split())
        for column, aliases in COLUMN_ALIASES.items():
            if column not in found and key in {a.replace("_", " ") for a in aliases}:
                found[column] = name
    missing = [c for c in REQUIRED_COLUMNS if c not in found]
    if missing:
        raise ImportFileError(_("The header row needs the columns %(missing)s (found: %(found)s).",
                                missing=", ".join(missing), found=", ".join(header)))
    return found


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _money(row: SourceRow, column: str | None, currency: str, errors: list[RowError], *,
           positive: bool = False) -> Decimal | None:
    """Parse the money cell ``column``; append a ``RowError`` and return None when it is not acceptable."""
    if column is None:
        return None
    value = row.values.get(column)
    text = _as_text(value)

    def fail(message: str) -> None:
        errors.append(RowError(row.number, column, text, message))

    if isinstance(value, (bool, datetime, date, time)):
        fail(_("This is not a price: type the amount as a number."))
        return None
    if isinstance(value, str) and value.strip().startswith("="):
        fail(_("Formulas are not accepted: type the amount itself."))
        return None
    try:
        amount = parse_price(value)
    except ValueParseError as exc:
        if "negative" in str(exc):
            fail(_("Prices must not be negative."))
        else:
            fail(_("This is not a price: type the amount as a number."))
        return None
    if amount is None:
        return None
    try:
        parse_price(value, currency=currency)
    except ValueParseError:
        if round_money(amount, currency) != amount and minor_units(currency) == 0:
            fail(_("%(currency)s prices are whole amounts: remove the decimals.", currency=currency))
        elif round_money(amount, currency) != amount:
            fail(_("%(currency)s prices may have at most %(places)s decimal places.", currency=currency,
                   places=minor_units(currency)))
        else:
            fail(_("This price is not in %(currency)s.", currency=currency))
        return None
    amount = round_money(amount, currency)
    if positive and amount <= 0:
        fail(_("The MSRP must be more than zero."))
        return None
    return amount


def _text(row: SourceRow, column: str | None, errors: list[RowError], max_length: int) -> str | None:
    if column is None:
        return None
    value = row.values.get(column)
    raw = value if isinstance(value, (str, int, Decimal)) or value is None else _as_text(value)
    if isinstance(raw, bool):
        raw = str(raw)
    try:
        text = clean_text(raw, max_length=max_length)
    except ValueParseError:
        errors.append(RowError(row.number, column, _as_text(value)[:60] + "…",
                               _("Too long: at most %(count)s characters.", count=max_length)))
        return None
    if text is not None and looks_like_formula(text):
        errors.append(RowError(row.number, column, text, _("Formulas are not accepted: type the value itself.")))
        return None
    return text


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part for part in _LIST_SPLIT.split(text or "") if part))


def parse_price_list(table: ImportTable, currency: str) -> tuple[list[PriceRow], list[RowError]]:
    """Check every row of ``table`` for a price list in ``currency`` (ISO code of the brand).

    Returns ``(rows, errors)``: the rows that passed and one ``RowError`` per bad cell (a row
    with any error is left out of ``rows``). Raises ``ImportFileError`` for missing columns, a
    file that breaks while being read, or a file with no data rows.
    """
    columns = resolve_columns(table.header)
    rows: list[PriceRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    count = 0
    for source in table.rows():
        count += 1
        row_errors: list[RowError] = []
        for column in source.formula_columns:
            row_errors.append(RowError(source.number, column, _as_text(source.values.get(column)),
                                       _("Formulas are not accepted: type the value itself.")))
        if source.extra_values:
            row_errors.append(RowError(source.number, "—", _as_text(source.extra_values[0]),
                                       _("This row has values beyond the last named column.")))
        if row_errors:
            errors.extend(row_errors)
            continue
        raw_kind = _text(source, columns["type"], row_errors, 20)
        kind = KIND_ALIASES.get((raw_kind or "").casefold())
        if raw_kind is None and not row_errors:
            row_errors.append(RowError(source.number, columns["type"], "", _("Say what the row is: trim, option, "
                                                                           "package or accessory.")))
        elif kind is None and raw_kind is not None:
            row_errors.append(RowError(source.number, columns["type"], raw_kind,
                                       _("Unknown type: use trim, option, package or accessory.")))
        code = _text(source, columns["code"], row_errors, 40)
        if code is None and not any(e.column == columns["code"] for e in row_errors):
            row_errors.append(RowError(source.number, columns["code"], "", _("The code is missing.")))
        elif code is not None and kind is not None and (len(code) > CODE_LENGTH[kind] or not _CODE.match(code)):
            row_errors.append(RowError(source.number, columns["code"], code, _(
                "Codes have at most %(count)s letters, digits, dots, dashes or underscores.", count=CODE_LENGTH[kind])))
        price = _money(source, columns["price"], currency, row_errors, positive=kind == "trim")
        if price is None and not any(e.column == columns["price"] for e in row_errors):
            row_errors.append(RowError(source.number, columns["price"], "", _("The price is missing.")))
        name = _text(source, columns.get("name"), row_errors, NAME_LENGTH)
        model_text = _text(source, columns.get("model"), row_errors, 500)
        trims_text = _text(source, columns.get("trims"), row_errors, 2000)
        labour = _money(source, columns.get("labour"), currency, row_errors)
        if kind == "trim" and len(_codes(model_text)) > 1:
            row_errors.append(RowError(source.number, columns["model"], model_text or "",
                                       _("A trim belongs to one model: give one model code.")))
        if kind is not None and kind != "accessory" and labour is not None:
            row_errors.append(RowError(source.number, columns["labour"], str(labour),
                                       _("Only accessories have a labour charge.")))
        if kind in ("trim", "accessory") and trims_text:
            row_errors.append(RowError(source.number, columns["trims"], trims_text,
                                       _("Only options and packages list the trims they fit.")))
        if kind in ("option", "package") and model_text:
            row_errors.append(RowError(source.number, columns["model"], model_text,
                                       _("Options fit trims, not models: use the trims column.")))
        if kind is not None and code is not None:
            group = "option" if kind == "package" else kind
            first = seen.get((group, code.casefold()))
            if first is not None:
                row_errors.append(RowError(source.number, columns["code"], code,
                                           _("This code is already on row %(row)s.", row=first)))
            else:
                seen[(group, code.casefold())] = source.number
        if row_errors:
            errors.extend(row_errors)
            continue
        assert kind is not None and code is not None and price is not None  # noqa: S101 - checked above
        rows.append(PriceRow(
            number=source.number, kind=kind, code=code, price=price, name=name, labour=labour,
            model=(_codes(model_text) or (None,))[0] if kind == "trim" else None,
            models=_codes(model_text) if kind == "accessory" else (),
            trims=_codes(trims_text) if kind in ("option", "package") else (),
        ))
    if count == 0:
        raise ImportFileError(_("The file has a header but no price rows."))
    return rows, errors


__all__ = ["COLUMN_ALIASES", "KINDS", "PriceRow", "RowError", "parse_price_list", "resolve_columns"]
