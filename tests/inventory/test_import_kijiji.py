"""The real Kijiji 2019 export imported into a Toronto dealer: exact, explained report counts.

Expected numbers come from tests/domain/test_kijiji_facts.py (derived with the csv module and
app.domain.vin only) and the import rules documented in app/services/inventory_import.py:

* identity = valid VIN, else stock number; the file has no stock-number column, so a row without
  a usable VIN is rejected — except the 10 rows whose VIN cell holds a stock number ("1CPC3900" x6,
  "3CPC12200" x4), which the importer uses as the stock number (with a warning);
* later rows of the same vehicle are merged as duplicates.

* make, model and model year are required: 7 rows have an empty model; 2 of them carry a valid VIN
  (a Tesla, VIN 5YJSA4H26FFP78722, listed twice) — every other identified row passes every check
  (shown below with the csv module).

The dealer is in Canada, so every VIN needs a valid check digit (the 16 rows that are only warned
about elsewhere — an Audi, a Subaru, a Land Rover… — are refused too: 75 check-digit errors).

Rejected = 1,424 missing VIN + 1 illegal letters ("NEW19CARAVANQUOTE") + 75 check-digit errors
         + 2 rows without a model = 1,502.
Created  = (540 distinct valid VINs - 1 Tesla) + 2 stock numbers = 541.
Duplicates = (1,635 valid-VIN rows - 2 Tesla rows - 539) + (10 stock-number rows - 2) = 1,094 + 8 = 1,102.
Check: 541 + 1,102 + 1,502 = 3,145 rows.
Second import of the same file: 541 unchanged, nothing created or updated.
"""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from app.domain.vin import check_vin
from app.extensions import db
from app.imports.values import VehicleCondition
from app.models.accounts import Dealer
from app.models.inventory import StockVehicle
from app.services.inventory_import import import_file
from app.tenancy import scoped
from tests.domain import test_kijiji_facts as facts
from tests.inventory.factories import canadian_dealer

STOCK_NUMBER_ROWS = facts.NOT_17_CHAR_VIN_ROWS  # 10 rows, all stock numbers typed into the VIN column
STOCK_NUMBER_VEHICLES = 2  # "1CPC3900" and "3CPC12200"; each group is one row repeated (see below)
NO_MODEL_VIN_ROWS, NO_MODEL_VINS = 2, 1  # the Tesla listed twice with an empty model
EXPECTED_REJECTED = (
    facts.MISSING_VIN_ROWS + facts.ILLEGAL_LETTER_VIN_ROWS + facts.BAD_CHECK_DIGIT_ERROR_ROWS_CA + NO_MODEL_VIN_ROWS
)
EXPECTED_VIN_VEHICLES = facts.DISTINCT_VALID_VINS_CA - NO_MODEL_VINS
EXPECTED_CREATED = EXPECTED_VIN_VEHICLES + STOCK_NUMBER_VEHICLES
EXPECTED_DUPLICATES = (facts.VALID_VIN_ROWS_CA - NO_MODEL_VIN_ROWS - EXPECTED_VIN_VEHICLES) + (
    STOCK_NUMBER_ROWS - STOCK_NUMBER_VEHICLES
)


def test_expected_numbers_add_up():
    assert (EXPECTED_REJECTED, EXPECTED_CREATED, EXPECTED_DUPLICATES) == (1_502, 541, 1_102)
    assert EXPECTED_REJECTED + EXPECTED_CREATED + EXPECTED_DUPLICATES == facts.TOTAL_ROWS


@pytest.fixture(scope="module")
def rows():
    with facts.KIJIJI.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _identified(row) -> bool:
    check = check_vin(row["vin_number"], market="CA")
    return check.is_valid or check.looks_like_stock_number


