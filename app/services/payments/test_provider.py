"""The built-in ``test`` payment provider: a hosted checkout of its own, test cards, a signed-webhook outbox.

It behaves like a real hosted checkout so the whole flow can be exercised without a network:

* ``create_checkout`` opens a session and returns ``/pay/test/<session_id>`` (a page outside the
  dealer's pages, as a provider's would be);
* on that page the customer enters a card: ``4242 4242 4242 4242`` pays, ``4000 0000 0000 0002``
  is declined (the customer may try again), ``4000 0000 0000 0119`` never answers (the payment
  stays pending until Forecourt expires it);
* the result goes into the provider's **outbox** (``TestWebhook``) as a JSON event and is
  delivered, signed with the merchant's secret (timestamped HMAC-SHA256, ``provider.sign``), to
  the webhook handler. Delivery is in-process (``deliver``): no network at all. A row can be
  delivered again (a duplicate) and rows in any order (out-of-order events).

When deliveries happen: with ``PAYMENT_TEST_AUTODELIVER`` (default on) every request that queued
an event delivers the outbox right after its view committed (``after_this_request``); outside a
request (tests, scripts) call ``deliver_pending`` or ``deliver``; ``flask payments
deliver-webhooks`` delivers what is left (e.g. after a failed delivery).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from flask import after_this_request, current_app, g, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.payments import Payment, TestCheckoutSession, TestWebhook
from app.services.payments.provider import (
    CHECKOUT_FAILED,
    CHECKOUT_SUCCEEDED,
    REFUND_SUCCEEDED,
    SIGNATURE_HEADER,
    PaymentProvider,
    ProviderError,
    sign,
)

log = logging.getLogger(__name__)

SUCCESS_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
TIMEOUT_CARD = "4000000000000119"
#: Card number → what the test bank does with it.
TEST_CARDS = {SUCCESS_CARD: "success", DECLINE_CARD: "decline", TIMEOUT_CARD: "timeout"}


class CheckoutInputError(ValueError):
    """The customer's card input on the test checkout page is refused; the message is shown."""


def luhn_ok(number: str) -> bool:
    """Return True when ``number`` (digits only) passes the Luhn check (ISO/IEC 7812-1)."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class TestProvider(PaymentProvider):
    """The ``test`` provider; its state lives in ``TestCheckoutSession`` and ``TestWebhook`` of ``session``."""

    __test__ = False
    name = "test"

    def __init__(self, session: Session, secret_for: Callable[[str], str | None], **kwargs) -> None:
        super().__init__(secret_for, **kwargs)
        self.session = session

    def create_checkout(self, payment: Payment, *, return_url: str, description: str) -> str:
        """Open a checkout session for ``payment`` (its ``expires_at`` is the session's) and return its page URL."""
        session_id = f"cs_test_{secrets.token_urlsafe(18)}"
        self.session.add(
            TestCheckoutSession(
                dealer_id=payment.dealer_id, session_id=session_id, amount=payment.amount, currency=payment.currency,
                description=description[:200], return_url=return_url[:1000], expires_at=payment.expires_at or utcnow(),
            )
        )
        payment.provider_reference = session_id
        self.session.flush()
        return url_for("payments.test_checkout", session_id=session_id)

    def refund(self, payment: Payment, amount: Decimal) -> str:
        """Refund ``amount`` of a paid checkout; queue ``refund.succeeded``; return the refund reference."""
        checkout = self.checkout(payment.provider_reference or "")
        if checkout is None or checkout.status != "paid":
            raise ProviderError("Only a paid checkout can be refunded.")
        if amount <= 0 or checkout.refunded_amount + amount > checkout.amount:
            raise ProviderError("The refund is larger than what remains of the payment.")
        return self._refund(checkout, amount)

    def dashboard_refund(self, session_id: str, amount: Decimal) -> str:
        """Refund from the provider's own dashboard (Forecourt did not ask): queue the event, return its reference."""
        checkout = self.checkout(session_id)
        if checkout is None or checkout.status != "paid" or checkout.refunded_amount + amount > checkout.amount:
            raise ProviderError("Nothing to refund.")
        return self._refund(checkout, amount)

    def _refund(self, checkout: TestCheckoutSession, amount: Decimal) -> str:
        reference = f"re_test_{secrets.token_urlsafe(18)}"
        checkout.refunded_amount += amount
        self.queue(checkout, REFUND_SUCCEEDED, reference=reference, amount=amount, payment_reference=checkout.session_id)
        return reference

    # --- the provider's side -----------------------------------------------------------------------

    def checkout(self, session_id: str) -> TestCheckoutSession | None:
        """Return the checkout session ``session_id`` of the current scope, or None."""
        return self.session.scalar(select(TestCheckoutSession).where(TestCheckoutSession.session_id == session_id))

    def pay(self, checkout: TestCheckoutSession, card_number: str, *, now: datetime) -> str:
        """Charge ``card_number`` on ``checkout``; return ``success``, ``decline`` or ``timeout``.

        Queues ``checkout.succeeded`` / ``checkout.failed``; the timeout card queues nothing (the
        bank never answers). Raises ``CheckoutInputError`` for a number that is not a card, an
        unknown test card, or a session that is paid, waiting for the bank, or expired.
        """
        number = "".join(ch for ch in card_number if ch.isdigit())
        if checkout.status in ("paid", "timed_out"):
            raise CheckoutInputError("This checkout is already complete.")
        if checkout.expires_at <= now:
            checkout.status = "expired"
            self.session.flush()
            raise CheckoutInputError("This checkout has expired. Go back to the shop and start again.")
        if not luhn_ok(number):
            raise CheckoutInputError("This is not a valid card number.")
        outcome = TEST_CARDS.get(number)
        if outcome is None:
            raise CheckoutInputError("Use one of the test cards listed on this page.")
        checkout.card_last4 = number[-4:]
        if outcome == "success":
            checkout.status = "paid"
            self.queue(checkout, CHECKOUT_SUCCEEDED, reference=checkout.session_id, amount=checkout.amount)
        elif outcome == "decline":
            checkout.status = "declined"
            self.queue(checkout, CHECKOUT_FAILED, reference=checkout.session_id, amount=checkout.amount,
                       failure_reason="card_declined")
        else:
            checkout.status = "timed_out"
        self.session.flush()
        return outcome

    def queue(self, checkout: TestCheckoutSession, event_type: str, *, reference: str, amount: Decimal,
              payment_reference: str = "", failure_reason: str = "") -> TestWebhook:
        """Put one event in the outbox (and have it delivered after this request when auto-delivery is on)."""
        event_id = f"evt_test_{secrets.token_urlsafe(18)}"
        body = json.dumps({
            "id": event_id, "type": event_type, "created": int(utcnow().timestamp()),
            "data": {"reference": reference, "payment_reference": payment_reference, "amount": str(amount),
                     "currency": checkout.currency, "failure_reason": failure_reason},
        }, separators=(",", ":"))
        row = TestWebhook(dealer_id=checkout.dealer_id, event_id=event_id, event_type=event_type,
                          session_id=checkout.session_id, body=body)
        self.session.add(row)
        self.session.flush()
        _schedule_delivery()
        return row

    def signed_headers(self, row: TestWebhook, *, timestamp: int) -> dict[str, str]:
        """Return the headers of a delivery of ``row`` signed at ``timestamp`` with the merchant's secret."""
        secret = self.secret_for(row.session_id) or ""
        return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, row.body.encode(), timestamp)}


