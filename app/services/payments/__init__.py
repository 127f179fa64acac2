"""Reservation deposits and refunds: checkout, idempotent webhook handling, the race for a car, refunds.

The money rules (issue #7 item 4):

* **A deposit is recorded exactly once.** Every processed webhook event id is stored
  (``PaymentEvent``, unique per provider); the payment row is locked (``FOR UPDATE`` on
  PostgreSQL) before the event is applied, so two deliveries of one event — sequential or racing —
  change the deposit once; the second answers 200 "duplicate".
* **Out-of-order events never corrupt the state.** ``succeeded`` wins over ``pending``,
  ``failed`` and ``expired`` (a customer may pay after a decline; money that arrives after our
  time-out is still money received); a late ``failed`` after ``succeeded`` is ignored; a refund
  event before its payment succeeded is refused with 409 and applied when the provider retries.
* **One car, one reservation.** On success, in one transaction: the payment succeeds,
  ``deal.deposit_paid`` grows, the stock vehicle goes ``reserved`` by a *conditional* UPDATE
  (only while ``in_stock``/``in_transit``), the deal advances to ``reserved``, the customer gets a
  receipt and the staff a notification. When the UPDATE matches no row another customer got the
  car first: the money is refunded in full automatically, the deal is cancelled and the customer
  told. A deposit paid twice for one deal, or for a cancelled deal, is refunded too.
* **Refunds** never exceed what remains of the deposit (paid − confirmed − pending refunds) and
  lower ``deal.deposit_paid`` only when the provider confirms them by webhook. On cancellation
  (``CANCEL_HOOKS``) the remaining deposit is refunded when the dealer's ``ReservationSettings``
  say it is refundable and the cancellation falls within ``refundable_days`` after payment
  (None = until delivery); otherwise it is kept, and the timeline says so.
* **Time-outs.** A pending deposit expires ``PAYMENT_EXPIRY_MINUTES`` (default 30) after checkout
  started: lazily when the customer starts a new checkout, and by ``flask payments expire``.

Services flush only; ``handle_webhook_delivery`` is the one unit of work that commits (it is the
webhook request itself, shared by the view and the test provider's in-process delivery).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from babel.numbers import format_currency
from flask import current_app, has_app_context
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.deal_states import DealAction, DealState
from app.domain.money import ZERO, quantum
from app.models.accounts import Dealer, User
from app.models.base import utcnow
from app.models.dealer_settings import PurchasingConditions, ReservationSettings
from app.models.deals import Deal
from app.models.inventory import StockVehicle, VehicleStatus
from app.models.payments import Payment, PaymentEvent, PaymentKind, PaymentStatus
from app.services import audit, field_crypto
from app.services import deals as deal_service
from app.services.notifications import Message, notify_customer, notify_roles
from app.services.payments.provider import (
    CHECKOUT_FAILED,
    CHECKOUT_SUCCEEDED,
    DEFAULT_TOLERANCE,
    REFUND_FAILED,
    REFUND_SUCCEEDED,
    MalformedEvent,
    NotYetApplicable,
    PaymentProvider,
    ProviderError,
    UnknownPayment,
    WebhookError,
    WebhookEvent,
)
from app.services.payments.test_provider import TestProvider
from app.tenancy import scoped

#: Registered providers by name (``/webhooks/payments/<name>``).
PROVIDERS: dict[str, type[PaymentProvider]] = {"test": TestProvider}
AVAILABLE = (VehicleStatus.IN_STOCK, VehicleStatus.IN_TRANSIT)
PAID = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
DEFAULT_EXPIRY_MINUTES = 30


class PaymentError(ValueError):
    """A payment step refused (checkout not possible, refund too large…); ``text()`` is shown to the user.

    ``args[0]`` is a gettext message id with ``%(name)s`` placeholders filled from ``params``.
    """

    def __init__(self, message: str, **params) -> None:
        super().__init__(message)
        self.params = params

    def text(self) -> str:
        """Return the message translated into the current locale with its parameters."""
        from flask_babel import gettext

        return gettext(self.args[0], **self.params)


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    """What handling one webhook did: ``outcome`` (``applied``, ``duplicate``, ``ignored``, …) and a note."""

    outcome: str
    note: str = ""


def _config():
    return current_app.config if has_app_context() else {}


def _dealer(session: Session, dealer_id: int) -> Dealer:
    return session.scalar(select(Dealer).where(Dealer.id == dealer_id).execution_options(all_tenants=True))


# --- providers and secrets ---------------------------------------------------------------------------


def dealer_secret(session: Session, dealer_id: int, provider_name: str) -> str | None:
    """Return the webhook secret of ``dealer_id`` for ``provider_name``.

    The dealer's provider secret (``ReservationSettings``, decrypted with ``field_crypto``) when
    set; for the ``test`` provider otherwise ``PAYMENT_TEST_WEBHOOK_SECRET``, else one derived
    from ``SECRET_KEY`` (HMAC-SHA256 of a fixed label), so development needs no set-up. None for a
    real provider without a secret (nothing can be verified).
    """
    config = _config()
    with scoped(dealer_id=dealer_id):
        row = session.scalar(select(ReservationSettings))
    if row is not None and row.provider_secret_encrypted:
        return field_crypto.decrypt(config, row.provider_secret_encrypted)
    if provider_name != "test":
        return None
    configured = config.get("PAYMENT_TEST_WEBHOOK_SECRET") or ""
    if configured:
        return configured
    return hmac.new(str(config.get("SECRET_KEY", "")).encode(), b"forecourt-test-provider-webhook", hashlib.sha256).hexdigest()


def provider_for(session: Session, name: str) -> PaymentProvider:
    """Return the provider ``name`` bound to ``session``; raises ``UnknownPayment`` for an unknown or disabled one."""
    cls = PROVIDERS.get(name)
    config = _config()
    if cls is None or (name == "test" and not config.get("PAYMENT_TEST_PROVIDER_ENABLED", True)):
        raise UnknownPayment("No such payment provider.")

    def secret_for(reference: str) -> str | None:
        dealer_id = session.scalar(
            select(Payment.dealer_id).where(Payment.provider == name, Payment.provider_reference == reference)
            .execution_options(all_tenants=True)  # webhooks arrive without a tenant: the reference names it
        )
        return None if dealer_id is None else dealer_secret(session, dealer_id, name)

    tolerance = int(config.get("PAYMENT_WEBHOOK_TOLERANCE", DEFAULT_TOLERANCE))
    if cls is TestProvider:
        return TestProvider(session, secret_for, tolerance=tolerance)
    return cls(secret_for, tolerance=tolerance)  # pragma: no cover - only the test provider exists today


def provider_name_for(session: Session) -> str:
    """Return the provider the current dealer takes deposits with.

    The dealer's ``ReservationSettings.provider_name`` when it names a registered provider, else
    ``PAYMENT_PROVIDER`` (default ``test``). Raises ``PaymentError`` when that one is not enabled.
    """
    row = session.scalar(select(ReservationSettings))
    chosen = (row.provider_name.strip().lower() if row else "")
    name = chosen if chosen in PROVIDERS else _config().get("PAYMENT_PROVIDER", "test")
    if name not in PROVIDERS or (name == "test" and not _config().get("PAYMENT_TEST_PROVIDER_ENABLED", True)):
        raise PaymentError("Online payment is not available at this dealer yet.")
    return name


# --- reading ---------------------------------------------------------------------------------------------


def payments_of(session: Session, deal: Deal) -> list[Payment]:
    """Return the deal's deposits and refunds, oldest first."""
    return list(session.scalars(select(Payment).where(Payment.deal_id == deal.id).order_by(Payment.id)))


