import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.imports.values import (
    DistanceUnit,
    ValueParseError,
    VehicleCondition,
    ambiguous_separator,
    clean_text,
    csv_safe,
    decimal_evidence,
    file_decimal_separator,
    is_missing,
    looks_like_formula,
    parse_arrival_date,
    parse_condition,
    parse_model_year,
    parse_odometer,
    parse_price,
)


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("$25,998", None, Decimal("25998")),
        ("25998", None, Decimal("25998")),
        ("CAD 25,998.00", None, Decimal("25998.00")),
        ("25,998.00 CAD", None, Decimal("25998.00")),
        ("C$25,998", "CAD", Decimal("25998.00")),
        ("$25,998", "CAD", Decimal("25998.00")),  # "$" is any dollar; held at 2 decimals
        ("US$ 1,000", "USD", Decimal("1000.00")),
        ("0", None, Decimal("0")),
        ("0", "CAD", Decimal("0.00")),
        ("", None, None),
        ("null", "CAD", None),
        ("  N/A ", None, None),
        (None, "CAD", None),
        (25998, "CAD", Decimal("25998.00")),
        (Decimal("25998.5"), "CAD", Decimal("25998.50")),
        ("25 998,00 $", "CAD", Decimal("25998.00")),  # Quebec French: space groups, comma decimal
        ("25\u00a0998,00\u00a0$", "CAD", Decimal("25998.00")),  # the same with no-break spaces
        ("1.234.567", None, Decimal("1234567")),
        ("1.234,50", None, Decimal("1234.50")),
        ("25,99", None, Decimal("25.99")),  # lone comma + 2 digits is a decimal comma
        ("₩25,900,000", "KRW", Decimal("25900000")),
        ("25,900,000원", "KRW", Decimal("25900000")),
        ("2,590만원", "KRW", Decimal("25900000")),  # 2,590 x 10,000 won
        ("2590만", None, Decimal("25900000")),
        ("KRW 25900000", "KRW", Decimal("25900000")),
        ("฿1,250,000", "THB", Decimal("1250000.00")),
        ("1,250,000 บาท", "THB", Decimal("1250000.00")),
        ("１２３４", None, Decimal("1234")),  # full-width digits
    ],
)
def test_parse_price(raw, currency, expected):
    result = parse_price(raw, currency=currency)
    assert result == expected
    if expected is not None:
        assert isinstance(result, Decimal)
        assert str(result) == str(expected)  # same exponent, e.g. 25998.00 not 25998


@pytest.mark.parametrize(
    ("raw", "currency", "message"),
    [
        ("Call for price", None, "is not a number"),
        ("TBD 5", None, "is not a number"),
        ("-500", None, "is negative"),
        ("$-500", None, "is negative"),
        (-1, None, "is negative"),
        ("12,34.5", None, "misplaced thousands"),
        ("1,234,56", None, "misplaced thousands"),
        ("1,234.567,89", None, "misplaced thousands"),  # mixed grouping characters
        ("USD 25,998", "CAD", "is not in CAD"),
        ("₩25,900", "CAD", "is not in CAD"),
        ("$25,900", "KRW", "is not in KRW"),
        ("25998.5", "KRW", "more decimals than KRW allows"),
        ("25.998", "CAD", "more decimals than CAD allows"),  # probably 25,998 typed the European way
        ("$25 €", None, "more than one currency"),
        ("USD 5 ₩", None, "more than one currency"),
        (".", None, "is not a number"),
    ],
)
def test_parse_price_errors(raw, currency, message):
    with pytest.raises(ValueParseError, match=message):
        parse_price(raw, currency=currency)


def test_parse_price_refuses_floats_and_bad_currency():
    with pytest.raises(TypeError):
        parse_price(25998.0)
    with pytest.raises(ValueError, match="ISO 4217"):
        parse_price("1", currency="won")


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_property_price_formats_round_trip(dollars, cents):
    # Writing the same amount with grouping, a sign and a code never changes its value.
    expected = Decimal(f"{dollars}.{cents:02d}")
    assert parse_price(f"${dollars:,}.{cents:02d}", currency="CAD") == expected
    assert parse_price(f"CAD {dollars}.{cents:02d}") == expected
    european = f"{dollars:,}".replace(",", ".") + f",{cents:02d}"
    assert parse_price(european) == expected


