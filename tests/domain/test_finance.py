"""Tests for app.domain.finance: loan payment, schedule, APRC, lease, desking grid, partner-bank terms.

Reference payments are the spreadsheet PMT values; each was re-derived with exact
rational arithmetic (``fractions.Fraction``: P*r / (1 - (1 + r)^-n), then rounded
half-up), and the comment on each row shows r, (1 + r)^n and the unrounded payment.
"""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.domain.finance import (
    AmortizationRow,
    APROutOfRangeError,
    APRSubvention,
    CapCostReductionError,
    DownPaymentBelowMinimumError,
    DownPaymentExceedsPriceError,
    FinanceError,
    FinanceScenario,
    LeaseScenario,
    LenderFeesError,
    NegativeAmountError,
    NoAPRForTermError,
    PartnerBankTerms,
    PartnerBankTermsError,
    ResidualAboveCapCostError,
    ResidualPercentError,
    SubMinorUnitAmountError,
    TermOutOfRangeError,
    amortization_schedule,
    annuity_payment,
    apply_apr_subvention,
    desking_grid,
    effective_annual_rate,
    money_factor_from_apr,
    monthly_payment,
    quote_lease,
)
from app.domain.money import MoneyError, minor_units, round_money

D = Decimal
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


# --------------------------------------------------------------------------- monthly payment (PMT)


@pytest.mark.parametrize(
    ("amount", "apr", "term", "currency", "expected"),
    [
        # PMT(5%/12, 60, 20000): r = 0.0041666..., (1+r)^60 = 1.2833586785, exact 377.42467... -> 377.42
        ("20000", "5", 60, "USD", D("377.42")),
        # Microsoft's PMT example =PMT(8%/12,10,10000): r = 0.0066666..., (1+r)^10 = 1.0687026404,
        # exact 1037.03209 -> 1037.03
        ("10000", "8", 10, "USD", D("1037.03")),
        # r = 0.0058333..., (1+r)^72 = 1.5201055043, exact 596.71523 -> 596.72
        ("35000", "7", 72, "USD", D("596.72")),
        # r = 0.00325, (1+r)^48 = 1.1685305835, exact 563.35834 -> 563.36
        ("25000", "3.9", 48, "CAD", D("563.36")),
        # r = 0.005825, (1+r)^84 = 1.6288600654, exact 678.95064 -> 678.95
        ("45000", "6.99", 84, "CAD", D("678.95")),
        # r = 0.002325, (1+r)^84 = 1.2154000903, exact 10495.09387 -> 10495.09
        ("800000", "2.79", 84, "THB", D("10495.09")),
        # r = 0.01, (1+r)^36 = 1.4307687836, exact 332.14310 -> 332.14
        ("10000", "12", 36, "USD", D("332.14")),
        # KRW has 0 decimals: r = 0.00375, (1+r)^60 = 1.2517958205, exact 559290.577 -> 559291
        ("30000000", "4.5", 60, "KRW", D("559291")),
        # r = 1/12, (1+r)^120 = 14840.644, exact 83.33895 -> 83.34 (APR 100 is the allowed maximum)
        ("1000", "100", 120, "USD", D("83.34")),
        # one month: P * (1 + r) = 1000 * 1.01 = 1010.00
        ("1000", "12", 1, "USD", D("1010.00")),
        # APR 0 is exactly P / n
        ("12000", "0", 48, "USD", D("250.00")),  # 12000 / 48 = 250
        ("1000", "0", 3, "USD", D("333.33")),  # 1000 / 3 = 333.333... -> 333.33
        ("2000", "0", 3, "USD", D("666.67")),  # 2000 / 3 = 666.666... -> 666.67 (half-up, not truncation)
        ("30000000", "0", 7, "KRW", D("4285714")),  # 30000000 / 7 = 4285714.2857 -> 4285714
        ("0", "7", 60, "USD", D("0.00")),  # nothing financed, nothing to pay
    ],
)
def test_monthly_payment_matches_spreadsheet_pmt(amount, apr, term, currency, expected):
    payment = monthly_payment(D(amount), D(apr), term, currency)
    assert payment == expected
    assert payment.as_tuple().exponent == -minor_units(currency)


