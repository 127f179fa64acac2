"""Trade-in appraisals: the customer's car offered in part-exchange, its photos, and the dealer's valuation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.trade_ins import TradeInStatus
from app.models.accounts import User
from app.models.base import Base, TimestampMixin, enum_values, utcnow
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.offers import Offer
from app.tenancy import TenantScoped


class TradeInAppraisal(TenantScoped, TimestampMixin, Base):
    """One appraisal request for a customer's car, and the dealer's answer.

    Linked to a ``customer`` and optionally to an ``offer`` and/or a ``deal``. ``channel`` is
    ``customer`` (sent through the purchase link) or ``staff`` (entered by ``requested_by``).
    The car: ``vin`` (ISO 3779, validated), ``year``, ``make``, ``model``, ``odometer`` (whole
    number in ``odometer_unit`` km|mi), ``condition`` (``{question key: choice}``, see
    ``domain.trade_ins.CONDITION_QUESTIONS``), ``payoff`` (loan still owed, declared, in
    ``currency``). ``status`` follows ``domain.trade_ins``; once appraised: ``value``,
    ``valid_until`` (dealer-local date), ``appraiser``, ``appraiser_notes``, ``appraised_at`` and
    ``response_seconds`` (appraised_at − requested_at, for the response-time reports).
    ``applied_revision_no`` is the offer revision the value was applied to (None until applied).
    """

    __tablename__ = "trade_in_appraisal"
    __table_args__ = (
        Index("ix_trade_in_appraisal_dealer_status_requested", "dealer_id", "status", "requested_at"),
        Index("ix_trade_in_appraisal_dealer_deal", "dealer_id", "deal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id", ondelete="SET NULL"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10), default="customer")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    vin: Mapped[str] = mapped_column(String(17))
    year: Mapped[int]
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(80))
    odometer: Mapped[int]
    odometer_unit: Mapped[str] = mapped_column(String(2), default="km")
    condition: Mapped[dict] = mapped_column(JSON, default=dict)
    customer_note: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    payoff: Mapped[Decimal] = mapped_column(default=Decimal(0))
    status: Mapped[TradeInStatus] = mapped_column(
        Enum(TradeInStatus, native_enum=False, length=20, validate_strings=True, values_callable=enum_values),
        default=TradeInStatus.REQUESTED,
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    value: Mapped[Decimal | None]
    valid_until: Mapped[date | None]
    appraiser_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    appraiser_notes: Mapped[str] = mapped_column(Text, default="")
    appraised_at: Mapped[datetime | None]
    response_seconds: Mapped[int | None]
    applied_at: Mapped[datetime | None]
    applied_revision_no: Mapped[int | None]
    closed_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship()
    offer: Mapped[Offer | None] = relationship()
    deal: Mapped[Deal | None] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    appraiser: Mapped[User | None] = relationship(foreign_keys=[appraiser_id])
    photos: Mapped[list[TradeInPhoto]] = relationship(
        back_populates="appraisal", order_by="TradeInPhoto.position", cascade="all, delete-orphan"
    )

    @property
    def description(self) -> str:
        """Return "2019 Hyundai Elantra"."""
        return f"{self.year} {self.make} {self.model}"


class TradeInPhoto(TenantScoped, Base):
    """One photo of a trade-in car: a re-encoded JPEG/PNG in ``services.storage`` under ``storage_key``."""

    __tablename__ = "trade_in_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("trade_in_appraisal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    appraisal: Mapped[TradeInAppraisal] = relationship(back_populates="photos")
