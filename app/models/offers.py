"""Offers (quotations): the offer, its immutable revisions, approvals and the per-dealer number counter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Computed, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.offer_states import OfferState
from app.models.accounts import User
from app.models.base import Base, TimestampMixin, dialect_only, enum_values, utcnow
from app.models.customers import Customer
from app.tenancy import TenantScoped

SEARCH_TEXT_SQL = "lower(number || '\n' || vehicle_label)"
"""SQL of ``Offer.search_text`` (PostgreSQL and SQLite alike; the migration spells out the same text)."""


class OfferNumberCounter(TenantScoped, Base):
    """The last offer sequence number used by a dealer in a calendar year (dealer's local year).

    Allocation increments ``last_value`` with a single ``UPDATE … RETURNING`` under a row lock,
    so parallel creations never get the same number (see ``services.offer_numbers``).
    """

    __tablename__ = "offer_number_counter"
    __table_args__ = (UniqueConstraint("dealer_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    last_value: Mapped[int] = mapped_column(default=0)


class Offer(TenantScoped, TimestampMixin, Base):
    """One quotation to one customer; its content lives in numbered, immutable ``OfferRevision`` rows.

    ``number`` is ``<DEALERCODE>-<YYYY>-<NNNNNN>`` (unique per dealer). ``state`` follows
    ``domain.offer_states``. ``link_version`` is bumped to revoke every customer link issued so far.
    """

    __tablename__ = "offer"
    __table_args__ = (
        UniqueConstraint("dealer_id", "number"),
        # A re-submitted builder form (double tap, dropped connection) must not create a second offer.
        UniqueConstraint("dealer_id", "idempotency_key"),
        Index("ix_offer_dealer_state", "dealer_id", "state"),
        Index("ix_offer_dealer_consultant", "dealer_id", "consultant_id"),
        Index("ix_offer_dealer_created", "dealer_id", "created_at"),
        # Substring search of the offer list: trigram GIN index on PostgreSQL (pg_trgm, created by the
        # migration); SQLite scans the precomputed column instead (no index would serve ``LIKE '%…%'``).
        dialect_only(
            Index("ix_offer_search_text_trgm", "search_text", postgresql_using="gin",
                  postgresql_ops={"search_text": "gin_trgm_ops"}),
            "postgresql",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[OfferState] = mapped_column(
        Enum(OfferState, native_enum=False, length=20, validate_strings=True, values_callable=enum_values),
        default=OfferState.DRAFT,
    )
    current_revision_no: Mapped[int] = mapped_column(default=1)
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(10))
    valid_until: Mapped[date | None]
    out_the_door_price: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    vehicle_label: Mapped[str] = mapped_column(String(200), default="")
    sent_at: Mapped[datetime | None]
    view_count: Mapped[int] = mapped_column(default=0)
    first_viewed_at: Mapped[datetime | None]
    last_viewed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    accepted_name: Mapped[str] = mapped_column(String(200), default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    link_version: Mapped[int] = mapped_column(default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # "number<LF>vehicle label" lower-cased by the database (the same ``lower()`` that ``ILIKE`` applies),
    # kept right by every insert path, ORM or Core. The list search matches it with one ``LIKE``
    # instead of two ``ILIKE`` per row; the line feed keeps a term from matching across the two fields.
    search_text: Mapped[str | None] = mapped_column(
        Text, Computed(SEARCH_TEXT_SQL, persisted=True), deferred=True
    )

    customer: Mapped[Customer] = relationship()
    consultant: Mapped[User | None] = relationship(foreign_keys=[consultant_id])
    revisions: Mapped[list[OfferRevision]] = relationship(
        back_populates="offer", order_by="OfferRevision.revision_no", cascade="all, delete-orphan"
    )


class OfferRevision(TenantScoped, Base):
    """One immutable version of an offer: what was typed (``inputs``) and what it priced to (``snapshot``).

    ``snapshot`` holds every line, promotion, tax and payment figure as strings of exact
    Decimals, plus the catalog texts used, so later catalog or price changes never alter it.
    ``content_hash`` (SHA-256 of the canonical snapshot) binds an approval to this exact content.
    """

    __tablename__ = "offer_revision"
    __table_args__ = (UniqueConstraint("offer_id", "revision_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    revision_no: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    inputs: Mapped[dict] = mapped_column(JSON)
    snapshot: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    out_the_door_price: Mapped[Decimal]
    discount_total: Mapped[Decimal]
    needs_approval: Mapped[bool] = mapped_column(default=False)
    approval_reasons: Mapped[list] = mapped_column(JSON, default=list)
    # The dealer's unknown-cost rule that decided the gross check (``UnknownCostRule`` value), or None
    # when the cost was known or no floor applied: staff see which rule applied (issue 11).
    cost_rule: Mapped[str | None] = mapped_column(String(20))

    offer: Mapped[Offer] = relationship(back_populates="revisions")
    approvals: Mapped[list[OfferApproval]] = relationship(back_populates="revision", order_by="OfferApproval.decided_at")


class OfferApproval(TenantScoped, Base):
    """A principal's or sales manager's decision on one revision: approved or returned, with a comment.

    Valid only while the offer's current revision still has ``content_hash`` equal to the one approved.
    """

    __tablename__ = "offer_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("offer_revision.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # "approved" | "returned"
    comment: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    revision: Mapped[OfferRevision] = relationship(back_populates="approvals")
