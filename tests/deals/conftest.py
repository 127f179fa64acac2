"""Fixtures for deal tests: dealer A1 (E2E, KRW) scope with a customer, consultant and principal."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.tenancy import scoped


@dataclass
class DealSetup:
    """The people and dealer a deal test works with (inside the dealer's tenant scope)."""

    dealer: Dealer
    customer: Customer
    consultant: User
    principal: User


@pytest.fixture
def a1(app, world):
    """Yield a ``DealSetup`` inside dealer A1's scope (E2E, KRW, Asia/Seoul)."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        customer = Customer(dealer_id=dealer.id, full_name="김민준", email="minjun@example.com")  # reads the deal in its language (the offer's, English)
        db.session.add(customer)
        db.session.flush()
        yield DealSetup(dealer, customer, db.session.get(User, world.ids["user_consultant_a1"]),
                        db.session.get(User, world.ids["user_principal_a1"]))


@pytest.fixture
def a2(app, world):
    """Yield a ``DealSetup`` inside dealer A2's scope (O2O); its consultant is the principal."""
    with app.app_context(), scoped(dealer_id=world.ids["a2"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a2"])
        customer = Customer(dealer_id=dealer.id, full_name="Jane Roe", email="jane@example.com")
        db.session.add(customer)
        db.session.flush()
        principal = db.session.get(User, world.ids["user_principal_a2"])
        yield DealSetup(dealer, customer, principal, principal)
