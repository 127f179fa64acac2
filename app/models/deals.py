"""Deals: one record per sale from the accepted offer (or online reservation) to the handover, and its timeline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.deal_amendments import AmendmentStatus
from app.domain.deal_states import DealState
from app.models.accounts import User
from app.models.base import Base, TimestampMixin, enum_values, utcnow
from app.models.customers import Customer
from app.models.inventory import StockVehicle
from app.models.offers import Offer
from app.tenancy import TenantScoped


class Deal(TenantScoped, TimestampMixin, Base):
    """One sale: customer, accepted offer revision, vehicle, consultant and the money that pays for it.

    ``state`` follows ``domain.deal_states``. Money (offer ``currency``, exact Decimals copied from
    the offer revision's snapshot or recorded by the steps): ``out_the_door_price``,
    ``trade_in_equity`` (allowance − payoff, may be negative), ``deposit_amount`` (the reservation
    deposit asked), ``deposit_paid`` (received, net of refunds), ``amount_financed`` (the lender's
    principal once finance is approved, 0 for cash), ``balance_paid`` (paid at or before
    delivery). ``payment_kind`` is ``cash``, ``finance`` or ``lease``. ``business_model`` is the
    dealer's model when the deal opened (E2E/O2O). ``link_version`` revokes customer links.

    Vehicle allocation (``services.vehicle_allocation``): a deal from a stock offer or reservation has
    its ``stock_vehicle`` from the start; a deal from a catalog (new-car configuration) offer has none
    until staff allocate a matching stock car (``stock_vehicle_id``) or the VIN the factory announced
    (``factory_vin``, with its optional local ``factory_arrival_date``); ``allocated_at`` is when
    (None for a car fixed by the offer). A live deal's factory VIN is unique per dealer.
    """

    __tablename__ = "deal"
    __table_args__ = (
        UniqueConstraint("dealer_id", "number"),
        # One accepted offer opens at most one deal, even when the accept is posted twice.
        UniqueConstraint("dealer_id", "offer_id"),
        Index("ix_deal_dealer_state", "dealer_id", "state"),
        Index("ix_deal_dealer_consultant", "dealer_id", "consultant_id"),
        # One factory car is sold once: no two live deals of a dealer on the same VIN.
        Index(
            "uq_deal_dealer_factory_vin_live", "dealer_id", "factory_vin", unique=True,
            sqlite_where=text("factory_vin IS NOT NULL AND cancelled_at IS NULL"),
            postgresql_where=text("factory_vin IS NOT NULL AND cancelled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id", ondelete="RESTRICT"))
    offer_revision_no: Mapped[int | None]
    stock_vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("stock_vehicle.id", ondelete="RESTRICT"), index=True)
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    business_model: Mapped[str] = mapped_column(String(3))
    state: Mapped[DealState] = mapped_column(
        Enum(DealState, native_enum=False, length=20, validate_strings=True, values_callable=enum_values),
        default=DealState.OFFER_ACCEPTED,
    )
    vehicle_label: Mapped[str] = mapped_column(String(200), default="")
    model_code: Mapped[str] = mapped_column(String(40), default="")
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(10))
    out_the_door_price: Mapped[Decimal]
    trade_in_equity: Mapped[Decimal] = mapped_column(default=Decimal(0))
    deposit_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    deposit_paid: Mapped[Decimal] = mapped_column(default=Decimal(0))
    amount_financed: Mapped[Decimal] = mapped_column(default=Decimal(0))
    balance_paid: Mapped[Decimal] = mapped_column(default=Decimal(0))
    payment_kind: Mapped[str] = mapped_column(String(10), default="cash")
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]
    link_version: Mapped[int] = mapped_column(default=1)
    factory_vin: Mapped[str | None] = mapped_column(String(17))
    factory_arrival_date: Mapped[date | None]
    allocated_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship()
    offer: Mapped[Offer | None] = relationship()
    stock_vehicle: Mapped[StockVehicle | None] = relationship()
    consultant: Mapped[User | None] = relationship(foreign_keys=[consultant_id])
    events: Mapped[list[DealEvent]] = relationship(
        back_populates="deal", order_by="DealEvent.id", cascade="all, delete-orphan"
    )

    @property
    def vehicle_allocated(self) -> bool:
        """True when the deal sells a physical car: a stock car or a factory VIN."""
        return self.stock_vehicle_id is not None or bool(self.factory_vin)

    @property
    def vin(self) -> str:
        """The VIN of the car sold: the stock car's, else the factory's, else ""."""
        if self.stock_vehicle is not None:
            return self.stock_vehicle.vin or ""
        return self.factory_vin or ""


class DealEvent(TenantScoped, Base):
    """One step on a deal's timeline: what happened, from which state to which, who did it, when.

    ``channel`` is ``online`` (done in the portal by the customer or staff), ``offline`` (done in the
    showroom and recorded by ``actor`` on behalf of ``performed_by``) or ``system`` (webhooks,
    jobs). ``occurred_at`` is when it happened (for offline steps, as declared); ``recorded_at``
    when it was written. ``from_state``/``to_state`` are empty for events that change no state
    (a document uploaded, a notification sent).
    """

    __tablename__ = "deal_event"
    __table_args__ = (Index("ix_deal_event_dealer_deal", "dealer_id", "deal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    channel: Mapped[str] = mapped_column(String(10), default="online")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    performed_by: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    # A change to accept (or its acceptance): the timeline shows its figures old → new.
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("deal_amendment.id", ondelete="SET NULL"))

    deal: Mapped[Deal] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    amendment: Mapped[DealAmendment | None] = relationship()


class DealAmendment(TenantScoped, Base):
    """A change of an accepted deal's figures that the customer must accept ("a change to accept").

    Made when a trade-in appraisal re-prices the accepted offer (a new offer revision) or the bank
    approves other terms than the offer's finance scenario (``domain.deal_amendments``). ``before``
    and ``after`` are ``DealFigures.to_json()`` (exact Decimal strings): what the customer last
    accepted and what the deal says now. ``reasons`` lists what changed it, e.g.
    ``[{"kind": "trade_in", "appraisal_id": 3, "offer_revision_no": 2, "vehicle": "2003 Honda Accord"}]``;
    a newer change made while one is pending supersedes it and keeps its ``before`` and reasons.
    ``customer_total_before``/``_after`` (deal currency) decide ``principal_may_approve``.
    ``pending_deal_id`` equals ``deal_id`` while pending (else None): its unique constraint keeps one
    pending change per deal. Acceptance: by the customer (``accepted_name`` typed, ``accepted_ip``,
    ``accepted_user_agent``) or the principal (``decided_by_id``), at ``decided_at``.
    """

    __tablename__ = "deal_amendment"
    __table_args__ = (
        UniqueConstraint("dealer_id", "pending_deal_id"),
        Index("ix_deal_amendment_dealer_deal", "dealer_id", "deal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    pending_deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    status: Mapped[AmendmentStatus] = mapped_column(
        Enum(AmendmentStatus, native_enum=False, length=20, validate_strings=True, values_callable=enum_values),
        default=AmendmentStatus.PENDING,
    )
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    customer_total_before: Mapped[Decimal]
    customer_total_after: Mapped[Decimal]
    principal_may_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    offer_revision_no: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    accepted_name: Mapped[str] = mapped_column(String(200), default="")
    accepted_ip: Mapped[str] = mapped_column(String(45), default="")
    accepted_user_agent: Mapped[str] = mapped_column(String(300), default="")

    deal: Mapped[Deal] = relationship(foreign_keys=[deal_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def kinds(self) -> frozenset[str]:
        """Return what changed the deal (``AmendmentKind`` values)."""
        return frozenset(str(r.get("kind", "")) for r in self.reasons or [])
