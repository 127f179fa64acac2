"""Models, one module per aggregate; this package only re-exports them."""

from app.models.accounts import Brand, Dealer, Membership, User
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.customers import Customer, CustomerEvent
from app.models.dealer_settings import (
    ApprovalSettings,
    ConsultantProfile,
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
from app.models.mail import OutboxAttachment, OutboxMessage

__all__ = [
    "ApprovalSettings",
    "AuditEvent",
    "Base",
    "Brand",
    "ConsultantProfile",
    "Customer",
    "CustomerEvent",
    "Dealer",
    "DeliveryClosure",
    "DeliveryConfig",
    "DeliverySlotSetting",
    "FeeSetting",
    "Membership",
    "ModelDeposit",
    "OutboxAttachment",
    "OutboxMessage",
    "PresetDiscount",
    "PurchasingConditions",
    "ReservationSettings",
    "TaxSetting",
    "User",
]
