"""Suggest which column of an uploaded stock file feeds which field of a stock vehicle.

``suggest_mapping(header)`` compares each column name with the names dealers' systems
and classified sites use (``vin_number``, ``Stock #``, ``model_year``, ``list_price``,
``acquisition cost``/``purchase price``, Kijiji's ``configration`` (sic) ...), in English, German (``Marke``, ``Modell``,
``Preis``, ``Baujahr``, ``Kilometerstand``…), Korean, Thai and Russian. Comparison
ignores case, accents, spaces, underscores and punctuation; ``#``, ``no``, ``num`` and
``nbr`` all read as "number"; a leading "vehicle"/"car" and a trailing "name" are
ignored when nothing else matches. Each field is fed by at most one column; the dealer
confirms or changes the suggestion with ``ColumnMapping.with_choice``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

_V = TypeVar("_V")


class CanonicalField(StrEnum):
    """Fields of a stock vehicle that an import can fill."""

    VIN = "vin"
    STOCK_NUMBER = "stock_number"
    MODEL_YEAR = "model_year"
    MAKE = "make"
    MODEL = "model"
    TRIM = "trim"
    PRICE = "price"
    MSRP = "msrp"
    COST = "cost"
    ODOMETER = "odometer"
    CONDITION = "condition"
    BODY_TYPE = "body_type"
    DRIVETRAIN = "drivetrain"
    TRANSMISSION = "transmission"
    FUEL_TYPE = "fuel_type"
    EXTERIOR_COLOR = "exterior_color"
    INTERIOR_COLOR = "interior_color"
    ENGINE = "engine"
    DOORS = "doors"
    DESCRIPTION = "description"
    IMAGE_URL = "image_url"
    HISTORY_REPORT_URL = "history_report_url"
    DEALER_ADDRESS = "dealer_address"
    ARRIVAL_DATE = "arrival_date"


#: Fields every row needs; a vehicle also needs a VIN or a stock number.
REQUIRED_FIELDS: tuple[CanonicalField, ...] = (CanonicalField.MAKE, CanonicalField.MODEL, CanonicalField.MODEL_YEAR)

# Strongest name first: when two columns both fit a field, the earlier name wins.
SYNONYMS: dict[CanonicalField, tuple[str, ...]] = {
    CanonicalField.VIN: (
        "vin", "vin_number", "vin no", "vin #", "vin code", "vehicle identification number", "chassis number",
        "차대번호", "เลขตัวถัง", "вин", "vin код", "vin номер", "номер кузова", "fahrgestellnummer", "fin",
        "fahrzeug identnummer", "หมายเลขตัวถัง",
    ),
    CanonicalField.STOCK_NUMBER: (
        "stock_number", "stock #", "stock no", "stock", "stock id", "stk", "stk #", "stock code",
        "inventory number", "unit number", "재고번호", "รหัสสต็อก", "складской номер", "bestandsnummer", "lagernummer",
        "interne nummer", "재고 코드", "инвентарный номер",
    ),
    CanonicalField.MODEL_YEAR: ("model_year", "year", "yr", "my", "연식", "년식", "ปี", "ปีรถ", "ปีที่ผลิต", "год", "год выпуска",
        "baujahr", "modelljahr", "jahr", "erstzulassung", "제조년도"),
    CanonicalField.MAKE: ("make", "brand", "manufacturer", "marque", "제조사", "브랜드", "메이커", "ยี่ห้อ", "марка",
        "марка автомобиля", "marke", "hersteller", "fabrikat"),
    CanonicalField.MODEL: ("model", "모델", "모델명", "차명", "รุ่น", "รุ่นรถ", "модель", "modell", "modellbezeichnung"),
    CanonicalField.TRIM: (
        "trim", "trim level", "configration", "configuration", "variant", "grade", "series", "트림", "등급",
        "เกรด", "รุ่นย่อย", "комплектация", "ausstattung", "ausstattungslinie", "variante",
    ),
    CanonicalField.PRICE: (
        "price", "list_price", "asking price", "selling price", "sale price", "internet price", "our price",
        "retail price", "가격", "판매가", "판매가격", "ราคา", "ราคาขาย", "цена", "цена продажи", "preis",
        "verkaufspreis", "vk preis", "angebotspreis", "endpreis",
    ),
    CanonicalField.MSRP: (
        "msrp", "sticker price", "rrp", "srp", "신차가격", "출고가", "ราคาป้ายแดง", "listenpreis", "uvp", "neupreis",
        "рекомендованная цена",
    ),
    # What the dealer paid for the car (internal; feeds the gross floor of the offer approval).
    CanonicalField.COST: (
        "acquisition cost", "cost", "purchase price", "unit cost", "dealer cost", "vehicle cost",
        "total cost", "invoice cost", "book value", "매입가", "매입가격", "매입원가", "원가", "ต้นทุน", "ราคาทุน",
        "себестоимость", "закупочная цена", "цена закупки", "einkaufspreis", "ek preis", "einstandspreis",
    ),
    CanonicalField.ODOMETER: (
        "odometer", "mileage", "kilometers", "kilometres", "km", "kms", "miles", "odo", "주행거리", "เลขไมล์",
        "ระยะทาง", "ระยะทางวิ่ง", "пробег", "kilometerstand", "km stand", "laufleistung", "tachostand",
    ),
    CanonicalField.CONDITION: (
        "condition", "new_used", "new/used", "new or used", "สภาพ", "สภาพรถ", "상태", "차량상태", "состояние", "zustand",
    ),
    CanonicalField.BODY_TYPE: ("body_type", "body style", "bodystyle", "body", "차체", "차종", "ประเภทรถ", "кузов", "тип кузова",
        "karosserie", "karosserieform", "aufbau"),
    CanonicalField.DRIVETRAIN: (
        "drivetrain", "drive train", "wheel_config", "drive type", "drive", "구동방식", "ระบบขับเคลื่อน", "привод", "antrieb", "antriebsart",
    ),
    CanonicalField.TRANSMISSION: ("transmission", "trans", "gearbox", "변속기", "เกียร์", "коробка передач", "кпп", "getriebe",
        "getriebeart"),
    CanonicalField.FUEL_TYPE: (
        "fuel_type", "fuel", "연료", "เชื้อเพลิง", "топливо", "тип топлива", "kraftstoff", "kraftstoffart",
    ),
    CanonicalField.EXTERIOR_COLOR: (
        "exterior_color", "exterior colour", "ext color", "color", "colour", "외장색", "색상", "สี", "цвет", "цвет кузова", "farbe", "außenfarbe",
    ),
    CanonicalField.INTERIOR_COLOR: ("interior_color", "interior colour", "int color", "내장색", "สีภายใน", "цвет салона", "innenfarbe",
        "polsterfarbe"),
    CanonicalField.ENGINE: ("engine", "engine size", "displacement", "배기량", "ขนาดเครื่องยนต์", "двигатель", "объем двигателя",
        "motor", "hubraum"),
    CanonicalField.DOORS: (
        "doors", "door count", "number of doors", "도어", "จำนวนประตู", "количество дверей", "türen", "anzahl türen",
    ),
    CanonicalField.DESCRIPTION: (
        "description", "comments", "notes", "remarks", "features", "options", "equipment", "설명", "รายละเอียด",
        "описание", "beschreibung", "bemerkungen", "bemerkung",
    ),
    CanonicalField.IMAGE_URL: (
        "image_link", "image_url", "image", "images", "photo", "photos", "photo_url", "picture", "pictures",
    ),
    CanonicalField.HISTORY_REPORT_URL: (
        "carfax_link", "carfax", "carproof", "history report", "history_report_url", "autocheck",
    ),
    CanonicalField.DEALER_ADDRESS: ("dealer_address", "address", "location", "dealer location"),
    # The day the car came into stock (days in stock count from it).
    CanonicalField.ARRIVAL_DATE: (
        "arrival_date", "arrival date", "in stock date", "in-stock date", "date in stock", "in stock since",
        "stock date", "date received", "received date", "received", "arrived", "date arrived", "inventory date",
        "eingangsdatum", "lagereingang", "zugangsdatum", "입고일", "입고일자", "입고날짜", "วันที่รับรถ",
        "วันที่เข้าสต็อก", "дата поступления", "дата прихода", "дата постановки на склад",
    ),
}

_NUMBER_WORDS = frozenset({"#", "no", "num", "nbr", "nr", "number", "№"})
_IGNORED_PREFIXES = ("vehicle", "car", "veh", "auto")
_IGNORED_SUFFIXES = ("name",)


def _tokens(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = text.replace("#", " # ").replace("№", " № ")
    tokens: list[str] = []
    current: list[str] = []
    for ch in text:
        # Keep combining marks: Thai vowels and tone marks are part of the word.
        if ch.isalnum() or unicodedata.category(ch).startswith("M"):
            current.append(ch)
            continue
        if current:
            tokens.append("".join(current))
            current = []
        if ch in "#№":
            tokens.append(ch)
    if current:
        tokens.append("".join(current))
    return ["number" if token in _NUMBER_WORDS else token for token in tokens]


def normalize_header(name: str) -> str:
    """Return the comparison key of a column name (``"Stock #"`` → ``"stocknumber"``).

    NFKC, case-folded, punctuation and spaces removed, ``#``/``no``/``num``/``nbr``/``nr``
    read as "number", accents kept (they matter in Korean, Thai and Russian).
    """
    return "".join(_tokens(name))


def _index() -> dict[str, tuple[CanonicalField, int]]:
    index: dict[str, tuple[CanonicalField, int]] = {}
    for canonical, names in SYNONYMS.items():
        for rank, name in enumerate(names):
            key = normalize_header(name)
            if key in index and index[key][0] is not canonical:
                raise RuntimeError(f"Column name {name!r} is listed for two fields")  # pragma: no cover
            index.setdefault(key, (canonical, rank))
    return index


_INDEX = _index()


def match_header(name: str) -> tuple[CanonicalField, int] | None:
    """Return ``(field, rank)`` for a column name, or ``None``; a lower rank is a stronger name.

    Exact keys first, then without a leading "vehicle"/"car"/"veh"/"auto" or a trailing
    "name" (``"Vehicle Make"``, ``"Model Name"``).
    """
    tokens = _tokens(name)
    if not tokens:
        return None
    found = _INDEX.get("".join(tokens))
    if found:
        return found
    trimmed = tokens
    if len(trimmed) > 1 and trimmed[0] in _IGNORED_PREFIXES:
        trimmed = trimmed[1:]
    if len(trimmed) > 1 and trimmed[-1] in _IGNORED_SUFFIXES:
        trimmed = trimmed[:-1]
    if trimmed is tokens:
        return None
    found = _INDEX.get("".join(trimmed))
    # A looser match is weaker than any exact one.
    return (found[0], found[1] + 1_000) if found else None


class MappingError(ValueError):
    """Raised for a column choice that names an unknown column or feeds a field twice."""


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which field each column of the file feeds (``None`` = not imported).

    ``columns`` keeps the file's column order. ``alternatives`` lists, per field, the
    other columns that also looked like it (shown to the dealer when confirming).
    """

    columns: Mapping[str, CanonicalField | None]
    alternatives: Mapping[CanonicalField, tuple[str, ...]]

    def column_for(self, canonical: CanonicalField) -> str | None:
        """Return the column that feeds ``canonical``, or ``None``."""
        for column, mapped in self.columns.items():
            if mapped is canonical:
                return column
        return None

    @property
    def unmapped(self) -> tuple[str, ...]:
        """Return the columns that feed no field, in file order."""
        return tuple(column for column, mapped in self.columns.items() if mapped is None)

    def missing_required(self) -> tuple[CanonicalField, ...]:
        """Return required fields no column feeds; ``VIN`` stands for "VIN or stock number" missing."""
        mapped = {value for value in self.columns.values() if value is not None}
        missing = [canonical for canonical in REQUIRED_FIELDS if canonical not in mapped]
        if CanonicalField.VIN not in mapped and CanonicalField.STOCK_NUMBER not in mapped:
            missing.insert(0, CanonicalField.VIN)
        return tuple(missing)

    def with_choice(self, column: str, canonical: CanonicalField | None) -> ColumnMapping:
        """Return a copy where ``column`` feeds ``canonical`` (``None`` to skip the column).

        A column that fed ``canonical`` before is set to ``None``. Raises ``MappingError``
        for a column that is not in the file.
        """
        if column not in self.columns:
            raise MappingError(f"The file has no column named {column!r}.")
        columns = {
            name: (None if canonical is not None and mapped is canonical else mapped)
            for name, mapped in self.columns.items()
        }
        columns[column] = canonical
        return ColumnMapping(columns=columns, alternatives=self.alternatives)

    def apply(self, values: Mapping[str, _V]) -> dict[CanonicalField, _V | None]:
        """Return a row's cells keyed by field (``row.values`` → ``{VIN: "1HG...", ...}``)."""
        return {mapped: values.get(column) for column, mapped in self.columns.items() if mapped is not None}


def suggest_mapping(header: Sequence[str]) -> ColumnMapping:
    """Suggest a ``ColumnMapping`` for the column names ``header``.

    Every column is matched with ``match_header``; when several fit one field, the
    strongest name wins (ties: the leftmost column) and the others are listed in
    ``alternatives`` and left unmapped.
    """
    matches: dict[CanonicalField, list[tuple[int, int, str]]] = {}
    for position, column in enumerate(header):
        found = match_header(column)
        if found:
            matches.setdefault(found[0], []).append((found[1], position, column))
    columns: dict[str, CanonicalField | None] = dict.fromkeys(header)
    alternatives: dict[CanonicalField, tuple[str, ...]] = {}
    for canonical, candidates in matches.items():
        candidates.sort()
        columns[candidates[0][2]] = canonical
        if len(candidates) > 1:
            alternatives[canonical] = tuple(column for _, _, column in candidates[1:])
    return ColumnMapping(columns=columns, alternatives=alternatives)


__all__ = [
    "REQUIRED_FIELDS",
    "SYNONYMS",
    "CanonicalField",
    "ColumnMapping",
    "MappingError",
    "match_header",
    "normalize_header",
    "suggest_mapping",
]