def pending_refunds(session: Session, deposit: Payment) -> Decimal:
    """Return the sum of refunds of ``deposit`` asked but not yet confirmed."""
    return session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.refund_of_id == deposit.id, Payment.status == PaymentStatus.PENDING
        )
    ) or ZERO


def refundable_amount(session: Session, deposit: Payment) -> Decimal:
    """Return what can still be refunded of ``deposit``: paid − confirmed refunds − pending refunds (0 if unpaid)."""
    if deposit.kind is not PaymentKind.DEPOSIT or deposit.status not in PAID:
        return ZERO
    return max(deposit.amount - deposit.refunded_amount - Decimal(pending_refunds(session, deposit)), ZERO)


def effective_status(payment: Payment, now: datetime) -> PaymentStatus:
    """Return the status to show: a pending deposit past ``expires_at`` shows as ``expired`` before the job runs."""
    if payment.status is PaymentStatus.PENDING and payment.expires_at is not None and payment.expires_at <= now:
        return PaymentStatus.EXPIRED
    return payment.status


def _money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=locale.replace("-", "_") or "en")


def _ui_money(amount: Decimal, currency: str) -> str:
    """Format for the person looking at the page (Flask-Babel's locale), English outside a request."""
    from flask import has_request_context

    if has_request_context():
        from flask_babel import format_currency as ui_format

        return ui_format(amount, currency)
    return _money(amount, currency, "en")


