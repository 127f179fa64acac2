"""Pricing engine rules: stacking and reasons, coupons, configuration, floor, edge cases and bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.domain.finance import BalloonError, DownPaymentBelowMinimumError, NoAPRForTermError, PartnerBankTerms
from app.domain.option_rules import ConflictKind
from app.domain.pricing import (
    AccessoryChoice,
    CashPayment,
    CatalogVehicle,
    DealerDiscount,
    FinancePayment,
    InvalidConfigurationError,
    LeasePayment,
    LineKind,
    ManualDiscount,
    NoticeKind,
    PaymentKind,
    PricingError,
    PricingInput,
    StockVehicle,
    TradeIn,
    price_offer,
)
from app.domain.promotions import Budget, Coupon, PromotionError, PromotionKind, PromotionScope, PromotionTargets
from app.domain.taxes import FeeTaxTable

from .builders import (
    BANGKOK_BANK,
    BANGKOK_TABLE,
    NOW,
    SEOUL_CATALOG,
    SEOUL_TABLE,
    TORONTO_TABLE,
    bangkok_promo,
    seoul_build,
    seoul_promo,
    toronto_promo,
)

D = Decimal

# A plain Seoul car: Standard trim, Snow White, Black, no options: 30,000,000 KRW.
PLAIN = CatalogVehicle(
    "AUR",
    "Aurora",
    D("30000000"),
    seoul_build(trim_code="STD", exterior_code="SNOW", interior_code="BLK", option_codes=frozenset()),
    SEOUL_CATALOG,
)
# Seoul table without fees, so out-the-door = net price.
NO_FEES = FeeTaxTable("KRW", taxes=SEOUL_TABLE.taxes)


def seoul(**overrides: object) -> PricingInput:
    fields: dict[str, object] = dict(
        currency="KRW", brand_id=1, dealer_id=10, now_utc=NOW, vehicle=PLAIN, fee_tax_table=NO_FEES
    )
    fields.update(overrides)
    return PricingInput(**fields)  # type: ignore[arg-type]


STOCK = StockVehicle("T9", "2021 Civic", "CIVIC", "LX", D("18995.00"), D("10000.00"))


def toronto(**overrides: object) -> PricingInput:
    fields: dict[str, object] = dict(
        currency="CAD", brand_id=2, dealer_id=20, now_utc=NOW, vehicle=STOCK, fee_tax_table=TORONTO_TABLE
    )
    fields.update(overrides)
    return PricingInput(**fields)  # type: ignore[arg-type]


def reasons(offer) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {n.code: n.reason for n in offer.not_applied}


# --- stacking ------------------------------------------------------------------------------------------------

BIG_EXCLUSIVE = seoul_promo(id=1, code="BIG", name="Big cash", priority=3, exclusive=True)
TWO_PERCENT = seoul_promo(
    id=2, code="TWO", name="Two percent", kind=PromotionKind.PERCENT_DISCOUNT, percent=D("2"), priority=1
)


def test_exclusive_order_promotion_applies_alone() -> None:
    offer = price_offer(seoul(promotions=(BIG_EXCLUSIVE, TWO_PERCENT)))
    # BIG ranks first (priority 3) and is exclusive: 30,000,000 − 1,000,000 = 29,000,000.
    assert [(line.code, line.amount) for line in offer.discount_lines] == [("BIG", D("1000000"))]
    assert offer.net_price == D("29000000")
    (lost,) = offer.not_applied
    assert (lost.code, lost.reason, lost.blocked_by) == ("TWO", "not_stackable", 1)
    assert "exclusive" in lost.message


def test_stackable_order_promotions_all_apply_on_the_running_price() -> None:
    offer = price_offer(seoul(promotions=(replace(BIG_EXCLUSIVE, exclusive=False), TWO_PERCENT)))
    # BIG 1,000,000 → 29,000,000; TWO 2 % × 29,000,000 = 580,000 → 28,420,000.
    assert [(line.code, line.amount) for line in offer.discount_lines] == [("BIG", D("1000000")), ("TWO", D("580000"))]
    assert offer.net_price == D("28420000")
    assert offer.not_applied == ()


def test_item_level_at_most_one_per_line_highest_priority_wins() -> None:
    on_vehicle = PromotionTargets(trim_codes=frozenset({"STD"}))
    low = seoul_promo(id=5, code="LOW", name="Low", scope=PromotionScope.ITEM, targets=on_vehicle, amount=D("900000"))
    high = seoul_promo(
        id=6, code="HIGH", name="High", scope=PromotionScope.ITEM, targets=on_vehicle, amount=D("100000"), priority=9
    )
    offer = price_offer(seoul(promotions=(low, high)))
    # HIGH wins on priority even though LOW gives more: 30,000,000 − 100,000.
    assert [(line.code, line.line_id) for line in offer.discount_lines] == [("HIGH", "vehicle")]
    assert offer.net_price == D("29900000")
    assert reasons(offer) == {"LOW": "outranked"}


@pytest.mark.parametrize(
    "budget",
    [
        pytest.param(Budget(max_count=10, used_count=10), id="count-used-up"),
        # 400,000 left is less than the 1,000,000 benefit: all or nothing.
        pytest.param(Budget(max_amount=D("50000000"), used_amount=D("49600000")), id="amount-short"),
    ],
)
def test_budget_exhausted_is_reported(budget: Budget) -> None:
    offer = price_offer(seoul(promotions=(seoul_promo(budget=budget),)))
    assert offer.discount_lines == ()
    assert offer.net_price == D("30000000")
    assert reasons(offer) == {"SPRING": "budget_exhausted"}


def test_promotion_outside_validity_is_reported() -> None:
    expired = seoul_promo(valid_from=date(2026, 1, 1), valid_until=date(2026, 5, 31))
    offer = price_offer(seoul(promotions=(expired,)))
    assert reasons(offer) == {"SPRING": "outside_validity"}
    assert offer.total_discounts == D("0")


# --- coupons -------------------------------------------------------------------------------------------------

SEOUL_COUPON = seoul_promo(
    id=40, code="C5", name="Coupon 5%", kind=PromotionKind.COUPON, percent=D("5"), coupons=(Coupon("SEOUL5"),)
)


def test_coupon_of_another_brand_typed_is_invalid() -> None:
    # The code belongs to Toronto's brand: no promotion of this offer's candidates knows it.
    offer = price_offer(seoul(promotions=(SEOUL_COUPON,), coupon_codes=("WELCOME250",)))
    rejected = [n for n in offer.not_applied if n.source == "coupon_code"]
    assert [(n.code, n.reason) for n in rejected] == [("WELCOME250", "coupon_invalid")]
    assert offer.total_discounts == D("0")


def test_coupon_promotion_of_another_brand_is_refused_with_its_reason() -> None:
    other = replace(SEOUL_COUPON, id=41, brand_id=99, coupons=(Coupon("OTHER10"),))
    offer = price_offer(seoul(promotions=(other,), coupon_codes=("other10",)))
    assert reasons(offer) == {"C5": "coupon_other_brand"}
    assert offer.discount_lines == ()


def test_coupons_come_last_after_the_manual_discount() -> None:
    offer = price_offer(
        seoul(promotions=(SEOUL_COUPON,), coupon_codes=("SEOUL5",), manual_discount=ManualDiscount(amount=D("2000000")))
    )
    # Manual 2,000,000 → 28,000,000; coupon 5 % × 28,000,000 = 1,400,000 → 26,600,000.
    assert [(line.kind, line.amount) for line in offer.discount_lines] == [
        (LineKind.MANUAL_DISCOUNT, D("2000000")),
        (LineKind.COUPON, D("1400000")),
    ]
    assert offer.net_price == D("26600000")


@pytest.mark.parametrize(
    ("minimum", "manual", "discounts", "net", "refusal"),
    [
        # Subtotal 30,000,000, no other discount: the coupon's 30,000,000 minimum is met (inclusive).
        (D("30000000"), None, [(LineKind.COUPON, D("1500000"))], D("28500000"), None),
        # Manual 2,000,000 → 28,000,000 ≥ 28,000,000: 5 % × 28,000,000 = 1,400,000.
        (D("28000000"), D("2000000"), [(LineKind.MANUAL_DISCOUNT, D("2000000")), (LineKind.COUPON, D("1400000"))],
         D("26600000"), None),
        # Manual 2,000,000 → 28,000,000 < 29,000,000: the coupon is refused, 1,000,000 short; the manual stays.
        (D("29000000"), D("2000000"), [(LineKind.MANUAL_DISCOUNT, D("2000000"))], D("28000000"),
         "Coupon 5% needs at least 29000000 KRW after the other discounts; this offer comes to 28000000 KRW, "
         "1000000 KRW short"),
    ],
    ids=["no-discount-inclusive", "after-manual-inclusive", "after-manual-short"],
)
def test_coupon_minimum_is_checked_on_the_running_net_price(minimum, manual, discounts, net, refusal) -> None:
    coupon = replace(SEOUL_COUPON, min_order_amount=minimum)
    offer = price_offer(
        seoul(promotions=(coupon,), coupon_codes=("SEOUL5",),
              manual_discount=None if manual is None else ManualDiscount(amount=manual))
    )
    assert [(line.kind, line.amount) for line in offer.discount_lines] == discounts
    assert offer.net_price == net
    refused = [n for n in offer.not_applied if n.code == "C5"]
    if refusal is None:
        assert refused == []
    else:
        assert [(n.reason, str(n.message)) for n in refused] == [("below_minimum_order", refusal)]


def test_item_coupon_cannot_take_a_line_below_zero() -> None:
    # Sunroof 1,200,000: the item-level promotion takes 1,000,000, the item coupon asks 300,000, gets 200,000.
    sunroof = PromotionTargets(option_codes=frozenset({"SUNRF"}))
    promo = seoul_promo(id=7, code="SUN", name="Sunroof cash", scope=PromotionScope.ITEM, targets=sunroof)
    coupon = seoul_promo(
        id=8,
        code="SUNC",
        name="Sunroof coupon",
        kind=PromotionKind.COUPON,
        scope=PromotionScope.ITEM,
        targets=sunroof,
        amount=D("300000"),
        coupons=(Coupon("SUN300"),),
    )
    vehicle = replace(PLAIN, configuration=seoul_build(trim_code="LTD", option_codes=frozenset({"SUNRF"})))
    offer = price_offer(seoul(vehicle=vehicle, promotions=(promo, coupon), coupon_codes=("SUN300",)))
    assert [(line.code, line.amount) for line in offer.discount_lines] == [("SUN", D("1000000")), ("SUNC", D("200000"))]
    assert offer.net_by_line()["opt:SUNRF"] == D("0")
    (notice,) = offer.notices
    assert (notice.kind, notice.requested, notice.applied) == (NoticeKind.FLOOR_CLAMP, D("300000"), D("200000"))
    assert "Sunroof cannot go below 0" in notice.message


# --- dealer discounts ----------------------------------------------------------------------------------------

NOT_STACKABLE = DealerDiscount("EVENT", "Showroom event", amount=D("500000"), stackable_with_promotions=False)


def test_preset_not_stackable_is_skipped_when_a_promotion_applies() -> None:
    offer = price_offer(seoul(promotions=(seoul_promo(),), dealer_discounts=(NOT_STACKABLE,)))
    assert [line.code for line in offer.discount_lines] == ["SPRING"]
    assert reasons(offer) == {"EVENT": "not_stackable_with_promotions"}


def test_preset_not_stackable_applies_without_promotions() -> None:
    offer = price_offer(seoul(dealer_discounts=(NOT_STACKABLE,)))
    assert [(line.code, line.kind, line.amount) for line in offer.discount_lines] == [
        ("EVENT", LineKind.DEALER_DISCOUNT, D("500000"))
    ]
    assert offer.approval.discount_total == D("500000")


def test_percent_manual_discount_rounds_half_up_once() -> None:
    offer = price_offer(toronto(manual_discount=ManualDiscount(percent=D("3.3"))))
    # 18,995.00 × 3.3 % = 626.835 → half-up 626.84.
    assert offer.discount_lines[0].amount == D("626.84")
    assert offer.net_price == D("18368.16")


# --- configuration -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        pytest.param(
            seoul_build(trim_code="STD", exterior_code="MGRY"), ConflictKind.EXTERIOR_NOT_OFFERED, id="colour"
        ),
        pytest.param(
            seoul_build(option_codes=frozenset({"SUNRF", "TOW"})), ConflictKind.EXCLUDED_COMBINATION, id="rule"
        ),
        pytest.param(seoul_build(interior_code=None), ConflictKind.MISSING_INTERIOR, id="missing"),
        pytest.param(seoul_build(trim_code="XX"), ConflictKind.UNKNOWN_TRIM, id="trim"),
    ],
)
def test_invalid_configuration_is_refused(build, kind) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidConfigurationError) as caught:
        price_offer(seoul(vehicle=replace(PLAIN, configuration=build)))
    assert kind in [c.kind for c in caught.value.conflicts]
    assert caught.value.field == "configuration"
    assert str(caught.value).startswith("This configuration cannot be priced: ")


def test_configuration_warning_becomes_a_notice_and_charges_once() -> None:
    vehicle = replace(PLAIN, configuration=seoul_build(option_codes=frozenset({"PREM", "HUD"})))
    offer = price_offer(seoul(vehicle=vehicle))
    # HUD is inside the Premium package: charged once, at 0. 30,000,000 + 800,000 + 300,000 + 2,500,000.
    assert [(line.code, line.amount) for line in offer.item_lines if line.kind is LineKind.OPTION] == [
        ("PREM", D("2500000")),
        ("HUD", D("0")),
    ]
    assert offer.subtotal == D("33600000")
    assert [n.kind for n in offer.notices] == [NoticeKind.CONFIGURATION_WARNING]


# --- free accessory ------------------------------------------------------------------------------------------

FREE_MATS = seoul_promo(
    id=9, code="MATS", name="Free floor mats", kind=PromotionKind.FREE_ACCESSORY, accessory_code="MATS"
)


def test_free_accessory_discounts_one_unit() -> None:
    vehicle = replace(PLAIN, accessories=(AccessoryChoice("MATS", "Floor mats", D("150000"), quantity=2),))
    offer = price_offer(seoul(vehicle=vehicle, promotions=(FREE_MATS,)))
    # 2 × 150,000 = 300,000 on the line; one unit free.
    assert offer.item_lines[-1].amount == D("300000")
    assert [(line.code, line.amount, line.line_id) for line in offer.discount_lines] == [
        ("MATS", D("150000"), "acc:MATS")
    ]
    assert offer.net_price == D("30150000")


def test_free_accessory_not_on_offer_is_a_notice() -> None:
    offer = price_offer(seoul(promotions=(FREE_MATS,)))
    assert offer.discount_lines == ()
    assert [n.kind for n in offer.notices] == [NoticeKind.FREE_ACCESSORY_NOT_ON_OFFER]


# --- floor, zero and negative edges --------------------------------------------------------------------------


def test_zero_price_catalog_car_never_goes_negative() -> None:
    offer = price_offer(seoul(vehicle=replace(PLAIN, base_price=D("0")), manual_discount=ManualDiscount(amount=D("1"))))
    assert offer.net_price == D("0") and offer.out_the_door_price == D("0")
    assert offer.discount_lines[0].amount == D("0")
    assert "cannot go below 0" in offer.notices[0].message


def test_discounts_larger_than_a_catalog_price_stop_at_zero() -> None:
    offer = price_offer(
        seoul(
            promotions=(seoul_promo(amount=D("20000000")),),
            dealer_discounts=(DealerDiscount("D1", "Preset", amount=D("20000000")),),
            fee_tax_table=SEOUL_TABLE,
        )
    )
    # 30,000,000 − 20,000,000 = 10,000,000 left; the preset asks 20,000,000 and gets 10,000,000.
    assert [line.amount for line in offer.discount_lines] == [D("20000000"), D("10000000")]
    assert offer.net_price == D("0")
    # Only the fees remain: 150,000 + 40,000; VAT inside: 150,000 × 10 / 110 = 13,636.36… → 13,636.
    assert offer.out_the_door_price == D("190000")
    assert offer.total_included_tax == D("13636")


def test_stock_car_listed_below_its_floor_gets_no_discount() -> None:
    cheap = replace(STOCK, list_price=D("10500.00"))
    offer = price_offer(toronto(vehicle=cheap, minimum_gross=D("1000.00"), manual_discount=ManualDiscount(D("100.00"))))
    # Floor 10,000.00 + 1,000.00 = 11,000.00 > list 10,500.00: the discount is clamped to 0.
    assert offer.net_price == D("10500.00")
    assert [n.kind for n in offer.notices] == [NoticeKind.PRICE_BELOW_FLOOR, NoticeKind.FLOOR_CLAMP]


def test_trade_in_worth_more_than_the_car_leaves_a_refund_not_a_negative_balance() -> None:
    offer = price_offer(toronto(trade_in=TradeIn(allowance=D("30000.00"))))
    # HST base floored at 0: 18,995.00 + 511.50 − 30,000.00 < 0 → HST 0.00.
    # Out-the-door 18,995.00 + 543.50 = 19,538.50; refund 30,000.00 − 19,538.50 = 10,461.50.
    assert offer.out_the_door_price == D("19538.50")
    assert (offer.balance_due, offer.refund_due) == (D("0"), D("10461.50"))
    assert offer.payments[0].due_at_signing == D("0")
    assert offer.notices[-1].kind is NoticeKind.TRADE_IN_EXCEEDS_PRICE


# --- finance and lease ---------------------------------------------------------------------------------------


def test_subvention_with_an_explicit_apr_uses_the_lower_rate() -> None:
    apr = bangkok_promo(id=33, code="APR0", name="0% APR", kind=PromotionKind.APR_SUBVENTION, apr=D("0"))
    stock = StockVehicle("B1", "Sabai", "SBI", "GL", D("480000.00"), D("400000.00"))
    offer = price_offer(
        PricingInput(
            "THB",
            3,
            30,
            NOW,
            stock,
            BANGKOK_TABLE,
            promotions=(apr,),
            payments=(FinancePayment(term_months=48, down_payment=D("2500.00"), apr_percent=D("4.5")),),
        )
    )
    # Out-the-door 480,000.00 + 3,570.00 = 483,570.00; financed 481,070.00 at 0 %: 481,070.00 / 48 = 10,022.2916… → 10,022.29.
    (loan,) = offer.payments
    assert (loan.apr_percent, loan.standard_apr_percent, loan.subvention_promotion_id) == (D("0"), D("4.5"), 33)
    assert loan.monthly_payment == D("10022.29")
    assert loan.finance is not None and loan.finance.total_interest == D("0")


def test_lease_capitalizes_fees_and_negative_equity() -> None:
    lease = LeasePayment(
        term_months=36,
        residual_percent=D("50"),
        down_payment=D("1000.00"),
        apr_percent=D("6"),
        monthly_tax_percent=D("13"),
    )
    offer = price_offer(toronto(trade_in=TradeIn(D("1000.00"), D("1500.00")), payments=(lease,)))
    (quote,) = offer.payments
    assert quote.kind is PaymentKind.LEASE and quote.lease is not None
    # Residual 50 % × 18,995.00 = 9,497.50. Gross cap cost 18,995.00 + fees 543.50 + negative equity 500.00
    # = 20,038.50; adjusted = 20,038.50 − 1,000.00 down = 19,038.50.
    assert quote.amount_financed == D("19038.50")
    # Depreciation (19,038.50 − 9,497.50) / 36 = 265.027… → 265.03; rent (19,038.50 + 9,497.50) × 6/2400 = 71.34;
    # base 336.37; tax 13 % = 43.7281 → 43.73; monthly 380.10; due at signing 380.10 + 1,000.00 = 1,380.10.
    assert quote.monthly_payment == D("380.10")
    assert quote.due_at_signing == D("1380.10")


def test_bank_minimum_down_payment_is_enforced() -> None:
    stock = StockVehicle("B1", "Sabai", "SBI", "GL", D("480000.00"), D("400000.00"))
    with pytest.raises(DownPaymentBelowMinimumError):
        price_offer(
            PricingInput(
                "THB",
                3,
                30,
                NOW,
                stock,
                BANGKOK_TABLE,
                payments=(FinancePayment(term_months=48, down_payment=D("1000.00"), bank=BANGKOK_BANK),),
            )
        )
    with pytest.raises(NoAPRForTermError):
        price_offer(
            PricingInput(
                "THB",
                3,
                30,
                NOW,
                stock,
                BANGKOK_TABLE,
                payments=(FinancePayment(term_months=84, down_payment=D("100000.00"), bank=BANGKOK_BANK),),
            )
        )


# --- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        pytest.param(lambda: replace(STOCK, list_price=D("-1.00")), "list_price", id="negative-price"),
        pytest.param(lambda: ManualDiscount(percent=D("150")), "percent", id="percent-over-100"),
        pytest.param(lambda: ManualDiscount(amount=D("1"), percent=D("1")), "amount", id="amount-and-percent"),
        pytest.param(lambda: DealerDiscount("X", "X"), "amount", id="preset-empty"),
        pytest.param(lambda: TradeIn(D("-5")), "allowance", id="negative-allowance"),
        pytest.param(lambda: FinancePayment(term_months=0, apr_percent=D("5")), "term_months", id="term-0"),
        pytest.param(lambda: FinancePayment(term_months=36, apr_percent=D("101")), "apr_percent", id="apr-101"),
        pytest.param(lambda: FinancePayment(term_months=36), "apr_percent", id="no-apr"),
        pytest.param(lambda: AccessoryChoice("M", "Mats", D("10"), quantity=0), "quantity", id="quantity-0"),
        pytest.param(lambda: ManualDiscount(amount="ten"), "amount", id="not-a-number"),
    ],
)
def test_bad_records_are_refused(build, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PricingError) as caught:
        build()
    assert caught.value.field == field


def test_float_money_is_refused() -> None:
    with pytest.raises(TypeError):
        ManualDiscount(amount=0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "field"),
    [
        pytest.param(
            lambda: seoul(vehicle=replace(PLAIN, base_price=D("30000000.5"))), "base_price", id="krw-decimals"
        ),
        pytest.param(lambda: toronto(manual_discount=ManualDiscount(amount=D("1.005"))), "amount", id="cad-decimals"),
        pytest.param(lambda: toronto(fee_tax_table=SEOUL_TABLE), "fee_tax_table", id="table-currency"),
        pytest.param(
            lambda: toronto(payments=(FinancePayment(term_months=36, down_payment=D("99999.00"), apr_percent=D("5")),)),
            "down_payment",
            id="down-above-balance",
        ),
        pytest.param(
            lambda: toronto(vehicle=replace(STOCK, accessories=(AccessoryChoice("M", "Mats", D("1")),) * 2)),
            "accessories",
            id="duplicate-accessory",
        ),
    ],
)
def test_bad_offers_are_refused(make, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PricingError) as caught:
        price_offer(make())
    assert caught.value.field == field


def test_promotion_in_another_currency_is_refused() -> None:
    with pytest.raises(PromotionError):
        price_offer(toronto(promotions=(seoul_promo(brand_id=2),)))


def test_cash_is_the_default_payment_and_offer_is_immutable() -> None:
    offer = price_offer(toronto())
    assert [p.kind for p in offer.payments] == [PaymentKind.CASH]
    assert offer.payments[0] == price_offer(toronto(payments=(CashPayment(),))).payments[0]
    with pytest.raises(AttributeError):
        offer.net_price = D("1")  # type: ignore[misc]
    # No cost known for a catalog car without dealer cost: gross is None.
    assert price_offer(seoul()).approval.gross is None
    assert toronto_promo().currency == "CAD"


def test_negative_minimum_gross_lowers_the_floor_below_cost_but_never_below_zero():
    """A dealer tolerating a 500.00 loss: the floor is cost − 500.00 (the approval policy decides who signs it)."""
    cheap = StockVehicle(stock_number="T9", label="Civic", model_code="CIVIC", trim_code="CIVIC-LX",
                         list_price=D("12000.00"), acquisition_cost=D("11000.00"))
    offer = price_offer(toronto(vehicle=cheap, minimum_gross=D("-500.00"), manual_discount=ManualDiscount(D("5000.00"))))
    assert offer.price_floor == D("10500.00")
    assert offer.net_price == D("10500.00")
    worthless = StockVehicle(stock_number="T10", label="Parts car", model_code="X", trim_code="X",
                             list_price=D("300.00"), acquisition_cost=D("100.00"))
    assert price_offer(toronto(vehicle=worthless, minimum_gross=D("-500.00"))).price_floor == D("0.00")


# --- balloon (final) payment ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "monthly", "balloon"),
    [
        # Net price 30,000,000; 40 % = 12,000,000; 0 %: (30,000,000 − 12,000,000) / 36 = 500,000.
        (FinancePayment(36, D("0"), D("0"), balloon_percent=D("40")), D("500000"), D("12000000")),
        # Down 3,000,000 → 27,000,000 financed; balloon 6,000,000; 0 %: 21,000,000 / 12 = 1,750,000.
        (FinancePayment(12, D("3000000"), D("0"), balloon_amount=D("6000000")), D("1750000"), D("6000000")),
        (FinancePayment(12, D("0"), D("0")), D("2500000"), None),
    ],
    ids=["percent-of-net-price", "amount-with-down-payment", "none"],
)
def test_balloon_lowers_the_monthly_payment(request_, monthly, balloon) -> None:
    (_, loan) = price_offer(seoul(payments=(CashPayment(), request_))).payments
    assert (loan.monthly_payment, loan.balloon_payment) == (monthly, balloon)
    assert loan.finance is not None and loan.finance.schedule[-1].balloon == (balloon or 0)


def test_balloon_amount_and_percent_together_are_refused() -> None:
    with pytest.raises(PricingError, match="not both"):
        FinancePayment(36, D("0"), D("0"), balloon_amount=D("1"), balloon_percent=D("1"))


def test_partner_bank_balloon_limit_applies_per_term() -> None:
    bank = PartnerBankTerms("Hana Capital", ((1, 60, D("0")),), D("0"), 60, balloon_bands=((24, 36, D("30")),))
    ok = price_offer(seoul(payments=(FinancePayment(36, bank=bank, balloon_percent=D("30")),))).payments[0]
    assert ok.balloon_payment == D("9000000") and ok.monthly_payment == D("583333")  # 21,000,000 / 36 = 583,333.3…
    with pytest.raises(BalloonError, match="at most 9000000 KRW"):
        price_offer(seoul(payments=(FinancePayment(36, bank=bank, balloon_percent=D("40")),)))
    with pytest.raises(BalloonError, match="no balloon payment for a 48-month term"):
        price_offer(seoul(payments=(FinancePayment(48, bank=bank, balloon_percent=D("10")),)))
