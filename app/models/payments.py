"""Reservation payments of a deal (deposits and refunds), the provider webhooks processed, and the
built-in ``test`` provider's own records (its checkout sessions and its webhook outbox).

Everything is dealer-owned (``TenantScoped``). The provider reference is unique per provider, the
processed webhook event id is unique per provider: these two constraints make webhook handling
idempotent even when two deliveries of one event race.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, enum_values, utcnow
from app.models.deals import Deal
from app.tenancy import TenantScoped


class PaymentKind(StrEnum):
    """Money in (the reservation deposit) or money back (a refund of a deposit)."""

    DEPOSIT = "deposit"
    REFUND = "refund"


class PaymentStatus(StrEnum):
    """Where a payment stands.

    A deposit goes ``pending`` → ``succeeded`` / ``failed`` / ``expired`` (no answer in time); a
    succeeded deposit becomes ``partially_refunded`` / ``refunded`` as refunds are confirmed. A refund
    goes ``pending`` → ``succeeded`` / ``failed``.
    """

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


def _enum(enum_cls, length: int) -> Enum:
    return Enum(enum_cls, native_enum=False, length=length, validate_strings=True, values_callable=enum_values)


class Payment(TenantScoped, TimestampMixin, Base):
    """One deposit or refund of a deal through a payment provider.

    ``amount`` (exact Decimal, ``currency``) is what is asked (deposit) or given back (refund).
    ``refunded_amount`` (deposits only) is the sum of confirmed refunds. ``provider_reference`` is
    the provider's id of the checkout session or refund (unique per provider); ``idempotency_key``
    (unique per dealer) makes a double click or a retried request reuse the same payment.
    ``refund_of_id`` links a refund to its deposit. ``expires_at``: a pending deposit without an
    answer by then is ``expired``.
    """

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("provider", "provider_reference"),
        UniqueConstraint("dealer_id", "idempotency_key"),
        Index("ix_payment_dealer_deal", "dealer_id", "deal_id"),
        Index("ix_payment_dealer_status", "dealer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="RESTRICT"))
    kind: Mapped[PaymentKind] = mapped_column(_enum(PaymentKind, 10))
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus, 20), default=PaymentStatus.PENDING)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    provider: Mapped[str] = mapped_column(String(30))
    provider_reference: Mapped[str | None] = mapped_column(String(80))
    checkout_url: Mapped[str] = mapped_column(String(1000), default="")
    idempotency_key: Mapped[str] = mapped_column(String(80))
    refund_of_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    failure_reason: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime | None]
    succeeded_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    deal: Mapped[Deal] = relationship()
    refund_of: Mapped[Payment | None] = relationship(remote_side=[id])


class PaymentEvent(TenantScoped, Base):
    """A provider webhook event processed for one payment (the unique event id makes handling idempotent).

    ``outcome`` says what the event did: ``applied`` (the payment changed), ``ignored`` (stale or
    out of order: e.g. a ``failed`` after ``succeeded``), ``refunded_lost_race`` (the money came in
    but the car was taken: refunded automatically), ``refunded_duplicate`` (a second deposit for
    the same deal: refunded automatically).
    """

    __tablename__ = "payment_event"
    __table_args__ = (
        UniqueConstraint("provider", "event_id"),
        Index("ix_payment_event_dealer_payment", "dealer_id", "payment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[str] = mapped_column(String(80))
    event_type: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


class TestCheckoutSession(TenantScoped, Base):
    """The built-in test provider's hosted checkout session (the provider's own record, not ours).

    ``session_id`` is the unguessable id in the checkout URL and the deposit's provider reference.
    ``status``: ``open`` → ``paid`` / ``declined`` / ``timed_out`` (the customer used the card that
    never answers) / ``expired``. ``refunded_amount`` is what the provider gave back.
    """

    __tablename__ = "payment_test_checkout"
    __test__ = False  # not a pytest test class
    __table_args__ = (UniqueConstraint("session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(80))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200), default="")
    return_url: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="open")
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    refunded_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class TestWebhook(TenantScoped, Base):
    """One webhook event in the test provider's outbox: the JSON ``body`` to deliver, when it was delivered.

    Deliveries sign the body afresh (timestamped HMAC-SHA256), as real providers do on retries, so
    a test can replay any row — a duplicate — or deliver rows in any order.
    """

    __tablename__ = "payment_test_webhook"
    __test__ = False
    __table_args__ = (UniqueConstraint("event_id"), Index("ix_payment_test_webhook_dealer_session", "dealer_id", "session_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80))
    event_type: Mapped[str] = mapped_column(String(40))
    session_id: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]
