"""Retail finance and lease arithmetic for the offer builder (desking).

Everything here is ``Decimal`` arithmetic in a local context of 50 significant
digits (``_CONTEXT``); no float is ever created. Money lines are rounded once,
half-up, to the currency's minor unit with :func:`app.domain.money.round_money`
(KRW 0 decimals, CAD/THB/USD/EUR 2).

* Loans: the level monthly payment of an annuity, ``P*r / (1 - (1 + r)^-n)`` with
  ``r = APR / 12 / 100`` (the spreadsheet ``PMT`` function), and its amortization
  schedule whose last payment absorbs the rounding.
* Balloon (final) payments - Korea's deferred instalment (유예할부), Europe's PCP
  (the guaranteed minimum future value), the US/UK balloon loan: an optional amount
  ``B`` owed on top of the last monthly payment. The annuity treats it as a future
  value: ``P = r * (PV - B/(1 + r)^n) / (1 - (1 + r)^-n)`` (``PMT(rate, n, -pv, fv)``
  with ``fv = B``: the balloon LOWERS the monthly payment), exactly ``(PV - B) / n``
  at 0 %. The schedule's last row absorbs the rounding, so its principal parts plus
  the balloon equal the amount financed exactly, and the effective rate is the IRR of
  the cash flows with the balloon in month n. A balloon is given as an amount or as a
  percent of the price (:func:`balloon_from_percent`); it must be below the amount
  financed. Partner banks say per term band the largest balloon percent they write.
  Worked example: 10,000,000 KRW, 12 months, 0 %, balloon 4,000,000 -> 500,000 a month.
* Effective annual rate of the real cash flows including lender fees, as the
  EU Consumer Credit Directive 2008/48/EC, Annex I defines the APRC.
* Leases by the money-factor method (``money factor = APR / 2400``).
* :class:`FinanceScenario` -> :class:`FinanceQuote`, the term * down-payment
  desking grid, and partner-bank APR bands with manufacturer APR subvention.

Car-loan terms are 1..120 months and APRs 0..100 percent; anything else raises
a :class:`FinanceError` subclass (all of them are ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from itertools import pairwise
from types import MappingProxyType

from app.domain.money import ZERO, minor_units, round_money, to_decimal

__all__ = [
    "MAX_APR_PERCENT",
    "MAX_TERM_MONTHS",
    "MIN_TERM_MONTHS",
    "APROutOfRangeError",
    "APRSubvention",
    "AmortizationRow",
    "AppliedAPR",
    "BalloonError",
    "CapCostReductionError",
    "DeskingGrid",
    "DownPaymentBelowMinimumError",
    "DownPaymentExceedsPriceError",
    "FinanceError",
    "FinanceQuote",
    "FinanceScenario",
    "LeaseQuote",
    "LeaseScenario",
    "LenderFeesError",
    "NegativeAmountError",
    "NoAPRForTermError",
    "PartnerBankTerms",
    "PartnerBankTermsError",
    "ResidualAboveCapCostError",
    "ResidualPercentError",
    "SubMinorUnitAmountError",
    "TermOutOfRangeError",
    "amortization_schedule",
    "annuity_payment",
    "apply_apr_subvention",
    "balloon_from_percent",
    "desking_grid",
    "effective_annual_rate",
    "money_factor_from_apr",
    "monthly_payment",
    "quote_lease",
]

MIN_TERM_MONTHS = 1
MAX_TERM_MONTHS = 120
MAX_APR_PERCENT = Decimal(100)

# 50 digits: well beyond the 34 of IEEE decimal128, so (1 + r)^-120 and the IRR
# iteration keep every digit the 3-decimal APRC and cent-rounded payments need.
# Traps turn a silent NaN/Infinity into an exception.
_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_MONTHS_PER_YEAR = 12
_APRC_QUANTUM = Decimal("0.001")
_IRR_TOLERANCE = Decimal("1e-40")
_IRR_MAX_ITERATIONS = 400

Amount = Decimal | int | str
"""A money or percent input: ``Decimal``, ``int`` or numeric string - never a float."""


# --------------------------------------------------------------------------- errors


class FinanceError(ValueError):
    """Base class for bad finance or lease input; the message is short, plain English."""


class APROutOfRangeError(FinanceError):
    """Raised for an APR (percent) below 0 or above 100."""


class TermOutOfRangeError(FinanceError):
    """Raised for a term that is not a whole number of months within 1..120."""


class NegativeAmountError(FinanceError):
    """Raised for a negative price, down payment, fee, MSRP or similar amount."""


class SubMinorUnitAmountError(FinanceError):
    """Raised for an amount with more decimals than its currency has (e.g. 10.005 CAD, 1500.5 KRW)."""


class LenderFeesError(FinanceError):
    """Raised when upfront lender fees leave no credit to the customer (fees >= amount financed)."""


class ResidualPercentError(FinanceError):
    """Raised for a residual percent outside 0..100 or missing for the lease term."""


class ResidualAboveCapCostError(FinanceError):
    """Raised when the lease residual value exceeds the adjusted capitalized cost."""


class CapCostReductionError(FinanceError):
    """Raised when down payment, trade-in equity and rebates exceed the gross capitalized cost."""


class DownPaymentExceedsPriceError(FinanceError):
    """Raised when a down payment is larger than the price to finance."""


class DownPaymentBelowMinimumError(FinanceError):
    """Raised when a down payment is below a partner bank's minimum percentage of the price."""


class NoAPRForTermError(FinanceError):
    """Raised when no APR is known for a term (no rate band, term above the bank's maximum, missing key)."""


