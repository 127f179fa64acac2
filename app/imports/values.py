"""Parse the messy cell values of dealer stock files into typed values.

Money follows ``app.domain.money``: prices become ``Decimal`` (never float) and, when the
dealer's currency is given, are held at its minor unit. Odometers become whole
kilometres and miles (1 mile = 1.609344 km exactly, international yard and pound
agreement of 1959). Text is kept verbatim, never evaluated; ``csv_safe`` guards exports
against spreadsheet formula injection as OWASP recommends.

Every parser takes the raw cell (``str``, or ``int``/``Decimal`` as spreadsheet readers
give them, or ``None``), returns ``None`` for a missing value and raises
``ValueParseError`` with a short English message for a value it cannot read. Floats are
refused with ``TypeError``: readers convert spreadsheet numbers to ``Decimal`` first.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from babel import Locale, UnknownLocaleError
from babel.numbers import get_decimal_symbol, is_currency

from app.domain.money import minor_units, round_money
from app.domain.vin import MISSING_TOKENS

RawValue = str | int | Decimal | None

MILE_IN_KM = Decimal("1.609344")

#: First characters that make a spreadsheet treat a cell as a formula (OWASP "CSV Injection").
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


class ValueParseError(ValueError):
    """Raised for a cell value that cannot be read as the expected kind (price, year, ...)."""


def _check_type(value: object) -> None:
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("Cell values must be str, int or Decimal, not float or bool")
    if value is not None and not isinstance(value, (str, int, Decimal)):
        raise TypeError(f"Unsupported cell value type: {type(value).__name__}")


def _text(value: str) -> str:
    # NFKC turns full-width digits and signs (common in Korean and Japanese files) and
    # no-break spaces into their plain forms.
    return unicodedata.normalize("NFKC", value).strip()


def is_missing(value: RawValue) -> bool:
    """Return True when ``value`` is ``None`` or a text in ``MISSING_TOKENS``."""
    _check_type(value)
    return value is None or (isinstance(value, str) and _text(value).casefold() in MISSING_TOKENS)


# --- numbers -----------------------------------------------------------------------------

_GROUP_CHARS = " '"
_NUMBER_CHARS = re.compile(r"[0-9.,' ]+")


# One "." or "," followed by exactly three digits: "173,900", "1.234", "12 173,900".
_AMBIGUOUS = re.compile(r"\d{1,3}(?:[ ']\d{3})*(?P<sep>[.,])\d{3}")


def ambiguous_separator(text: str) -> str | None:
    """Return ``","`` or ``"."`` when the number ``text`` reads two ways, else ``None``.

    ``"173,900"`` is 173900 with a thousands comma or 173.9 with a decimal comma;
    ``"1.234"`` is 1234 or 1.234. Only one separator, once, followed by exactly three digits.
    """
    match = _AMBIGUOUS.fullmatch(_text(text))
    return match.group("sep") if match else None


def decimal_evidence(value: RawValue) -> str | None:
    """Return the decimal separator (``"."`` or ``","``) that the cell ``value`` proves, else ``None``.

    Proof: both separators (the last one is the decimal one: ``"1.234,56"`` → ``","``), one
    separator not followed by exactly three digits (``"12,5"``, ``"25998.00"``), or one
    separator repeated (``"1.234.567"`` groups, so ``","`` is decimal). Numbers, missing and
    ambiguous cells prove nothing. Currency marks and words around the number are ignored.
    """
    if not isinstance(value, str):
        return None
    match = re.search(r"\d[\d.,' ]*\d|\d", _text(value))
    if not match:
        return None
    number = match.group(0).strip()
    points, commas = number.count("."), number.count(",")
    if points and commas:
        return "." if number.rfind(".") > number.rfind(",") else ","
    if points + commas == 0:
        return None
    sep = "." if points else ","
    if points + commas > 1:
        return "," if sep == "." else "."
    return None if re.search(rf"\{sep}\d{{3}}$", number) else sep


def file_decimal_separator(
    cells: Iterable[RawValue], *, delimiter: str | None = None, locale: str | None = None
) -> tuple[str, str]:
    """Decide a file's decimal separator from its money cells, its CSV delimiter and the dealer's locale.

    Returns ``(separator, source)`` with ``source`` one of ``"column"``, ``"delimiter"``,
    ``"locale"``. Order: the cells that prove a separator (``decimal_evidence``; the majority
    wins, a tie proves nothing); else a ``;``-separated CSV means a decimal comma (the comma
    is taken, which is why such exports use semicolons); else the decimal symbol of
    ``locale`` (a Babel locale such as ``"de_DE"``, ``"ru_RU"``, ``"en_CA"``; ``"."`` when
    unknown or ``None``).
    """
    votes = Counter(sep for sep in map(decimal_evidence, cells) if sep)
    if votes and votes["."] != votes[","]:
        return votes.most_common(1)[0][0], "column"
    if delimiter == ";":
        return ",", "delimiter"
    return locale_decimal_separator(locale), "locale"


def locale_decimal_separator(locale: str | None) -> str:
    """Return the decimal symbol of the Babel ``locale`` (``"de_DE"`` → ``","``), ``"."`` when unknown."""
    if not locale:
        return "."
    try:
        symbol = get_decimal_symbol(Locale.parse(locale))
    except (ValueError, TypeError, UnknownLocaleError):
        return "."
    return "," if symbol == "," else "."


def _plain_number(text: str, what: str, original: str, decimal: str | None = None) -> Decimal:
    """Turn ``"25,998.00"``, ``"25 998,00"``, ``"1.234.567"`` into a Decimal.

    The decimal separator is the last of ``.``/``,`` when both appear; one separator repeated
    groups thousands. A lone separator followed by exactly three digits (``"173,900"``,
    ``"1.234"``) reads two ways: with ``decimal`` (the file's decimal separator) the other one
    groups thousands and the value is read so, but when it *is* the decimal separator the value
    is refused as ambiguous (three decimals on a price means a thousands separator from another
    convention); without ``decimal`` a lone comma groups and a lone dot is a decimal point.
    Grouped integer parts must use groups of three digits.
    """
    if not _NUMBER_CHARS.fullmatch(text) or not any(ch.isdigit() for ch in text):
        raise ValueParseError(f"{what} {original!r} is not a number.")
    ambiguous = ambiguous_separator(text)
    if ambiguous and decimal is not None:
        if ambiguous == decimal:
            grouped = re.sub(r"[.,' ]", "", text)
            raise ValueParseError(
                f"{what} {original!r} is ambiguous: {ambiguous!r} is the decimal separator in this file, so it "
                f"would have three decimals; if {ambiguous!r} separates thousands, write {grouped}."
            )
        return Decimal(re.sub(r"[.,' ]", "", text))
    if "." in text and "," in text:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
    elif text.count(",") == 1 and not re.search(r",\d{3}$", text):
        decimal_sep = ","
    elif "," in text:
        decimal_sep = ""
    elif text.count(".") == 1:
        decimal_sep = "."
    else:
        decimal_sep = ""
    if decimal_sep:
        whole, _, fraction = text.rpartition(decimal_sep)
    else:
        whole, fraction = text, ""
    grouping = {",", "."} - {decimal_sep}
    if not fraction.isdigit() and fraction:
        raise ValueParseError(f"{what} {original!r} is not a number.")
    if any(ch in whole for ch in (*grouping, *_GROUP_CHARS)):
        if not re.fullmatch(r"\d{1,3}(?:(?P<sep>[,.' ])\d{3}(?:(?P=sep)\d{3})*)?", whole):
            raise ValueParseError(f"{what} {original!r} has misplaced thousands separators.")
        whole = re.sub(r"[,.' ]", "", whole)
    if not whole.isdigit():
        raise ValueParseError(f"{what} {original!r} is not a number.")
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


def _number_from(value: int | Decimal, what: str) -> Decimal:
    result = Decimal(value)
    if not result.is_finite():
        raise ValueParseError(f"{what} {value!r} is not a finite number.")
    return result


# --- prices ------------------------------------------------------------------------------

_DOLLARS = frozenset({"CAD", "USD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD"})
# Longest first, so "CA$" is taken before "$" and "만원" before "원".
_CURRENCY_MARKS: tuple[tuple[str, frozenset[str]], ...] = (
    ("CA$", frozenset({"CAD"})),
    ("C$", frozenset({"CAD"})),
    ("US$", frozenset({"USD"})),
    ("$", _DOLLARS),
    ("₩", frozenset({"KRW"})),
    ("원", frozenset({"KRW"})),
    ("฿", frozenset({"THB"})),
    ("บาท", frozenset({"THB"})),
    ("€", frozenset({"EUR"})),
    ("£", frozenset({"GBP"})),
    ("¥", frozenset({"JPY", "CNY"})),
)
_ISO_CODE_AT_EDGE = re.compile(r"^([A-Za-z]{3})(?=[\s\d$])|(?<=[\s\d])([A-Za-z]{3})$")
# Korean listings quote prices in units of 10,000 won: "2,590만원" = 25,900,000 KRW.
_MAN = "만"
_MAN_FACTOR = 10_000


def parse_price(value: RawValue, *, currency: str | None = None, decimal: str | None = None) -> Decimal | None:
    """Parse a price cell (``"$25,998"``, ``"CAD 25,998.00"``, ``"25998"``, ``"2,590만원"``).

    Returns ``None`` for a missing cell, else a non-negative ``Decimal``. Accepts a
    currency sign (``$ ₩ ฿ € £ ¥``, ``C$``, ``US$``), an ISO 4217 code before or after the
    amount, the words 원/บาท, and 만 (x10,000, Korean). With ``currency`` (the dealer's ISO
    code) the written currency must match it and the amount may not have more decimals
    than the currency's minor unit; the result is then held at that unit
    (``"25998"`` CAD → ``Decimal("25998.00")``). ``"0"`` gives ``Decimal("0")``: whether a
    zero price is acceptable is the importer's call. ``decimal`` is the file's decimal
    separator (``file_decimal_separator``): it settles ``"173,900"`` / ``"1.234"`` (see
    ``_plain_number``; ambiguous against it → ``ValueParseError``).
    Raises ``ValueParseError`` for text that is not a price, a negative amount or a
    currency clash; ``TypeError`` for floats.
    """
    _check_type(value)
    if currency is not None:
        minor_units(currency)  # validates the code
    if value is None:
        return None
    if isinstance(value, (int, Decimal)):
        amount = _number_from(value, "Price")
        written: frozenset[str] = frozenset()
    else:
        text = _text(value)
        if text.casefold() in MISSING_TOKENS:
            return None
        amount, written = _parse_price_text(text, value, decimal)
    if amount < 0:
        raise ValueParseError(f"Price {value!r} is negative.")
    if currency is not None:
        if written and currency not in written:
            raise ValueParseError(f"Price {value!r} is not in {currency}.")
        rounded = round_money(amount, currency)
        if rounded != amount:
            raise ValueParseError(
                f"Price {value!r} has more decimals than {currency} allows ({minor_units(currency)})."
            )
        return rounded
    return amount


def _parse_price_text(text: str, original: str, decimal: str | None = None) -> tuple[Decimal, frozenset[str]]:
    written: set[str] = set()
    factor = 1
    for mark, currencies in _CURRENCY_MARKS:
        if mark in text:
            if written:
                raise ValueParseError(f"Price {original!r} names more than one currency.")
            written |= currencies
            text = text.replace(mark, " ").strip()
    if text.endswith(_MAN):
        factor = _MAN_FACTOR
        written = written or {"KRW"}
        text = text[: -len(_MAN)].strip()
    match = _ISO_CODE_AT_EDGE.search(text)
    if match:
        code = (match.group(1) or match.group(2)).upper()
        if not is_currency(code):
            raise ValueParseError(f"Price {original!r} is not a number.")
        if written and code not in written:
            raise ValueParseError(f"Price {original!r} names more than one currency.")
        written = {code}
        text = (text[: match.start()] + text[match.end() :]).strip()
    negative = text.startswith("-")
    if negative:
        text = text[1:].strip()
    amount = _plain_number(text, "Price", original, decimal) * factor
    return (-amount if negative else amount), frozenset(written)


# --- odometer ----------------------------------------------------------------------------


class DistanceUnit(StrEnum):
    """Unit an odometer reads in."""

    KM = "km"
    MI = "mi"


_UNIT_WORDS: dict[str, DistanceUnit] = {
    **dict.fromkeys(
        ["km", "kms", "kilometer", "kilometers", "kilometre", "kilometres", "กม", "กิโลเมตร",
         "킬로미터", "키로", "км"],
        DistanceUnit.KM,
    ),
    **dict.fromkeys(["mi", "mile", "miles", "mls", "ไมล์", "마일", "миль", "мили", "миля"], DistanceUnit.MI),
}


@dataclass(frozen=True, slots=True)
class OdometerReading:
    """An odometer value: as read (``reading`` in ``unit``) and converted both ways.

    ``unit_from_text`` is False when the cell had no unit and ``default_unit`` was used.
    ``kilometres`` and ``miles`` are whole numbers, rounded half-up from
    ``reading x 1.609344`` or ``reading / 1.609344``.
    """

    reading: int
    unit: DistanceUnit
    unit_from_text: bool
    kilometres: int
    miles: int

    @property
    def converted(self) -> bool:
        """Return True when ``kilometres`` was computed from miles."""
        return self.unit is DistanceUnit.MI


def _whole(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_odometer(value: RawValue, *, default_unit: DistanceUnit = DistanceUnit.KM) -> OdometerReading | None:
    """Parse an odometer cell (``"44,190 Miles"``, ``"12,000 km"``, ``"12000"``, ``12000``).

    The unit is read from the text (km/kms/kilometres/กม./км, mi/miles/ไมล์/마일) or, when
    absent, is ``default_unit``. Fractions are rounded half-up to whole units.
    Returns ``None`` for a missing cell. Raises ``ValueParseError`` for a negative
    reading, an unknown unit or text that is not a number.
    """
    _check_type(value)
    if value is None:
        return None
    unit_from_text = False
    unit = default_unit
    if isinstance(value, (int, Decimal)):
        amount = _number_from(value, "Odometer")
    else:
        text = _text(value)
        if text.casefold() in MISSING_TOKENS:
            return None
        match = re.fullmatch(r"(-?)\s*([0-9.,' ]*[0-9])\s*([^\d\s.,'-][^\d]*)?", text)
        if not match:
            raise ValueParseError(f"Odometer {value!r} is not a number.")
        if match.group(1):
            raise ValueParseError(f"Odometer {value!r} is negative.")
        if match.group(3):
            word = match.group(3).strip().rstrip(".").casefold()
            if word not in _UNIT_WORDS:
                raise ValueParseError(f"Odometer {value!r} has an unknown unit {match.group(3).strip()!r}.")
            unit = _UNIT_WORDS[word]
            unit_from_text = True
        amount = _plain_number(match.group(2), "Odometer", value)
    if amount < 0:
        raise ValueParseError(f"Odometer {value!r} is negative.")
    reading = _whole(amount)
    if unit is DistanceUnit.KM:
        kilometres, miles = reading, _whole(reading / MILE_IN_KM)
    else:
        kilometres, miles = _whole(reading * MILE_IN_KM), reading
    return OdometerReading(
        reading=reading, unit=unit, unit_from_text=unit_from_text, kilometres=kilometres, miles=miles
    )


# --- model year --------------------------------------------------------------------------

EARLIEST_MODEL_YEAR = 1900


def parse_model_year(value: RawValue, *, latest: int | None = None) -> int | None:
    """Parse a model-year cell (``"2019"``, ``"2019.0"``, ``2019``, ``Decimal("2019.0")``).

    Returns ``None`` for a missing cell. A year must have four digits and lie between
    1900 and ``latest`` (e.g. next calendar year, supplied by the caller so this stays pure).
    Raises ``ValueParseError`` otherwise (``"19"``, ``"0"``, ``"2019.5"``, ``"MY2019"``).
    """
    _check_type(value)
    if value is None:
        return None
    if isinstance(value, (int, Decimal)):
        number = _number_from(value, "Model year")
    else:
        text = _text(value)
        if text.casefold() in MISSING_TOKENS:
            return None
        if not re.fullmatch(r"\d+(\.\d+)?", text):
            raise ValueParseError(f"Model year {value!r} is not a year.")
        number = Decimal(text)
    if number != number.to_integral_value():
        raise ValueParseError(f"Model year {value!r} is not a whole year.")
    year = int(number)
    if year < EARLIEST_MODEL_YEAR:
        raise ValueParseError(f"Model year {value!r} is not a year.")
    if latest is not None and year > latest:
        raise ValueParseError(f"Model year {year} is later than {latest}.")
    return year


# --- dates -------------------------------------------------------------------------------

#: The 1900 date system's epoch as openpyxl gives it (serial 1 = 1900-01-01, with Lotus's 1900-02-29).
EXCEL_1900_EPOCH = datetime(1899, 12, 30)
_DATE_FORMATS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"), "ymd"),  # ISO 8601, 2026/11/03
    (re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"), "dmy"),  # German and Russian 03.11.2026
)


def parse_arrival_date(
    value: RawValue | date, *, epoch: datetime | None = None, today: date | None = None
) -> date | None:
    """Parse an in-stock / arrival date cell into a ``date``.

    Accepts a ``date``/``datetime`` (XLSX date cells), ISO text (``"2026-11-03"``, also with a
    time or ``/``), ``"03.11.2026"`` (day first, as German and Russian write it) and, when
    ``epoch`` is the workbook's date system, a serial number (an XLSX date typed into a
    general-formatted cell: ``46329`` → 2026-11-03 in the 1900 system), converted with
    ``openpyxl.utils.datetime.from_excel``. Slash dates such as ``03/11/2026`` read both ways
    and are refused. ``today`` refuses future dates. Returns ``None`` for a missing cell;
    raises ``ValueParseError`` otherwise.
    """
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        _check_type(value)
        if value is None or is_missing(value):
            return None
        if isinstance(value, (int, Decimal)) or _text(str(value)).replace(".", "", 1).isdigit():
            number = Decimal(value if isinstance(value, (int, Decimal)) else _text(value))
            if epoch is None or not number.is_finite() or not 1 <= number < 2_958_466:  # 9999-12-31
                raise ValueParseError(f"Date {value!r} is not a date.")
            from openpyxl.utils.datetime import from_excel  # lazy: only XLSX serials need it

            result = from_excel(float(number), epoch=epoch).date()  # a day count, not money: float is exact here
        else:
            result = _date_from_text(_text(value), value)
    if today is not None and result > today:
        raise ValueParseError(f"Date {value!r} is in the future.")
    return result


def _date_from_text(text: str, original: object) -> date:
    head = text.split("T")[0].split(" ")[0]
    for pattern, _order in _DATE_FORMATS:
        match = pattern.fullmatch(head)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise ValueParseError(f"Date {original!r} is not a date (write it as 2026-11-03).")


# --- condition ---------------------------------------------------------------------------


class VehicleCondition(StrEnum):
    """Sales condition of a stock vehicle."""

    NEW = "new"
    USED = "used"
    CPO = "cpo"
    DEMO = "demo"
    LEASE_TAKEOVER = "lease_takeover"


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[-_/.]", " ", _text(text).casefold()).split())


_CONDITION_WORDS: dict[str, VehicleCondition] = {
    _fold(word): condition
    for condition, words in {
        VehicleCondition.NEW: ["new", "brand new", "new car", "new vehicle", "신차", "새차", "ใหม่", "รถใหม่", "новый"],
        VehicleCondition.USED: [
            "used", "pre-owned", "preowned", "pre owned", "second hand", "secondhand", "used car",
            "used vehicle", "중고", "중고차", "มือสอง", "รถมือสอง", "б/у", "подержанный",
        ],
        VehicleCondition.CPO: [
            "cpo", "certified", "certified pre-owned", "certified preowned", "certified used",
            "manufacturer certified", "인증중고", "인증중고차", "รถมือสองรับรอง",
        ],
        VehicleCondition.DEMO: ["demo", "demonstrator", "ex-demo", "demo vehicle", "시승차", "รถทดลองขับ"],
        VehicleCondition.LEASE_TAKEOVER: ["lease takeover", "lease take over", "lease transfer", "lease assumption"],
    }.items()
    for word in words
}


def parse_condition(value: RawValue) -> VehicleCondition | None:
    """Map a condition cell to a ``VehicleCondition`` (``"Certified Pre-Owned"`` → ``CPO``).

    Matching ignores case, punctuation and spacing, and knows English, Korean and Thai
    trade words. Returns ``None`` for a missing cell; raises ``ValueParseError`` for an
    unknown condition.
    """
    _check_type(value)
    if is_missing(value):
        return None
    condition = _CONDITION_WORDS.get(_fold(str(value)))
    if condition is None:
        raise ValueParseError(f"Condition {value!r} is not one of new, used, certified pre-owned, demo, lease takeover.")
    return condition


# --- text --------------------------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: RawValue, *, max_length: int | None = None) -> str | None:
    """Return the cell as tidy text: NFC, trimmed, ``\\r\\n`` → ``\\n``, control characters removed.

    The text is otherwise kept verbatim: a cell such as ``"=HYPERLINK(...)"`` stays that
    text and is never evaluated (see ``looks_like_formula``). Numbers become their
    decimal text. Returns ``None`` for a missing cell. Raises ``ValueParseError`` when
    the text is longer than ``max_length`` characters.
    """
    _check_type(value)
    if is_missing(value):
        return None
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARS.sub("", text).strip()
    if not text:
        return None
    if max_length is not None and len(text) > max_length:
        raise ValueParseError(f"Text is {len(text)} characters long; the limit is {max_length}.")
    return text


def looks_like_formula(text: str | None) -> bool:
    """Return True when ``text`` starts with a character a spreadsheet reads as a formula.

    Prefixes ``= + - @``, tab and carriage return (OWASP "CSV Injection"). Used to warn
    about imported cells; the text itself is kept.
    """
    return bool(text) and text.startswith(FORMULA_PREFIXES)


def csv_safe(value: str | int | Decimal | None) -> str:
    """Return ``value`` as a CSV/XLSX export cell that no spreadsheet will run as a formula.

    Text starting with ``= + - @``, tab or carriage return gets a leading ``'`` (OWASP
    "CSV Injection" recommendation); numbers are written as they are (``-5`` stays a
    number); ``None`` becomes ``""``. Quoting of separators is left to the ``csv`` writer.
    """
    if value is None:
        return ""
    _check_type(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    return f"'{value}" if looks_like_formula(value) else value


__all__ = [
    "FORMULA_PREFIXES",
    "MILE_IN_KM",
    "MISSING_TOKENS",
    "DistanceUnit",
    "OdometerReading",
    "RawValue",
    "ValueParseError",
    "VehicleCondition",
    "ambiguous_separator",
    "clean_text",
    "csv_safe",
    "decimal_evidence",
    "file_decimal_separator",
    "is_missing",
    "locale_decimal_separator",
    "looks_like_formula",
    "parse_arrival_date",
    "parse_condition",
    "parse_model_year",
    "parse_odometer",
    "parse_price",
]

