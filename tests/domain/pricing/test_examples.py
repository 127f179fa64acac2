"""Full offers priced by hand for the three demo dealers (Seoul KRW, Bangkok THB, Toronto CAD).

Every expected figure is worked out in the comments; the engine must match to the last won, baht
or cent. Payment figures use the spreadsheet PMT formula P·r / (1 − (1 + r)^−n), r = APR / 1200.
"""

from __future__ import annotations

from decimal import Decimal

from app.domain.approval import ApprovalPolicy, BreachKind, DiscountAuthority
from app.domain.pricing import (
    AccessoryChoice,
    CatalogVehicle,
    DealerDiscount,
    FinancePayment,
    LineKind,
    ManualDiscount,
    NoticeKind,
    PaymentKind,
    PricedOffer,
    PricingInput,
    StockVehicle,
    TradeIn,
    desking_sheet,
    price_offer,
)
from app.domain.promotions import Coupon, PromotionKind, PromotionScope, PromotionTargets, Stage

from .builders import (
    BANGKOK_BANK,
    BANGKOK_CATALOG,
    BANGKOK_TABLE,
    NOW,
    SEOUL_CATALOG,
    SEOUL_TABLE,
    TORONTO_TABLE,
    Configuration,
    bangkok_coupon,
    bangkok_promo,
    seoul_build,
    seoul_promo,
    toronto_promo,
)

D = Decimal


def assert_lines_add_up(offer: PricedOffer) -> None:
    """Every total is the exact sum of its lines."""
    assert offer.subtotal == sum(line.amount for line in offer.item_lines)
    assert offer.total_discounts == sum(line.amount for line in offer.discount_lines)
    assert offer.net_price == offer.subtotal - offer.total_discounts
    assert offer.total_fees == sum(line.amount for line in offer.fee_lines)
    assert offer.out_the_door_price == sum(line.signed_amount for line in offer.price_lines)
    assert offer.net_price == sum(offer.net_by_line().values())


# --- (a) Seoul: configured new car, KRW, 10 % VAT included, cash --------------------------------------------

SUNROOF = PromotionTargets(option_codes=frozenset({"SUNRF"}))
SEOUL_PROMOTIONS = (
    seoul_promo(
        id=2,
        code="SUN10",
        name="Sunroof 10%",
        kind=PromotionKind.PERCENT_DISCOUNT,
        percent=D("10"),
        scope=PromotionScope.ITEM,
        targets=SUNROOF,
        priority=5,
    ),
    seoul_promo(
        id=3, code="SUN50", name="Sunroof 50,000", amount=D("50000"), scope=PromotionScope.ITEM, targets=SUNROOF
    ),
    seoul_promo(),  # id 1: order-level 1,000,000 cash
)
SEOUL_VEHICLE = CatalogVehicle(
    model_code="AUR",
    model_name="Aurora",
    base_price=D("45000000"),
    configuration=seoul_build(),
    catalog=SEOUL_CATALOG,
    accessories=(AccessoryChoice("MATS", "Floor mats", D("153333")),),
    dealer_cost=D("44000000"),
)
SEOUL_INPUT = PricingInput(
    currency="KRW",
    brand_id=1,
    dealer_id=10,
    now_utc=NOW,
    vehicle=SEOUL_VEHICLE,
    fee_tax_table=SEOUL_TABLE,
    promotions=SEOUL_PROMOTIONS,
    dealer_discounts=(DealerDiscount("LOYAL", "Loyalty 1.5%", percent=D("1.5")),),
    manual_discount=ManualDiscount(amount=D("300000"), reason="Customer's second car"),
)


