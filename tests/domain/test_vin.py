import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.vin import (
    IssueCode,
    VinError,
    VinRegion,
    canonical_makes,
    check_digit_required,
    check_vin,
    compute_check_digit,
    looks_like_stock_number,
    make_group,
    makes_agree,
    normalize_vin,
    require_vin,
    sae_check_digit,
    vin_region,
)

# Check digit (SAE J853): transliterate letters (A=1 ... H=8, J=1 ... R=9, S=2 ... Z=9),
# multiply by weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2, sum, mod 11, 10 -> "X".
#
# 1HGCM82633A004352 (2003 Honda Accord):
#   values   1 8 7 3 4 8 2 6  3 3 1 0 0 4 3 5 2   (H=8, G=7, C=3, M=4, A=1)
#   products 8+56+42+15+16+24+4+60+0+27+8+0+0+20+12+15+4 = 311; 311 mod 11 = 3 -> "3" (position 9).
HONDA = "1HGCM82633A004352"
# 1M8GDM9AXKP042788 (the SAE/Wikipedia example):
#   values   1 4 8 7 4 4 9 1  _ 2 7 0 4 2 7 8 8   (M=4, G=7, D=4, A=1, K=2, P=7)
#   products 8+28+48+35+16+12+18+10+0+18+56+0+24+10+28+24+16 = 351; 351 mod 11 = 10 -> "X".
SAE_EXAMPLE = "1M8GDM9AXKP042788"
# From the Kijiji file: a 2011 Ford F-150 (position 10 "B" = 2011) with a correct check digit.
F150 = "1FTFX3EF3BFC53415"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("null", None),
        ("NULL", None),
        ("None", None),
        ("n/a", None),
        ("N/A", None),
        ("na", None),
        ("-", None),
        ("  1hgcm82633a004352 ", HONDA),
        ("1CPC3900", "1CPC3900"),
        ("n/a please", "N/A PLEASE"),  # only whole-cell tokens count as missing
    ],
)
def test_normalize_vin(raw, expected):
    assert normalize_vin(raw) == expected


@pytest.mark.parametrize(("vin", "digit"), [(HONDA, "3"), (SAE_EXAMPLE, "X"), (F150, "3")])
def test_compute_check_digit_hand_computed(vin, digit):
    assert compute_check_digit(vin) == digit
    assert vin[8] == digit


def test_compute_check_digit_rejects_short_value():
    with pytest.raises(VinError, match="17-character"):
        compute_check_digit("1HGCM")


@pytest.mark.parametrize(
    ("raw", "code", "stock_like"),
    [
        (None, IssueCode.MISSING, False),
        ("null", IssueCode.MISSING, False),
        ("1CPC3900", IssueCode.STOCK_NUMBER_LIKE, True),  # seen in the Kijiji VIN column
        ("3cpc12200", IssueCode.STOCK_NUMBER_LIKE, True),
        ("A-1234", IssueCode.STOCK_NUMBER_LIKE, True),
        ("ABCDEFG", IssueCode.LENGTH, False),  # no digit: not a stock number
        ("1HGCM82633A00435", IssueCode.LENGTH, False),  # 16 characters
        ("1HGCM82633A0043520", IssueCode.LENGTH, False),  # 18 characters
        ("NEW19CARAVANQUOTE", IssueCode.ALPHABET, False),  # 17 chars but has O and Q
        ("1HGCM82633A00435I", IssueCode.ALPHABET, False),
        ("1HGCM8263-A004352", IssueCode.ALPHABET, False),
        ("1HGCM82643A004352", IssueCode.CHECK_DIGIT, False),  # North America: 4 != 3
    ],
)
def test_check_vin_errors(raw, code, stock_like):
    result = check_vin(raw)
    assert result.vin is None
    assert not result.is_valid
    assert [issue.code for issue in result.errors] == [code]
    assert result.looks_like_stock_number is stock_like
    assert str(result.errors[0]) == result.errors[0].message != ""


def test_missing_vin_is_flagged_missing():
    assert check_vin("null").is_missing
    assert not check_vin("1CPC3900").is_missing


