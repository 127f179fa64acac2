"""Inventory API: keys, tenancy from the key, upsert report, idempotency, PATCH, rate limit, RQ job path."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.inventory import ImportBatch, StockVehicle, VehicleStatus
from app.services import api_keys
from app.tenancy import scoped
from tests.inventory.factories import VINS, vehicle

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def _key(app, dealer_id: int, brand_id: int) -> str:
    with app.app_context(), scoped(dealer_id=dealer_id, brand_id=brand_id):
        _obj, plain = api_keys.create_key(db.session, "DMS", user_id=None)
        db.session.commit()
    return plain


@pytest.fixture
def keys(app, world):
    return {
        "a1": _key(app, world.ids["a1"], world.ids["brand_a"]),
        "b1": _key(app, world.ids["b1"], world.ids["brand_b"]),
    }


def _auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


ITEM = {"vin": VINS[0], "make": "Honda", "model": "Accord", "model_year": 2003, "price": 12500000, "odometer": "44,190 km",
        "condition": "Used"}


def test_missing_bad_and_revoked_keys_get_401(app, client, world, keys):
    assert client.get("/api/v1/inventory").status_code == 401
    assert client.get("/api/v1/inventory", headers=_auth("fc_0000000000_nope")).status_code == 401
    assert client.get("/api/v1/inventory", headers=_auth(keys["a1"])).status_code == 200
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        from app.models.inventory import ApiKey

        api_keys.revoke_key(db.session, db.session.scalar(select(ApiKey)))
        db.session.commit()
    response = client.get("/api/v1/inventory", headers=_auth(keys["a1"]))
    assert response.status_code == 401 and response.json == {"error": "The API key is unknown or revoked."}


def test_key_of_dealer_a_never_sees_dealer_b(app, client, world, keys):
    with app.app_context():
        vehicle(world.ids["b1"], vin=VINS[1], currency="THB")
        vehicle(world.ids["a1"], vin=VINS[2])
        db.session.commit()
    listed = client.get("/api/v1/inventory", headers=_auth(keys["a1"])).json
    assert [v["vin"] for v in listed["items"]] == [VINS[2]] and listed["total"] == 1
    assert "acquisition_cost" not in listed["items"][0]
    # PATCH of B's VIN with A's key: 404, B's car untouched.
    response = client.patch(f"/api/v1/inventory/{VINS[1]}", json={"status": "sold"}, headers=_auth(keys["a1"]))
    assert response.status_code == 404
    # POSTing B's VIN with A's key creates A's own vehicle, never touches B's.
    client.post("/api/v1/inventory", json={"items": [dict(ITEM, vin=VINS[1], make="Hyundai", model="Sonata",
                                                          model_year=2018)]}, headers=_auth(keys["a1"]))
    with app.app_context(), scoped(dealer_id=world.ids["b1"], brand_id=world.ids["brand_b"]):
        b_car = db.session.scalar(select(StockVehicle).where(StockVehicle.vin == VINS[1]))
        assert b_car.status is VehicleStatus.IN_STOCK and b_car.model == "Tucson"


def test_post_reports_per_item_and_is_an_upsert(app, client, world, keys):
    items = [ITEM, dict(ITEM, vin="NOT-A-VIN"), dict(ITEM), {"stock_number": "S-9", "make": "Kia", "model": "Rio",
                                                             "model_year": "2016", "price": "0"}]
    response = client.post("/api/v1/inventory", json={"items": items}, headers=_auth(keys["a1"]))
    assert response.status_code == 200
    body = response.json
    assert [i["result"] for i in body["items"]] == ["created", "rejected", "duplicate", "created"]
    assert body["saved"] and body["summary"]["created"] == 2 and body["summary"]["rejected"] == 1
    assert body["items"][1]["errors"] and any("price" in w for w in body["items"][3]["warnings"])
    again = client.post("/api/v1/inventory", json={"items": [dict(ITEM, price=13000000)]}, headers=_auth(keys["a1"]))
    assert again.json["items"][0]["result"] == "updated"
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        assert db.session.scalar(select(func.count()).select_from(StockVehicle)) == 2
        assert db.session.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.source == "api")) == 2


@pytest.mark.parametrize(
    "payload",
    [[], {"items": []}, {"items": [{"vin": VINS[0], "colour": "red"}]}, {"items": [{"price": True}]}, {"items": [1]},
     {"items": [ITEM], "extra": 1}],
)
def test_post_rejects_bodies_outside_the_schema(client, world, keys, payload):
    response = client.post("/api/v1/inventory", json=payload, headers=_auth(keys["a1"]))
    assert response.status_code == 400 and "error" in response.json


def test_idempotency_key_replays_and_refuses_a_different_body(app, client, world, keys):
    headers = _auth(keys["a1"], **{"Idempotency-Key": "order-42"})
    first = client.post("/api/v1/inventory", json={"items": [ITEM]}, headers=headers)
    replay = client.post("/api/v1/inventory", json={"items": [ITEM]}, headers=headers)
    assert first.status_code == replay.status_code == 200
    assert replay.json == first.json and replay.headers["Idempotent-Replayed"] == "true"
    assert first.json["items"][0]["result"] == "created"  # a real second call would say "unchanged"
    other = client.post("/api/v1/inventory", json={"items": [dict(ITEM, price=1)]}, headers=headers)
    assert other.status_code == 422
    # Another dealer's key may use the same Idempotency-Key independently.
    assert client.post("/api/v1/inventory", json={"items": [ITEM]},
                       headers=_auth(keys["b1"], **{"Idempotency-Key": "order-42"})).status_code == 200


def test_patch_status_and_price(app, client, world, keys):
    with app.app_context():
        vehicle(world.ids["a1"], vin=VINS[0])
        db.session.commit()
    response = client.patch(f"/api/v1/inventory/{VINS[0].lower()}", json={"status": "reserved", "price": "9,900,000"},
                            headers=_auth(keys["a1"]))
    assert response.status_code == 200
    assert response.json["status"] == "reserved" and response.json["price"] == "9900000.00"
    assert response.json["online"] is False  # reserved cars are not offered online
    assert client.patch(f"/api/v1/inventory/{VINS[0]}", json={"status": "flying"}, headers=_auth(keys["a1"])).status_code == 400
    assert client.patch(f"/api/v1/inventory/{VINS[0]}", json={"price": "abc"}, headers=_auth(keys["a1"])).status_code == 422
    assert client.patch(f"/api/v1/inventory/{VINS[0]}", data="x", headers=_auth(keys["a1"])).status_code == 400


def test_rate_limit_per_key(app, client, world, keys):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.get("/api/v1/inventory", headers=_auth(keys["a1"])).status_code for _ in range(4)]
        other = client.get("/api/v1/inventory", headers=_auth(keys["b1"])).status_code
    finally:
        app.config["API_RATE_LIMIT"] = "300 per minute"
    assert codes == [200, 200, 200, 429] and other == 200


def test_api_is_csrf_exempt_and_openapi_is_served(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.") and "/api/v1/inventory" in document["paths"]


def _redis():
    try:
        from redis import Redis

        connection = Redis.from_url(REDIS_URL)
        connection.ping()
        return connection
    except Exception:  # noqa: BLE001 - any connection problem means "no Redis here"
        if os.environ.get("CI"):
            raise
        return None


def test_import_job_runs_on_rq_with_a_simple_worker(app, client, login, world):
    """The same job function, enqueued on Redis (``REDIS_TEST_URL``, db 15) and run by RQ's SimpleWorker in burst mode."""
    connection = _redis()
    if connection is None:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    from rq import SimpleWorker

    from app.services.inventory_jobs import get_queue, job_stopped
    from tests.inventory.test_routes import _base, _batch_id, _csv, _mapping_post, _upload

    queue = get_queue(REDIS_URL)
    queue.empty()
    login(world.emails["principal_a1"])
    batch_id = _batch_id(_upload(client, world, _csv(f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,")))
    app.config["REDIS_URL"] = REDIS_URL
    try:
        _mapping_post(client, world, batch_id)
        # A worker listens on the queue (registered, not yet working): the page polls while the job is queued.
        listener = SimpleWorker([queue], connection=connection)
        listener.register_birth()
        try:
            waiting = client.get(f"{_base(world)}/import/{batch_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
        finally:
            listener.register_death()
        assert 'hx-trigger="every 1s"' in waiting and 'data-testid="no-worker"' not in waiting
        assert len(queue) == 1
        assert queue.jobs[0].stopped_callback is job_stopped  # a job stopped by hand still drops the upload
        with app.app_context():
            assert SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        app.config["REDIS_URL"] = ""
    done = client.get(f"{_base(world)}/import/{batch_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 1s" not in done and "Dry run: nothing has been saved yet." in done
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.status.value == "previewed" and batch.created_count == 1 and batch.job_id
        assert (batch.progress_rows, batch.progress_total) == (1, 1)  # the worker recorded its progress too


def test_cli_import_prints_the_report(app, runner, world, tmp_path):
    path = tmp_path / "stock.csv"
    from tests.inventory.test_routes import _csv

    path.write_bytes(_csv(f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,", "null,,Ford,Focus,2015,9000,80000,Used,"))
    dry = runner.invoke(args=["import-inventory", "--dealer", world.slugs["a1"], str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "created          1" in dry.output and "rejected         1" in dry.output and "nothing saved" in dry.output
    real = runner.invoke(args=["import-inventory", "--dealer", world.slugs["a1"], str(path)])
    assert real.exit_code == 0 and "created          1" in real.output
    again = runner.invoke(args=["import-inventory", "--dealer", world.slugs["a1"], str(path)])
    assert "unchanged        1" in again.output
    bad = runner.invoke(args=["import-inventory", "--dealer", "nope", str(path)])
    assert bad.exit_code != 0 and "No dealer" in bad.output
    json.dumps(dry.output)
