"""What the pricing engine returns: an immutable ``PricedOffer`` with every line, reason and total.

Sign convention: every ``Line.amount`` is ≥ 0 and its ``kind`` says whether it adds to the price
(vehicle, colour, option, accessory, fee, added tax) or is taken off it (promotion, dealer discount,
manual discount, coupon); ``Line.signed_amount`` carries the sign. Included taxes (VAT) are lines of
kind ``INCLUDED_TAX``: informational, already inside the prices, counted in no total but their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from app.domain.approval import ApprovalPolicy, ApprovalResult, DiscountAuthority, approval_check
from app.domain.finance import FinanceQuote, LeaseQuote
from app.domain.money import ZERO
from app.domain.promotions import PromotionKind, Stage


class LineKind(StrEnum):
    """What an offer line is; ``is_deduction`` tells which kinds are taken off the price."""

    VEHICLE = "vehicle"
    COLOUR = "colour"
    OPTION = "option"
    ACCESSORY = "accessory"
    PROMOTION = "promotion"
    DEALER_DISCOUNT = "dealer_discount"
    MANUAL_DISCOUNT = "manual_discount"
    COUPON = "coupon"
    FEE = "fee"
    ADDED_TAX = "added_tax"
    INCLUDED_TAX = "included_tax"

    @property
    def is_deduction(self) -> bool:
        """Return True for discount kinds (promotion, dealer, manual, coupon)."""
        return self in _DEDUCTIONS


_DEDUCTIONS = frozenset({LineKind.PROMOTION, LineKind.DEALER_DISCOUNT, LineKind.MANUAL_DISCOUNT, LineKind.COUPON})
ITEM_KINDS = frozenset({LineKind.VEHICLE, LineKind.COLOUR, LineKind.OPTION, LineKind.ACCESSORY})


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line of the offer; every amount ≥ 0, rounded to the currency's minor unit.

    ``amount = quantity × unit_price`` for item lines; a discount line has quantity 1 and its
    applied (post-clamp) amount. ``line_id`` identifies an item line ("vehicle", "opt:SUNRF", ...);
    on a discount it names the item line it was taken from (None for order-level). ``tax_base`` is
    the ``taxes`` base of an item line. ``promotion_id`` is set on promotion and coupon lines.
    ``allocation`` (discounts only): ``(line_id, amount)`` pairs saying which item lines the
    discount came off — they sum to ``amount``.
    """

    code: str
    label: str
    kind: LineKind
    quantity: int
    unit_price: Decimal
    amount: Decimal
    line_id: str | None = None
    tax_base: str | None = None
    promotion_id: int | None = None
    note: str = ""
    allocation: tuple[tuple[str, Decimal], ...] = ()

    @property
    def signed_amount(self) -> Decimal:
        """Return ``-amount`` for a discount, ``amount`` otherwise."""
        return -self.amount if self.kind.is_deduction else self.amount


@dataclass(frozen=True, slots=True)
class AppliedPromotionLine:
    """A promotion that applied: its id, code, name, kind, stage, line, coupon code and discount given.

    ``amount`` is 0 for an APR subvention (its effect is on the payment quotes) and may be below the
    promotion's face value after a floor clamp.
    """

    promotion_id: int
    code: str
    name: str
    kind: PromotionKind
    stage: Stage
    amount: Decimal
    line_id: str | None = None
    coupon_code: str | None = None


@dataclass(frozen=True, slots=True)
class NotApplied:
    """A promotion, entered coupon code or dealer discount that did not apply, with the reason.

    ``source`` is "promotion", "coupon_code" or "dealer_discount"; ``reason`` is the stable key
    (``promotions.Reason`` values, or "not_stackable_with_promotions" for a dealer discount);
    ``message`` is plain English; ``blocked_by`` the id of the promotion that won, when one did.
    """

    source: str
    code: str
    name: str
    reason: str
    message: str
    promotion_id: int | None = None
    line_id: str | None = None
    blocked_by: int | None = None


