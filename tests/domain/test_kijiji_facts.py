"""Facts about the real Kijiji 2019 listings file, worked out without the importer.

Only the ``csv`` module and ``app.domain.vin`` are used, so the stock importer's own
test can compare its counts with these independent numbers. Each constant says how it
was derived; "row" means a data record (the header is not counted).
"""

import csv
from collections import Counter
from pathlib import Path

import pytest

from app.domain.vin import VIN_LENGTH, IssueCode, check_digit_required, check_vin, normalize_vin

KIJIJI = Path(__file__).resolve().parents[2] / "app" / "demo" / "data" / "kijiji_listings_2019.csv"

# len(rows) with csv.DictReader (quoted fields hold commas, e.g. "Minivan, Van").
TOTAL_ROWS = 3_145
# len(set(tuple(row.values()))): rows that differ in at least one of the 16 fields.
DISTINCT_ROWS = 1_095
# TOTAL_ROWS - DISTINCT_ROWS = 3,145 - 1,095: copies of an earlier row, identical in every field.
EXACT_DUPLICATE_ROWS = 2_050
# Distinct rows that occur more than once (one row appears 19 times).
DUPLICATED_ROW_GROUPS = 573
# vin_number stripped == "": 1,164 rows; == "null": 260 rows; normalize_vin() is None: 1,164 + 260.
EMPTY_VIN_ROWS = 1_164
NULL_VIN_ROWS = 260
MISSING_VIN_ROWS = 1_424
# Present VIN cells with lower-case letters (cell != cell.upper()); 18 distinct values, all
# valid VINs once upper-cased.
LOWER_CASE_VIN_ROWS = 77
LOWER_CASE_VIN_VALUES = 18
# Present VIN cells whose normalised length is not 17: "1CPC3900" x 6 and "3CPC12200" x 4,
# i.e. stock numbers typed into the VIN column (6 + 4 = 10).
NOT_17_CHAR_VIN_ROWS = 10
# 17-character cells: 1,711 rows, one of them ("NEW19CARAVANQUOTE") with the letters O and Q.
SEVENTEEN_CHAR_VIN_ROWS = 1_711
ILLEGAL_LETTER_VIN_ROWS = 1
# 17 legal characters but vininfo's verify_checksum() fails: 75 rows, 32 distinct values.
# 59 rows (26 values) are errors under check_digit_required (WMI 1-5 or L) or an unknown
# maker code ("1111..." values, "NEW19JLWRANGLER4D"); 16 rows (6 values made in Japan,
# Turkey or Europe, e.g. "WAUDFBFR3FA061625") are only warnings. 59 + 16 = 75.
BAD_CHECK_DIGIT_ROWS = 75
BAD_CHECK_DIGIT_VALUES = 32
BAD_CHECK_DIGIT_ERROR_ROWS = 59
BAD_CHECK_DIGIT_WARNING_ROWS = 16
# For a Canadian dealer (check_vin(cell, market="CA")) those 16 rows are errors too: 75 rows.
BAD_CHECK_DIGIT_ERROR_ROWS_CA = 75
# check_vin(cell).vin is not None: 1,651 rows. Every row falls in exactly one bucket:
# 1,424 missing + 10 not 17 chars + 1 illegal letters + 59 check-digit errors + 1,651 valid = 3,145.
VALID_VIN_ROWS = 1_651
# len({check_vin(cell).vin} - {None}); 540 of them also pass the check digit (546 - 6 warnings).
DISTINCT_VALID_VINS = 546
DISTINCT_VINS_WITH_GOOD_CHECK_DIGIT = 540
# With market="CA": 1,651 - 16 = 1,635 valid rows, 546 - 6 = 540 distinct VINs.
VALID_VIN_ROWS_CA = 1_635
DISTINCT_VALID_VINS_CA = 540
# Distinct valid VINs that appear on two rows that are not exact copies of each other.
VINS_ON_DIFFERING_ROWS = 1
# list_price == "0" (no other non-numeric prices occur).
ZERO_PRICE_ROWS = 54
# model == "Other".
OTHER_MODEL_ROWS = 226
# condition == "Lease Takeover" (the rest: "Used" 2,553, "New" 587, "" 1).
LEASE_TAKEOVER_ROWS = 4
# brand == "": one all-blank row whose model_year, list_price and mileage are "0".
ROWS_WITHOUT_MAKE = 1


@pytest.fixture(scope="module")
def rows():
    with KIJIJI.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def checks(rows):
    return [check_vin(row["vin_number"]) for row in rows]


def test_row_counts_and_exact_duplicates(rows):
    assert len(rows) == TOTAL_ROWS
    counts = Counter(tuple(row.values()) for row in rows)
    assert len(counts) == DISTINCT_ROWS
    assert TOTAL_ROWS - DISTINCT_ROWS == EXACT_DUPLICATE_ROWS
    assert sum(1 for n in counts.values() if n > 1) == DUPLICATED_ROW_GROUPS
    assert max(counts.values()) == 19


