"""Background processes: the Procfile, the systemd units, the scheduler's tasks and a worker running one."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from app import jobs
from app.extensions import db
from app.models.base import utcnow
from app.models.inventory import ImportBatch, ImportStatus
from app.services import inventory_jobs
from app.tenancy import scoped

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def _redis():
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception:  # noqa: BLE001
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not reachable")
    return connection


def test_procfile_names_every_process_and_every_queue():
    processes = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                     if line and not line.startswith("#"))
    assert set(processes) == {"web", "worker", "scheduler"}
    assert "wsgi:app" in processes["web"]
    for queue in (inventory_jobs.QUEUE_NAME, jobs.QUEUE_NAME):
        assert queue in processes["worker"]
        assert queue in (ROOT / "deploy/systemd/forecourt-worker@.service").read_text()
    assert "app/cron.py" in processes["scheduler"] and "app/cron.py" in (ROOT / "deploy/systemd/forecourt-scheduler.service").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("web", "worker", "scheduler"):
        assert re.search(rf"^{target}:", makefile, re.M)


def test_every_scheduled_task_has_its_command_and_is_documented():
    readme = (ROOT / "README.md").read_text()
    names = {task.func.__name__ for task in jobs.SCHEDULE}
    assert names == {"expire_offers", "expire_payments", "deliver_payment_webhooks", "reap_imports", "cleanup_uploads",
                     "purge_sessions"}
    for task in jobs.SCHEDULE:
        assert task.command in readme and task.interval > 0


def test_the_scheduler_config_registers_every_task():
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=_redis())
    scheduler.load_config_from_file(str(ROOT / "app/cron.py"))
    registered = {(job.func.__name__, job.queue_name, job.interval) for job in scheduler.get_jobs()}
    assert registered == {(t.func.__name__, jobs.QUEUE_NAME, t.interval) for t in jobs.SCHEDULE}


def test_a_worker_runs_a_scheduled_task(app, world):
    from rq import Queue, SimpleWorker

    connection = _redis()
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        batch = ImportBatch(file_name="stock.csv", status=ImportStatus.RUNNING, heartbeat_at=utcnow() - timedelta(hours=2))
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
    queue = Queue(jobs.QUEUE_NAME, connection=connection)
    queue.empty()
    job = queue.enqueue(jobs.reap_imports)
    with app.app_context():
        assert SimpleWorker([queue], connection=connection).work(burst=True)
    assert job.return_value() == [batch_id]
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.get(ImportBatch, batch_id).status is ImportStatus.FAILED


def test_the_cli_commands_are_the_same_tasks(runner):
    for args, text in ((["expire-offers"], "offer(s) expired"), (["payments", "expire"], "payment(s) expired"),
                       (["reap-imports"], "stopped import(s)"), (["cleanup-uploads"], "abandoned upload"),
                       (["purge-sessions"], "ended sign-in session(s) deleted")):
        result = runner.invoke(args=args)
        assert result.exit_code == 0 and text in result.output, result.output