def _customer_locale(deal: Deal) -> str:
    return deal.customer.preferred_locale or deal.locale


# --- checkout --------------------------------------------------------------------------------------------


def expire_stale(session: Session, now: datetime, *, deal: Deal | None = None) -> int:
    """Mark pending deposits whose ``expires_at`` passed as ``expired`` (of ``deal``, or all in scope); return how many.

    A conditional UPDATE (``status = 'pending'``), so a webhook applied at the same moment wins.
    """
    query = update(Payment).where(
        Payment.kind == PaymentKind.DEPOSIT, Payment.status == PaymentStatus.PENDING, Payment.expires_at <= now
    )
    if deal is not None:
        query = query.where(Payment.deal_id == deal.id)
    result = session.execute(
        query.values(status=PaymentStatus.EXPIRED, failed_at=now, failure_reason="No answer from the payment provider in time.")
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return result.rowcount or 0


def checkout_blocker(session: Session, deal: Deal) -> str | None:
    """Return why the deposit of ``deal`` cannot be paid now (shown to the customer), or None when it can."""
    if deal.state is DealState.CANCELLED:
        return "This purchase was cancelled."
    if deal.state is not DealState.OFFER_ACCEPTED or (deal.deposit_amount > ZERO and deal.deposit_paid >= deal.deposit_amount):
        return "The reservation deposit is already paid."
    if deal.deposit_amount <= ZERO:
        return "No reservation deposit is asked for this purchase."
    vehicle = deal.stock_vehicle
    if vehicle is not None and vehicle.status not in AVAILABLE:
        return "This vehicle is no longer available: another customer has reserved it."
    return None


def start_checkout(session: Session, deal: Deal, *, return_url: str, now: datetime | None = None) -> Payment:
    """Open (or reuse) the deposit checkout of ``deal``; return the payment (its ``checkout_url`` is the redirect).

    Expires stale pending deposits first; a pending one still valid is reused (a double click opens
    no second payment; concurrent requests meet at the ``(dealer_id, idempotency_key)`` unique key).
    Raises ``PaymentError`` when ``checkout_blocker`` says no.
    """
    now = now or utcnow()
    expire_stale(session, now, deal=deal)
    reason = checkout_blocker(session, deal)
    if reason:
        raise PaymentError(reason)
    pending = session.scalar(
        select(Payment).where(Payment.deal_id == deal.id, Payment.kind == PaymentKind.DEPOSIT,
                              Payment.status == PaymentStatus.PENDING).order_by(Payment.id.desc())
    )
    if pending is not None:
        return pending
    name = provider_name_for(session)
    attempt = (session.scalar(select(func.count(Payment.id)).where(
        Payment.deal_id == deal.id, Payment.kind == PaymentKind.DEPOSIT)) or 0) + 1
    minutes = int(_config().get("PAYMENT_EXPIRY_MINUTES", DEFAULT_EXPIRY_MINUTES))
    payment = Payment(
        dealer_id=deal.dealer_id, deal_id=deal.id, kind=PaymentKind.DEPOSIT, amount=deal.deposit_amount,
        currency=deal.currency, provider=name, idempotency_key=f"deposit:{deal.id}:{attempt}",
        expires_at=now + timedelta(minutes=minutes),
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(Payment).where(Payment.idempotency_key == f"deposit:{deal.id}:{attempt}"))
        if existing is None:
            raise
        return existing
    provider = provider_for(session, name)
    payment.checkout_url = provider.create_checkout(
        payment, return_url=return_url, description=f"{deal.number} · {deal.vehicle_label}"[:200]
    )
    deal_service.record_event(session, deal, "deposit_checkout", note=_money(payment.amount, payment.currency, "en"))
    audit.record(session, "payment.checkout", payment, after={"amount": payment.amount, "deal": deal.number, "provider": name})
    session.flush()
    return payment


# --- webhooks --------------------------------------------------------------------------------------------


def handle_webhook_delivery(session: Session, provider_name: str, headers, body: bytes) -> tuple[int, str]:
    """Handle one webhook delivery as its own unit of work; return ``(HTTP status, message)``.

    Commits when the event was handled (200), rolls back and answers the ``WebhookError``'s
    status otherwise (400 forged/malformed, 404 unknown payment or provider, 409 not yet
    applicable). A concurrent duplicate that loses the unique-key race answers 200 "duplicate".
    """
    try:
        outcome = process_webhook(session, provider_name, headers, body, now=utcnow())
    except WebhookError as exc:
        session.rollback()
        return exc.status, str(exc)
    except IntegrityError:
        session.rollback()
        return 200, "duplicate"
    session.commit()
    return 200, outcome.outcome


def process_webhook(session: Session, provider_name: str, headers, body: bytes, *, now: datetime) -> WebhookOutcome:
    """Verify and apply one provider event (flush only); see the module docstring for the rules.

    Raises ``WebhookError`` subclasses: ``SignatureError`` / ``MalformedEvent`` (400),
    ``UnknownPayment`` (404), ``NotYetApplicable`` (409). Nothing is written when one is raised.
    """
    provider = provider_for(session, provider_name)
    event = provider.verify_webhook(headers, body, now=int(now.timestamp()))
    deposit = session.scalar(
        select(Payment).where(Payment.provider == provider_name, Payment.provider_reference == event.lookup_reference())
        .execution_options(all_tenants=True)  # the verified reference names the tenant
    )
    if deposit is None or deposit.kind is not PaymentKind.DEPOSIT:
        raise UnknownPayment("No payment with this reference.")
    dealer = _dealer(session, deposit.dealer_id)
    with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
        # Serialise every event of one payment (PostgreSQL row lock; SQLite writes are serial anyway).
        deposit = session.scalar(select(Payment).where(Payment.id == deposit.id).with_for_update().execution_options(populate_existing=True))
        if session.scalar(select(PaymentEvent.id).where(PaymentEvent.provider == provider_name, PaymentEvent.event_id == event.id)):
            return WebhookOutcome("duplicate")
        if event.currency != deposit.currency:
            raise MalformedEvent("The event's currency does not match the payment.")
        if event.type == CHECKOUT_SUCCEEDED:
            outcome = _on_succeeded(session, deposit, dealer, event, now)
        elif event.type == CHECKOUT_FAILED:
            outcome = _on_failed(session, deposit, event, now)
        elif event.type == REFUND_SUCCEEDED:
            outcome = _on_refund(session, deposit, dealer, event, now, succeeded=True)
        elif event.type == REFUND_FAILED:
            outcome = _on_refund(session, deposit, dealer, event, now, succeeded=False)
        else:  # pragma: no cover - WebhookEvent.from_body refuses other types
            raise MalformedEvent("Unknown event type.")
        target = deposit if event.type in (CHECKOUT_SUCCEEDED, CHECKOUT_FAILED) else _refund_row(session, event) or deposit
        session.add(PaymentEvent(dealer_id=dealer.id, payment_id=target.id, provider=provider_name, event_id=event.id,
                                 event_type=event.type, outcome=outcome.outcome, received_at=now, note=outcome.note[:500]))
        session.flush()
        return outcome


def _refund_row(session: Session, event: WebhookEvent) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.provider_reference == event.reference, Payment.kind == PaymentKind.REFUND))


