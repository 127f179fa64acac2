"""Models, one module per aggregate; this package only re-exports them."""

from app.models.accounts import Brand, Dealer, Membership, User
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.customers import Customer, CustomerEvent
from app.models.inventory import ApiKey, IdempotencyRecord, ImportBatch, ImportColumnMapping, StockVehicle, VehiclePhoto
from app.models.mail import OutboxAttachment, OutboxMessage

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "Brand",
    "Customer",
    "CustomerEvent",
    "Dealer",
    "IdempotencyRecord",
    "ImportBatch",
    "ImportColumnMapping",
    "Membership",
    "OutboxAttachment",
    "OutboxMessage",
    "StockVehicle",
    "User",
    "VehiclePhoto",
]