def test_annuity_formula_for_a_30_year_mortgage_but_car_loans_stop_at_120_months():
    # PMT(0.06/12, 360, 200000): r = 0.005, (1.005)^360 = 6.0225752123, 200000*0.005/(1 - 1/6.0225752123)
    # = 1199.10105... -> 1199.10. The bare annuity formula has no term limit ...
    assert round_money(annuity_payment(D("200000"), D("0.005"), 360), "USD") == D("1199.10")
    # ... but a car loan does.
    with pytest.raises(TermOutOfRangeError):
        monthly_payment(D("200000"), D("6"), 360, "USD")


def test_annuity_payment_at_zero_rate_is_exact_division():
    # 100 / 3 carried to 50 digits, not rounded to cents: the caller rounds once.
    assert annuity_payment(D("100"), D("0"), 3) * 3 == D("100.0000000000000000000000000000000000000000000000")
    with pytest.raises(FinanceError):
        annuity_payment(D("100"), D("0.01"), 0)


@pytest.mark.parametrize(
    ("amount", "apr", "term", "currency", "error"),
    [
        ("10000", "-0.01", 36, "USD", APROutOfRangeError),
        ("10000", "100.01", 36, "USD", APROutOfRangeError),
        ("10000", "5", 0, "USD", TermOutOfRangeError),
        ("10000", "5", 121, "USD", TermOutOfRangeError),
        ("10000", "5", True, "USD", TermOutOfRangeError),  # a bool is not a number of months
        ("-1", "5", 36, "USD", NegativeAmountError),
        ("10000.005", "5", 36, "USD", SubMinorUnitAmountError),  # USD has cents, not mills
        ("1500.5", "5", 36, "KRW", SubMinorUnitAmountError),  # KRW has no minor unit
        ("10000", "5", 36, "usd", MoneyError),
        ("NaN", "5", 36, "USD", MoneyError),
    ],
)
def test_monthly_payment_rejects_bad_input(amount, apr, term, currency, error):
    with pytest.raises(error):
        monthly_payment(amount, D(apr), term, currency)