def test_valid_vin_decodes_make_and_years():
    result = check_vin(" 1hgcm82633a004352", make="Honda", model_year=2003)
    assert result.vin == HONDA
    assert result.errors == ()
    assert result.warnings == ()
    assert result.check_digit_ok is True
    assert result.region is VinRegion.NORTH_AMERICA
    assert result.decoded_make == "Honda"
    # Year code "3" = 2003 (A=1980 ... Y=2000, 1=2001, 2=2002, 3=2003); 2033 is not yet possible.
    assert 2003 in result.decoded_years
    assert result.country == "United States"


def test_decoded_years_cycle_every_30_years():
    # Position 10 "K" -> 1989 and 1989 + 30 = 2019.
    result = check_vin(SAE_EXAMPLE)
    assert {1989, 2019} <= set(result.decoded_years)
    assert list(result.decoded_years) == sorted(result.decoded_years, reverse=True)


@pytest.mark.parametrize(
    ("make", "model_year", "codes"),
    [
        ("Honda", 2003, []),
        ("Acura", 2003, []),  # same group as Honda
        ("HONDA", 2003, []),
        ("Toyota", 2003, [IssueCode.MAKE_MISMATCH]),
        ("Honda", 2004, [IssueCode.YEAR_MISMATCH]),
        ("Toyota", 2019, [IssueCode.YEAR_MISMATCH, IssueCode.MAKE_MISMATCH]),
        ("Other", 2003, []),  # unknown row make: nothing to compare
        (None, None, []),
    ],
)
def test_make_and_year_disagreement_are_warnings(make, model_year, codes):
    result = check_vin(HONDA, make=make, model_year=model_year)
    assert result.vin == HONDA
    assert [issue.code for issue in result.warnings] == codes


def test_make_mismatch_message_names_both_makes():
    result = check_vin(HONDA, make="Toyota")
    assert result.warnings[0].message == "VIN '1HGCM82633A004352' belongs to Honda, but the make is Toyota."


@pytest.mark.parametrize(
    ("vin", "row_make"),
    [
        ("1C4RJFBG6JC379877", "Jeep"),  # vininfo: 1C4 -> Dodge; Jeep is the same group
        ("2CNALDEW5A6238213", "Chevrolet"),  # vininfo: CAMI (GM-Suzuki plant)
        ("WUADUAFG9EN000267", "Audi"),  # vininfo: Quattro
        ("WDDGF81X49F296308", "Mercedes-Benz"),  # vininfo: DaimlerChrysler AG/Daimler AG
        ("3N6CM0KN9FK695346", "Nissan"),  # vininfo says Chevrolet; 3N6 is Nissan Mexicana
        ("JF1ZNAA12D2708546", "Scion"),  # vininfo: "Subaru / Scion" (FR-S)
    ],
)
def test_badge_engineered_makes_do_not_warn(vin, row_make):
    result = check_vin(vin, make=row_make)
    assert not result.has(IssueCode.MAKE_MISMATCH)


@pytest.mark.parametrize(
    ("region", "required"),
    [
        (VinRegion.NORTH_AMERICA, True),
        (VinRegion.CHINA, True),
        (VinRegion.ASIA, False),
        (VinRegion.EUROPE, False),
        (VinRegion.OCEANIA, False),
        (VinRegion.AFRICA, False),
        (VinRegion.SOUTH_AMERICA, False),
        (VinRegion.UNASSIGNED, False),
    ],
)
def test_check_digit_policy(region, required):
    assert check_digit_required(region) is required


@pytest.mark.parametrize("region", list(VinRegion))
@pytest.mark.parametrize(("market", "forced"), [("US", True), ("CA", True), ("ca", True), ("DE", False), ("TH", False), (None, False)])
def test_check_digit_policy_by_market(region, market, forced):
    # A US or Canadian dealer needs a valid check digit on every VIN, wherever it was built.
    expected = forced or region in (VinRegion.NORTH_AMERICA, VinRegion.CHINA)
    assert check_digit_required(region, market) is expected


