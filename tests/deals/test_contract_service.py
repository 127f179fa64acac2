"""Contract service: generation guards, customer signature, countersignature, immutability, new versions, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.contracts import content_hash
from app.domain.deal_states import DealAction, DealState
from app.domain.offer_states import OfferState
from app.domain.roles import Role
from app.extensions import db
from app.models.contracts import Contract, ContractImmutableError, ContractState
from app.models.dealer_settings import PurchasingConditions
from app.models.mail import OutboxMessage
from app.models.notifications import Notification
from app.services import contracts as svc
from app.services import deals as deal_service
from tests.deals.contract_helpers import finance_status, pdf_text, reserved_deal
from tests.offer_factories import NOW

D = Decimal
IP, UA = "203.0.113.7", "Mozilla/5.0 (iPad)"


def _sign(contract, name="김민준", consent=True):
    return svc.sign_by_customer(db.session, contract, typed_name=name, consent=consent, ip=IP, user_agent=UA, now=NOW)


def _countersign(a1, contract, role=Role.DEALER_PRINCIPAL, user=None):
    return svc.countersign(db.session, contract, principal=user or a1.principal, role=role, ip="198.51.100.1",
                           dealer=a1.dealer, now=NOW)


def test_generate_freezes_offer_conditions_and_payment_split(a1):
    a1.customer.preferred_locale = "ko"  # this customer reads Korean
    db.session.add(PurchasingConditions(cancellation_policy={"ko": "계약 후 7일 이내 취소 가능", "en": "Cancel within 7 days"},
                                        refund_policy={"en": "Refund in 14 days"}, required_documents=["ID card"]))
    deal = reserved_deal(a1)
    contract, created = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, link="https://x/p/t", now=NOW)
    assert created and contract.version == 1 and contract.state is ContractState.AWAITING_CUSTOMER
    content = contract.content
    assert content["customer"]["name"] == "김민준"
    assert content["deal"]["locale"] == "ko"  # the customer's language, not the offer's (en)
    assert content["vehicle"]["vin"] == "KMHJ381ABNU123456" and content["vehicle"]["stock_number"] == "S1"
    assert content["offer"]["revision_no"] == 1 and len(content["offer"]["content_hash"]) == 64
    assert content["priced"]["out_the_door_price"] == "35150000"
    # 35,150,000 − 500,000 deposit − 0 financed − 0 equity = 34,650,000 at delivery
    assert content["payment"] == {"out_the_door_price": "35150000", "deposit": "500000", "amount_financed": "0",
                                  "trade_in_equity": "0", "balance": "34650000"}
    assert content["conditions"]["cancellation_policy"] == "계약 후 7일 이내 취소 가능"
    assert content["conditions"]["refund_policy"] == "Refund in 14 days"  # no Korean text: English fallback
    assert content["conditions"]["offer"] == "Deposit refundable within 7 days."
    assert contract.content_hash == content_hash(content)
    assert [e.kind for e in deal.events][-1] == "contract_generated"
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients == "minjun@example.com")).all()
    assert any("https://x/p/t" in m.body_text for m in mail)
    # a second click with nothing changed creates nothing
    again, created_again = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert again is contract and not created_again
    assert len(svc.contracts_of(db.session, deal)) == 1


def test_generation_needs_a_reserved_deal_and_approved_finance(a1):
    from tests import deal_factories

    opened = deal_factories.deal(a1.dealer, a1.customer, a1.consultant)
    with pytest.raises(svc.ContractError, match="reserved"):
        svc.generate(db.session, opened, dealer=a1.dealer, actor=a1.consultant)
    deal = reserved_deal(a1)
    deal.payment_kind = "finance"
    with pytest.raises(svc.ContractError, match="finance application must be approved"):
        svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant)
    with finance_status(approved=False), pytest.raises(svc.ContractError, match="approved"):
        svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant)
    with finance_status(approved=True):
        deal.amount_financed = D("30000000")
        contract, _ = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant)
    assert contract.content["payment"]["amount_financed"] == "30000000"
    assert contract.content["payment"]["balance"] == "4650000"
    assert not db.session.scalars(select(Contract).where(Contract.deal_id == opened.id)).all()


def test_sign_and_countersign_contract_the_deal(a1):
    deal = reserved_deal(a1)
    contract, _ = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert deal_service.facts(db.session, deal).contract_signed is False
    with pytest.raises(svc.ContractError, match="not signed"):
        _countersign(a1, contract)
    _sign(contract, name="  김민준 ")
    assert contract.state is ContractState.CUSTOMER_SIGNED
    assert (contract.customer_signed_name, contract.customer_ip, contract.customer_user_agent) == ("김민준", IP, UA)
    assert contract.customer_consent and contract.customer_signed_at == NOW
    waiting = db.session.scalars(select(Notification).where(Notification.kind == "contract.countersign")).all()
    assert [n.user_id for n in waiting] == [a1.principal.id]  # only the principal countersigns
    assert deal_service.facts(db.session, deal).contract_signed is False
    with pytest.raises(svc.ContractPermissionError):
        _countersign(a1, contract, role=Role.SALES_MANAGER, user=a1.consultant)
    assert contract.state is ContractState.CUSTOMER_SIGNED
    _countersign(a1, contract)
    assert contract.state is ContractState.FULLY_SIGNED and contract.countersigned_name == a1.principal.name
    assert deal.state is DealState.CONTRACTED
    assert deal_service.facts(db.session, deal).contract_signed is True
    kinds = [e.kind for e in deal.events]
    assert kinds[-3:] == ["contract_signed_by_customer", "contract_countersigned", "contract"]
    signed_mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients == "minjun@example.com")).all()[-1]
    assert signed_mail.attachments and signed_mail.attachments[0].content_type == "application/pdf"
    text = pdf_text(signed_mail.attachments[0].content)
    assert "김민준" in text and a1.principal.name in text
    with pytest.raises(svc.ContractError, match="already countersigned"):
        _countersign(a1, contract)


def test_wrong_name_no_consent_and_second_signature_are_refused(a1):
    deal = reserved_deal(a1)
    contract, _ = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    with pytest.raises(svc.ContractError, match="exactly as it appears"):
        _sign(contract, name="김민")
    with pytest.raises(svc.ContractError, match="tick the box"):
        _sign(contract, consent=False)
    assert contract.state is ContractState.AWAITING_CUSTOMER and contract.customer_signed_at is None
    _sign(contract)
    with pytest.raises(svc.ContractError, match="already signed"):
        _sign(contract)


def test_a_signed_contract_cannot_be_changed(a1):
    deal = reserved_deal(a1)
    contract, _ = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    _sign(contract)
    db.session.commit()
    contract_id = contract.id

    def refused(change):
        change(db.session.get(Contract, contract_id))
        with pytest.raises(ContractImmutableError):
            db.session.flush()
        db.session.rollback()

    refused(lambda c: setattr(c, "content", {**c.content, "payment": {**c.content["payment"], "balance": "1"}}))
    refused(lambda c: setattr(c, "content_hash", "0" * 64))
    refused(lambda c: setattr(c, "customer_signed_name", "Someone else"))
    refused(lambda c: setattr(c, "state", ContractState.AWAITING_CUSTOMER))
    refused(lambda c: setattr(c, "version", 7))

    def in_place(c):
        c.content["payment"]["balance"] = "1"
        c.end_reason = "touch"  # any other change makes the row flush

    refused(in_place)
    with pytest.raises(ContractImmutableError):
        db.session.delete(db.session.get(Contract, contract_id))
        db.session.flush()
    db.session.rollback()
    stored = db.session.get(Contract, contract_id)
    assert stored.customer_signed_name == "김민준" and stored.state is ContractState.CUSTOMER_SIGNED
    assert stored.content["payment"]["balance"] == "34650000"


def test_a_change_means_a_new_version_with_both_signatures_again(a1):
    deal = reserved_deal(a1)
    v1, _ = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    _sign(v1)
    deal.trade_in_equity = D("5000000")  # e.g. a trade-in appraised and applied after the customer signed
    db.session.flush()
    assert svc.is_stale(db.session, v1)
    with pytest.raises(svc.ContractError, match="new version must be generated"):
        _countersign(a1, v1)
    v2, created = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    assert created and v2.version == 2 and v2.state is ContractState.AWAITING_CUSTOMER
    assert v2.content["payment"]["trade_in_equity"] == "5000000" and v2.content["payment"]["balance"] == "29650000"
    assert v1.state is ContractState.SUPERSEDED and v1.end_reason == "Superseded by version 2"
    assert v1.customer_signed_name == "김민준"  # the old version keeps its signature and stays readable
    assert "김민준" in pdf_text(svc.contract_pdf(v1))
    with pytest.raises(svc.ContractError, match="replaced"):
        _countersign(a1, v1)
    assert deal_service.facts(db.session, deal).contract_signed is False
    _sign(v2)
    _countersign(a1, v2)
    assert deal.state is DealState.CONTRACTED


def test_fully_signed_but_stale_contract_does_not_count(a1):
    deal = reserved_deal(a1)
    deal.payment_kind = "finance"
    with finance_status(approved=True):
        contract, _ = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
        _sign(contract)
        # the countersignature and the contract step are one unit: a refused step leaves nothing signed
        deal.amount_financed = D("1000000")
        with pytest.raises(svc.ContractError):
            _countersign(a1, contract)
    assert deal_service.facts(db.session, deal).contract_signed is False


def test_withdrawn_offer_or_cancelled_deal_refuses_the_signature(a1):
    deal = reserved_deal(a1)
    contract, _ = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    deal.offer.state = OfferState.WITHDRAWN
    with pytest.raises(svc.ContractError, match="withdrawn"):
        _sign(contract)
    deal.offer.state = OfferState.EXPIRED
    with pytest.raises(svc.ContractError, match="expired"):
        _sign(contract)
    assert contract.state is ContractState.AWAITING_CUSTOMER and contract.customer_signed_name == ""
    deal.offer.state = OfferState.ACCEPTED
    deal_service.cancel(db.session, deal, dealer=a1.dealer, reason="Customer changed mind", actor=a1.consultant, now=NOW)
    assert contract.state is ContractState.VOIDED and contract.end_reason == "Deal cancelled"
    with pytest.raises(svc.ContractError, match="cancelled"):
        _sign(contract)
    with pytest.raises(svc.ContractError, match="cancelled"):
        svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant)


def test_o2o_deal_has_no_online_contract(a2):
    from tests import deal_factories

    car = deal_factories.stock_vehicle(a2.dealer)
    deal = deal_service.open_reservation(db.session, a2.dealer, customer=a2.customer, vehicle=car, locale="en")
    deal_service.record_offline(db.session, deal, DealAction.RESERVE, dealer=a2.dealer, actor=a2.principal,
                                performed_by="Lee", occurred_at=NOW)
    with pytest.raises(svc.ContractError, match="showroom"):
        svc.generate(db.session, deal, dealer=a2.dealer, actor=a2.principal)
    assert svc.contract_facts(db.session, deal) == {}
