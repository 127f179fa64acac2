"""The pricing engine: turn a ``PricingInput`` into an immutable ``PricedOffer``, line by line.

Order of computation (each step sees the result of the steps before it):

1. **Base price** — the trim's MSRP (catalog car) or the stock car's list price: the vehicle line.
2. **Colour, option and accessory lines** — a catalog build is first checked with
   ``option_rules.validate_configuration``; an invalid build is refused with
   ``InvalidConfigurationError`` (its ``conflicts`` say why) and never priced. Packages resolve into
   their contents at price 0 ("included in …"). Colours and options go to the ``options`` tax base,
   accessories to ``accessories``, the vehicle line to ``vehicle``. The sum of these lines is the
   **subtotal**, which is also the approval **reference price**.
3. **Item-level promotions** — ``promotions.select_promotions`` decides (at most one per line,
   highest priority wins); each discount is ``promotions.discount_amount`` on the line's amount.
4. **Order-level promotions** — several, unless one is exclusive (same selection); each on the
   running net price.
5. **Dealer preset discounts**, in the given order, then the **manual discount** — an amount, or a
   percent of the running net price. A preset not stackable with promotions is skipped (and
   reported) when a price promotion of the brand applies (cash, percent, free accessory, coupon).
6. **Coupons last** — item-scope coupons on their lines' running amounts, order-scope ones on the
   running net price. A coupon's minimum order amount is checked against that running net price
   (after promotions, presets and the manual discount), never the subtotal; a refused coupon is
   reported in ``not_applied`` with the shortfall and every other discount stays.
7. **Fees**, then 8. **taxes** per the dealer's ``taxes.FeeTaxTable`` (``apply_fee_tax_table``):
   VAT included (extracted, informational) or sales tax added; the trade-in allowance reduces the
   base of a tax with trade-in credit. Rounded per the market (``taxes.TaxRounding``): once per
   tax on its base, or per line — each item line's amount after its allocated discounts, each fee —
   with the per-line net / tax / gross in ``PricedOffer.tax_breakdown``. **Out-the-door price** = net price + fees + added taxes.
9. **Trade-in equity** = allowance − payoff (negative equity is owed on top): balance due =
   out-the-door − equity (a trade worth more than the car leaves a refund due, never a negative balance).
10. **Down payment**, then 11. **amount financed** = balance due − down payment for a loan (so negative
    equity rolls into it); a lease capitalizes fees and negative equity and takes positive equity
    and the down payment as cap cost reduction (``finance.quote_lease``; upfront added taxes are
    replaced by the lease's monthly tax).

Percent discounts (promotions, presets, manual, coupons) are a percent of the RUNNING amount they
land on — the line's remaining amount for an item-level one, the running net price otherwise — so
they compound in the order above; a cash discount is its face value (then clamped, see below).

Where an order-level discount (order promotion, preset, manual, order coupon) comes from: it is
taken off the item lines in print order — vehicle first, then colours, options, accessories —
each down to 0 before the next (a waterfall, exact: no rounding). Every discount line records its
``allocation``; the per-base net amounts handed to the tax table are the item lines minus those
allocations.

Rounding, half-up to the currency's minor unit (``money.round_money``), at these points only:
item lines (quantity × unit price), each percent discount when computed (``round(base × % / 100)``),
each tax line (inside ``taxes``), each payment line (inside ``finance``). Every other figure is a
sum or difference of rounded lines, so totals always equal the sum of their lines; the engine
asserts it before returning. Money inputs with more decimals than the currency has are refused.

Price floor: stock car → acquisition cost + the dealer's minimum gross; catalog car → 0.
Discounts never take the net price below the floor, and no line below 0. The engine applies the
discounts in the order above and clamps each to the room left (net price − floor, and the line's
own remaining amount for an item-level discount), which is the same as reducing the LAST discounts
applied first: coupons, then manual, then presets, then order-level, then item-level promotions.
Every clamped discount leaves a ``FLOOR_CLAMP`` notice with the requested and applied amounts.
A stock car listed below its floor gets no discount at all and a ``PRICE_BELOW_FLOOR`` notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.domain.finance import (
    AprLookup,
    APRSubvention,
    DeskingGrid,
    FinanceScenario,
    LeaseScenario,
    apply_apr_subvention,
    balloon_from_percent,
    desking_grid,
    quote_lease,
)
from app.domain.messages import N_, Money, Percent, Text
from app.domain.money import ZERO, MoneyError, minor_units, round_money
from app.domain.option_rules import Conflict, Severity, validate_configuration
from app.domain.promotions import (
    ItemKind,
    OfferContext,
    OfferItem,
    Promotion,
    PromotionKind,
    Stage,
    discount_amount,
    select_promotions,
)
from app.domain.taxes import ACCESSORIES, OPTIONS, VEHICLE, FeeTaxResult, TaxableLine, TaxRounding, apply_fee_tax_table

from .inputs import (
    HUNDRED,
    AccessoryChoice,
    CashPayment,
    CatalogVehicle,
    FinancePayment,
    LeasePayment,
    PaymentRequest,
    PricingError,
    PricingInput,
    StockVehicle,
)
from .labels import CASH_LABEL, FINANCE_LABEL, LEASE_LABEL
from .result import (
    AppliedPromotionLine,
    ApprovalInputs,
    Line,
    LineKind,
    NotApplied,
    Notice,
    NoticeKind,
    PaymentKind,
    PaymentQuote,
    PricedOffer,
    TaxBreakdown,
    TaxedLine,
)

#: Promotion kinds that lower the price (an APR subvention only lowers the APR).
PRICE_PROMOTION_KINDS = frozenset(
    {PromotionKind.CASH_DISCOUNT, PromotionKind.PERCENT_DISCOUNT, PromotionKind.COUPON, PromotionKind.FREE_ACCESSORY}
)

_ITEM_KIND_FOR_PROMOTIONS = {
    LineKind.VEHICLE: ItemKind.VEHICLE,
    LineKind.COLOUR: ItemKind.OPTION,
    LineKind.OPTION: ItemKind.OPTION,
    LineKind.ACCESSORY: ItemKind.ACCESSORY,
}


class InvalidConfigurationError(PricingError):
    """Raised when a catalog build breaks the option rules; ``conflicts`` holds every finding (errors first)."""

    def __init__(self, conflicts: tuple[Conflict, ...]) -> None:
        errors = [c.message for c in conflicts if c.severity is Severity.ERROR]
        super().__init__("This configuration cannot be priced: " + "; ".join(errors), "configuration")
        self.conflicts = conflicts


def _invariant(condition: bool, what: str) -> None:
    """Raise ``AssertionError`` when a bookkeeping invariant fails (a bug, never bad input)."""
    if not condition:
        raise AssertionError(f"Pricing invariant broken: {what} is not the sum of its lines")


def _fmt(amount: Decimal, currency: str) -> Money:
    """Return ``amount`` as a message parameter (English "1,234,567 KRW"; the reader's format when shown)."""
    return Money(amount, currency, f"{amount:,} {currency}")


# --- item lines ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Build:
    """Mutable scratchpad of one pricing run (never escapes ``price_offer``)."""

    currency: str
    floor: Decimal
    item_lines: list[Line] = field(default_factory=list)
    net: dict[str, Decimal] = field(default_factory=dict)
    original: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO
    subtotal: Decimal = ZERO
    discount_lines: list[Line] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def add_item(self, line: Line) -> None:
        assert line.line_id is not None
        if line.line_id in self.net:
            raise PricingError(f"{line.label} appears twice on the offer", "accessories")
        self.item_lines.append(line)
        self.net[line.line_id] = line.amount
        self.original[line.line_id] = line.amount
        self.labels[line.line_id] = line.label
        self.total += line.amount
        self.subtotal += line.amount

    def take(
        self,
        *,
        code: str,
        label: str,
        kind: LineKind,
        requested: Decimal,
        line_ids: tuple[str, ...] | None = None,
        line_id: str | None = None,
        promotion_id: int | None = None,
        note: str = "",
    ) -> Line:
        """Apply one discount of ``requested`` (≥ 0, rounded) to ``line_ids`` (None = every item line), clamped."""
        targets = tuple(self.net) if line_ids is None else line_ids
        capacity = sum((self.net[i] for i in targets), ZERO)
        room = max(ZERO, self.total - self.floor)
        applied = min(requested, room, capacity)
        if applied < requested:
            if room < capacity:
                why = (
                    Text(N_("the price cannot go below its floor of %(floor)s"), floor=_fmt(self.floor, self.currency))
                    if self.floor > ZERO
                    else Text(N_("the price cannot go below 0"))
                )
            elif len(targets) == 1:
                why = Text(N_("%(item)s cannot go below 0"), item=self.labels[targets[0]])
            else:
                why = Text(N_("the offer cannot go below 0"))
            self.notices.append(
                Notice(
                    NoticeKind.FLOOR_CLAMP,
                    Text(N_("%(discount)s reduced from %(requested)s to %(applied)s: %(why)s"), discount=label,
                         requested=_fmt(requested, self.currency), applied=_fmt(applied, self.currency), why=why),
                    code,
                    requested,
                    applied,
                )
            )
        allocation: list[tuple[str, Decimal]] = []
        left = applied
        for target in targets:
            if left == ZERO:
                break
            part = min(left, self.net[target])
            if part > ZERO:
                self.net[target] -= part
                allocation.append((target, part))
                left -= part
        self.total -= applied
        line = Line(
            code=code,
            label=label,
            kind=kind,
            quantity=1,
            unit_price=applied,
            amount=applied,
            line_id=line_id,
            promotion_id=promotion_id,
            note=note,
            allocation=tuple(allocation),
        )
        self.discount_lines.append(line)
        return line


def _money(value: Decimal, currency: str, what: str, field_name: str) -> Decimal:
    """Return ``value`` at the currency's exponent; raise ``PricingError`` if it has more decimals."""
    exact = round_money(value, currency)
    if exact != value:
        raise PricingError(f"{what} {value} has more decimals than {currency} allows", field_name)
    return exact


def _accessory_lines(build: _Build, accessories: tuple[AccessoryChoice, ...], currency: str) -> None:
    for acc in accessories:
        unit = _money(acc.unit_price, currency, f"Price of {acc.name}", "unit_price")
        build.add_item(
            Line(
                code=acc.code,
                label=acc.name,
                kind=LineKind.ACCESSORY,
                quantity=acc.quantity,
                unit_price=unit,
                amount=round_money(unit * acc.quantity, currency),
                line_id=f"acc:{acc.code}",
                tax_base=ACCESSORIES,
            )
        )


def _catalog_lines(build: _Build, vehicle: CatalogVehicle, currency: str) -> tuple[OfferItem, ...]:
    config = vehicle.configuration
    result = validate_configuration(config, vehicle.catalog)
    if not result.valid:
        raise InvalidConfigurationError(result.conflicts)
    for warning in result.warnings:
        build.notices.append(Notice(NoticeKind.CONFIGURATION_WARNING, warning.message, ",".join(warning.codes)))
    trim = vehicle.catalog.trim(config.trim_code)
    assert trim is not None and config.exterior_code is not None and config.interior_code is not None  # valid build
    base = _money(vehicle.base_price, currency, "MSRP", "base_price")
    build.add_item(
        Line(
            trim.code, f"{vehicle.model_name} {trim.name}".strip(), LineKind.VEHICLE, 1, base, base, "vehicle", VEHICLE
        )
    )
    for prefix, code, surcharge in (
        ("ext", config.exterior_code, result.exterior_surcharge),
        ("int", config.interior_code, result.interior_surcharge),
    ):
        amount = round_money(surcharge, currency)
        label = vehicle.catalog.color_name(code)
        build.add_item(Line(code, label, LineKind.COLOUR, 1, amount, amount, f"{prefix}:{code}", OPTIONS))
    for option in result.options:
        amount = round_money(option.price, currency)
        build.add_item(
            Line(
                option.code,
                option.name,
                LineKind.OPTION,
                1,
                amount,
                amount,
                f"opt:{option.code}",
                OPTIONS,
                note=option.note,
            )
        )
    _accessory_lines(build, vehicle.accessories, currency)
    return _offer_items(build, vehicle.model_code)


def _stock_lines(build: _Build, vehicle: StockVehicle, currency: str) -> tuple[OfferItem, ...]:
    price = _money(vehicle.list_price, currency, "List price", "list_price")
    build.add_item(
        Line(
            vehicle.trim_code,
            vehicle.label,
            LineKind.VEHICLE,
            1,
            price,
            price,
            "vehicle",
            VEHICLE,
            note=vehicle.stock_number,
        )
    )
    _accessory_lines(build, vehicle.accessories, currency)
    return _offer_items(build, vehicle.model_code)


def _offer_items(build: _Build, model_code: str) -> tuple[OfferItem, ...]:
    return tuple(
        OfferItem(
            line_id=line.line_id or line.code,
            kind=_ITEM_KIND_FOR_PROMOTIONS[line.kind],
            code=line.code,
            amount=line.amount,
            model_code=model_code if line.kind is LineKind.VEHICLE else None,
            name=line.label,
        )
        for line in build.item_lines
    )


# --- discounts ----------------------------------------------------------------------------------------------


def _percent_of(base: Decimal, percent: Decimal, currency: str) -> Decimal:
    return round_money(base * percent / HUNDRED, currency)


def _apply_promotion(
    build: _Build, promo: Promotion, stage: Stage, line_id: str | None, coupon_code: str | None
) -> AppliedPromotionLine:
    currency = build.currency
    kind = LineKind.COUPON if stage is Stage.COUPON else LineKind.PROMOTION
    label = promo.name if coupon_code is None else f"{promo.name} ({coupon_code})"
    amount = round_money(ZERO, currency)
    if promo.kind is PromotionKind.FREE_ACCESSORY:
        target = f"acc:{promo.accessory_code}"
        unit = next((line.unit_price for line in build.item_lines if line.line_id == target), None)
        if unit is None:
            build.notices.append(
                Notice(
                    NoticeKind.FREE_ACCESSORY_NOT_ON_OFFER,
                    Text(N_("%(promotion)s gives accessory %(code)s free: add it to the offer"), promotion=promo.name,
                         code=promo.accessory_code),
                    promo.code,
                )
            )
        else:
            # One unit of the accessory is free, whatever the promotion's scope targeted.
            amount = build.take(
                code=promo.code,
                label=label,
                kind=kind,
                requested=unit,
                line_ids=(target,),
                line_id=target,
                promotion_id=promo.id,
            ).amount
    elif promo.kind is not PromotionKind.APR_SUBVENTION:
        # A percent applies to the running amount; a cash amount is capped only by the pre-discount
        # amount here, so that a later cap (line at 0, floor) is reported as a clamp notice.
        if line_id is not None:
            running, original = build.net[line_id], build.original[line_id]
            line_ids: tuple[str, ...] | None = (line_id,)
        else:
            running, original = build.total, build.subtotal
            line_ids = None
        requested = discount_amount(promo, running if promo.amount is None else original, currency)
        amount = build.take(
            code=promo.code,
            label=label,
            kind=kind,
            requested=requested,
            line_ids=line_ids,
            line_id=line_id,
            promotion_id=promo.id,
        ).amount
    return AppliedPromotionLine(promo.id, promo.code, promo.name, promo.kind, stage, amount, line_id, coupon_code)


# --- payments -----------------------------------------------------------------------------------------------


def _apr_for(
    request: FinancePayment | LeasePayment, subventions: tuple[tuple[int, APRSubvention], ...]
) -> tuple[Decimal, Decimal, int | None]:
    """Return (APR used, standard APR, subvention promotion id) for the request's term: the lowest wins."""
    term = request.term_months
    if request.bank is not None:
        standard = request.bank.apr_for(term)
        best, best_id = standard, None
        for promo_id, sub in subventions:
            applied = apply_apr_subvention(request.bank, term, sub)
            if applied.subvention_applied and applied.apr_percent < best:
                best, best_id = applied.apr_percent, promo_id
        return best, standard, best_id
    assert request.apr_percent is not None  # FinancePayment/LeasePayment require APR or bank
    standard = request.apr_percent
    best, best_id = standard, None
    for promo_id, sub in subventions:
        if sub.covers(term) and sub.apr_percent < best:
            best, best_id = sub.apr_percent, promo_id
    return best, standard, best_id


@dataclass(frozen=True, slots=True)
class _Figures:
    """The priced offer's figures a payment scenario starts from."""

    balance_due: Decimal
    equity: Decimal
    reference_price: Decimal
    net_price: Decimal
    total_fees: Decimal


def _standard_label(request: FinancePayment | LeasePayment, code: str) -> dict[str, Any]:
    """The language-neutral label of a scenario without a custom label: code + term (``pricing.labels``)."""
    if request.label:
        return {}
    return {"label_code": code, "label_params": {"months": request.term_months}}


def _quote_payment(
    request: PaymentRequest,
    offer: _Figures,
    currency: str,
    subventions: tuple[tuple[int, APRSubvention], ...],
) -> PaymentQuote:
    balance = offer.balance_due
    if isinstance(request, CashPayment):
        zero = round_money(ZERO, currency)
        return PaymentQuote(PaymentKind.CASH, request.label or "Cash", zero, zero, balance,
                            label_code="" if request.label else CASH_LABEL)
    down = _money(request.down_payment, currency, "Down payment", "down_payment")
    apr, standard, promo_id = _apr_for(request, subventions)
    bank_name = request.bank.name if request.bank is not None else None
    if isinstance(request, FinancePayment):
        if down > balance:
            raise PricingError(
                Text(N_("Down payment %(down)s is larger than the balance due %(balance)s"), down=_fmt(down, currency),
                     balance=_fmt(balance, currency)),
                "down_payment",
            )
        if request.bank is not None:
            request.bank.check_down_payment(balance, down, currency)
        fees = _money(request.lender_fees, currency, "Lender fees", "lender_fees")
        if request.balloon_percent is not None:
            balloon = balloon_from_percent(offer.net_price, request.balloon_percent, currency)
        elif request.balloon_amount is not None:
            balloon = _money(request.balloon_amount, currency, "Balloon", "balloon")
        else:
            balloon = round_money(ZERO, currency)
        if request.bank is not None and balloon > ZERO:
            request.bank.check_balloon(offer.net_price, balloon, request.term_months, currency)
        quote = FinanceScenario(
            amount_financed=balance - down,
            apr_percent=apr,
            term_months=request.term_months,
            currency=currency,
            lender_fees=fees,
            balloon=balloon,
        ).quote()
        return PaymentQuote(
            PaymentKind.FINANCE,
            request.label or f"Finance {request.term_months} months",
            down,
            quote.scenario.amount_financed,
            down + fees,
            request.term_months,
            apr,
            standard,
            promo_id,
            bank_name,
            quote.monthly_payment,
            finance=quote,
            balloon_payment=balloon if balloon > ZERO else None,
            **_standard_label(request, FINANCE_LABEL),
        )
    assert isinstance(request, LeasePayment)
    equity = offer.equity
    lease = quote_lease(
        LeaseScenario(
            msrp=offer.reference_price,
            agreed_price=offer.net_price,
            term_months=request.term_months,
            apr_percent=apr,
            residual_percent=request.residual_percent,
            currency=currency,
            fees_financed=offer.total_fees + max(ZERO, -equity),
            down_payment=down,
            trade_in_equity=max(ZERO, equity),
            monthly_tax_percent=request.monthly_tax_percent,
            tax_down_payment=request.tax_down_payment,
            fees_due_at_signing=request.fees_due_at_signing,
            security_deposit=request.security_deposit,
            first_payment_at_signing=request.first_payment_at_signing,
        )
    )
    return PaymentQuote(
        PaymentKind.LEASE,
        request.label or f"Lease {request.term_months} months",
        down,
        lease.adjusted_cap_cost,
        lease.due_at_signing,
        request.term_months,
        apr,
        standard,
        promo_id,
        bank_name,
        lease.monthly_payment,
        lease=lease,
        **_standard_label(request, LEASE_LABEL),
    )


# --- the engine ---------------------------------------------------------------------------------------------


def price_offer(pricing: PricingInput) -> PricedOffer:
    """Price one offer following the order, rounding points and floor rule of the module docstring.

    Input: a ``PricingInput``. Output: an immutable ``PricedOffer`` whose totals are the exact sums
    of its lines. Raises ``InvalidConfigurationError`` for a build that breaks the option rules,
    ``PricingError`` for a currency mismatch, an amount with more decimals than the currency has, a
    duplicate accessory or a down payment above the balance due; ``PromotionError``, ``FeeTaxError``
    and the ``FinanceError`` family (e.g. ``DownPaymentBelowMinimumError``, ``NoAPRForTermError``)
    come unchanged from the modules that detect them. All are ``ValueError``.
    """
    currency = pricing.currency
    try:
        minor_units(currency)
    except MoneyError as exc:
        raise PricingError(str(exc), "currency") from exc
    table = pricing.fee_tax_table
    if table.currency != currency:
        raise PricingError(f"The fee and tax table is in {table.currency}, not {currency}", "fee_tax_table")
    vehicle = pricing.vehicle

    # Price floor: stock car → acquisition cost + minimum gross (a negative minimum gross is a loss the
    # dealer tolerates; the floor still never goes below 0); catalog car → 0.
    if isinstance(vehicle, StockVehicle):
        cost: Decimal | None = _money(vehicle.acquisition_cost, currency, "Acquisition cost", "acquisition_cost")
        floor = max(round_money(ZERO, currency), cost + _money(pricing.minimum_gross, currency, "Minimum gross", "minimum_gross"))
    else:
        cost = (
            None if vehicle.dealer_cost is None else _money(vehicle.dealer_cost, currency, "Dealer cost", "dealer_cost")
        )
        floor = round_money(ZERO, currency)
    build = _Build(currency, floor)

    # Steps 1-2: base price, colour/option/accessory lines.
    items = (
        _catalog_lines(build, vehicle, currency)
        if isinstance(vehicle, CatalogVehicle)
        else _stock_lines(build, vehicle, currency)
    )
    subtotal = build.total
    if subtotal < floor:
        build.notices.append(
            Notice(
                NoticeKind.PRICE_BELOW_FLOOR,
                Text(N_("The price %(price)s is already below the floor %(floor)s: no discount can be given"),
                     price=_fmt(subtotal, currency), floor=_fmt(floor, currency)),
            )
        )

    # Steps 3-6: promotions, dealer and manual discounts, coupons.
    context = OfferContext(pricing.brand_id, pricing.dealer_id, currency, items, pricing.coupon_codes)
    selection = select_promotions(pricing.promotions, context, pricing.now_utc)
    applied: list[AppliedPromotionLine] = []
    for stage in (Stage.ITEM, Stage.ORDER):
        for choice in selection.in_stage(stage):
            applied.append(_apply_promotion(build, choice.promotion, stage, choice.line_id, choice.coupon_code))

    not_applied: list[NotApplied] = [
        NotApplied(
            "promotion",
            s.promotion.code,
            s.promotion.name,
            s.reason.value,
            s.message,
            s.promotion.id,
            s.line_id,
            s.blocked_by,
        )
        for s in selection.not_applied
    ]
    not_applied.extend(
        NotApplied("coupon_code", r.code, r.code, r.reason.value, r.message) for r in selection.rejected_coupon_codes
    )
    price_promotion = any(a.promotion.kind in PRICE_PROMOTION_KINDS for a in selection.applied)
    for preset in pricing.dealer_discounts:
        if not preset.stackable_with_promotions and price_promotion:
            not_applied.append(
                NotApplied(
                    "dealer_discount",
                    preset.code,
                    preset.name,
                    "not_stackable_with_promotions",
                    Text(N_("%(discount)s cannot be combined with the brand's promotions"), discount=preset.name),
                )
            )
            continue
        if preset.amount is not None:
            requested = _money(preset.amount, currency, f"Dealer discount {preset.name}", "amount")
            note = ""
        else:
            assert preset.percent is not None
            requested = _percent_of(build.total, preset.percent, currency)
            note = f"{preset.percent}%"
        build.take(code=preset.code, label=preset.name, kind=LineKind.DEALER_DISCOUNT, requested=requested, note=note)
    manual = pricing.manual_discount
    if manual is not None:
        if manual.amount is not None:
            requested = _money(manual.amount, currency, "Manual discount", "amount")
            note = manual.reason
        else:
            assert manual.percent is not None
            requested = _percent_of(build.total, manual.percent, currency)
            note = f"{manual.percent}% {manual.reason}".strip()
        build.take(
            code="MANUAL", label=Text(N_("Manual discount")), kind=LineKind.MANUAL_DISCOUNT, requested=requested,
            note=note
        )
    # A coupon's minimum order amount is checked against the running net price it lands on (after the
    # promotions, presets and manual discount above), not the pre-discount subtotal: select again with
    # that base and keep only the coupon stage of the second answer.
    coupon_selection = select_promotions(pricing.promotions, context, pricing.now_utc, coupon_base=build.total)
    coupon_skips = {s.promotion.id for s in selection.not_applied if s.promotion.stage is Stage.COUPON}
    not_applied = [n for n in not_applied if n.source != "promotion" or n.promotion_id not in coupon_skips]
    not_applied.extend(
        NotApplied("promotion", s.promotion.code, s.promotion.name, s.reason.value, s.message, s.promotion.id,
                   s.line_id, s.blocked_by)
        for s in coupon_selection.not_applied
        if s.promotion.stage is Stage.COUPON
    )
    for choice in coupon_selection.in_stage(Stage.COUPON):
        applied.append(_apply_promotion(build, choice.promotion, Stage.COUPON, choice.line_id, choice.coupon_code))

    # Steps 7-8: fees and taxes on the net amount of each tax base.
    by_base = dict.fromkeys((VEHICLE, OPTIONS, ACCESSORIES), ZERO)
    for line in build.item_lines:
        assert line.tax_base is not None and line.line_id is not None
        by_base[line.tax_base] += build.net[line.line_id]
    trade_in = pricing.trade_in
    allowance = (
        round_money(ZERO, currency)
        if trade_in is None
        else _money(trade_in.allowance, currency, "Trade-in allowance", "allowance")
    )
    payoff = (
        round_money(ZERO, currency)
        if trade_in is None
        else _money(trade_in.payoff, currency, "Trade-in payoff", "payoff")
    )
    taxable = [TaxableLine(line.line_id, line.tax_base, build.net[line.line_id]) for line in build.item_lines]
    fee_tax = apply_fee_tax_table(table, by_base, allowance, taxable)
    fee_lines = tuple(
        Line(f.code, f.name, LineKind.FEE, 1, f.amount, f.amount, note=Text(N_("taxable")) if f.taxable else "")
        for f in fee_tax.fee_lines
    )
    tax_lines = tuple(
        Line(
            t.code,
            t.name,
            LineKind.INCLUDED_TAX if t.included else LineKind.ADDED_TAX,
            1,
            t.amount,
            t.amount,
            note=Text(N_("%(rate)s of %(base)s after trade-in credit %(credit)s"), rate=Percent(t.rate),
                      base=_fmt(t.base_amount, currency), credit=_fmt(t.trade_in_credit, currency))
            if t.trade_in_credit
            else Text(N_("%(rate)s of %(base)s"), rate=Percent(t.rate), base=_fmt(t.base_amount, currency)),
        )
        for t in fee_tax.tax_lines
    )

    discount_lines = tuple(build.discount_lines)
    total_discounts = sum((d.amount for d in discount_lines), ZERO)
    net_price = subtotal - total_discounts
    total_fees = sum((f.amount for f in fee_lines), ZERO)
    total_added = sum((t.amount for t in tax_lines if t.kind is LineKind.ADDED_TAX), ZERO)
    total_included = sum((t.amount for t in tax_lines if t.kind is LineKind.INCLUDED_TAX), ZERO)
    out_the_door = net_price + total_fees + total_added
    # Totals are sums of their lines, whichever way they are added up (checked even under python -O).
    _invariant(net_price == build.total == sum(build.net.values(), ZERO) == fee_tax.net_amount, "net price")
    _invariant(
        out_the_door
        == sum(
            (
                line.signed_amount
                for line in (*build.item_lines, *discount_lines, *fee_lines, *tax_lines)
                if line.kind is not LineKind.INCLUDED_TAX
            ),
            ZERO,
        )
        == fee_tax.total,
        "out-the-door price",
    )
    _invariant(all(d.amount == sum((a for _, a in d.allocation), ZERO) for d in discount_lines), "allocation")
    breakdown = _tax_breakdown(fee_tax, build.item_lines, fee_lines)
    _invariant(
        breakdown is None
        or (
            all(t.net + t.tax == t.gross for t in breakdown.lines)
            and breakdown.total_net + breakdown.total_tax == breakdown.total_gross == out_the_door
            and breakdown.total_tax == total_included + total_added
        ),
        "tax breakdown",
    )
    _invariant(net_price >= min(floor, subtotal) and all(v >= ZERO for v in build.net.values()), "floor")

    # Steps 9-11: trade-in equity, balance due, down payment and amount financed per scenario.
    equity = allowance - payoff
    zero = round_money(ZERO, currency)  # 0 at the currency's exponent (0.00 CAD), for display
    balance_due = max(zero, out_the_door - equity)
    refund_due = max(zero, equity - out_the_door)
    if refund_due > ZERO:
        build.notices.append(
            Notice(
                NoticeKind.TRADE_IN_EXCEEDS_PRICE,
                Text(N_("The trade-in equity exceeds the out-the-door price: %(refund)s is due to the customer"),
                     refund=_fmt(refund_due, currency)),
            )
        )
    subventions = tuple(
        (
            a.promotion.id,
            APRSubvention(
                *pricing.apr_subvention_terms.get(a.promotion.id, (1, 120)), a.promotion.apr, a.promotion.name
            ),
        )
        for a in selection.applied
        if a.promotion.kind is PromotionKind.APR_SUBVENTION and a.promotion.apr is not None
    )
    listed = {line.promotion_id for line in applied}
    for a in selection.applied:
        # Listed once: a subvention picked in a price stage above is already among the applied lines.
        if a.promotion.kind is PromotionKind.APR_SUBVENTION and a.promotion.id not in listed:
            listed.add(a.promotion.id)
            applied.append(
                AppliedPromotionLine(
                    a.promotion.id, a.promotion.code, a.promotion.name, a.promotion.kind, a.stage, zero, a.line_id
                )
            )
    figures = _Figures(balance_due, equity, subtotal, net_price, total_fees)
    payments = tuple(_quote_payment(p, figures, currency, subventions) for p in pricing.payments)

    dealer_given = sum(
        (d.amount for d in discount_lines if d.kind in (LineKind.DEALER_DISCOUNT, LineKind.MANUAL_DISCOUNT)), ZERO
    )
    approval = ApprovalInputs(
        discount_total=dealer_given,
        promotion_total=total_discounts - dealer_given,
        reference_price=subtotal,
        gross=None if cost is None else net_price - cost,
    )
    return PricedOffer(
        currency=currency,
        item_lines=tuple(build.item_lines),
        discount_lines=discount_lines,
        fee_lines=fee_lines,
        tax_lines=tax_lines,
        applied_promotions=tuple(applied),
        not_applied=tuple(not_applied),
        notices=tuple(build.notices),
        subtotal=subtotal,
        total_discounts=total_discounts,
        net_price=net_price,
        total_fees=total_fees,
        total_added_tax=total_added,
        total_included_tax=total_included,
        out_the_door_price=out_the_door,
        price_floor=floor,
        trade_in_allowance=allowance,
        trade_in_payoff=payoff,
        trade_in_equity=equity,
        balance_due=balance_due,
        refund_due=refund_due,
        payments=payments,
        approval=approval,
        tax_rounding=fee_tax.rounding.value,
        tax_breakdown=breakdown,
    )


def _tax_breakdown(fee_tax: FeeTaxResult, item_lines: list[Line], fee_lines: tuple[Line, ...]) -> TaxBreakdown | None:
    """Return the per-line net / tax / gross of a per-line-rounded offer (None under per-total rounding)."""
    if fee_tax.rounding is not TaxRounding.PER_LINE:
        return None
    by_id = {line.line_id: line for line in item_lines}
    by_id.update({f"fee:{line.code}": line for line in fee_lines})
    lines = tuple(
        TaxedLine(by_id[t.line_id].code, by_id[t.line_id].label, by_id[t.line_id].kind, t.line_id, t.net, t.tax, t.gross)
        for t in fee_tax.line_taxes
    )
    return TaxBreakdown(
        lines=lines,
        total_net=sum((t.net for t in lines), ZERO),
        total_tax=sum((t.tax for t in lines), ZERO),
        total_gross=sum((t.gross for t in lines), ZERO),
    )


def desking_sheet(
    offer: PricedOffer,
    *,
    terms: tuple[int, ...],
    down_payments: tuple[Decimal, ...],
    apr_for_term: AprLookup,
    lender_fees: Decimal = ZERO,
) -> DeskingGrid:
    """Return the terms × down payments grid of loan quotes for a priced offer (``finance.desking_grid``).

    The price to finance is the offer's ``balance_due`` (out-the-door price − trade-in equity, so
    negative equity is financed); ``apr_for_term`` a mapping or callable such as ``bank.apr_for``.
    Raises ``DownPaymentExceedsPriceError``, ``NoAPRForTermError`` and the other ``FinanceError`` s.
    """
    return desking_grid(
        price_to_finance=offer.balance_due,
        down_payments=down_payments,
        terms=terms,
        apr_for_term=apr_for_term,
        currency=offer.currency,
        lender_fees=lender_fees,
    )
