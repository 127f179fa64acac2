"""Delivery of a deal: the booked slot (and its capacity counter), the pre-delivery checklist, the handover."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, TimestampMixin, enum_values, utcnow
from app.models.deals import Deal
from app.tenancy import TenantScoped


class BookingStatus(StrEnum):
    """Where a delivery booking stands."""

    BOOKED = "booked"
    CANCELLED = "cancelled"  # by a reschedule or the deal's cancellation; its place was freed
    COMPLETED = "completed"  # the car was handed over


class DeliveryBooking(TenantScoped, TimestampMixin, Base):
    """A deal's delivery appointment in one of the dealer's slots, and — once completed — the handover.

    Slot: local ``slot_date``, ``slot_start``–``slot_end`` (dealer's wall clock) and ``starts_at``
    (the same moment, UTC). ``method`` is ``showroom_pickup`` or ``home_delivery``; for home
    delivery ``address`` (as typed), ``latitude``/``longitude`` (decimal degrees) the radius check
    used, ``distance_km`` (straight line, 0.01 km) and ``fee`` (deal currency). An address typed without
    a shared location has no distance yet: the booking waits with ``distance_to_confirm`` until staff
    enter the km (``distance_confirmed_by``, ``distance_confirmed_at``) and the fee follows. ``channel`` says who
    booked: ``online`` (the customer) or ``staff`` (``booked_by``). Handover: ``odometer`` (vehicle
    unit), ``signed_name`` (typed by the customer), ``signed_at``, ``signed_ip``, ``handed_over_by``.
    At most one booking per deal is ``booked`` at a time (partial unique index).
    """

    __tablename__ = "delivery_booking"
    __table_args__ = (
        Index("ix_delivery_booking_dealer_deal", "dealer_id", "deal_id"),
        Index("ix_delivery_booking_dealer_slot", "dealer_id", "slot_date", "slot_start"),
        # A double-clicked "book" must not leave two live bookings for one deal.
        Index(
            "uq_delivery_booking_one_live_per_deal", "dealer_id", "deal_id", unique=True,
            sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    slot_date: Mapped[date]
    slot_start: Mapped[time]
    slot_end: Mapped[time]
    starts_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    distance_km: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    fee: Mapped[Decimal | None]
    distance_confirmed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    distance_confirmed_at: Mapped[datetime | None]
    status: Mapped[BookingStatus] = mapped_column(
        Enum(BookingStatus, native_enum=False, length=12, validate_strings=True, values_callable=enum_values),
        default=BookingStatus.BOOKED,
    )
    channel: Mapped[str] = mapped_column(String(10), default="online")
    booked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    odometer: Mapped[int | None]
    signed_name: Mapped[str] = mapped_column(String(200), default="")
    signed_at: Mapped[datetime | None]
    signed_ip: Mapped[str] = mapped_column(String(45), default="")
    handed_over_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    deal: Mapped[Deal] = relationship()
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_user_id])
    handed_over_by: Mapped[User | None] = relationship(foreign_keys=[handed_over_by_user_id])
    distance_confirmed_by: Mapped[User | None] = relationship(foreign_keys=[distance_confirmed_by_user_id])

    @property
    def distance_to_confirm(self) -> bool:
        """True for a home delivery whose distance (hence fee) staff have not confirmed yet (no location shared)."""
        return self.method == "home_delivery" and self.distance_km is None


class DeliverySlotCounter(TenantScoped, Base):
    """How many live bookings hold a place in the dealer's slot on local ``slot_date`` at ``slot_start``.

    Taken with one conditional ``UPDATE … SET booked = booked + 1 WHERE booked < capacity`` so two
    customers racing for the last place cannot both get it (``services.deliveries``).
    """

    __tablename__ = "delivery_slot_counter"
    __table_args__ = (
        UniqueConstraint("dealer_id", "slot_date", "slot_start"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_date: Mapped[date]
    slot_start: Mapped[time]
    booked: Mapped[int] = mapped_column(default=0)


class DeliveryChecklistTick(TenantScoped, Base):
    """One ticked pre-delivery check of a deal (``domain.delivery_handover.CHECKLIST``): who and when."""

    __tablename__ = "delivery_checklist_tick"
    __table_args__ = (UniqueConstraint("dealer_id", "deal_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(30))
    ticked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    ticked_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticked_by: Mapped[User | None] = relationship()
