"""Corporate customer detail lists the person's offers at every dealer of the brand, never another brand's."""

from __future__ import annotations

from app.extensions import db
from app.models.accounts import Dealer
from app.models.customers import Customer
from app.tenancy import scoped
from tests import offer_factories


def _offer_for(app, world, dealer_key, brand_key, email):
    with app.app_context(), scoped(dealer_id=world.ids[dealer_key], brand_id=world.ids[brand_key]):
        dealer = db.session.get(Dealer, world.ids[dealer_key])
        customer = Customer(dealer_id=dealer.id, full_name="Kim Minjun", email=email)
        db.session.add(customer)
        db.session.flush()
        offer = offer_factories.offer(dealer, customer, None)
        db.session.commit()
        return customer.id, offer.number


def test_offers_across_dealers_of_the_brand(app, client, login, world):
    customer_a1, number_a1 = _offer_for(app, world, "a1", "brand_a", "minjun@example.com")
    _customer_a2, number_a2 = _offer_for(app, world, "a2", "brand_a", "minjun@example.com")
    _customer_b1, number_b1 = _offer_for(app, world, "b1", "brand_b", "minjun@example.com")
    login(world.emails["corp_a"])
    page = client.get(f"/c/{world.slugs['brand_a']}/customers/{customer_a1}").get_data(as_text=True)
    assert number_a1 in page and number_a2 in page
    assert number_b1 not in page  # the same e-mail at another brand's dealer stays invisible
    assert "Dealer A2" in page