def test_identified_rows_pass_every_other_check(rows):
    """Why no identified row is rejected for another reason: independent look at the cells."""
    identified = [row for row in rows if _identified(row)]
    assert len(identified) == facts.VALID_VIN_ROWS_CA + STOCK_NUMBER_ROWS
    no_model = [row for row in identified if not row["model"].strip()]
    assert [(row["brand"], row["vin_number"]) for row in no_model] == [("Tesla", "5YJSA4H26FFP78722")] * NO_MODEL_VIN_ROWS
    assert sum(1 for row in rows if not row["model"].strip()) == 7
    identified = [row for row in identified if row["model"].strip()]
    assert all(row["brand"].strip() for row in identified)
    assert all(row["model_year"].isdigit() and 1900 <= int(row["model_year"]) <= 2020 for row in identified)
    assert all(row["list_price"].isdigit() and row["mileage"].isdigit() for row in identified)
    assert all(row["condition"] in {"New", "Used", "Lease Takeover"} for row in identified)
    stock_rows = [tuple(row.values()) for row in identified if check_vin(row["vin_number"]).looks_like_stock_number]
    assert len(set(stock_rows)) == STOCK_NUMBER_VEHICLES


@pytest.fixture
def toronto(app):
    with app.app_context():
        dealer = canadian_dealer()
        ids = dealer.id, dealer.brand_id
        db.session.commit()
        return ids


def _import(dealer_id, brand_id, **kwargs):
    with scoped(dealer_id=dealer_id, brand_id=brand_id):
        dealer = db.session.get(Dealer, dealer_id)
        report = import_file(db.session, dealer, facts.KIJIJI.read_bytes(), facts.KIJIJI.name, **kwargs)
        db.session.commit()
        return report


def test_real_file_imports_with_the_explained_report(app, toronto, rows):
    dealer_id, brand_id = toronto
    with app.app_context():
        dry = _import(dealer_id, brand_id, dry_run=True)
        assert (dry.total_rows, dry.created, dry.updated, dry.unchanged, dry.duplicates, dry.rejected) == (
            facts.TOTAL_ROWS, EXPECTED_CREATED, 0, 0, EXPECTED_DUPLICATES, EXPECTED_REJECTED,
        )
        with scoped(dealer_id=dealer_id, brand_id=brand_id):
            assert db.session.scalar(select(func.count()).select_from(StockVehicle)) == 0  # dry run saved nothing

        first = _import(dealer_id, brand_id, dry_run=False)
        assert first.counts() == dry.counts() and first.saved
        rejected_rows = {issue.row for issue in first.issues if issue.severity == "error"}
        assert len(rejected_rows) == EXPECTED_REJECTED
        reasons = [issue.reason for issue in first.issues if issue.severity == "error"]
        assert sum("cannot be identified" in r for r in reasons) == facts.MISSING_VIN_ROWS
        assert sum("fails the check digit" in r for r in reasons) == facts.BAD_CHECK_DIGIT_ERROR_ROWS_CA
        assert sum(r == "Model is required." for r in reasons) == 7  # 2 identified + 5 also without VIN
        # Every row is checked in full, so each of the 54 zero prices gets its warning (rejected rows too).
        price_warnings = [i for i in first.issues if i.column == "list_price" and i.severity == "warning"]
        assert len(price_warnings) == facts.ZERO_PRICE_ROWS
        # In Canada no check digit is only a warning.
        assert not any(i.severity == "warning" and "fails the check digit" in i.reason for i in first.issues)

        with scoped(dealer_id=dealer_id, brand_id=brand_id):
            stock = db.session.scalars(select(StockVehicle)).all()
            assert len(stock) == EXPECTED_CREATED
            vins = [v.vin for v in stock if v.vin]
            assert len(vins) == EXPECTED_VIN_VEHICLES
            assert all(check_vin(vin, market="CA").is_valid and vin == vin.upper() for vin in vins)  # no accepted VIN is invalid
            assert sorted(v.stock_number for v in stock if not v.vin) == ["1CPC3900", "3CPC12200"]
            assert all(v.currency == "CAD" for v in stock)
            assert not any(v.is_online for v in stock if v.price is None)
            assert any(v.condition is VehicleCondition.LEASE_TAKEOVER for v in stock)
            snapshot = {v.id: (v.price, v.odometer, v.updated_at) for v in stock}

        second = _import(dealer_id, brand_id, dry_run=False)
        assert (second.created, second.updated, second.unchanged, second.duplicates, second.rejected) == (
            0, 0, EXPECTED_CREATED, EXPECTED_DUPLICATES, EXPECTED_REJECTED,
        )
        with scoped(dealer_id=dealer_id, brand_id=brand_id):
            again = {v.id: (v.price, v.odometer, v.updated_at) for v in db.session.scalars(select(StockVehicle))}
        assert again == snapshot  # re-import is a no-op
