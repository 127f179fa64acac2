"""Acquisition costs typed per car and in bulk (issue 11, item 1): KRW dealer A1, all-or-nothing lists."""

from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.inventory import StockVehicle
from app.tenancy import scoped
from tests.conftest import csrf_token
from tests.inventory.factories import VINS, vehicle

D = Decimal


def _base(world, key="a1"):
    return f"/d/{world.slugs[key]}/inventory"


def _cars(app, world):
    with app.app_context():
        cars = [
            vehicle(world.ids["a1"], stock_number="SG-1", currency="KRW", price=D(27_350_000)),
            vehicle(world.ids["a1"], stock_number="SG-2", currency="KRW", price=D(38_830_000), acquisition_cost=D(35_000_000)),
            vehicle(world.ids["a1"], stock_number=None, vin=VINS[1], currency="KRW", price=D(21_000_000)),
        ]
        ids = [c.id for c in cars]
        db.session.commit()
        return ids


def _costs(app, world):
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        return {c.stock_number or c.vin: c.acquisition_cost for c in db.session.scalars(select(StockVehicle))}


def test_vehicle_cost_form_sets_clears_and_refuses_bad_amounts(app, client, login, world):
    ids = _cars(app, world)
    login(world.emails["manager_a1"])
    page = f"{_base(world)}/vehicles/{ids[0]}"
    assert "Unknown" in client.get(page).get_data(as_text=True)
    token = csrf_token(client, page)
    url = f"{page}/cost"
    assert client.post(url, data={"cost": "25000000"}).status_code == 400  # no CSRF token
    for bad, message in (("25000000.5", "Too many decimals for KRW."), ("0", "The cost must be more than 0"),
                         ("-1", "Must not be negative."), ("abc", "Enter a number, e.g. 1500 or 1500.50.")):
        response = client.post(url, data={"csrf_token": token, "cost": bad})
        assert response.status_code == 400 and message in response.get_data(as_text=True), bad
    assert _costs(app, world)["SG-1"] is None  # nothing half-saved
    ok = client.post(url, data={"csrf_token": token, "cost": "25000000"}, headers={"HX-Request": "true"})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"].endswith(f"/vehicles/{ids[0]}")
    assert _costs(app, world)["SG-1"] == D(25_000_000)
    assert "₩25,000,000" in client.get(page).get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "cost": ""})  # empty = unknown again
    assert _costs(app, world)["SG-1"] is None
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "inventory.cost")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.before["acquisition_cost"], e.after["acquisition_cost"]) for e in events] == [
            (None, "25000000"), ("25000000.00", None)]


def test_consultants_neither_see_nor_set_costs(app, client, login, world):
    ids = _cars(app, world)
    login(world.emails["consultant_a1"])
    token = csrf_token(client, "/workspaces")
    assert client.post(f"{_base(world)}/vehicles/{ids[0]}/cost", data={"csrf_token": token, "cost": "1"}).status_code == 403
    assert client.get(f"{_base(world)}/costs").status_code == 403
    listing = client.get(f"{_base(world)}/").get_data(as_text=True)
    assert "35,000,000" not in listing and 'name="cost"' not in listing


def test_bulk_costs_all_or_nothing(app, client, login, world):
    _cars(app, world)
    login(world.emails["principal_a1"])
    page = f"{_base(world)}/costs"
    html = client.get(page).get_data(as_text=True)
    assert "2 vehicles in stock have no cost yet." in html
    token = csrf_token(client, page)
    bad = client.post(page, data={"csrf_token": token, "lines": (
        "Stock #,Cost\n"          # header: skipped
        "sg-1,\"24,900,000\"\n"   # fine (lower-case stock number, quoted thousands)
        "SG-9,1000\n"             # no such car
        f"{VINS[1]},19500000.5\n"  # decimals in KRW
        "SG-1,25000000\n")})      # SG-1 twice
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Nothing was saved." in text
    assert "Line 4: Too many decimals for KRW." in text and "Line 5: SG-1 is already on line 2." in text
    assert _costs(app, world) == {"SG-1": None, "SG-2": D(35_000_000), VINS[1]: None}
    unknown = client.post(page, data={"csrf_token": token, "lines": "SG-1,24900000\nSG-9,1000\n"})
    assert "Line 2: No car in stock has the stock number or VIN SG-9." in unknown.get_data(as_text=True)
    assert _costs(app, world)["SG-1"] is None  # the good line was not saved either

    ok = client.post(page, data={"csrf_token": token, "lines": f"SG-1\t24,900,000\n{VINS[1].lower()}\t18500000\n"})
    assert ok.status_code == 303
    assert _costs(app, world) == {"SG-1": D(24_900_000), "SG-2": D(35_000_000), VINS[1]: D(18_500_000)}
    assert "Costs saved for 2 vehicles." in client.get(page).get_data(as_text=True)


def test_bulk_costs_from_a_csv_file_and_from_ticked_cars(app, client, login, world):
    ids = _cars(app, world)
    login(world.emails["manager_a1"])
    page = f"{_base(world)}/costs"
    # "Enter costs of ticked vehicles" on the stock list: the box lists them, current cost filled in.
    prefilled = client.get(page, query_string={"vehicle_ids": [ids[0], ids[1]]}).get_data(as_text=True)
    assert "SG-1,\nSG-2,35000000.00\n" in prefilled
    via_htmx = client.get(page, query_string={"vehicle_ids": [ids[0]]}, headers={"HX-Request": "true"})
    assert via_htmx.status_code == 204 and "vehicle_ids=" in via_htmx.headers["HX-Redirect"]
    token = csrf_token(client, page)
    upload = client.post(page, data={"csrf_token": token, "lines": "", "file": (io.BytesIO(
        "\ufeffstock_number;cost\nSG-1;24900000\n".encode()), "costs.csv")}, content_type="multipart/form-data")
    assert upload.status_code == 303 and _costs(app, world)["SG-1"] == D(24_900_000)
    latin = client.post(page, data={"csrf_token": token, "file": (io.BytesIO("SG-2,1\u00e9".encode("latin-1")), "c.csv")},
                        content_type="multipart/form-data")
    assert latin.status_code == 400 and "UTF-8" in latin.get_data(as_text=True)
    empty = client.post(page, data={"csrf_token": token, "lines": "\n\n"})
    assert empty.status_code == 400 and "Enter at least one line" in empty.get_data(as_text=True)


def test_stock_list_shows_costs_and_filters_unknown(app, client, login, world):
    _cars(app, world)
    login(world.emails["manager_a1"])
    html = client.get(f"{_base(world)}/", query_string={"cost": "unknown"}).get_data(as_text=True)
    assert "2 vehicles" in html and 'data-cost=""' in html and "SG-2" not in html
    known = client.get(f"{_base(world)}/", query_string={"cost": "known"}).get_data(as_text=True)
    assert "1 vehicle" in known and 'data-cost="35000000.00"' in known
    assert "Enter costs of ticked vehicles" in known
