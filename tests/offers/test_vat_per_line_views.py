"""A German dealer (19 % VAT included, rounded per line): the price panel, the saved offer and its snapshot
print net, VAT and gross per line and in total, and the figures add up.

By hand: car 35,700.00 − 1,000.00 manual = 34,700.00: VAT 34,700 × 19/119 = 5,540.336… → 5,540.34, net
29,159.66. Überführung 999.00: 159.504… → 159.50, net 839.50. Zulassung 30.00, not taxed. Totals: net
29,159.66 + 839.50 + 30.00 = 30,029.16; VAT 5,699.84; gross 35,729.00 (= the out-the-door price).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.accounts import Dealer
from app.models.offers import Offer, OfferRevision
from app.services import dealer_settings as ds
from app.tenancy import all_tenants, scoped
from tests.corporate import factories as cf
from tests.inventory.factories import vehicle
from tests.offers.helpers import open_builder, post, settings

D = Decimal
ALL = ("vehicle", "options", "accessories", "fees")
FEES = [ds.FeeInput("TRANSFER", "Überführung", D("999.00"), True), ds.FeeInput("REG", "Zulassung", D("30.00"), False)]
TAXES = [ds.TaxInput("VAT", "MwSt. 19 %", D(19), ALL, True, False)]
PANEL_FIGURES = ["€29,159.66", "€5,540.34", "€34,700.00", "€839.50", "€159.50", "€999.00",
                 "€30,029.16", "€5,699.84", "€35,729.00"]


@pytest.fixture
def munich(app, world):
    """Dealer A1 turned German (DE, EUR) with the German fee and tax table, a 35,700.00 EUR car and a customer."""
    with app.app_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["a1"])
        dealer.country, dealer.currency = "DE", "EUR"
        settings(dealer, fees=FEES, taxes=TAXES, authority=(D("5000.00"), None),
                 consultant_ids=[world.ids["user_consultant_a1"]])
        car = vehicle(dealer.id, currency="EUR", price=D("35700.00"), acquisition_cost=D("30000.00"))
        customer = cf.customer(world.ids["a1"], full_name="Anna Müller")
        ids = {"slug": world.slugs["a1"], "stock": car.id, "customer": customer.id, "dealer": dealer.id}
        db.session.commit()
    return ids


def _form(csrf, key, munich):
    return {"csrf_token": csrf, "idempotency_key": key, "customer_id": munich["customer"], "source": "stock",
            "stock_id": munich["stock"], "manual_value": "1000.00"}


def test_panel_and_saved_offer_print_net_vat_gross_per_line(app, client, login, world, munich):
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, munich["slug"])
    panel = post(client, munich["slug"], "reprice", _form(csrf, key, munich)).get_data(as_text=True)
    assert 'data-testid="tax-breakdown"' in panel
    for figure in PANEL_FIGURES:
        assert figure in panel, figure

    saved = post(client, munich["slug"], "new", _form(csrf, key, munich))
    assert saved.status_code == 204, saved.get_data(as_text=True)[:1000]
    offer_id = int(saved.headers["HX-Redirect"].rstrip("/").split("/")[-1])
    page = client.get(f"/d/{munich['slug']}/offers/{offer_id}").get_data(as_text=True)
    assert 'data-testid="tax-breakdown"' in page
    for figure in PANEL_FIGURES:
        assert figure in page, figure

    with app.app_context(), scoped(dealer_id=munich["dealer"], brand_id=world.ids["brand_a"]):
        offer = db.session.get(Offer, offer_id)
        revision = db.session.query(OfferRevision).filter_by(offer_id=offer.id).one()
        priced = revision.snapshot["priced"]
    breakdown = priced["tax_breakdown"]
    assert priced["tax_rounding"] == "per_line"
    assert [(r["net"], r["tax"], r["gross"]) for r in breakdown["lines"]] == [
        ("29159.66", "5540.34", "34700.00"), ("839.50", "159.50", "999.00"), ("30.00", "0.00", "30.00"),
    ]
    assert (breakdown["total_net"], breakdown["total_tax"], breakdown["total_gross"]) == ("30029.16", "5699.84", "35729.00")
    assert priced["out_the_door_price"] == "35729.00" and priced["total_included_tax"] == "5699.84"


def test_korean_dealer_prints_no_per_line_table(app, client, login, world):
    with app.app_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["a1"])
        settings(dealer, fees=[], taxes=[ds.TaxInput("VAT", "VAT 10%", D(10), ALL, True, False)],
                 consultant_ids=[world.ids["user_consultant_a1"]])
        car = vehicle(dealer.id, currency=dealer.currency, price=D("35000000")).id
        customer = cf.customer(world.ids["a1"], full_name="이서연").id
        db.session.commit()
    login(world.emails["consultant_a1"])
    csrf, key = open_builder(client, world.slugs["a1"])
    panel = post(client, world.slugs["a1"], "reprice", {"csrf_token": csrf, "idempotency_key": key, "customer_id": customer,
                                                         "source": "stock", "stock_id": car}).get_data(as_text=True)
    assert 'id="price-panel"' in panel and "of which VAT 10%" in panel
    assert 'data-testid="tax-breakdown"' not in panel


def test_german_table_refuses_a_trade_in_credit(app, world):
    with app.test_request_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["a1"])
        dealer.country, dealer.currency = "DE", "EUR"
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id), pytest.raises(ds.SettingsError) as info:
            ds.replace_fee_tax_table(db.session, dealer, FEES, [ds.TaxInput("VAT", "MwSt. 19 %", D(19), ALL, True, True)])
        assert (info.value.field, info.value.group, info.value.row) == ("trade_in_credit", "taxes", 0)
        assert "rounded per line" in str(info.value)
        db.session.rollback()
