"""An arrival / in-stock date column feeds ``arrival_date`` and so days in stock (issue 13 item 8).

XLSX dates may be date cells or bare serial numbers in general-formatted cells; serials are read with
the workbook's own date system. Serials by hand: 2026-11-03 is 46329 in the 1900 system and
46329 - 1462 = 44867 in the 1904 system (see tests/imports/test_values.py).
"""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.accounts import Dealer
from app.models.base import utcnow
from app.models.inventory import StockVehicle
from app.services.inventory_import import import_file
from app.tenancy import scoped
from tests.inventory.factories import canadian_dealer


def _workbook(rows, *, epoch_1904=False):
    workbook = openpyxl.Workbook()
    if epoch_1904:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.append(["Stock #", "Make", "Model", "Year", "Price", "In stock since"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(app, data, name):
    with app.app_context():
        dealer = canadian_dealer()
        dealer_id, brand_id = dealer.id, dealer.brand_id
        db.session.commit()
        with scoped(dealer_id=dealer_id, brand_id=brand_id):
            report = import_file(db.session, db.session.get(Dealer, dealer_id), data, name, dry_run=False)
            db.session.commit()
            arrived = {v.stock_number: v.arrival_date for v in db.session.scalars(select(StockVehicle))}
        return report, arrived


@pytest.mark.parametrize("epoch_1904", [False, True], ids=["1900", "1904"])
def test_xlsx_serials_and_date_cells_become_the_arrival_date(app, epoch_1904):
    serial = 44867 if epoch_1904 else 46329  # both 2026-11-03
    data = _workbook(
        [
            ["A1", "Kia", "Soul", 2019, 19990, serial],  # a serial in a general-formatted cell
            ["A2", "Kia", "Rio", 2020, 15990, datetime(2026, 10, 1)],  # a date cell
            ["A3", "Kia", "Niro", 2021, 29990, None],  # no date: the import day
        ],
        epoch_1904=epoch_1904,
    )
    report, arrived = _import(app, data, "stock.xlsx")
    assert report.rejected == 0
    assert arrived == {"A1": date(2026, 11, 3), "A2": date(2026, 10, 1), "A3": utcnow().date()}


def test_csv_arrival_dates_count_days_in_stock_and_bad_ones_reject_the_row(app):
    text = (
        "stock,make,model,year,price,arrival date\n"
        "C1,Kia,Soul,2019,19990,2026-10-01\n"
        "C2,Kia,Rio,2020,15990,01.10.2026\n"
        "C3,Kia,Niro,2021,29990,10/01/2026\n"  # October 1 or January 10: refused
        "C4,Kia,EV6,2022,49990,46329\n"  # a serial outside a workbook means nothing
    )
    report, arrived = _import(app, text.encode(), "stock.csv")
    assert arrived == {"C1": date(2026, 10, 1), "C2": date(2026, 10, 1)}
    errors = {i.row: i.reason for i in report.issues if i.severity == "error"}
    assert sorted(errors) == [4, 5] and all("is not a date" in reason for reason in errors.values())
    vehicle = StockVehicle(arrival_date=arrived["C1"])
    assert vehicle.days_in_stock(date(2026, 11, 3)) == 33  # 30 days of October after the 1st + 3
