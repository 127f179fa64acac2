"""Changes to an accepted deal ("a change to accept"): the deal's figures before and after, and who may accept them.

After the customer accepted an offer, two facts can still change the money of the deal:

* a **trade-in appraisal** replaces the consultant's estimate (a new revision of the accepted
  offer: trade-in allowance, payoff, the taxes credited on it, the out-the-door price);
* the **bank's decision** differs from the offer's finance scenario (another APR, term or amount
  financed: another monthly payment).

The deal's figures follow the fact at once; the customer must accept the change before the
contract can be signed. The customer always may; the dealer principal may accept in the customer's
place only a trade-in change that does not raise the customer's total (``principal_may_approve``) —
a change of the loan is always the customer's to accept.

Figures (``DealFigures``, every amount a ``Decimal`` in ``currency`` at its minor unit, as the
steps rounded them — nothing is rounded here except the loan, see ``loan_terms``):

* ``balance_due`` = out-the-door price − deposit paid − amount financed − trade-in equity − balance
  paid (``domain.deal_settlement``);
* **customer's total** = out-the-door price − trade-in equity − amount financed + the loan's total of
  payments (the amount financed itself when no loan terms are known): all the customer pays, in
  cash and to the lender.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from app.domain.finance import FinanceError, FinanceScenario
from app.domain.money import ZERO, quantum


class AmendmentStatus(StrEnum):
    """Where a change to accept stands."""

    PENDING = "pending"  # waiting for the customer (or the principal, when allowed)
    ACCEPTED = "accepted"  # the customer accepted it on their purchase page
    APPROVED = "approved"  # the dealer principal accepted it (the customer's total did not rise)
    SUPERSEDED = "superseded"  # a newer change replaced it before anyone accepted it
    WITHDRAWN = "withdrawn"  # the deal was cancelled


class AmendmentKind(StrEnum):
    """What changed the deal after acceptance."""

    TRADE_IN = "trade_in"
    FINANCE = "finance"


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """A loan or lease as it stands on a deal (amounts in the deal currency at its minor unit).

    ``kind`` finance|lease; ``lender`` the partner bank's name; ``apr_percent`` nominal, percent;
    ``monthly_payment`` the level payment (None when it cannot be known, e.g. a lease re-priced by the
    bank); ``final_payment`` the last month's (absorbs rounding); ``total_of_payments`` the sum of
    every payment (= amount financed + ``total_interest`` for a loan; None for a lease).
    """

    kind: str
    lender: str
    amount_financed: Decimal
    apr_percent: Decimal
    term_months: int
    monthly_payment: Decimal | None
    final_payment: Decimal | None
    total_of_payments: Decimal | None
    total_interest: Decimal | None

    def as_strings(self, currency: str) -> dict[str, Any]:
        """Return the terms as JSON-ready values: amounts at ``currency``'s minor unit, the APR without
        trailing zeros ("6.4"), None kept — the same text however the figures were loaded (frozen content hashes it).
        """
        unit = quantum(currency)
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "apr_percent":
                value = f"{value.normalize():f}"
            elif isinstance(value, Decimal):
                value = str(value.quantize(unit))
            values[f.name] = value
        return values


def loan_terms(
    *,
    kind: str,
    lender: str,
    amount_financed: Decimal,
    apr_percent: Decimal,
    term_months: int,
    currency: str,
    offered: tuple[Decimal, Decimal, int, Decimal | None] | None = None,
) -> LoanTerms:
    """Return the ``LoanTerms`` of a loan (``kind`` "finance") or lease (``kind`` "lease").

    Loan: the level monthly payment and its schedule come from ``domain.finance.FinanceScenario``
    (``P·r / (1 − (1 + r)^−n)``, ``r = APR / 1200``, rounded half-up once to the minor unit; the last
    payment absorbs the rounding); total of payments = Σ payments. Lender fees are not known here
    (the bank's decision records none), so none are counted. Lease: the payment depends on the
    residual and taxes priced in the offer, so only the offered ``monthly payment`` is reported, and
    only while amount, APR and term are still the ``offered`` ``(amount, apr, term, monthly)``.
    Raises ``FinanceError`` for an APR, term or amount out of range.
    """
    if kind != "finance":
        same = offered is not None and (offered[0], offered[1], offered[2]) == (amount_financed, apr_percent, term_months)
        monthly = offered[3] if same and offered is not None else None
        return LoanTerms(kind, lender, amount_financed, apr_percent, term_months, monthly, None, None, None)
    quote = FinanceScenario(amount_financed=amount_financed, apr_percent=apr_percent, term_months=term_months,
                            currency=currency).quote()
    return LoanTerms(kind, lender, quote.scenario.amount_financed, quote.nominal_apr_percent, term_months,
                     quote.monthly_payment, quote.final_payment, quote.total_repaid, quote.total_interest)


def safe_loan_terms(**kwargs: Any) -> LoanTerms | None:
    """Return ``loan_terms(**kwargs)``, or None when the figures cannot be priced (``FinanceError``)."""
    try:
        return loan_terms(**kwargs)
    except FinanceError:
        return None


#: The figures a change shows, in display order (``DealFigures`` field names).
FIGURE_KEYS: tuple[str, ...] = (
    "trade_in_allowance", "trade_in_payoff", "trade_in_equity", "out_the_door_price", "lender", "amount_financed",
    "apr_percent", "term_months", "monthly_payment", "total_of_payments", "balance_due",
)
_MONEY_KEYS = frozenset({"trade_in_allowance", "trade_in_payoff", "trade_in_equity", "out_the_door_price",
                         "amount_financed", "monthly_payment", "total_of_payments", "balance_due"})


@dataclass(frozen=True, slots=True)
class DealFigures:
    """The money of a deal as the customer sees it (see the module docstring for the formulas).

    Loan fields (``lender``, ``apr_percent``, ``term_months``, ``monthly_payment``,
    ``total_of_payments``) are empty/None while the deal has no live finance application.
    """

    currency: str
    out_the_door_price: Decimal
    trade_in_allowance: Decimal
    trade_in_payoff: Decimal
    trade_in_equity: Decimal
    amount_financed: Decimal
    balance_due: Decimal
    lender: str = ""
    apr_percent: Decimal | None = None
    term_months: int | None = None
    monthly_payment: Decimal | None = None
    total_of_payments: Decimal | None = None

    @property
    def customer_total(self) -> Decimal:
        """Return all the customer pays: cash (out-the-door − equity − financed) + the loan's total of payments."""
        loan = self.total_of_payments if self.total_of_payments is not None else self.amount_financed
        return self.out_the_door_price - self.trade_in_equity - self.amount_financed + loan

    def with_loan(self, loan: LoanTerms | None) -> DealFigures:
        """Return these figures with the loan fields of ``loan`` (cleared when None)."""
        if loan is None:
            return replace(self, lender="", apr_percent=None, term_months=None, monthly_payment=None, total_of_payments=None)
        return replace(self, lender=loan.lender, apr_percent=loan.apr_percent, term_months=loan.term_months,
                       monthly_payment=loan.monthly_payment, total_of_payments=loan.total_of_payments)

    def to_json(self) -> dict[str, Any]:
        """Return the figures as JSON-ready values (Decimals as exact strings, None kept)."""
        return {f.name: (str(v) if isinstance(v := getattr(self, f.name), Decimal) else v) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DealFigures:
        """Return the figures stored by ``to_json``; raises ``KeyError`` for a missing amount."""
        def dec(name: str) -> Decimal | None:
            value = data.get(name)
            return None if value in (None, "") else Decimal(str(value))

        return cls(
            currency=data["currency"], out_the_door_price=Decimal(data["out_the_door_price"]),
            trade_in_allowance=Decimal(data["trade_in_allowance"]), trade_in_payoff=Decimal(data["trade_in_payoff"]),
            trade_in_equity=Decimal(data["trade_in_equity"]), amount_financed=Decimal(data["amount_financed"]),
            balance_due=Decimal(data["balance_due"]), lender=str(data.get("lender") or ""), apr_percent=dec("apr_percent"),
            term_months=data.get("term_months"), monthly_payment=dec("monthly_payment"),
            total_of_payments=dec("total_of_payments"),
        )


@dataclass(frozen=True, slots=True)
class FigureChange:
    """One figure that differs: its ``key`` (a ``FIGURE_KEYS`` name), the old and the new value."""

    key: str
    old: Decimal | int | str | None
    new: Decimal | int | str | None

    @property
    def is_money(self) -> bool:
        """Return True for an amount (formatted in the deal currency)."""
        return self.key in _MONEY_KEYS


def changes(before: DealFigures, after: DealFigures) -> list[FigureChange]:
    """Return the figures that differ between ``before`` and ``after``, in ``FIGURE_KEYS`` order.

    Amounts compare as numbers (``Decimal("5.90") == Decimal("5.9")``); an empty lender and None are
    "not known". The customer's total is not listed (the caller shows it when it changed).
    """
    rows = []
    for key in FIGURE_KEYS:
        old, new = getattr(before, key), getattr(after, key)
        if (old or None) != (new or None) and old != new:
            rows.append(FigureChange(key, old if old != "" else None, new if new != "" else None))
    return rows


def principal_may_approve(kinds: set[str] | frozenset[str], before: DealFigures, after: DealFigures) -> bool:
    """Return True when the dealer principal may accept the change in the customer's place.

    Only a trade-in change (no loan change in it) that does not raise the customer's total
    (``DealFigures.customer_total``); a change of the bank's terms is always the customer's.
    """
    return set(kinds) == {AmendmentKind.TRADE_IN.value} and after.customer_total <= before.customer_total


def amended_amount_financed(current: Decimal, balance_change: Decimal, *, approved: Decimal | None,
                            financeable: Decimal) -> Decimal:
    """Return the amount financed after the balance to pay changed by ``balance_change``.

    The down payment the customer agreed stays: the loan takes the change, never below 0, never above
    what the bank ``approved`` (None: not decided yet, no cap) nor above what is left to pay
    (``financeable``); anything the bank does not cover is due at delivery.
    """
    amount = max(current + balance_change, ZERO)
    if approved is not None:
        amount = min(amount, approved)
    return min(amount, max(financeable, ZERO))