@pytest.mark.parametrize(
    ("raw", "reading", "unit", "from_text", "km", "mi"),
    [
        # 44,190 mi x 1.609344 = 71,116.911... -> 71,117 km
        ("44,190 Miles", 44190, DistanceUnit.MI, True, 71117, 44190),
        # 12,000 km / 1.609344 = 7,456.45... -> 7,456 mi
        ("12,000 km", 12000, DistanceUnit.KM, True, 12000, 7456),
        ("12000", 12000, DistanceUnit.KM, False, 12000, 7456),
        (12000, 12000, DistanceUnit.KM, False, 12000, 7456),
        ("12000km", 12000, DistanceUnit.KM, True, 12000, 7456),
        ("12,000 KMs", 12000, DistanceUnit.KM, True, 12000, 7456),
        ("12 000 km.", 12000, DistanceUnit.KM, True, 12000, 7456),
        ("15,000 กม.", 15000, DistanceUnit.KM, True, 15000, 9321),  # 15,000 / 1.609344 = 9,320.57
        ("100 mi", 100, DistanceUnit.MI, True, 161, 100),  # 160.9344 -> 161
        ("8", 8, DistanceUnit.KM, False, 8, 5),  # 4.97 -> 5; a new truck in the Kijiji file
        ("0", 0, DistanceUnit.KM, False, 0, 0),
        (Decimal("12000.5"), 12001, DistanceUnit.KM, False, 12001, 7457),  # half-up; 12001/1.609344 = 7457.08
    ],
)
def test_parse_odometer(raw, reading, unit, from_text, km, mi):
    result = parse_odometer(raw)
    assert (result.reading, result.unit, result.unit_from_text) == (reading, unit, from_text)
    assert (result.kilometres, result.miles) == (km, mi)
    assert result.converted is (unit is DistanceUnit.MI)


def test_parse_odometer_default_unit_miles():
    # 30,000 mi x 1.609344 = 48,280.32 -> 48,280 km
    result = parse_odometer("30000", default_unit=DistanceUnit.MI)
    assert (result.unit, result.unit_from_text, result.kilometres) == (DistanceUnit.MI, False, 48280)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-5 km", "negative"),
        ("12 furlongs", "unknown unit"),
        ("low", "not a number"),
        ("12k", "unknown unit"),  # "k" is too ambiguous (thousand?) to guess
        (-5, "negative"),
    ],
)
def test_parse_odometer_errors(raw, message):
    with pytest.raises(ValueParseError, match=message):
        parse_odometer(raw)


def test_parse_odometer_missing():
    assert parse_odometer(None) is None
    assert parse_odometer(" null ") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019", 2019),
        ("2019.0", 2019),
        (" 2019 ", 2019),
        (2019, 2019),
        (Decimal("2019.0"), 2019),
        ("", None),
        ("null", None),
        (None, None),
    ],
)
def test_parse_model_year(raw, expected):
    assert parse_model_year(raw, latest=2027) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0", "not a year"),  # one Kijiji row has model_year 0
        ("19", "not a year"),
        ("MY2019", "not a year"),
        ("2019.5", "not a whole year"),
        (Decimal("2019.5"), "not a whole year"),
        ("2031", "later than 2027"),
        (1899, "not a year"),
    ],
)
def test_parse_model_year_errors(raw, message):
    with pytest.raises(ValueParseError, match=message):
        parse_model_year(raw, latest=2027)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("New", VehicleCondition.NEW),
        ("Used", VehicleCondition.USED),
        ("Certified Pre-Owned", VehicleCondition.CPO),
        ("certified pre owned", VehicleCondition.CPO),
        ("CPO", VehicleCondition.CPO),
        ("Demo", VehicleCondition.DEMO),
        ("Lease Takeover", VehicleCondition.LEASE_TAKEOVER),
        ("LEASE_TAKEOVER", VehicleCondition.LEASE_TAKEOVER),
        ("Pre-owned", VehicleCondition.USED),
        ("중고차", VehicleCondition.USED),
        ("มือสอง", VehicleCondition.USED),
        ("신차", VehicleCondition.NEW),
        ("", None),
        (None, None),
    ],
)
def test_parse_condition(raw, expected):
    assert parse_condition(raw) == expected