def test_missing_vins(rows):
    cells = [row["vin_number"] for row in rows]
    assert sum(1 for cell in cells if cell.strip() == "") == EMPTY_VIN_ROWS
    assert sum(1 for cell in cells if cell.strip().casefold() == "null") == NULL_VIN_ROWS
    assert sum(1 for cell in cells if normalize_vin(cell) is None) == MISSING_VIN_ROWS == EMPTY_VIN_ROWS + NULL_VIN_ROWS


def test_lower_case_vins(rows):
    cells = [row["vin_number"] for row in rows]
    lower = [cell for cell in cells if normalize_vin(cell) is not None and cell != cell.upper()]
    assert len(lower) == LOWER_CASE_VIN_ROWS
    assert len(set(lower)) == LOWER_CASE_VIN_VALUES
    assert all(check_vin(cell).is_valid for cell in lower)


def test_vin_column_values_that_are_not_17_characters(checks):
    short = [check for check in checks if check.normalized is not None and len(check.normalized) != VIN_LENGTH]
    assert len(short) == NOT_17_CHAR_VIN_ROWS
    assert Counter(check.normalized for check in short) == {"1CPC3900": 6, "3CPC12200": 4}
    assert all(check.looks_like_stock_number and check.has(IssueCode.STOCK_NUMBER_LIKE) for check in short)


def test_17_character_vins_and_check_digits(checks):
    full = [check for check in checks if check.normalized is not None and len(check.normalized) == VIN_LENGTH]
    assert len(full) == SEVENTEEN_CHAR_VIN_ROWS
    assert [check.normalized for check in full if check.has(IssueCode.ALPHABET)] == ["NEW19CARAVANQUOTE"]
    bad = [check for check in full if check.check_digit_ok is False]
    assert len(bad) == BAD_CHECK_DIGIT_ROWS
    assert len({check.normalized for check in bad}) == BAD_CHECK_DIGIT_VALUES
    assert sum(1 for check in bad if not check.is_valid) == BAD_CHECK_DIGIT_ERROR_ROWS
    warned = [check for check in bad if check.is_valid]
    assert len(warned) == BAD_CHECK_DIGIT_WARNING_ROWS
    assert not any(check_digit_required(check.region) for check in warned)  # none from North America or China


def test_valid_vins_partition_the_rows(checks):
    valid = [check for check in checks if check.is_valid]
    assert len(valid) == VALID_VIN_ROWS
    assert (
        MISSING_VIN_ROWS + NOT_17_CHAR_VIN_ROWS + ILLEGAL_LETTER_VIN_ROWS + BAD_CHECK_DIGIT_ERROR_ROWS + VALID_VIN_ROWS
        == TOTAL_ROWS
    )
    assert len({check.vin for check in valid}) == DISTINCT_VALID_VINS
    assert len({check.vin for check in valid if check.check_digit_ok}) == DISTINCT_VINS_WITH_GOOD_CHECK_DIGIT


def test_a_canadian_dealer_refuses_every_bad_check_digit(rows):
    # The Toronto dealer sells in Canada: the 16 warned rows (Audi, Subaru, Infiniti, Maserati,
    # Land Rover, a Ford built in Turkey) fail there as well.
    checks = [check_vin(row["vin_number"], market="CA") for row in rows]
    bad = [check for check in checks if check.check_digit_ok is False]
    assert len(bad) == BAD_CHECK_DIGIT_ROWS
    assert sum(1 for check in bad if not check.is_valid) == BAD_CHECK_DIGIT_ERROR_ROWS_CA
    valid = [check for check in checks if check.is_valid]
    assert len(valid) == VALID_VIN_ROWS_CA == VALID_VIN_ROWS - BAD_CHECK_DIGIT_WARNING_ROWS
    assert len({check.vin for check in valid}) == DISTINCT_VALID_VINS_CA
    assert all(check.check_digit_ok for check in valid)


def test_vins_on_differing_rows(rows, checks):
    contents: dict[str, set] = {}
    for row, check in zip(rows, checks, strict=True):
        if check.is_valid:
            contents.setdefault(check.vin, set()).add(tuple(row.values()))
    assert sum(1 for variants in contents.values() if len(variants) > 1) == VINS_ON_DIFFERING_ROWS


def test_prices_models_conditions(rows):
    assert sum(1 for row in rows if row["list_price"].strip() == "0") == ZERO_PRICE_ROWS
    assert all(row["list_price"].isdigit() for row in rows)
    assert sum(1 for row in rows if row["model"] == "Other") == OTHER_MODEL_ROWS
    conditions = Counter(row["condition"] for row in rows)
    assert conditions == {"Used": 2_553, "New": 587, "Lease Takeover": LEASE_TAKEOVER_ROWS, "": 1}
    assert sum(1 for row in rows if not row["brand"].strip()) == ROWS_WITHOUT_MAKE
