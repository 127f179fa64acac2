"""In-app notifications for dealership staff (the e-mail copy goes through the mail outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.tenancy import TenantScoped


class Notification(TenantScoped, Base):
    """One message to one staff member at one dealership: ``title``, ``body``, a link ``url``, read or not.

    Texts are rendered in the recipient's language when created. ``kind`` names the event
    (``deal.opened``, ``finance.submitted``, …) for filtering; ``deal_id`` links it to a deal.
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_dealer_user_read", "dealer_id", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