# Imported VINs from the Kijiji file whose position 9 is wrong, with the SAE J853 digit worked out
# (values · weights 8 7 6 5 4 3 2 10 | 0 | 9 8 7 6 5 4 3 2):
# WAUDFBFR3FA061625  W=6 A=1 U=4 D=4 F=6 B=2 F=6 R=9 | 3 | F=6 A=1 0 6 1 6 2 5
#   48+7+24+20+24+6+12+90 = 231, 54+8+0+36+5+24+6+10 = 143; 374 mod 11 = 0 -> "0" (file has "3").
# JF1SG656E3H707181  J=1 F=6 1 S=2 G=7 6 5 6 | E | 3 H=8 7 0 7 1 8 1
#   8+42+6+10+28+18+10+60 = 182, 27+64+49+0+35+4+24+2 = 205; 387 mod 11 = 2 -> "2" (file has "E").
# SALFR24N29H137239  S=2 A=1 L=3 F=6 R=9 2 4 N=5 | 2 | 9 H=8 1 3 7 2 3 9
#   16+7+18+30+36+6+8+50 = 171, 81+64+7+18+35+8+9+18 = 240; 411 mod 11 = 4 -> "4" (file has "2").
@pytest.mark.parametrize(
    ("vin", "make", "right"),
    [
        ("WAUDFBFR3FA061625", "Audi", "0"),
        ("JF1SG656E3H707181", "Subaru", "2"),
        ("SALFR24N29H137239", "Land Rover", "4"),
    ],
)
@pytest.mark.parametrize(("market", "refused"), [("US", True), ("CA", True), ("DE", False), ("KR", False), (None, False)])
def test_imported_vin_with_bad_check_digit_by_market(vin, make, right, market, refused):
    assert sae_check_digit(vin) == right != vin[8]
    result = check_vin(vin, make=make, market=market)
    assert result.check_digit_ok is False
    issues = result.errors if refused else result.warnings
    assert [issue.code for issue in issues] == [IssueCode.CHECK_DIGIT]
    assert (result.vin is None) is refused
    fixed = vin[:8] + right + vin[9:]
    assert check_vin(fixed, make=make, market=market).vin == fixed  # the corrected digit passes everywhere


@pytest.mark.parametrize("vin", [HONDA, SAE_EXAMPLE, F150])
def test_sae_check_digit_matches_hand_computed(vin):
    assert sae_check_digit(vin) == vin[8]


@pytest.mark.parametrize(
    ("vin", "region"),
    [
        ("1", VinRegion.NORTH_AMERICA),
        ("5", VinRegion.NORTH_AMERICA),
        ("6", VinRegion.OCEANIA),
        ("7", VinRegion.OCEANIA),
        ("9", VinRegion.SOUTH_AMERICA),
        ("0", VinRegion.UNASSIGNED),
        ("A", VinRegion.AFRICA),
        ("H", VinRegion.AFRICA),
        ("J", VinRegion.ASIA),
        ("K", VinRegion.ASIA),
        ("L", VinRegion.CHINA),
        ("R", VinRegion.ASIA),
        ("S", VinRegion.EUROPE),
        ("W", VinRegion.EUROPE),
        ("Z", VinRegion.EUROPE),
        ("", VinRegion.UNASSIGNED),
    ],
)
def test_vin_region_from_first_character(vin, region):
    assert vin_region(vin) is region


def test_bad_check_digit_outside_north_america_is_a_warning():
    # WAUDFBFR3FA061625 (Kijiji, an Audi built in Germany): digit should not be "3".
    result = check_vin("WAUDFBFR3FA061625", make="Audi")
    assert result.vin == "WAUDFBFR3FA061625"
    assert result.check_digit_ok is False
    assert [issue.code for issue in result.warnings] == [IssueCode.CHECK_DIGIT]
    assert result.region is VinRegion.EUROPE


def test_bad_check_digit_in_china_is_an_error():
    # LVSHCAMB8CE000000 -> make it wrong on purpose: compute the right digit, then change it.
    body = "LVSHCAMB0CE012345"
    right = compute_check_digit(body)
    wrong = "1" if right != "1" else "2"
    result = check_vin(body[:8] + wrong + body[9:])
    assert result.vin is None
    assert [issue.code for issue in result.errors] == [IssueCode.CHECK_DIGIT]
    assert check_vin(body[:8] + right + body[9:]).vin is not None


