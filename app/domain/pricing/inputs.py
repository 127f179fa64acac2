"""What the pricing engine is given: the vehicle, discounts, trade-in, fees and taxes, payment requests.

Every record is a frozen dataclass validated on construction; money is ``Decimal`` (ints and numeric
strings are converted, floats raise ``TypeError``), non-negative, with no more decimals than the
offer's currency allows (that check happens in the engine, which knows the currency). Percents are
``Decimal`` in [0, 100].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from app.domain.finance import PartnerBankTerms
from app.domain.money import ZERO, MoneyError, to_decimal
from app.domain.option_rules import Configuration, OptionCatalog
from app.domain.promotions import Promotion
from app.domain.taxes import FeeTaxTable

HUNDRED = Decimal(100)

Amount = Decimal | int | str
"""A money or percent input: ``Decimal``, ``int`` or numeric string — never a float."""


class PricingError(ValueError):
    """Raised for input the engine cannot price; ``field`` names the offending input when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def to_amount(value: Amount, what: str, field_name: str) -> Decimal:
    """Return ``value`` as a finite Decimal ≥ 0, or raise ``PricingError`` naming ``what``.

    Floats raise ``TypeError`` (see ``money.to_decimal``).
    """
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        raise PricingError(f"{what} is not a number: {value!r}", field_name) from exc
    if amount < ZERO:
        raise PricingError(f"{what} must not be negative (got {amount})", field_name)
    return amount


def to_percent(value: Amount, what: str, field_name: str) -> Decimal:
    """Return ``value`` as a percent in [0, 100], or raise ``PricingError``."""
    percent = to_amount(value, what, field_name)
    if percent > HUNDRED:
        raise PricingError(f"{what} must be at most 100 percent (got {percent})", field_name)
    return percent


def _amount_or_percent(
    amount: Amount | None, percent: Amount | None, what: str
) -> tuple[Decimal | None, Decimal | None]:
    if (amount is None) == (percent is None):
        raise PricingError(f"{what} needs either an amount or a percent, not both or neither", "amount")
    if amount is not None:
        return to_amount(amount, f"{what} amount", "amount"), None
    assert percent is not None  # narrowed by the check above
    return None, to_percent(percent, f"{what} percent", "percent")


# --- vehicle ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessoryChoice:
    """A dealer- or port-installed accessory on the offer: ``unit_price`` (≥ 0) × ``quantity`` (≥ 1).

    Raises ``PricingError`` for an empty code, a negative price or a quantity below 1.
    """

    code: str
    name: str
    unit_price: Decimal
    quantity: int = 1

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise PricingError("An accessory needs a code", "code")
        object.__setattr__(self, "unit_price", to_amount(self.unit_price, f"Price of {self.name}", "unit_price"))
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 1:
            raise PricingError(f"Quantity of {self.name} must be a whole number of at least 1", "quantity")


@dataclass(frozen=True, slots=True)
class CatalogVehicle:
    """A new car configured from the brand's catalog.

    ``base_price`` is the trim's MSRP (≥ 0, tax-inclusive in VAT markets); ``configuration`` is the
    build (trim, colours, options) checked against ``catalog`` with ``option_rules.validate_configuration``
    — colour surcharges and option prices come from the catalog. ``dealer_cost`` (optional, ≥ 0)
    lets the engine report the gross. The price floor of a catalog car is 0.
    """

    model_code: str
    model_name: str
    base_price: Decimal
    configuration: Configuration
    catalog: OptionCatalog
    accessories: tuple[AccessoryChoice, ...] = ()
    dealer_cost: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.model_code.strip():
            raise PricingError("A vehicle needs a model code", "model_code")
        object.__setattr__(self, "base_price", to_amount(self.base_price, "MSRP", "base_price"))
        object.__setattr__(self, "accessories", tuple(self.accessories))
        if self.dealer_cost is not None:
            object.__setattr__(self, "dealer_cost", to_amount(self.dealer_cost, "Dealer cost", "dealer_cost"))


