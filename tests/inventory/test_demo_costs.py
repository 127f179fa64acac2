"""The Toronto demo stock has a realistic mix of acquisition costs (issue 11, item 1)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.demo import inventory as demo_inventory
from app.extensions import db
from app.models.accounts import Dealer
from app.models.inventory import StockVehicle
from app.tenancy import scoped
from tests.inventory.factories import canadian_dealer

D = Decimal


def test_demo_cost_is_a_plausible_margin_below_the_list_price():
    # Hand check of one key: the same key always gives the same cost, 7–15 % below the price, in 50.00 steps.
    cost = demo_inventory.demo_cost("KMHD84LF4JU498825", D("17995.00"))
    assert cost == demo_inventory.demo_cost("KMHD84LF4JU498825", D("17995.00"))
    assert cost is None or (D("17995.00") * D("0.85") - 50 < cost <= D("17995.00") * D("0.93") and cost % 50 == 0)
    assert demo_inventory.demo_cost("ANY", None) is None


def test_toronto_demo_stock_mostly_has_costs_and_reseeding_changes_nothing(app):
    with app.app_context():
        dealer = canadian_dealer()
        ids = dealer.id, dealer.brand_id
        db.session.commit()
        with scoped(dealer_id=ids[0], brand_id=ids[1]):
            dealer = db.session.get(Dealer, ids[0])
        demo_inventory.seed(db.session, {}, {"toronto-north": dealer})
        db.session.commit()
        with scoped(dealer_id=ids[0], brand_id=ids[1]):
            cars = db.session.scalars(select(StockVehicle)).all()
            first = {c.id: c.acquisition_cost for c in cars}
            priced = [c for c in cars if c.price]
            with_cost = [c for c in priced if c.acquisition_cost is not None]
            assert 0.8 * len(priced) <= len(with_cost) < len(priced)  # most, not all
            assert all(c.acquisition_cost is None for c in cars if not c.price)
            # 7–15 % margin, then rounded down to 50.00.
            assert all(c.price * D("0.85") - 50 < c.acquisition_cost <= c.price * D("0.93") for c in with_cost)
            dealer = db.session.get(Dealer, ids[0])
        demo_inventory.seed(db.session, {}, {"toronto-north": dealer})
        db.session.commit()
        with scoped(dealer_id=ids[0], brand_id=ids[1]):
            assert {c.id: c.acquisition_cost for c in db.session.scalars(select(StockVehicle))} == first