def _on_failed(session: Session, deposit: Payment, event: WebhookEvent, now: datetime) -> WebhookOutcome:
    if deposit.status is not PaymentStatus.PENDING:
        return WebhookOutcome("ignored", f"failed after {deposit.status.value}")
    deposit.status = PaymentStatus.FAILED
    deposit.failed_at = now
    deposit.failure_reason = event.failure_reason or "declined"
    deal_service.record_event(session, deposit.deal, "deposit_failed", channel="system", note=deposit.failure_reason)
    audit.record(session, "payment.failed", deposit, after={"reason": deposit.failure_reason})
    return WebhookOutcome("applied", "failed")


def _on_succeeded(session: Session, deposit: Payment, dealer: Dealer, event: WebhookEvent, now: datetime) -> WebhookOutcome:
    if deposit.status in PAID:
        return WebhookOutcome("ignored", f"succeeded after {deposit.status.value}")
    if event.amount != deposit.amount:
        raise MalformedEvent("The event's amount does not match the payment.")
    deal = session.scalar(select(Deal).where(Deal.id == deposit.deal_id).with_for_update().execution_options(populate_existing=True))
    was = deposit.status.value
    deposit.status, deposit.succeeded_at, deposit.failure_reason = PaymentStatus.SUCCEEDED, now, ""
    deal.deposit_paid += deposit.amount
    audit.record(session, "payment.succeeded", deposit, before={"status": was}, after={"amount": deposit.amount})
    deal_service.record_event(session, deal, "deposit_received", channel="system",
                              note=f"{_money(deposit.amount, deposit.currency, 'en')} · {deposit.provider_reference}")
    already = deal.deposit_paid - deposit.amount >= deal.deposit_amount > ZERO
    if deal.state is not DealState.OFFER_ACCEPTED or already:
        reason = "Deal cancelled before the payment arrived." if deal.state is DealState.CANCELLED else "Deposit already paid."
        issue_refund(session, deposit, deposit.amount, reason=reason, actor=None, now=now)
        _tell_customer_refund_coming(session, deal, deposit, dealer, lost=False)
        return WebhookOutcome("refunded_duplicate", reason)
    if deal.stock_vehicle_id is not None and not reserve_vehicle(session, deal, now):
        issue_refund(session, deposit, deposit.amount, reason="The vehicle was reserved by another customer.", actor=None, now=now)
        deal_service.record_event(session, deal, "reservation_lost", channel="system")
        _tell_customer_refund_coming(session, deal, deposit, dealer, lost=True)
        deal_service.cancel(session, deal, dealer=dealer, reason="The vehicle was reserved by another customer first.",
                            actor=None, now=now, tell_customer=False)  # the refund mail above says why
        return WebhookOutcome("refunded_lost_race")
    deal_service.advance(session, deal, DealAction.RESERVE, dealer=dealer, channel="system", now=now)
    _send_receipt(session, deal, deposit, dealer)
    return WebhookOutcome("applied", "succeeded")