class PartnerBankTermsError(FinanceError):
    """Raised for inconsistent partner-bank terms (overlapping or inverted APR bands, bad limits)."""


class BalloonError(FinanceError):
    """Raised for a balloon (final payment) that is negative, not below the amount financed, or above the bank's limit.

    ``limit`` is the bank's largest balloon for the term when that is the reason (0 = the bank
    writes none for the term), None otherwise.
    """

    def __init__(self, message: str, limit: Decimal | None = None) -> None:
        super().__init__(message)
        self.limit = limit


# --------------------------------------------------------------------------- input checks


def _check_currency(currency: str) -> str:
    minor_units(currency)  # raises MoneyError (a ValueError) for a non-ISO code
    return currency


def _money_amount(value: Amount, currency: str, what: str) -> Decimal:
    """Return ``value`` as a non-negative Decimal already at ``currency``'s minor unit."""
    amount = to_decimal(value)
    if amount < ZERO:
        raise NegativeAmountError(f"{what} must not be negative (got {amount})")
    if amount != round_money(amount, currency):
        raise SubMinorUnitAmountError(
            f"{what} {amount} has more decimals than {currency} allows ({minor_units(currency)})"
        )
    # Same value, canonical exponent: 30000 CAD is carried as 30000.00.
    return round_money(amount, currency)


def _apr(value: Amount) -> Decimal:
    apr = to_decimal(value)
    if not ZERO <= apr <= MAX_APR_PERCENT:
        raise APROutOfRangeError(f"APR must be between 0 and 100 percent (got {apr})")
    return apr


def _percent(value: Amount, what: str) -> Decimal:
    percent = to_decimal(value)
    if not ZERO <= percent <= _HUNDRED:
        raise FinanceError(f"{what} must be between 0 and 100 percent (got {percent})")
    return percent


