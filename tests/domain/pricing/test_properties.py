"""Hypothesis properties of the pricing engine over random offers, discounts, coupons and trade-ins.

* totals equal the sum of their lines;
* no line and no total is ever negative;
* discounts never take the net price (so the out-the-door price) below the floor;
* more discount never increases the out-the-door price.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.pricing import (
    AccessoryChoice,
    CatalogVehicle,
    DealerDiscount,
    LineKind,
    ManualDiscount,
    PricedOffer,
    PricingInput,
    StockVehicle,
    TradeIn,
    price_offer,
)
from app.domain.promotions import Coupon, Promotion, PromotionKind, PromotionScope, PromotionTargets
from app.domain.taxes import FeeRule, FeeTaxTable, TaxRule

from .builders import ALL_BASES, NOW, SEOUL_CATALOG, SEOUL_TABLE, TORONTO_TABLE, seoul_build, seoul_promo, toronto_promo

D = Decimal
ZERO = D(0)

CAD_VAT_TABLE = FeeTaxTable(
    "CAD",
    fees=(FeeRule("DOC", "Doc fee", D("299.99"), taxable=True),),
    taxes=(TaxRule("VAT", "VAT", D("7"), ALL_BASES, included_in_price=True, trade_in_credit=True),),
)


def cents(high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, high).map(lambda c: D(c).scaleb(-2))


def won(high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, high).map(D)


percents = st.integers(1, 10000).map(lambda p: D(p).scaleb(-2))  # 0.01 .. 100.00


@st.composite
def promotions(draw: st.DrawFn, currency_promo, money: st.SearchStrategy[Decimal], trim: str):  # type: ignore[no-untyped-def]
    """Random cash / percent promotions at item and order level, and a coupon, with the code typed or not."""
    result: list[Promotion] = []
    for promo_id in range(1, draw(st.integers(0, 4)) + 1):
        percent = draw(st.booleans())
        scope = draw(st.sampled_from([PromotionScope.ITEM, PromotionScope.ORDER]))
        fields: dict[str, object] = dict(
            id=promo_id,
            code=f"P{promo_id}",
            name=f"Promotion {promo_id}",
            scope=scope,
            priority=draw(st.integers(0, 3)),
            exclusive=draw(st.booleans()),
        )
        if scope is PromotionScope.ITEM:
            fields["targets"] = PromotionTargets(trim_codes=frozenset({trim}), accessory_codes=frozenset({"ACC1"}))
        if percent:
            fields.update(kind=PromotionKind.PERCENT_DISCOUNT, percent=draw(percents))
        else:
            fields.update(amount=draw(money.filter(lambda a: a > 0)))
        result.append(currency_promo(**fields))
    codes: tuple[str, ...] = ()
    if draw(st.booleans()):
        fields = dict(id=90, code="CPN", name="Coupon", kind=PromotionKind.COUPON, coupons=(Coupon("CODE", None),))
        if draw(st.booleans()):
            fields["percent"] = draw(percents)
        else:
            fields["amount"] = draw(money.filter(lambda a: a > 0))
        result.append(currency_promo(**fields))
        codes = ("CODE",) if draw(st.booleans()) else ("NOPE",)
    return tuple(result), codes


@st.composite
def discounts(draw: st.DrawFn, money: st.SearchStrategy[Decimal]):  # type: ignore[no-untyped-def]
    presets = tuple(
        DealerDiscount(
            f"D{i}",
            f"Preset {i}",
            **({"percent": draw(percents)} if draw(st.booleans()) else {"amount": draw(money)}),
            stackable_with_promotions=draw(st.booleans()),
        )
        for i in range(draw(st.integers(0, 2)))
    )
    manual = draw(
        st.one_of(
            st.none(),
            money.map(lambda a: ManualDiscount(amount=a)),
            percents.map(lambda p: ManualDiscount(percent=p)),
        )
    )
    return presets, manual


@st.composite
def toronto_offers(draw: st.DrawFn) -> PricingInput:
    """A CAD stock car with random price, cost, minimum gross, accessories, discounts, coupon and trade-in."""
    list_price = draw(cents(10_000_000))
    accessories = tuple(
        AccessoryChoice(f"ACC{i}", f"Accessory {i}", draw(cents(300_000)), draw(st.integers(1, 3)))
        for i in range(1, draw(st.integers(0, 2)) + 1)
    )
    vehicle = StockVehicle("S1", "Car", "CIVIC", "LX", list_price, draw(cents(12_000_000)), accessories=accessories)
    promos, codes = draw(promotions(toronto_promo, cents(2_000_000), "LX"))
    presets, manual = draw(discounts(cents(2_000_000)))
    trade_in = draw(st.one_of(st.none(), st.builds(TradeIn, cents(5_000_000), cents(5_000_000))))
    return PricingInput(
        currency="CAD",
        brand_id=2,
        dealer_id=20,
        now_utc=NOW,
        vehicle=vehicle,
        fee_tax_table=draw(st.sampled_from([TORONTO_TABLE, CAD_VAT_TABLE])),
        promotions=promos,
        coupon_codes=codes,
        dealer_discounts=presets,
        manual_discount=manual,
        trade_in=trade_in,
        minimum_gross=draw(cents(500_000)),
    )


@st.composite
def seoul_offers(draw: st.DrawFn) -> PricingInput:
    """A KRW configured car with random MSRP, options, colours, discounts and coupon."""
    options = draw(st.sets(st.sampled_from(["SUNRF", "PREM", "HUD"])))
    build = seoul_build(
        exterior_code=draw(st.sampled_from(["SNOW", "MGRY"])),
        interior_code=draw(st.sampled_from(["BLK", "CAM"])),
        option_codes=frozenset(options),
    )
    vehicle = CatalogVehicle("AUR", "Aurora", draw(won(90_000_000)), build, SEOUL_CATALOG)
    promos, codes = draw(promotions(seoul_promo, won(20_000_000), "LTD"))
    presets, manual = draw(discounts(won(20_000_000)))
    return PricingInput(
        currency="KRW",
        brand_id=1,
        dealer_id=10,
        now_utc=NOW,
        vehicle=vehicle,
        fee_tax_table=SEOUL_TABLE,
        promotions=promos,
        coupon_codes=codes,
        dealer_discounts=presets,
        manual_discount=manual,
        trade_in=draw(st.one_of(st.none(), st.builds(TradeIn, won(50_000_000), won(50_000_000)))),
    )


offers = st.one_of(toronto_offers(), seoul_offers())


def check_invariants(offer: PricedOffer) -> None:
    # Totals equal the sum of their lines.
    assert offer.subtotal == sum((line.amount for line in offer.item_lines), ZERO)
    assert offer.total_discounts == sum((line.amount for line in offer.discount_lines), ZERO)
    assert offer.net_price == offer.subtotal - offer.total_discounts
    assert offer.total_fees == offer.total_of(LineKind.FEE)
    assert offer.total_added_tax == offer.total_of(LineKind.ADDED_TAX)
    assert offer.total_included_tax == offer.total_of(LineKind.INCLUDED_TAX)
    assert offer.out_the_door_price == sum((line.signed_amount for line in offer.price_lines), ZERO)
    assert offer.balance_due - offer.refund_due == offer.out_the_door_price - offer.trade_in_equity
    for discount in offer.discount_lines:
        assert discount.amount == sum((amount for _, amount in discount.allocation), ZERO)
    # No line or total is ever negative.
    assert all(line.amount >= 0 and line.unit_price >= 0 for line in offer.lines)
    assert all(amount >= 0 for amount in offer.net_by_line().values())
    for total in (
        offer.subtotal,
        offer.total_discounts,
        offer.net_price,
        offer.total_fees,
        offer.total_added_tax,
        offer.out_the_door_price,
        offer.balance_due,
        offer.refund_due,
    ):
        assert total >= 0
    # Discounts never take the price below the floor (a car listed below it keeps its list price).
    assert offer.net_price >= min(offer.price_floor, offer.subtotal)
    if offer.subtotal >= offer.price_floor:
        assert offer.out_the_door_price >= offer.price_floor
    # Every amount is at the currency's minor unit.
    exponent = -2 if offer.currency == "CAD" else 0
    assert all(line.amount.as_tuple().exponent >= exponent for line in offer.lines)


@settings(max_examples=200, deadline=None)
@given(offers)
def test_totals_add_up_nothing_negative_floor_holds(pricing: PricingInput) -> None:
    check_invariants(price_offer(pricing))


def _manual_amount(pricing: PricingInput) -> Decimal:
    manual = pricing.manual_discount
    return ZERO if manual is None or manual.amount is None else manual.amount


@settings(max_examples=200, deadline=None)
@given(offers, st.integers(0, 5_000_000))
def test_more_manual_discount_never_increases_the_total(pricing: PricingInput, extra_units: int) -> None:
    unit = D("0.01") if pricing.currency == "CAD" else D(1)
    before = replace(pricing, manual_discount=ManualDiscount(amount=_manual_amount(pricing)))
    after = replace(pricing, manual_discount=ManualDiscount(amount=_manual_amount(pricing) + extra_units * unit))
    first, second = price_offer(before), price_offer(after)
    check_invariants(second)
    assert second.out_the_door_price <= first.out_the_door_price
    assert second.net_price <= first.net_price


@settings(max_examples=200, deadline=None)
@given(offers, percents, percents)
def test_a_larger_percent_never_increases_the_total(pricing: PricingInput, p: Decimal, q: Decimal) -> None:
    low, high = sorted((p, q))
    first = price_offer(replace(pricing, manual_discount=ManualDiscount(percent=low)))
    second = price_offer(replace(pricing, manual_discount=ManualDiscount(percent=high)))
    assert second.out_the_door_price <= first.out_the_door_price


@settings(max_examples=200, deadline=None)
@given(offers, st.integers(1, 5_000_000))
def test_an_extra_preset_never_increases_the_total(pricing: PricingInput, units: int) -> None:
    unit = D("0.01") if pricing.currency == "CAD" else D(1)
    extra = DealerDiscount("XTRA", "Extra", amount=units * unit)
    first = price_offer(pricing)
    second = price_offer(replace(pricing, dealer_discounts=(*pricing.dealer_discounts, extra)))
    assert second.out_the_door_price <= first.out_the_door_price
    assert second.total_discounts >= first.total_discounts
