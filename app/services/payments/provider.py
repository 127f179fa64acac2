"""The payment-provider interface, the webhook event it yields, and the timestamped HMAC signature.

A provider is what stands between Forecourt and the card networks: it hosts the checkout page
(``create_checkout`` → the URL to send the customer to), tells us the result by a signed webhook
(``verify_webhook`` → a trusted ``WebhookEvent``) and gives money back (``refund``).

Signature (the scheme Stripe and most hosted checkouts use): header
``Forecourt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>``. The
timestamp is part of what is signed, so an old delivery cannot be replayed outside the tolerance
(``PAYMENT_WEBHOOK_TOLERANCE`` seconds, default 300); the comparison is constant-time
(``hmac.compare_digest``). Several ``v1=`` entries are accepted (secret rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.models.payments import Payment

SIGNATURE_HEADER = "Forecourt-Signature"
DEFAULT_TOLERANCE = 300  # seconds

#: Event types every provider maps its own onto.
CHECKOUT_SUCCEEDED = "checkout.succeeded"
CHECKOUT_FAILED = "checkout.failed"
REFUND_SUCCEEDED = "refund.succeeded"
REFUND_FAILED = "refund.failed"
EVENT_TYPES = frozenset({CHECKOUT_SUCCEEDED, CHECKOUT_FAILED, REFUND_SUCCEEDED, REFUND_FAILED})


class WebhookError(ValueError):
    """A webhook we refuse; ``status`` is the HTTP status to answer with, the message says why."""

    status = 400


class SignatureError(WebhookError):
    """Missing, malformed, stale or wrong signature: the sender is not the provider (or is replaying)."""

    status = 400


class MalformedEvent(WebhookError):
    """The body is not an event we understand."""

    status = 400


class UnknownPayment(WebhookError):
    """The event is about a payment Forecourt never created."""

    status = 404


class NotYetApplicable(WebhookError):
    """An event that arrived before the one it depends on (a refund before the payment succeeded); retry later."""

    status = 409


class ProviderError(RuntimeError):
    """The provider refused a request (e.g. a refund of more than was paid); the message says why."""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified provider event.

    ``reference`` is the provider's id of the checkout (deposit) or the refund the event is about;
    ``payment_reference`` (refund events) the checkout that was refunded. ``amount`` is an exact
    Decimal in ``currency``. ``created`` is the provider's unix time of the event.
    """

    id: str
    type: str
    reference: str
    amount: Decimal
    currency: str
    created: int
    payment_reference: str = ""
    failure_reason: str = ""

    @classmethod
    def from_body(cls, body: bytes) -> WebhookEvent:
        """Parse a JSON event body; raises ``MalformedEvent`` for anything else."""
        try:
            data = json.loads(body)
            payload = data["data"]
            event = cls(
                id=str(data["id"])[:80], type=str(data["type"]), reference=str(payload["reference"])[:80],
                amount=Decimal(str(payload["amount"])), currency=str(payload["currency"])[:3],
                created=int(data["created"]), payment_reference=str(payload.get("payment_reference") or "")[:80],
                failure_reason=str(payload.get("failure_reason") or "")[:500],
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise MalformedEvent("The webhook body is not a payment event.") from exc
        if event.type not in EVENT_TYPES or not event.id or not event.reference:
            raise MalformedEvent("The webhook body is not a payment event.")
        return event

    def lookup_reference(self) -> str:
        """Return the reference that identifies the merchant's payment (the checkout for refunds too)."""
        return self.payment_reference or self.reference


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str | None, body: bytes, *, now: int, tolerance: int = DEFAULT_TOLERANCE) -> None:
    """Check ``header`` against ``body``; raises ``SignatureError`` unless it is fresh and correct.

    ``now`` and the header's ``t`` are unix seconds; a timestamp more than ``tolerance`` seconds
    away from ``now`` (either side) is refused.
    """
    if not header or not secret:
        raise SignatureError("The webhook signature is missing.")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("The webhook signature is malformed.")
    if abs(now - timestamp) > tolerance:
        raise SignatureError("The webhook signature has expired.")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates):
        raise SignatureError("The webhook signature does not match.")


class PaymentProvider(ABC):
    """One hosted-checkout provider.

    ``secret_for`` maps a payment reference to the merchant's webhook secret (the dealer's
    provider secret, decrypted) or None when the reference is unknown; ``tolerance`` is the
    signature age limit in seconds.
    """

    name: str = ""

    def __init__(self, secret_for: Callable[[str], str | None], *, tolerance: int = DEFAULT_TOLERANCE) -> None:
        self.secret_for = secret_for
        self.tolerance = tolerance

    @abstractmethod
    def create_checkout(self, payment: Payment, *, return_url: str, description: str) -> str:
        """Open a checkout for ``payment``, set its ``provider_reference`` and return the URL to redirect to."""

    @abstractmethod
    def refund(self, payment: Payment, amount: Decimal) -> str:
        """Ask the provider to give ``amount`` of the paid ``payment`` back; return the refund's reference.

        The outcome arrives later by webhook (``refund.succeeded`` / ``refund.failed``). Raises
        ``ProviderError`` when the provider refuses at once.
        """

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, *, now: int) -> WebhookEvent:
        """Return the event in ``body`` once its signature checks out.

        Raises ``MalformedEvent`` (not an event) or ``SignatureError`` (forged, stale or missing
        signature). An event for a reference nobody knows has no secret to be checked against, so
        it is answered exactly like a forged one: the endpoint never tells an unsigned caller which
        references exist (the signature is checked before anything is looked up for the caller).
        """
        event = WebhookEvent.from_body(body)
        secret = self.secret_for(event.lookup_reference())
        if secret is None:
            raise SignatureError("The webhook signature does not match.")
        verify_signature(secret, headers.get(SIGNATURE_HEADER), body, now=now, tolerance=self.tolerance)
        return event