def _term(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TermOutOfRangeError(f"Term must be a whole number of months (got {value!r})")
    if not MIN_TERM_MONTHS <= value <= MAX_TERM_MONTHS:
        raise TermOutOfRangeError(f"Term must be between {MIN_TERM_MONTHS} and {MAX_TERM_MONTHS} months (got {value})")
    return value


# --------------------------------------------------------------------------- loan payment and schedule


def annuity_payment(principal: Decimal, monthly_rate: Decimal, periods: int, balloon: Decimal = ZERO) -> Decimal:
    """Return the unrounded level payment that repays ``principal`` over ``periods`` at ``monthly_rate``.

    ``principal`` >= 0 and ``monthly_rate`` >= 0 are Decimals (the rate as a fraction per
    month, e.g. ``Decimal("0.005")`` for 6 % APR), ``periods`` >= 1 any whole number -
    this is the bare formula without the car-loan limits of :func:`monthly_payment`.
    ``balloon`` (0 <= balloon <= principal) is still owed after the last level payment.
    Formula (ordinary annuity with a future value, payments in arrears, the spreadsheet
    ``PMT(rate, nper, -pv, fv)``): ``r * (P - B/(1 + r)^n) / (1 - (1 + r)^-n)``; a zero
    rate gives exactly ``(P - B) / n``. Raises ``FinanceError`` for a negative principal
    or rate or ``periods`` < 1, ``BalloonError`` for a balloon outside 0..principal.
    """
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
        raise FinanceError(f"Number of payments must be a whole number of at least 1 (got {periods!r})")
    principal = to_decimal(principal)
    monthly_rate = to_decimal(monthly_rate)
    if principal < ZERO or monthly_rate < ZERO:
        raise FinanceError("Principal and monthly rate must not be negative")
    balloon = to_decimal(balloon)
    if not ZERO <= balloon <= principal:
        raise BalloonError(f"Balloon must be between 0 and the principal {principal} (got {balloon})")
    with localcontext(_CONTEXT):
        if monthly_rate == ZERO:
            return (principal - balloon) / periods
        growth = (_ONE + monthly_rate) ** periods
        return monthly_rate * (principal - balloon / growth) / (_ONE - _ONE / growth)


def _balloon(value: Amount, principal: Decimal, currency: str) -> Decimal:
    """Return a checked balloon: at the minor unit, 0 or strictly below the amount financed."""
    balloon = _money_amount(value, currency, "Balloon payment")
    if balloon > ZERO and balloon >= principal:
        raise BalloonError(f"Balloon payment {balloon} must be less than the amount financed {principal}")
    return balloon


def balloon_from_percent(price: Amount, percent: Amount, currency: str) -> Decimal:
    """Return the balloon ``price * percent / 100`` rounded half-up to ``currency``'s minor unit.

    ``price`` >= 0 (the vehicle's price the market quotes the balloon on, e.g. a PCP's
    guaranteed future value as a percent of the cash price); ``percent`` 0..100.
    Example: 40 % of 32,450,000 KRW = 12,980,000 KRW. Raises ``FinanceError``,
    ``NegativeAmountError`` or ``SubMinorUnitAmountError``.
    """
    amount = _money_amount(price, _check_currency(currency), "Price")
    share = _percent(percent, "Balloon percent")
    with localcontext(_CONTEXT):
        return round_money(amount * share / _HUNDRED, currency)


def monthly_payment(
    amount_financed: Amount, apr_percent: Amount, term_months: int, currency: str, balloon: Amount = 0
) -> Decimal:
    """Return the level monthly loan payment, rounded half-up to the currency's minor unit.

    ``amount_financed`` >= 0 in ``currency`` at its minor unit; ``apr_percent`` 0..100 as
    a percent (``Decimal("4.9")``); ``term_months`` 1..120; ``currency`` ISO 4217;
    ``balloon`` the final payment owed with the last month, 0 <= balloon < amount financed.
    Formula: ``r = APR / 12 / 100``, payment ``= r * (P - B/(1 + r)^n) / (1 - (1 + r)^-n)``,
    exactly ``(P - B) / n`` at 0 % (the spreadsheet ``PMT``; see :func:`annuity_payment`).
    Raises ``APROutOfRangeError``, ``TermOutOfRangeError``, ``NegativeAmountError``,
    ``SubMinorUnitAmountError``, ``BalloonError`` or ``MoneyError`` (bad currency).
    """
    _check_currency(currency)
    principal = _money_amount(amount_financed, currency, "Amount financed")
    final = _balloon(balloon, principal, currency)
    apr = _apr(apr_percent)
    term = _term(term_months)
    with localcontext(_CONTEXT):
        return round_money(annuity_payment(principal, apr / 1200, term, final), currency)


@dataclass(frozen=True, slots=True)
class AmortizationRow:
    """One monthly row of a loan schedule, all amounts in the loan currency at its minor unit.

    ``number`` counts from 1; ``payment = interest + principal``; ``balance`` is what is
    still owed after this payment. ``balloon`` is 0 except on the last row of a balloon
    loan, where it is the final payment owed on top of ``payment`` (then ``balance`` is 0).
    """

    number: int
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal
    balloon: Decimal = ZERO


def amortization_schedule(
    amount_financed: Amount, apr_percent: Amount, term_months: int, currency: str, balloon: Amount = 0
) -> tuple[AmortizationRow, ...]:
    """Return the month-by-month amortization schedule of a level-payment loan.

    Inputs as :func:`monthly_payment`; one row per month. Each month's interest is
    ``balance * APR / 1200`` rounded half-up to the minor unit; principal is the level
    payment minus that interest. The LAST row absorbs all rounding: its principal is
    the remaining balance, so principal parts sum exactly to ``amount_financed`` and the
    final balance is exactly 0 (the last payment may differ from the others by a few
    minor units). A principal part never exceeds the balance still owed, so for
    amounts of a few minor units the loan can be paid off early and later rows are 0.
    With a ``balloon`` the last row's principal is the remaining balance minus the
    balloon and the row carries the balloon: principal parts + balloon = amount financed
    exactly, balance after the last row 0. Total interest is the sum of the interest
    parts. Raises as :func:`monthly_payment`.
    """
    payment = monthly_payment(amount_financed, apr_percent, term_months, currency, balloon)
    balance = to_decimal(amount_financed)
    final = to_decimal(balloon)
    apr = to_decimal(apr_percent)
    rows: list[AmortizationRow] = []
    with localcontext(_CONTEXT):
        monthly_rate = apr / 1200
        for number in range(1, term_months + 1):
            interest = round_money(balance * monthly_rate, currency)
            if number == term_months:
                # The last month takes whatever is left above the balloon, so rounding never leaves a balance.
                principal = balance - final
                rows.append(AmortizationRow(number, interest + principal, interest, principal, balance - principal - final, final))
                break
            principal = min(payment - interest, balance - final)
            balance -= principal
            rows.append(AmortizationRow(number, interest + principal, interest, principal, balance))
    return tuple(rows)


# --------------------------------------------------------------------------- effective annual rate (APRC)


def _present_value_and_slope(payments: Sequence[Decimal], rate: Decimal) -> tuple[Decimal, Decimal]:
    """Return sum p_k(1+i)^-k and its derivative -sum k*p_k(1+i)^-(k+1) (caller holds the local context)."""
    discount = _ONE / (_ONE + rate)
    factor = _ONE
    value = ZERO
    slope = ZERO
    for k, payment in enumerate(payments, start=1):
        factor *= discount
        value += payment * factor
        slope -= k * payment * factor * discount
    return value, slope


def _monthly_irr(net_advance: Decimal, payments: Sequence[Decimal]) -> Decimal:
    """Return i with sum p_k/(1+i)^k = net_advance, by Newton's method kept inside a bisection bracket."""

    def excess(rate: Decimal) -> Decimal:
        return _present_value_and_slope(payments, rate)[0] - net_advance

    # The present value falls as the rate rises (payments >= 0), so bracket the root.
    at_zero = excess(ZERO)
    if at_zero == ZERO:
        return ZERO
    if at_zero > ZERO:
        low, high = ZERO, Decimal("0.01")
        while excess(high) > ZERO:
            low, high = high, high * 2
    else:  # payments repay less than was advanced: a negative rate in (-1, 0)
        low, high = Decimal("-0.5"), ZERO
        while excess(low) < ZERO:
            low, high = (low - 1) / 2, low
    rate = (low + high) / 2
    for _ in range(_IRR_MAX_ITERATIONS):
        value, slope = _present_value_and_slope(payments, rate)
        value -= net_advance
        if value == ZERO:
            return rate
        if value > ZERO:
            low = rate
        else:
            high = rate
        candidate = rate - value / slope if slope != ZERO else (low + high) / 2
        if not low < candidate < high:
            candidate = (low + high) / 2
        if abs(candidate - rate) < _IRR_TOLERANCE or high - low < _IRR_TOLERANCE:
            return candidate
        rate = candidate
    return rate  # pragma: no cover - Newton converges in a handful of steps at 50 digits


def effective_annual_rate(amount_financed: Amount, payments: Iterable[Amount], upfront_fees: Amount = 0) -> Decimal:
    """Return the effective annual rate (APRC) in percent, 3 decimals half-up, of monthly payments.

    The customer receives ``amount_financed - upfront_fees`` (fees paid to the lender at
    signing) at time 0 and pays ``payments[k-1]`` at the end of month k. Solves the
    monthly internal rate of return i of ``sum payments_k / (1 + i)^k = amount - fees``
    to ~40 digits, then annualises: ``EAR = (1 + i)^12 - 1``, reported *100.
    Source: EU Consumer Credit Directive 2008/48/EC, Annex I (the APRC equation)
    with equal monthly periods t_k = k/12 years, where ``(1 + X)^-t_k = (1 + i)^-k``
    with ``1 + X = (1 + i)^12``; the same construction underlies the UK APR (CONC
    App 1) and Russia's full cost of credit (Federal Law 353-FZ, Art. 6). With no fees
    and exact payments it equals ``(1 + APR/1200)^12 - 1``, e.g. 12 % -> 12.683 %.
    No credit (amount, fees and payments all 0) gives 0.000.
    Raises ``NegativeAmountError`` for a negative amount, fee or payment,
    ``LenderFeesError`` when fees >= amount financed, ``FinanceError`` for an empty
    or all-zero payment list.
    """
    amount = to_decimal(amount_financed)
    fees = to_decimal(upfront_fees)
    flows = tuple(to_decimal(payment) for payment in payments)
    if amount < ZERO or fees < ZERO:
        raise NegativeAmountError("Amount financed and upfront fees must not be negative")
    if any(payment < ZERO for payment in flows):
        raise NegativeAmountError("Payments must not be negative")
    if not flows:
        raise FinanceError("At least one payment is needed to compute an effective rate")
    if amount == ZERO and fees == ZERO and not any(flows):
        return ZERO.quantize(_APRC_QUANTUM)  # no credit, no cost: a cash deal
    if not any(flows):
        raise FinanceError("At least one non-zero payment is needed to compute an effective rate")
    if fees >= amount:
        raise LenderFeesError(f"Lender fees ({fees}) must be less than the amount financed ({amount})")
    with localcontext(_CONTEXT):
        monthly = _monthly_irr(amount - fees, flows)
        annual = (_ONE + monthly) ** _MONTHS_PER_YEAR - _ONE
        return (annual * _HUNDRED).quantize(_APRC_QUANTUM, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- scenario and quote


@dataclass(frozen=True, slots=True, kw_only=True)
class FinanceScenario:
    """A retail installment loan to quote: what is financed, at what APR, over how long.

    ``amount_financed`` >= 0 at the currency's minor unit; ``apr_percent`` 0..100 (nominal,
    percent); ``term_months`` 1..120; ``lender_fees`` >= 0 paid to the lender at signing
    (origination/arrangement fee - part of the cost of credit, not financed);
    ``currency`` ISO 4217; ``balloon`` >= 0 the final payment owed with the last month
    (0 = none), below the amount financed. Ints and numeric strings are converted to
    ``Decimal``; floats raise ``TypeError``. Raises the :func:`monthly_payment` errors,
    ``LenderFeesError`` when fees would leave the customer no credit and
    ``BalloonError`` for a balloon not below the amount financed.
    """

    amount_financed: Decimal
    apr_percent: Decimal
    term_months: int
    currency: str
    lender_fees: Decimal = ZERO
    balloon: Decimal = ZERO

    def __post_init__(self) -> None:
        _check_currency(self.currency)
        amount = _money_amount(self.amount_financed, self.currency, "Amount financed")
        fees = _money_amount(self.lender_fees, self.currency, "Lender fees")
        if fees > ZERO and fees >= amount:
            raise LenderFeesError(f"Lender fees ({fees}) must be less than the amount financed ({amount})")
        object.__setattr__(self, "amount_financed", amount)
        object.__setattr__(self, "lender_fees", fees)
        object.__setattr__(self, "balloon", _balloon(self.balloon, amount, self.currency))
        object.__setattr__(self, "apr_percent", _apr(self.apr_percent))
        _term(self.term_months)

    def quote(self) -> FinanceQuote:
        """Return the :class:`FinanceQuote` (payment, totals, APRC, schedule) of this scenario."""
        schedule = amortization_schedule(
            self.amount_financed, self.apr_percent, self.term_months, self.currency, self.balloon
        )
        total_interest = sum((row.interest for row in schedule), ZERO)
        total_repaid = sum((row.payment + row.balloon for row in schedule), ZERO)
        return FinanceQuote(
            scenario=self,
            monthly_payment=monthly_payment(
                self.amount_financed, self.apr_percent, self.term_months, self.currency, self.balloon
            ),
            final_payment=schedule[-1].payment,
            balloon_payment=self.balloon,
            total_interest=total_interest,
            total_cost_of_credit=total_interest + self.lender_fees,
            total_repaid=total_repaid,
            total_amount_payable=total_repaid + self.lender_fees,
            effective_annual_rate_percent=effective_annual_rate(
                self.amount_financed, (row.payment + row.balloon for row in schedule), self.lender_fees
            ),
            schedule=schedule,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FinanceQuote:
    """The priced loan shown to the customer; amounts in the scenario currency at its minor unit.

    ``monthly_payment`` is the level payment (months 1..n-1); ``final_payment`` is month
    n's, which absorbs rounding; ``balloon_payment`` is owed on top of it in month n
    (0 without a balloon). ``total_interest`` = sum interest parts;
    ``total_cost_of_credit`` = total interest + lender fees (2008/48/EC Art. 3(g));
    ``total_repaid`` = sum payments + balloon = amount financed + total interest;
    ``total_amount_payable`` = total repaid + lender fees (Art. 3(h));
    ``effective_annual_rate_percent`` is the APRC with 3 decimals (see
    :func:`effective_annual_rate`); ``schedule`` holds one row per month.
    """

    scenario: FinanceScenario
    monthly_payment: Decimal
    final_payment: Decimal
    total_interest: Decimal
    total_cost_of_credit: Decimal
    total_repaid: Decimal
    total_amount_payable: Decimal
    effective_annual_rate_percent: Decimal
    schedule: tuple[AmortizationRow, ...] = field(repr=False)
    balloon_payment: Decimal = ZERO

    @property
    def nominal_apr_percent(self) -> Decimal:
        """Return the nominal APR the payment was computed with, in percent."""
        return self.scenario.apr_percent

    @property
    def currency(self) -> str:
        """Return the ISO 4217 currency of every amount in this quote."""
        return self.scenario.currency


# --------------------------------------------------------------------------- desking grid


AprLookup = Callable[[int], Decimal] | Mapping[int, Decimal]
"""APR (percent) per term: a mapping ``{36: Decimal("3.9")}`` or a callable such as ``bank.apr_for``."""


def _lookup_apr(apr_for_term: AprLookup, term_months: int) -> Decimal:
    if isinstance(apr_for_term, Mapping):
        try:
            return to_decimal(apr_for_term[term_months])
        except KeyError:
            raise NoAPRForTermError(f"No APR given for a {term_months}-month term") from None
    return to_decimal(apr_for_term(term_months))


@dataclass(frozen=True, slots=True)
class DeskingGrid:
    """A desking sheet: one loan quote per (down payment, term), rows by down payment, columns by term.

    ``quotes[row][column]`` is the quote for ``down_payments[row]`` and ``terms[column]``.
    """

    price_to_finance: Decimal
    terms: tuple[int, ...]
    down_payments: tuple[Decimal, ...]
    quotes: tuple[tuple[FinanceQuote, ...], ...]

    def quote(self, down_payment: Amount, term_months: int) -> FinanceQuote:
        """Return the quote for ``down_payment`` and ``term_months``; ``KeyError`` if not on the sheet."""
        wanted = to_decimal(down_payment)
        for row, down in enumerate(self.down_payments):
            if down == wanted and term_months in self.terms:
                return self.quotes[row][self.terms.index(term_months)]
        raise KeyError((wanted, term_months))


def desking_grid(
    *,
    price_to_finance: Amount,
    down_payments: Sequence[Amount],
    terms: Sequence[int],
    apr_for_term: AprLookup,
    currency: str,
    lender_fees: Amount = 0,
) -> DeskingGrid:
    """Return the term * down-payment grid of loan quotes dealers print as a desking sheet.

    ``price_to_finance`` is what the customer would finance before any down payment
    (e.g. out-the-door price minus trade-in allowance plus payoff), >= 0 in ``currency``;
    each down payment gives ``amount financed = price_to_finance - down payment``;
    ``terms`` in months (e.g. ``(36, 48, 60)``); ``apr_for_term`` maps a term to its APR
    percent (mapping or callable, e.g. ``bank.apr_for``); ``lender_fees`` as in
    :class:`FinanceScenario`, applied to every cell.
    Raises ``DownPaymentExceedsPriceError`` for a down payment above the price,
    ``NoAPRForTermError`` for a term without APR, ``FinanceError`` for empty axes, and
    any :class:`FinanceScenario` error.
    """
    _check_currency(currency)
    price = _money_amount(price_to_finance, currency, "Price to finance")
    downs = tuple(_money_amount(down, currency, "Down payment") for down in down_payments)
    term_axis = tuple(_term(term) for term in terms)
    if not downs or not term_axis:
        raise FinanceError("A desking grid needs at least one down payment and one term")
    for down in downs:
        if down > price:
            raise DownPaymentExceedsPriceError(f"Down payment {down} is larger than the price to finance {price}")
    fees = _money_amount(lender_fees, currency, "Lender fees")
    aprs = {term: _lookup_apr(apr_for_term, term) for term in term_axis}
    quotes = tuple(
        tuple(
            FinanceScenario(
                amount_financed=price - down,
                apr_percent=aprs[term],
                term_months=term,
                currency=currency,
                lender_fees=fees,
            ).quote()
            for term in term_axis
        )
        for down in downs
    )
    return DeskingGrid(price_to_finance=price, terms=term_axis, down_payments=downs, quotes=quotes)


# --------------------------------------------------------------------------- partner bank terms


@dataclass(frozen=True, slots=True)
class PartnerBankTerms:
    """A partner bank's (captive or retail lender's) rate sheet for car loans.

    ``apr_bands``: ``((min_term, max_term, apr_percent), ...)`` with inclusive month
    bounds, non-overlapping; ``min_down_payment_percent`` 0..100 of the price;
    ``max_term`` (months, 1..120) the longest term the bank writes;
    ``balloon_bands``: ``((min_term, max_term, max_balloon_percent), ...)`` the largest
    balloon (final payment, percent 0..100 of the price) the bank writes per term, same
    rules as the APR bands; a term no band covers gets no balloon (the default: none).
    Raises ``PartnerBankTermsError`` for an empty name, inverted or overlapping bands,
    and the APR/term range errors for values out of range.
    """

    name: str
    apr_bands: tuple[tuple[int, int, Decimal], ...]
    min_down_payment_percent: Decimal
    max_term: int
    balloon_bands: tuple[tuple[int, int, Decimal], ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise PartnerBankTermsError("A partner bank needs a name")
        bands = tuple((_term(low), _term(high), _apr(apr)) for low, high, apr in self.apr_bands)
        for low, high, _ in bands:
            if low > high:
                raise PartnerBankTermsError(f"{self.name}: APR band {low}-{high} months starts after it ends")
        ordered = sorted(bands)
        for (_, previous_high, _), (low, high, _) in pairwise(ordered):
            if low <= previous_high:
                raise PartnerBankTermsError(f"{self.name}: APR band {low}-{high} months overlaps another band")
        object.__setattr__(self, "apr_bands", bands)
        balloons = tuple(
            (_term(low), _term(high), _percent(limit, "Balloon percent")) for low, high, limit in self.balloon_bands
        )
        for low, high, _ in balloons:
            if low > high:
                raise PartnerBankTermsError(f"{self.name}: balloon band {low}-{high} months starts after it ends")
        for (_, previous_high, _), (low, high, _) in pairwise(sorted(balloons)):
            if low <= previous_high:
                raise PartnerBankTermsError(f"{self.name}: balloon band {low}-{high} months overlaps another band")
        object.__setattr__(self, "balloon_bands", balloons)
        object.__setattr__(
            self, "min_down_payment_percent", _percent(self.min_down_payment_percent, "Minimum down payment")
        )
        _term(self.max_term)

    def apr_for(self, term_months: int) -> Decimal:
        """Return the bank's APR (percent) for ``term_months``.

        Raises ``NoAPRForTermError`` when the term is above ``max_term`` or no band
        covers it, ``TermOutOfRangeError`` for a term outside 1..120.
        """
        term = _term(term_months)
        if term > self.max_term:
            raise NoAPRForTermError(f"{self.name} lends for at most {self.max_term} months (asked {term})")
        for low, high, apr in self.apr_bands:
            if low <= term <= high:
                return apr
        raise NoAPRForTermError(f"{self.name} has no APR for a {term}-month term")

    def max_balloon_percent(self, term_months: int) -> Decimal:
        """Return the largest balloon (percent of the price) the bank writes for ``term_months``; 0 = none."""
        term = _term(term_months)
        for low, high, limit in self.balloon_bands:
            if low <= term <= high:
                return limit
        return ZERO

    def check_balloon(self, price: Amount, balloon: Amount, term_months: int, currency: str) -> None:
        """Raise ``BalloonError`` if the bank does not write ``balloon`` on ``price`` for ``term_months``.

        The limit is ``price * max_balloon_percent(term) / 100`` rounded half-up to the minor
        unit (e.g. 40 % of 32,450,000 KRW = 12,980,000 KRW); a balloon of 0 always passes.
        """
        amount = _money_amount(price, _check_currency(currency), "Price")
        final = _money_amount(balloon, currency, "Balloon payment")
        if final == ZERO:
            return
        limit_percent = self.max_balloon_percent(term_months)
        if limit_percent == ZERO:
            raise BalloonError(f"{self.name} offers no balloon payment for a {term_months}-month term", ZERO)
        limit = balloon_from_percent(amount, limit_percent, currency)
        if final > limit:
            raise BalloonError(
                f"{self.name} writes a balloon of at most {limit} {currency} ({limit_percent}%) "
                f"for {term_months} months; got {final}",
                limit,
            )

    def minimum_down_payment(self, price: Amount, currency: str) -> Decimal:
        """Return the smallest down payment the bank accepts on ``price``, rounded half-up to the minor unit.

        ``price`` >= 0 in ``currency``; result = price * ``min_down_payment_percent`` / 100.
        """
        amount = _money_amount(price, _check_currency(currency), "Price")
        with localcontext(_CONTEXT):
            return round_money(amount * self.min_down_payment_percent / _HUNDRED, currency)

    def check_down_payment(self, price: Amount, down_payment: Amount, currency: str) -> None:
        """Raise ``DownPaymentBelowMinimumError`` if ``down_payment`` is below the bank's minimum on ``price``.

        Also raises ``DownPaymentExceedsPriceError`` when the down payment is above the price.
        """
        down = _money_amount(down_payment, _check_currency(currency), "Down payment")
        amount = _money_amount(price, currency, "Price")
        if down > amount:
            raise DownPaymentExceedsPriceError(f"Down payment {down} is larger than the price {amount}")
        minimum = self.minimum_down_payment(amount, currency)
        if down < minimum:
            raise DownPaymentBelowMinimumError(
                f"{self.name} needs a down payment of at least {minimum} {currency} "
                f"({self.min_down_payment_percent}%); got {down}"
            )


@dataclass(frozen=True, slots=True)
class APRSubvention:
    """A manufacturer-subsidised (subvented) APR for terms ``min_term``..``max_term`` months inclusive.

    ``apr_percent`` 0..100, e.g. 0.9 % for 24-36 months. ``name`` labels the promotion.
    Raises ``TermOutOfRangeError``, ``APROutOfRangeError``, or ``FinanceError`` if
    ``min_term`` > ``max_term``.
    """

    min_term: int
    max_term: int
    apr_percent: Decimal
    name: str = ""

    def __post_init__(self) -> None:
        if _term(self.min_term) > _term(self.max_term):
            raise FinanceError(f"Subvention term range {self.min_term}-{self.max_term} starts after it ends")
        object.__setattr__(self, "apr_percent", _apr(self.apr_percent))

    def covers(self, term_months: int) -> bool:
        """Return True when ``term_months`` lies within this promotion's term range."""
        return self.min_term <= term_months <= self.max_term


@dataclass(frozen=True, slots=True)
class AppliedAPR:
    """The APR a deal gets: ``apr_percent`` used, the bank's ``standard_apr_percent``, whether subvention applied."""

    apr_percent: Decimal
    standard_apr_percent: Decimal
    subvention_applied: bool


def apply_apr_subvention(bank: PartnerBankTerms, term_months: int, subvention: APRSubvention | None) -> AppliedAPR:
    """Return the APR for ``term_months`` after an optional manufacturer APR subvention.

    The bank must lend at the term (``bank.apr_for`` raises ``NoAPRForTermError``
    otherwise - a subvention buys down the bank's rate, it cannot create a term). The
    promotional APR replaces the bank's when the term lies in the promotion's range and
    it is lower; otherwise the bank's APR stands and ``subvention_applied`` is False.
    """
    standard = bank.apr_for(term_months)
    if subvention is not None and subvention.covers(term_months) and subvention.apr_percent < standard:
        return AppliedAPR(subvention.apr_percent, standard, True)
    return AppliedAPR(standard, standard, False)


# --------------------------------------------------------------------------- lease


def money_factor_from_apr(apr_percent: Amount) -> Decimal:
    """Return the lease money factor for ``apr_percent`` (0..100): ``APR / 2400``, unrounded.

    Source: the industry convention used on lease worksheets (e.g. 4.8 % -> 0.002). The
    rent charge ``(cap cost + residual) * APR/2400`` is the monthly rate APR/1200 applied
    to the average of the two balances, ``(cap cost + residual) / 2``.
    Raises ``APROutOfRangeError``.
    """
    apr = _apr(apr_percent)
    with localcontext(_CONTEXT):
        return apr / 2400


def _residual_table(residual_percent: Amount | Mapping[int, Amount]) -> Decimal | Mapping[int, Decimal]:
    """Return one checked residual percent, or a read-only copy of a checked table by term."""
    if not isinstance(residual_percent, Mapping):
        return _residual_value_percent(residual_percent)
    return MappingProxyType({_term(term): _residual_value_percent(value) for term, value in residual_percent.items()})


def _residual_value_percent(value: Amount) -> Decimal:
    percent = to_decimal(value)
    if not ZERO <= percent <= _HUNDRED:
        raise ResidualPercentError(f"Residual must be between 0 and 100 percent of MSRP (got {percent})")
    return percent


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseScenario:
    """A closed-end lease to quote by the money-factor method; amounts >= 0 in ``currency``.

    ``msrp`` (residual basis); ``agreed_price`` (the negotiated selling price, gross cap
    cost before fees); ``term_months`` 1..120; ``apr_percent`` 0..100 (money factor =
    APR/2400); ``residual_percent`` of MSRP, one value or a mapping by term
    (``{24: 62, 36: 55, 48: 47}``); ``fees_financed`` capitalised fees (acquisition fee);
    cap cost reduction = ``down_payment`` (cash) + ``trade_in_equity`` (positive equity
    only - roll negative equity into ``fees_financed``) + ``rebates``;
    ``monthly_tax_percent`` a tax rate on each monthly payment where the province/state
    taxes lease payments (e.g. 13 for Ontario HST), 0 where it does not;
    ``tax_down_payment`` also taxes the cash down payment at that rate (Ontario does);
    ``fees_due_at_signing`` fees paid in cash at signing (not capitalised);
    ``security_deposit`` refundable; ``first_payment_at_signing`` (usual: payments in advance).
    Ints and numeric strings become ``Decimal``; a residual table is copied read-only.
    Raises ``NegativeAmountError`` / ``SubMinorUnitAmountError`` for a bad amount,
    ``TermOutOfRangeError`` (e.g. term 0), ``APROutOfRangeError``,
    ``ResidualPercentError`` (outside 0..100 or no entry for the term), ``FinanceError``
    for a tax rate outside 0..100, ``MoneyError`` for a bad currency.
    """

    msrp: Decimal
    agreed_price: Decimal
    term_months: int
    apr_percent: Decimal
    residual_percent: Decimal | Mapping[int, Decimal]
    currency: str
    fees_financed: Decimal = ZERO
    down_payment: Decimal = ZERO
    trade_in_equity: Decimal = ZERO
    rebates: Decimal = ZERO
    monthly_tax_percent: Decimal = ZERO
    tax_down_payment: bool = False
    fees_due_at_signing: Decimal = ZERO
    security_deposit: Decimal = ZERO
    first_payment_at_signing: bool = True

    def __post_init__(self) -> None:
        currency = _check_currency(self.currency)
        for name, label in _LEASE_AMOUNTS:
            object.__setattr__(self, name, _money_amount(getattr(self, name), currency, label))
        _term(self.term_months)
        object.__setattr__(self, "apr_percent", _apr(self.apr_percent))
        object.__setattr__(self, "monthly_tax_percent", _percent(self.monthly_tax_percent, "Monthly tax rate"))
        table = _residual_table(self.residual_percent)
        if isinstance(table, Mapping) and self.term_months not in table:
            raise ResidualPercentError(f"No residual percent given for a {self.term_months}-month lease")
        object.__setattr__(self, "residual_percent", table)

    @property
    def residual_percent_for_term(self) -> Decimal:
        """Return the residual percent of MSRP that applies to this lease's term."""
        table = self.residual_percent
        return table[self.term_months] if isinstance(table, Mapping) else table


_LEASE_AMOUNTS = (
    ("msrp", "MSRP"),
    ("agreed_price", "Agreed price"),
    ("fees_financed", "Fees financed"),
    ("down_payment", "Down payment"),
    ("trade_in_equity", "Trade-in equity"),
    ("rebates", "Rebates"),
    ("fees_due_at_signing", "Fees due at signing"),
    ("security_deposit", "Security deposit"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseQuote:
    """A priced lease, line by line as on a lease worksheet; amounts in the scenario currency.

    Each money line is rounded once, half-up, to the minor unit, and later lines add the
    rounded lines: ``adjusted_cap_cost = gross_cap_cost - cap_cost_reduction``;
    ``base_monthly_payment = monthly_depreciation + monthly_rent_charge``;
    ``monthly_payment = base_monthly_payment + monthly_tax``.
    ``total_depreciation = adjusted_cap_cost - residual_value``;
    ``total_rent_charge = base_monthly_payment * term - total_depreciation`` (Reg M's
    "rent charge", so the disclosed lines add up);
    ``due_at_signing`` = first monthly payment (if in advance) + cash down payment + its
    tax + fees due at signing + security deposit;
    ``total_of_payments`` = due at signing - refundable security deposit + the monthly
    payments not already paid at signing (Regulation M, 12 CFR 1013.4(e)).
    """

    scenario: LeaseScenario
    money_factor: Decimal
    residual_percent: Decimal
    residual_value: Decimal
    gross_cap_cost: Decimal
    cap_cost_reduction: Decimal
    adjusted_cap_cost: Decimal
    monthly_depreciation: Decimal
    monthly_rent_charge: Decimal
    base_monthly_payment: Decimal
    monthly_tax: Decimal
    monthly_payment: Decimal
    down_payment_tax: Decimal
    due_at_signing: Decimal
    total_of_monthly_payments: Decimal
    total_depreciation: Decimal
    total_rent_charge: Decimal
    total_of_payments: Decimal


def quote_lease(scenario: LeaseScenario) -> LeaseQuote:
    """Return the :class:`LeaseQuote` of ``scenario`` by the money-factor method.

    Formulas: money factor ``= APR / 2400``; residual ``= MSRP * residual% / 100``;
    adjusted cap cost ``= agreed price + fees financed - (down payment + trade-in equity
    + rebates)``; monthly depreciation ``= (adjusted cap cost - residual) / term``;
    monthly rent charge ``= (adjusted cap cost + residual) * money factor``; base
    monthly ``= depreciation + rent``; monthly tax ``= base * tax% / 100``.
    Input checks happen in :class:`LeaseScenario`; here only the deal as a whole can
    fail: ``CapCostReductionError`` when the reductions exceed the gross cap cost,
    ``ResidualAboveCapCostError`` when the residual is above the adjusted cap cost.
    """
    s = scenario  # amounts, term, APR and percents were checked by LeaseScenario.__post_init__
    currency = s.currency
    term = s.term_months
    money_factor = money_factor_from_apr(s.apr_percent)
    residual_percent = s.residual_percent_for_term
    msrp, down_payment, tax_percent = s.msrp, s.down_payment, s.monthly_tax_percent

    with localcontext(_CONTEXT):
        residual_value = round_money(msrp * residual_percent / _HUNDRED, currency)
        gross_cap_cost = s.agreed_price + s.fees_financed
        cap_cost_reduction = down_payment + s.trade_in_equity + s.rebates
        if cap_cost_reduction > gross_cap_cost:
            raise CapCostReductionError(
                f"Down payment, trade-in equity and rebates ({cap_cost_reduction}) exceed the "
                f"capitalized cost ({gross_cap_cost})"
            )
        adjusted_cap_cost = gross_cap_cost - cap_cost_reduction
        if residual_value > adjusted_cap_cost:
            raise ResidualAboveCapCostError(
                f"Residual value {residual_value} is above the adjusted capitalized cost {adjusted_cap_cost}"
            )
        total_depreciation = adjusted_cap_cost - residual_value
        monthly_depreciation = round_money(total_depreciation / term, currency)
        monthly_rent_charge = round_money((adjusted_cap_cost + residual_value) * money_factor, currency)
        base_monthly_payment = monthly_depreciation + monthly_rent_charge
        monthly_tax = round_money(base_monthly_payment * tax_percent / _HUNDRED, currency)
        payment = base_monthly_payment + monthly_tax
        down_payment_tax = (
            round_money(down_payment * tax_percent / _HUNDRED, currency)
            if s.tax_down_payment
            else round_money(ZERO, currency)
        )
        first_payment = payment if s.first_payment_at_signing else ZERO
        due_at_signing = first_payment + down_payment + down_payment_tax + s.fees_due_at_signing + s.security_deposit
        total_of_monthly_payments = payment * term
        total_of_payments = due_at_signing - s.security_deposit + total_of_monthly_payments - first_payment

    return LeaseQuote(
        scenario=s,
        money_factor=money_factor,
        residual_percent=residual_percent,
        residual_value=residual_value,
        gross_cap_cost=gross_cap_cost,
        cap_cost_reduction=cap_cost_reduction,
        adjusted_cap_cost=adjusted_cap_cost,
        monthly_depreciation=monthly_depreciation,
        monthly_rent_charge=monthly_rent_charge,
        base_monthly_payment=base_monthly_payment,
        monthly_tax=monthly_tax,
        monthly_payment=payment,
        down_payment_tax=down_payment_tax,
        due_at_signing=due_at_signing,
        total_of_monthly_payments=total_of_monthly_payments,
        total_depreciation=total_depreciation,
        total_rent_charge=base_monthly_payment * term - total_depreciation,
        total_of_payments=total_of_payments,
    )
