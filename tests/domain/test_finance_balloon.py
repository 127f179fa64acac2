"""Balloon (final) payments: annuity with a future value, schedule, effective rate, bank limits (issue 13 item 4).

Hand checks used below: with a balloon B the payment is the plain annuity of (P - B) plus the
interest on B each month, ``PMT(P - B) + r*B`` (expand ``r*(P - B/g)/(1 - 1/g)`` with ``g = (1+r)^n``).
"""

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.finance import (
    BalloonError,
    FinanceScenario,
    NegativeAmountError,
    PartnerBankTerms,
    PartnerBankTermsError,
    SubMinorUnitAmountError,
    amortization_schedule,
    annuity_payment,
    balloon_from_percent,
    effective_annual_rate,
    monthly_payment,
)

D = Decimal


@pytest.mark.parametrize(
    ("amount", "apr", "term", "currency", "balloon", "payment"),
    [
        # 0 %: (10,000,000 - 4,000,000) / 12 = 500,000 exactly.
        (D("10000000"), D("0"), 12, "KRW", D("4000000"), D("500000")),
        # 0 %: (1,000.00 - 399.99) / 3 = 200.0033… → 200.00.
        (D("1000.00"), D("0"), 3, "CAD", D("399.99"), D("200.00")),
        # 12 %, r = 0.01: PMT(12,000, 1 %, 12) = 1,066.19, so PMT(6,000) = 533.0926…, + 1 % × 6,000 = 60 → 593.09.
        (D("12000.00"), D("12"), 12, "CAD", D("6000.00"), D("593.09")),
        # Same loan without a balloon: the familiar 1,066.19 — the balloon lowers the payment.
        (D("12000.00"), D("12"), 12, "CAD", D("0"), D("1066.19")),
        # 6 %, r = 0.005, 36 months on 30,000,000 KRW with a 50 % balloon: PMT(15,000,000, 0.5 %, 36)
        # = 15,000,000 × 0.0304219… = 456,329.1…, + 0.5 % × 15,000,000 = 75,000 → 531,329.
        (D("30000000"), D("6"), 36, "KRW", D("15000000"), D("531329")),
    ],
    ids=["krw-0pct-exact", "cad-0pct-rounded", "cad-12pct", "cad-12pct-no-balloon", "krw-6pct-half"],
)
def test_monthly_payment_with_balloon(amount, apr, term, currency, balloon, payment):
    assert monthly_payment(amount, apr, term, currency, balloon) == payment


def test_annuity_with_balloon_is_plain_annuity_of_the_rest_plus_interest_on_the_balloon():
    r = D("0.01")
    assert annuity_payment(D(12000), r, 12, D(6000)).quantize(D("1e-20")) == (
        annuity_payment(D(6000), r, 12) + r * 6000
    ).quantize(D("1e-20"))
    assert annuity_payment(D(1000), D(0), 4, D(200)) == D(200)


@pytest.mark.parametrize(
    ("amount", "apr", "term", "currency", "balloon", "last_principal", "last_payment"),
    [
        # 500,000 × 12 principal + 4,000,000 balloon = 10,000,000.
        (D("10000000"), D("0"), 12, "KRW", D("4000000"), D("500000"), D("500000")),
        # Two rows of 200.00; the last takes 1,000.00 - 400.00 - 399.99 = 200.01.
        (D("1000.00"), D("0"), 3, "CAD", D("399.99"), D("200.01"), D("200.01")),
    ],
    ids=["krw-exact", "cad-last-absorbs-rounding"],
)
def test_schedule_last_row_absorbs_rounding_and_carries_the_balloon(
    amount, apr, term, currency, balloon, last_principal, last_payment
):
    rows = amortization_schedule(amount, apr, term, currency, balloon)
    assert len(rows) == term
    last = rows[-1]
    assert (last.principal, last.payment, last.balloon, last.balance) == (last_principal, last_payment, balloon, 0)
    assert all(row.balloon == 0 for row in rows[:-1])
    assert sum(row.principal for row in rows) + balloon == amount


def test_schedule_with_interest_sums_exactly():
    rows = amortization_schedule(D("12000.00"), D("12"), 12, "CAD", D("6000.00"))
    # Month 1: interest 1 % × 12,000 = 120.00, principal 593.09 - 120.00 = 473.09, balance 11,526.91.
    assert (rows[0].interest, rows[0].principal, rows[0].balance) == (D("120.00"), D("473.09"), D("11526.91"))
    assert sum(row.principal for row in rows) + D("6000.00") == D("12000.00")
    assert rows[-1].balance == 0 and rows[-1].balance.as_tuple().exponent == -2
    # Interest only on the balloon at the end: the last row's balance before paying is ~6,593, so it pays ~65.9 interest.
    assert rows[-2].balance - rows[-1].principal == D("6000.00")