def test_unknown_maker_and_bad_check_digit_is_an_error_everywhere():
    # "NEW19JLWRANGLER4D" was typed into the Kijiji VIN column: 17 legal characters,
    # region N (Asia), maker code NEW unknown and the check digit wrong.
    result = check_vin("NEW19JLWRANGLER4D", make="Jeep", model_year=2019)
    assert result.vin is None
    assert [issue.code for issue in result.errors] == [IssueCode.CHECK_DIGIT]
    assert {issue.code for issue in result.warnings} == {IssueCode.UNKNOWN_MANUFACTURER, IssueCode.YEAR_MISMATCH}


def test_invalid_year_code_is_a_warning():
    # Position 10 "U" is never a model-year code; fix the check digit so only that is wrong.
    body = "1HGCM8260UA004352"
    vin = body[:8] + compute_check_digit(body) + body[9:]
    result = check_vin(vin, model_year=2003)
    assert result.vin == vin
    assert result.decoded_years == ()
    assert [issue.code for issue in result.warnings] == [IssueCode.YEAR_CODE]


def test_alphabet_error_names_the_bad_characters():
    result = check_vin("NEW19CARAVANQUOTE")
    assert result.errors[0].message == (
        "VIN 'NEW19CARAVANQUOTE' contains 'O', 'Q'; a VIN uses only A-Z and 0-9 without I, O and Q."
    )


def test_require_vin():
    assert require_vin(" 1hgcm82633a004352") == HONDA
    with pytest.raises(VinError, match="missing"):
        require_vin("null")
    with pytest.raises(VinError, match="check digit"):
        require_vin("1HGCM82643A004352")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1CPC3900", True),
        ("STK-2041", True),
        ("12/345", True),
        ("ab1", True),
        ("A1", False),  # too short
        ("ABCDEFGHIJ", False),  # no digit
        ("1234567890123", False),  # 13 characters
        (HONDA, False),  # a real VIN
        ("", False),
        (None, False),
        ("12 345", False),  # spaces are not part of stock numbers
    ],
)
def test_looks_like_stock_number(value, expected):
    assert looks_like_stock_number(value) is expected


@pytest.mark.parametrize(
    ("name", "makes"),
    [
        ("Chevrolet Canada", ("Chevrolet",)),
        ("GMC Truck", ("GMC",)),
        ("Subaru / Scion", ("Subaru", "Scion")),
        ("DaimlerChrysler AG/Daimler AG", ("Mercedes-Benz",)),
        ("Mercedes Benz", ("Mercedes-Benz",)),
        ("HUMMER", ("Hummer",)),
        ("land rover", ("Land Rover",)),
        ("Citroën", ("Citroen",)),
        ("Other", ()),
        ("", ()),
        (None, ()),
    ],
)
def test_canonical_makes(name, makes):
    assert canonical_makes(name) == makes


def test_make_groups_and_agreement():
    assert make_group("Jeep") == make_group("Ram") == "Stellantis (FCA)"
    assert make_group("Unheard Of") == "Unheard Of"
    assert makes_agree("Lexus", ["Toyota"]) is True
    assert makes_agree("Kia", ["Ford"]) is False
    assert makes_agree("Other", ["Ford"]) is None
    assert makes_agree("Kia", []) is None


_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# A North American WMI keeps the check digit mandatory in the property below.
_na_vins = st.tuples(
    st.sampled_from(["1HG", "1FT", "2T1", "3VW", "5YJ"]),
    st.text(alphabet=_VIN_CHARS, min_size=14, max_size=14),
).map(lambda parts: parts[0] + parts[1])


@given(_na_vins)
def test_property_computed_check_digit_verifies_and_any_other_fails(vin):
    digit = compute_check_digit(vin)
    good = vin[:8] + digit + vin[9:]
    assert check_vin(good).check_digit_ok is True
    assert not check_vin(good).has(IssueCode.CHECK_DIGIT)
    other = "0" if digit != "0" else "1"
    bad = check_vin(vin[:8] + other + vin[9:])
    assert bad.vin is None
    assert bad.has(IssueCode.CHECK_DIGIT)


@given(st.text(max_size=30))
def test_property_check_vin_never_raises_and_normalize_is_idempotent(raw):
    result = check_vin(raw)
    assert (result.vin is None) == bool(result.errors)
    once = normalize_vin(raw)
    assert normalize_vin(once) == once