def test_monthly_payment_refuses_floats():
    with pytest.raises(TypeError):
        monthly_payment(10000.0, D("5"), 36, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        monthly_payment(D("10000"), 4.9, 36, "USD")  # type: ignore[arg-type]
    with pytest.raises(TermOutOfRangeError):
        monthly_payment(D("10000"), D("5"), 36.0, "USD")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- amortization schedule


def test_schedule_last_payment_absorbs_rounding():
    # 1000 at 12 % over 3 months: r = 0.01, payment = 1000*0.01/(1 - 1.01^-3) = 340.0221 -> 340.02
    # month 1: interest 1000.00*0.01 = 10.00, principal 340.02-10.00 = 330.02, balance 669.98
    # month 2: interest 669.98*0.01 = 6.6998 -> 6.70, principal 333.32, balance 336.66
    # month 3: interest 336.66*0.01 = 3.3666 -> 3.37, principal = the whole 336.66, payment 340.03
    assert amortization_schedule(D("1000"), D("12"), 3, "USD") == (
        AmortizationRow(1, D("340.02"), D("10.00"), D("330.02"), D("669.98")),
        AmortizationRow(2, D("340.02"), D("6.70"), D("333.32"), D("336.66")),
        AmortizationRow(3, D("340.03"), D("3.37"), D("336.66"), D("0.00")),
    )


def test_schedule_at_zero_apr_puts_the_odd_cent_in_the_last_month():
    # 1000 / 3 = 333.33 twice, then 1000 - 666.66 = 333.34; no interest at all.
    rows = amortization_schedule(D("1000"), D("0"), 3, "USD")
    assert [row.payment for row in rows] == [D("333.33"), D("333.33"), D("333.34")]
    assert [row.balance for row in rows] == [D("666.67"), D("333.34"), D("0")]
    assert all(row.interest == 0 for row in rows)


def test_krw_schedule_has_whole_won_and_sums_exactly():
    # 30,000,000 KRW at 4.5 % over 60 months: payment 559,291 (see the PMT table); the last
    # month pays 559,261. Total interest = 59*559291 + 559261 - 30000000
    # = 32998169 + 559261 - 30000000 = 3,557,430.
    rows = amortization_schedule(D("30000000"), D("4.5"), 60, "KRW")
    # month 1 interest: 30,000,000 * 0.00375 = 112,500 exactly; principal 559,291 - 112,500 = 446,791
    assert rows[0] == AmortizationRow(1, D("559291"), D("112500"), D("446791"), D("29553209"))
    assert rows[-1].payment == D("559261")
    assert rows[-1].balance == 0
    assert sum(row.interest for row in rows) == D("3557430")
    assert all(row.interest.as_tuple().exponent == 0 for row in rows)


def test_schedule_never_overpays_a_tiny_loan():
    # 0.60 USD over 120 months at 0 %: 0.60/120 = 0.005 rounds half-up to 0.01, so the loan
    # is repaid after 60 months; the principal part is capped at the balance and later rows are 0.
    rows = amortization_schedule(D("0.60"), D("0"), 120, "USD")
    assert rows[59].balance == 0
    assert all(row.payment == 0 and row.balance == 0 for row in rows[60:])
    assert sum(row.principal for row in rows) == D("0.60")


# --------------------------------------------------------------------------- effective annual rate (APRC)


@pytest.mark.parametrize(
    ("amount", "fees", "payments", "expected"),
    [
        # one payment of 1010 a month after borrowing 1000: i = 1 %, (1.01)^12 - 1 = 0.1268250 -> 12.683
        ("1000", "0", ["1010"], D("12.683")),
        # 1100 back after 12 months on 1000: (1 + i)^12 = 1.1 exactly -> 10.000
        ("1000", "0", ["0"] * 11 + ["1100"], D("10.000")),
        # a 100 fee means only 900 is received; 990 back after 12 months: 990/900 = 1.1 -> 10.000
        ("1000", "100", ["0"] * 11 + ["990"], D("10.000")),
        # repaying less than was received gives a negative rate: (1 + i)^12 = 900/1000 -> -10.000
        ("1000", "0", ["0"] * 11 + ["900"], D("-10.000")),
        # 0 % loan with a 1 % fee: 11880 received, 12 x 1000 paid; IRR 0.15489 %/month -> 1.875 %
        ("12000", "120", ["1000"] * 12, D("1.875")),
        # nothing borrowed, nothing charged
        ("0", "0", ["0"], D("0.000")),
    ],
)
def test_effective_annual_rate_of_cash_flows(amount, fees, payments, expected):
    assert effective_annual_rate(D(amount), [D(p) for p in payments], D(fees)) == expected


@pytest.mark.parametrize(
    ("amount", "apr", "term", "currency", "fees", "expected"),
    [
        # No fees: about (1 + APR/1200)^12 - 1. 12 %: (1.01)^12 - 1 = 12.6825 % -> 12.683
        ("10000", "12", 36, "USD", "0", D("12.683")),
        # ... but the cash flows are the ROUNDED payments: on 1000 over 3 months they cost
        # 340.02, 340.02, 340.03, i.e. 12.685 %, not 12.683 %.
        ("1000", "12", 3, "USD", "0", D("12.685")),
        # (1 + 5/1200)^12 - 1 = 5.1162 % -> 5.116; a 500 fee on 20000 lifts it to 6.218
        ("20000", "5", 60, "USD", "0", D("5.116")),
        ("20000", "5", 60, "USD", "500", D("6.218")),
        # a 200 fee on 10000 at 12 % / 36 months: 9800 received for 35 x 332.14 + 332.28 -> 14.267
        ("10000", "12", 36, "USD", "200", D("14.267")),
        # KRW: (1.00375)^12 - 1 = 4.5940 % -> 4.594; with a 300,000 KRW fee -> 5.025
        ("30000000", "4.5", 60, "KRW", "0", D("4.594")),
        ("30000000", "4.5", 60, "KRW", "300000", D("5.025")),
    ],
)
def test_effective_annual_rate_of_a_quoted_loan(amount, apr, term, currency, fees, expected):
    # Expected values re-derived with exact fractions and a 90-step bisection, independent of the module.
    quote = FinanceScenario(
        amount_financed=D(amount), apr_percent=D(apr), term_months=term, currency=currency, lender_fees=D(fees)
    ).quote()
    assert quote.effective_annual_rate_percent == expected


@pytest.mark.parametrize(
    ("amount", "fees", "payments", "error"),
    [
        ("1000", "1000", ["1100"], LenderFeesError),  # the customer would receive nothing
        ("1000", "-1", ["1100"], NegativeAmountError),
        ("1000", "0", ["-5", "1100"], NegativeAmountError),
        ("1000", "0", [], FinanceError),
        ("1000", "0", ["0", "0"], FinanceError),
    ],
)
def test_effective_annual_rate_rejects_bad_cash_flows(amount, fees, payments, error):
    with pytest.raises(error):
        effective_annual_rate(D(amount), [D(p) for p in payments], D(fees))


# --------------------------------------------------------------------------- scenario and quote


def test_finance_quote_totals():
    # 10000 USD at 12 % over 36 months with a 200 origination fee:
    # payments 35 x 332.14 = 11624.90, plus the last 332.28 -> total repaid 11957.18
    # total interest = 11957.18 - 10000 = 1957.18; cost of credit = 1957.18 + 200 = 2157.18
    quote = FinanceScenario(
        amount_financed=D("10000"), apr_percent=D("12"), term_months=36, currency="USD", lender_fees=D("200")
    ).quote()
    assert quote.monthly_payment == D("332.14")
    assert quote.final_payment == D("332.28")
    assert quote.total_repaid == D("11957.18")
    assert quote.total_interest == D("1957.18")
    assert quote.total_cost_of_credit == D("2157.18")
    assert quote.total_amount_payable == D("12157.18")
    assert quote.nominal_apr_percent == D("12")
    assert quote.currency == "USD"
    assert len(quote.schedule) == 36
    assert quote.effective_annual_rate_percent == D("14.267")


def test_finance_scenario_with_nothing_financed_quotes_zero():
    quote = FinanceScenario(amount_financed=D("0"), apr_percent=D("9.9"), term_months=48, currency="CAD").quote()
    assert (quote.monthly_payment, quote.total_interest, quote.total_repaid) == (0, 0, 0)
    assert quote.effective_annual_rate_percent == D("0.000")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"lender_fees": D("10000")}, LenderFeesError),  # fees as large as the loan
        ({"lender_fees": D("-1")}, NegativeAmountError),
        ({"apr_percent": D("101")}, APROutOfRangeError),
        ({"term_months": 0}, TermOutOfRangeError),
        ({"amount_financed": D("-500")}, NegativeAmountError),
        ({"amount_financed": D("0"), "lender_fees": D("50")}, LenderFeesError),
        ({"currency": "XX"}, MoneyError),
    ],
)
def test_finance_scenario_rejects_bad_input(kwargs, error):
    base = {"amount_financed": D("10000"), "apr_percent": D("5"), "term_months": 36, "currency": "USD"}
    with pytest.raises(error):
        FinanceScenario(**(base | kwargs))


