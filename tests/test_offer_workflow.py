"""Offer workflow service: revisions, approval bound to content, send guard, customer decision, expiry, links."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.offer_states import OfferState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.offers import Offer
from app.services import offers as svc
from app.tenancy import scoped
from tests import offer_factories
from tests.offer_factories import NOW

D = Decimal


def _priced(discount: str = "0", dealer_id: int = 1):
    return offer_factories.priced(discount, dealer_id)


@pytest.fixture
def setup(app, world):
    """Yield (dealer, customer, consultant, principal) inside dealer A1's scope."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="김민준", email="minjun@example.com")
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        principal = db.session.get(User, world.ids["user_principal_a1"])
        yield dealer, customer, consultant, principal


def _create(dealer, customer, consultant, discount="0", key=None):
    return offer_factories.offer(dealer, customer, consultant, discount=discount, key=key)


def _revise(offer, consultant, discount, base=None):
    priced, approval = _priced(discount, offer.dealer_id)
    return svc.revise_offer(
        db.session, offer, inputs={"discount": discount}, priced=priced, approval=approval,
        vehicle={"label": offer_factories.LABEL}, texts={"conditions": "Deposit refundable within 7 days."}, actor=consultant,
        base_revision_no=base if base is not None else offer.current_revision_no,
    )


def test_small_discount_is_sent_directly(setup):
    dealer, customer, consultant, _ = setup
    offer = _create(dealer, customer, consultant, discount="300000")
    assert offer.number == f"{dealer.code}-2026-000001"
    # 35,000,000 − 300,000 + 150,000 registration = 34,850,000 (VAT included, not added)
    assert offer.out_the_door_price == D("34850000")
    assert not svc.current_revision(offer).needs_approval
    svc.send_offer(db.session, offer, actor=consultant, now=NOW)
    assert offer.state is OfferState.SENT


def test_large_discount_waits_for_approval_and_edits_void_it(setup):
    dealer, customer, consultant, principal = setup
    offer = _create(dealer, customer, consultant, discount="2000000")  # 5.7 % > 5 % and > 500,000 authority
    revision = svc.current_revision(offer)
    assert revision.needs_approval and len(revision.approval_reasons) == 2
    with pytest.raises(svc.OfferError, match="needs approval"):
        svc.send_offer(db.session, offer, actor=consultant, now=NOW)
    svc.submit_for_approval(db.session, offer, consultant)
    with pytest.raises(svc.OfferError):  # direct send while pending
        svc.send_offer(db.session, offer, actor=consultant, now=NOW)
    svc.decide(db.session, offer, approve=True, comment="OK for loyal customer", approver=principal, revision_no=1)
    assert offer.state is OfferState.APPROVED and svc.valid_approval(offer) is not None
    # edit after approval: new revision, back to draft, approval no longer covers the content
    _revise(offer, consultant, "2100000")
    assert offer.current_revision_no == 2 and offer.state is OfferState.DRAFT
    assert svc.valid_approval(offer) is None
    with pytest.raises(svc.OfferError, match="needs approval"):
        svc.send_offer(db.session, offer, actor=consultant, now=NOW)
    # the approver looking at revision 1 cannot approve revision 2 by accident
    svc.submit_for_approval(db.session, offer, consultant)
    with pytest.raises(svc.OfferError, match="changed"):
        svc.decide(db.session, offer, approve=True, comment="", approver=principal, revision_no=1)
    svc.decide(db.session, offer, approve=False, comment="Too much", approver=principal, revision_no=2)
    assert offer.state is OfferState.RETURNED


def test_stale_form_and_identical_resubmit(setup):
    dealer, customer, consultant, _ = setup
    offer = _create(dealer, customer, consultant, discount="100000")
    same = _revise(offer, consultant, "100000")
    assert same.revision_no == 1  # identical content: no new revision
    _revise(offer, consultant, "200000")
    with pytest.raises(svc.OfferError, match="changed meanwhile"):
        _revise(offer, consultant, "250000", base=1)
    assert offer.current_revision_no == 2


def test_idempotent_create(setup):
    dealer, customer, consultant, _ = setup
    first = _create(dealer, customer, consultant, key="tap-1")
    second = _create(dealer, customer, consultant, key="tap-1")
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 1