def reserve_vehicle(session: Session, deal: Deal, now: datetime) -> bool:
    """Put the deal's stock vehicle on ``reserved`` if it is still in stock or in transit; return False if taken.

    One conditional UPDATE: of two transactions racing for one car, PostgreSQL lets the second
    re-check ``status`` after the first commits, so exactly one matches the row.
    """
    result = session.execute(
        update(StockVehicle)
        .where(StockVehicle.id == deal.stock_vehicle_id, StockVehicle.status.in_(AVAILABLE))
        .values(status=VehicleStatus.RESERVED, reserved_at=now, status_changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return False
    vehicle = session.get(StockVehicle, deal.stock_vehicle_id)
    session.refresh(vehicle)
    audit.record(session, "inventory.status", vehicle, before={"status": "in_stock"}, after={"status": "reserved", "deal": deal.number})
    return True


def _send_receipt(session: Session, deal: Deal, deposit: Payment, dealer: Dealer) -> None:
    locale = _customer_locale(deal)
    notify_customer(
        session, email=deal.customer.email, locale=locale,
        subject=Message("Receipt: reservation deposit for %(vehicle)s", {"vehicle": deal.vehicle_label}),
        body=Message(
            "Thank you, %(name)s. %(dealer)s received your reservation deposit of %(amount)s for %(vehicle)s "
            "(purchase %(number)s, payment reference %(reference)s). The vehicle is reserved for you.",
            {"name": deal.customer.full_name, "dealer": dealer.name, "amount": _money(deposit.amount, deposit.currency, locale),
             "vehicle": deal.vehicle_label, "number": deal.number, "reference": deposit.provider_reference},
        ),
    )


def _tell_customer_refund_coming(session: Session, deal: Deal, deposit: Payment, dealer: Dealer, *, lost: bool) -> None:
    locale = _customer_locale(deal)
    amount = _money(deposit.amount, deposit.currency, locale)
    if lost:
        body = Message(
            "We are sorry, %(name)s: another customer reserved %(vehicle)s moments before your payment arrived. "
            "Your deposit of %(amount)s is being refunded in full. %(dealer)s will contact you about other vehicles.",
            {"name": deal.customer.full_name, "vehicle": deal.vehicle_label, "amount": amount, "dealer": dealer.name},
        )
    else:
        body = Message(
            "%(name)s, your payment of %(amount)s for purchase %(number)s was not needed and is being refunded in full.",
            {"name": deal.customer.full_name, "amount": amount, "number": deal.number},
        )
    notify_customer(session, email=deal.customer.email, locale=locale,
                    subject=Message("Your deposit for %(vehicle)s is being refunded", {"vehicle": deal.vehicle_label}), body=body)
    consultant = session.get(User, deal.consultant_id) if deal.consultant_id else None
    notify_roles(
        session, dealer=dealer, roles=deal_service.MANAGERS, extra=[consultant], kind="payment.auto_refund", deal_id=deal.id,
        title=Message("Deal %(number)s: deposit refunded automatically", {"number": deal.number}),
        body=Message("The vehicle was reserved by another customer first.") if lost else Message("The deposit was already paid."),
    )


def _on_refund(session: Session, deposit: Payment, dealer: Dealer, event: WebhookEvent, now: datetime, *, succeeded: bool) -> WebhookOutcome:
    if deposit.status not in PAID:
        raise NotYetApplicable("The payment this refund belongs to has not succeeded yet; retry later.")
    refund = _refund_row(session, event)
    if refund is None:
        if not succeeded:
            return WebhookOutcome("ignored", "failure of a refund we never asked for")
        # A refund made in the provider's dashboard: record it so the books match the provider's.
        refund = Payment(
            dealer_id=deposit.dealer_id, deal_id=deposit.deal_id, kind=PaymentKind.REFUND, amount=event.amount,
            currency=deposit.currency, provider=deposit.provider, provider_reference=event.reference,
            idempotency_key=f"refund:{event.reference}"[:80], refund_of_id=deposit.id, reason="Refunded at the provider.",
        )
        session.add(refund)
        session.flush()
    if refund.refund_of_id != deposit.id:
        raise MalformedEvent("The refund does not belong to this payment.")
    if refund.status is not PaymentStatus.PENDING:
        return WebhookOutcome("ignored", f"refund already {refund.status.value}")
    deal = session.scalar(select(Deal).where(Deal.id == deposit.deal_id).with_for_update().execution_options(populate_existing=True))
    if not succeeded:
        refund.status, refund.failed_at, refund.failure_reason = PaymentStatus.FAILED, now, event.failure_reason or "refund failed"
        deal_service.record_event(session, deal, "refund_failed", channel="system", note=refund.failure_reason)
        notify_roles(session, dealer=dealer, roles=deal_service.MANAGERS, kind="payment.refund_failed", deal_id=deal.id,
                     title=Message("Deal %(number)s: a refund failed", {"number": deal.number}))
        return WebhookOutcome("applied", "refund failed")
    if event.amount != refund.amount or deposit.refunded_amount + refund.amount > deposit.amount:
        raise MalformedEvent("The refunded amount does not match.")
    refund.status, refund.succeeded_at = PaymentStatus.SUCCEEDED, now
    deposit.refunded_amount += refund.amount
    deposit.status = PaymentStatus.REFUNDED if deposit.refunded_amount >= deposit.amount else PaymentStatus.PARTIALLY_REFUNDED
    deal.deposit_paid = max(deal.deposit_paid - refund.amount, ZERO)
    audit.record(session, "payment.refunded", refund, after={"amount": refund.amount, "deposit": deposit.id})
    deal_service.record_event(session, deal, "refund_confirmed", channel="system",
                              note=_money(refund.amount, refund.currency, "en"))
    locale = _customer_locale(deal)
    notify_customer(
        session, email=deal.customer.email, locale=locale,
        subject=Message("Refund of your reservation deposit (%(number)s)", {"number": deal.number}),
        body=Message("%(dealer)s refunded %(amount)s of your reservation deposit for %(vehicle)s (refund reference %(reference)s).",
                     {"dealer": dealer.name, "amount": _money(refund.amount, refund.currency, locale),
                      "vehicle": deal.vehicle_label, "reference": refund.provider_reference}),
    )
    consultant = session.get(User, deal.consultant_id) if deal.consultant_id else None
    notify_roles(session, dealer=dealer, roles=deal_service.MANAGERS, extra=[consultant], kind="payment.refunded", deal_id=deal.id,
                 title=Message("Deal %(number)s: refund of %(amount)s confirmed",
                               {"number": deal.number, "amount": _money(refund.amount, refund.currency, dealer.locale)}))
    return WebhookOutcome("applied", "refunded")


# --- refunds ---------------------------------------------------------------------------------------------


def issue_refund(session: Session, deposit: Payment, amount: Decimal, *, reason: str, actor: User | None,
                 now: datetime | None = None) -> Payment:
    """Ask the provider to refund ``amount`` of ``deposit``; return the pending refund payment (flushed).

    ``amount`` must be above zero, in the currency's minor units and at most ``refundable_amount``.
    Raises ``PaymentError`` otherwise, or when the provider refuses; nothing is written then.
    ``deal.deposit_paid`` changes only when the provider confirms (webhook).
    """
    now = now or utcnow()
    if amount is None or amount <= ZERO:
        raise PaymentError("Enter a refund amount above zero.")
    if amount != amount.quantize(quantum(deposit.currency)):
        raise PaymentError("The amount has more decimals than the currency allows.")
    remaining = refundable_amount(session, deposit)
    if amount > remaining:
        raise PaymentError("The refund is larger than the deposit that remains (%(remaining)s).",
                           remaining=_ui_money(remaining, deposit.currency))
    count = session.scalar(select(func.count(Payment.id)).where(Payment.refund_of_id == deposit.id)) or 0
    refund = Payment(
        dealer_id=deposit.dealer_id, deal_id=deposit.deal_id, kind=PaymentKind.REFUND, amount=amount, currency=deposit.currency,
        provider=deposit.provider, idempotency_key=f"refund:{deposit.id}:{count + 1}", refund_of_id=deposit.id,
        reason=reason[:500], actor_user_id=actor.id if actor else None,
    )
    try:
        reference = provider_for(session, deposit.provider).refund(deposit, amount)
    except ProviderError as exc:
        raise PaymentError(str(exc)) from exc
    refund.provider_reference = reference
    session.add(refund)
    session.flush()
    deal_service.record_event(session, deposit.deal, "refund_requested", actor=actor, channel="online" if actor else "system",
                              note=f"{_money(amount, deposit.currency, 'en')} · {reason}"[:4000])
    audit.record(session, "payment.refund", refund, after={"amount": amount, "deposit": deposit.id, "reason": reason[:200]})
    return refund


def refund_window_open(settings: ReservationSettings | None, deposit: Payment, now: datetime) -> bool:
    """Return True when the dealer's terms still refund ``deposit`` at ``now``.

    ``refundable`` False → never; ``refundable_days`` None → until delivery; else until
    ``succeeded_at + refundable_days`` days (inclusive of that instant).
    """
    if settings is None:
        return True
    if not settings.refundable:
        return False
    if settings.refundable_days is None or deposit.succeeded_at is None:
        return True
    return now <= deposit.succeeded_at + timedelta(days=settings.refundable_days)


def refund_on_cancel(session: Session, deal: Deal, now: datetime) -> None:
    """``CANCEL_HOOKS`` entry: refund what remains of each paid deposit when the dealer's terms allow, else keep it."""
    settings = session.scalar(select(ReservationSettings))
    for deposit in payments_of(session, deal):
        if deposit.kind is not PaymentKind.DEPOSIT:
            continue
        remaining = refundable_amount(session, deposit)
        if remaining <= ZERO:
            continue
        if refund_window_open(settings, deposit, now):
            issue_refund(session, deposit, remaining, reason="Deal cancelled", actor=None, now=now)
        else:
            deal_service.record_event(session, deal, "deposit_kept", channel="system",
                                      note=_money(remaining, deposit.currency, "en"))


deal_service.CANCEL_HOOKS.append(refund_on_cancel)


def refund_policy_text(session: Session, locale: str) -> str:
    """Return the current dealer's refund policy in ``locale`` (else English, else any), or ""."""
    conditions = session.scalar(select(PurchasingConditions))
    texts = (conditions.refund_policy if conditions else None) or {}
    return texts.get(locale) or texts.get(locale.split("_")[0]) or texts.get("en") or next(iter(texts.values()), "")


def reservation_terms(session: Session) -> ReservationSettings | None:
    """Return the current dealer's reservation settings, or None when never saved."""
    return session.scalar(select(ReservationSettings))
