"""Reservation deposit through the test provider: checkout, signed webhooks (duplicates, out of order,
forged, unknown), declines, time-outs, refunds and cancellation refunds — at the service level.

Webhooks are delivered in-process from the provider's outbox (``test_provider.deliver``), which
signs each delivery and runs the handler as its own committed unit of work, like the HTTP view.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.deal_states import DealState
from app.extensions import db
from app.models.base import utcnow
from app.models.deals import Deal
from app.models.inventory import StockVehicle, VehicleStatus
from app.models.mail import OutboxMessage
from app.models.notifications import Notification
from app.models.payments import Payment, PaymentEvent, PaymentKind, PaymentStatus, TestWebhook
from app.services import deals as deal_service
from app.services import payments as svc
from app.services.payments import provider as prov
from app.services.payments.test_provider import (
    DECLINE_CARD,
    SUCCESS_CARD,
    TIMEOUT_CARD,
    deliver,
    deliver_pending,
    luhn_ok,
)
from tests import deal_factories

D = Decimal
RETURN = "http://localhost/p/token"


@pytest.fixture
def s(app, a1):
    """Dealer A1 scope inside a request context (the provider builds its checkout URL with ``url_for``)."""
    with app.test_request_context("/"):
        deal_factories.reservation_settings("500000", refundable=True, refundable_days=7)
        yield a1


def _deal(s, vehicle=None):
    car = vehicle or deal_factories.stock_vehicle(s.dealer)
    return deal_factories.deal(s.dealer, s.customer, s.consultant, vehicle=car), car


def _pay(deal, card=SUCCESS_CARD) -> Payment:
    payment = svc.start_checkout(db.session, deal, return_url=RETURN)
    provider = svc.provider_for(db.session, "test")
    provider.pay(provider.checkout(payment.provider_reference), card, now=utcnow())
    return payment


def _outbox(event_type=None) -> list[TestWebhook]:
    query = select(TestWebhook).order_by(TestWebhook.id)
    if event_type:
        query = query.where(TestWebhook.event_type == event_type)
    return list(db.session.scalars(query))


def _mails(to: str) -> list[OutboxMessage]:
    """Mails to ``to`` after the offer itself (the sent offer is the one mail with a PDF attached)."""
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipients.contains(to), ~OutboxMessage.attachments.any()).order_by(OutboxMessage.id)
    ))


def _events() -> int:
    return db.session.scalar(select(func.count(PaymentEvent.id)))


def test_luhn_and_signature_helpers():
    assert luhn_ok(SUCCESS_CARD) and luhn_ok(DECLINE_CARD) and luhn_ok(TIMEOUT_CARD)
    assert not luhn_ok("4242424242424241") and not luhn_ok("abcd")
    header = prov.sign("secret", b"{}", 1000)
    prov.verify_signature("secret", header, b"{}", now=1100)
    for bad_secret, body, now in (("other", b"{}", 1100), ("secret", b"{ }", 1100), ("secret", b"{}", 1000 + 301)):
        with pytest.raises(prov.SignatureError):
            prov.verify_signature(bad_secret, header, body, now=now)
    with pytest.raises(prov.SignatureError):
        prov.verify_signature("secret", "t=abc,v1=", b"{}", now=1000)


def test_happy_path_with_a_duplicated_webhook(s):
    deal, car = _deal(s)
    payment = _pay(deal)
    assert payment.checkout_url.startswith("/pay/test/cs_test_") and payment.amount == D("500000")
    assert deal.state is DealState.OFFER_ACCEPTED and deal.deposit_paid == 0  # nothing until the webhook
    [webhook] = _outbox()
    assert deliver(db.session, webhook) == 200
    db.session.expire_all()
    deal, payment, car = db.session.get(Deal, deal.id), db.session.get(Payment, payment.id), db.session.get(StockVehicle, car.id)
    assert payment.status is PaymentStatus.SUCCEEDED and payment.succeeded_at is not None
    assert deal.state is DealState.RESERVED and deal.deposit_paid == D("500000")
    assert car.status is VehicleStatus.RESERVED and car.reserved_at is not None
    receipts = _mails("minjun@example.com")
    assert len(receipts) == 1 and "Receipt" in receipts[0].subject and "₩500,000" in receipts[0].body_text
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "deal.reserve")) >= 2
    assert [e.kind for e in deal.events][-2:] == ["deposit_received", "reserve"]
    # The provider delivers the same event again: 200, nothing changes.
    assert deliver(db.session, webhook) == 200
    db.session.expire_all()
    deal = db.session.get(Deal, deal.id)
    assert deal.deposit_paid == D("500000") and _events() == 1 and len(_mails("minjun@example.com")) == 1
    assert db.session.get(TestWebhook, webhook.id).attempts == 2


def test_same_event_twice_through_http(s, client):
    deal, _car = _deal(s)
    _pay(deal)
    [webhook] = _outbox()
    provider = svc.provider_for(db.session, "test")
    headers = provider.signed_headers(webhook, timestamp=int(utcnow().timestamp()))
    db.session.commit()
    first = client.post("/webhooks/payments/test", data=webhook.body, headers=headers)
    second = client.post("/webhooks/payments/test", data=webhook.body, headers=headers)
    assert (first.status_code, first.json["result"]) == (200, "applied")
    assert (second.status_code, second.json["result"]) == (200, "duplicate")
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).deposit_paid == D("500000") and _events() == 1


def test_late_failed_after_succeeded_is_ignored(s):
    deal, _car = _deal(s)
    payment = _pay(deal)
    deliver_pending(db.session)
    provider = svc.provider_for(db.session, "test")
    checkout = provider.checkout(payment.provider_reference)
    late = provider.queue(checkout, prov.CHECKOUT_FAILED, reference=checkout.session_id, amount=checkout.amount,
                          failure_reason="card_declined")
    assert deliver(db.session, late) == 200
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status is PaymentStatus.SUCCEEDED
    assert db.session.get(Deal, deal.id).state is DealState.RESERVED
    assert db.session.scalar(select(PaymentEvent.outcome).where(PaymentEvent.event_id == late.event_id)) == "ignored"


def test_refund_before_succeeded_waits_then_applies(s):
    deal, _car = _deal(s)
    payment = _pay(deal)
    provider = svc.provider_for(db.session, "test")
    provider.dashboard_refund(payment.provider_reference, D("100000"))
    succeeded, refunded = _outbox()
    assert deliver(db.session, refunded) == 409  # the payment has not succeeded here yet
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status is PaymentStatus.PENDING and _events() == 0
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.kind == PaymentKind.REFUND)) == 0
    assert deliver(db.session, succeeded) == 200
    assert deliver(db.session, refunded) == 200  # the provider's retry
    db.session.expire_all()
    payment, deal = db.session.get(Payment, payment.id), db.session.get(Deal, deal.id)
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED and payment.refunded_amount == D("100000")
    assert deal.deposit_paid == D("400000") and deal.state is DealState.RESERVED


def test_success_after_a_decline_on_the_same_checkout(s):
    deal, _car = _deal(s)
    payment = _pay(deal, DECLINE_CARD)
    provider = svc.provider_for(db.session, "test")
    provider.pay(provider.checkout(payment.provider_reference), SUCCESS_CARD, now=utcnow())
    failed, succeeded = _outbox()
    assert deliver(db.session, succeeded) == 200
    assert deliver(db.session, failed) == 200  # arrives late: ignored
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status is PaymentStatus.SUCCEEDED
    assert db.session.get(Deal, deal.id).state is DealState.RESERVED


def test_forged_stale_or_tampered_webhooks_change_nothing(s):
    deal, _car = _deal(s)
    payment = _pay(deal)
    [webhook] = _outbox()
    now = int(utcnow().timestamp())
    tampered = webhook.body.replace('"500000.00"', '"5.00"').encode()
    assert tampered != webhook.body.encode()
    assert deliver(db.session, webhook, body=tampered) == 400
    assert deliver(db.session, webhook, timestamp=now - 3600) == 400  # replayed an hour later
    forged = {"Content-Type": "application/json", prov.SIGNATURE_HEADER: prov.sign("guessed-secret", webhook.body.encode(), now)}
    assert svc.handle_webhook_delivery(db.session, "test", forged, webhook.body.encode())[0] == 400
    assert svc.handle_webhook_delivery(db.session, "test", {}, webhook.body.encode())[0] == 400
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status is PaymentStatus.PENDING
    assert db.session.get(Deal, deal.id).deposit_paid == 0 and _events() == 0


def test_dealer_secret_from_reservation_settings_signs_the_webhooks(s, app):
    from app.services import field_crypto

    settings = deal_factories.reservation_settings("500000")
    settings.provider_secret_encrypted = field_crypto.encrypt(app.config, "whsec_dealer_a1_0123456789")
    deal, _car = _deal(s)
    payment = _pay(deal)
    [webhook] = _outbox()
    db.session.commit()
    now = int(utcnow().timestamp())
    default = svc.dealer_secret(db.session, s.dealer.id, "other")  # what a real provider would use
    assert default == "whsec_dealer_a1_0123456789"
    config_signed = {prov.SIGNATURE_HEADER: prov.sign(app.config["SECRET_KEY"], webhook.body.encode(), now)}
    assert svc.handle_webhook_delivery(db.session, "test", config_signed, webhook.body.encode())[0] == 400
    assert deliver(db.session, webhook) == 200
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status is PaymentStatus.SUCCEEDED


def test_unknown_payment_or_provider_or_garbage(s):
    deal, _car = _deal(s)
    _pay(deal)
    [webhook] = _outbox()
    body = json.loads(webhook.body)
    body["data"]["reference"] = "cs_test_nobody"
    body["id"] = "evt_test_unknown"
    db.session.commit()
    raw = json.dumps(body).encode()
    headers = {prov.SIGNATURE_HEADER: prov.sign("x", raw, int(utcnow().timestamp()))}
    # Unsigned callers learn nothing: an unknown reference answers like a forged signature.
    assert svc.handle_webhook_delivery(db.session, "test", headers, raw) == (400, "The webhook signature does not match.")
    assert svc.handle_webhook_delivery(db.session, "stripe", headers, raw)[0] == 404  # no such provider at all
    assert svc.handle_webhook_delivery(db.session, "test", headers, b"not json")[0] == 400
    assert _events() == 0


def test_decline_keeps_the_car_and_allows_a_new_attempt(s):
    deal, car = _deal(s)
    first = _pay(deal, DECLINE_CARD)
    deliver_pending(db.session)
    db.session.expire_all()
    first, deal = db.session.get(Payment, first.id), db.session.get(Deal, deal.id)
    assert first.status is PaymentStatus.FAILED and first.failure_reason == "card_declined"
    assert deal.state is DealState.OFFER_ACCEPTED and db.session.get(StockVehicle, car.id).status is VehicleStatus.IN_STOCK
    second = svc.start_checkout(db.session, deal, return_url=RETURN)
    assert second.id != first.id and second.idempotency_key.endswith(":2")


def test_double_click_reuses_the_pending_checkout(s):
    deal, _car = _deal(s)
    first = svc.start_checkout(db.session, deal, return_url=RETURN)
    assert svc.start_checkout(db.session, deal, return_url=RETURN).id == first.id


def test_timeout_card_never_answers_and_the_payment_expires(s, runner):
    deal, car = _deal(s)
    payment = _pay(deal, TIMEOUT_CARD)
    assert _outbox() == []  # the bank never answers
    assert svc.effective_status(payment, utcnow()) is PaymentStatus.PENDING
    later = utcnow() + timedelta(minutes=31)
    assert svc.effective_status(payment, later) is PaymentStatus.EXPIRED
    assert svc.expire_stale(db.session, utcnow()) == 0
    payment.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = runner.invoke(args=["payments", "expire"])
    assert "1 payment(s) expired." in result.output
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status is PaymentStatus.EXPIRED
    assert db.session.get(StockVehicle, car.id).status is VehicleStatus.IN_STOCK
    # A fresh checkout is possible; the expired session refuses the card.
    again = svc.start_checkout(db.session, db.session.get(Deal, deal.id), return_url=RETURN)
    assert again.id != payment.id and again.status is PaymentStatus.PENDING


def test_checkout_guard_when_the_car_is_taken(s):
    deal, car = _deal(s)
    car.status = VehicleStatus.RESERVED
    db.session.flush()
    with pytest.raises(svc.PaymentError, match="no longer available"):
        svc.start_checkout(db.session, deal, return_url=RETURN)
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_refund_larger_than_the_deposit_is_refused(s):
    deal, _car = _deal(s)
    payment = _pay(deal)
    deliver_pending(db.session)
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    for amount, message in ((D("500001"), "larger than the deposit"), (D("0"), "above zero"), (D("10.5"), "decimals")):
        with pytest.raises(svc.PaymentError, match=message):
            svc.issue_refund(db.session, payment, amount, reason="x", actor=s.principal)
    refund = svc.issue_refund(db.session, payment, D("200000"), reason="Goodwill", actor=s.principal)
    assert refund.status is PaymentStatus.PENDING
    with pytest.raises(svc.PaymentError):  # 200,000 pending + 300,001 > 500,000
        svc.issue_refund(db.session, payment, D("300001"), reason="x", actor=s.principal)
    assert db.session.get(Deal, deal.id).deposit_paid == D("500000")  # lowered only when confirmed
    deliver_pending(db.session)
    db.session.expire_all()
    deal, payment = db.session.get(Deal, deal.id), db.session.get(Payment, payment.id)
    assert deal.deposit_paid == D("300000") and payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert svc.refundable_amount(db.session, payment) == D("300000")
    assert any("Refund" in m.subject for m in _mails("minjun@example.com"))


def test_cancellation_within_the_refund_window_refunds_the_deposit(s):
    deal, car = _deal(s)
    payment = _pay(deal)
    deliver_pending(db.session)
    db.session.expire_all()
    deal = db.session.get(Deal, deal.id)
    deal_service.cancel(db.session, deal, dealer=s.dealer, reason="Changed my mind", actor=s.principal,
                        now=utcnow() + timedelta(days=6))
    db.session.commit()
    [refund_event] = _outbox(prov.REFUND_SUCCEEDED)
    assert deliver(db.session, refund_event) == 200
    db.session.expire_all()
    deal, payment = db.session.get(Deal, deal.id), db.session.get(Payment, payment.id)
    assert deal.state is DealState.CANCELLED and deal.deposit_paid == 0
    assert payment.status is PaymentStatus.REFUNDED and payment.refunded_amount == D("500000")
    assert db.session.get(StockVehicle, car.id).status is VehicleStatus.IN_STOCK


@pytest.mark.parametrize("refundable, days_later", [(True, 8), (False, 1)])
def test_cancellation_outside_the_refund_window_keeps_the_deposit(s, refundable, days_later):
    deal_factories.reservation_settings("500000", refundable=refundable, refundable_days=7)
    deal, _car = _deal(s)
    payment = _pay(deal)
    deliver_pending(db.session)
    db.session.expire_all()
    deal = db.session.get(Deal, deal.id)
    deal_service.cancel(db.session, deal, dealer=s.dealer, reason="Changed my mind", actor=s.principal,
                        now=utcnow() + timedelta(days=days_later))
    db.session.flush()
    assert _outbox(prov.REFUND_SUCCEEDED) == []
    assert deal.deposit_paid == D("500000") and "deposit_kept" in [e.kind for e in deal.events]
    assert db.session.get(Payment, payment.id).status is PaymentStatus.SUCCEEDED


def test_second_customer_paying_for_a_taken_car_is_refunded(s):
    """The serial version of the race (PostgreSQL runs it in parallel in test_payments_race.py)."""
    from app.models.customers import Customer

    car = deal_factories.stock_vehicle(s.dealer)
    first, _ = _deal(s, car)
    other = Customer(dealer_id=s.dealer.id, full_name="Second Buyer", email="second@example.com", preferred_locale="en")
    db.session.add(other)
    db.session.flush()
    second = deal_service.open_reservation(db.session, s.dealer, customer=other, vehicle=car, locale="en")
    p1, p2 = _pay(first), _pay(second)
    assert deliver_pending(db.session) == [200, 200, 200]  # two successes, then the loser's refund
    db.session.expire_all()
    first, second = db.session.get(Deal, first.id), db.session.get(Deal, second.id)
    assert first.state is DealState.RESERVED and second.state is DealState.CANCELLED
    assert db.session.get(Payment, p2.id).status is PaymentStatus.REFUNDED and second.deposit_paid == 0
    assert db.session.get(Payment, p1.id).status is PaymentStatus.SUCCEEDED
    assert db.session.get(StockVehicle, car.id).status is VehicleStatus.RESERVED
    assert any("being refunded" in m.subject for m in _mails("second@example.com"))