# --------------------------------------------------------------------------- desking grid

DESK_APR = {36: D("3.9"), 48: D("4.9"), 60: D("5.9")}


def test_desking_grid_rows_by_down_payment_columns_by_term():
    grid = desking_grid(
        price_to_finance=D("30000"),
        down_payments=(D("0"), D("3000"), D("6000")),
        terms=(36, 48, 60),
        apr_for_term=DESK_APR,
        currency="USD",
    )
    assert grid.terms == (36, 48, 60)
    assert len(grid.quotes) == 3 and all(len(row) == 3 for row in grid.quotes)
    payments = [[quote.monthly_payment for quote in row] for row in grid.quotes]
    # 30000 @ 3.9 %/36: r=0.00325, (1+r)^36=1.1239062, exact 884.3856 -> 884.39
    # 27000 @ 4.9 %/48: r=0.0040833, (1+r)^48=1.2160415, exact 620.5686 -> 620.57
    # 24000 @ 5.9 %/60: r=0.0049166, (1+r)^60=1.3421558, exact 462.8721 -> 462.87
    assert payments[0][0] == D("884.39")
    assert payments[1][1] == D("620.57")
    assert payments[2][2] == D("462.87")
    # 30000 @ 5.9 %/60 exact 578.5901 -> 578.59; 24000 @ 3.9 %/36 exact 707.5085 -> 707.51
    assert grid.quote(D("0"), 60).monthly_payment == D("578.59")
    assert grid.quote(D("6000"), 36).monthly_payment == D("707.51")
    assert grid.quote(D("3000"), 48).scenario.amount_financed == D("27000")
    assert grid.quote(D("3000"), 48).nominal_apr_percent == D("4.9")
    with pytest.raises(KeyError):
        grid.quote(D("1000"), 48)


