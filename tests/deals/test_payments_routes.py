"""Deposit pages end to end: the O2O reservation page, the purchase page card, the test provider's
checkout page (webhooks auto-delivered in-process after the request), the staff payments card and refund."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, select

from app.domain.deal_states import DealState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.dealer_settings import PurchasingConditions
from app.models.deals import Deal
from app.models.inventory import StockVehicle, VehicleStatus
from app.models.mail import OutboxMessage
from app.models.payments import Payment, PaymentKind, PaymentStatus
from app.services import deals as deal_service
from app.services.payments.test_provider import DECLINE_CARD, SUCCESS_CARD, TIMEOUT_CARD
from app.tenancy import scoped
from tests import deal_factories
from tests.conftest import csrf_token

D = Decimal


def _car(app, world, dealer_key="a2", deposit="500000", **overrides) -> int:
    with app.app_context(), scoped(dealer_id=world.ids[dealer_key], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids[dealer_key])
        deal_factories.reservation_settings(deposit, refundable=True, refundable_days=7)
        if db.session.scalar(select(PurchasingConditions)) is None:
            db.session.add(PurchasingConditions(dealer_id=dealer.id, refund_policy={"en": "Deposits are refunded within 5 business days."}))
        vin = overrides.pop("vin", "KMHJ381ABNU123456")
        car = deal_factories.stock_vehicle(dealer, vin=vin, stock_number=f"S{vin[-6:]}")
        for key, value in overrides.items():
            setattr(car, key, value)
        db.session.commit()
        return car.id


def _counts(app, world, dealer_key="a2") -> tuple[int, int, int]:
    with app.app_context(), scoped(dealer_id=world.ids[dealer_key]):
        return (db.session.scalar(select(func.count(Customer.id))), db.session.scalar(select(func.count(Deal.id))),
                db.session.scalar(select(func.count(Payment.id))))


def _pay_on_checkout(client, checkout_path: str, card: str):
    page = client.get(checkout_path)
    assert page.status_code == 200 and "TestPay" in page.get_data(as_text=True)
    token = csrf_token(client, checkout_path)
    return client.post(checkout_path, data={"csrf_token": token, "card_number": card})


def test_o2o_reservation_page_to_paid_purchase_page(app, client, world):
    car_id = _car(app, world)
    path = f"/r/{world.slugs['a2']}/{car_id}"
    page = client.get(path).get_data(as_text=True)
    assert "2026 Hyundai Tucson" in page and "Deposits are refunded within 5 business days." in page
    assert "refundable if you cancel within 7 days" in page
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "full_name": "Jane Roe", "email": "Jane@Example.com",
                                       "phone": "010-1234-5678", "terms": "y"})
    assert response.status_code == 302 and "/pay/test/cs_test_" in response.location
    checkout_path = response.location
    paid = _pay_on_checkout(client, checkout_path, "4242 4242 4242 4242")
    assert paid.status_code == 302 and "/p/" in paid.location  # back to the shop; the webhook was delivered
    purchase = client.get(paid.location).get_data(as_text=True)
    assert 'data-testid="deposit-status"' in purchase and "The vehicle is reserved for you." in purchase
    with app.app_context(), scoped(dealer_id=world.ids["a2"]):
        customer = db.session.scalar(select(Customer).where(Customer.email == "jane@example.com"))
        assert customer.full_name == "Jane Roe" and customer.phone_e164 == "+821012345678"
        deal = db.session.scalar(select(Deal).where(Deal.customer_id == customer.id))
        assert deal.state is DealState.RESERVED and deal.business_model == "O2O" and deal.deposit_paid == D("500000")
        assert db.session.get(StockVehicle, car_id).status is VehicleStatus.RESERVED
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.recipients == "jane@example.com", OutboxMessage.subject.contains("Receipt"))) == 1
    # The car is no longer offered; a second customer is told so, and nothing is saved.
    before = _counts(app, world)
    token = csrf_token(client, path)
    again = client.post(path, data={"csrf_token": token, "full_name": "Late Buyer", "email": "late@example.com", "terms": "y"})
    assert again.status_code == 409 and "no longer available" in again.get_data(as_text=True)
    assert _counts(app, world) == before


def test_reservation_page_bad_input_saves_nothing(app, client, world):
    car_id = _car(app, world)
    path = f"/r/{world.slugs['a2']}/{car_id}"
    before = _counts(app, world)
    token = csrf_token(client, path)
    cases = [
        {"full_name": "", "email": "jane@example.com", "terms": "y"},
        {"full_name": "Jane", "email": "", "terms": "y"},
        {"full_name": "Jane", "email": "not-an-email", "terms": "y"},
        {"full_name": "Jane", "email": "jane@example.com"},  # terms not accepted
        {"full_name": "Jane", "email": "jane@example.com", "phone": "12", "terms": "y"},
    ]
    for data in cases:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        assert 'class="field-error"' in response.get_data(as_text=True), data
    assert client.post(path, data={"full_name": "Jane", "email": "jane@example.com", "terms": "y"}).status_code == 400  # no CSRF
    assert _counts(app, world) == before


def test_reservation_page_only_for_the_dealers_priced_online_cars(app, client, world):
    unpriced = _car(app, world, vin="KMHJ381ABNU000001", price=None)
    sold = _car(app, world, vin="KMHJ381ABNU000002", status=VehicleStatus.SOLD)
    other_dealer_car = _car(app, world, dealer_key="a1", vin="KMHJ381ABNU000003")
    assert client.get(f"/r/{world.slugs['a2']}/{unpriced}").status_code == 404
    assert client.get(f"/r/{world.slugs['a2']}/{other_dealer_car}").status_code == 404
    assert client.get(f"/r/no-such-dealer/{sold}").status_code == 404
    page = client.get(f"/r/{world.slugs['a2']}/{sold}")
    assert page.status_code == 200 and "no longer available" in page.get_data(as_text=True)
    assert 'data-testid="reserve-submit"' not in page.get_data(as_text=True)


def test_e2e_reservation_page_too(app, client, world):
    car_id = _car(app, world, dealer_key="a1")
    path = f"/r/{world.slugs['a1']}/{car_id}"
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "full_name": "Minjun Kim", "email": "mk@example.com", "terms": "y"})
    assert response.status_code == 302 and "/pay/test/" in response.location


def _purchase_deal(app, world, *, taken=False) -> tuple[int, str]:
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        deal_factories.reservation_settings("500000")
        car = deal_factories.stock_vehicle(dealer)
        customer = Customer(dealer_id=dealer.id, full_name="Minjun Kim", email="minjun@example.com", preferred_locale="en")
        db.session.add(customer)
        db.session.flush()
        deal = deal_factories.deal(dealer, customer, db.session.get(User, world.ids["user_consultant_a1"]), vehicle=car)
        if taken:
            car.status = VehicleStatus.RESERVED
        db.session.commit()
        return deal.id, deal_service.make_link_token(deal, app.config["SECRET_KEY"])


def test_purchase_page_decline_then_pay(app, client, world):
    deal_id, token = _purchase_deal(app, world)
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert "Pay reservation deposit ₩500,000" in page
    csrf = csrf_token(client, f"/p/{token}")
    start = client.post(f"/p/{token}/deposit", data={"csrf_token": csrf})
    assert start.status_code == 302 and "/pay/test/" in start.location
    declined = _pay_on_checkout(client, start.location, DECLINE_CARD)
    assert declined.status_code == 302
    assert "Your payment was declined." in client.get(f"/p/{token}").get_data(as_text=True)
    bad = _pay_on_checkout(client, client.post(f"/p/{token}/deposit", data={"csrf_token": csrf}).location, "1234 5678 9012 3456")
    assert bad.status_code == 422 and "not a valid card number" in bad.get_data(as_text=True)
    retry = client.post(f"/p/{token}/deposit", data={"csrf_token": csrf})
    assert _pay_on_checkout(client, retry.location, SUCCESS_CARD).status_code == 302
    assert "The vehicle is reserved for you." in client.get(f"/p/{token}").get_data(as_text=True)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        statuses = [p.status for p in db.session.scalars(select(Payment).where(Payment.deal_id == deal_id).order_by(Payment.id))]
        assert statuses == [PaymentStatus.FAILED, PaymentStatus.SUCCEEDED]


def test_purchase_page_timeout_card_shows_processing(app, client, world):
    _deal_id, token = _purchase_deal(app, world)
    csrf = csrf_token(client, f"/p/{token}")
    start = client.post(f"/p/{token}/deposit", data={"csrf_token": csrf})
    waiting = _pay_on_checkout(client, start.location, TIMEOUT_CARD)
    assert waiting.status_code == 200 and 'data-testid="checkout-waiting"' in waiting.get_data(as_text=True)
    assert "Your payment is being processed." in client.get(f"/p/{token}").get_data(as_text=True)


def test_purchase_page_guard_when_the_car_is_taken(app, client, world):
    _deal_id, token = _purchase_deal(app, world, taken=True)
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert "no longer available" in page and 'data-testid="pay-deposit"' not in page
    csrf = csrf_token(client, f"/p/{token}")
    response = client.post(f"/p/{token}/deposit", data={"csrf_token": csrf}, follow_redirects=True)
    assert "no longer available" in response.get_data(as_text=True)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_staff_payments_card_and_refund(app, client, login, world):
    deal_id, token = _purchase_deal(app, world)
    csrf = csrf_token(client, f"/p/{token}")
    start = client.post(f"/p/{token}/deposit", data={"csrf_token": csrf})
    _pay_on_checkout(client, start.location, SUCCESS_CARD)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        deposit_id = db.session.scalar(select(Payment.id).where(Payment.deal_id == deal_id))
    login(world.emails["principal_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="payments-table"' in page and "Paid" in page and "Refund (up to ₩500,000)" in page
    assert "Deposit payment received" in page
    token = csrf_token(client, base)
    too_much = client.post(f"{base}/payments/{deposit_id}/refund", data={"csrf_token": token, "amount": "600000", "reason": "x"})
    assert too_much.status_code == 422 and "larger than the deposit that remains" in too_much.get_data(as_text=True)
    missing_reason = client.post(f"{base}/payments/{deposit_id}/refund", data={"csrf_token": token, "amount": "1000", "reason": ""})
    assert missing_reason.status_code == 422
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.scalar(select(func.count(Payment.id)).where(Payment.kind == PaymentKind.REFUND)) == 0
    ok = client.post(f"{base}/payments/{deposit_id}/refund", data={"csrf_token": token, "amount": "200000", "reason": "Goodwill"})
    assert ok.status_code == 302
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        deal = db.session.get(Deal, deal_id)
        assert deal.deposit_paid == D("300000")  # confirmed by the auto-delivered webhook
        assert db.session.get(Payment, deposit_id).status is PaymentStatus.PARTIALLY_REFUNDED
    assert "Refund confirmed by the provider" in client.get(base).get_data(as_text=True)


def test_consultant_cannot_refund(app, client, login, world):
    deal_id, _token = _purchase_deal(app, world)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        deal = db.session.get(Deal, deal_id)
        payment = Payment(dealer_id=deal.dealer_id, deal_id=deal.id, kind=PaymentKind.DEPOSIT, amount=D("500000"), currency="KRW",
                          provider="test", idempotency_key="x", status=PaymentStatus.SUCCEEDED)
        db.session.add(payment)
        db.session.commit()
        payment_id = payment.id
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    page = client.get(base).get_data(as_text=True)
    assert "Refund (up to" not in page
    token = csrf_token(client, base)
    assert client.post(f"{base}/payments/{payment_id}/refund", data={"csrf_token": token, "amount": "1", "reason": "x"}).status_code == 403


def test_webhook_endpoint_refuses_garbage_and_unknown_providers(client):
    assert client.post("/webhooks/payments/test", data=b"nonsense").status_code == 400
    assert client.post("/webhooks/payments/nope", data=b"{}").status_code == 404
    assert client.get("/pay/test/cs_test_unknown").status_code == 404


def test_checkout_link_shown_in_outbox_receipt_language(app, client, world):
    """The receipt goes to the customer in their language (Korean customer → Korean number formatting)."""
    deal_id, token = _purchase_deal(app, world)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        db.session.get(Deal, deal_id).customer.preferred_locale = "ko"
        db.session.commit()
    csrf = csrf_token(client, f"/p/{token}")
    start = client.post(f"/p/{token}/deposit", data={"csrf_token": csrf})
    _pay_on_checkout(client, start.location, SUCCESS_CARD)
    with app.app_context():
        body = db.session.scalar(select(OutboxMessage.body_text).where(OutboxMessage.recipients == "minjun@example.com")
                                 .order_by(OutboxMessage.id.desc()))
    assert re.search(r"₩500,000", body)