def test_seoul_configured_car_cash() -> None:
    offer = price_offer(SEOUL_INPUT)
    # Lines, in print order (packages resolve to their contents at 0; chosen options sorted by code):
    #   Aurora Limited 45,000,000 · Matte Grey 800,000 · Camel 300,000 · Premium package 2,500,000
    #   · Head-up display 0 (included in Premium package) · Sunroof 1,200,000 · Floor mats 153,333
    #   subtotal = 45,000,000 + 800,000 + 300,000 + 2,500,000 + 0 + 1,200,000 + 153,333 = 49,953,333
    assert [(line.code, line.amount) for line in offer.item_lines] == [
        ("LTD", D("45000000")),
        ("MGRY", D("800000")),
        ("CAM", D("300000")),
        ("PREM", D("2500000")),
        ("HUD", D("0")),
        ("SUNRF", D("1200000")),
        ("MATS", D("153333")),
    ]
    assert offer.item_lines[4].note == "included in Premium package"
    assert offer.subtotal == D("49953333")
    # Item level: SUN10 (priority 5) beats SUN50 (priority 0) on the sunroof: 10 % × 1,200,000 = 120,000.
    # Order level: SPRING 1,000,000 → running 49,953,333 − 120,000 − 1,000,000 = 48,833,333.
    # Preset 1.5 %: 48,833,333 × 0.015 = 732,499.995 → half-up 732,500 → running 48,100,833.
    # Manual 300,000 → net price 47,800,833.
    assert [(line.code, line.kind, line.amount) for line in offer.discount_lines] == [
        ("SUN10", LineKind.PROMOTION, D("120000")),
        ("SPRING", LineKind.PROMOTION, D("1000000")),
        ("LOYAL", LineKind.DEALER_DISCOUNT, D("732500")),
        ("MANUAL", LineKind.MANUAL_DISCOUNT, D("300000")),
    ]
    # The item-level discount comes off the sunroof line; order-level ones off the vehicle first.
    assert offer.discount_lines[0].allocation == (("opt:SUNRF", D("120000")),)
    assert offer.discount_lines[1].allocation == (("vehicle", D("1000000")),)
    assert offer.total_discounts == D("2152500")  # 120,000 + 1,000,000 + 732,500 + 300,000
    assert offer.net_price == D("47800833")
    # Fees: 탁송료 150,000 (taxable) + 등록대행비 40,000 (not taxable) = 190,000.
    # VAT included: (47,800,833 + 150,000) × 10 / 110 = 47,950,833 / 11 = 4,359,166.636… → 4,359,167.
    assert offer.total_fees == D("190000")
    assert [(t.code, t.kind, t.amount) for t in offer.tax_lines] == [("VAT", LineKind.INCLUDED_TAX, D("4359167"))]
    assert offer.total_added_tax == D("0")
    # Out-the-door = 47,800,833 + 190,000 (VAT already inside) = 47,990,833; cash pays it all.
    assert offer.out_the_door_price == D("47990833")
    (cash,) = offer.payments
    assert (cash.kind, cash.due_at_signing, cash.amount_financed) == (PaymentKind.CASH, D("47990833"), D("0"))
    # Applied and not applied, with reasons.
    assert [(a.code, a.stage, a.amount) for a in offer.applied_promotions] == [
        ("SUN10", Stage.ITEM, D("120000")),
        ("SPRING", Stage.ORDER, D("1000000")),
    ]
    (lost,) = offer.not_applied
    assert (lost.code, lost.reason, lost.blocked_by, lost.line_id) == ("SUN50", "outranked", 2, "opt:SUNRF")
    # Approval: dealer-given 732,500 + 300,000 = 1,032,500; brand's 1,120,000;
    # gross = 47,800,833 − 44,000,000 = 3,800,833.
    assert offer.approval.discount_total == D("1032500")
    assert offer.approval.promotion_total == D("1120000")
    assert offer.approval.reference_price == D("49953333")
    assert offer.approval.gross == D("3800833")
    assert offer.notices == ()
    assert_lines_add_up(offer)


def test_seoul_approval_inputs_feed_the_approval_check() -> None:
    offer = price_offer(SEOUL_INPUT)
    # 1,032,500 / 49,953,333 = 2.0669 % > the consultant's 2 % authority; under the 1,500,000 threshold.
    result = offer.approval.check(
        DiscountAuthority(max_percent=D("2")), ApprovalPolicy("KRW", threshold_amount=D("1500000"))
    )
    assert result.needs_approval
    assert [b.kind for b in result.breaches] == [BreachKind.AUTHORITY_PERCENT]


# --- (b) Bangkok: configured car, THB, 7 % VAT included, coupon, finance with APR subvention ---------------

APR_PROMO = bangkok_promo(
    id=32,
    code="APR099",
    name="0.99% finance",
    kind=PromotionKind.APR_SUBVENTION,
    apr=D("0.99"),
    benefit_value=D("20000.00"),
)


def bangkok_input(**overrides: object) -> PricingInput:
    fields: dict[str, object] = dict(
        currency="THB",
        brand_id=3,
        dealer_id=30,
        now_utc=NOW,
        vehicle=CatalogVehicle(
            model_code="SBI",
            model_name="Sabai",
            base_price=D("899000.00"),
            configuration=Configuration("GL", "WHT", "GRY", frozenset({"NAV"})),
            catalog=BANGKOK_CATALOG,
        ),
        fee_tax_table=BANGKOK_TABLE,
        promotions=(bangkok_coupon(), APR_PROMO),
        coupon_codes=(" sabai125 ",),  # typed in lower case with spaces: codes compare trimmed, case-insensitively
        apr_subvention_terms={32: (24, 48)},
        payments=(
            FinancePayment(term_months=48, down_payment=D("200000.00"), bank=BANGKOK_BANK),
            FinancePayment(term_months=60, down_payment=D("200000.00"), bank=BANGKOK_BANK),
        ),
    )
    fields.update(overrides)
    return PricingInput(**fields)  # type: ignore[arg-type]


