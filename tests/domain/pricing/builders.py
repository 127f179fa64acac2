"""Shared test data for the pricing engine: the Seoul, Bangkok and Toronto demo dealers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from app.domain.finance import PartnerBankTerms
from app.domain.option_rules import Color, ColorKind, ColorOffer, Configuration, Option, OptionCatalog, OptionKind, Trim
from app.domain.promotions import Coupon, Promotion, PromotionKind, PromotionScope, PromotionTargets
from app.domain.taxes import ACCESSORIES, FEES, OPTIONS, VEHICLE, FeeRule, FeeTaxTable, TaxRule

D = Decimal
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
ALL_BASES = frozenset({VEHICLE, OPTIONS, ACCESSORIES, FEES})

# --- Seoul (brand 1, dealer 10, KRW, 0 decimals, 10 % VAT included) ----------------------------------------

SNOW = Color("SNOW", "Snow White", ColorKind.EXTERIOR)
MGRY = Color("MGRY", "Matte Grey", ColorKind.EXTERIOR)
BLK = Color("BLK", "Black", ColorKind.INTERIOR)
CAM = Color("CAM", "Camel", ColorKind.INTERIOR)
SEOUL_CATALOG = OptionCatalog(
    trims=(
        Trim(
            "LTD",
            "Limited",
            exterior_colors=(ColorOffer(SNOW), ColorOffer(MGRY, D("800000"))),
            interior_colors=(ColorOffer(BLK), ColorOffer(CAM, D("300000"))),
        ),
        Trim("STD", "Standard", exterior_colors=(ColorOffer(SNOW),), interior_colors=(ColorOffer(BLK),)),
    ),
    options=(
        Option("SUNRF", "Sunroof", D("1200000")),
        Option("HUD", "Head-up display", D("900000")),
        Option("PREM", "Premium package", D("2500000"), OptionKind.PACKAGE, contents=frozenset({"HUD"})),
        Option("TOW", "Tow hitch", D("600000"), excludes=frozenset({"SUNRF"})),
    ),
)
SEOUL_TABLE = FeeTaxTable(
    currency="KRW",
    fees=(
        FeeRule("DELIV", "탁송료 (delivery)", D("150000"), taxable=True),
        FeeRule("REG", "등록대행비 (registration service)", D("40000"), taxable=False),
    ),
    taxes=(TaxRule("VAT", "부가가치세 (VAT)", D("10"), ALL_BASES, included_in_price=True),),
)


def seoul_promo(**overrides: object) -> Promotion:
    """A published, active order-level 1,000,000 KRW cash discount of brand 1; override anything."""
    fields: dict[str, object] = dict(
        id=1,
        code="SPRING",
        name="Seoul spring cash",
        brand_id=1,
        kind=PromotionKind.CASH_DISCOUNT,
        scope=PromotionScope.ORDER,
        currency="KRW",
        timezone="Asia/Seoul",
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        amount=D("1000000"),
        published=True,
    )
    fields.update(overrides)
    if fields["kind"] is not PromotionKind.CASH_DISCOUNT and "amount" not in overrides:
        fields["amount"] = None
    if fields["scope"] is PromotionScope.ITEM and "targets" not in overrides:
        fields["targets"] = PromotionTargets(trim_codes=frozenset({"LTD"}))
    return Promotion(**fields)  # type: ignore[arg-type]


def seoul_build(**overrides: object) -> Configuration:
    fields: dict[str, object] = dict(
        trim_code="LTD", exterior_code="MGRY", interior_code="CAM", option_codes=frozenset({"SUNRF", "PREM"})
    )
    fields.update(overrides)
    return Configuration(**fields)  # type: ignore[arg-type]


# --- Bangkok (brand 3, dealer 30, THB, 2 decimals, 7 % VAT included) ---------------------------------------

WHT = Color("WHT", "Pearl White", ColorKind.EXTERIOR)
GRY = Color("GRY", "Grey fabric", ColorKind.INTERIOR)
BANGKOK_CATALOG = OptionCatalog(
    trims=(Trim("GL", "GL", exterior_colors=(ColorOffer(WHT),), interior_colors=(ColorOffer(GRY),)),),
    options=(Option("NAV", "Navigation", D("25555.00")),),
)
BANGKOK_TABLE = FeeTaxTable(
    currency="THB",
    fees=(
        FeeRule("REG", "Registration", D("2500.00"), taxable=False),
        FeeRule("DOC", "Document fee", D("1070.00"), taxable=True),
    ),
    taxes=(TaxRule("VAT", "VAT", D("7"), ALL_BASES, included_in_price=True),),
)
BANGKOK_BANK = PartnerBankTerms(
    name="Siam Auto Finance",
    apr_bands=((1, 48, D("2.99")), (49, 72, D("3.49"))),
    min_down_payment_percent=D("15"),
    max_term=72,
)


def bangkok_promo(**overrides: object) -> Promotion:
    fields: dict[str, object] = dict(
        id=30,
        code="BKK",
        name="Bangkok promotion",
        brand_id=3,
        kind=PromotionKind.CASH_DISCOUNT,
        scope=PromotionScope.ORDER,
        currency="THB",
        timezone="Asia/Bangkok",
        valid_from=date(2026, 6, 1),
        valid_until=date(2026, 6, 30),
        amount=D("5000.00"),
        published=True,
    )
    fields.update(overrides)
    if fields["kind"] is not PromotionKind.CASH_DISCOUNT and "amount" not in overrides:
        fields["amount"] = None
    return Promotion(**fields)  # type: ignore[arg-type]


def bangkok_coupon(**overrides: object) -> Promotion:
    fields: dict[str, object] = dict(
        id=31,
        code="BKK125",
        name="Showroom coupon 1.25%",
        kind=PromotionKind.COUPON,
        percent=D("1.25"),
        coupons=(Coupon("SABAI125", max_uses=None),),
    )
    fields.update(overrides)
    return bangkok_promo(**fields)


# --- Toronto (brand 2, dealer 20, CAD, 2 decimals, 13 % HST added with trade-in credit) ---------------------

TORONTO_TABLE = FeeTaxTable(
    currency="CAD",
    fees=(
        FeeRule("DOC", "Documentation fee", D("499.00"), taxable=True),
        FeeRule("OMVIC", "OMVIC transaction fee", D("12.50"), taxable=True),
        FeeRule("LIC", "Licence plates", D("32.00"), taxable=False),
    ),
    taxes=(TaxRule("HST", "HST", D("13"), ALL_BASES, included_in_price=False, trade_in_credit=True),),
)


def toronto_promo(**overrides: object) -> Promotion:
    fields: dict[str, object] = dict(
        id=20,
        code="TOR",
        name="Toronto promotion",
        brand_id=2,
        kind=PromotionKind.CASH_DISCOUNT,
        scope=PromotionScope.ORDER,
        currency="CAD",
        timezone="America/Toronto",
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        amount=D("250.00"),
        published=True,
    )
    fields.update(overrides)
    if fields["kind"] is not PromotionKind.CASH_DISCOUNT and "amount" not in overrides:
        fields["amount"] = None
    return Promotion(**fields)  # type: ignore[arg-type]
