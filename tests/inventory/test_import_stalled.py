"""Imports whose job stops without finishing: detected, marked failed with the rows read, run again or discarded."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.models.inventory import ImportBatch, ImportStatus
from app.services import inventory_jobs
from app.services.storage import get_storage
from app.tenancy import all_tenants, scoped
from tests.conftest import csrf_token
from tests.inventory.factories import VINS
from tests.inventory.test_routes import _base, _batch_id, _csv, _upload

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def _set(app, world, batch_id, **values):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        batch = db.session.get(ImportBatch, batch_id)
        for key, value in values.items():
            setattr(batch, key, value)
        db.session.commit()


def _get(app, world, batch_id) -> ImportBatch:
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        batch = db.session.get(ImportBatch, batch_id)
        db.session.expunge(batch)
        return batch


def _uploaded(client, login, world) -> int:
    login(world.emails["principal_a1"])
    return _batch_id(_upload(client, world, _csv(f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,")))


def _redis():
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception:  # noqa: BLE001 - no Redis here
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not reachable")
    return connection


def test_a_silent_in_process_job_is_failed_after_the_timeout_and_can_be_run_again_or_discarded(app, client, login, world):
    batch_id = _uploaded(client, login, world)
    now = utcnow()
    # A web worker died mid-import at 3,500 of 20,000 rows: its last heartbeat is 20 minutes old.
    _set(app, world, batch_id, status=ImportStatus.RUNNING, phase="dry_run", progress_rows=3500, progress_total=20000,
         heartbeat_at=now - timedelta(minutes=20))
    page = client.get(f"{_base(world)}/import/{batch_id}").get_data(as_text=True)
    batch = _get(app, world, batch_id)
    assert batch.status is ImportStatus.FAILED and not batch.saved and batch.file_key  # upload kept for a retry
    assert "stopped before it finished" in page and "3,500 of 20,000 rows" in page
    assert 'data-testid="run-again"' in page and "every 1s" not in page
    assert client.get(f"{_base(world)}/import/{batch_id}/mapping").status_code == 200  # run it again from here
    token = csrf_token(client, f"{_base(world)}/import/{batch_id}")
    assert client.post(f"{_base(world)}/import/{batch_id}/discard", data={"csrf_token": token}).status_code in (302, 303)
    gone = _get(app, world, batch_id)
    assert gone.status is ImportStatus.DISCARDED and gone.file_key is None


def test_a_job_that_still_beats_is_left_running(app, client, login, world):
    batch_id = _uploaded(client, login, world)
    _set(app, world, batch_id, status=ImportStatus.RUNNING, phase="dry_run", heartbeat_at=utcnow() - timedelta(minutes=2))
    page = client.get(f"{_base(world)}/import/{batch_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 1s" in page and _get(app, world, batch_id).status is ImportStatus.RUNNING


def test_the_timeout_is_a_setting(app, world):
    batch = ImportBatch(status=ImportStatus.RUNNING, heartbeat_at=utcnow() - timedelta(seconds=90))
    now = utcnow()
    assert not inventory_jobs.is_stalled(batch, now, stale_after=120)
    assert inventory_jobs.is_stalled(batch, now, stale_after=60)
    assert not inventory_jobs.is_stalled(ImportBatch(status=ImportStatus.PREVIEWED, heartbeat_at=now - timedelta(days=1)), now)


def test_kill_9_of_the_rq_work_horse_marks_the_import_failed(app, client, login, world):
    connection = _redis()
    batch_id = _uploaded(client, login, world)
    queue = inventory_jobs.get_queue(REDIS_URL)
    queue.empty()
    job = queue.enqueue("tests.inventory.rq_jobs.die_hard", batch_id)
    _set(app, world, batch_id, status=ImportStatus.RUNNING, phase="dry_run", job_id=job.id, progress_rows=3500,
         progress_total=20000, heartbeat_at=utcnow())
    worker = subprocess.run(  # noqa: S603 - our own rq worker with fixed arguments
        [sys.executable, "-c", "from rq.cli import main; main()", "worker", "--burst", "--url", REDIS_URL,
         inventory_jobs.QUEUE_NAME],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert "terminated unexpectedly" in worker.stderr + worker.stdout
    assert inventory_jobs.rq_job_status(REDIS_URL, job.id) == "failed"
    app.config["REDIS_URL"] = REDIS_URL
    try:
        page = client.get(f"{_base(world)}/import/{batch_id}").get_data(as_text=True)
    finally:
        app.config["REDIS_URL"] = ""
    batch = _get(app, world, batch_id)
    assert batch.status is ImportStatus.FAILED and batch.file_key and "stopped before it finished" in page
    connection.close()


def test_queued_without_a_worker_says_so_and_can_be_cancelled(app, client, login, world):
    _redis()
    from redis import Redis
    from rq import Worker

    for stale in Worker.all(connection=Redis.from_url(REDIS_URL)):  # a worker record left by another test run
        stale.register_death()
    batch_id = _uploaded(client, login, world)
    queue = inventory_jobs.get_queue(REDIS_URL)
    queue.empty()
    job = queue.enqueue("tests.inventory.rq_jobs.die_hard", batch_id)
    _set(app, world, batch_id, status=ImportStatus.QUEUED, phase="dry_run", job_id=job.id)
    app.config["REDIS_URL"] = REDIS_URL
    try:
        page = client.get(f"{_base(world)}/import/{batch_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert 'data-testid="no-worker"' in page and "every 1s" not in page
        token = csrf_token(client, f"{_base(world)}/import/{batch_id}")
        assert client.post(f"{_base(world)}/import/{batch_id}/cancel", data={}).status_code == 400
        assert client.post(f"{_base(world)}/import/{batch_id}/cancel", data={"csrf_token": token}).status_code in (302, 303)
    finally:
        app.config["REDIS_URL"] = ""
    batch = _get(app, world, batch_id)
    assert batch.status is ImportStatus.FAILED and batch.file_key and "cancelled" in batch.error_message
    assert inventory_jobs.rq_job_status(REDIS_URL, job.id) == "canceled" and len(queue) == 0


def test_cli_reaps_every_dealer_and_cleans_abandoned_uploads(app, client, login, runner, world):
    batch_id = _uploaded(client, login, world)
    _set(app, world, batch_id, status=ImportStatus.RUNNING, heartbeat_at=utcnow() - timedelta(hours=1))
    out = runner.invoke(args=["reap-imports"])
    assert out.exit_code == 0 and "1 stopped import(s)" in out.output
    key = _get(app, world, batch_id).file_key
    assert get_storage(app.config).read(key)
    fresh = runner.invoke(args=["cleanup-uploads", "--keep-days", "7"])
    assert "0 abandoned" in fresh.output  # a day-old failure is kept for a retry
    _set(app, world, batch_id, created_at=utcnow() - timedelta(days=8))
    old = runner.invoke(args=["cleanup-uploads", "--keep-days", "7"])
    assert old.exit_code == 0 and "1 abandoned" in old.output
    with app.app_context(), all_tenants():
        assert db.session.get(ImportBatch, batch_id).file_key is None
    with pytest.raises(Exception):  # noqa: B017 - the storage backend's own "missing" error
        get_storage(app.config).read(key)