def test_bangkok_coupon_and_subvented_finance() -> None:
    offer = price_offer(bangkok_input())
    # Sabai GL 899,000.00 + Pearl White 0.00 + Grey fabric 0.00 + Navigation 25,555.00 = 924,555.00.
    assert offer.subtotal == D("924555.00")
    # Coupon last: 1.25 % × 924,555.00 = 11,556.9375 → half-up 11,556.94; net = 912,998.06.
    (coupon,) = offer.discount_lines
    assert (coupon.kind, coupon.code, coupon.amount) == (LineKind.COUPON, "BKK125", D("11556.94"))
    assert coupon.label == "Showroom coupon 1.25% (SABAI125)"
    assert offer.net_price == D("912998.06")
    # Fees 2,500.00 (registration, not taxable) + 1,070.00 (document fee, taxable) = 3,570.00.
    # VAT included on (912,998.06 + 1,070.00) = 914,068.06 × 7 / 107 = 59,798.845… → 59,798.85.
    assert offer.total_fees == D("3570.00")
    assert offer.total_included_tax == D("59798.85")
    # Out-the-door = 912,998.06 + 3,570.00 = 916,568.06.
    assert offer.out_the_door_price == D("916568.06")
    forty_eight, sixty = offer.payments
    # Bank minimum down 15 % × 916,568.06 = 137,485.21 ≤ 200,000.00. Financed 916,568.06 − 200,000.00 = 716,568.06.
    # 48 months is inside the subvention's 24–48: APR 0.99 % instead of the bank's 2.99 %.
    # r = 0.99 / 1200 = 0.000825; PMT = 716,568.06 × r / (1 − 1.000825^−48) = 15,232.1927… → 15,232.19.
    assert (forty_eight.kind, forty_eight.amount_financed) == (PaymentKind.FINANCE, D("716568.06"))
    assert (forty_eight.apr_percent, forty_eight.standard_apr_percent) == (D("0.99"), D("2.99"))
    assert forty_eight.subvention_promotion_id == 32
    assert forty_eight.monthly_payment == D("15232.19")
    assert forty_eight.bank_name == "Siam Auto Finance"
    assert forty_eight.due_at_signing == D("200000.00")
    # 60 months: outside the subvention, the bank's 49–72 band 3.49 %;
    # r = 3.49 / 1200; PMT = 716,568.06 × r / (1 − (1 + r)^−60) = 13,032.4146… → 13,032.41.
    assert (sixty.apr_percent, sixty.subvention_promotion_id, sixty.monthly_payment) == (
        D("3.49"),
        None,
        D("13032.41"),
    )
    assert sixty.finance is not None and sum(row.principal for row in sixty.finance.schedule) == D("716568.06")
    # Both promotions are listed as applied; the APR subvention gives no price discount.
    assert {(a.code, a.kind, a.amount) for a in offer.applied_promotions} == {
        ("BKK125", PromotionKind.COUPON, D("11556.94")),
        ("APR099", PromotionKind.APR_SUBVENTION, D("0")),
    }
    assert offer.approval.discount_total == D("0") and offer.approval.promotion_total == D("11556.94")
    assert offer.approval.gross is None  # no dealer cost given
    assert_lines_add_up(offer)


# --- (c) Toronto: used stock car, CAD, 13 % HST added with trade-in credit, negative equity, floor clamp ----

TORONTO_CAR = StockVehicle(
    stock_number="T1234",
    label="2019 Honda Civic LX",
    model_code="CIVIC",
    trim_code="LX",
    list_price=D("18995.00"),
    acquisition_cost=D("16500.00"),
    vin="2HGFC2F59KH000000",
)
TORONTO_COUPON = toronto_promo(
    id=21,
    code="WELCOME250",
    name="Welcome coupon",
    kind=PromotionKind.COUPON,
    amount=D("250.00"),
    coupons=(Coupon("WELCOME250"),),
)
TORONTO_INPUT = PricingInput(
    currency="CAD",
    brand_id=2,
    dealer_id=20,
    now_utc=NOW,
    vehicle=TORONTO_CAR,
    fee_tax_table=TORONTO_TABLE,
    promotions=(TORONTO_COUPON,),
    coupon_codes=("WELCOME250",),
    dealer_discounts=(DealerDiscount("USED500", "Used-car special", amount=D("500.00")),),
    manual_discount=ManualDiscount(amount=D("1200.00")),
    trade_in=TradeIn(allowance=D("6000.00"), payoff=D("8750.00"), description="2015 Mazda3"),
    minimum_gross=D("1000.00"),
    payments=(FinancePayment(term_months=60, down_payment=D("2000.00"), apr_percent=D("7.99")),),
)