def test_parse_condition_codes_and_unknown():
    assert [c.value for c in VehicleCondition] == ["new", "used", "cpo", "demo", "lease_takeover"]
    with pytest.raises(ValueParseError, match="not one of"):
        parse_condition("Salvage")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Loaded, sunroof  ", "Loaded, sunroof"),
        ("line1\r\nline2", "line1\nline2"),
        ("nul\x00byte", "nulbyte"),
        ("Cafe\u0301", "Café"),  # NFC: e + combining acute -> é
        ("=HYPERLINK(\"http://x\")", "=HYPERLINK(\"http://x\")"),  # kept as text, never evaluated
        ("null", None),
        ("\x00", None),
        (12, "12"),
        (None, None),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


def test_clean_text_length_limit():
    assert clean_text("abc", max_length=3) == "abc"
    with pytest.raises(ValueParseError, match="4 characters long; the limit is 3"):
        clean_text("abcd", max_length=3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Civic LX", "Civic LX"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        (-5, "-5"),  # numbers stay numbers
        (Decimal("-5.00"), "-5.00"),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_csv_safe_survives_a_csv_round_trip():
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_safe('=HYPERLINK("http://evil","x")'), csv_safe("ok")])
    row = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert row == ["'=HYPERLINK(\"http://evil\",\"x\")", "ok"]


def test_looks_like_formula_and_is_missing():
    assert looks_like_formula("=A1")
    assert not looks_like_formula("A1")
    assert not looks_like_formula(None)
    assert not looks_like_formula("")
    assert is_missing(" NA ")
    assert not is_missing("0")
    with pytest.raises(TypeError):
        is_missing(1.5)


@given(st.text())
def test_property_csv_safe_output_never_starts_a_formula(text):
    assert not looks_like_formula(csv_safe(text))


# --- number dialects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ambiguous", "evidence"),
    [
        ("173,900", ",", None),  # 173900 or 173.9
        ("1.234", ".", None),  # 1234 or 1.234
        ("12 173,900", ",", None),
        ("1.234,56", None, ","),  # both: the last one is decimal
        ("25,998.00", None, "."),
        ("12,5", None, ","),  # not three digits after it: decimal
        ("25998.00", None, "."),
        ("1.234.567", None, ","),  # a repeated dot groups, so the comma is decimal
        ("1,234,567", None, "."),
        ("€ 1.234,56", None, ","),  # marks around the number are ignored
        ("173900", None, None),
        ("", None, None),
    ],
)
def test_ambiguous_separator_and_decimal_evidence(text, ambiguous, evidence):
    assert ambiguous_separator(text) == ambiguous
    assert decimal_evidence(text) == evidence


@pytest.mark.parametrize(
    ("cells", "delimiter", "locale", "expected"),
    [
        (["173,900", "1.234,56", "9.990,00"], ",", "en_CA", (",", "column")),  # the column's 1.234,56 wins
        (["173,900", "25,998.00"], ";", "de_DE", (".", "column")),  # ... over the delimiter and the locale
        (["173,900", "25998"], ";", "en_CA", (",", "delimiter")),  # nothing proven: a ';' CSV has decimal commas
        (["173,900", "25998"], ",", "de_DE", (",", "locale")),
        (["173,900"], ",", "ru_RU", (",", "locale")),
        (["173,900"], None, "en_CA", (".", "locale")),
        (["173,900"], None, "ko_KR", (".", "locale")),
        (["173,900"], None, "th_TH", (".", "locale")),
        (["12,5", "7.5"], None, "de_DE", (",", "locale")),  # a tie proves nothing
        ([Decimal("173900"), 25998, None], None, None, (".", "locale")),  # typed numbers prove nothing
        (["173,900"], None, "xx_YY", (".", "locale")),  # unknown locale
    ],
)
def test_file_decimal_separator(cells, delimiter, locale, expected):
    assert file_decimal_separator(cells, delimiter=delimiter, locale=locale) == expected


