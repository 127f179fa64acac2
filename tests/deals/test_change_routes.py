"""Changes to accept through the pages: the bank approves other terms, the staff see both figures, the customer accepts.

Figures as in ``tests/deals/test_finance_terms_change``: 5.9 % → 6.4 % over 60 months on 30,150,000 KRW,
monthly payment 581,483 → 588,508.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from app.domain.deal_amendments import AmendmentStatus
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal, DealAmendment
from app.services import deals as deal_service
from app.services import finance_applications as svc
from app.tenancy import scoped
from tests.conftest import csrf_token
from tests.finance_factories import applicant, partner_bank, reserved_deal

NAME = "Minjun Kim"


def _submitted(app, world, bank: str = "Hyundai Capital") -> tuple[int, int, str]:
    """Commit a financing A1 deal (application submitted); return deal id, application id, purchase token."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name=NAME, email="minjun@example.com", preferred_locale="en")
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        deal = reserved_deal(dealer, customer, consultant)
        application = svc.submit(db.session, deal, applicant(partner_bank(dealer, bank)), dealer=dealer, config=app.config,
                                 actor=consultant)
        db.session.commit()
        return deal.id, application.id, deal_service.make_link_token(deal, app.config["SECRET_KEY"])


def _in_a1(app, world, fn):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        return fn()


def _purchase_csrf(client, token) -> str:
    page = client.get(f"/p/{token}").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_bank_terms_change_is_shown_and_accepted_by_the_customer(app, client, login, world):
    deal_id, application_id, token = _submitted(app, world)
    base = f"/d/{world.slugs['a1']}/deals"
    login(world.emails["principal_a1"])
    form_token = csrf_token(client, f"{base}/finance-applications/{application_id}")
    approved = client.post(f"{base}/finance-applications/{application_id}/decision",
                           data={"csrf_token": form_token, "outcome": "approved", "apr_percent": "6.4", "term_months": "60",
                                 "amount_financed": "30150000"})
    assert approved.status_code == 302
    change_id = _in_a1(app, world, lambda: db.session.scalar(select(DealAmendment.id).where(DealAmendment.deal_id == deal_id)))

    detail = client.get(f"{base}/{deal_id}").get_data(as_text=True)
    assert 'data-testid="deal-change"' in detail and 'data-testid="timeline-change"' in detail
    for figure in ("5.9 %", "6.4 %", "₩581,483", "₩588,508", "Terms approved by Hyundai Capital"):
        assert figure in detail, figure
    assert "Accept for the customer" not in detail  # the loan changed: the principal cannot accept it
    assert client.post(f"{base}/{deal_id}/changes/{change_id}/approve",
                       data={"csrf_token": form_token}, follow_redirects=True).status_code == 200
    assert _in_a1(app, world, lambda: db.session.get(DealAmendment, change_id).status) is AmendmentStatus.PENDING
    blocked = client.post(f"{base}/{deal_id}/contract", data={"csrf_token": form_token}, follow_redirects=True)
    assert "the customer must accept the new figures" in blocked.get_data(as_text=True)

    customer = app.test_client()
    page = customer.get(f"/p/{token}").get_data(as_text=True)
    assert "Your purchase changed" in page and "₩588,508" in page and "Accept the new figures" in page
    wrong = customer.post(f"/p/{token}/changes/{change_id}/accept",
                          data={"csrf_token": _purchase_csrf(customer, token), "full_name": "Somebody", "consent": "y"},
                          follow_redirects=True)
    assert "Type your full name as it appears on your purchase." in wrong.get_data(as_text=True)
    assert customer.post(f"/p/{token}/changes/{change_id}/accept",
                         data={"full_name": NAME, "consent": "y"}).status_code == 400  # no CSRF token
    ok = customer.post(f"/p/{token}/changes/{change_id}/accept",
                       data={"csrf_token": _purchase_csrf(customer, token), "full_name": NAME, "consent": "y"},
                       follow_redirects=True)
    body = ok.get_data(as_text=True)
    assert "you accepted the new figures" in body and 'data-testid="deal-change"' not in body

    def check():
        change = db.session.get(DealAmendment, change_id)
        assert change.status is AmendmentStatus.ACCEPTED and change.accepted_name == NAME
        assert db.session.get(Deal, deal_id).events[-1].kind == "change_accepted"

    _in_a1(app, world, check)
    generated = client.post(f"{base}/{deal_id}/contract", data={"csrf_token": form_token}, follow_redirects=True)
    assert "Contract version 1 is ready" in generated.get_data(as_text=True)


def test_another_deals_change_is_404_on_a_purchase_link(app, client, world):
    deal_id, _application_id, token = _submitted(app, world)
    other_id, _other_application, _other_token = _submitted(app, world, "KB Capital")

    def add_change():
        row = DealAmendment(dealer_id=world.ids["a1"], deal_id=other_id, pending_deal_id=other_id, reasons=[], before={},
                            after={}, customer_total_before=0, customer_total_after=0)
        db.session.add(row)
        db.session.commit()
        return row.id

    change_id = _in_a1(app, world, add_change)
    response = client.post(f"/p/{token}/changes/{change_id}/accept",
                           data={"csrf_token": _purchase_csrf(client, token), "full_name": NAME, "consent": "y"})
    assert response.status_code == 404