def test_quote_totals_and_effective_rate_include_the_balloon():
    quote = FinanceScenario(
        amount_financed=D("12000.00"), apr_percent=D("12"), term_months=12, currency="CAD", balloon=D("6000.00")
    ).quote()
    assert quote.monthly_payment == D("593.09")
    assert quote.balloon_payment == D("6000.00")
    assert quote.total_repaid == sum(r.payment for r in quote.schedule) + D("6000.00")
    assert quote.total_repaid == D("12000.00") + quote.total_interest
    # Exact payments at 12 % nominal give (1.01)^12 - 1 = 12.68250…%, just on the half-up edge of 12.683;
    # the payment rounded down (593.0926… → 593.09) moves it below: 12.682. With the balloon left out it is < 0.
    assert quote.effective_annual_rate_percent == D("12.682")
    # Leaving the balloon out of the flows would make the loan look nearly free (far below 0 %).
    assert effective_annual_rate(D("12000.00"), [r.payment for r in quote.schedule]) < 0


def test_zero_apr_balloon_quote_is_exact_and_costs_nothing():
    quote = FinanceScenario(
        amount_financed=D("10000000"), apr_percent=D("0"), term_months=12, currency="KRW", balloon=D("4000000")
    ).quote()
    assert (quote.monthly_payment, quote.final_payment, quote.total_interest) == (D("500000"), D("500000"), 0)
    assert quote.total_repaid == D("10000000")
    assert quote.effective_annual_rate_percent == D("0.000")


@pytest.mark.parametrize(
    ("price", "percent", "currency", "balloon"),
    [
        (D("32450000"), D("40"), "KRW", D("12980000")),
        (D("10000.00"), D("33.3"), "CAD", D("3330.00")),
        (D("999.99"), D("12.345"), "CAD", D("123.45")),  # 123.448765… half-up
        (D("999.99"), D("0"), "CAD", D("0.00")),
    ],
)
def test_balloon_from_percent(price, percent, currency, balloon):
    assert balloon_from_percent(price, percent, currency) == balloon


@pytest.mark.parametrize(
    ("balloon", "error", "match"),
    [
        (D("12000.00"), BalloonError, "must be less than the amount financed"),
        (D("12000.01"), BalloonError, "must be less than the amount financed"),
        (D("-1.00"), NegativeAmountError, "must not be negative"),
        (D("1.001"), SubMinorUnitAmountError, "more decimals"),
    ],
)
def test_bad_balloon_is_refused(balloon, error, match):
    with pytest.raises(error, match=match):
        FinanceScenario(amount_financed=D("12000.00"), apr_percent=D("5"), term_months=36, currency="CAD", balloon=balloon)


def test_balloon_percent_out_of_range_is_refused():
    with pytest.raises(ValueError, match="Balloon percent must be between 0 and 100"):
        balloon_from_percent(D("1000.00"), D("101"), "CAD")


# --- partner bank: balloon per term ----------------------------------------------------------------------

BANK = PartnerBankTerms(
    "Hana Capital", ((1, 36, D("4.9")), (37, 60, D("5.9"))), D("10"), 60,
    balloon_bands=((24, 36, D("50")), (37, 48, D("40"))),
)


@pytest.mark.parametrize(
    ("term", "balloon", "error"),
    [
        (36, D("16225000"), None),  # 50 % of 32,450,000 exactly
        (36, D("16225001"), "at most 16225000 KRW (50%) for 36 months; got 16225001"),
        (48, D("12980000"), None),  # 40 % of 32,450,000
        (48, D("12980001"), "at most 12980000 KRW (40%) for 48 months"),
        (60, D("1000000"), "offers no balloon payment for a 60-month term"),
        (12, D("1000000"), "offers no balloon payment for a 12-month term"),
        (60, D("0"), None),
    ],
)
def test_partner_bank_balloon_limit_per_term(term, balloon, error):
    if error is None:
        BANK.check_balloon(D("32450000"), balloon, term, "KRW")
    else:
        with pytest.raises(BalloonError, match=re.escape(error)):
            BANK.check_balloon(D("32450000"), balloon, term, "KRW")


def test_partner_bank_balloon_bands_are_checked():
    assert BANK.max_balloon_percent(30) == D("50") and BANK.max_balloon_percent(60) == 0
    with pytest.raises(PartnerBankTermsError, match="overlaps"):
        PartnerBankTerms("X", ((1, 60, D("5")),), D("0"), 60, balloon_bands=((12, 36, D("40")), (36, 48, D("30"))))
    with pytest.raises(ValueError, match="Balloon percent must be between 0 and 100"):
        PartnerBankTerms("X", ((1, 60, D("5")),), D("0"), 60, balloon_bands=((12, 36, D("140")),))


@settings(max_examples=150, deadline=None)
@given(
    amount=st.integers(100, 10**9),
    share=st.integers(0, 99),
    apr=st.decimals(min_value=0, max_value=30, places=2),
    term=st.integers(1, 120),
)
def test_principal_parts_plus_balloon_equal_the_amount_financed(amount, share, apr, term):
    amount_financed = D(amount)
    balloon = balloon_from_percent(amount_financed, share, "KRW")
    rows = amortization_schedule(amount_financed, apr, term, "KRW", balloon)
    assert sum(r.principal for r in rows) + balloon == amount_financed
    assert rows[-1].balance == 0 and rows[-1].balloon == balloon
    assert all(r.principal >= 0 and r.balance >= 0 for r in rows)
    # A balloon never raises the payment.
    assert monthly_payment(amount_financed, apr, term, "KRW", balloon) <= monthly_payment(amount_financed, apr, term, "KRW")
