"""Issue #7 "Done when": one E2E deal from the accepted offer to the handover, every amount reconciled.

Dealer A1 (E2E, KRW, Seoul) with the trade-in factories' table: registration 150,000 KRW (not taxed) and a
5 % sales tax ADDED on the vehicle WITH trade-in credit. The consultant quotes a new 35,000,000 KRW stock
Tucson with a 60-month loan from a partner bank (5,000,000 down). Worked out by hand:

* accepted offer, no trade-in: 35,000,000 + 150,000 + 5 % × 35,000,000 = 36,900,000
* the customer's 2003 Accord is appraised at 12,000,000 with 4,500,000 still owed (equity 7,500,000);
  the new revision: tax 5 % × (35,000,000 − 12,000,000) = 1,150,000, out-the-door 36,300,000
* loan: balance after trade-in 36,300,000 − 7,500,000 = 28,800,000, minus 5,000,000 down = 23,800,000 financed
* reservation deposit 500,000 (part of the down payment); balance paid at handover
  36,300,000 − 500,000 − 23,800,000 − 7,500,000 = 4,500,000

deposit 500,000 + financed 23,800,000 + trade-in equity 7,500,000 + balance 4,500,000 = 36,300,000 ✓
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.deal_states import DealState
from app.domain.delivery_handover import CHECKLIST
from app.domain.finance_application import FinanceStatus
from app.domain.roles import Role
from app.extensions import db
from app.models.accounts import Membership
from app.models.base import utcnow
from app.models.inventory import VehicleStatus
from app.models.mail import OutboxMessage
from app.models.payments import Payment, PaymentKind, PaymentStatus, TestWebhook
from app.services import contracts, deal_amendments, deliveries, offer_builder, payments, trade_ins
from app.services import deals as deal_service
from app.services import finance_applications as finance
from app.services.payments.test_provider import SUCCESS_CARD, deliver
from app.services.storage import LocalStorage
from tests import deal_factories, finance_factories
from tests import trade_in_factories as tf
from tests.deals.delivery_setup import delivery_settings

D = Decimal


@pytest.fixture(autouse=True)
def _request(app, a1):
    """Builder, notifications and the checkout URL translate texts and build URLs: run inside a request."""
    with app.test_request_context():
        yield


def _builder_offer_with_loan(setup, bank, now):
    car = deal_factories.stock_vehicle(setup.dealer)
    car.odometer = 12
    data = offer_builder.BuilderInput(
        source="stock", stock_id=car.id,
        finance=offer_builder.ScenarioInput(bank_id=bank.id, term=60, down=D(5000000)),
    )
    membership = db.session.scalar(select(Membership).where(Membership.user_id == setup.consultant.id,
                                                            Membership.dealer_id == setup.dealer.id))
    result = offer_builder.build(db.session, dealer=setup.dealer, user=setup.consultant, membership=membership, data=data,
                                 now=now, locale="en")
    assert result.ok, result.errors
    offer = offer_builder.save(db.session, dealer=setup.dealer, user=setup.consultant, result=result,
                               customer=setup.customer, offer=None, base_revision_no=None, idempotency_key=None, now=now)
    return offer, car


def test_full_e2e_deal_from_accepted_offer_to_delivered(app, a1, tmp_path):
    now = utcnow()
    dealer, customer, consultant, principal = a1.dealer, a1.customer, a1.consultant, a1.principal
    tf.tax_table(dealer)
    deal_factories.reservation_settings("500000", refundable=True, refundable_days=7)
    delivery_settings(dealer)
    bank = finance_factories.partner_bank(dealer)

    # 1. The consultant's offer is sent and accepted: the deal opens.
    offer, car = _builder_offer_with_loan(a1, bank, now)
    tf.accept(offer, customer, consultant, approver=principal, now=now)
    deal = deal_service.open_from_offer(db.session, offer, dealer, now=now)
    assert (deal.state, deal.out_the_door_price, deal.deposit_amount) == (DealState.OFFER_ACCEPTED, D(36900000), D(500000))

    # 2. Trade-in: the customer sends the Accord through the link, the principal appraises, the value is applied.
    appraisal = trade_ins.submit(db.session, dealer=dealer, customer=customer, request=tf.request(), photos=(),
                                 storage=LocalStorage(tmp_path), deal=deal, now=now)
    trade_ins.appraise(db.session, appraisal, dealer=dealer, appraiser=principal, role=Role.DEALER_PRINCIPAL,
                       value=D(12000000), valid_until=(now + timedelta(days=7)).date(), notes="Clean", now=now)
    revision = trade_ins.apply_to_offer(db.session, appraisal, dealer=dealer, actor=consultant, now=now)
    assert revision.revision_no == 2 and deal.offer_revision_no == 2
    assert (deal.out_the_door_price, deal.trade_in_equity) == (D(36300000), D(7500000))
    loan = next(p for p in revision.snapshot["priced"]["payments"] if p["kind"] == "finance")
    assert D(loan["amount_financed"]) == D(23800000)
    # The appraisal changed the accepted figures: the customer accepts them (the contract waits for it).
    change = deal_amendments.pending_change(db.session, deal)
    assert change.principal_may_approve  # the customer pays less than accepted; they accept it themselves here
    deal_amendments.accept_by_customer(db.session, change, typed_name=customer.full_name, consent=True,
                                       ip="203.0.113.7", user_agent="pytest", now=now)

    # 3. Reservation deposit through the test provider; its success webhook arrives twice.
    payment = payments.start_checkout(db.session, deal, return_url="http://localhost/p/x", now=now)
    provider = payments.provider_for(db.session, "test")
    assert provider.pay(provider.checkout(payment.provider_reference), SUCCESS_CARD, now=utcnow()) == "success"
    webhook = db.session.scalar(select(TestWebhook).where(TestWebhook.event_type == "checkout.succeeded"))
    assert deliver(db.session, webhook) == 200
    assert deliver(db.session, webhook) == 200  # duplicate: recorded once
    db.session.refresh(deal)
    db.session.refresh(car)
    deposits = list(db.session.scalars(select(Payment).where(Payment.deal_id == deal.id, Payment.kind == PaymentKind.DEPOSIT)))
    assert len(deposits) == 1 and deposits[0].status is PaymentStatus.SUCCEEDED
    assert (deal.state, deal.deposit_paid, car.status) == (DealState.RESERVED, D(500000), VehicleStatus.RESERVED)

    # 4. Finance: submitted by the consultant with the customer, approved by the bank for the loan's figures.
    scenario = next(s for s in finance.scenarios(db.session, deal) if s.kind == "finance")
    application = finance.submit(
        db.session, deal, finance_factories.applicant(bank, scenario_index=scenario.index),
        dealer=dealer, config=app.config, actor=consultant, now=now,
    )
    assert deal.state is DealState.FINANCING and application.amount_financed == D(23800000)
    finance.start_review(db.session, application, actor=principal, now=now)
    finance.decide(db.session, application, finance.Decision(FinanceStatus.APPROVED, apr_percent=D("5.9"), term_months=60,
                                                             amount_financed=D(23800000)), dealer=dealer, actor=principal, now=now)
    assert (deal.amount_financed, deal.payment_kind) == (D(23800000), "finance")

    # 5. Contract: generated from the accepted revision, signed by the customer, countersigned by the principal.
    contract, created = contracts.generate(db.session, deal, dealer=dealer, actor=consultant, now=now)
    assert created and contract.version == 1
    contracts.sign_by_customer(db.session, contract, typed_name=customer.full_name, consent=True, ip="203.0.113.7",
                               user_agent="pytest", now=now)
    contracts.countersign(db.session, contract, principal=principal, role=Role.DEALER_PRINCIPAL, ip="10.0.0.1",
                          dealer=dealer, now=now)
    assert deal.state is DealState.CONTRACTED

    # 6. Delivery: a slot, the checklist, the balance, the handover.
    slot = deliveries.available_slots(db.session, dealer, now)[0]
    deliveries.book(db.session, deal, dealer=dealer, slot_date=slot.date, slot_start=slot.start, method="showroom_pickup",
                    actor=consultant, now=now)
    assert deal.state is DealState.DELIVERY_SCHEDULED
    deliveries.set_checklist(db.session, deal, {item.value for item in CHECKLIST}, actor=consultant, now=now)
    assert deal_service.settlement_of(deal).balance_due == D(4500000)
    deliveries.record_balance(db.session, deal, D(4500000), actor=consultant, now=now)
    # Handed over on the booked day (a handover before it is refused: tests/deals/test_vehicle_allocation.py).
    deliveries.hand_over(db.session, deal, dealer=dealer, odometer=15, signed_name=customer.full_name, consent=True,
                         actor=consultant, now=slot.starts_at)

    # Delivered, the car sold, and the money closes exactly on the out-the-door price.
    settlement = deal_service.settlement_of(deal)
    assert (deal.state, car.status) == (DealState.DELIVERED, VehicleStatus.SOLD)
    assert settlement.deposit_paid + settlement.amount_financed + settlement.trade_in_equity + settlement.balance_paid \
        == settlement.out_the_door_price == D(36300000)
    assert settlement.balanced
    kinds = [event.kind for event in deal.events if event.to_state]
    assert kinds == ["reserve", "start_financing", "contract", "schedule_delivery", "deliver"]
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.recipients.contains(customer.email))) >= 5
