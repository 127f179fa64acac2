"""Trade-in appraisal service: submit, queue, appraise (response time, notifications), apply to the offer, expiry.

Figures by hand (``tests/trade_in_factories``): a 35,000,000 KRW stock car, registration 150,000 (untaxed),
5 % sales tax ADDED on the vehicle with trade-in credit.

* before: 35,000,000 + 150,000 + 1,750,000 = 36,900,000 OTD, equity 0;
* value 12,000,000, payoff 4,500,000: tax 5 % × (35,000,000 − 12,000,000) = 1,150,000,
  OTD 35,000,000 + 150,000 + 1,150,000 = 36,300,000, equity 12,000,000 − 4,500,000 = 7,500,000;
* value 3,000,000, payoff 5,200,000 (negative equity): tax 5 % × 32,000,000 = 1,600,000,
  OTD 36,750,000, equity −2,200,000 (owed on top: balance due 36,750,000 + 2,200,000 = 38,950,000).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.deal_amendments import AmendmentStatus
from app.domain.offer_states import OfferState
from app.domain.roles import Role
from app.domain.trade_ins import TradeInError, TradeInStatus
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.inventory import VehicleStatus
from app.models.mail import OutboxMessage
from app.models.notifications import Notification
from app.models.trade_ins import TradeInAppraisal
from app.services import deal_amendments as amendments
from app.services import deals as deal_service
from app.services import offers as offer_service
from app.services import trade_ins as svc
from app.services.storage import LocalStorage
from tests import trade_in_factories as tf
from tests.offer_factories import NOW

D = Decimal


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "uploads")


@pytest.fixture(autouse=True)
def _request(app, a1):
    """The builder and the notifications translate texts: run inside a request (after ``a1`` set the scope)."""
    with app.test_request_context():
        yield


def _submit(setup, storage, deal=None, *, photos=(), now=NOW, **overrides):
    return svc.submit(db.session, dealer=setup.dealer, customer=setup.customer, request=tf.request(**overrides),
                      photos=photos, storage=storage, deal=deal, now=now)


def _appraise(setup, appraisal, value, *, valid_until=date(2026, 6, 20), now=NOW + timedelta(hours=2, minutes=30)):
    return svc.appraise(db.session, appraisal, dealer=setup.dealer, appraiser=setup.principal,
                        role=Role.DEALER_PRINCIPAL,
                        value=D(value), valid_until=valid_until, notes="Clean car", now=now)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_submit_stores_photos_and_notifies_consultant_and_appraisers(a1, storage):
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    appraisal = _submit(a1, storage, deal, photos=[svc.PhotoUpload(tf.image("PNG"), "front.png"),
                                                   svc.PhotoUpload(tf.image("JPEG"), "side.jpg")])
    assert appraisal.status is TradeInStatus.REQUESTED and appraisal.channel == "customer"
    assert appraisal.vin == tf.VIN and appraisal.payoff == D(4500000) and appraisal.condition["damage"] == "cosmetic"
    assert [p.content_type for p in appraisal.photos] == ["image/png", "image/jpeg"]
    assert all(storage.exists(p.storage_key) for p in appraisal.photos)
    assert deal.events[-1].kind == "trade_in_requested"
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (a1.consultant.id, "trade_in.requested") in kinds and (a1.principal.id, "trade_in.requested") in kinds


@pytest.mark.parametrize(("overrides", "field"), [
    ({"vin": "1HGCM82634A004352"}, "vin"),  # wrong check digit (North America: mandatory)
    ({"vin": "ABC123"}, "vin"),
    ({"payoff": D(-1)}, "payoff"),
    ({"payoff": D("10.5")}, "payoff"),  # KRW has no minor unit
    ({"year": 1900}, "year"),
    ({"odometer": -5}, "odometer"),
    ({"condition": {**tf.CONDITION, "tyres": "bald"}}, "tyres"),
])
def test_bad_input_is_refused_and_nothing_saved(a1, storage, overrides, field):
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    events = len(deal.events)
    with pytest.raises(TradeInError) as caught:
        _submit(a1, storage, deal, photos=[svc.PhotoUpload(tf.image("PNG"), "front.png")], **overrides)
    assert caught.value.field == field
    assert _count(TradeInAppraisal) == 0 and len(deal.events) == events
    assert not (storage.root.exists() and any(p.is_file() for p in storage.root.rglob("*")))


@pytest.mark.parametrize(("data", "name"), [
    (b"%PDF-1.7\n1 0 obj <<>> endobj\n", "car.jpg"),  # a PDF named .jpg: refused by content
    (tf.image("GIF"), "car.png"),  # a real image, but not JPEG/PNG
    (tf.image("PNG", size=(2400, 2400)) + b"\0" * (svc.MAX_PHOTO_BYTES + 1), "huge.png"),
], ids=["pdf-named-jpg", "gif", "too-large"])
def test_photo_validated_by_content_and_size(a1, storage, data, name):
    with pytest.raises(TradeInError) as caught:
        _submit(a1, storage, photos=[svc.PhotoUpload(tf.image("PNG"), "ok.png"), svc.PhotoUpload(data, name)])
    assert caught.value.field == "photos" and name in str(caught.value)
    assert _count(TradeInAppraisal) == 0 and not storage.root.exists()


def test_queue_is_oldest_first_and_appraisal_records_response_time(a1, storage):
    later = _submit(a1, storage, now=NOW + timedelta(hours=3), vin="1HGCM82633A004352")
    first = _submit(a1, storage, now=NOW)
    middle = _submit(a1, storage, now=NOW + timedelta(hours=1))
    assert [a.id for a in svc.queue(db.session)] == [first.id, middle.id, later.id]
    assert svc.waiting(first, NOW + timedelta(minutes=90)) == timedelta(minutes=90)

    _appraise(a1, first, "12000000", now=NOW + timedelta(hours=2, minutes=30))
    assert first.status is TradeInStatus.APPRAISED and first.response_seconds == 9000
    assert first.appraised_at == NOW + timedelta(hours=2, minutes=30) and first.appraiser_id == a1.principal.id
    assert [a.id for a in svc.queue(db.session)] == [middle.id, later.id]
    times = svc.response_times(db.session, since=NOW)
    assert (times.count, times.median_seconds, times.max_seconds) == (1, 9000, 9000)
    with pytest.raises(TradeInError):  # appraised once: not again
        _appraise(a1, first, "1")


def test_appraise_rules_and_customer_email_in_their_language(a1, storage):
    a1.customer.preferred_locale = "ko"  # this customer reads Korean
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    appraisal = _submit(a1, storage, deal)
    with pytest.raises(TradeInError, match="sales manager"):
        svc.appraise(db.session, appraisal, dealer=a1.dealer, appraiser=a1.consultant, role=Role.SALES_CONSULTANT,
                     value=D(1), valid_until=date(2026, 6, 20), now=NOW)
    with pytest.raises(TradeInError) as negative:
        _appraise(a1, appraisal, "-1")
    assert negative.value.field == "value"
    with pytest.raises(TradeInError) as past:  # NOW is 2026-06-15 12:00 in Seoul
        _appraise(a1, appraisal, "12000000", valid_until=date(2026, 6, 14), now=NOW)
    assert past.value.field == "valid_until" and appraisal.status is TradeInStatus.REQUESTED
    _appraise(a1, appraisal, "12000000", valid_until=date(2026, 6, 15), now=NOW)  # today is allowed
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipients.contains("minjun@example.com"), ~OutboxMessage.attachments.any(),  # not the offer PDF mail
    )).all()
    assert len(mail) == 1 and "2003 Honda Accord" in mail[0].subject
    assert "₩12,000,000" in mail[0].body_text and "2026년 6월 15일" in mail[0].body_text  # customer speaks Korean
    appraised = db.session.scalars(select(Notification).where(Notification.kind == "trade_in.appraised")).all()
    assert [n.user_id for n in appraised] == [a1.consultant.id]
    assert deal.events[-1].kind == "trade_in_appraised"


def test_apply_to_accepted_offer_adds_revision_and_updates_deal_money(a1, storage):
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    assert (deal.out_the_door_price, deal.trade_in_equity) == (D(36900000), D(0))
    deal.stock_vehicle.status = VehicleStatus.RESERVED  # the car is held for this deal: re-pricing still works
    appraisal = _submit(a1, storage, deal)
    _appraise(a1, appraisal, "12000000")
    revision = svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=NOW + timedelta(days=1))

    offer = deal.offer
    assert offer.state is OfferState.ACCEPTED and offer.current_revision_no == revision.revision_no == 2
    priced = revision.snapshot["priced"]
    assert (D(priced["trade_in_allowance"]), D(priced["trade_in_payoff"])) == (D(12000000), D(4500000))
    tax = next(line for line in priced["tax_lines"] if line["code"] == "ST")
    assert D(tax["amount"]) == D(1150000)
    assert revision.out_the_door_price == offer.out_the_door_price == D(36300000)
    assert revision.inputs["trade_in"]["vin"] == tf.VIN and revision.inputs["trade_in"]["condition"] == "good"
    assert deal.offer_revision_no == 2
    assert deal.out_the_door_price == D(36300000) and deal.trade_in_equity == D(7500000)
    assert deal_service.settlement_of(deal).balance_due == D(28800000)
    assert appraisal.applied_revision_no == 2
    assert [e.kind for e in deal.events][-2:] == ["trade_in_applied", "change_requested"]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"offer.amend", "deal.trade_in", "trade_in.apply"} <= actions
    with pytest.raises(TradeInError, match="already"):
        svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=NOW + timedelta(days=1))


def test_negative_equity_payoff_above_value(a1, storage):
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    appraisal = _submit(a1, storage, deal, payoff=D(5200000))
    _appraise(a1, appraisal, "3000000")
    assert svc.equity_of(appraisal) == D(-2200000)
    svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.principal, now=NOW + timedelta(days=1))
    assert deal.out_the_door_price == D(36750000) and deal.trade_in_equity == D(-2200000)
    assert deal_service.settlement_of(deal).balance_due == D(38950000)


def test_apply_before_acceptance_makes_a_draft_revision(a1, storage):
    tf.tax_table(a1.dealer)
    offer = tf.builder_offer(a1.dealer, a1.customer, a1.consultant)
    offer_service.send_offer(db.session, offer, actor=a1.consultant, now=NOW)
    appraisal = svc.submit(db.session, dealer=a1.dealer, customer=a1.customer, request=tf.request(), photos=[],
                           storage=storage, offer=offer, actor=a1.consultant, now=NOW)
    assert appraisal.channel == "staff"
    _appraise(a1, appraisal, "12000000")
    revision = svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=NOW + timedelta(hours=3))
    assert offer.state is OfferState.DRAFT and revision.revision_no == 2
    assert offer.out_the_door_price == D(36300000)


def test_expired_appraisal_is_refused(a1, storage):
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    appraisal = _submit(a1, storage, deal)
    _appraise(a1, appraisal, "12000000", valid_until=date(2026, 6, 20))
    # Valid through 2026-06-20 in Seoul: it expires at local midnight, 2026-06-20T15:00Z.
    end = datetime(2026, 6, 20, 15, 0, tzinfo=UTC)
    assert not svc.expire_if_due(db.session, appraisal, a1.dealer.timezone, end - timedelta(seconds=1))
    with pytest.raises(TradeInError, match="expired"):
        svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=end)
    assert deal.offer_revision_no == 1 and deal.offer.current_revision_no == 1 and appraisal.applied_revision_no is None
    assert svc.expire_if_due(db.session, appraisal, a1.dealer.timezone, end)
    assert appraisal.status is TradeInStatus.EXPIRED
    with pytest.raises(TradeInError, match="expired"):
        svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=end - timedelta(days=1))


def test_discount_approval_carries_over_and_the_principal_may_accept_a_lower_total(a1, storage):
    # 1,000,000 off without discount authority: approved once by the principal before sending. The
    # appraisal keeps that discount, so the approval carries over instead of refusing the trade-in.
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant, discount="1000000", approver=a1.principal)
    appraisal = _submit(a1, storage, deal)
    _appraise(a1, appraisal, "12000000")
    revision = svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.principal, now=NOW + timedelta(days=1))
    offer = deal.offer
    assert offer.state is OfferState.ACCEPTED and revision.revision_no == 2 and revision.needs_approval
    assert offer_service.valid_approval(offer).comment == "← v1"  # the principal's approval, bound to the new hash
    assert offer_service.valid_approval(offer).decided_by_id == a1.principal.id
    # 34,000,000 net: tax 5 % × (34,000,000 − 12,000,000) = 1,100,000; OTD 35,250,000; equity 7,500,000
    assert (deal.offer_revision_no, deal.out_the_door_price, deal.trade_in_equity) == (2, D(35250000), D(7500000))
    change = amendments.pending_change(db.session, deal)
    # no trade-in before: the customer pays 35,850,000 → 27,750,000, so the principal may accept it
    assert (change.customer_total_before, change.customer_total_after) == (D(35850000), D(27750000))
    assert change.principal_may_approve and change.kinds == {"trade_in"}
    amendments.approve_by_principal(db.session, change, principal=a1.principal, role=Role.DEALER_PRINCIPAL)
    assert change.status is AmendmentStatus.APPROVED and change.decided_by_id == a1.principal.id
    assert amendments.pending_change(db.session, deal) is None and deal.events[-1].kind == "change_approved"


def test_appraisal_below_the_estimate_is_a_change_the_customer_accepts(a1, storage):
    """Estimate 14,000,000 → appraisal 12,000,000 (payoff 4,500,000 both times).

    Before: tax 5 % × (35,000,000 − 14,000,000) = 1,050,000, OTD 36,200,000, equity 9,500,000 → the customer
    pays 26,700,000. After: tax 1,150,000, OTD 36,300,000, equity 7,500,000 → 28,800,000 (+2,100,000).
    """
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant, trade_in=tf.ESTIMATE)
    assert (deal.out_the_door_price, deal.trade_in_equity) == (D(36200000), D(9500000))
    appraisal = _submit(a1, storage, deal)
    _appraise(a1, appraisal, "12000000")
    svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=NOW + timedelta(days=1),
                       link="https://x/p/t")
    assert (deal.out_the_door_price, deal.trade_in_equity) == (D(36300000), D(7500000))
    change = amendments.pending_change(db.session, deal)
    assert [(c.key, c.old, c.new) for c in amendments.changes_of(change)] == [
        ("trade_in_allowance", D(14000000), D(12000000)), ("trade_in_equity", D(9500000), D(7500000)),
        ("out_the_door_price", D(36200000), D(36300000)), ("balance_due", D(26700000), D(28800000)),
    ]
    assert (change.customer_total_before, change.customer_total_after) == (D(26700000), D(28800000))
    assert not change.principal_may_approve and change.offer_revision_no == 2
    assert change.reasons == [{"kind": "trade_in", "appraisal_id": appraisal.id, "offer_revision_no": 2,
                               "vehicle": "2003 Honda Accord"}]
    assert [e.kind for e in deal.events][-2:] == ["trade_in_applied", "change_requested"]
    with pytest.raises(deal_service.DealError, match="only the customer"):
        amendments.approve_by_principal(db.session, change, principal=a1.principal, role=Role.DEALER_PRINCIPAL)
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients.contains("minjun@example.com"))).all()
    assert any("https://x/p/t" in m.body_text for m in mail)
    amendments.accept_by_customer(db.session, change, typed_name="김민준", consent=True, ip="", user_agent="")
    assert change.status is AmendmentStatus.ACCEPTED


def test_the_loan_follows_the_appraisal(app, a1, storage):
    """Approved loan of 21,700,000 (36,200,000 − 9,500,000 equity − 5,000,000 down); the appraisal adds 2,100,000.

    Bank approved exactly 21,700,000: the loan cannot grow, so the 2,100,000 is due at delivery. With an
    application not decided yet, the re-priced scenario (23,800,000) is what the bank decides on.
    """
    from app.domain.deal_states import DealAction
    from app.domain.finance_application import FinanceStatus
    from app.services import finance_applications as finance
    from tests import deal_factories
    from tests.finance_factories import applicant, partner_bank

    deal_factories.reservation_settings("0")
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant, trade_in=tf.ESTIMATE, finance=tf.LOAN)
    deal_service.advance(db.session, deal, DealAction.RESERVE, dealer=a1.dealer, actor=a1.consultant)
    application = finance.submit(db.session, deal, applicant(partner_bank(a1.dealer)), dealer=a1.dealer,
                                 config=app.config, actor=a1.consultant)
    assert application.amount_financed == D(21700000)
    appraisal = _submit(a1, storage, deal)
    _appraise(a1, appraisal, "12000000")
    svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=NOW + timedelta(days=1))
    assert (application.down_payment, application.amount_financed) == (D(5000000), D(23800000))
    change = amendments.pending_change(db.session, deal)
    rows = {c.key: (c.old, c.new) for c in amendments.changes_of(change)}
    assert rows["amount_financed"] == (D(21700000), D(23800000))  # as applied for: the bank decides on the new one
    assert rows["monthly_payment"][0] < rows["monthly_payment"][1]
    finance.decide(db.session, application, finance.Decision(FinanceStatus.APPROVED, apr_percent=D("5.9"), term_months=60,
                                                             amount_financed=D(23800000)), dealer=a1.dealer, actor=a1.principal)
    assert deal.amount_financed == D(23800000) and amendments.pending_change(db.session, deal).id == change.id


def test_an_approved_loan_takes_the_change_only_up_to_the_bank_approval(app, a1, storage):
    from app.domain.deal_states import DealAction
    from app.domain.finance_application import FinanceStatus
    from app.services import finance_applications as finance
    from tests import deal_factories
    from tests.finance_factories import applicant, partner_bank

    deal_factories.reservation_settings("0")
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant, trade_in=tf.ESTIMATE, finance=tf.LOAN)
    deal_service.advance(db.session, deal, DealAction.RESERVE, dealer=a1.dealer, actor=a1.consultant)
    application = finance.submit(db.session, deal, applicant(partner_bank(a1.dealer)), dealer=a1.dealer,
                                 config=app.config, actor=a1.consultant)
    finance.decide(db.session, application, finance.Decision(FinanceStatus.APPROVED, apr_percent=D("5.9"), term_months=60,
                                                             amount_financed=D(21700000)), dealer=a1.dealer, actor=a1.principal)
    assert amendments.pending_change(db.session, deal) is None  # approved as applied for
    appraisal = _submit(a1, storage, deal)
    _appraise(a1, appraisal, "12000000")
    svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=NOW + timedelta(days=1))
    assert deal.amount_financed == D(21700000)  # the bank approved no more
    assert deal_service.settlement_of(deal).balance_due == D(36300000) - D(7500000) - D(21700000) == D(7100000)


def test_no_trade_in_change_once_the_contract_is_signed(a1, storage):
    from app.domain.deal_states import DealState

    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    appraisal = _submit(a1, storage, deal)
    _appraise(a1, appraisal, "12000000")
    deal.state = DealState.CONTRACTED
    with pytest.raises(TradeInError, match="contract of this deal is signed"):
        svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=NOW + timedelta(days=1))
    assert deal.offer.current_revision_no == 1 and appraisal.applied_revision_no is None


def test_changed_price_since_acceptance_is_refused(a1, storage):
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    deal.stock_vehicle.price = D(36000000)  # the list price was edited after the customer accepted
    appraisal = _submit(a1, storage, deal)
    _appraise(a1, appraisal, "12000000")
    with pytest.raises(TradeInError, match="no longer prices"):
        svc.apply_to_offer(db.session, appraisal, dealer=a1.dealer, actor=a1.consultant, now=NOW + timedelta(days=1))
    assert deal.offer.current_revision_no == 1


def test_cancelling_the_deal_withdraws_open_appraisals(a1, storage):
    deal = tf.builder_deal(a1.dealer, a1.customer, a1.consultant)
    appraisal = _submit(a1, storage, deal)
    deal_service.cancel(db.session, deal, dealer=a1.dealer, reason="Bought elsewhere", actor=a1.consultant)
    assert appraisal.status is TradeInStatus.WITHDRAWN
    with pytest.raises(TradeInError, match="closed"):
        _submit(a1, storage, deal)
