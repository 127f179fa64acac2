"""Builder behaviour of issue 11 (item 11): a re-price that cannot price keeps the last good price and explains the
conflict where it is; colours missing are asked for at the colours; a dealer without a catalog opens on stock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.accounts import Dealer
from app.services import dealer_settings as ds
from app.tenancy import all_tenants, scoped
from tests.corporate import factories as cf
from tests.inventory.factories import vehicle
from tests.offers.helpers import open_builder, post, publish_catalog, settings

D = Decimal
ALL = ("vehicle", "options", "accessories", "fees")


@pytest.fixture
def catalog(app, world):
    """Dealer A1 (KRW, VAT included) with a published Tucson whose sunroof needs the convenience package."""
    with app.app_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["a1"])
        settings(dealer, fees=[ds.FeeInput("DELIVERY", "Delivery", D(250000), True)],
                 taxes=[ds.TaxInput("VAT", "VAT 10%", D(10), ALL, True, False)],
                 authority=(D(500000), None), consultant_ids=[world.ids["user_consultant_a1"]])
        with scoped(brand_id=world.ids["brand_a"]):
            package = cf.option(world.ids["brand_a"], code="CONV", name="Convenience package", price=D(890000))
            sunroof = cf.option(world.ids["brand_a"], code="SUNRF", name="Panoramic sunroof", price=D(1190000))
            sunroof.requires = [package]
            db.session.flush()
        publish_catalog(world.ids["brand_a"], model_code="TUCSON", model_name="Tucson", trim_code="TUC-INS",
                        trim_name="Inspiration", msrp=D(35000000), exterior=[("A2B", "Amazon Gray", D(0))],
                        interior=[("NNB", "Black", D(0))])
        customer = cf.customer(world.ids["a1"], full_name="Kim Minjun")
        db.session.commit()
        return {"slug": world.slugs["a1"], "customer": customer.id}


def _form(csrf, key, catalog, **extra):
    data = {"csrf_token": csrf, "idempotency_key": key, "customer_id": catalog["customer"], "source": "catalog",
            "model_code": "TUCSON", "trim_code": "TUC-INS", "exterior_code": "A2B", "interior_code": "NNB",
            "changed": "option_codes"}
    data.update(extra)
    return data


def test_a_conflict_keeps_the_last_good_price_and_is_explained_at_the_options(client, login, world, catalog):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, catalog["slug"])
    good = post(client, catalog["slug"], "reprice", _form(csrf, key, catalog, option_codes="CONV"))
    # 35,000,000 + 890,000 + 250,000 delivery (VAT included) = 36,140,000: the whole panel, swapped as usual
    assert 'data-otd="36140000"' in good.get_data(as_text=True) and "HX-Reswap" not in good.headers
    assert 'data-testid="price-bar"' in good.get_data(as_text=True)

    answer = post(client, catalog["slug"], "reprice", _form(csrf, key, catalog, option_codes="SUNRF"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    # Nothing is swapped in place of the panel: its price stays; only the message area comes, out of band.
    assert answer.headers["HX-Reswap"] == "none"
    assert 'id="price-status" class="price-status" hx-swap-oob="true"' in html and "is-stale" in html
    assert "data-otd" not in html and 'id="price-panel"' not in html
    # The conflict, in words and at the options: the sunroof and the package it needs are both outlined.
    assert "Panoramic sunroof needs Convenience package" in html
    assert 'id="vehicle-choices" hx-swap-oob="true"' in html and html.count('class="in-conflict"') == 2
    assert 'data-testid="option-conflicts"' in html


def test_options_before_colours_ask_for_the_colours_at_the_colours(client, login, world, catalog):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, catalog["slug"])
    html = post(client, catalog["slug"], "reprice",
                _form(csrf, key, catalog, exterior_code="", interior_code="", option_codes="CONV")).get_data(as_text=True)
    assert 'id="exterior_code-error"' in html and 'id="interior_code-error"' in html
    assert "Choose an exterior colour to see the price." in html
    assert "see the conflicts below" not in html and "in-conflict" not in html  # no option is at fault


def test_the_builder_opens_on_what_the_dealer_sells(app, client, login, world, catalog):
    login(world.emails["consultant_a1"])
    page = client.get(f"/d/{catalog['slug']}/offers/new").get_data(as_text=True)
    assert _checked(page, "catalog")
    # Brand B has published no catalog: dealer B1 (used cars) opens on stock, without an empty "New car" tab.
    with app.app_context(), all_tenants():
        vehicle(world.ids["b1"], currency="THB", price=D("650000.00"))
        db.session.commit()
    client.post("/logout", data={"csrf_token": _csrf(client)})
    login(world.emails["consultant_b1"])
    page = client.get(f"/d/{world.slugs['b1']}/offers/new").get_data(as_text=True)
    assert _checked(page, "stock") and 'name="source" type="radio" value="catalog"' not in page
    assert 'id="stock_q"' in page


def test_an_unticked_scenario_shows_only_its_checkbox(client, login, world, catalog):
    login(world.emails["consultant_a1"])
    page = client.get(f"/d/{catalog['slug']}/offers/new").get_data(as_text=True)
    # The fields sit in a toggle section whose CSS hides them until the scenario is ticked (checked in the browser test).
    assert page.count('<fieldset class="toggle-section">') == 2


def _checked(page: str, value: str) -> bool:
    import re

    return re.search(rf'<input checked[^>]*value="{value}"|<input[^>]*value="{value}"[^>]*checked', page) is not None


def _csrf(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/workspaces")
