"""Forecourt's offer pricing engine: a pure domain package (no Flask, no database), ``Decimal`` only.

``price_offer(PricingInput) -> PricedOffer``; the order of computation, rounding points and price
floor rule are documented in ``app.domain.pricing.engine``.
"""

from app.domain.pricing.engine import PRICE_PROMOTION_KINDS, InvalidConfigurationError, desking_sheet, price_offer
from app.domain.pricing.inputs import (
    AccessoryChoice,
    CashPayment,
    CatalogVehicle,
    DealerDiscount,
    FinancePayment,
    LeasePayment,
    ManualDiscount,
    PaymentRequest,
    PricingError,
    PricingInput,
    StockVehicle,
    TradeIn,
)
from app.domain.pricing.labels import payment_label
from app.domain.pricing.result import (
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

__all__ = [
    "PRICE_PROMOTION_KINDS",
    "AccessoryChoice",
    "AppliedPromotionLine",
    "ApprovalInputs",
    "CashPayment",
    "CatalogVehicle",
    "DealerDiscount",
    "FinancePayment",
    "InvalidConfigurationError",
    "LeasePayment",
    "Line",
    "LineKind",
    "ManualDiscount",
    "NotApplied",
    "Notice",
    "NoticeKind",
    "PaymentKind",
    "PaymentQuote",
    "PaymentRequest",
    "PricedOffer",
    "PricingError",
    "PricingInput",
    "StockVehicle",
    "TaxBreakdown",
    "TaxedLine",
    "TradeIn",
    "desking_sheet",
    "payment_label",
    "price_offer",
]