def _schedule_delivery() -> None:
    if not (has_request_context() and current_app.config.get("PAYMENT_TEST_AUTODELIVER", True)):
        return
    if g.get("_payments_delivery_scheduled"):
        return
    g._payments_delivery_scheduled = True

    @after_this_request
    def _deliver(response):
        from app.extensions import db

        try:
            deliver_pending(db.session)
        except Exception:  # a failed delivery stays in the outbox; the page the user asked for still answers
            log.exception("test provider: webhook delivery failed")
            db.session.rollback()
        return response


def deliver(session: Session, row: TestWebhook, *, timestamp: int | None = None, body: bytes | None = None) -> int:
    """Deliver one outbox ``row`` to the webhook handler in-process; return the HTTP status it answered.

    Plays the provider calling ``POST /webhooks/payments/test``: the handler's transaction is
    committed (2xx) or rolled back (4xx) exactly as the webhook view does, then the row records the
    attempt. ``timestamp`` (unix seconds, default now) and ``body`` (default the row's) let tests
    send stale or tampered deliveries.
    """
    from app.services.payments import handle_webhook_delivery, provider_for
    from app.tenancy import scoped

    stamp = int(utcnow().timestamp()) if timestamp is None else timestamp
    session.commit()  # the provider's own records are committed before it sends anything
    row_id, dealer_id = row.id, row.dealer_id
    with scoped(dealer_id=dealer_id):
        provider = provider_for(session, "test")
        headers = provider.signed_headers(row, timestamp=stamp)
        payload = row.body.encode() if body is None else body
    status, _message = handle_webhook_delivery(session, "test", headers, payload)
    with scoped(dealer_id=dealer_id):
        fresh = session.get(TestWebhook, row_id)
        fresh.attempts += 1
        fresh.last_status = status
        if 200 <= status < 300 and fresh.delivered_at is None:
            fresh.delivered_at = utcnow()
        session.commit()
    return status


def deliver_pending(session: Session, *, session_id: str | None = None, rounds: int = 5) -> list[int]:
    """Deliver every undelivered outbox row of the current scope (oldest first); return their statuses.

    Events queued while delivering (a refund issued by a webhook) go out in the next round, up
    to ``rounds`` rounds; a row is tried at most 5 times in all (then ``flask payments
    deliver-webhooks`` or a test replays it).
    """
    statuses: list[int] = []
    tried: set[int] = set()
    for _round in range(rounds):
        query = select(TestWebhook).where(TestWebhook.delivered_at.is_(None), TestWebhook.attempts < 5)
        if session_id:
            query = query.where(TestWebhook.session_id == session_id)
        rows = [row for row in session.scalars(query.order_by(TestWebhook.id)) if row.id not in tried]
        if not rows:
            break
        for row in rows:
            tried.add(row.id)
            statuses.append(deliver(session, row))
    return statuses
