"""Finance application pages: staff form, queue, decision, unmasking, uploads, PDF; the customer's link; O2O 404."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import func, select

from app.domain.deal_states import DealState
from app.domain.finance_application import FinanceStatus
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.audit import AuditEvent
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.finance import FinanceApplication, FinanceDocument
from app.services import deals as deal_service
from app.services import finance_applications as svc
from app.services.storage import get_storage
from app.tenancy import scoped
from tests import deal_factories, factories
from tests.conftest import csrf_token
from tests.finance_factories import applicant, partner_bank, reserved_deal

D = Decimal
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _setup(app, world, *, submitted: bool = False, locale: str = "en") -> tuple[int, int, int | None]:
    """Commit a reserved A1 deal with a partner bank; return (deal id, bank id, application id or None)."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="Minjun Kim", email="minjun@example.com", preferred_locale=locale)
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        deal = reserved_deal(dealer, customer, consultant)
        bank = partner_bank(dealer)
        application_id = None
        if submitted:
            application_id = svc.submit(db.session, deal, applicant(bank), dealer=dealer, config=app.config, actor=consultant).id
        db.session.commit()
        return deal.id, bank.id, application_id


def _form(bank_id: int, **changes) -> dict:
    data = {
        "applicant_name": "Minjun Kim", "date_of_birth": "1990-03-04", "national_id": "900304-1234567",
        "address_line": "12 Teheran-ro", "city": "Seoul", "postal_code": "06234", "employer": "Samsung",
        "position": "Engineer", "employment_years": "6", "monthly_income": "4800000", "partner_bank_id": str(bank_id),
        "scenario_index": "1", "consent": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _signed_in(app, email: str):
    """Return a new test client signed in as ``email`` (a second person at the same time)."""
    other = app.test_client()
    token = csrf_token(other, "/login")
    assert other.post("/login", data={"email": email, "password": factories.PASSWORD, "csrf_token": token}).status_code == 302
    return other


def _in_a1(app, world, fn):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        return fn()


def test_consultant_fills_in_and_principal_decides(app, client, login, world):
    deal_id, bank_id, _ = _setup(app, world)
    base = f"/d/{world.slugs['a1']}/deals"
    login(world.emails["consultant_a1"])
    assert "Fill in the finance application" in client.get(f"{base}/{deal_id}").get_data(as_text=True)
    page = client.get(f"{base}/{deal_id}/finance")
    assert page.status_code == 200 and "Hyundai Capital" in page.get_data(as_text=True)
    token = csrf_token(client, f"{base}/{deal_id}/finance")
    bad = client.post(f"{base}/{deal_id}/finance", data={"csrf_token": token, **_form(bank_id, consent=None, monthly_income="lots")})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "This field is required." in body and "Enter a number, e.g. 1500 or 1500.50." in body
    assert "900304-1234567" not in body  # the identity number is never rendered back
    too_young = client.post(f"{base}/{deal_id}/finance", data={"csrf_token": token, **_form(bank_id, date_of_birth="2015-01-01")})
    assert too_young.status_code == 422 and "at least 18 years old" in too_young.get_data(as_text=True)
    assert _in_a1(app, world, lambda: db.session.scalar(select(func.count(FinanceApplication.id)))) == 0
    ok = client.post(f"{base}/{deal_id}/finance", data={"csrf_token": token, **_form(bank_id)})
    assert ok.status_code == 302
    application_id = _in_a1(app, world, lambda: db.session.scalar(select(FinanceApplication.id)))
    assert ok.headers["Location"].endswith(f"/deals/finance-applications/{application_id}")
    detail = client.get(f"{base}/finance-applications/{application_id}").get_data(as_text=True)
    assert "••••••4567" in detail and "1234567" not in detail and "4,800,000" not in detail
    assert "Record the decision" not in detail  # consultants do not decide
    assert _in_a1(app, world, lambda: db.session.get(Deal, deal_id).state) is DealState.FINANCING
    # the queue, full page and HTMX fragment, filtered by status
    queue = client.get(f"{base}/finance-applications").get_data(as_text=True)
    assert "Minjun Kim" in queue and "Submitted (1)" in queue
    fragment = client.get(f"{base}/finance-applications?status=declined", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No finance applications match." in fragment and "<html" not in fragment
    assert client.post(f"{base}/finance-applications/{application_id}/decision",
                       data={"csrf_token": token, "outcome": "approved"}).status_code == 403

    client = _signed_in(app, world.emails["principal_a1"])
    token = csrf_token(client, f"{base}/finance-applications/{application_id}")
    decision = f"{base}/finance-applications/{application_id}/decision"
    review = client.post(f"{base}/finance-applications/{application_id}/review", data={"csrf_token": token})
    assert review.status_code == 302
    bad_apr = client.post(decision, data={"csrf_token": token, "outcome": "approved", "apr_percent": "150", "term_months": "60",
                                          "amount_financed": "30000000"})
    assert bad_apr.status_code == 422 and "Number must be between 0 and 100." in bad_apr.get_data(as_text=True)
    too_much = client.post(decision, data={"csrf_token": token, "outcome": "approved", "apr_percent": "6", "term_months": "60",
                                           "amount_financed": "99000000"})
    assert too_much.status_code == 422 and "cannot exceed what is left to pay" in too_much.get_data(as_text=True)
    no_term = client.post(decision, data={"csrf_token": token, "outcome": "approved", "apr_percent": "6", "term_months": "0",
                                          "amount_financed": "30000000"})
    assert no_term.status_code == 422
    assert _in_a1(app, world, lambda: db.session.get(FinanceApplication, application_id).status) is FinanceStatus.IN_REVIEW
    approved = client.post(decision, data={"csrf_token": token, "outcome": "approved", "apr_percent": "6.25", "term_months": "48",
                                           "amount_financed": "30000000"})
    assert approved.status_code == 302

    def check():
        deal = db.session.get(Deal, deal_id)
        application = db.session.get(FinanceApplication, application_id)
        assert application.status is FinanceStatus.APPROVED and application.decided_by_id == world.ids["user_principal_a1"]
        assert deal.amount_financed == D("30000000") and deal.payment_kind == "finance"
        assert deal_service.settlement_of(deal).balance_due == D("5150000")

    _in_a1(app, world, check)
    assert "₩5,150,000" in client.get(f"{base}/{deal_id}").get_data(as_text=True)


def test_unmask_only_for_the_deals_consultant_and_managers_and_audited(app, client, login, world):
    _deal_id, _bank_id, application_id = _setup(app, world, submitted=True)
    url = f"/d/{world.slugs['a1']}/deals/finance-applications/{application_id}"
    login(world.emails["consultant_a1"])
    token = csrf_token(client, url)
    shown = client.post(f"{url}/reveal", data={"csrf_token": token, "what": "national_id"}, headers={"HX-Request": "true"})
    assert shown.status_code == 200 and "900304-1234567" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    income = client.post(f"{url}/reveal", data={"csrf_token": token, "what": "monthly_income"})
    assert income.status_code == 200 and "₩4,800,000" in income.get_data(as_text=True)
    assert client.post(f"{url}/reveal", data={"what": "national_id"}).status_code == 400  # no CSRF token
    assert client.post(f"{url}/reveal", data={"csrf_token": token, "what": "employer"}).status_code == 400

    client = _signed_in(app, world.emails["group"])  # another consultant of the same dealer
    page = client.get(url).get_data(as_text=True)
    assert "••••••4567" in page and ">Show<" not in page
    token = csrf_token(client, url)
    denied = client.post(f"{url}/reveal", data={"csrf_token": token, "what": "national_id"})
    assert denied.status_code == 403 and "900304-1234567" not in denied.get_data(as_text=True)

    client = _signed_in(app, world.emails["manager_a1"])
    token = csrf_token(client, url)
    assert "900304-1234567" in client.post(f"{url}/reveal", data={"csrf_token": token, "what": "national_id"}).get_data(as_text=True)

    def actions():
        rows = db.session.execute(select(AuditEvent.action, AuditEvent.actor_user_id).where(
            AuditEvent.object_type == "FinanceApplication", AuditEvent.action.like("finance_application.unmask%"),
        ).order_by(AuditEvent.id)).all()
        return [(action, user_id) for action, user_id in rows]

    group_id = _in_a1(app, world, lambda: db.session.scalar(select(User.id).where(User.email == world.emails["group"])))
    assert _in_a1(app, world, actions) == [
        ("finance_application.unmask", world.ids["user_consultant_a1"]),
        ("finance_application.unmask", world.ids["user_consultant_a1"]),
        ("finance_application.unmask_denied", group_id),
        ("finance_application.unmask", world.ids["user_manager_a1"]),
    ]


def test_uploads_are_checked_and_documents_served_to_staff(app, client, login, world, monkeypatch):
    _deal_id, _bank_id, application_id = _setup(app, world, submitted=True)
    url = f"/d/{world.slugs['a1']}/deals/finance-applications/{application_id}"
    login(world.emails["consultant_a1"])
    token = csrf_token(client, url)

    def post(data: bytes, name: str):
        return client.post(f"{url}/documents", data={"csrf_token": token, "kind": "income", "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")

    fake = post(b"#!/bin/sh\necho not a payslip\n", "payslip.pdf")
    assert fake.status_code == 422 and "Upload a PDF, JPG or PNG file." in fake.get_data(as_text=True)
    # a small limit keeps the request body in memory (the test client spools bodies over 500 KB to a file)
    monkeypatch.setitem(app.config, "FINANCE_DOCUMENT_MAX_BYTES", 64 * 1024)
    big = post(b"%PDF-1.4\n" + b"0" * (64 * 1024) + b"\n%%EOF\n", "big.pdf")
    assert big.status_code == 422 and "larger than 64 KB" in big.get_data(as_text=True)
    assert _in_a1(app, world, lambda: db.session.scalar(select(func.count(FinanceDocument.id)))) == 0
    assert post(PDF, "payslip.pdf").status_code == 302
    document_id, key = _in_a1(app, world, lambda: db.session.execute(select(FinanceDocument.id, FinanceDocument.storage_key)).one())
    served = client.get(f"{url}/documents/{document_id}")
    assert served.status_code == 200 and served.data == PDF and served.mimetype == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    get_storage(app.config).delete(key)


def test_customer_applies_through_the_purchase_link_and_never_sees_the_secrets(app, client, world):
    deal_id, bank_id, _ = _setup(app, world, locale="ko")

    def token():
        return deal_service.make_link_token(db.session.get(Deal, deal_id), app.config["SECRET_KEY"])

    link = f"/p/{_in_a1(app, world, token)}"
    purchase = client.get(link).get_data(as_text=True)
    assert f"{link}/finance" in purchase
    form = client.get(f"{link}/finance")
    assert form.status_code == 200
    csrf = csrf_token(client, f"{link}/finance")
    bad = client.post(f"{link}/finance", data={"csrf_token": csrf, **_form(bank_id, national_id="!!")})
    assert bad.status_code == 422
    assert client.post(f"{link}/finance", data=_form(bank_id)).status_code == 400  # CSRF everywhere
    ok = client.post(f"{link}/finance", data={"csrf_token": csrf, **_form(bank_id)})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(link)

    def submitted():
        application = db.session.scalar(select(FinanceApplication))
        return application.channel, application.submitted_by_id, db.session.get(Deal, deal_id).state

    assert _in_a1(app, world, submitted) == ("customer", None, DealState.FINANCING)
    page = client.get(link).get_data(as_text=True)
    assert "••••••4567" in page and "1234567" not in page and "4800000" not in page and "4,800,000" not in page
    rejected = client.post(f"{link}/finance/documents", data={"csrf_token": csrf, "kind": "identity",
                                                              "file": (io.BytesIO(b"GIF89a....."), "id.png")},
                           content_type="multipart/form-data")
    assert rejected.status_code == 422
    pdf = client.get(f"{link}/finance/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text_ = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "••••••4567" in text_ and "1234567" not in text_ and "4,800,000" not in text_
    assert "Minjun Kim" in text_ and "Hyundai Capital" in text_


def test_decline_through_the_page_returns_the_deal_to_reserved(app, client, login, world):
    deal_id, _bank_id, application_id = _setup(app, world, submitted=True)
    base = f"/d/{world.slugs['a1']}/deals"
    login(world.emails["manager_a1"])
    token = csrf_token(client, f"{base}/finance-applications/{application_id}")
    url = f"{base}/finance-applications/{application_id}/decision"
    missing = client.post(url, data={"csrf_token": token, "outcome": "declined"})
    assert missing.status_code == 422 and "reason for the decline." in missing.get_data(as_text=True)
    declined = client.post(url, data={"csrf_token": token, "outcome": "declined", "reason": "Income too low"},
                           headers={"HX-Request": "true"})
    assert declined.status_code == 204 and declined.headers["HX-Redirect"].endswith(f"/finance-applications/{application_id}")
    assert _in_a1(app, world, lambda: db.session.get(Deal, deal_id).state) is DealState.RESERVED
    page = client.get(f"{base}/{deal_id}").get_data(as_text=True)
    assert "New finance application" in page and "Finance declined" in page


def test_o2o_dealer_has_no_finance_pages(app, client, login, world):
    with app.app_context(), scoped(dealer_id=world.ids["a2"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a2"])
        customer = Customer(dealer_id=dealer.id, full_name="Jane Roe", email="jane@example.com")
        db.session.add(customer)
        db.session.flush()
        deal = deal_service.open_reservation(db.session, dealer, customer=customer, vehicle=deal_factories.stock_vehicle(dealer),
                                             locale="en")
        db.session.commit()
        deal_id, link = deal.id, f"/p/{deal_service.make_link_token(deal, app.config['SECRET_KEY'])}"
    login(world.emails["principal_a2"])
    base = f"/d/{world.slugs['a2']}/deals"
    assert client.get(f"{base}/finance-applications").status_code == 404
    assert client.get(f"{base}/{deal_id}/finance").status_code == 404
    assert "Finance application" not in client.get(f"{base}/{deal_id}").get_data(as_text=True)
    assert client.get(f"{link}/finance").status_code == 404
    assert client.get(f"{link}/finance/pdf").status_code == 404
    assert "Apply for finance" not in client.get(link).get_data(as_text=True)


def test_queue_menu_is_shown_to_e2e_staff(client, login, world):
    login(world.emails["consultant_a1"])
    page = client.get(f"/d/{world.slugs['a1']}/deals/").get_data(as_text=True)
    assert "/deals/finance-applications" in page