def test_toronto_stock_car_trade_in_negative_equity_and_floor_clamp() -> None:
    offer = price_offer(TORONTO_INPUT)
    # Floor = acquisition cost 16,500.00 + minimum gross 1,000.00 = 17,500.00;
    # room for discounts = 18,995.00 − 17,500.00 = 1,495.00.
    assert offer.price_floor == D("17500.00")
    assert offer.subtotal == D("18995.00")
    # Preset 500.00 fits (room left 995.00); manual 1,200.00 is clamped to 995.00 (room left 0.00);
    # the coupon, applied last, is clamped from 250.00 to 0.00.
    assert [(line.code, line.amount) for line in offer.discount_lines] == [
        ("USED500", D("500.00")),
        ("MANUAL", D("995.00")),
        ("WELCOME250", D("0.00")),
    ]
    clamps = [(n.code, n.requested, n.applied) for n in offer.notices if n.kind is NoticeKind.FLOOR_CLAMP]
    assert clamps == [("MANUAL", D("1200.00"), D("995.00")), ("WELCOME250", D("250.00"), D("0.00"))]
    assert "floor of 17,500.00 CAD" in offer.notices[0].message
    assert offer.net_price == D("17500.00")
    # Fees 499.00 + 12.50 + 32.00 = 543.50. HST added with trade-in credit:
    # base = 17,500.00 + 499.00 + 12.50 (taxable fees) − 6,000.00 allowance = 12,011.50;
    # HST = 12,011.50 × 13 % = 1,561.495 → half-up 1,561.50.
    assert offer.total_fees == D("543.50")
    assert [(t.code, t.kind, t.amount) for t in offer.tax_lines] == [("HST", LineKind.ADDED_TAX, D("1561.50"))]
    # Out-the-door = 17,500.00 + 543.50 + 1,561.50 = 19,605.00.
    assert offer.out_the_door_price == D("19605.00")
    # Equity = 6,000.00 − 8,750.00 = −2,750.00 (negative): balance due = 19,605.00 + 2,750.00 = 22,355.00.
    assert offer.trade_in_equity == D("-2750.00")
    assert (offer.balance_due, offer.refund_due) == (D("22355.00"), D("0"))
    # Loan: 22,355.00 − 2,000.00 down = 20,355.00 financed (the 2,750.00 negative equity rolled in);
    # r = 7.99 / 1200; PMT = 20,355.00 × r / (1 − (1 + r)^−60) = 412.6285… → 412.63.
    (loan,) = offer.payments
    assert (loan.down_payment, loan.amount_financed, loan.monthly_payment) == (
        D("2000.00"),
        D("20355.00"),
        D("412.63"),
    )
    assert loan.finance is not None and loan.finance.schedule[-1].balance == D("0")
    # Approval: dealer-given 500.00 + 995.00 = 1,495.00; gross = 17,500.00 − 16,500.00 = 1,000.00.
    assert offer.approval.discount_total == D("1495.00")
    assert offer.approval.reference_price == D("18995.00")
    assert offer.approval.gross == D("1000.00")
    assert_lines_add_up(offer)


def test_toronto_desking_sheet_contains_the_quoted_loan() -> None:
    offer = price_offer(TORONTO_INPUT)
    grid = desking_sheet(
        offer,
        terms=(36, 48, 60),
        down_payments=(D("0.00"), D("2000.00"), D("5000.00")),
        apr_for_term={36: D("6.99"), 48: D("7.49"), 60: D("7.99")},
    )
    # Price to finance = balance due 22,355.00; the 2,000.00 / 60-month cell is the loan above: 412.63.
    assert grid.price_to_finance == D("22355.00")
    assert grid.quote(D("2000.00"), 60).monthly_payment == D("412.63")
    # 0 down, 36 months at 6.99 %: r = 6.99 / 1200; 22,355.00 × r / (1 − (1 + r)^−36) = 690.1553… → 690.16.
    assert grid.quote(D("0.00"), 36).monthly_payment == D("690.16")


def test_an_apr_subvention_is_listed_once_among_the_applied_promotions() -> None:
    """Regression (issue 11): a subvention picked in its price stage was appended a second time with the
    payment subventions, so the panel and the customer's PDF named "IONIQ 5 low-rate finance" twice."""
    offer = price_offer(bangkok_input())
    codes = [a.code for a in offer.applied_promotions]
    assert codes.count("APR099") == 1 and sorted(codes) == ["APR099", "BKK125"]