@dataclass(frozen=True, slots=True)
class StockVehicle:
    """A car in the dealer's stock: its ``list_price`` (everything fitted included) and ``acquisition_cost``.

    ``model_code`` / ``trim_code`` let item-level promotions target it. The price floor of a stock
    car is ``acquisition_cost + PricingInput.minimum_gross``.
    """

    stock_number: str
    label: str
    model_code: str
    trim_code: str
    list_price: Decimal
    acquisition_cost: Decimal
    vin: str = ""
    accessories: tuple[AccessoryChoice, ...] = ()

    def __post_init__(self) -> None:
        if not self.stock_number.strip():
            raise PricingError("A stock vehicle needs a stock number", "stock_number")
        if not self.model_code.strip():
            raise PricingError("A vehicle needs a model code", "model_code")
        object.__setattr__(self, "list_price", to_amount(self.list_price, "List price", "list_price"))
        object.__setattr__(
            self, "acquisition_cost", to_amount(self.acquisition_cost, "Acquisition cost", "acquisition_cost")
        )
        object.__setattr__(self, "accessories", tuple(self.accessories))


# --- discounts and trade-in -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DealerDiscount:
    """A discount the dealer preset (e.g. "Loyalty 300,000"): an ``amount`` or a ``percent``, not both.

    ``stackable_with_promotions`` False: the discount is not given when a price promotion of the
    brand (cash, percent, free accessory or coupon) applies. Raises ``PricingError``.
    """

    code: str
    name: str
    amount: Decimal | None = None
    percent: Decimal | None = None
    stackable_with_promotions: bool = True

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise PricingError("A dealer discount needs a code", "code")
        amount, percent = _amount_or_percent(self.amount, self.percent, f"Dealer discount {self.name}")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "percent", percent)


@dataclass(frozen=True, slots=True)
class ManualDiscount:
    """The consultant's own discount: an ``amount`` or a ``percent``, not both; ``reason`` is free text."""

    amount: Decimal | None = None
    percent: Decimal | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        amount, percent = _amount_or_percent(self.amount, self.percent, "Manual discount")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "percent", percent)


@dataclass(frozen=True, slots=True)
class TradeIn:
    """The customer's car taken in trade: ``allowance`` the dealer credits, ``payoff`` still owed on it (both ≥ 0).

    Equity = allowance − payoff; negative equity is added to what the customer finances.
    """

    allowance: Decimal
    payoff: Decimal = ZERO
    description: str = ""
    vin: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowance", to_amount(self.allowance, "Trade-in allowance", "allowance"))
        object.__setattr__(self, "payoff", to_amount(self.payoff, "Trade-in payoff", "payoff"))


# --- payment requests -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CashPayment:
    """Pay the balance in cash (after trade-in equity); nothing is financed.

    ``label``: free text shown instead of the standard wording; leave it empty for the standard
    label, which the quote then carries as a language-neutral code (see ``pricing.labels``).
    """

    label: str = ""


def _apr_source(apr_percent: Amount | None, bank: PartnerBankTerms | None, what: str) -> Decimal | None:
    if (apr_percent is None) == (bank is None):
        raise PricingError(f"{what} needs either an APR or a partner bank, not both or neither", "apr_percent")
    if apr_percent is None:
        return None
    apr = to_amount(apr_percent, "APR", "apr_percent")
    if apr > HUNDRED:
        raise PricingError(f"APR must be between 0 and 100 percent (got {apr})", "apr_percent")
    return apr


def _term(term_months: int) -> int:
    if isinstance(term_months, bool) or not isinstance(term_months, int) or not 1 <= term_months <= 120:
        raise PricingError(f"Term must be a whole number of months from 1 to 120 (got {term_months!r})", "term_months")
    return term_months


@dataclass(frozen=True, slots=True)
class FinancePayment:
    """A retail loan: ``term_months`` (1..120), ``down_payment`` (≥ 0) and either ``apr_percent`` or a ``bank``.

    With a partner ``bank`` the APR comes from its rate sheet, its minimum down payment is checked and
    an applied APR-subvention promotion may lower the APR (``finance.apply_apr_subvention``).
    ``lender_fees`` are paid to the lender at signing (part of the cost of credit). ``label``: as
    ``CashPayment.label`` (empty = the standard "Finance N months", carried as a code).
    Balloon (final payment, optional, at most one of the two): ``balloon_amount`` (≥ 0, offer
    currency) or ``balloon_percent`` (0..100) of the offer's net price (the agreed selling price
    after every discount, before fees and taxes — the price markets quote a deferred instalment or
    PCP future value on); with a ``bank`` it must be one the bank writes for the term
    (``PartnerBankTerms.check_balloon``). Raises ``PricingError`` for both given or a bad value.
    """

    term_months: int
    down_payment: Decimal = ZERO
    apr_percent: Decimal | None = None
    bank: PartnerBankTerms | None = None
    lender_fees: Decimal = ZERO
    label: str = ""
    balloon_amount: Decimal | None = None
    balloon_percent: Decimal | None = None

    def __post_init__(self) -> None:
        _term(self.term_months)
        object.__setattr__(self, "apr_percent", _apr_source(self.apr_percent, self.bank, "A loan"))
        object.__setattr__(self, "down_payment", to_amount(self.down_payment, "Down payment", "down_payment"))
        object.__setattr__(self, "lender_fees", to_amount(self.lender_fees, "Lender fees", "lender_fees"))
        if self.balloon_amount is not None and self.balloon_percent is not None:
            raise PricingError("A balloon is an amount or a percent, not both", "balloon")
        if self.balloon_amount is not None:
            object.__setattr__(self, "balloon_amount", to_amount(self.balloon_amount, "Balloon", "balloon"))
        if self.balloon_percent is not None:
            object.__setattr__(self, "balloon_percent", to_percent(self.balloon_percent, "Balloon", "balloon"))


