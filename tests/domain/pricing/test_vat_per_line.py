"""A German dealer (EUR, 19 % VAT included, per-line rounding) priced by hand, line by line.

Each line's VAT is round(gross × 19 / 119) half-up to the cent; its net is gross − VAT; the
totals are sums of the rounded lines.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.pricing import AccessoryChoice, LineKind, ManualDiscount, PricingInput, StockVehicle, price_offer
from app.domain.taxes import FEES, TAX_BASES, FeeRule, FeeTaxTable, TaxRounding, TaxRule

from .builders import NOW

D = Decimal
MUNICH_TABLE = FeeTaxTable(
    "EUR",
    fees=(FeeRule("UEB", "Überführung", D("999.00")), FeeRule("ZUL", "Zulassung", D("30.00"), taxable=False)),
    taxes=(TaxRule("MWST", "MwSt. 19 %", D("19"), frozenset(TAX_BASES), included_in_price=True),),
    rounding=TaxRounding.PER_LINE,
)
MATS = tuple(AccessoryChoice(f"MAT{i}", f"Floor mat {i}", D("10.00")) for i in (1, 2, 3))


def _offer(table: FeeTaxTable, manual: str | None = "1000.00"):
    return price_offer(
        PricingInput(
            currency="EUR",
            brand_id=1,
            dealer_id=40,
            now_utc=NOW,
            vehicle=StockVehicle("M-1", "Aurora Limited", "AUR", "LTD", D("35700.00"), D("28000.00"), accessories=MATS),
            fee_tax_table=table,
            manual_discount=ManualDiscount(amount=D(manual)) if manual else None,
        )
    )


@pytest.mark.parametrize(
    ("manual", "rows", "totals"),
    [
        # The manual discount comes off the vehicle: 35,700 − 1,000 = 34,700;
        # 34,700 × 19/119 = 5,540.336… → 5,540.34, net 29,159.66. Each mat 10.00 × 19/119 = 1.596… → 1.60,
        # net 8.40. Überführung 999 × 19/119 = 159.504… → 159.50, net 839.50. Zulassung untaxed.
        # Tax 5,540.34 + 3 × 1.60 + 159.50 = 5,704.64; gross 34,700 + 30 + 999 + 30 = 35,759.00.
        (
            "1000.00",
            [
                ("vehicle", "29159.66", "5540.34", "34700.00"),
                ("accessory", "8.40", "1.60", "10.00"),
                ("accessory", "8.40", "1.60", "10.00"),
                ("accessory", "8.40", "1.60", "10.00"),
                ("fee", "839.50", "159.50", "999.00"),
                ("fee", "30.00", "0.00", "30.00"),
            ],
            ("30054.36", "5704.64", "35759.00"),
        ),
        # No discount: 35,700 × 19/119 = 5,700.00 exactly, net 30,000.00.
        # Tax 5,700 + 4.80 + 159.50 = 5,864.30; gross 35,700 + 30 + 999 + 30 = 36,759.00.
        (
            None,
            [
                ("vehicle", "30000.00", "5700.00", "35700.00"),
                ("accessory", "8.40", "1.60", "10.00"),
                ("accessory", "8.40", "1.60", "10.00"),
                ("accessory", "8.40", "1.60", "10.00"),
                ("fee", "839.50", "159.50", "999.00"),
                ("fee", "30.00", "0.00", "30.00"),
            ],
            ("30894.70", "5864.30", "36759.00"),
        ),
    ],
)
def test_munich_offer_net_vat_gross_per_line(manual, rows, totals):
    offer = _offer(MUNICH_TABLE, manual)
    breakdown = offer.tax_breakdown
    assert offer.tax_rounding == "per_line"
    assert [(str(t.kind), str(t.net), str(t.tax), str(t.gross)) for t in breakdown.lines] == rows
    assert (str(breakdown.total_net), str(breakdown.total_tax), str(breakdown.total_gross)) == totals
    # The invariants the offer prints: line nets add up to the net subtotal, net + VAT = gross everywhere.
    assert sum((t.net for t in breakdown.lines), D(0)) == breakdown.total_net
    assert all(t.net + t.tax == t.gross for t in breakdown.lines)
    assert breakdown.total_net + breakdown.total_tax == breakdown.total_gross == offer.out_the_door_price
    assert offer.total_included_tax == breakdown.total_tax
    assert [(t.kind, t.amount) for t in offer.tax_lines] == [(LineKind.INCLUDED_TAX, D(totals[1]))]


def test_per_total_market_has_no_breakdown():
    # The same dealer rounding once on the total: (34,700 + 30 + 999) × 19/119 = 678,851 / 119
    # = 5,704.630… → 5,704.63, a cent less than the 5,704.64 its printed lines add up to.
    table = FeeTaxTable("EUR", fees=MUNICH_TABLE.fees, taxes=MUNICH_TABLE.taxes)
    offer = _offer(table)
    assert offer.tax_rounding == "per_total"
    assert offer.tax_breakdown is None
    assert offer.total_included_tax == D("5704.63")
    assert FEES in MUNICH_TABLE.taxes[0].bases
