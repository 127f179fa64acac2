"""Tests for the option rules engine (app.domain.option_rules).

The fixture catalog is a small but complete brand ordering guide:

    Trims     LX       exterior: Snow White 0, Matte Grey 1200   interior: Black 0, Tan 300
              Limited  exterior: Snow White 0, Soul Red 500       interior: Black 0
    Excluded  Matte Grey paint + Black interior (all trims)
    Options   PREM  Premium package 2500  = Sunroof + Heated seats
              SUNRF Sunroof 1200          requires Premium package
              HSEAT Heated seats 400
              SPORT Sport package 1800    = Sport seats; excludes Comfort package
              COMF  Comfort package 1500  = Heated seats
              SSEAT Sport seats 900
              TOW   Tow hitch 600         Limited only
              RAILS Roof rails 300        excludes Sunroof
              HUD   Head-up display 700   requires Heated seats
              TECH  Tech package 1000     = Head-up display (nested in LUX)
              LUX   Luxury package 3000   = Tech package + Heated seats
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.option_rules import (
    Color,
    ColorKind,
    ColorOffer,
    ColorPairExclusion,
    Configuration,
    ConflictKind,
    Option,
    OptionCatalog,
    OptionKind,
    OptionRuleError,
    ResolvedOption,
    RuleProblem,
    RuleProblemCode,
    Severity,
    Trim,
    check_rule_set,
    validate_configuration,
)

D = Decimal
PKG = OptionKind.PACKAGE

SNOW = Color("SNOW", "Snow White", ColorKind.EXTERIOR)
MGRY = Color("MGRY", "Matte Grey", ColorKind.EXTERIOR)
RED = Color("RED", "Soul Red", ColorKind.EXTERIOR)
BLK = Color("BLK", "Black", ColorKind.INTERIOR)
TAN = Color("TAN", "Tan", ColorKind.INTERIOR)

LX = Trim(
    "LX",
    "LX",
    (ColorOffer(SNOW), ColorOffer(MGRY, D("1200"))),
    (ColorOffer(BLK), ColorOffer(TAN, D("300"))),
)
LTD = Trim("LTD", "Limited", (ColorOffer(SNOW), ColorOffer(RED, D("500"))), (ColorOffer(BLK),))


def fs(*codes: str) -> frozenset[str]:
    return frozenset(codes)


OPTIONS = (
    Option("PREM", "Premium package", D("2500"), PKG, contents=fs("SUNRF", "HSEAT")),
    Option("SUNRF", "Sunroof", D("1200"), requires=fs("PREM")),
    Option("HSEAT", "Heated seats", D("400")),
    Option("SPORT", "Sport package", D("1800"), PKG, contents=fs("SSEAT"), excludes=fs("COMF")),
    Option("COMF", "Comfort package", D("1500"), PKG, contents=fs("HSEAT")),
    Option("SSEAT", "Sport seats", D("900")),
    Option("TOW", "Tow hitch", D("600"), trims=fs("LTD")),
    Option("RAILS", "Roof rails", D("300"), excludes=fs("SUNRF")),
    Option("HUD", "Head-up display", D("700"), requires=fs("HSEAT")),
    Option("TECH", "Tech package", D("1000"), PKG, contents=fs("HUD")),
    Option("LUX", "Luxury package", D("3000"), PKG, contents=fs("TECH", "HSEAT")),
)
CATALOG = OptionCatalog((LX, LTD), OPTIONS, (ColorPairExclusion("MGRY", "BLK"),))


def build(trim: str = "LX", ext: str | None = "SNOW", inn: str | None = "BLK", *options: str) -> Configuration:
    return Configuration(trim, ext, inn, frozenset(options))


# --- validate_configuration: one row per conflict kind -------------------------------------------------

CONFLICT_CASES = [
    pytest.param(build("LX", "SNOW", "BLK"), [], id="clean-no-options"),
    pytest.param(
        build("GT", "SNOW", "BLK"),
        [(ConflictKind.UNKNOWN_TRIM, "Trim 'GT' is not in the catalog")],
        id="unknown-trim",
    ),
    pytest.param(build("LX", None, "BLK"), [(ConflictKind.MISSING_EXTERIOR, "Choose an exterior color")], id="no-ext"),
    pytest.param(build("LX", "SNOW", None), [(ConflictKind.MISSING_INTERIOR, "Choose an interior color")], id="no-int"),
    pytest.param(
        build("LX", "RED", "BLK"),
        [(ConflictKind.EXTERIOR_NOT_OFFERED, "Color Soul Red is not offered on trim LX")],
        id="ext-not-on-trim",
    ),
    pytest.param(
        build("LTD", "SNOW", "TAN"),
        [(ConflictKind.INTERIOR_NOT_OFFERED, "Color Tan is not offered on trim Limited")],
        id="int-not-on-trim",
    ),
    pytest.param(
        build("LX", "PURPLE", "BLK"),
        [(ConflictKind.EXTERIOR_NOT_OFFERED, "Color PURPLE is not offered on trim LX")],
        id="color-unknown-everywhere-uses-code",
    ),
    pytest.param(
        build("LX", "MGRY", "BLK"),
        [(ConflictKind.COLOR_PAIR_EXCLUDED, "Matte Grey paint excludes Black interior")],
        id="color-pair",
    ),
    pytest.param(
        build("LX", "SNOW", "BLK", "NAV"),
        [(ConflictKind.UNKNOWN_OPTION, "Option 'NAV' is not in the catalog")],
        id="unknown-option",
    ),
    pytest.param(
        build("LX", "SNOW", "BLK", "TOW"),
        [(ConflictKind.OPTION_NOT_ON_TRIM, "Option Tow hitch is not available on trim LX")],
        id="option-not-on-trim",
    ),
    pytest.param(
        build("LX", "SNOW", "BLK", "SUNRF"),
        [(ConflictKind.MISSING_REQUIREMENT, "Sunroof requires Premium package")],
        id="requires",
    ),
    pytest.param(build("LX", "SNOW", "BLK", "HUD", "COMF"), [], id="requirement-met-by-package-content"),
    pytest.param(build("LX", "SNOW", "BLK", "HUD", "HSEAT"), [], id="requirement-met-by-choice"),
    pytest.param(
        build("LX", "SNOW", "BLK", "SPORT", "COMF"),
        [(ConflictKind.EXCLUDED_COMBINATION, "Sport package excludes Comfort package")],
        id="excludes-packages",
    ),
    pytest.param(
        build("LX", "SNOW", "BLK", "RAILS", "PREM"),
        [(ConflictKind.EXCLUDED_COMBINATION, "Roof rails excludes Sunroof")],
        id="excludes-included-option",
    ),
    pytest.param(
        build("LX", "SNOW", "BLK", "PREM", "SUNRF"),
        [(ConflictKind.REDUNDANT_OPTION, "Sunroof is already included in Premium package")],
        id="redundant-is-warning",
    ),
    pytest.param(
        build("LX", "SNOW", "BLK", "PREM", "COMF"),
        [(ConflictKind.OVERLAPPING_PACKAGES, "Heated seats is included in both Comfort package and Premium package")],
        id="overlapping-packages-warning",
    ),
    pytest.param(
        build("LX", "RED", None, "TOW", "SUNRF", "RAILS", "NAV"),
        [
            (ConflictKind.EXTERIOR_NOT_OFFERED, "Color Soul Red is not offered on trim LX"),
            (ConflictKind.MISSING_INTERIOR, "Choose an interior color"),
            (ConflictKind.UNKNOWN_OPTION, "Option 'NAV' is not in the catalog"),
            (ConflictKind.OPTION_NOT_ON_TRIM, "Option Tow hitch is not available on trim LX"),
            (ConflictKind.MISSING_REQUIREMENT, "Sunroof requires Premium package"),
            (ConflictKind.EXCLUDED_COMBINATION, "Roof rails excludes Sunroof"),
        ],
        id="many-conflicts-in-documented-order",
    ),
]


@pytest.mark.parametrize(("configuration", "expected"), CONFLICT_CASES)
def test_conflicts_are_exact_and_ordered(configuration, expected):
    result = validate_configuration(configuration, CATALOG)
    assert [(c.kind, c.message) for c in result.conflicts] == expected
    expected_errors = [
        k for k, _ in expected if k not in {ConflictKind.REDUNDANT_OPTION, ConflictKind.OVERLAPPING_PACKAGES}
    ]
    assert result.valid is (not expected_errors)
    assert [c.kind for c in result.errors] == expected_errors


def test_conflict_codes_point_at_the_culprits():
    result = validate_configuration(build("LX", "MGRY", "BLK", "SPORT", "COMF", "SUNRF"), CATALOG)
    assert [c.codes for c in result.conflicts] == [
        ("MGRY", "BLK"),
        ("SUNRF", "PREM"),
        ("SPORT", "COMF"),
    ]


def test_unknown_trim_skips_trim_checks_but_still_checks_option_rules():
    result = validate_configuration(build("GT", "RED", None, "TOW", "SUNRF"), CATALOG)
    # No color or trim-fit conflicts can be judged without the trim; the requirement still can.
    assert [c.kind for c in result.conflicts] == [ConflictKind.UNKNOWN_TRIM, ConflictKind.MISSING_REQUIREMENT]


def test_color_exclusion_limited_to_some_trims():
    catalog = OptionCatalog((LX, LTD), OPTIONS, (ColorPairExclusion("SNOW", "BLK", frozenset({"LTD"})),))
    assert validate_configuration(build("LX", "SNOW", "BLK"), catalog).valid
    result = validate_configuration(build("LTD", "SNOW", "BLK"), catalog)
    assert [c.message for c in result.conflicts] == ["Snow White paint excludes Black interior"]


# --- package resolution, prices and redundancy ----------------------------------------------------------

RESOLUTION_CASES = [
    pytest.param(
        ("PREM",),
        [
            ResolvedOption("PREM", "Premium package", D("2500")),
            ResolvedOption("HSEAT", "Heated seats", D("0"), "PREM", "Premium package"),
            ResolvedOption("SUNRF", "Sunroof", D("0"), "PREM", "Premium package"),
        ],
        D("2500"),  # 2500 package; contents at 0
        id="package-auto-adds-contents",
    ),
    pytest.param(
        ("PREM", "SUNRF", "HSEAT"),
        [
            ResolvedOption("PREM", "Premium package", D("2500")),
            ResolvedOption("HSEAT", "Heated seats", D("0"), "PREM", "Premium package"),
            ResolvedOption("SUNRF", "Sunroof", D("0"), "PREM", "Premium package"),
        ],
        D("2500"),  # not 2500 + 1200 + 400 = 4100: chosen-and-included is charged once, as included
        id="redundant-not-charged-twice",
    ),
    pytest.param(
        ("LUX", "HUD"),
        [
            ResolvedOption("LUX", "Luxury package", D("3000")),
            ResolvedOption("HSEAT", "Heated seats", D("0"), "LUX", "Luxury package"),
            ResolvedOption("TECH", "Tech package", D("0"), "LUX", "Luxury package"),
            ResolvedOption("HUD", "Head-up display", D("0"), "TECH", "Tech package"),
        ],
        D("3000"),  # nested: HUD comes through Tech package inside Luxury package
        id="nested-packages",
    ),
    pytest.param(
        ("PREM", "COMF"),
        [
            ResolvedOption("COMF", "Comfort package", D("1500")),
            ResolvedOption("HSEAT", "Heated seats", D("0"), "COMF", "Comfort package"),
            ResolvedOption("PREM", "Premium package", D("2500")),
            ResolvedOption("SUNRF", "Sunroof", D("0"), "PREM", "Premium package"),
        ],
        D("4000"),  # 1500 + 2500; Heated seats listed once (first package in code order)
        id="shared-content-listed-once",
    ),
    pytest.param(
        ("HSEAT", "RAILS", "SSEAT"),
        [
            ResolvedOption("HSEAT", "Heated seats", D("400")),
            ResolvedOption("RAILS", "Roof rails", D("300")),
            ResolvedOption("SSEAT", "Sport seats", D("900")),
        ],
        D("1600"),  # 400 + 300 + 900
        id="singles-charged-in-code-order",
    ),
]


@pytest.mark.parametrize(("chosen", "lines", "total"), RESOLUTION_CASES)
def test_resolved_options_and_total(chosen, lines, total):
    result = validate_configuration(build("LX", "SNOW", "BLK", *chosen), CATALOG)
    assert list(result.options) == lines
    assert result.options_total == total


def test_redundancy_warnings_name_the_top_package():
    result = validate_configuration(build("LX", "SNOW", "BLK", "LUX", "HUD", "TECH"), CATALOG)
    assert result.valid
    assert [c.message for c in result.warnings] == [
        "Head-up display is already included in Luxury package",
        "Tech package is already included in Luxury package",
    ]
    assert all(c.severity is Severity.WARNING for c in result.warnings)


def test_included_line_note():
    result = validate_configuration(build("LX", "SNOW", "BLK", "PREM"), CATALOG)
    assert [line.note for line in result.options] == ["", "included in Premium package", "included in Premium package"]


@pytest.mark.parametrize(
    ("trim", "ext", "inn", "ext_surcharge", "int_surcharge"),
    [
        ("LX", "MGRY", "TAN", D("1200"), D("300")),
        ("LTD", "RED", "BLK", D("500"), D("0")),
        ("LX", "RED", "TAN", D("0"), D("300")),  # Soul Red not offered on LX: no surcharge, a conflict instead
    ],
)
def test_color_surcharges_from_trim_matrix(trim, ext, inn, ext_surcharge, int_surcharge):
    result = validate_configuration(build(trim, ext, inn), CATALOG)
    assert (result.exterior_surcharge, result.interior_surcharge) == (ext_surcharge, int_surcharge)


def test_included_option_not_on_trim_says_which_package():
    options = (
        Option("WINTER", "Winter package", D("800"), PKG, contents=fs("TOW")),
        Option("TOW", "Tow hitch", D("600"), trims=fs("LTD")),
    )
    catalog = OptionCatalog((LX, LTD), options)
    result = validate_configuration(build("LX", "SNOW", "BLK", "WINTER"), catalog)
    assert [c.message for c in result.errors] == [
        "Option Tow hitch (included in Winter package) is not available on trim LX"
    ]


def test_package_with_unknown_content_is_an_error():
    catalog = OptionCatalog((LX,), (Option("P", "Pack", D("1"), PKG, contents=fs("GHOST")),))
    result = validate_configuration(build("LX", "SNOW", "BLK", "P"), catalog)
    assert [c.message for c in result.errors] == ["Pack includes unknown option 'GHOST'"]


def test_package_cycle_among_chosen_packages_still_charges_one():
    options = (
        Option("A", "Pack A", D("10"), PKG, contents=fs("B")),
        Option("B", "Pack B", D("20"), PKG, contents=fs("A")),
    )
    result = validate_configuration(build("LX", "SNOW", "BLK", "A", "B"), OptionCatalog((LX,), options))
    # Corrupt data (check_rule_set reports the cycle); the build still lists both once and charges A only.
    assert [(o.code, o.price) for o in result.options] == [("A", D("10")), ("B", D("0"))]


@pytest.mark.parametrize("declared_by", ["first", "second", "both"])
def test_excludes_is_symmetric(declared_by):
    a_excludes = fs("B") if declared_by in {"first", "both"} else fs()
    b_excludes = fs("A") if declared_by in {"second", "both"} else fs()
    options = (Option("A", "Alpha", D("1"), excludes=a_excludes), Option("B", "Beta", D("1"), excludes=b_excludes))
    result = validate_configuration(build("LX", "SNOW", "BLK", "A", "B"), OptionCatalog((LX,), options))
    expected = "Beta excludes Alpha" if declared_by == "second" else "Alpha excludes Beta"
    assert [c.message for c in result.conflicts] == [expected]  # exactly one conflict per pair


# --- construction errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "error", "message"),
    [
        (lambda: Option("X", "Mats", D("-1")), OptionRuleError, "Price of Mats must not be negative: -1"),
        (lambda: Option("X", "Mats", 1.5), TypeError, "float"),
        (lambda: Option("", "Mats", D("1")), OptionRuleError, "An option needs a non-empty code"),
        (lambda: Option("X", "Mats", D("1"), contents=fs("Y")), OptionRuleError, "single option"),
        (lambda: Option("X", "Mats", D("1"), requires="PREM"), OptionRuleError, "not the string 'PREM'"),
        (lambda: ColorOffer(SNOW, D("-5")), OptionRuleError, "Surcharge of color Snow White"),
        (lambda: Trim("T", "T", (ColorOffer(BLK),)), OptionRuleError, "Black is interior but listed as exterior"),
        (lambda: Trim("T", "T", (ColorOffer(SNOW), ColorOffer(SNOW))), OptionRuleError, "listed twice"),
        (lambda: OptionCatalog((LX, LX), ()), OptionRuleError, "Trim code 'LX' is used twice"),
        (lambda: OptionCatalog((LX,), OPTIONS[:1] * 2), OptionRuleError, "Option code 'PREM' is used twice"),
    ],
)
def test_bad_catalog_data_raises(factory, error, message):
    with pytest.raises(error, match=message):
        factory()


def test_rule_errors_are_value_errors():
    assert issubclass(OptionRuleError, ValueError)


def test_require_option_raises_for_unknown_code():
    with pytest.raises(OptionRuleError, match="'NAV' is not in the catalog"):
        CATALOG.require_option("NAV")


# --- check_rule_set -------------------------------------------------------------------------------------


def opt(code: str, *, requires=(), excludes=(), contents=(), trims=None, name: str | None = None) -> Option:
    kind = PKG if contents else OptionKind.SINGLE
    return Option(
        code,
        name or code,
        D("100"),
        kind,
        trims=None if trims is None else frozenset(trims),
        contents=frozenset(contents),
        requires=frozenset(requires),
        excludes=frozenset(excludes),
    )


RULE_CASES = [
    pytest.param([opt("A"), opt("B", requires=["A"])], [], id="clean"),
    pytest.param(OPTIONS, [], id="fixture-catalog-is-clean"),
    pytest.param(
        [opt("A", name="Mats"), opt("A", name="Floor mats")],
        [(RuleProblemCode.DUPLICATE_CODE, "Option code 'A' is used by both Mats and Floor mats", ("A",))],
        id="duplicate-code",
    ),
    pytest.param(
        [opt("A", requires=["X"], excludes=["Y"], contents=["Z"], name="Alpha")],
        [
            (RuleProblemCode.UNKNOWN_REFERENCE, "Alpha requires unknown option 'X'", ("A", "X")),
            (RuleProblemCode.UNKNOWN_REFERENCE, "Alpha excludes unknown option 'Y'", ("A", "Y")),
            (RuleProblemCode.UNKNOWN_REFERENCE, "Alpha contains unknown option 'Z'", ("A", "Z")),
        ],
        id="unknown-references",
    ),
    pytest.param(
        [opt("A", excludes=["A"], name="Alpha")],
        [(RuleProblemCode.SELF_EXCLUSION, "Alpha excludes itself", ("A",))],
        id="self-exclusion",
    ),
    pytest.param(
        [opt("A", requires=["B"], name="Sunroof"), opt("B", requires=["A"], name="Premium package")],
        [(RuleProblemCode.REQUIRES_CYCLE, "Requirement cycle: Sunroof → Premium package → Sunroof", ("A", "B", "A"))],
        id="requires-cycle-2",
    ),
    pytest.param(
        [opt("A", requires=["B"]), opt("B", requires=["C"]), opt("C", requires=["A"]), opt("D", requires=["A"])],
        [(RuleProblemCode.REQUIRES_CYCLE, "Requirement cycle: A → B → C → A", ("A", "B", "C", "A"))],
        id="requires-cycle-3-reported-once",
    ),
    pytest.param(
        [opt("A", requires=["A"])],
        [(RuleProblemCode.REQUIRES_CYCLE, "Requirement cycle: A → A", ("A", "A"))],
        id="requires-self",
    ),
    pytest.param(
        [opt("P", contents=["Q"]), opt("Q", contents=["P"])],
        [(RuleProblemCode.PACKAGE_CYCLE, "Package cycle: P → Q → P", ("P", "Q", "P"))],
        id="package-cycle",
    ),
    pytest.param(
        [opt("A", requires=["B"], excludes=["B"], name="Sunroof"), opt("B", name="Roof rails")],
        [(RuleProblemCode.REQUIRES_AND_EXCLUDES, "Sunroof requires and excludes Roof rails", ("A", "B"))],
        id="requires-and-excludes",
    ),
    pytest.param(
        [opt("A", requires=["B"], name="Sunroof"), opt("B", excludes=["A"], name="Roof rails")],
        [
            (
                RuleProblemCode.REQUIRED_OPTION_EXCLUDES,
                "Sunroof requires Roof rails, but Roof rails excludes Sunroof",
                ("A", "B"),
            )
        ],
        id="required-option-excludes",
    ),
    pytest.param(
        [
            opt("P", contents=["S", "C"], name="Premium package"),
            opt("S", excludes=["C"], name="Sport seats"),
            opt("C", name="Comfort seats"),
        ],
        [
            (
                RuleProblemCode.PACKAGE_CONTAINS_EXCLUSIVE,
                "Premium package contains Comfort seats and Sport seats, but Sport seats excludes Comfort seats",
                ("P", "C", "S"),
            )
        ],
        id="package-contains-mutually-exclusive",
    ),
    pytest.param(
        [opt("P", contents=["S"], name="Sport package"), opt("S", excludes=["P"], name="Comfort seats")],
        [
            (
                RuleProblemCode.PACKAGE_CONTENT_EXCLUDED,
                "Sport package contains Comfort seats, but Comfort seats excludes Sport package",
                ("P", "S"),
            )
        ],
        id="package-content-excludes-package",
    ),
    pytest.param(
        [opt("A", requires=["B"], excludes=["C"]), opt("B", requires=["C"]), opt("C")],
        [
            (
                RuleProblemCode.TRANSITIVE_CONTRADICTION,
                "A cannot be built: it brings in C (A → B → C), but A excludes C",
                ("A", "C"),
            )
        ],
        id="transitive-a-excludes-c",
    ),
    pytest.param(
        [opt("A", requires=["B"]), opt("B", requires=["C"]), opt("C", excludes=["A"])],
        [
            (
                RuleProblemCode.TRANSITIVE_CONTRADICTION,
                "A cannot be built: it brings in C (A → B → C), but C excludes A",
                ("A", "C"),
            )
        ],
        id="transitive-c-excludes-a",
    ),
    pytest.param(
        [opt("A", requires=["B", "D"]), opt("B", requires=["C"]), opt("C"), opt("D", excludes=["C"])],
        [
            (
                RuleProblemCode.TRANSITIVE_CONTRADICTION,
                "A cannot be built: it brings in C (A → B → C) and D (A → D), but D excludes C",
                ("A", "C", "D"),
            )
        ],
        id="transitive-two-branches",
    ),
    pytest.param(
        [opt("A", requires=["P"]), opt("P", contents=["X"]), opt("X", excludes=["A"])],
        [
            (
                RuleProblemCode.TRANSITIVE_CONTRADICTION,
                "A cannot be built: it brings in X (A → P → X), but X excludes A",
                ("A", "X"),
            )
        ],
        id="transitive-through-package-content",
    ),
    pytest.param(
        # B is the smallest option that shows the contradiction; A (which requires B) is not blamed again.
        [opt("A", requires=["B"]), opt("B", requires=["C"]), opt("C", excludes=["B"])],
        [(RuleProblemCode.REQUIRED_OPTION_EXCLUDES, "B requires C, but C excludes B", ("B", "C"))],
        id="reported-once-at-the-root",
    ),
    pytest.param(
        [opt("A", requires=["B"], excludes=["B"]), opt("B", requires=["A"])],
        [
            (RuleProblemCode.REQUIRES_CYCLE, "Requirement cycle: A → B → A", ("A", "B", "A")),
            (RuleProblemCode.REQUIRES_AND_EXCLUDES, "A requires and excludes B", ("A", "B")),
        ],
        id="cycle-and-contradiction-once",
    ),
    pytest.param(
        [opt("P", contents=["X"], trims=["LX", "LTD"], name="Winter package"), opt("X", trims=["LTD"], name="Tow")],
        [
            (
                RuleProblemCode.CONTENT_NOT_ON_TRIM,
                "Winter package is offered on LX but contains Tow, which is not",
                ("P", "X"),
            )
        ],
        id="content-not-on-trim",
    ),
    pytest.param(
        [opt("A", requires=["B"], name="HUD"), opt("B", trims=["LTD", "GT"], name="Nav")],
        [
            (
                RuleProblemCode.REQUIREMENT_NOT_ON_TRIM,
                "HUD is offered on every trim but requires Nav, which is only offered on GT, LTD",
                ("A", "B"),
            )
        ],
        id="requirement-not-on-trim",
    ),
]


@pytest.mark.parametrize(("options", "expected"), RULE_CASES)
def test_check_rule_set(options, expected):
    problems = check_rule_set(options)
    assert [(p.code, p.message, p.option_codes) for p in problems] == expected
    assert all(isinstance(p, RuleProblem) for p in problems)


def test_check_rule_set_orders_by_problem_kind():
    options = [
        opt("Z", excludes=["Z"]),
        opt("A", requires=["B"], excludes=["B"]),
        opt("B"),
        opt("C", requires=["GHOST"]),
    ]
    assert [p.code for p in check_rule_set(options)] == [
        RuleProblemCode.UNKNOWN_REFERENCE,
        RuleProblemCode.SELF_EXCLUSION,
        RuleProblemCode.REQUIRES_AND_EXCLUDES,
    ]


# --- properties -----------------------------------------------------------------------------------------

CODES = ["A", "B", "C", "D", "E"]


@st.composite
def rule_sets(draw) -> list[Option]:
    """Random small rule sets over CODES (no self-exclusions, references always known)."""
    options = []
    for code in CODES:
        others = [c for c in CODES if c != code]
        requires = draw(st.frozensets(st.sampled_from(others), max_size=2))
        excludes = draw(st.frozensets(st.sampled_from(others), max_size=2))
        contents = draw(st.frozensets(st.sampled_from(others), max_size=2))
        options.append(opt(code, requires=requires, excludes=excludes, contents=contents))
    return options


def closure(code: str, by_code: dict[str, Option]) -> set[str]:
    """Everything a build with ``code`` must contain: requires and package contents, transitively."""
    found, todo = {code}, [code]
    while todo:
        o = by_code[todo.pop()]
        for nxt in o.requires | o.contents:
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found


CONTRADICTIONS = {
    RuleProblemCode.REQUIRES_AND_EXCLUDES,
    RuleProblemCode.REQUIRED_OPTION_EXCLUDES,
    RuleProblemCode.PACKAGE_CONTENT_EXCLUDED,
    RuleProblemCode.PACKAGE_CONTAINS_EXCLUSIVE,
    RuleProblemCode.TRANSITIVE_CONTRADICTION,
}


@settings(max_examples=300, deadline=None)
@given(rule_sets())
def test_contradictions_match_unbuildable_options(options):
    """An option's full closure builds cleanly exactly when no contradiction is rooted inside that closure."""
    by_code = {o.code: o for o in options}
    catalog = OptionCatalog((LX,), tuple(options))
    roots = {p.option_codes[0] for p in check_rule_set(options) if p.code in CONTRADICTIONS}
    for code in CODES:
        forced = closure(code, by_code)
        result = validate_configuration(build("LX", "SNOW", "TAN", *sorted(forced)), catalog)
        assert result.valid == (not (forced & roots)), (code, forced, result.errors)


@settings(max_examples=200, deadline=None)
@given(st.frozensets(st.sampled_from([o.code for o in OPTIONS])))
def test_each_option_listed_once_and_charged_at_most_once(chosen):
    result = validate_configuration(Configuration("LTD", "SNOW", "BLK", chosen), CATALOG)
    codes = [o.code for o in result.options]
    assert len(codes) == len(set(codes))
    assert set(chosen) <= set(codes)
    # A chosen option is charged unless a chosen package already includes it; included lines cost 0.
    included = {o.code for o in result.options if o.included_in is not None}
    expected_total = sum((o.price for o in OPTIONS if o.code in chosen and o.code not in included), D("0"))
    assert result.options_total == expected_total
    assert all(o.price == 0 for o in result.options if o.included_in is not None)
    redundant = {c.codes[0] for c in result.conflicts if c.kind is ConflictKind.REDUNDANT_OPTION}
    assert redundant == set(chosen) & included
