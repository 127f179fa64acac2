"""Dealer dashboard offer cards, and partner banks as the finance domain's rate sheets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.finance import NoAPRForTermError
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.services import offers as offer_service
from app.services import partner_banks
from app.tenancy import scoped
from tests import offer_factories
from tests.conftest import csrf_token

D = Decimal
B = partner_banks.AprBand


def test_dashboard_shows_offers_by_state_and_approvals_waiting(app, client, login, world):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="김민준")
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        waiting = offer_factories.offer(dealer, customer, consultant, discount="2000000")
        offer_service.submit_for_approval(db.session, waiting, consultant)
        offer_factories.offer(dealer, customer, consultant)
        db.session.commit()
    login(world.emails["principal_a1"])
    page = client.get(f"/d/{world.slugs['a1']}/").get_data(as_text=True)
    assert 'data-waiting="1"' in page and "Approvals waiting" in page and "Pending approval" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    login(world.emails["consultant_a1"])
    page = client.get(f"/d/{world.slugs['a1']}/").get_data(as_text=True)
    assert "Approvals waiting" not in page and "Draft" in page and "New offer" in page


def test_partner_bank_terms_and_validation(app, world):
    with app.app_context(), scoped(brand_id=world.ids["brand_a"]):
        bank = partner_banks.save_bank(db.session, None, brand_id=world.ids["brand_a"], name="현대캐피탈",
                                       bands=[B(37, 60, D("5.20")), B(1, 36, D("4.50"))], min_down_payment_percent=D(10),
                                       max_term=60)
        terms = partner_banks.terms_for(bank)
        assert terms.apr_for(36) == D("4.50") and terms.apr_for(48) == D("5.20")
        assert terms.minimum_down_payment(D(35000000), "KRW") == D(3500000)
        with pytest.raises(NoAPRForTermError):
            terms.apr_for(72)
        assert [b["min_term"] for b in bank.apr_bands] == [1, 37]  # stored in term order
        for kwargs, field in (
            ({"name": " "}, "name"),
            ({"bands": []}, "apr_bands"),
            ({"bands": [B(1, 36, D("4.5")), B(30, 60, D("5"))]}, "apr_bands"),  # overlapping
            ({"bands": [B(1, 36, D("150"))]}, "apr_bands"),  # APR over 100
            ({"name": "현대캐피탈"}, "name"),  # duplicate
        ):
            values = {"brand_id": world.ids["brand_a"], "name": "KB", "bands": [B(1, 60, D("5.9"))],
                      "min_down_payment_percent": D(0), "max_term": 60, **kwargs}
            with pytest.raises(partner_banks.PartnerBankError) as caught:
                partner_banks.save_bank(db.session, None, **values)
            assert caught.value.field == field
        assert [b.name for b in partner_banks.active_banks(db.session)] == ["현대캐피탈"]
    with app.app_context(), scoped(brand_id=world.ids["brand_b"]):
        assert partner_banks.active_banks(db.session) == []  # brand B does not see brand A's banks
