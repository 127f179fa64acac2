"""Inventory pages: list + HTMX fragment, permissions, import steps end to end, hostile uploads, history CSV."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.domain.roles import BusinessModel
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.inventory import ApiKey, ImportBatch, ImportStatus, StockVehicle, VehiclePhoto, VehicleStatus
from app.tenancy import all_tenants, scoped
from tests.conftest import csrf_token
from tests.imports.test_photos import deflated_zeros, zip_with_raw_entry
from tests.inventory.factories import VINS, vehicle

HEADER = "vin_number,stock,brand,model,model_year,list_price,mileage,condition,configration\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")


def _jpeg(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _base(world, key="a1"):
    return f"/d/{world.slugs[key]}/inventory"


def _count(app, dealer_id, model=StockVehicle):
    with app.app_context(), scoped(dealer_id=dealer_id):
        return db.session.scalar(select(func.count()).select_from(model))


def _upload(client, world, data: bytes, name="stock.csv", photos: bytes | None = None, photos_name="photos.zip"):
    token = csrf_token(client, f"{_base(world)}/import")
    form = {"csrf_token": token, "file": (io.BytesIO(data), name), "encoding": ""}
    if photos is not None:
        form["photos"] = (io.BytesIO(photos), photos_name)
    return client.post(f"{_base(world)}/import", data=form, content_type="multipart/form-data")


def _batch_id(response) -> int:
    location = response.headers["Location"]
    return int(location.rstrip("/").split("/")[-2])


def _mapping_post(client, world, batch_id, choices: dict[int, str] | None = None, mode="valid_rows"):
    page = client.get(f"{_base(world)}/import/{batch_id}/mapping")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = csrf_token(client, f"{_base(world)}/import/{batch_id}/mapping")
    import re

    data = {"csrf_token": token, "mode": mode, "remember": "y"}
    for index, value in re.findall(r'<select name="col-(\d+)".*?<option value="([^"]*)" selected', html, re.S):
        data[f"col-{index}"] = value
    for index, value in (choices or {}).items():
        data[f"col-{index}"] = value
    return client.post(f"{_base(world)}/import/{batch_id}/mapping", data=data)


def test_list_page_and_htmx_fragment(app, client, login, world):
    with app.app_context():
        vehicle(world.ids["a1"], make="Hyundai", model="Tucson", model_year=2019)
        vehicle(world.ids["a1"], make="Kia", model="Sorento", model_year=2021, status=VehicleStatus.SOLD)
        vehicle(world.ids["b1"], make="Hyundai", model="Secret", currency="THB")
        db.session.commit()
    login(world.emails["consultant_a1"])
    page = client.get(f"{_base(world)}/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Tucson" in html and "Sorento" in html
    assert "Secret" not in html  # another dealer's car
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get(f"{_base(world)}/?status=sold&q=kia", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Sorento" in body and "Tucson" not in body
    assert "bulk-form" not in body and 'name="vehicle_ids"' not in body  # consultants cannot change status


def test_o2o_dealer_has_no_inventory_menu(client, login, world):
    login(world.emails["principal_a2"])
    assert client.get(f"/d/{world.slugs['a2']}/inventory/").status_code == 404


def test_consultant_cannot_import_or_change_status(app, client, login, world):
    with app.app_context():
        car_id = vehicle(world.ids["a1"]).id
        db.session.commit()
    login(world.emails["consultant_a1"])
    token = csrf_token(client, "/workspaces")
    assert client.get(f"{_base(world)}/import").status_code == 403
    response = client.post(f"{_base(world)}/vehicles/{car_id}/status", data={"csrf_token": token, "status": "sold"})
    assert response.status_code == 403
    assert client.get(f"{_base(world)}/api-keys").status_code == 403


def test_vehicle_page_status_change_is_audited_and_hides_cost_from_consultants(app, client, login, world):
    from decimal import Decimal

    with app.app_context():
        car_id = vehicle(world.ids["a1"], acquisition_cost=Decimal("17123.45")).id
        db.session.commit()
    login(world.emails["consultant_a1"])
    assert "17" + "123" not in client.get(f"{_base(world)}/vehicles/{car_id}").get_data(as_text=True).replace(",", "")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    login(world.emails["manager_a1"])
    url = f"{_base(world)}/vehicles/{car_id}/status"
    assert client.post(url, data={"status": "sold"}).status_code == 400  # no CSRF token
    token = csrf_token(client, f"{_base(world)}/vehicles/{car_id}")
    assert client.post(url, data={"csrf_token": token, "status": "bogus"}).status_code == 400
    response = client.post(url, data={"csrf_token": token, "status": "reserved"}, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(f"/vehicles/{car_id}")
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        car = db.session.get(StockVehicle, car_id)
        assert car.status is VehicleStatus.RESERVED and car.reserved_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inventory.status"))
        assert event.before == {"status": "in_stock"} and event.after == {"status": "reserved"}
    assert client.get(f"{_base(world)}/vehicles/999999").status_code == 404


def test_bulk_status_change(app, client, login, world):
    with app.app_context():
        ids = [vehicle(world.ids["a1"]).id for _ in range(3)]
        other = vehicle(world.ids["b1"], currency="THB").id
        db.session.commit()
    login(world.emails["principal_a1"])
    token = csrf_token(client, f"{_base(world)}/")
    response = client.post(f"{_base(world)}/bulk-status", data={"csrf_token": token, "status": "withdrawn", "vehicle_ids": ids[:2]})
    assert response.status_code == 303
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        statuses = [db.session.get(StockVehicle, i).status for i in ids]
    assert statuses == [VehicleStatus.WITHDRAWN, VehicleStatus.WITHDRAWN, VehicleStatus.IN_STOCK]
    # Another dealer's id in the list: 404, nothing changed.
    response = client.post(f"{_base(world)}/bulk-status", data={"csrf_token": token, "status": "sold", "vehicle_ids": [ids[2], other]})
    assert response.status_code == 404
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.get(StockVehicle, ids[2]).status is VehicleStatus.IN_STOCK


def test_import_upload_mapping_dry_run_commit_with_photos(app, client, login, world):
    login(world.emails["principal_a1"])
    data = _csv(
        f"{VINS[0]},A-1,Honda,Accord,2003,\"12,500,000\",\"44,190 Miles\",Used,EX",
        f"{VINS[1].lower()},A-2,Hyundai,Sonata,2018,0,12000,New,",
        f"{VINS[0]},A-1,Honda,Accord,2003,\"12,500,000\",\"44,190 Miles\",Used,EX",
        "null,,Ford,Focus,2015,9000,80000,Used,",
        "=HYPERLINK(\"x\"),,Kia,Rio,2016,8000,50000,Used,",
    )
    photos = _zip({f"{VINS[0]}_2.jpg": _jpeg((1, 2, 3)), f"{VINS[0]}.jpg": _jpeg(), "A-2 (1).jpg": _jpeg((9, 9, 9)),
                   "notes.jpg": b"<html>not an image</html>"})
    response = _upload(client, world, data, photos=photos)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    batch_id = _batch_id(response)
    response = _mapping_post(client, world, batch_id)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(f"{_base(world)}/import/{batch_id}")
    html = page.get_data(as_text=True)
    assert "Dry run: nothing has been saved yet." in html
    assert _count(app, world.ids["a1"]) == 0
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        batch = db.session.get(ImportBatch, batch_id)
        # 5 rows: 2 created (Accord, Sonata), 1 duplicate (Accord again), 2 rejected (no VIN/stock; formula VIN).
        assert (batch.status, batch.total_rows, batch.created_count, batch.duplicate_count, batch.rejected_count) == (
            ImportStatus.PREVIEWED, 5, 2, 1, 2,
        )
        assert batch.photos_attached == 3 and batch.photos_rejected == 1
    fragment = client.get(f"{_base(world)}/import/{batch_id}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "batch-panel" in fragment.get_data(as_text=True)

    token = csrf_token(client, f"{_base(world)}/import/{batch_id}")
    response = client.post(f"{_base(world)}/import/{batch_id}/commit", data={"csrf_token": token})
    assert response.status_code == 303
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.status is ImportStatus.COMMITTED and batch.saved and batch.created_count == 2
        accord = db.session.scalar(select(StockVehicle).where(StockVehicle.vin == VINS[0]))
        assert str(accord.price) == "12500000.00" and accord.odometer == 71117  # 44,190 mi → km, dealer is KR
        assert [p.position for p in accord.photos] == [1, 2]
        assert [p.original_name for p in accord.photos] == [f"{VINS[0]}.jpg", f"{VINS[0]}_2.jpg"]
        sonata = db.session.scalar(select(StockVehicle).where(StockVehicle.stock_number == "A-2"))
        assert sonata.vin == VINS[1] and sonata.price is None and not sonata.is_online and len(sonata.photos) == 1
        photo_id = accord.photos[0].id
    image = client.get(f"{_base(world)}/photos/{photo_id}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and image.data[:2] == b"\xff\xd8"

    # The error report CSV neutralises the formula cell.
    report = client.get(f"{_base(world)}/import/{batch_id}/errors.csv")
    rows = list(csv.reader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    assert not any(cell.startswith("=") for row in rows for cell in row)
    assert "stock.csv" in client.get(f"{_base(world)}/imports").get_data(as_text=True)

    # Second import of the same file and photos: nothing changes.
    response = _upload(client, world, data, photos=photos)
    second = _batch_id(response)
    _mapping_post(client, world, second)
    token = csrf_token(client, f"{_base(world)}/import/{second}")
    client.post(f"{_base(world)}/import/{second}/commit", data={"csrf_token": token})
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        batch = db.session.get(ImportBatch, second)
        assert (batch.created_count, batch.updated_count, batch.unchanged_count, batch.photos_attached) == (0, 0, 2, 0)
        assert db.session.scalar(select(func.count()).select_from(VehiclePhoto)) == 3


def test_mapping_errors_rerender_and_save_nothing(app, client, login, world):
    login(world.emails["principal_a1"])
    batch_id = _batch_id(_upload(client, world, _csv(f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,")))
    # Column 2 (brand) set to skip: make is missing → 400 with the message.
    response = _mapping_post(client, world, batch_id, {2: ""})
    assert response.status_code == 400 and "Map a column to each of" in response.get_data(as_text=True)
    # Two columns into one field.
    response = _mapping_post(client, world, batch_id, {3: "make"})
    assert response.status_code == 400 and "already fed by column" in response.get_data(as_text=True)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.get(ImportBatch, batch_id).status is ImportStatus.UPLOADED


def test_all_or_nothing_saves_nothing_when_a_row_is_rejected(app, client, login, world):
    login(world.emails["principal_a1"])
    data = _csv(f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,", "null,,Ford,Focus,2015,9000,80000,Used,")
    batch_id = _batch_id(_upload(client, world, data))
    _mapping_post(client, world, batch_id, mode="all_or_nothing")
    token = csrf_token(client, f"{_base(world)}/import/{batch_id}")
    client.post(f"{_base(world)}/import/{batch_id}/commit", data={"csrf_token": token})
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.rejected_count == 1 and not batch.saved
    assert _count(app, world.ids["a1"]) == 0


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<vehicles><vehicle><vin>&xxe;</vin><make>Kia</make></vehicle></vehicles>"""


