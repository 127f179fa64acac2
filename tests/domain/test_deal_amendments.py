"""Changes to accept after acceptance: loan terms, the customer's total, who may accept, the loan taking a change.

Loan figures by hand (``P·r / (1 − (1 + r)^−n)``, ``r = APR / 1200``, half-up to the minor unit, the last
payment takes the rounding):

* 12,000.00 CAD at 12 % over 12 months: r = 0.01, 12,000 × 0.01 / (1 − 1.01^−12) = 1,066.1855 → 1,066.19;
  the last payment 1,066.14; total 11 × 1,066.19 + 1,066.14 = 12,794.23 (interest 794.23).
* 30,150,000 KRW over 60 months: at 5.9 % 581,483.06 → 581,483 (total 34,888,983); at 6.4 %
  588,508.18 → 588,508, last 588,522, total 59 × 588,508 + 588,522 = 35,310,494.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.deal_amendments import (
    DealFigures,
    amended_amount_financed,
    changes,
    loan_terms,
    principal_may_approve,
    safe_loan_terms,
)

D = Decimal


@pytest.mark.parametrize(
    ("amount", "apr", "term", "currency", "monthly", "final", "total", "interest"),
    [
        ("12000.00", "12", 12, "CAD", "1066.19", "1066.14", "12794.23", "794.23"),
        ("30150000", "5.9", 60, "KRW", "581483", "581486", "34888983", "4738983"),
        ("30150000", "6.4", 60, "KRW", "588508", "588522", "35310494", "5160494"),
    ],
)
def test_loan_terms_by_hand(amount, apr, term, currency, monthly, final, total, interest):
    terms = loan_terms(kind="finance", lender="Bank", amount_financed=D(amount), apr_percent=D(apr), term_months=term,
                       currency=currency)
    assert (terms.monthly_payment, terms.final_payment, terms.total_of_payments, terms.total_interest) == (
        D(monthly), D(final), D(total), D(interest))
    assert terms.total_of_payments == terms.amount_financed + terms.total_interest
    strings = terms.as_strings(currency)
    assert strings["monthly_payment"] == monthly and strings["term_months"] == term and strings["apr_percent"] == apr


def test_lease_keeps_the_offered_payment_only_while_its_terms_are_unchanged():
    offered = (D("30000000"), D("4.9"), 36, D("420000"))
    same = loan_terms(kind="lease", lender="B", amount_financed=D("30000000"), apr_percent=D("4.90"), term_months=36,
                      currency="KRW", offered=offered)
    other = loan_terms(kind="lease", lender="B", amount_financed=D("30000000"), apr_percent=D("5.4"), term_months=36,
                       currency="KRW", offered=offered)
    assert same.monthly_payment == D("420000") and other.monthly_payment is None and other.total_of_payments is None


def test_unpriceable_terms_give_none():
    assert safe_loan_terms(kind="finance", lender="B", amount_financed=D("10.5"), apr_percent=D("5"), term_months=12,
                           currency="KRW") is None  # KRW has no minor unit


def _figures(**changes_) -> DealFigures:
    base = dict(currency="KRW", out_the_door_price=D("36900000"), trade_in_allowance=D("14000000"),
                trade_in_payoff=D("4500000"), trade_in_equity=D("9500000"), amount_financed=D("0"),
                balance_due=D("27400000"))
    base.update(changes_)
    return DealFigures(**base)


def test_customer_total_counts_cash_and_the_loan():
    cash = _figures()
    assert cash.customer_total == D("27400000")  # 36,900,000 − 9,500,000 equity
    financed = _figures(amount_financed=D("20000000"), total_of_payments=D("23000000"))
    assert financed.customer_total == D("30400000")  # 7,400,000 cash + 23,000,000 to the lender
    assert _figures(amount_financed=D("20000000")).customer_total == D("27400000")  # no terms known: the principal


def test_changes_list_only_what_moved_in_display_order():
    before = _figures(apr_percent=D("5.90"), term_months=60, lender="Hyundai Capital")
    after = _figures(trade_in_allowance=D("12000000"), trade_in_equity=D("7500000"), out_the_door_price=D("37000000"),
                     apr_percent=D("5.9"), term_months=60, lender="Hyundai Capital", balance_due=D("29500000"))
    assert [(c.key, c.old, c.new) for c in changes(before, after)] == [
        ("trade_in_allowance", D("14000000"), D("12000000")),
        ("trade_in_equity", D("9500000"), D("7500000")),
        ("out_the_door_price", D("36900000"), D("37000000")),
        ("balance_due", D("27400000"), D("29500000")),
    ]  # 5.90 and 5.9 are the same APR
    assert changes(before, before) == []
    assert DealFigures.from_json(after.to_json()) == after


def test_principal_may_accept_only_a_trade_in_change_that_does_not_raise_the_total():
    before = _figures()
    lower = _figures(trade_in_allowance=D("15000000"), trade_in_equity=D("10500000"), balance_due=D("26400000"))
    higher = _figures(trade_in_allowance=D("12000000"), trade_in_equity=D("7500000"), out_the_door_price=D("37000000"))
    assert principal_may_approve({"trade_in"}, before, lower)
    assert principal_may_approve({"trade_in"}, before, before)  # the total does not rise
    assert not principal_may_approve({"trade_in"}, before, higher)
    assert not principal_may_approve({"finance"}, before, lower)  # the loan's terms are the customer's to accept
    assert not principal_may_approve({"trade_in", "finance"}, before, lower)


@pytest.mark.parametrize(
    ("current", "change", "approved", "financeable", "expected"),
    [
        ("20000000", "2000000", None, "40000000", "22000000"),  # not decided yet: the loan takes the change
        ("20000000", "2000000", "21000000", "40000000", "21000000"),  # never above what the bank approved
        ("20000000", "-3000000", "20000000", "40000000", "17000000"),  # a better trade-in lowers the loan
        ("2000000", "-3000000", "2000000", "40000000", "0"),  # never below zero
        ("20000000", "2000000", None, "21500000", "21500000"),  # never above what is left to pay
    ],
)
def test_amended_amount_financed(current, change, approved, financeable, expected):
    assert amended_amount_financed(D(current), D(change), approved=D(approved) if approved else None,
                                   financeable=D(financeable)) == D(expected)
