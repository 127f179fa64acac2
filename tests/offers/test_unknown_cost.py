"""Stock cars without an acquisition cost (issue 11, item 1): the dealer's rule decides, the builder says which.

A Toronto dealer like the demo one: gross floor 250.00 CAD, threshold 1,500.00, a consultant with
1,000.00 of discount authority. Before issue 11 every offer on a car without a cost needed the
principal, even at full price ("Gross is unknown, so the floor CA$250.00 cannot be checked").
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.roles import Role
from app.extensions import db
from app.models.accounts import Dealer
from app.models.offers import Offer
from app.services import dealer_settings as ds
from app.tenancy import scoped
from tests import factories
from tests.inventory.factories import canadian_dealer, vehicle
from tests.offers.helpers import open_builder, post, settings

D = Decimal


@pytest.fixture
def shop(app):
    """The dealer, a consultant (authority 1,000.00 CAD), a car with a cost and one without."""
    with app.app_context():
        dealer = canadian_dealer()
        consultant = factories.user(Role.SALES_CONSULTANT, dealer_obj=dealer, name="Priya Consultant", preferred_locale="en")
        settings(dealer, fees=[ds.FeeInput("DOC", "Documentation fee", D("499.00"), True)], taxes=[],
                 authority=(D("1000.00"), None), consultant_ids=[consultant.id])
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
            ds.save_approval_settings(db.session, dealer, threshold_amount=D("1500.00"), threshold_percent=None,
                                      minimum_gross=D("250.00"), approver_roles=["dealer_principal", "sales_manager"])
        costed = vehicle(dealer.id, price=D("17995.00"), acquisition_cost=D("15500.00"))
        unknown = vehicle(dealer.id, price=D("18990.00"), acquisition_cost=None)
        data = {"dealer": dealer.id, "brand": dealer.brand_id, "slug": dealer.slug, "costed": costed.id,
                "unknown": unknown.id, "consultant": consultant.email}
        db.session.commit()
        return data


def _choose_rule(app, shop, rule: str) -> None:
    with app.app_context(), scoped(dealer_id=shop["dealer"], brand_id=shop["brand"]):
        dealer = db.session.get(Dealer, shop["dealer"])
        ds.save_approval_settings(db.session, dealer, threshold_amount=D("1500.00"), threshold_percent=None,
                                  minimum_gross=D("250.00"), approver_roles=["dealer_principal", "sales_manager"],
                                  unknown_cost_rule=rule)
        db.session.commit()


def _form(csrf: str, key: str, stock_id: int, discount: str = "") -> dict:
    form = {"csrf_token": csrf, "idempotency_key": key, "source": "stock", "stock_id": stock_id,
            "new_customer_name": "Noah Tremblay", "new_customer_email": "noah.tremblay@example.com",
            "new_customer_privacy": "y"}
    if discount:
        form.update(manual_kind="amount", manual_value=discount, manual_reason="Clearance")
    return form


def test_default_rule_requires_approval_and_says_so(client, login, shop):
    login(shop["consultant"])
    csrf, key = open_builder(client, shop["slug"])
    html = post(client, shop["slug"], "reprice", _form(csrf, key, shop["unknown"])).get_data(as_text=True)
    assert "Needs approval" in html and "Gross is unknown, so the floor CA$250.00 cannot be checked" in html
    assert 'data-rule="require_approval"' in html
    assert "Cost unknown: approval required, because the gross floor cannot be checked (dealer setting)." in html
    # A car with a cost at full price: gross 2,495.00 ≥ 250.00, nothing to approve, no cost note.
    known = post(client, shop["slug"], "reprice", _form(csrf, key, shop["costed"])).get_data(as_text=True)
    assert "Within your discount authority." in known and 'data-testid="cost-rule"' not in known


def test_authority_only_rule_lets_full_price_through_and_still_checks_authority(app, client, login, shop):
    _choose_rule(app, shop, "authority_only")
    login(shop["consultant"])
    csrf, key = open_builder(client, shop["slug"])
    full = post(client, shop["slug"], "reprice", _form(csrf, key, shop["unknown"])).get_data(as_text=True)
    assert "Needs approval" not in full and "Within your discount authority." in full
    assert 'data-rule="authority_only"' in full
    assert "Cost unknown: the gross floor was not checked; only the discount authority" in full
    at_limit = post(client, shop["slug"], "reprice", _form(csrf, key, shop["unknown"], "1000.00")).get_data(as_text=True)
    assert "Needs approval" not in at_limit  # exactly the consultant's 1,000.00
    over = post(client, shop["slug"], "reprice", _form(csrf, key, shop["unknown"], "1000.01")).get_data(as_text=True)
    assert "Needs approval" in over and "Discount CA$1,000.01 exceeds your authority of CA$1,000.00" in over
    assert "Gross is unknown" not in over

    saved = post(client, shop["slug"], "new", _form(csrf, key, shop["unknown"]))
    assert saved.status_code == 204
    with app.app_context(), scoped(dealer_id=shop["dealer"], brand_id=shop["brand"]):
        offer = db.session.scalar(select(Offer))
        revision = offer.revisions[-1]
        assert (revision.needs_approval, revision.cost_rule) == (False, "authority_only")
        offer_id = offer.id
    detail = client.get(f"/d/{shop['slug']}/offers/{offer_id}").get_data(as_text=True)
    assert 'data-rule="authority_only"' in detail and "Send to customer" in detail


def test_saved_offer_keeps_the_rule_that_applied_then(app, client, login, shop):
    login(shop["consultant"])
    csrf, key = open_builder(client, shop["slug"])
    assert post(client, shop["slug"], "new", _form(csrf, key, shop["unknown"])).status_code == 204
    _choose_rule(app, shop, "authority_only")  # a later change of the setting does not rewrite history
    with app.app_context(), scoped(dealer_id=shop["dealer"], brand_id=shop["brand"]):
        offer = db.session.scalar(select(Offer))
        assert offer.revisions[-1].needs_approval is True
        offer_id = offer.id
    detail = client.get(f"/d/{shop['slug']}/offers/{offer_id}").get_data(as_text=True)
    assert 'data-rule="require_approval"' in detail and "Submit for approval" in detail
