"""Changes to accept through the pages: the bank approves other terms, the staff see both figures, the customer accepts.

Figures as in ``tests/deals/test_finance_terms_change``: 5.9 % → 6.4 % over 60 months on 30,150,000 KRW,
monthly payment 581,483 → 588,508.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from app.domain.deal_amendments import AmendmentStatus
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal, DealAmendment
from app.services import deals as deal_service
from app.services import finance_applications as svc
from app.tenancy import scoped
from tests import factories
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


def _appraised_deal(app, world, *, estimate: bool) -> tuple[int, int, str, str]:
    """Commit an A1 deal whose trade-in was appraised at 12,000,000 after acceptance (estimate 14,000,000 or none).

    Return (deal id, change id, offer link token, purchase token).
    """
    from datetime import date, timedelta

    from app.domain.roles import Role
    from app.services import deal_amendments, trade_ins
    from app.services import offers as offer_service
    from app.services.storage import LocalStorage
    from tests import trade_in_factories as tf
    from tests.offer_factories import NOW

    with app.test_request_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name=NAME, email="minjun@example.com", preferred_locale="en")
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        principal = db.session.get(User, world.ids["user_principal_a1"])
        deal = tf.builder_deal(dealer, customer, consultant, trade_in=tf.ESTIMATE if estimate else None)
        appraisal = trade_ins.submit(db.session, dealer=dealer, customer=customer, request=tf.request(), photos=(),
                                     storage=LocalStorage(app.instance_path), deal=deal, now=NOW)
        trade_ins.appraise(db.session, appraisal, dealer=dealer, appraiser=principal, role=Role.DEALER_PRINCIPAL,
                           value=Decimal(12000000), valid_until=date(2026, 6, 20), now=NOW)
        trade_ins.apply_to_offer(db.session, appraisal, dealer=dealer, actor=consultant, now=NOW + timedelta(hours=1))
        change = deal_amendments.pending_change(db.session, deal)
        db.session.commit()
        return (deal.id, change.id, offer_service.make_link_token(deal.offer, app.config["SECRET_KEY"]),
                deal_service.make_link_token(deal, app.config["SECRET_KEY"]))


def test_customer_sees_estimate_and_appraisal_on_the_offer_link(app, client, login, world):
    deal_id, change_id, offer_token, purchase_token = _appraised_deal(app, world, estimate=True)
    page = client.get(f"/o/{offer_token}").get_data(as_text=True)
    assert "Your offer was revised after you accepted it" in page and "revision 2" in page
    for figure in ("₩14,000,000", "₩12,000,000", "₩36,200,000", "₩36,300,000", "Trade-in appraised: 2003 Honda Accord"):
        assert figure in page, figure
    # The page signs its own purchase link (the signature carries the second it was made in): it opens this deal.
    link = re.search(r'/p/([^"#]+)#change', page)
    assert link and purchase_token
    assert deal_service.load_link_token(link.group(1), app.config["SECRET_KEY"], 3600)[0] == deal_id
    login(world.emails["principal_a1"])
    detail = client.get(f"/d/{world.slugs['a1']}/deals/{deal_id}").get_data(as_text=True)
    assert "₩14,000,000" in detail and "₩12,000,000" in detail  # the timeline: estimate → appraisal
    assert "Accept for the customer" not in detail  # the customer pays 2,100,000 more


def test_principal_accepts_a_change_that_lowers_what_the_customer_pays(app, client, login, world):
    deal_id, change_id, _offer_token, _purchase_token = _appraised_deal(app, world, estimate=False)
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    login(world.emails["consultant_a1"])
    token = csrf_token(client, base)
    assert "the dealer principal may also accept" in client.get(base).get_data(as_text=True)
    assert client.post(f"{base}/changes/{change_id}/approve", data={"csrf_token": token}).status_code == 403
    client = app.test_client()
    login_token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": world.emails["principal_a1"], "password": factories.PASSWORD,
                                       "csrf_token": login_token}).status_code == 302
    token = csrf_token(client, base)
    assert "Accept for the customer" in client.get(base).get_data(as_text=True)
    done = client.post(f"{base}/changes/{change_id}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "You accepted the changed figures for the customer" in done.get_data(as_text=True)
    assert _in_a1(app, world, lambda: db.session.get(DealAmendment, change_id).status) is AmendmentStatus.APPROVED
