"""The offer list: search by number, customer or vehicle; pipeline figures; filter chips; SQL budget."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.offer_states import OfferState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.services import offer_queries
from app.tenancy import scoped
from tests import offer_factories
from tests.offers.test_builder_routes import count_sql

OTD = Decimal("35150000")  # out-the-door price of offer_factories.offer without discount


def _offer(world, dealer_key: str, name: str, *, label: str | None = None, state: OfferState | None = None,
           consultant_key: str = "user_consultant_a1") -> tuple[int, str]:
    """Create an offer at dealer ``dealer_key`` for a new customer ``name``; return its id and number."""
    brand_key = "brand_b" if dealer_key == "b1" else "brand_a"
    with scoped(dealer_id=world.ids[dealer_key], brand_id=world.ids[brand_key]):
        dealer = db.session.get(Dealer, world.ids[dealer_key])
        customer = Customer(dealer_id=dealer.id, full_name=name)
        db.session.add(customer)
        db.session.flush()
        offer = offer_factories.offer(dealer, customer, db.session.get(User, world.ids[consultant_key]),
                                      valid_until=date(2099, 1, 1))
        if label is not None:
            offer.vehicle_label = label  # an UPDATE: the database recomputes search_text
        if state is not None:
            offer.state = state
        db.session.commit()
        return offer.id, offer.number


@pytest.fixture
def offers(app, world):
    """Three offers at dealer A1 (one declined), one at B1 whose customer shares a name with A1's."""
    with app.app_context():
        alice = _offer(world, "a1", "Alice Kim")
        bob = _offer(world, "a1", "Bob Lee", label="Santa Fe Calligraphy", state=OfferState.DECLINED)
        minjun = _offer(world, "a1", "김민준", label="Ioniq 5 Long Range")
        other = _offer(world, "b1", "Alice Kim", consultant_key="user_consultant_b1")
    return {"alice": alice, "bob": bob, "minjun": minjun, "other": other}


def _search(app, world, q=None, states=None, with_state_counts=False) -> offer_queries.OfferPage:
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        return offer_queries.list_offers(db.session, q=q, states=states, with_state_counts=with_state_counts)


def _ids(page: offer_queries.OfferPage) -> set[int]:
    return {offer.id for offer in page.offers}


def test_search_matches_number_customer_and_vehicle_without_regard_to_case(app, world, offers):
    alice, bob, minjun = offers["alice"][0], offers["bob"][0], offers["minjun"][0]
    assert _ids(_search(app, world, "alice")) == {alice}  # not B1's Alice
    assert _ids(_search(app, world, "  KIM ")) == {alice}
    assert _ids(_search(app, world, "santa FE")) == {bob}  # the label after an update
    assert _ids(_search(app, world, "tucson")) == {alice}  # Bob's offer no longer reads Tucson
    assert _ids(_search(app, world, "민준")) == {minjun}
    assert _ids(_search(app, world, offers["minjun"][1].lower())) == {minjun}
    assert _ids(_search(app, world, "")) == {alice, bob, minjun}


def test_search_takes_wildcards_literally_and_never_spans_two_fields(app, world, offers):
    number = offers["alice"][1]
    assert _ids(_search(app, world, "%")) == set()
    assert _ids(_search(app, world, "_")) == set()
    assert _ids(_search(app, world, number[-4:] + "%Tucson")) == set()
    assert _ids(_search(app, world, number[-4:] + " Tucson")) == set()
    assert _ids(_search(app, world, number[-4:])) == {offers["alice"][0]}


def test_figures_cover_the_whole_filtered_set(app, world, offers):
    everything = _search(app, world, with_state_counts=True)
    assert everything.total_count == 3 and everything.pages == 1
    assert everything.open_value == 2 * OTD  # the declined offer is not open pipeline
    assert everything.state_counts == {"draft": 2, "declined": 1}
    searched = _search(app, world, "a", with_state_counts=True)  # Alice Kim, Santa Fe, Long Range
    assert searched.total_count == 3
    assert searched.state_counts == {"draft": 2, "declined": 1}  # the chips ignore the search
    declined = _search(app, world, "e", states=["declined"], with_state_counts=True)
    assert _ids(declined) == {offers["bob"][0]} and declined.total_count == 1 and declined.open_value == 0
    assert declined.state_counts == {"draft": 2, "declined": 1}
    fragment = _search(app, world, "kim", states=["draft", "declined"])
    assert fragment.total_count == 1 and fragment.open_value == OTD and fragment.state_counts is None
    nothing = _search(app, world, "no such offer", with_state_counts=True)
    assert nothing.offers == [] and nothing.total_count == 0 and nothing.open_value == 0 and nothing.pages == 1


def test_list_page_and_search_fragment_over_http(client, login, world, offers):
    login(world.emails["principal_a1"])
    url = f"/d/{world.slugs['a1']}/offers/"
    with count_sql() as page_statements:
        page = client.get(url + "?consultant=0").get_data(as_text=True)
    assert "Alice Kim" in page and "김민준" in page and "Bob Lee" in page
    assert "3 offers" in page and "₩70,300,000" in page
    assert 'value="declined" > Declined <small>1</small>' in " ".join(page.split())
    with count_sql() as search_statements:
        fragment = client.get(url + "?consultant=0&q=ALICE", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Alice Kim" in fragment and "김민준" not in fragment
    assert "1 offer ·" in fragment and "₩35,150,000" in fragment
    # user, dealer + membership, figures, page rows (+ consultants for the page's filter form)
    assert len(search_statements) <= 4, "\n".join(s[:120] for s in search_statements)
    assert len(page_statements) <= 5, "\n".join(s[:120] for s in page_statements)