@dataclass(frozen=True, slots=True)
class LeasePayment:
    """A closed-end lease by the money-factor method (``finance.quote_lease``).

    ``residual_percent`` of the reference price (MSRP + options), one value or a table by term;
    ``down_payment`` (cap cost reduction, ≥ 0); ``apr_percent`` or ``bank``; ``monthly_tax_percent``
    where lease payments are taxed (replaces the upfront added tax); other fields as ``LeaseScenario``;
    ``label`` as ``CashPayment.label`` (empty = the standard "Lease N months", carried as a code).
    """

    term_months: int
    residual_percent: Decimal | Mapping[int, Decimal]
    down_payment: Decimal = ZERO
    apr_percent: Decimal | None = None
    bank: PartnerBankTerms | None = None
    monthly_tax_percent: Decimal = ZERO
    tax_down_payment: bool = False
    fees_due_at_signing: Decimal = ZERO
    security_deposit: Decimal = ZERO
    first_payment_at_signing: bool = True
    label: str = ""

    def __post_init__(self) -> None:
        _term(self.term_months)
        object.__setattr__(self, "apr_percent", _apr_source(self.apr_percent, self.bank, "A lease"))
        object.__setattr__(self, "down_payment", to_amount(self.down_payment, "Down payment", "down_payment"))
        object.__setattr__(
            self, "monthly_tax_percent", to_percent(self.monthly_tax_percent, "Monthly tax", "monthly_tax_percent")
        )
        for name, what in (("fees_due_at_signing", "Fees due at signing"), ("security_deposit", "Security deposit")):
            object.__setattr__(self, name, to_amount(getattr(self, name), what, name))


PaymentRequest = CashPayment | FinancePayment | LeasePayment


# --- the whole input --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricingInput:
    """Everything needed to price one offer.

    ``currency`` ISO 4217 (all amounts, promotions and the fee/tax table must use it);
    ``brand_id`` / ``dealer_id`` / ``now_utc`` (aware) drive promotion eligibility; ``promotions``
    are the candidates in force (the brand's, plus coupon promotions found by entered code);
    ``coupon_codes`` as typed; ``dealer_discounts`` in application order; ``minimum_gross`` is the
    dealer's minimum gross on a stock car (part of its price floor; negative = a tolerated loss, the
    floor never going below 0);
    ``apr_subvention_terms`` maps an APR-subvention promotion id to its (min, max) term in months
    (a promotion not listed covers every term); ``payments`` are the scenarios to quote (cash by default).
    """

    currency: str
    brand_id: int
    dealer_id: int
    now_utc: datetime
    vehicle: CatalogVehicle | StockVehicle
    fee_tax_table: FeeTaxTable
    promotions: tuple[Promotion, ...] = ()
    coupon_codes: tuple[str, ...] = ()
    dealer_discounts: tuple[DealerDiscount, ...] = ()
    manual_discount: ManualDiscount | None = None
    trade_in: TradeIn | None = None
    minimum_gross: Decimal = ZERO
    payments: tuple[PaymentRequest, ...] = (CashPayment(),)
    apr_subvention_terms: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.coupon_codes, str):
            raise PricingError("coupon_codes must be a collection of codes, not a string", "coupon_codes")
        for name in ("promotions", "coupon_codes", "dealer_discounts", "payments"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        try:
            minimum_gross = to_decimal(self.minimum_gross)
        except MoneyError as exc:
            raise PricingError(f"Minimum gross is not a number: {self.minimum_gross!r}", "minimum_gross") from exc
        object.__setattr__(self, "minimum_gross", minimum_gross)