def _bomb() -> bytes:
    # 8 MB of zeros whose headers claim 1 KB: refused while inflating, one chunk past the claim.
    return zip_with_raw_entry(f"{VINS[0]}.jpg", deflated_zeros(8 * 1024 * 1024), 1024)


def _traversal(name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name), _jpeg())
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "photos", "message"),
    [
        (XXE, "stock.xml", None, "DOCTYPE"),
        (_csv(f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,"), "stock.csv", _traversal("../evil.jpg"), "unsafe path"),
        (_csv(f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,"), "stock.csv", _traversal("/etc/evil.jpg"), "unsafe path"),
        (_csv(f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,"), "stock.csv", _bomb(), "zip bomb"),
        (b"PK\x03\x04garbage", "stock.xlsx", None, "damaged"),
        (b"", "stock.csv", None, "empty"),
    ],
    ids=["xxe", "zip-dotdot", "zip-absolute", "zip-bomb", "fake-xlsx", "empty"],
)
def test_hostile_uploads_get_a_clear_error_and_nothing_is_saved(app, client, login, world, data, name, photos, message):
    login(world.emails["principal_a1"])
    response = _upload(client, world, data, name=name, photos=photos)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, world.ids["a1"], ImportBatch) == 0
    assert _count(app, world.ids["a1"]) == 0


def test_oversize_upload_is_refused(app, client, login, world):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        login(world.emails["principal_a1"])
        response = _upload(client, world, b"x" * 4096)
        assert response.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024
    assert _count(app, world.ids["a1"], ImportBatch) == 0


def test_api_keys_are_shown_once_and_revocable(app, client, login, world):
    login(world.emails["principal_a1"])
    token = csrf_token(client, f"{_base(world)}/api-keys")
    response = client.post(f"{_base(world)}/api-keys", data={"csrf_token": token, "name": "DMS"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "shown only once" in html
    import re

    plain = re.search(r"fc_[0-9a-f]{10}_[A-Za-z0-9_-]+", html).group(0)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        key = db.session.scalar(select(ApiKey))
        assert plain not in key.key_hash and key.key_hash != plain
        key_id = key.id
    assert plain not in client.get(f"{_base(world)}/api-keys").get_data(as_text=True)
    assert client.post(f"{_base(world)}/api-keys", data={"csrf_token": token, "name": ""}).status_code == 400
    client.post(f"{_base(world)}/api-keys/{key_id}/revoke", data={"csrf_token": token})
    with app.app_context(), all_tenants():
        assert db.session.get(ApiKey, key_id).revoked_at is not None
    assert client.get("/api/v1/inventory", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_inventory_menu_only_for_e2e(world):
    from app.domain.roles import menu_available

    assert menu_available("inventory", BusinessModel.E2E) and not menu_available("inventory", BusinessModel.O2O)
