"""Run a stock import batch as a background job: in-process by default, on RQ when ``REDIS_URL`` is set.

The same function, ``run_import_batch``, is what both runners execute. It loads the batch in the
dealer's tenant scope, reads the uploaded files from storage, runs the dry run or the commit, and
commits **once** with the vehicles and the batch's counts together — a failure rolls everything
back and only marks the batch ``failed`` with the reason.
"""

from __future__ import annotations

import logging
import time

from flask import current_app, has_app_context

from app.extensions import db
from app.imports.readers import ImportFileError
from app.models.accounts import Dealer
from app.models.base import utcnow
from app.models.inventory import ImportBatch, ImportMode, ImportStatus
from app.services.audit import Actor, acting_as
from app.services.inventory_import import ImportReport, import_file, mapping_from_dict
from app.services.storage import get_storage
from app.tenancy import scoped

log = logging.getLogger(__name__)

QUEUE_NAME = "forecourt-imports"
DRY_RUN, COMMIT = "dry_run", "commit"


def store_report(batch: ImportBatch, report: ImportReport) -> None:
    """Copy the report's counts and issues onto ``batch``."""
    batch.total_rows = report.total_rows
    batch.created_count = report.created
    batch.updated_count = report.updated
    batch.unchanged_count = report.unchanged
    batch.duplicate_count = report.duplicates
    batch.rejected_count = report.rejected
    batch.error_count = report.error_count
    batch.warning_count = report.warning_count
    batch.photos_attached = report.photos_attached
    batch.photos_rejected = report.photos_rejected
    batch.saved = report.saved
    batch.duration_ms = report.duration_ms
    batch.issues = [issue.as_dict() for issue in report.issues]


def run_import_batch(batch_id: int, dealer_id: int, brand_id: int, phase: str) -> str:
    """Run ``phase`` (``dry_run`` or ``commit``) of import batch ``batch_id``; return the final status.

    Usable as an RQ job: outside an app context it creates the app from the environment.
    """
    if not has_app_context():  # an RQ worker process
        from app import create_app

        with create_app().app_context():
            return run_import_batch(batch_id, dealer_id, brand_id, phase)
    session = db.session
    with scoped(dealer_id=dealer_id, brand_id=brand_id):
        batch = session.get(ImportBatch, batch_id)
        if batch is None:
            raise LookupError(f"Import batch {batch_id} not found for dealer {dealer_id}")
        dealer = session.get(Dealer, dealer_id)
        batch.status = ImportStatus.RUNNING
        batch.phase = phase
        session.commit()
        storage = get_storage(current_app.config)
        started = time.perf_counter()
        try:
            with acting_as(Actor(user_id=batch.user_id)):
                data = storage.read(batch.file_key)
                photos = storage.read(batch.photos_key) if batch.photos_key else None
                mapping = mapping_from_dict(list(batch.mapping or {}), batch.mapping or {}) if batch.mapping else None
                report = import_file(
                    session, dealer, data, batch.file_name, mapping=mapping, encoding=batch.encoding, photos=photos,
                    dry_run=phase != COMMIT, mode=ImportMode(batch.mode), source=batch.source, storage=storage,
                )
            store_report(batch, report)
            batch.duration_ms = int((time.perf_counter() - started) * 1000)
            batch.status = ImportStatus.COMMITTED if phase == COMMIT else ImportStatus.PREVIEWED
            batch.error_message = ""
            batch.finished_at = utcnow()
            session.commit()
        except ImportFileError as exc:
            session.rollback()
            _fail(batch_id, dealer_id, brand_id, str(exc))
        except Exception:
            session.rollback()
            log.exception("Import batch %s failed", batch_id)
            _fail(batch_id, dealer_id, brand_id, "An unexpected error stopped the import. Nothing was saved.")
            raise
        return batch.status.value


def _fail(batch_id: int, dealer_id: int, brand_id: int, message: str) -> None:
    with scoped(dealer_id=dealer_id, brand_id=brand_id):
        batch = db.session.get(ImportBatch, batch_id)
        batch.status = ImportStatus.FAILED
        batch.saved = False
        batch.error_message = message
        batch.finished_at = utcnow()
        db.session.commit()


def get_queue(redis_url: str):
    """Return the RQ queue for imports on ``redis_url``."""
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))


def dispatch(batch: ImportBatch, phase: str, *, brand_id: int) -> None:
    """Start ``phase`` of ``batch`` (already committed as queued): on RQ when ``REDIS_URL`` is set, else now.

    In-process, the job runs before this returns (the embedded default has no worker); with
    RQ, a worker (``rq worker forecourt-imports``) picks it up and the page polls its progress.
    """
    redis_url = current_app.config.get("REDIS_URL")
    args = (batch.id, batch.dealer_id, brand_id, phase)
    if redis_url:
        job = get_queue(redis_url).enqueue(run_import_batch, *args, job_timeout=1800, result_ttl=3600)
        batch.job_id = job.id
        db.session.commit()
    else:
        run_import_batch(*args)
