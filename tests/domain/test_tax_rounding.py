"""Per-market tax rounding: hand-computed per-line VAT (Germany, 19 % included) against per-total rounding.

Every expected figure below is worked out by hand, e.g. 10.00 × 19 / 119 = 1.5966… → 1.60.
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.taxes import (
    TAX_BASES,
    FeeRule,
    FeeTaxError,
    FeeTaxTable,
    TaxableLine,
    TaxRounding,
    TaxRule,
    apply_fee_tax_table,
    tax_rounding_for,
)

D = Decimal
ALL_BASES = frozenset(TAX_BASES)
VAT19 = TaxRule("MWST", "MwSt. 19 %", D("19"), ALL_BASES, included_in_price=True)
GERMANY = FeeTaxTable("EUR", taxes=(VAT19,), rounding=TaxRounding.PER_LINE)
GERMANY_PER_TOTAL = FeeTaxTable("EUR", taxes=(VAT19,))


def _lines(*amounts: str, base: str = "accessories") -> list[TaxableLine]:
    return [TaxableLine(f"acc:{i}", base, D(a)) for i, a in enumerate(amounts)]


@pytest.mark.parametrize(
    ("country", "rounding"),
    [
        ("DE", TaxRounding.PER_LINE),
        ("de", TaxRounding.PER_LINE),
        ("FR", TaxRounding.PER_LINE),
        ("KR", TaxRounding.PER_TOTAL),
        ("TH", TaxRounding.PER_TOTAL),
        ("CA", TaxRounding.PER_TOTAL),
        ("", TaxRounding.PER_TOTAL),
        (None, TaxRounding.PER_TOTAL),
    ],
)
def test_rounding_per_market(country, rounding):
    assert tax_rounding_for(country) is rounding


@pytest.mark.parametrize(
    ("amounts", "vat_per_line", "net_per_line", "vat_total", "net_total", "per_total_vat"),
    [
        # The Odoo case: one rounding on 30.00 gives 4.79, which three lines of 1.60 never add up to.
        (("10.00", "10.00", "10.00"), ["1.60"] * 3, ["8.40"] * 3, "4.80", "25.20", "4.79"),
        # 35,700 × 19/119 = 5,700 exactly; 1,190 → 190; 99.99 × 19/119 = 15.9648… → 15.96.
        (("35700.00", "1190.00", "99.99"), ["5700.00", "190.00", "15.96"], ["30000.00", "1000.00", "84.03"],
         "5905.96", "31084.03", "5905.96"),
        # 0.05 × 19/119 = 0.00798… → 0.01 each; 0.15 × 19/119 = 0.0239… → 0.02 on the total.
        (("0.05", "0.05", "0.05"), ["0.01"] * 3, ["0.04"] * 3, "0.03", "0.12", "0.02"),
        # 19.99 × 19/119 = 3.19168… → 3.19, net 16.80.
        (("19.99",), ["3.19"], ["16.80"], "3.19", "16.80", "3.19"),
        # A zero line: no tax, no net.
        (("0.00", "119.00"), ["0.00", "19.00"], ["0.00", "100.00"], "19.00", "100.00", "19.00"),
    ],
)
def test_included_vat_rounded_per_line(amounts, vat_per_line, net_per_line, vat_total, net_total, per_total_vat):
    total = sum((D(a) for a in amounts), D("0.00"))
    result = apply_fee_tax_table(GERMANY, {"accessories": total}, lines=_lines(*amounts))
    assert [str(t.included_tax) for t in result.line_taxes] == vat_per_line
    assert [str(t.net) for t in result.line_taxes] == net_per_line
    assert str(result.total_included_tax) == str(result.tax_lines[0].amount) == vat_total
    # The invariants: line nets add up to the net subtotal; net + VAT = gross on every line and in total.
    assert str(sum((t.net for t in result.line_taxes), D(0))) == net_total
    assert all(t.net + t.tax == t.gross == t.amount for t in result.line_taxes)
    assert D(net_total) + D(vat_total) == result.total == total
    per_total = apply_fee_tax_table(GERMANY_PER_TOTAL, {"accessories": total}, lines=_lines(*amounts))
    assert str(per_total.total_included_tax) == per_total_vat
    assert per_total.line_taxes == ()


def test_fees_are_lines_of_their_own():
    # Transfer 999.00 taxable: 999 × 19/119 = 159.504… → 159.50, net 839.50; registration 30.00 untaxed.
    table = FeeTaxTable(
        "EUR",
        fees=(FeeRule("UEB", "Überführung", D("999.00")), FeeRule("ZUL", "Zulassung", D("30.00"), taxable=False)),
        taxes=(VAT19,),
        rounding=TaxRounding.PER_LINE,
    )
    result = apply_fee_tax_table(table, {"vehicle": D("35700.00")})
    rows = [(t.line_id, str(t.amount), str(t.included_tax), str(t.net)) for t in result.line_taxes]
    assert rows == [
        ("vehicle", "35700.00", "5700.00", "30000.00"),
        ("fee:UEB", "999.00", "159.50", "839.50"),
        ("fee:ZUL", "30.00", "0.00", "30.00"),
    ]
    assert result.total_included_tax == D("5859.50")
    assert result.total == D("36729.00") == D("30869.50") + D("5859.50")


def test_added_tax_rounded_per_line():
    # 10.05 × 13 % = 1.3065 → 1.31 per line, 2.62 in all; one rounding on 20.10 would give 2.613 → 2.61.
    table = FeeTaxTable(
        "CAD", taxes=(TaxRule("HST", "HST", D("13"), ALL_BASES, included_in_price=False),), rounding="per_line"
    )
    result = apply_fee_tax_table(table, {"options": D("20.10")}, lines=_lines("10.05", "10.05", base="options"))
    assert [(str(t.net), str(t.tax), str(t.gross)) for t in result.line_taxes] == [("10.05", "1.31", "11.36")] * 2
    assert result.total_added_tax == D("2.62")
    assert result.total == D("22.72")


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: FeeTaxTable("EUR", taxes=(VAT19,), rounding="per_invoice"), "rounding"),
        (
            lambda: FeeTaxTable(
                "EUR",
                taxes=(TaxRule("T", "T", D("19"), ALL_BASES, included_in_price=True, trade_in_credit=True),),
                rounding=TaxRounding.PER_LINE,
            ),
            "rounding",
        ),
        (lambda: apply_fee_tax_table(GERMANY, {"accessories": D("10.00")}, lines=_lines("9.99")), "lines"),
        (lambda: apply_fee_tax_table(GERMANY, {"accessories": D("10.00")}, lines=_lines("10.001")), "lines"),
        (lambda: apply_fee_tax_table(GERMANY, {}, lines=_lines("5.00", "-5.00")), "lines"),
        (lambda: apply_fee_tax_table(GERMANY, {}, lines=[TaxableLine("x", "fees", D("0.00"))]), "lines"),
    ],
)
def test_refused(build, field):
    with pytest.raises(FeeTaxError) as info:
        build()
    assert info.value.field == field


@given(st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=8))
def test_per_line_invariants_hold_for_any_lines(cents):
    amounts = [D(c) / 100 for c in cents]
    total = sum(amounts, D("0.00"))
    result = apply_fee_tax_table(GERMANY, {"accessories": total}, lines=_lines(*map(str, amounts)))
    assert sum((t.net for t in result.line_taxes), D(0)) + result.total_included_tax == total
    assert sum((t.included_tax for t in result.line_taxes), D(0)) == result.total_included_tax
    assert all(t.net + t.tax == t.gross for t in result.line_taxes)
