"""The bank approves other terms than the offer's scenario: the deal follows, the customer accepts, the contract carries the loan.

Figures (``tests/finance_factories``): OTD 35,150,000 KRW, 5,000,000 down, 30,150,000 financed over 60 months.
At the offered 5.9 % the payment is 581,483 (total of payments 34,888,983); the bank approves 6.4 %:
588,508 a month, the last 588,522, total of payments 35,310,494 (``tests/domain/test_deal_amendments``).
The customer's total rises from 5,000,000 + 34,888,983 = 39,888,983 to 5,000,000 + 35,310,494 = 40,310,494.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.deal_amendments import AmendmentStatus
from app.domain.deal_states import DealState
from app.domain.finance_application import FinanceStatus
from app.domain.roles import Role
from app.extensions import db
from app.models.deals import DealAmendment
from app.models.mail import OutboxMessage
from app.services import contracts
from app.services import deal_amendments as amendments
from app.services import deals as deal_service
from app.services import finance_applications as finance
from tests.deals.contract_helpers import pdf_text
from tests.finance_factories import applicant, partner_bank, reserved_deal

D = Decimal


@pytest.fixture(autouse=True)
def _request(app, a1):
    """Scenario labels and notifications translate: run inside a request (after ``a1`` set the scope)."""
    with app.test_request_context():
        yield


def _approved(app, a1, *, apr="6.4", term=60, amount="30150000"):
    deal = reserved_deal(a1.dealer, a1.customer, a1.consultant)
    bank = partner_bank(a1.dealer)
    application = finance.submit(db.session, deal, applicant(bank), dealer=a1.dealer, config=app.config, actor=a1.consultant)
    finance.decide(db.session, application, finance.Decision(FinanceStatus.APPROVED, apr_percent=D(apr), term_months=term,
                                                             amount_financed=D(amount)),
                   dealer=a1.dealer, actor=a1.principal, link="https://x/p/token")
    return deal, application


def test_other_apr_is_a_change_the_customer_must_accept_before_the_contract(app, a1):
    deal, application = _approved(app, a1)
    change = amendments.pending_change(db.session, deal)
    assert change is not None and change.status is AmendmentStatus.PENDING and change.kinds == {"finance"}
    assert (D(change.before["apr_percent"]), D(change.after["apr_percent"])) == (D("5.9"), D("6.4"))
    assert (change.before["monthly_payment"], change.after["monthly_payment"]) == ("581483", "588508")
    assert (change.before["total_of_payments"], change.after["total_of_payments"]) == ("34888983", "35310494")
    assert (change.customer_total_before, change.customer_total_after) == (D("39888983"), D("40310494"))
    assert change.before["amount_financed"] == change.after["amount_financed"] == "30150000"
    assert not change.principal_may_approve  # the loan changed: only the customer accepts
    assert deal.amount_financed == D("30150000")  # the deal's figures follow the bank at once
    # the timeline shows both figures: offered → approved APR and monthly payment
    event = deal.events[-1]
    assert event.kind == "change_requested" and event.amendment_id == change.id and event.note == "Hyundai Capital"
    assert [(c.key, c.old, c.new) for c in amendments.changes_of(change)] == [
        ("apr_percent", D("5.900"), D("6.4")), ("monthly_payment", D("581483"), D("588508")),
        ("total_of_payments", D("34888983"), D("35310494")),
    ]
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients == "minjun@example.com")).all()
    assert any("https://x/p/token" in m.body_text and "changed" in m.subject for m in mail)

    # the contract waits, with the reason
    with pytest.raises(contracts.ContractError, match="must accept the new figures"):
        contracts.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant)
    with pytest.raises(PermissionError):
        amendments.approve_by_principal(db.session, change, principal=a1.consultant, role=Role.SALES_CONSULTANT)
    with pytest.raises(deal_service.DealError, match="only the customer"):
        amendments.approve_by_principal(db.session, change, principal=a1.principal, role=Role.DEALER_PRINCIPAL)
    with pytest.raises(deal_service.DealError, match="tick the box"):
        amendments.accept_by_customer(db.session, change, typed_name="김민준", consent=False, ip="", user_agent="")
    with pytest.raises(deal_service.DealError, match="full name"):
        amendments.accept_by_customer(db.session, change, typed_name="Kim", consent=True, ip="", user_agent="")
    assert change.status is AmendmentStatus.PENDING and change.accepted_name == ""

    amendments.accept_by_customer(db.session, change, typed_name=" 김민준 ", consent=True, ip="203.0.113.7", user_agent="UA")
    assert change.status is AmendmentStatus.ACCEPTED and change.pending_deal_id is None
    assert (change.accepted_name, change.accepted_ip) == ("김민준", "203.0.113.7")
    assert amendments.pending_change(db.session, deal) is None and deal.events[-1].kind == "change_accepted"
    with pytest.raises(deal_service.DealError, match="already been accepted"):
        amendments.accept_by_customer(db.session, change, typed_name="김민준", consent=True, ip="", user_agent="")

    # now the contract carries the approved loan
    contract, created = contracts.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant)
    assert created
    loan = contract.content["loan"]
    assert loan == {"kind": "finance", "lender": "Hyundai Capital", "amount_financed": "30150000", "apr_percent": "6.4",
                    "term_months": 60, "monthly_payment": "588508", "final_payment": "588522",
                    "total_of_payments": "35310494", "total_interest": "5160494", "conditions": ""}
    db.session.expire_all()  # reloaded from the database (5.900 %, 30150000.00) the content hashes the same
    assert not contracts.is_stale(db.session, contract)
    text = pdf_text(contracts.contract_pdf(contract))
    for figure in ("Hyundai Capital", "6.4 %", "60 months", "₩588,508", "₩588,522", "₩30,150,000", "₩35,310,494"):
        assert figure in text, figure


def test_terms_as_offered_need_no_acceptance(app, a1):
    deal, application = _approved(app, a1, apr="5.9")
    assert amendments.pending_change(db.session, deal) is None
    assert deal.events[-1].kind == "finance_approved"
    contract, _created = contracts.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant)
    assert contract.content["loan"]["monthly_payment"] == "581483"  # the offer's payment
    assert contract.content["loan"]["apr_percent"] == "5.9"  # as stored (5.900) or typed: the same text


def test_lower_amount_moves_the_rest_to_the_balance_and_cancelling_withdraws_the_change(app, a1):
    deal, _application = _approved(app, a1, apr="5.9", amount="28000000")
    change = amendments.pending_change(db.session, deal)
    assert (change.before["amount_financed"], change.after["amount_financed"]) == ("30150000", "28000000")
    assert (change.before["balance_due"], change.after["balance_due"]) == ("5000000", "7150000")  # paid at delivery
    deal_service.cancel(db.session, deal, dealer=a1.dealer, reason="Bought elsewhere", actor=a1.consultant)
    assert change.status is AmendmentStatus.WITHDRAWN and change.pending_deal_id is None
    assert deal.state is DealState.CANCELLED
    assert db.session.scalar(select(DealAmendment.id).where(DealAmendment.pending_deal_id == deal.id)) is None
