"""Deal service: opening from an accepted offer, guards, offline records (O2O), cancellation, notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.deal_states import DealAction, DealState
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.deals import Deal
from app.models.inventory import VehicleStatus
from app.models.mail import OutboxMessage
from app.models.notifications import Notification
from app.services import deals as svc
from app.services import notifications
from tests import deal_factories
from tests.offer_factories import NOW

D = Decimal


def test_accepted_offer_opens_one_deal_with_its_figures(a1):
    deal_factories.reservation_settings("500000")
    car = deal_factories.stock_vehicle(a1.dealer)
    offer = deal_factories.accepted_offer(a1.dealer, a1.customer, a1.consultant, vehicle=car)
    deal = svc.open_from_offer(db.session, offer, a1.dealer, now=NOW)
    assert deal.number == offer.number
    assert deal.state is DealState.OFFER_ACCEPTED
    assert deal.out_the_door_price == D("35150000")  # 35,000,000 + 150,000 registration (VAT included)
    assert deal.deposit_amount == D("500000")
    assert deal.stock_vehicle_id == car.id
    assert deal.consultant_id == a1.consultant.id
    assert svc.open_from_offer(db.session, offer, a1.dealer) is deal  # a second accept post opens nothing new
    assert db.session.scalar(select(func.count(Deal.id))) == 1
    assert [e.kind for e in deal.events] == ["opened"]
    # the consultant, the manager and the principal are told, in-app and by e-mail
    recipients = set(db.session.scalars(select(Notification.user_id).where(Notification.deal_id == deal.id)))
    assert a1.consultant.id in recipients and a1.principal.id in recipients and len(recipients) == 3
    staff_mails = list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.like(f"%{deal.number}%"), OutboxMessage.recipients != a1.customer.email)
    ))
    assert len(staff_mails) == 3  # (the customer's copy of the sent offer is the other mail naming the number)
    assert all(f"/deals/{deal.id}" in m.body_text for m in staff_mails)  # the mail links to the deal page


def test_offer_not_accepted_opens_no_deal(a1):
    from tests import offer_factories

    offer = offer_factories.offer(a1.dealer, a1.customer, a1.consultant)
    with pytest.raises(svc.DealError, match="accepted"):
        svc.open_from_offer(db.session, offer, a1.dealer)


def test_reserve_needs_the_deposit_and_refusal_changes_nothing(a1):
    deal_factories.reservation_settings("500000")
    deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant)
    with pytest.raises(svc.DealError, match="deposit"):
        svc.advance(db.session, deal, DealAction.RESERVE, dealer=a1.dealer, actor=a1.consultant)
    assert deal.state is DealState.OFFER_ACCEPTED
    deal.deposit_paid = D("500000")
    svc.advance(db.session, deal, DealAction.RESERVE, dealer=a1.dealer, actor=a1.consultant)
    assert deal.state is DealState.RESERVED
    assert deal.events[-1].from_state == "offer_accepted" and deal.events[-1].to_state == "reserved"
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "deal.reserve")) == 1


def test_zero_deposit_dealer_reserves_at_once(a1):
    deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant)
    assert deal.deposit_amount == 0
    svc.advance(db.session, deal, DealAction.RESERVE, dealer=a1.dealer)
    assert deal.state is DealState.RESERVED


def test_fact_providers_feed_the_guards(a1):
    deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant, vehicle=deal_factories.stock_vehicle(a1.dealer))
    svc.advance(db.session, deal, DealAction.RESERVE, dealer=a1.dealer)
    with pytest.raises(svc.DealError, match="signed"):
        svc.advance(db.session, deal, DealAction.CONTRACT, dealer=a1.dealer)
    svc.FACT_PROVIDERS.append(lambda session, d: {"contract_signed": True, "offline": True})
    try:
        svc.advance(db.session, deal, DealAction.CONTRACT, dealer=a1.dealer)
    finally:
        svc.FACT_PROVIDERS.pop()
    assert deal.state is DealState.CONTRACTED


def test_cancel_releases_the_reserved_car_and_runs_hooks(a1):
    car = deal_factories.stock_vehicle(a1.dealer)
    deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant, vehicle=car)
    car.status = VehicleStatus.RESERVED
    seen = []
    svc.CANCEL_HOOKS.append(lambda session, d, now: seen.append(d.id))
    try:
        with pytest.raises(svc.DealError, match="reason"):
            svc.cancel(db.session, deal, dealer=a1.dealer, reason="  ", actor=a1.consultant)
        svc.cancel(db.session, deal, dealer=a1.dealer, reason="Customer bought elsewhere", actor=a1.consultant)
    finally:
        svc.CANCEL_HOOKS.pop()
    assert seen == [deal.id]
    assert deal.state is DealState.CANCELLED and deal.cancel_reason == "Customer bought elsewhere"
    assert car.status is VehicleStatus.IN_STOCK
    with pytest.raises(svc.DealError, match="no longer change"):
        svc.cancel(db.session, deal, dealer=a1.dealer, reason="again", actor=a1.consultant)


def test_e2e_deal_cannot_be_recorded_offline(a1):
    deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant)
    with pytest.raises(svc.DealError, match="online"):
        svc.record_offline(db.session, deal, DealAction.RESERVE, dealer=a1.dealer, actor=a1.principal,
                           performed_by="Kim", occurred_at=datetime.now(UTC))


def test_o2o_deal_is_completed_offline_with_who_and_when(a2):
    car = deal_factories.stock_vehicle(a2.dealer, price="35000000")
    deal = svc.open_reservation(db.session, a2.dealer, customer=a2.customer, vehicle=car, locale="en")
    assert deal.business_model == "O2O" and deal.out_the_door_price == D("35000000")
    when = datetime.now(UTC) - timedelta(hours=3)
    with pytest.raises(svc.DealError, match="who"):
        svc.record_offline(db.session, deal, DealAction.RESERVE, dealer=a2.dealer, actor=a2.principal, performed_by=" ", occurred_at=when)
    with pytest.raises(svc.DealError, match="future"):
        svc.record_offline(db.session, deal, DealAction.RESERVE, dealer=a2.dealer, actor=a2.principal,
                           performed_by="Lee", occurred_at=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(svc.DealError, match="Cannot deliver"):
        svc.record_offline(db.session, deal, DealAction.DELIVER, dealer=a2.dealer, actor=a2.principal, performed_by="Lee", occurred_at=when)
    for action in (DealAction.RESERVE, DealAction.CONTRACT, DealAction.SCHEDULE_DELIVERY):
        svc.record_offline(db.session, deal, action, dealer=a2.dealer, actor=a2.principal, performed_by="Lee Ji-eun", occurred_at=when)
    svc.record_offline(db.session, deal, DealAction.DELIVER, dealer=a2.dealer, actor=a2.principal, performed_by="Lee Ji-eun",
                       occurred_at=when, balance_paid=D("35000000"))
    assert deal.state is DealState.DELIVERED
    assert car.status is VehicleStatus.SOLD
    assert svc.settlement_of(deal).balanced
    offline = [e for e in deal.events if e.channel == "offline"]
    assert len(offline) == 4 and all(e.performed_by == "Lee Ji-eun" and e.actor_user_id == a2.principal.id for e in offline)
    assert abs(offline[0].occurred_at - when) < timedelta(seconds=1)


def test_notifications_unread_and_mark_read(a1):
    deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant)
    assert notifications.unread_count(db.session, a1.consultant.id) == 1
    rows = notifications.recent(db.session, a1.consultant.id)
    assert rows[0].title == f"Offer {deal.number} accepted: deal opened"
    assert notifications.mark_read(db.session, a1.consultant.id, datetime.now(UTC)) == 1
    assert notifications.unread_count(db.session, a1.consultant.id) == 0


def test_list_deals_filters_and_stays_in_tenant(a1):
    deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant)
    rows, total = svc.list_deals(db.session, q="민준")
    assert total == 1 and rows[0].id == deal.id
    assert svc.list_deals(db.session, state="delivered")[1] == 0
    assert svc.counts_by_state(db.session) == {"offer_accepted": 1}


def test_cancel_tells_the_customer_in_their_language_without_the_internal_reason(app, a1):
    from flask_babel import force_locale, gettext

    a1.customer.preferred_locale = "ko"
    deal = deal_factories.deal(a1.dealer, a1.customer, a1.consultant)
    svc.cancel(db.session, deal, dealer=a1.dealer, reason="Customer bought elsewhere", actor=a1.consultant)
    [mail] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipients == a1.customer.email, ~OutboxMessage.attachments.any())).all()
    with force_locale("ko"):
        assert mail.subject == gettext("Your purchase %(number)s has been cancelled", number=deal.number)
    assert mail.subject != f"Your purchase {deal.number} has been cancelled"
    assert "김민준" in mail.body_text and "bought elsewhere" not in mail.body_text
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "deal.cancel")))
    assert a1.consultant.id in told and a1.principal.id in told