def test_desking_grid_accepts_a_bank_rate_sheet_as_apr_lookup():
    bank = PartnerBankTerms("Northern Auto Credit", ((12, 48, D("4.5")), (49, 72, D("5.5"))), D("0"), 72)
    grid = desking_grid(
        price_to_finance=D("20000"),
        down_payments=(D("20000"),),
        terms=(36, 72),
        apr_for_term=bank.apr_for,
        currency="CAD",
    )
    assert [quote.nominal_apr_percent for quote in grid.quotes[0]] == [D("4.5"), D("5.5")]
    # a down payment equal to the price is a cash deal: nothing financed
    assert all(quote.total_repaid == 0 for quote in grid.quotes[0])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"down_payments": (D("0"), D("30000.01"))}, DownPaymentExceedsPriceError),
        ({"down_payments": (D("-1"),)}, NegativeAmountError),
        ({"terms": (36, 72)}, NoAPRForTermError),  # no APR for 72 months in the mapping
        ({"terms": (36, 0)}, TermOutOfRangeError),
        ({"terms": ()}, FinanceError),
    ],
)
def test_desking_grid_rejects_bad_input(kwargs, error):
    base = {
        "price_to_finance": D("30000"),
        "down_payments": (D("0"),),
        "terms": (36,),
        "apr_for_term": DESK_APR,
        "currency": "USD",
    }
    with pytest.raises(error):
        desking_grid(**(base | kwargs))


# --------------------------------------------------------------------------- partner bank terms and subvention

BANK = PartnerBankTerms(
    name="Han River Capital",
    apr_bands=((12, 36, D("3.9")), (37, 60, D("4.9")), (61, 84, D("6.9"))),
    min_down_payment_percent=D("10"),
    max_term=72,
)


@pytest.mark.parametrize(
    ("term", "expected"),
    [(12, D("3.9")), (36, D("3.9")), (37, D("4.9")), (60, D("4.9")), (61, D("6.9")), (72, D("6.9"))],
)
def test_bank_apr_for_term_band_edges_are_inclusive(term, expected):
    assert BANK.apr_for(term) == expected


@pytest.mark.parametrize(
    ("term", "error", "message"),
    [
        (84, NoAPRForTermError, "at most 72 months"),  # a band covers 84 but the bank stops at 72
        (6, NoAPRForTermError, "no APR for a 6-month term"),
        (0, TermOutOfRangeError, "between 1 and 120"),
    ],
)
def test_bank_apr_for_uncovered_term_says_why(term, error, message):
    with pytest.raises(error, match=message):
        BANK.apr_for(term)


@pytest.mark.parametrize(
    ("bands", "max_term", "error"),
    [
        (((12, 36, D("3.9")), (36, 60, D("4.9"))), 60, PartnerBankTermsError),  # 36 in two bands
        (((48, 36, D("3.9")),), 60, PartnerBankTermsError),  # inverted band
        (((12, 36, D("120")),), 60, APROutOfRangeError),
        (((12, 36, D("3.9")),), 0, TermOutOfRangeError),
    ],
)
def test_bank_terms_reject_inconsistent_rate_sheets(bands, max_term, error):
    with pytest.raises(error):
        PartnerBankTerms("Bad Bank", bands, D("10"), max_term)


def test_bank_minimum_down_payment():
    # 10 % of 25000.05 = 2500.005 -> 2500.01 (half-up)
    assert BANK.minimum_down_payment(D("25000.05"), "USD") == D("2500.01")
    BANK.check_down_payment(D("25000.05"), D("2500.01"), "USD")  # exactly the minimum is fine
    with pytest.raises(DownPaymentBelowMinimumError, match=r"at least 2500\.01 USD"):
        BANK.check_down_payment(D("25000.05"), D("2500.00"), "USD")
    with pytest.raises(DownPaymentExceedsPriceError):
        BANK.check_down_payment(D("25000.05"), D("25000.06"), "USD")


