"""The audit trail every write operation appends to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class AuditEvent(Base):
    """Who did what to which object, in which tenant, from where, with a before/after summary.

    ``brand_id``/``dealer_id`` record the tenant the action happened in (both null for
    platform-level events). Rows are append-only; reads go through ``services.audit``,
    which always filters by tenant.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_dealer_time", "dealer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id", ondelete="SET NULL"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id", ondelete="SET NULL"))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