@pytest.mark.parametrize(
    ("value", "currency", "decimal", "expected"),
    [
        ("173,900", "EUR", ".", Decimal("173900.00")),  # ',' groups in a decimal-point file
        ("173.900", "EUR", ",", Decimal("173900.00")),  # '.' groups in a decimal-comma file
        ("173.900 €", "EUR", ",", Decimal("173900.00")),
        ("1.234,56", "EUR", ",", Decimal("1234.56")),  # unambiguous values read by their shape
        ("25,998.00", "CAD", ",", Decimal("25998.00")),
        ("173,900", "EUR", None, Decimal("173900.00")),  # no dialect known (API): the old reading
        ("173,900", "EUR", ",", "ambiguous: ',' is the decimal separator in this file"),
        ("1.234", "USD", ".", "ambiguous: '.' is the decimal separator in this file"),
        ("173,900 RUB", "RUB", ",", "if ',' separates thousands, write 173900"),
    ],
)
def test_parse_price_in_a_dialect(value, currency, decimal, expected):
    if isinstance(expected, Decimal):
        assert parse_price(value, currency=currency, decimal=decimal) == expected
    else:
        with pytest.raises(ValueParseError, match=re.escape(expected)):
            parse_price(value, currency=currency, decimal=decimal)


# --- arrival dates ---------------------------------------------------------------------------
# Serials by hand: 2025-01-01 is 45658 in the 1900 system (epoch 1899-12-30), 2026-01-01 is
# 45658 + 365 = 46023, and 3 November is day 31+28+31+30+31+30+31+31+30+31+3 = 307 of 2026, so
# 2026-11-03 = 46023 + 306 = 46329. The 1904 system starts 1,462 days later: 46329 - 1462 = 44867.
E1900, E1904 = datetime(1899, 12, 30), datetime(1904, 1, 1)


@pytest.mark.parametrize(
    ("value", "epoch", "expected"),
    [
        (46329, E1900, date(2026, 11, 3)),
        (Decimal("46329"), E1900, date(2026, 11, 3)),
        ("46329", E1900, date(2026, 11, 3)),
        (44867, E1904, date(2026, 11, 3)),
        (Decimal("46329.75"), E1900, date(2026, 11, 3)),  # a time of day is dropped
        (datetime(2026, 11, 3, 9, 30), None, date(2026, 11, 3)),  # an XLSX date cell
        (date(2026, 11, 3), None, date(2026, 11, 3)),
        ("2026-11-03", None, date(2026, 11, 3)),
        ("2026-11-03T00:00:00", None, date(2026, 11, 3)),
        ("2026/11/03", None, date(2026, 11, 3)),
        ("03.11.2026", None, date(2026, 11, 3)),  # German and Russian: day first
        ("", None, None),
        (None, None, None),
        ("n/a", None, None),
        (46329, None, "is not a date"),  # a serial needs the workbook's date system
        ("03/11/2026", None, "is not a date"),  # 3 November or March 11: refused
        ("2026-02-30", None, "is not a date"),
        ("soon", None, "is not a date"),
        ("2026-12-01", None, "is in the future"),  # today is 2026-11-10 below
    ],
)
def test_parse_arrival_date(value, epoch, expected):
    today = date(2026, 11, 10)
    if isinstance(expected, str):
        with pytest.raises(ValueParseError, match=expected):
            parse_arrival_date(value, epoch=epoch, today=today)
    else:
        assert parse_arrival_date(value, epoch=epoch, today=today) == expected
