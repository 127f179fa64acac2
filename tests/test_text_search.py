"""Text search runs alike on SQLite and PostgreSQL: Unicode case folding, ``%`` and ``_`` taken literally."""

from __future__ import annotations

import pytest
from sqlalchemy import func, literal, select

from app.blueprints.offers.builder import _stock_results
from app.database import like_pattern
from app.extensions import db
from app.models.accounts import User
from app.models.customers import Customer
from app.services import customers as customer_service
from app.services import deals as deal_service
from tests import deal_factories
from tests.dealer.helpers import as_dealer
from tests.offers.test_offer_list import _ids, _offer, _search


@pytest.mark.parametrize(
    ("term", "pattern"),
    [
        ("A_1", r"%A\_1%"),
        ("100%", r"%100\%%"),
        ("a\\b", r"%a\\b%"),
        ("Петров", "%Петров%"),
    ],
)
def test_like_pattern_escapes_the_wildcards(term, pattern):
    assert like_pattern(term) == pattern


@pytest.mark.parametrize(
    ("value", "lower", "upper"),
    [("ПЕТРОВ", "петров", "ПЕТРОВ"), ("Émile", "émile", "ÉMILE"), ("ÀÖ Ünal", "àö ünal", "ÀÖ ÜNAL"), ("A_1", "a_1", "A_1")],
)
def test_the_database_folds_every_cased_letter(app, value, lower, upper):
    with app.app_context():
        assert db.session.scalar(select(func.lower(literal(value)))) == lower
        assert db.session.scalar(select(func.upper(literal(value)))) == upper


NAMES = ["Петров Иван", "Émile Zola", "A_1 Motors", "A-1 Garage", "100% Auto", "X-1000 Parts"]

# term -> the names it finds (worked out by hand: substring, any case, % and _ as plain characters)
CUSTOMER_CASES = [
    ("Петров", {"Петров Иван"}),
    ("петров", {"Петров Иван"}),
    ("ПЕТРОВ", {"Петров Иван"}),
    ("émile", {"Émile Zola"}),
    ("ÉMILE", {"Émile Zola"}),
    ("Émile", {"Émile Zola"}),
    ("A_1", {"A_1 Motors"}),
    ("a-1", {"A-1 Garage"}),
    ("100%", {"100% Auto"}),
    ("1000", {"X-1000 Parts"}),
    ("%", {"100% Auto"}),
    ("_", {"A_1 Motors"}),
]


@pytest.fixture
def named_customers(app, world):
    with as_dealer(app, world) as dealer:
        for name in NAMES:
            db.session.add(Customer(dealer_id=dealer.id, full_name=name))
        db.session.commit()


@pytest.mark.parametrize(("term", "expected"), CUSTOMER_CASES)
def test_customer_search(app, world, named_customers, term, expected):
    with as_dealer(app, world) as dealer:
        found = {c.full_name for c in customer_service.search(db.session, dealer, term)}
    assert found == expected


OFFER_CASES = [("петров", "petrov"), ("ÉMILE", "emile"), ("A_1", "a_1"), ("a-1", "a-1"), ("100%", "pct"), ("x-1000", "x1000")]


def test_offer_search(app, world):
    with app.app_context():
        made = {
            "petrov": _offer(world, "a1", "Петров Иван")[0],
            "emile": _offer(world, "a1", "Someone", label="Tucson Émile Édition")[0],  # through search_text
            "a_1": _offer(world, "a1", "A_1 Motors")[0],
            "a-1": _offer(world, "a1", "A-1 Garage")[0],
            "pct": _offer(world, "a1", "Buyer", label="Tucson 100% electric")[0],
            "x1000": _offer(world, "a1", "Buyer", label="Tucson X-1000")[0],
        }
    for term, key in OFFER_CASES:
        assert _ids(_search(app, world, term)) == {made[key]}, term


STOCK_CASES = [("A_1", {"A_1"}), ("a-1", {"A-1"}), ("100%", {"100%"}), ("X-1000", {"X-1000"}), ("_", {"A_1"}), ("%", {"100%"})]


def test_offer_builder_stock_search(app, world):
    with as_dealer(app, world) as dealer:
        for n, stock_number in enumerate(["A_1", "A-1", "100%", "X-1000"]):
            deal_factories.stock_vehicle(dealer, vin=f"KMHJ381ABNU12345{n}", stock_number=stock_number)
        db.session.commit()
        for term, expected in STOCK_CASES:
            assert {v.stock_number for v in _stock_results(term)} == expected, term


def test_deal_search(app, world):
    with as_dealer(app, world) as dealer:
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        for n, name in enumerate(["Петров Иван", "A_1 Motors", "A-1 Garage"]):
            customer = Customer(dealer_id=dealer.id, full_name=name)
            db.session.add(customer)
            db.session.flush()
            vehicle = deal_factories.stock_vehicle(dealer, vin=f"KMHJ381ABNU12345{n}", stock_number=f"S{n}")
            deal_factories.deal(dealer, customer, consultant, vehicle=vehicle)
        db.session.commit()
        for term, expected in [("ПЕТРОВ", {"Петров Иван"}), ("a_1", {"A_1 Motors"}), ("A-1", {"A-1 Garage"}), ("%", set())]:
            rows, total = deal_service.list_deals(db.session, q=term)
            assert {row.customer.full_name for row in rows} == expected and total == len(expected), term
