"""Customers of a dealership and their timeline."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, TimestampMixin, utcnow
from app.tenancy import TenantScoped


class Customer(TenantScoped, TimestampMixin, Base):
    """A person or company buying from one dealership (tenant-owned).

    ``email`` is stored lower-cased, ``phone_e164`` in E.164 (``+821012345678``) so search and
    duplicate detection compare like with like. Consent: the privacy notice ``privacy_notice_version``
    accepted at ``privacy_accepted_at`` (UTC) as recorded by staff member ``privacy_recorded_by``;
    marketing consent given at ``marketing_consent_at``, recorded by ``marketing_consent_recorded_by``
    (None: recorded by no signed-in user, e.g. an import). After membership withdrawal every personal field
    is overwritten (``withdrawn_at`` set); offers and contracts keep their amounts.
    """

    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_dealer_email", "dealer_id", "email"),
        Index("ix_customer_dealer_phone", "dealer_id", "phone_e164"),
        Index("ix_customer_dealer_name", "dealer_id", "full_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[date | None]
    street: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    preferred_locale: Mapped[str | None] = mapped_column(String(10))
    assigned_consultant_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    marketing_consent_at: Mapped[datetime | None]
    privacy_notice_version: Mapped[str] = mapped_column(String(20), default="")
    privacy_accepted_at: Mapped[datetime | None]
    privacy_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    marketing_consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]

    assigned_consultant: Mapped[User | None] = relationship(foreign_keys=[assigned_consultant_id])
    privacy_recorded_by: Mapped[User | None] = relationship(foreign_keys=[privacy_recorded_by_id])
    marketing_consent_recorded_by: Mapped[User | None] = relationship(foreign_keys=[marketing_consent_recorded_by_id])
    events: Mapped[list[CustomerEvent]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerEvent.occurred_at.desc()"
    )

    @property
    def is_withdrawn(self) -> bool:
        """True once membership withdrawal anonymised this customer."""
        return self.withdrawn_at is not None


class CustomerEvent(TenantScoped, Base):
    """One entry in a customer's timeline: created, updated, note, offer sent, reservation, …"""

    __tablename__ = "customer_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    customer: Mapped[Customer] = relationship(back_populates="events")
