"""Contract pages: generate on the deal page, sign through the purchase link, countersign, queue, refusals, O2O 404."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.domain.deal_states import DealAction, DealState
from app.domain.offer_states import OfferState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.contracts import Contract, ContractState
from app.models.customers import Customer
from app.models.deals import Deal
from app.services import deals as deal_service
from app.tenancy import scoped
from tests import deal_factories
from tests.conftest import csrf_token
from tests.deals.contract_helpers import pdf_text
from tests.offer_factories import NOW

NAME = "김민준"


def _reserved(app, world) -> tuple[int, str]:
    """Commit a reserved deal of dealer A1 (customer 김민준, consultant_a1); return its id and purchase token."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name=NAME, email="minjun@example.com")  # the deal speaks English (offer locale)
        db.session.add(customer)
        db.session.flush()
        deal_factories.reservation_settings("0")
        car = deal_factories.stock_vehicle(dealer)
        deal = deal_factories.deal(dealer, customer, db.session.get(User, world.ids["user_consultant_a1"]), vehicle=car)
        deal_service.advance(db.session, deal, DealAction.RESERVE, dealer=dealer, now=NOW)
        db.session.commit()
        return deal.id, deal_service.make_link_token(deal, app.config["SECRET_KEY"])


def _contract(app, world, deal_id) -> Contract | None:
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        contract = db.session.scalar(select(Contract).where(Contract.deal_id == deal_id).order_by(Contract.version.desc()))
        if contract is not None:
            db.session.expunge(contract)
        return contract


def _generate(client, world, deal_id):
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    return client.post(f"{base}/contract", data={"csrf_token": csrf_token(client, base)})


def _purchase_csrf(client, token) -> str:
    page = client.get(f"/p/{token}").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _sign(client, token, version=1, name=NAME, consent=True):
    data = {"csrf_token": _purchase_csrf(client, token), "full_name": name}
    if consent:
        data["consent"] = "y"
    return client.post(f"/p/{token}/contract/v{version}/sign", data=data, follow_redirects=True)


def test_generate_sign_countersign_contracts_the_deal(app, client, login, world):
    deal_id, token = _reserved(app, world)
    slug = world.slugs["a1"]
    login(world.emails["consultant_a1"])
    detail = client.get(f"/d/{slug}/deals/{deal_id}").get_data(as_text=True)
    assert "Generate the contract" in detail
    assert _generate(client, world, deal_id).status_code == 302
    detail = client.get(f"/d/{slug}/deals/{deal_id}").get_data(as_text=True)
    assert "Version 1" in detail and "Awaiting the customer" in detail and "Contract generated" in detail
    queue = client.get(f"/d/{slug}/deals/contracts").get_data(as_text=True)
    assert NAME in queue and "<html" in queue
    fragment = client.get(f"/d/{slug}/deals/contracts?state=customer_signed", headers={"HX-Request": "true"})
    assert "No contract is waiting" in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    contract = _contract(app, world, deal_id)
    staff_pdf = client.get(f"/d/{slug}/deals/contracts/{contract.id}/pdf")
    assert staff_pdf.mimetype == "application/pdf" and NAME in pdf_text(staff_pdf.data)
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/d/{slug}/deals/{deal_id}")})

    # the customer reads and signs through the purchase link
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert "Sign the contract" in page and f"/p/{token}/contract/v1.pdf" in page
    pdf = client.get(f"/p/{token}/contract/v1.pdf")
    assert pdf.mimetype == "application/pdf" and "₩35,150,000" in pdf_text(pdf.data)
    assert "exactly as it appears" in _sign(client, token, name="Kim").get_data(as_text=True)
    assert "tick the box" in _sign(client, token, consent=False).get_data(as_text=True)
    assert _contract(app, world, deal_id).state is ContractState.AWAITING_CUSTOMER
    signed = _sign(client, token, name=f" {NAME}  ")
    assert "you signed the contract" in signed.get_data(as_text=True)
    contract = _contract(app, world, deal_id)
    assert contract.state is ContractState.CUSTOMER_SIGNED and contract.customer_ip == "127.0.0.1"
    assert contract.customer_user_agent  # the test client's agent is recorded
    resign = client.post(f"/p/{token}/contract/v1/sign", data={"csrf_token": _purchase_csrf(client, token), "full_name": NAME,
                                                               "consent": "y"}, follow_redirects=True)
    assert "You have already signed this contract." in resign.get_data(as_text=True)

    # only the principal countersigns
    login(world.emails["consultant_a1"])
    url = f"/d/{slug}/deals/contracts/{contract.id}/countersign"
    token_staff = csrf_token(client, f"/d/{slug}/deals/{deal_id}")
    assert client.post(url, data={"csrf_token": token_staff, "confirm": "y"}).status_code == 403
    assert "Awaiting countersignature" in client.get(f"/d/{slug}/deals/contracts").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token_staff})
    login(world.emails["principal_a1"])
    detail = client.get(f"/d/{slug}/deals/{deal_id}").get_data(as_text=True)
    assert "Countersign the contract" in detail
    token_staff = csrf_token(client, f"/d/{slug}/deals/{deal_id}")
    unconfirmed = client.post(url, data={"csrf_token": token_staff}, follow_redirects=True)
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token_staff, "confirm": "y"}).status_code == 302
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.get(Deal, deal_id).state is DealState.CONTRACTED
    assert _contract(app, world, deal_id).state is ContractState.FULLY_SIGNED
    assert "No contract is waiting" in client.get(f"/d/{slug}/deals/contracts").get_data(as_text=True)
    again = client.post(url, data={"csrf_token": token_staff, "confirm": "y"}, follow_redirects=True)
    assert "already countersigned" in again.get_data(as_text=True)
    assert "Countersigned by" in client.get(f"/p/{token}").get_data(as_text=True)