class NoticeKind(StrEnum):
    """What a notice is about."""

    FLOOR_CLAMP = "floor_clamp"
    PRICE_BELOW_FLOOR = "price_below_floor"
    CONFIGURATION_WARNING = "configuration_warning"
    TRADE_IN_EXCEEDS_PRICE = "trade_in_exceeds_price"
    FREE_ACCESSORY_NOT_ON_OFFER = "free_accessory_not_on_offer"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the consultant should know about the price: ``kind``, English ``message``, ``code`` of the line.

    A FLOOR_CLAMP notice carries the ``requested`` and ``applied`` discount amounts.
    """

    kind: NoticeKind
    message: str
    code: str = ""
    requested: Decimal | None = None
    applied: Decimal | None = None


class PaymentKind(StrEnum):
    """How the customer pays."""

    CASH = "cash"
    FINANCE = "finance"
    LEASE = "lease"


@dataclass(frozen=True, slots=True)
class PaymentQuote:
    """One payment scenario, priced.

    ``down_payment`` cash paid up front; ``amount_financed`` (cash: 0; loan: balance due − down
    payment, negative trade-in equity included; lease: adjusted capitalized cost);
    ``due_at_signing`` (cash: the balance due; loan: the down payment + lender fees; lease:
    ``LeaseQuote.due_at_signing``); ``apr_percent`` used and the bank's ``standard_apr_percent``;
    ``subvention_promotion_id`` when an APR-subvention promotion lowered it; ``monthly_payment``
    None for cash; ``balloon_payment`` the final payment a balloon loan owes with its last month
    (None without one); ``finance`` / ``lease`` the full quotes from ``app.domain.finance``.

    ``label`` is English (or the request's custom text); ``label_code`` and ``label_params`` say
    the same without a language (``"finance_months"``, ``{"months": 60}``) so that a saved offer
    is shown in the language of whoever reads it (``pricing.labels.payment_label``). A custom
    label has no code.
    """

    kind: PaymentKind
    label: str
    down_payment: Decimal
    amount_financed: Decimal
    due_at_signing: Decimal
    term_months: int | None = None
    apr_percent: Decimal | None = None
    standard_apr_percent: Decimal | None = None
    subvention_promotion_id: int | None = None
    bank_name: str | None = None
    monthly_payment: Decimal | None = None
    finance: FinanceQuote | None = None
    lease: LeaseQuote | None = None
    label_code: str = ""
    label_params: Mapping[str, int] = field(default_factory=dict, hash=False)
    balloon_payment: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ApprovalInputs:
    """The figures ``approval.approval_check`` needs, in the offer currency.

    ``discount_total``: the dealer-funded discounts (presets + manual) actually given — the part a
    consultant's authority and the dealer's thresholds govern; brand promotions and coupons are
    reported in ``promotion_total``. ``reference_price``: MSRP / list price + colours + options +
    accessories before any discount. ``gross``: net selling price − cost (stock: acquisition cost;
    catalog: dealer cost), None when the cost is unknown.
    """

    discount_total: Decimal
    promotion_total: Decimal
    reference_price: Decimal
    gross: Decimal | None

    def check(self, authority: DiscountAuthority, policy: ApprovalPolicy) -> ApprovalResult:
        """Run ``approval.approval_check`` on these figures; raises ``ApprovalError`` as it does."""
        return approval_check(self.discount_total, self.reference_price, self.gross, authority, policy)


@dataclass(frozen=True, slots=True)
class TaxedLine:
    """One row of the per-line tax breakdown: a priced line (after discounts) or a fee, net / tax / gross.

    ``code``, ``label``, ``kind``, ``line_id`` are those of the item or fee line it stands for (fees:
    ``line_id`` ``"fee:<code>"``). ``net`` is the amount without tax, ``tax`` the line's taxes each
    rounded on this line (``taxes`` per-line rounding), ``gross`` what the customer pays for it;
    ``net + tax == gross``.
    """

    code: str
    label: str
    kind: LineKind
    line_id: str
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True, slots=True)
class TaxBreakdown:
    """Net, tax and gross per line and in total, for markets that print them (per-line rounding).

    ``lines``: item lines in print order (their amounts after the discounts allocated to them), then
    fees. Totals are the sums of the lines: ``total_net + total_tax == total_gross``; ``total_tax``
    is the offer's included + added tax and ``total_gross`` its out-the-door price.
    """

    lines: tuple[TaxedLine, ...]
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal


@dataclass(frozen=True, slots=True)
class PricedOffer:
    """An offer priced line by line (see ``engine`` for the order of computation and rounding points).

    Lines: ``item_lines`` (vehicle, colours, options, accessories), ``discount_lines`` in application
    order, ``fee_lines``, ``tax_lines`` (added and included). Totals, each the exact sum of its lines:
    ``subtotal`` = Σ item lines (= reference price); ``total_discounts`` = Σ discount lines;
    ``net_price`` = subtotal − discounts (the selling price); ``total_fees``; ``total_added_tax``;
    ``total_included_tax`` (informational); ``out_the_door_price`` = net + fees + added tax.
    Trade-in: ``trade_in_allowance``, ``trade_in_payoff``, ``trade_in_equity`` = allowance − payoff
    (may be negative); ``balance_due`` = max(0, out-the-door − equity) and ``refund_due`` =
    max(0, equity − out-the-door). ``price_floor`` is the lowest net price discounts may reach.
    ``tax_rounding`` is the market's (``taxes.TaxRounding`` value); ``tax_breakdown`` the per-line
    net / tax / gross under per-line rounding, None in markets that print the tax on the total only.
    """

    currency: str
    item_lines: tuple[Line, ...]
    discount_lines: tuple[Line, ...]
    fee_lines: tuple[Line, ...]
    tax_lines: tuple[Line, ...]
    applied_promotions: tuple[AppliedPromotionLine, ...]
    not_applied: tuple[NotApplied, ...]
    notices: tuple[Notice, ...]
    subtotal: Decimal
    total_discounts: Decimal
    net_price: Decimal
    total_fees: Decimal
    total_added_tax: Decimal
    total_included_tax: Decimal
    out_the_door_price: Decimal
    price_floor: Decimal
    trade_in_allowance: Decimal
    trade_in_payoff: Decimal
    trade_in_equity: Decimal
    balance_due: Decimal
    refund_due: Decimal
    payments: tuple[PaymentQuote, ...]
    approval: ApprovalInputs
    tax_rounding: str = "per_total"
    tax_breakdown: TaxBreakdown | None = None

    @property
    def lines(self) -> tuple[Line, ...]:
        """Return every line in print order: items, discounts, fees, taxes."""
        return self.item_lines + self.discount_lines + self.fee_lines + self.tax_lines

    @property
    def price_lines(self) -> tuple[Line, ...]:
        """Return the lines that make up the out-the-door price (every line but included taxes)."""
        return tuple(line for line in self.lines if line.kind is not LineKind.INCLUDED_TAX)

    def net_by_line(self) -> dict[str, Decimal]:
        """Return each item line's amount after the discounts allocated to it, by ``line_id``."""
        net = {line.line_id or line.code: line.amount for line in self.item_lines}
        for discount in self.discount_lines:
            for line_id, amount in discount.allocation:
                net[line_id] -= amount
        return net

    def total_of(self, kind: LineKind) -> Decimal:
        """Return the sum of the amounts of the lines of ``kind``."""
        return sum((line.amount for line in self.lines if line.kind is kind), ZERO)
