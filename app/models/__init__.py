"""Models, one module per aggregate; this package only re-exports them."""

from app.models.accounts import Brand, Dealer, LoginThrottle, Membership, User, UserSession
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.catalog import (
    Accessory,
    CatalogRelease,
    Category,
    Color,
    ColorPairExclusion,
    ExpertReview,
    Feature,
    Option,
    Trim,
    TrimColor,
    VehicleModel,
    Video,
    Warranty,
)
from app.models.contracts import Contract
from app.models.customers import Customer, CustomerEvent
from app.models.dealer_settings import (
    ApprovalSettings,
    ConsultantProfile,
    DealerDisplayModel,
    DealerDisplayTrim,
    DealerHiddenColor,
    DeliveryClosure,
    DeliveryConfig,
    DeliverySlotSetting,
    FeeSetting,
    ModelDeposit,
    PresetDiscount,
    PurchasingConditions,
    ReservationSettings,
    TaxSetting,
)
from app.models.deals import Deal, DealAmendment, DealEvent
from app.models.deliveries import DeliveryBooking, DeliveryChecklistTick, DeliverySlotCounter
from app.models.finance import FinanceApplication, FinanceDocument
from app.models.inventory import ApiKey, IdempotencyRecord, ImportBatch, ImportColumnMapping, StockVehicle, VehiclePhoto
from app.models.mail import OutboxAttachment, OutboxMessage
from app.models.notifications import Notification
from app.models.offers import Offer, OfferApproval, OfferNumberCounter, OfferRevision
from app.models.partner_banks import PartnerBank
from app.models.payments import Payment, PaymentEvent, TestCheckoutSession, TestWebhook
from app.models.promotions import Coupon, Promotion, PromotionBanner, PromotionRedemption
from app.models.trade_ins import TradeInAppraisal, TradeInPhoto

__all__ = [
    "Accessory", "ApiKey", "ApprovalSettings", "AuditEvent", "Base", "Brand", "CatalogRelease", "Category", "Color",
    "ColorPairExclusion", "ConsultantProfile", "Contract", "Coupon", "Customer", "CustomerEvent", "Deal", "DealAmendment", "DealEvent",
    "Dealer", "DealerDisplayModel", "DealerDisplayTrim", "DealerHiddenColor", "DeliveryBooking",
    "DeliveryChecklistTick", "DeliveryClosure", "DeliveryConfig", "DeliverySlotCounter", "DeliverySlotSetting",
    "ExpertReview", "Feature", "LoginThrottle", "FeeSetting", "FinanceApplication", "FinanceDocument", "IdempotencyRecord",
    "ImportBatch", "ImportColumnMapping", "Membership", "ModelDeposit", "Notification", "Offer", "OfferApproval",
    "OfferNumberCounter", "OfferRevision", "Option", "OutboxAttachment", "OutboxMessage", "PartnerBank", "Payment",
    "PaymentEvent", "PresetDiscount", "Promotion", "PromotionBanner", "PromotionRedemption", "PurchasingConditions", "ReservationSettings",
    "StockVehicle", "TaxSetting", "TestCheckoutSession", "TestWebhook", "TradeInAppraisal", "TradeInPhoto", "Trim",
    "TrimColor", "User", "UserSession", "VehicleModel", "VehiclePhoto", "Video", "Warranty",
]