def test_customer_decisions_and_terminal_states(setup):
    dealer, customer, consultant, _ = setup
    offer = _create(dealer, customer, consultant)
    svc.send_offer(db.session, offer, actor=consultant, now=NOW)
    svc.record_view(db.session, offer, NOW)
    svc.record_view(db.session, offer, NOW)
    assert offer.state is OfferState.VIEWED and offer.view_count == 2
    with pytest.raises(svc.OfferError, match="tick"):
        svc.accept_offer(db.session, offer, typed_name="김민준", conditions_accepted=False, now=NOW)
    svc.accept_offer(db.session, offer, typed_name="김민준", conditions_accepted=True, now=NOW)
    assert offer.state is OfferState.ACCEPTED
    # expiry never overwrites acceptance; withdrawal is no longer possible
    assert not svc.expire_if_due(db.session, offer, "Asia/Seoul", datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(svc.OfferError):
        svc.withdraw_offer(db.session, offer, actor=consultant)


def test_lazy_expiry_uses_dealer_local_day(setup):
    dealer, customer, consultant, _ = setup
    offer = _create(dealer, customer, consultant)  # valid until 22 June 2026, Seoul
    svc.send_offer(db.session, offer, actor=consultant, now=NOW)
    assert not svc.expire_if_due(db.session, offer, "Asia/Seoul", datetime(2026, 6, 22, 14, 59, tzinfo=UTC))
    assert svc.expire_if_due(db.session, offer, "Asia/Seoul", datetime(2026, 6, 22, 15, 0, tzinfo=UTC))
    assert offer.state is OfferState.EXPIRED
    with pytest.raises(svc.OfferError):
        svc.accept_offer(db.session, offer, typed_name="x", conditions_accepted=True, now=NOW)


def test_link_tokens_and_revocation(app, setup):
    dealer, customer, consultant, _ = setup
    offer = _create(dealer, customer, consultant)
    token = svc.make_link_token(offer, app.config["SECRET_KEY"])
    assert svc.load_link_token(token, app.config["SECRET_KEY"], 3600) == (offer.id, dealer.id, 1)
    with pytest.raises(svc.OfferError, match="not valid"):
        svc.load_link_token(token + "x", app.config["SECRET_KEY"], 3600)
    with pytest.raises(svc.OfferError, match="expired"):
        svc.load_link_token(token, app.config["SECRET_KEY"], -1)
    svc.withdraw_offer(db.session, offer, actor=consultant)
    assert offer.link_version == 2  # old links carry version 1 and are refused by the link view


def test_withdrawn_customer_gets_no_new_offer(setup):
    dealer, customer, consultant, _ = setup
    customer.withdrawn_at = NOW
    with pytest.raises(svc.OfferError, match="withdrawn"):
        _create(dealer, customer, consultant)


def test_expire_offers_command(app, runner, setup):
    dealer, customer, consultant, _ = setup
    stale = _create(dealer, customer, consultant)  # valid until 2026-06-22 Seoul: long past
    fresh = offer_factories.offer(dealer, customer, consultant, valid_until=date(2099, 1, 1))
    accepted = offer_factories.offer(dealer, customer, consultant, valid_until=date(2026, 6, 20))
    svc.send_offer(db.session, accepted, actor=consultant, now=NOW)
    svc.accept_offer(db.session, accepted, typed_name="김민준", conditions_accepted=True, now=NOW)
    db.session.commit()
    result = runner.invoke(args=["expire-offers"])
    assert result.exit_code == 0, result.output
    assert "1 offer(s) expired." in result.output
    db.session.expire_all()
    assert stale.state is OfferState.EXPIRED
    assert fresh.state is OfferState.DRAFT
    assert accepted.state is OfferState.ACCEPTED


def test_revision_diff_lists_changed_lines(setup):
    dealer, customer, consultant, _ = setup
    offer = _create(dealer, customer, consultant, discount="100000")
    _revise(offer, consultant, "300000")
    first, second = offer.revisions
    rows = svc.revision_diff(first.snapshot, second.snapshot)
    as_dict = {label: (old, new) for label, old, new in rows}
    assert as_dict["out_the_door_price"] == ("35050000", "34850000")
    discount_rows = [r for r in rows if r[1] == "100000"]
    assert discount_rows and discount_rows[0][2] == "300000"