@pytest.mark.parametrize(
    ("term", "subvention", "expected_apr", "applied"),
    [
        (36, APRSubvention(24, 48, D("0.9"), "Spring 0.9 %"), D("0.9"), True),
        (48, APRSubvention(24, 48, D("0.9")), D("0.9"), True),  # range end is inclusive
        (60, APRSubvention(24, 48, D("0.9")), D("4.9"), False),  # outside the promotion's terms
        (36, APRSubvention(12, 36, D("5.0")), D("3.9"), False),  # promotion is worse than the bank rate
        (36, None, D("3.9"), False),
    ],
)
def test_apr_subvention(term, subvention, expected_apr, applied):
    result = apply_apr_subvention(BANK, term, subvention)
    assert (result.apr_percent, result.subvention_applied) == (expected_apr, applied)
    assert result.standard_apr_percent == BANK.apr_for(term)


def test_subvention_cannot_create_a_term_the_bank_does_not_write():
    with pytest.raises(NoAPRForTermError):
        apply_apr_subvention(BANK, 84, APRSubvention(61, 84, D("1.9")))
    with pytest.raises(FinanceError):
        APRSubvention(48, 24, D("0.9"))


def test_subvented_payment_in_the_grid():
    # 24000 at 0.9 % over 36 months: r = 0.00075, (1+r)^36 = 1.0273574, exact 675.9571 -> 675.96
    applied = apply_apr_subvention(BANK, 36, APRSubvention(24, 48, D("0.9")))
    assert monthly_payment(D("24000"), applied.apr_percent, 36, "USD") == D("675.96")


# --------------------------------------------------------------------------- lease


@pytest.mark.parametrize(
    ("apr", "expected"),
    [("4.8", D("0.002")), ("2.4", D("0.001")), ("3", D("0.00125")), ("0", D("0"))],  # APR / 2400
)
def test_money_factor_from_apr(apr, expected):
    assert money_factor_from_apr(D(apr)) == expected


def lease(**overrides):
    """Return the reference lease: MSRP 32,000, agreed price 30,000, 55 % residual, 4.8 % APR, 36 months."""
    base = {
        "msrp": D("32000"),
        "agreed_price": D("30000"),
        "term_months": 36,
        "apr_percent": D("4.8"),
        "residual_percent": D("55"),
        "currency": "CAD",
    }
    return LeaseScenario(**(base | overrides))


def test_lease_reference_example():
    # residual = 32000 * 55 % = 17600.00; money factor = 4.8 / 2400 = 0.002
    # depreciation = (30000 - 17600) / 36 = 12400 / 36 = 344.444 -> 344.44
    # rent charge  = (30000 + 17600) * 0.002 = 47600 * 0.002 = 95.20
    # base monthly = 344.44 + 95.20 = 439.64; no tax, first payment due at signing
    quote = quote_lease(lease())
    assert quote.money_factor == D("0.002")
    assert quote.residual_value == D("17600.00")
    assert str(quote.adjusted_cap_cost) == "30000.00"  # carried at the minor unit, shown with cents
    assert quote.monthly_depreciation == D("344.44")
    assert quote.monthly_rent_charge == D("95.20")
    assert quote.base_monthly_payment == D("439.64")
    assert quote.monthly_tax == D("0.00")
    assert quote.monthly_payment == D("439.64")
    assert quote.due_at_signing == D("439.64")
    assert quote.total_of_monthly_payments == D("15827.04")  # 439.64 * 36
    assert quote.total_depreciation == D("12400.00")
    assert quote.total_rent_charge == D("3427.04")  # 15827.04 - 12400.00
    assert quote.total_of_payments == D("15827.04")  # 439.64 at signing + 35 * 439.64


def test_lease_ontario_with_fee_down_payment_and_hst():
    # gross cap cost 30000 + 650 acquisition fee = 30650; minus 2000 down = 28650 adjusted
    # depreciation = (28650 - 17600) / 36 = 11050 / 36 = 306.944 -> 306.94
    # rent charge  = (28650 + 17600) * 0.002 = 46250 * 0.002 = 92.50
    # base 399.44; HST 13 % = 51.9272 -> 51.93; monthly 451.37
    # HST on the down payment 2000 * 13 % = 260.00; due at signing 451.37 + 2000 + 260 = 2711.37
    # total of payments = 2711.37 + 35 * 451.37 (15797.95) = 18509.32
    quote = quote_lease(
        lease(
            residual_percent={24: D("62"), 36: D("55"), 48: D("47")},
            fees_financed=D("650"),
            down_payment=D("2000"),
            monthly_tax_percent=D("13"),
            tax_down_payment=True,
        )
    )
    assert quote.residual_percent == D("55")
    assert quote.gross_cap_cost == D("30650.00")
    assert quote.cap_cost_reduction == D("2000.00")
    assert quote.adjusted_cap_cost == D("28650.00")
    assert quote.monthly_depreciation == D("306.94")
    assert quote.monthly_rent_charge == D("92.50")
    assert quote.base_monthly_payment == D("399.44")
    assert quote.monthly_tax == D("51.93")
    assert quote.monthly_payment == D("451.37")
    assert quote.down_payment_tax == D("260.00")
    assert quote.due_at_signing == D("2711.37")
    assert quote.total_of_monthly_payments == D("16249.32")  # 451.37 * 36
    assert quote.total_of_payments == D("18509.32")


