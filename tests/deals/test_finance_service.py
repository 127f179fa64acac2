"""Finance application service: submit from a reserved deal, encryption at rest, decisions, unmasking, documents."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from app.domain.deal_states import DealAction, DealState
from app.domain.finance_application import FinanceStatus
from app.domain.roles import Role
from app.extensions import db
from app.models.accounts import User
from app.models.audit import AuditEvent
from app.models.finance import FinanceApplication, FinanceDocument
from app.models.mail import OutboxMessage
from app.models.notifications import Notification
from app.services import deals as deal_service
from app.services import finance_applications as svc
from app.services import storage
from tests import deal_factories, finance_factories
from tests.finance_factories import applicant, partner_bank, reserved_deal

D = Decimal
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def _submit(app, a1, **changes):
    deal = reserved_deal(a1.dealer, a1.customer, a1.consultant)
    bank = partner_bank(a1.dealer)
    application = svc.submit(db.session, deal, applicant(bank, **changes), dealer=a1.dealer, config=app.config, actor=a1.consultant)
    return deal, bank, application


def test_submit_copies_the_offer_scenario_and_moves_the_deal_to_financing(app, a1):
    deal, bank, application = _submit(app, a1)
    scenario = svc.scenarios(db.session, deal)[0]
    assert deal.state is DealState.FINANCING
    assert application.status is FinanceStatus.SUBMITTED and application.active_deal_id == deal.id
    assert (application.payment_kind, application.term_months, application.apr_percent) == ("finance", 60, D("5.9"))
    assert application.down_payment == D("5000000")
    assert application.amount_financed == scenario.amount_financed == D("30150000")  # 35,150,000 OTD − 5,000,000 down
    assert application.bank_name == bank.name and application.submitted_by_id == a1.consultant.id
    assert application.channel == "staff"
    assert [e.kind for e in deal.events][-1] == "start_financing"
    # staff were told (deal core) and the customer got an e-mail
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.deal_id == deal.id,
                                                                      Notification.kind == "deal.start_financing")) == 3
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.recipients.like("%minjun@example.com%"), OutboxMessage.subject.like("%received%"))) == 1
    assert deal_service.facts(db.session, deal).finance_submitted is True
    assert deal_service.facts(db.session, deal).finance_approved is False


def test_identity_number_and_income_are_encrypted_at_rest(app, a1):
    _deal, _bank, application = _submit(app, a1)
    db.session.flush()
    raw_id, raw_income, last4 = db.session.execute(
        text("SELECT national_id_encrypted, monthly_income_encrypted, national_id_last4 FROM finance_application WHERE id = :id"),
        {"id": application.id},
    ).one()
    assert "1234567" not in raw_id and "900304" not in raw_id
    assert "4800000" not in raw_income
    assert last4 == "4567"
    assert svc.masked_national_id(application) == "••••••4567"
    # the audit trail never carries the secrets either
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "FinanceApplication")):
        assert "1234567" not in str(event.after) and "4800000" not in str(event.after)


def test_submit_needs_a_reserved_deal(app, a1):
    deal_factories.reservation_settings("500000")
    offer = finance_factories.financed_offer(a1.dealer, a1.customer, a1.consultant)
    deal = deal_service.open_from_offer(db.session, offer, a1.dealer)
    bank = partner_bank(a1.dealer)
    with pytest.raises(svc.FinanceApplicationError, match="reserved"):
        svc.submit(db.session, deal, applicant(bank), dealer=a1.dealer, config=app.config, actor=a1.consultant)
    assert db.session.scalar(select(func.count(FinanceApplication.id))) == 0
    assert deal.state is DealState.OFFER_ACCEPTED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date_of_birth": date(2015, 1, 1)}, "18 years"),
        ({"national_id": "12"}, "identity number"),
        ({"scenario_index": 0}, "scenarios"),  # index 0 is the cash scenario
        ({"monthly_income": D("100.50")}, "monthly income"),  # KRW has no minor unit
        ({"partner_bank_id": 999999}, "partner banks"),
        ({"employment_years": 90}, "between 0 and 70"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(app, a1, changes, message):
    deal = reserved_deal(a1.dealer, a1.customer, a1.consultant)
    bank = partner_bank(a1.dealer)
    with pytest.raises(svc.FinanceApplicationError, match=message):
        svc.submit(db.session, deal, applicant(bank, **changes), dealer=a1.dealer, config=app.config, actor=None)
    assert db.session.scalar(select(func.count(FinanceApplication.id))) == 0
    assert deal.state is DealState.RESERVED


def test_one_live_application_per_deal(app, a1):
    deal, bank, _application = _submit(app, a1)
    with pytest.raises(svc.FinanceApplicationError, match="already"):
        svc.submit(db.session, deal, applicant(bank), dealer=a1.dealer, config=app.config, actor=None)
    assert db.session.scalar(select(func.count(FinanceApplication.id))) == 1


def test_bank_of_another_brand_is_not_offered(app, a1, world):
    from app.models.partner_banks import PartnerBank
    from app.tenancy import all_tenants

    deal = reserved_deal(a1.dealer, a1.customer, a1.consultant)
    with all_tenants():
        other = PartnerBank(brand_id=world.ids["brand_b"], name="Kasikorn", apr_bands=[], max_term=60)
        db.session.add(other)
        db.session.flush()
    with pytest.raises(svc.FinanceApplicationError, match="partner banks"):
        svc.submit(db.session, deal, applicant(partner_bank(a1.dealer), partner_bank_id=other.id), dealer=a1.dealer,
                   config=app.config, actor=None)


def test_decline_returns_the_deal_to_reserved_and_allows_a_new_application(app, a1):
    deal, bank, application = _submit(app, a1)
    svc.start_review(db.session, application, actor=a1.principal)
    assert application.status is FinanceStatus.IN_REVIEW and application.review_started_by_id == a1.principal.id
    with pytest.raises(svc.FinanceApplicationError, match="reason"):
        svc.decide(db.session, application, svc.Decision(FinanceStatus.DECLINED), dealer=a1.dealer, actor=a1.principal)
    assert application.status is FinanceStatus.IN_REVIEW and deal.state is DealState.FINANCING
    svc.decide(db.session, application, svc.Decision(FinanceStatus.DECLINED, reason="Debt ratio too high"),
               dealer=a1.dealer, actor=a1.principal)
    assert application.status is FinanceStatus.DECLINED and application.decided_by_id == a1.principal.id
    assert application.active_deal_id is None
    assert deal.state is DealState.RESERVED and deal.amount_financed == 0 and deal.payment_kind == "cash"
    assert deal.events[-1].kind == "finance_declined"
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.subject.like("%declined%"))) >= 1
    assert svc.can_apply_reason(db.session, deal) is None
    second = svc.submit(db.session, deal, applicant(bank), dealer=a1.dealer, config=app.config, actor=None)
    assert second.channel == "customer" and second.submitted_by_id is None
    assert deal.state is DealState.FINANCING
    assert [a.id for a in svc.applications_of(db.session, deal)] == [second.id, application.id]


def test_approval_sets_amount_financed_and_the_settlement_reflects_it(app, a1):
    deal, _bank, application = _submit(app, a1)
    before = deal_service.settlement_of(deal).balance_due
    decision = svc.Decision(FinanceStatus.APPROVED_WITH_CONDITIONS, apr_percent=D("6.4"), term_months=48,
                            amount_financed=D("30000000"), conditions="Proof of income within 14 days")
    svc.decide(db.session, application, decision, dealer=a1.dealer, actor=a1.principal)
    assert application.status is FinanceStatus.APPROVED_WITH_CONDITIONS
    assert (application.approved_apr_percent, application.approved_term_months) == (D("6.4"), 48)
    assert deal.amount_financed == D("30000000") and deal.payment_kind == "finance"
    settlement = deal_service.settlement_of(deal)
    assert settlement.amount_financed == D("30000000")
    assert settlement.balance_due == before - D("30000000") == D("5150000")
    facts = deal_service.facts(db.session, deal)
    assert facts.financed and facts.finance_submitted and facts.finance_approved
    assert deal.state is DealState.FINANCING  # the contract step moves it on
    # other terms than applied for (6.4 % / 48 months / 30,000,000 instead of 5.9 % / 60 / 30,150,000):
    # the customer must accept the change before the contract
    assert [e.kind for e in deal.events][-2:] == ["finance_approved", "change_requested"]
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.deal_id == deal.id)))
    assert "deal.finance_approved" in kinds
    with pytest.raises(svc.FinanceApplicationError, match="already decided"):
        svc.decide(db.session, application, svc.Decision(FinanceStatus.DECLINED, reason="x"), dealer=a1.dealer, actor=a1.principal)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"apr_percent": D("101")}, "APR"),
        ({"apr_percent": D("-1")}, "APR"),
        ({"term_months": 0}, "term"),
        ({"amount_financed": D("40000000")}, "exceed"),  # more than the out-the-door price
        ({"amount_financed": D("0")}, "more than zero"),
        ({"amount_financed": D("100.5")}, "decimals"),
        ({"outcome": FinanceStatus.APPROVED_WITH_CONDITIONS}, "conditions"),
        ({"outcome": FinanceStatus.IN_REVIEW}, "Choose"),
    ],
)
def test_bad_decisions_change_nothing(app, a1, changes, message):
    deal, _bank, application = _submit(app, a1)
    decision = replace(svc.Decision(FinanceStatus.APPROVED, apr_percent=D("6"), term_months=60,
                                    amount_financed=D("30000000")), **changes)
    with pytest.raises(svc.FinanceApplicationError, match=message):
        svc.decide(db.session, application, decision, dealer=a1.dealer, actor=a1.principal)
    assert application.status is FinanceStatus.SUBMITTED and application.approved_amount_financed is None
    assert deal.amount_financed == 0 and deal.state is DealState.FINANCING


def test_amount_financed_is_capped_by_what_is_left_to_pay(app, a1):
    deal, _bank, application = _submit(app, a1)
    deal.deposit_paid = D("5150000")
    assert svc.max_financeable(deal) == D("30000000")
    with pytest.raises(svc.FinanceApplicationError, match="exceed"):
        svc.decide(db.session, application, svc.Decision(FinanceStatus.APPROVED, apr_percent=D("5"), term_months=60,
                                                         amount_financed=D("30000001")), dealer=a1.dealer, actor=a1.principal)


def test_only_the_deals_consultant_managers_and_principal_can_unmask_and_it_is_audited(app, a1, world):
    deal, _bank, application = _submit(app, a1)
    assert svc.reveal(db.session, application, "national_id", config=app.config, user=a1.consultant,
                      role=Role.SALES_CONSULTANT) == "900304-1234567"
    assert svc.reveal(db.session, application, "monthly_income", config=app.config, user=a1.principal,
                      role=Role.DEALER_PRINCIPAL) == "4800000"
    manager = db.session.get(User, world.ids["user_manager_a1"])
    assert svc.reveal(db.session, application, "national_id", config=app.config, user=manager, role=Role.SALES_MANAGER)
    other = db.session.scalar(select(User).where(User.email == world.emails["group"]))
    with pytest.raises(svc.FinanceAccessDenied):
        svc.reveal(db.session, application, "national_id", config=app.config, user=other, role=Role.SALES_CONSULTANT)
    with pytest.raises(ValueError, match="Unknown"):
        svc.reveal(db.session, application, "employer", config=app.config, user=a1.principal, role=Role.DEALER_PRINCIPAL)
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "FinanceApplication", AuditEvent.object_id == str(application.id),
        AuditEvent.action.like("finance_application.unmask%")).order_by(AuditEvent.id)))
    assert [(e.action, e.after["field"]) for e in events] == [
        ("finance_application.unmask", "national_id"), ("finance_application.unmask", "monthly_income"),
        ("finance_application.unmask", "national_id"), ("finance_application.unmask_denied", "national_id"),
    ]
    assert all("1234567" not in str(e.after) for e in events)


def test_documents_are_judged_by_content_and_size(app, a1, monkeypatch):
    _deal, _bank, application = _submit(app, a1)
    document = svc.add_document(db.session, application, data=PDF, file_name="../../payslip.exe.pdf", kind="income",
                                config=app.config, actor=a1.consultant)
    assert document.content_type == "application/pdf" and document.file_name == "payslip.exe.pdf"
    assert document.storage_key.startswith("finance/") and svc.read_document(app.config, document) == PDF
    image = svc.add_document(db.session, application, data=_png(), file_name="id.jpg", kind="identity",
                             config=app.config, actor=None)
    assert image.content_type == "image/png" and image.file_name == "id.png"  # the content decides, not the name
    for data, message in [
        (b"MZ\x90\x00 not a document", "PDF, JPG or PNG"),
        (b"<html><script>alert(1)</script></html>", "PDF, JPG or PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
        (b"%PDF-1.4 truncated", "damaged"),
        (b"", "empty"),
    ]:
        with pytest.raises(svc.DocumentRejected, match=message):
            svc.add_document(db.session, application, data=data, file_name="x.pdf", kind="other", config=app.config, actor=None)
    monkeypatch.setitem(app.config, "FINANCE_DOCUMENT_MAX_BYTES", 1024 * 1024)
    with pytest.raises(svc.DocumentRejected, match="larger than 1 MB"):
        svc.add_document(db.session, application, data=PDF[:-6] + b"0" * (1024 * 1024) + b"%%EOF\n", file_name="big.pdf",
                         kind="other", config=app.config, actor=None)
    assert db.session.scalar(select(func.count(FinanceDocument.id))) == 2
    assert [e.kind for e in application.deal.events].count("finance_document") == 2
    for doc in application.documents:
        storage.get_storage(app.config).delete(doc.storage_key)


def test_cancelled_deal_takes_no_decision(app, a1):
    deal, _bank, application = _submit(app, a1)
    deal_service.cancel(db.session, deal, dealer=a1.dealer, reason="Customer withdrew", actor=a1.principal)
    with pytest.raises(svc.FinanceApplicationError, match="no longer"):
        svc.decide(db.session, application, svc.Decision(FinanceStatus.APPROVED, apr_percent=D("5"), term_months=60,
                                                         amount_financed=D("1000")), dealer=a1.dealer, actor=a1.principal)
    assert deal.amount_financed == 0


def test_declined_application_takes_no_documents(app, a1):
    _deal, _bank, application = _submit(app, a1)
    svc.decide(db.session, application, svc.Decision(FinanceStatus.DECLINED, reason="No"), dealer=a1.dealer, actor=a1.principal)
    with pytest.raises(svc.FinanceApplicationError, match="declined"):
        svc.add_document(db.session, application, data=PDF, file_name="a.pdf", kind="other", config=app.config, actor=None)


def test_deal_reaches_contract_only_after_approval(app, a1):
    deal, _bank, application = _submit(app, a1)
    svc.decide(db.session, application, svc.Decision(FinanceStatus.APPROVED, apr_percent=D("5.9"), term_months=60,
                                                     amount_financed=D("30150000")), dealer=a1.dealer, actor=a1.principal)
    # finance approved; the contract guard now waits only for the signatures (another step's fact)
    with pytest.raises(deal_service.DealError, match="signed"):
        deal_service.advance(db.session, deal, DealAction.CONTRACT, dealer=a1.dealer, actor=a1.principal)