def test_signature_on_a_withdrawn_offer_or_cancelled_deal_changes_nothing(app, client, login, world):
    deal_id, token = _reserved(app, world)
    login(world.emails["consultant_a1"])
    _generate(client, world, deal_id)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        db.session.get(Deal, deal_id).offer.state = OfferState.WITHDRAWN
        db.session.commit()
    response = _sign(client, token)
    assert "The offer behind this contract was withdrawn; the contract cannot be signed." in response.get_data(as_text=True)
    assert _contract(app, world, deal_id).customer_signed_at is None
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        deal = db.session.get(Deal, deal_id)
        deal.offer.state = OfferState.ACCEPTED
        deal_service.cancel(db.session, deal, dealer=db.session.get(Dealer, world.ids["a1"]), reason="Changed mind", actor=None)
        db.session.commit()
    # Cancelling revoked the purchase link: nothing of the sale is reachable through it any more.
    assert client.get(f"/p/{token}").status_code == 404
    staff_token = csrf_token(client, f"/d/{world.slugs['a1']}/deals/{deal_id}")  # one CSRF token per session
    signed = client.post(f"/p/{token}/contract/v1/sign", data={"csrf_token": staff_token, "full_name": NAME, "consent": "y"})
    assert signed.status_code == 404
    contract = _contract(app, world, deal_id)
    assert contract.state is ContractState.VOIDED and contract.customer_signed_at is None
    assert client.get(f"/p/{token}/contract/v1.pdf").status_code == 404


def test_generate_needs_csrf_and_the_right_person(app, client, login, world):
    deal_id, _token = _reserved(app, world)
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    login(world.emails["consultant_a1"])
    assert client.post(f"{base}/contract").status_code == 400
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        db.session.get(Deal, deal_id).consultant_id = world.ids["user_principal_a1"]
        db.session.commit()
    assert _generate(client, world, deal_id).status_code == 403  # another consultant's deal
    assert _contract(app, world, deal_id) is None


def test_o2o_dealer_has_no_contract_pages(app, client, login, world):
    with app.app_context(), scoped(dealer_id=world.ids["a2"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a2"])
        customer = Customer(dealer_id=dealer.id, full_name="Jane Roe")
        db.session.add(customer)
        db.session.flush()
        deal = deal_service.open_reservation(db.session, dealer, customer=customer, vehicle=deal_factories.stock_vehicle(dealer),
                                             locale="en")
        db.session.commit()
        deal_id = deal.id
    login(world.emails["principal_a2"])
    base = f"/d/{world.slugs['a2']}/deals"
    token = csrf_token(client, f"{base}/{deal_id}")
    assert client.get(f"{base}/contracts").status_code == 404
    assert client.post(f"{base}/{deal_id}/contract", data={"csrf_token": token}).status_code == 404
    assert "Generate the contract" not in client.get(f"{base}/{deal_id}").get_data(as_text=True)
    nav = client.get(f"{base}/").get_data(as_text=True)
    assert "/deals/contracts" not in nav
