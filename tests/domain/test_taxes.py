"""Fee and tax table: hand-computed Korea / Thailand / Ontario cases, validation, properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.taxes import (
    TAX_BASES,
    FeeRule,
    FeeTaxError,
    FeeTaxTable,
    TaxRule,
    apply_fee_tax_table,
)

D = Decimal
ALL_BASES = frozenset(TAX_BASES)
GOODS = frozenset({"vehicle", "options", "accessories"})

KOREA = FeeTaxTable(
    "KRW",
    fees=(),
    taxes=(TaxRule("VAT", "부가가치세", D("10"), ALL_BASES, included_in_price=True),),
)
THAILAND = FeeTaxTable(
    "THB",
    fees=(
        FeeRule("REG", "Registration (government)", D("5000.00"), taxable=False),
        FeeRule("PREP", "Delivery preparation", D("3210.00"), taxable=True),
    ),
    taxes=(TaxRule("VAT", "VAT 7%", D("7"), ALL_BASES, included_in_price=True),),
)
ONTARIO = FeeTaxTable(
    "CAD",
    fees=(FeeRule("ADMIN", "Administration fee", D("500.00"), taxable=True),),
    taxes=(TaxRule("HST", "HST 13%", D("13"), ALL_BASES, included_in_price=False, trade_in_credit=True),),
)
ONTARIO_WITH_LICENCE = FeeTaxTable(
    "CAD",
    fees=(*ONTARIO.fees, FeeRule("LIC", "Licence and registration", D("59.00"), taxable=False)),
    taxes=ONTARIO.taxes,
)
# Two added taxes on different bases, only one with trade-in credit (a GST + PST style province).
TWO_TAXES = FeeTaxTable(
    "CAD",
    fees=(FeeRule("DOC", "Documentation fee", D("400.00"), taxable=True),),
    taxes=(
        TaxRule("GST", "GST 5%", D("5"), ALL_BASES, included_in_price=False, trade_in_credit=True),
        TaxRule("PST", "PST 8%", D("8"), frozenset({"vehicle", "options"}), included_in_price=False),
    ),
)


@pytest.mark.parametrize(
    ("table", "amounts", "trade_in", "expected_taxes", "total_fees", "added", "included", "total"),
    [
        pytest.param(
            KOREA,
            {"vehicle": D("45000000"), "options": D("2000000")},
            D("0"),
            # VAT base 45,000,000 + 2,000,000 = 47,000,000; 47,000,000 × 10 / 110 = 4,272,727.27… → 4,272,727
            [("VAT", D("47000000"), D("4272727"), True, D("0"))],
            D("0"),
            D("0"),
            D("4272727"),
            # included VAT is not added again: total = 47,000,000
            D("47000000"),
            id="korea-vat-included",
        ),
        pytest.param(
            KOREA,
            {"vehicle": D("45000000"), "options": D("2000000"), "accessories": D("550000")},
            D("10000000"),
            # no trade-in credit on Korean VAT: base 47,550,000; × 10 / 110 = 4,322,727.27… → 4,322,727
            [("VAT", D("47550000"), D("4322727"), True, D("0"))],
            D("0"),
            D("0"),
            D("4322727"),
            D("47550000"),
            id="korea-trade-in-does-not-reduce-vat",
        ),
        pytest.param(
            THAILAND,
            {"vehicle": D("1250000.00"), "options": D("35000.00"), "accessories": D("15000.00")},
            D("0"),
            # base = 1,250,000 + 35,000 + 15,000 + taxable fee 3,210 = 1,303,210.00 (REG 5,000 is not taxable)
            # 1,303,210 × 7 / 107 = 9,122,470 / 107 = 85,256.728971… → 85,256.73
            [("VAT", D("1303210.00"), D("85256.73"), True, D("0"))],
            # fees 5,000.00 + 3,210.00 = 8,210.00
            D("8210.00"),
            D("0"),
            D("85256.73"),
            # 1,300,000.00 + 8,210.00 = 1,308,210.00
            D("1308210.00"),
            id="thailand-vat-included-with-fees",
        ),
        pytest.param(
            ONTARIO,
            {"vehicle": D("30000.00")},
            D("8000.00"),
            # base 30,000 + taxable fee 500 = 30,500; less trade-in 8,000 = 22,500; × 13 / 100 = 2,925.00
            [("HST", D("22500.00"), D("2925.00"), False, D("8000.00"))],
            D("500.00"),
            D("2925.00"),
            D("0"),
            # 30,000 + 500 + 2,925 = 33,425.00 (trade-in is not deducted here)
            D("33425.00"),
            id="ontario-hst-added-trade-in-credit",
        ),
        pytest.param(
            ONTARIO_WITH_LICENCE,
            {"vehicle": D("30000.00")},
            D("8000.00"),
            # LIC 59.00 is not taxable, so HST is unchanged at 2,925.00
            [("HST", D("22500.00"), D("2925.00"), False, D("8000.00"))],
            D("559.00"),
            D("2925.00"),
            D("0"),
            # 30,000 + 559 + 2,925 = 33,484.00
            D("33484.00"),
            id="ontario-non-taxable-fee",
        ),
        pytest.param(
            ONTARIO,
            {"vehicle": D("5000.00")},
            D("8000.00"),
            # base 5,000 + 500 = 5,500 < trade-in 8,000 → base floors at 0, credit used is 5,500
            [("HST", D("0.00"), D("0.00"), False, D("5500.00"))],
            D("500.00"),
            D("0.00"),
            D("0"),
            D("5500.00"),
            id="trade-in-larger-than-base-floors-at-zero",
        ),
        pytest.param(
            ONTARIO,
            {"vehicle": D("10.00")},
            D("0"),
            # 10.00 + 500.00 = 510.00; × 13 / 100 = 66.30
            [("HST", D("510.00"), D("66.30"), False, D("0"))],
            D("500.00"),
            D("66.30"),
            D("0"),
            # 10 + 500 + 66.30 = 576.30
            D("576.30"),
            id="ontario-small",
        ),
        pytest.param(
            TWO_TAXES,
            {"vehicle": D("20000.00"), "options": D("1000.00"), "accessories": D("600.00")},
            D("5000.00"),
            [
                # GST: 20,000 + 1,000 + 600 + 400 − 5,000 = 17,000; × 5 / 100 = 850.00
                ("GST", D("17000.00"), D("850.00"), False, D("5000.00")),
                # PST: 20,000 + 1,000 = 21,000 (no credit, no accessories or fees); × 8 / 100 = 1,680.00
                ("PST", D("21000.00"), D("1680.00"), False, D("0")),
            ],
            D("400.00"),
            # 850 + 1,680 = 2,530.00
            D("2530.00"),
            D("0"),
            # 21,600 + 400 + 2,530 = 24,530.00
            D("24530.00"),
            id="multiple-added-taxes",
        ),
    ],
)
def test_apply_fee_tax_table(table, amounts, trade_in, expected_taxes, total_fees, added, included, total):
    result = apply_fee_tax_table(table, amounts, trade_in)
    got = [(t.code, t.base_amount, t.amount, t.included, t.trade_in_credit) for t in result.tax_lines]
    assert got == expected_taxes
    assert result.total_fees == total_fees
    assert result.total_added_tax == added
    assert result.total_included_tax == included
    assert result.total == total
    assert result.currency == table.currency


def test_lines_carry_code_name_rate_and_fees():
    result = apply_fee_tax_table(THAILAND, {"vehicle": D("1000000.00")})
    assert [(f.code, f.name, f.amount, f.taxable) for f in result.fee_lines] == [
        ("REG", "Registration (government)", D("5000.00"), False),
        ("PREP", "Delivery preparation", D("3210.00"), True),
    ]
    (vat,) = result.tax_lines
    assert (vat.code, vat.name, vat.rate, vat.included) == ("VAT", "VAT 7%", D("7"), True)
    # 1,000,000 + 3,210 = 1,003,210; × 7 / 107 = 7,022,470 / 107 = 65,630.560… → 65,630.56
    assert vat.amount == D("65630.56")
    assert result.net_amount == D("1000000.00")


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        # 10.50 × 13 / 100 = 1.365 → half-up 1.37 (banker's rounding would give 1.36)
        (D("10.50"), D("1.37")),
        # 0.50 × 13 / 100 = 0.065 → 0.07
        (D("0.50"), D("0.07")),
        # 0.38 × 13 / 100 = 0.0494 → 0.05
        (D("0.38"), D("0.05")),
        # 0.34 × 13 / 100 = 0.0442 → 0.04
        (D("0.34"), D("0.04")),
    ],
)
def test_tax_line_rounds_once_half_up(base, expected):
    table = FeeTaxTable("CAD", taxes=(TaxRule("HST", "HST", D("13"), GOODS, included_in_price=False),))
    result = apply_fee_tax_table(table, {"accessories": base})
    assert result.tax_lines[0].amount == expected


def test_included_and_added_taxes_mixed():
    # A VAT included in the goods plus an added levy on fees only (different bases are allowed).
    table = FeeTaxTable(
        "THB",
        fees=(FeeRule("SVC", "Service fee", D("1000.00")),),
        taxes=(
            TaxRule("VAT", "VAT", D("7"), GOODS, included_in_price=True),
            TaxRule("LEVY", "Fee levy", D("7"), frozenset({"fees"}), included_in_price=False),
        ),
    )
    result = apply_fee_tax_table(table, {"vehicle": D("535000.00")})
    # VAT included: 535,000 × 7 / 107 = 35,000.00 exactly
    # LEVY added:   1,000 × 7 / 100 = 70.00
    assert [(t.code, t.amount, t.included) for t in result.tax_lines] == [
        ("VAT", D("35000.00"), True),
        ("LEVY", D("70.00"), False),
    ]
    # total = 535,000 + 1,000 + 70 = 536,070.00
    assert result.total == D("536070.00")
    assert result.total_included_tax == D("35000.00")


def test_korea_amounts_keep_zero_decimals():
    result = apply_fee_tax_table(KOREA, {"vehicle": D("45000000.00")})
    assert str(result.total) == "45000000"
    assert str(result.tax_lines[0].amount) == "4090909"  # 45,000,000 / 11 = 4,090,909.09… → 4,090,909


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "fragment"),
    [
        (lambda: FeeRule("DOC", "Doc fee", D("-1")), "amount", "Fee 'DOC' amount must not be negative"),
        (lambda: FeeRule("", "Doc fee", D("1")), "code", "Fee code must not be empty"),
        (lambda: FeeRule("DOC", "Doc fee", 0.5), "amount", "must be a number"),
        (
            lambda: TaxRule("HST", "HST", D("113"), ALL_BASES, included_in_price=False),
            "rate",
            "Tax 'HST' rate must be between 0 and 100 percent (got 113)",
        ),
        (
            lambda: TaxRule("HST", "HST", D("-0.5"), ALL_BASES, included_in_price=False),
            "rate",
            "between 0 and 100",
        ),
        (
            lambda: TaxRule("HST", "HST", D("13"), frozenset({"vehicle", "labour"}), included_in_price=False),
            "bases",
            "unknown base 'labour'",
        ),
        (lambda: TaxRule("HST", "HST", D("13"), frozenset(), included_in_price=False), "bases", "at least one"),
        (lambda: TaxRule("HST", "HST", D("13"), "vehicle", included_in_price=False), "bases", "not a string"),
        (lambda: FeeTaxTable("won"), "currency", "ISO 4217"),
        (
            lambda: FeeTaxTable("CAD", fees=(FeeRule("DOC", "a", D("1")), FeeRule("DOC", "b", D("2")))),
            "code",
            "Duplicate code 'DOC'",
        ),
        (
            lambda: FeeTaxTable(
                "CAD",
                fees=(FeeRule("HST", "a", D("1")),),
                taxes=(TaxRule("HST", "HST", D("13"), ALL_BASES, included_in_price=False),),
            ),
            "code",
            "Duplicate code 'HST'",
        ),
        (
            lambda: FeeTaxTable("CAD", fees=(FeeRule("DOC", "Doc fee", D("500.005")),)),
            "amount",
            "more decimals than CAD allows (2)",
        ),
        (
            lambda: FeeTaxTable("KRW", fees=(FeeRule("DOC", "Doc fee", D("1000.5")),)),
            "amount",
            "more decimals than KRW allows (0)",
        ),
        (
            lambda: FeeTaxTable(
                "THB",
                taxes=(
                    TaxRule("VAT", "VAT", D("7"), ALL_BASES, included_in_price=True),
                    TaxRule("EXC", "Excise", D("3"), frozenset({"vehicle"}), included_in_price=True),
                ),
            ),
            "bases",
            "both cover base 'vehicle'",
        ),
    ],
)
def test_invalid_rules_and_tables_name_the_field(build, field, fragment):
    with pytest.raises(FeeTaxError) as info:
        build()
    assert info.value.field == field
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("amounts", "trade_in", "field", "fragment"),
    [
        ({"vehicle": D("-1")}, D("0"), "amounts_by_base", "Amount for 'vehicle' must not be negative"),
        ({"fees": D("1")}, D("0"), "amounts_by_base", "fees come from the table"),
        ({"labour": D("1")}, D("0"), "amounts_by_base", "Unknown base 'labour'"),
        ({"vehicle": D("1.001")}, D("0"), "amounts_by_base", "more decimals than CAD allows"),
        ({"vehicle": 1.5}, D("0"), "amounts_by_base", "must be a number"),
        ({"vehicle": D("1")}, D("-5"), "trade_in_allowance", "Trade-in allowance must not be negative"),
    ],
)
def test_invalid_inputs(amounts, trade_in, field, fragment):
    with pytest.raises(FeeTaxError) as info:
        apply_fee_tax_table(ONTARIO, amounts, trade_in)
    assert info.value.field == field
    assert fragment in str(info.value)


def test_error_is_a_value_error():
    assert issubclass(FeeTaxError, ValueError)


# --- properties -------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))
rates = st.integers(min_value=0, max_value=10000).map(lambda r: Decimal(r).scaleb(-2))  # 0.00 … 100.00


@given(vehicle=cents, options=cents, fee=cents, trade_in=cents, rate=rates, included=st.booleans())
def test_total_is_net_plus_fees_plus_added_tax(vehicle, options, fee, trade_in, rate, included):
    table = FeeTaxTable(
        "CAD",
        fees=(FeeRule("DOC", "Doc", fee),),
        taxes=(TaxRule("T", "T", rate, ALL_BASES, included_in_price=included, trade_in_credit=True),),
    )
    result = apply_fee_tax_table(table, {"vehicle": vehicle, "options": options}, trade_in)
    assert result.total == vehicle + options + fee + result.total_added_tax
    (line,) = result.tax_lines
    assert line.base_amount == max(Decimal(0), vehicle + options + fee - trade_in)
    assert Decimal(0) <= line.amount <= line.base_amount
    assert line.amount == line.amount.quantize(Decimal("0.01"))


@given(base=cents, rate=rates)
def test_included_tax_never_exceeds_added_tax_at_same_rate(base, rate):
    def tax(included: bool) -> Decimal:
        table = FeeTaxTable("THB", taxes=(TaxRule("T", "T", rate, GOODS, included_in_price=included),))
        return apply_fee_tax_table(table, {"vehicle": base}).tax_lines[0].amount

    # rate / (100 + rate) ≤ rate / 100, and half-up rounding is monotone
    assert tax(True) <= tax(False)


@given(vehicle=cents, smaller=cents, extra=cents)
def test_more_trade_in_never_raises_tax(vehicle, smaller, extra):
    low = apply_fee_tax_table(ONTARIO, {"vehicle": vehicle}, smaller)
    high = apply_fee_tax_table(ONTARIO, {"vehicle": vehicle}, smaller + extra)
    assert high.total_added_tax <= low.total_added_tax
