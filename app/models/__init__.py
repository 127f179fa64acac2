"""Models, one module per aggregate; this package only re-exports them."""

from app.models.accounts import Brand, Dealer, Membership, User
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
from app.models.customers import Customer, CustomerEvent
from app.models.inventory import ApiKey, IdempotencyRecord, ImportBatch, ImportColumnMapping, StockVehicle, VehiclePhoto
from app.models.mail import OutboxAttachment, OutboxMessage
from app.models.offers import Offer, OfferApproval, OfferNumberCounter, OfferRevision
from app.models.promotions import Coupon, Promotion, PromotionBanner

__all__ = [
    "Accessory", "ApiKey", "AuditEvent", "Base", "Brand", "CatalogRelease", "Category", "Color", "ColorPairExclusion",
    "Coupon", "Customer", "CustomerEvent", "Dealer", "ExpertReview", "Feature", "IdempotencyRecord", "ImportBatch",
    "ImportColumnMapping", "Membership", "Offer", "OfferApproval", "OfferNumberCounter", "OfferRevision", "Option",
    "OutboxAttachment", "OutboxMessage", "Promotion", "PromotionBanner", "StockVehicle", "Trim", "TrimColor", "User",
    "VehicleModel", "Video", "VehiclePhoto", "Warranty",
]