def test_lease_trade_in_rebate_deposit_and_signing_fees():
    # adjusted cap cost 30000 - 1500 trade-in equity - 1000 rebate = 27500
    # depreciation (27500 - 17600) / 36 = 9900 / 36 = 275.00; rent (27500 + 17600) * 0.002 = 90.20
    # base 365.20; due at signing 365.20 + 80 registration + 500 deposit = 945.20
    # total of payments = 945.20 - 500 refundable + 35 * 365.20 (12782.00) = 13227.20
    quote = quote_lease(
        lease(trade_in_equity=D("1500"), rebates=D("1000"), fees_due_at_signing=D("80"), security_deposit=D("500"))
    )
    assert quote.base_monthly_payment == D("365.20")
    assert quote.due_at_signing == D("945.20")
    assert quote.total_of_payments == D("13227.20")


def test_lease_paid_in_arrears_has_nothing_due_but_the_down_payment():
    quote = quote_lease(lease(down_payment=D("1000"), first_payment_at_signing=False))
    assert quote.due_at_signing == D("1000.00")
    # (29000 - 17600)/36 = 316.666 -> 316.67; (29000 + 17600)*0.002 = 93.20; base 409.87
    # total = 1000 + 36 * 409.87 (14755.32) = 15755.32
    assert quote.total_of_payments == D("15755.32")


def test_lease_in_krw_rounds_to_whole_won():
    # residual 50,000,000 * 50 % = 25,000,000; money factor 6 / 2400 = 0.0025
    # depreciation (48,000,000 - 25,000,000) / 48 = 479,166.67 -> 479,167
    # rent (48,000,000 + 25,000,000) * 0.0025 = 182,500; base 661,667
    quote = quote_lease(
        LeaseScenario(
            msrp=D("50000000"),
            agreed_price=D("48000000"),
            term_months=48,
            apr_percent=D("6"),
            residual_percent=D("50"),
            currency="KRW",
        )
    )
    assert (quote.monthly_depreciation, quote.monthly_rent_charge) == (D("479167"), D("182500"))
    assert quote.base_monthly_payment == D("661667")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"term_months": 0}, TermOutOfRangeError),
        ({"agreed_price": D("-30000")}, NegativeAmountError),
        ({"msrp": D("-1")}, NegativeAmountError),
        ({"down_payment": D("-100")}, NegativeAmountError),
        ({"trade_in_equity": D("-2500")}, NegativeAmountError),  # negative equity goes in fees_financed
        ({"apr_percent": D("100.5")}, APROutOfRangeError),
        ({"residual_percent": D("101")}, ResidualPercentError),
        ({"residual_percent": {24: D("62"), 48: D("47")}}, ResidualPercentError),  # nothing for 36 months
        ({"monthly_tax_percent": D("-13")}, FinanceError),
        ({"agreed_price": D("30000.001")}, SubMinorUnitAmountError),
    ],
)
def test_lease_scenario_rejects_bad_input(overrides, error):
    with pytest.raises(error):
        lease(**overrides)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        # 70 % of 32000 = 22400 residual on a 20000 cap cost
        ({"agreed_price": D("20000"), "residual_percent": D("70")}, ResidualAboveCapCostError),
        # 28000 down leaves a 2000 adjusted cap cost under the 17600 residual
        ({"down_payment": D("28000")}, ResidualAboveCapCostError),
        ({"down_payment": D("25000"), "rebates": D("5001")}, CapCostReductionError),
    ],
)
def test_lease_quote_rejects_impossible_deals(overrides, error):
    with pytest.raises(error):
        quote_lease(lease(**overrides))


