"""The importer reads the acquisition cost column (issue 11, item 1) and never erases a cost by omission."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.imports.mapping import CanonicalField, match_header, suggest_mapping
from app.models.accounts import Dealer
from app.models.inventory import StockVehicle
from app.services.inventory_import import import_file, import_items
from app.tenancy import scoped
from tests.inventory.factories import canadian_dealer

D = Decimal


@pytest.mark.parametrize(
    "name", ["cost", "Acquisition Cost", "acquisition_cost", "Purchase Price", "Unit cost", "Dealer Cost",
             "Vehicle Cost", "매입가", "ต้นทุน", "Себестоимость"],
)
def test_cost_column_names_are_recognised(name):
    found = match_header(name)
    assert found is not None and found[0] is CanonicalField.COST


def test_cost_column_does_not_steal_the_price():
    mapping = suggest_mapping(["Stock #", "Year", "Make", "Model", "Price", "Purchase Price"])
    assert mapping.column_for(CanonicalField.PRICE) == "Price"
    assert mapping.column_for(CanonicalField.COST) == "Purchase Price"


@pytest.fixture
def toronto(app):
    with app.app_context():
        dealer = canadian_dealer()
        ids = dealer.id, dealer.brand_id
        db.session.commit()
        return ids


def _import(dealer_id, brand_id, text: str):
    with scoped(dealer_id=dealer_id, brand_id=brand_id):
        dealer = db.session.get(Dealer, dealer_id)
        report = import_file(db.session, dealer, text.encode(), "stock.csv", dry_run=False)
        db.session.commit()
        costs = {v.stock_number: v.acquisition_cost for v in db.session.scalars(select(StockVehicle))}
        return report, costs


def test_cost_is_imported_validated_and_never_erased_by_a_blank(app, toronto):
    dealer_id, brand_id = toronto
    with app.app_context():
        first, costs = _import(dealer_id, brand_id, (
            "Stock #,Year,Make,Model,Price,Acquisition Cost\n"
            "T1,2018,Hyundai,Elantra,17995,\"$15,500.00\"\n"   # a plausible cost, written the way a DMS prints it
            "T2,2019,Hyundai,Tucson,25998,\n"                   # no cost known
            "T3,2017,Kia,Soul,12990,0\n"                        # 0: not a cost, warned
            "T4,2016,Ford,Escape,9990,10500\n"                  # above the list price: kept, warned
            "T5,2015,Honda,Civic,8990,12.345\n"                 # three decimals in CAD: rejected row
        ))
        assert (first.created, first.rejected) == (4, 1)
        assert costs == {"T1": D("15500.00"), "T2": None, "T3": None, "T4": D("10500.00")}
        by_row = {(i.row, i.severity): i.reason for i in first.issues if i.column == "Acquisition Cost"}
        assert "A cost of 0 is not stored" in by_row[(4, "warning")]
        assert "above the list price" in by_row[(5, "warning")]
        assert "Cost '12.345' is ambiguous: '.' is the decimal separator" in by_row[(6, "error")]

        # The next export has no figure for T1 (blank) and a new one for T2; a file without the column
        # leaves every cost alone.
        second, costs = _import(dealer_id, brand_id, (
            "Stock #,Year,Make,Model,Price,Cost\n"
            "T1,2018,Hyundai,Elantra,17995,\n"
            "T2,2019,Hyundai,Tucson,25998,23100\n"
        ))
        assert (second.updated, second.unchanged) == (1, 1)
        assert costs["T1"] == D("15500.00") and costs["T2"] == D("23100.00")
        third, costs = _import(dealer_id, brand_id, "Stock #,Year,Make,Model,Price\nT2,2019,Hyundai,Tucson,25998\n")
        assert third.unchanged == 1 and costs["T2"] == D("23100.00")


def test_api_items_carry_the_cost(app, toronto):
    dealer_id, brand_id = toronto
    with app.app_context(), scoped(dealer_id=dealer_id, brand_id=brand_id):
        dealer = db.session.get(Dealer, dealer_id)
        report = import_items(db.session, dealer, [
            {"stock_number": "A1", "model_year": 2020, "make": "Hyundai", "model": "Kona", "price": "21990", "cost": "19250.00"},
            {"stock_number": "A2", "model_year": 2020, "make": "Hyundai", "model": "Kona", "price": "21990", "cost": "-5"},
        ])
        assert [item["result"] for item in report.items] == ["created", "rejected"]
        assert "cost: Cost '-5' is negative." in report.items[1]["errors"]
        car = db.session.scalar(select(StockVehicle).where(StockVehicle.stock_number == "A1"))
        assert car.acquisition_cost == D("19250.00")
        db.session.rollback()
