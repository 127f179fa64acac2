"""Models, one module per aggregate; this package only re-exports them."""

from app.models.accounts import Brand, Dealer, Membership, User
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.customers import Customer, CustomerEvent
from app.models.mail import OutboxAttachment, OutboxMessage
from app.models.offers import Offer, OfferApproval, OfferNumberCounter, OfferRevision

__all__ = [
    "AuditEvent", "Base", "Brand", "Customer", "CustomerEvent", "Dealer", "Membership",
    "Offer", "OfferApproval", "OfferNumberCounter", "OfferRevision", "OutboxAttachment", "OutboxMessage", "User",
]