def test_lease_residual_equal_to_cap_cost_is_rent_only():
    # 17600 agreed price = 17600 residual: no depreciation; rent (17600 + 17600) * 0.002 = 70.40
    quote = quote_lease(lease(agreed_price=D("17600")))
    assert (quote.monthly_depreciation, quote.base_monthly_payment) == (D("0.00"), D("70.40"))


# --------------------------------------------------------------------------- properties

CURRENCIES = ("USD", "CAD", "THB", "KRW")
aprs = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False)
terms = st.integers(min_value=1, max_value=120)


@st.composite
def loans(draw, apr=aprs):
    """Draw (amount financed, APR percent, term, currency) with the amount at the currency's minor unit."""
    currency = draw(st.sampled_from(CURRENCIES))
    amount = draw(
        st.decimals(
            min_value=0, max_value=10_000_000, places=minor_units(currency), allow_nan=False, allow_infinity=False
        )
    )
    return amount, draw(apr), draw(terms), currency


@PROPERTY_SETTINGS
@given(loans())
def test_schedule_principal_sums_exactly_and_ends_at_zero(loan):
    amount, apr, term, currency = loan
    rows = amortization_schedule(amount, apr, term, currency)
    assert len(rows) == term
    assert [row.number for row in rows] == list(range(1, term + 1))
    assert sum(row.principal for row in rows) == amount
    assert rows[-1].balance == 0
    assert all(row.payment == row.interest + row.principal for row in rows)
    assert all(row.balance >= 0 and row.interest >= 0 and row.payment >= 0 for row in rows)
    amounts = [value for row in rows for value in (row.payment, row.interest, row.principal, row.balance)]
    assert all(value == round_money(value, currency) for value in amounts)  # whole minor units only


@PROPERTY_SETTINGS
@given(loans())
def test_total_interest_is_non_negative_and_zero_only_at_zero_apr(loan):
    amount, apr, term, currency = loan
    quote = FinanceScenario(amount_financed=amount, apr_percent=apr, term_months=term, currency=currency).quote()
    assert quote.total_interest >= 0
    assert quote.total_repaid == amount + quote.total_interest
    assert quote.total_cost_of_credit == quote.total_interest  # no fees


@PROPERTY_SETTINGS
@given(loans(apr=st.just(D("0"))))
def test_zero_apr_costs_exactly_nothing(loan):
    amount, apr, term, currency = loan
    quote = FinanceScenario(amount_financed=amount, apr_percent=apr, term_months=term, currency=currency).quote()
    assert quote.total_interest == 0
    assert quote.total_repaid == amount
    assert quote.effective_annual_rate_percent == 0


@PROPERTY_SETTINGS
@given(loans(), aprs)
def test_higher_apr_never_lowers_the_payment(loan, other_apr):
    amount, apr, term, currency = loan
    low, high = sorted((apr, other_apr))
    assert monthly_payment(amount, low, term, currency) <= monthly_payment(amount, high, term, currency)


@settings(max_examples=100, deadline=None)
@given(aprs, terms)
def test_zero_fee_aprc_of_exact_payments_is_the_compounded_apr(apr, term):
    # With no fees and unrounded annuity payments the monthly IRR is exactly APR/1200,
    # so the APRC must be (1 + APR/1200)^12 - 1, rounded to 3 decimals of a percent.
    payment = annuity_payment(D("10000"), apr / 1200, term)
    expected = (((1 + apr / 1200) ** 12 - 1) * 100).quantize(D("0.001"), rounding=ROUND_HALF_UP)
    assert effective_annual_rate(D("10000"), [payment] * term) == expected


@settings(max_examples=100, deadline=None)
@given(loans(), st.integers(min_value=1, max_value=50))
def test_lender_fees_never_lower_the_aprc(loan, fee_percent):
    amount, apr, term, currency = loan
    fees = round_money(amount * fee_percent / 100, currency)
    assume(D("0") < fees < amount)
    with_fees = FinanceScenario(
        amount_financed=amount, apr_percent=apr, term_months=term, currency=currency, lender_fees=fees
    ).quote()
    without = FinanceScenario(amount_financed=amount, apr_percent=apr, term_months=term, currency=currency).quote()
    assert with_fees.effective_annual_rate_percent >= without.effective_annual_rate_percent
    assert with_fees.total_cost_of_credit == without.total_cost_of_credit + fees
