"""Run a stock import batch as a background job: in-process by default, on RQ when ``REDIS_URL`` is set.

The same function, ``run_import_batch``, is what both runners execute. It loads the batch in the
dealer's tenant scope, reads the uploaded files from storage, runs the dry run or the commit, and
commits **once** with the vehicles and the batch's counts together — a failure rolls everything
back and only marks the batch ``failed`` with the reason. Meanwhile ``BatchProgress`` records
how many rows have been read, of how many, for the polling page.

Uploaded files live in storage only as long as a job may still need them: after a committed
import, a failed job or a stopped RQ job they are deleted (``release_upload``/``delete_stored``);
a dry run keeps them for the commit; the report stays in the history either way.

A job that stops without finishing (a work-horse or web worker killed mid-import, a machine gone)
is found by ``reap_stalled`` — RQ's own record of the job, else a heartbeat older than
``IMPORT_STALE_AFTER_SECONDS`` — and marked failed with the rows read so far; nothing of it was
saved (one transaction), and its upload is kept so the dealer can run it again or discard it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.domain.deal_states import N_
from app.extensions import db
from app.imports.readers import ImportFileError
from app.models.accounts import Dealer
from app.models.base import utcnow
from app.models.inventory import ImportBatch, ImportMode, ImportStatus
from app.services.audit import Actor, acting_as
from app.services.inventory_import import ImportContext, ImportReport, import_file, mapping_from_dict
from app.services.storage import StorageError, get_storage
from app.tenancy import scoped

log = logging.getLogger(__name__)

QUEUE_NAME = "forecourt-imports"
DRY_RUN, COMMIT = "dry_run", "commit"

#: A running job that has shown no sign of life (``heartbeat_at``) for this long is taken as dead
#: (``IMPORT_STALE_AFTER_SECONDS``). Progress is written every few hundred rows, so a live job
#: beats far more often; the margin covers the final write of a very large file in one transaction.
DEFAULT_STALE_AFTER = 900
#: Abandoned uploads (never saved nor discarded) are deleted after this many days (``cleanup-uploads``).
DEFAULT_UPLOAD_KEEP_DAYS = 7
STALLED_MESSAGE = N_("The import stopped before it finished, so nothing was saved. Run it again or discard it.")
CANCELLED_MESSAGE = N_("The import was cancelled before it started. Nothing was saved.")
#: RQ job states that mean the job will never finish the batch.
_DEAD_JOB_STATES = frozenset({"failed", "stopped", "canceled"})


def store_report(batch: ImportBatch, report: ImportReport) -> None:
    """Copy the report's counts and issues onto ``batch`` (progress: every row read)."""
    batch.total_rows = report.total_rows
    batch.progress_rows = batch.progress_total = report.total_rows
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


class BatchProgress:
    """Write an import's progress (rows read of total) onto its batch, each time in its own short transaction.

    A separate session does the writing, so the job's own transaction — committed once at the end,
    atomic — is untouched, and the polling page (another request, another process with RQ) sees each
    value as soon as it is written. ``import_file`` reads its rows without touching the database, so
    on SQLite no lock of the job's is held meanwhile. A failed write is logged and the job goes on:
    progress is a courtesy, never a reason to fail an import. ``on_write(rows, total)`` is called
    after each write (tests observe it there).
    """

    def __init__(self, batch_id: int, dealer_id: int, brand_id: int,
                 on_write: Callable[[int, int], None] | None = None) -> None:
        self.batch_id, self.dealer_id, self.brand_id = batch_id, dealer_id, brand_id
        self.on_write = on_write
        self.last: tuple[int, int] | None = None
        self.broken = False

    def __call__(self, rows: int, total: int) -> None:
        """Record ``rows`` of ``total`` (skipped when unchanged or after a failed write)."""
        if self.broken or self.last == (rows, total):
            return
        session = db.session.session_factory()
        try:
            with scoped(dealer_id=self.dealer_id, brand_id=self.brand_id):
                session.execute(update(ImportBatch).where(ImportBatch.id == self.batch_id)
                                .values(progress_rows=rows, progress_total=total, heartbeat_at=utcnow()))
                session.commit()
        except SQLAlchemyError:
            session.rollback()
            self.broken = True
            log.warning("Import batch %s: progress not recorded; the import goes on", self.batch_id, exc_info=True)
            return
        finally:
            session.close()
        self.last = (rows, total)
        if self.on_write is not None:
            self.on_write(rows, total)


def run_import_batch(batch_id: int, dealer_id: int, brand_id: int, phase: str, *,
                     on_progress: Callable[[int, int], None] | None = None) -> str:
    """Run ``phase`` (``dry_run`` or ``commit``) of import batch ``batch_id``; return the final status.

    Usable as an RQ job: outside an app context it creates the app from the environment. Progress
    (rows read of total) is written on the batch while the rows are read (``BatchProgress``;
    ``on_progress`` is its observer hook); the final counts come with the report.
    """
    if not has_app_context():  # an RQ worker process
        from app import create_app

        with create_app().app_context():
            return run_import_batch(batch_id, dealer_id, brand_id, phase, on_progress=on_progress)
    session = db.session
    with scoped(dealer_id=dealer_id, brand_id=brand_id):
        batch = session.get(ImportBatch, batch_id)
        if batch is None:
            raise LookupError(f"Import batch {batch_id} not found for dealer {dealer_id}")
        dealer = session.get(Dealer, dealer_id)
        batch.status = ImportStatus.RUNNING
        batch.phase = phase
        batch.progress_rows, batch.progress_total = 0, None
        batch.heartbeat_at = utcnow()
        # Everything the rows need is read now: after this commit the job holds no transaction
        # until the rows are read, so progress can be committed beside it (even on SQLite).
        job = _JobInput(batch.file_key, batch.photos_key, batch.file_name, batch.encoding, dict(batch.mapping or {}),
                        ImportMode(batch.mode), batch.source, batch.user_id, ImportContext.for_dealer(dealer))
        session.commit()
        storage = get_storage(current_app.config)
        progress = BatchProgress(batch_id, dealer_id, brand_id, on_write=on_progress)
        started = time.perf_counter()
        dropped: tuple[str, ...] = ()
        try:
            with acting_as(Actor(user_id=job.user_id)):
                data = storage.read(job.file_key)
                photos = storage.read(job.photos_key) if job.photos_key else None
                mapping = mapping_from_dict(list(job.mapping), job.mapping) if job.mapping else None
                report = import_file(
                    session, dealer, data, job.file_name, mapping=mapping, encoding=job.encoding, photos=photos,
                    dry_run=phase != COMMIT, mode=job.mode, source=job.source, storage=storage,
                    progress=progress, context=job.context,
                )
            store_report(batch, report)
            batch.duration_ms = int((time.perf_counter() - started) * 1000)
            batch.status = ImportStatus.COMMITTED if phase == COMMIT else ImportStatus.PREVIEWED
            batch.error_message = ""
            batch.finished_at = utcnow()
            # A committed import needs its upload no more; a dry run keeps it for the commit.
            dropped = release_upload(batch) if phase == COMMIT else ()
            session.commit()
        except ImportFileError as exc:
            session.rollback()
            fail_batch(batch_id, dealer_id, brand_id, str(exc))
        except Exception:
            session.rollback()
            log.exception("Import batch %s failed", batch_id)
            fail_batch(batch_id, dealer_id, brand_id, N_("An unexpected error stopped the import. Nothing was saved."))
            raise
        delete_stored(dropped)  # only once the commit that forgets the keys is durable
        return batch.status.value


@dataclass(frozen=True, slots=True)
class _JobInput:
    """What the job reads from the batch and the dealer before it lets go of its transaction."""

    file_key: str
    photos_key: str | None
    file_name: str
    encoding: str | None
    mapping: dict[str, str]
    mode: ImportMode
    source: str
    user_id: int | None
    context: ImportContext


def release_upload(batch: ImportBatch) -> tuple[str, ...]:
    """Forget the batch's uploaded file and photo ZIP; return their storage keys for ``delete_stored``.

    Call it in the transaction that ends the batch's use of them (committed, failed, discarded) and
    delete the files only after that transaction commits: a rollback then leaves keys and files in
    place, never a key pointing at a deleted file. The report (counts, issues, error) stays.
    """
    keys = tuple(key for key in (batch.file_key, batch.photos_key) if key)
    batch.file_key = batch.photos_key = None
    return keys


def delete_stored(keys: Iterable[str]) -> None:
    """Delete stored uploads by key; a file that cannot be deleted is logged, not raised (the batch is done)."""
    storage = get_storage(current_app.config)
    for key in keys:
        try:
            storage.delete(key)
        except (OSError, StorageError):
            log.warning("Could not delete stored upload %s", key, exc_info=True)


def fail_batch(batch_id: int, dealer_id: int, brand_id: int, message: str) -> None:
    """Mark the batch failed with ``message`` (nothing saved) and drop its upload; the report is kept."""
    with scoped(dealer_id=dealer_id, brand_id=brand_id):
        batch = db.session.get(ImportBatch, batch_id)
        batch.status = ImportStatus.FAILED
        batch.saved = False
        batch.error_message = message
        batch.finished_at = utcnow()
        dropped = release_upload(batch)
        db.session.commit()
    delete_stored(dropped)


def job_stopped(job, connection, *args, **kwargs) -> None:
    """RQ ``on_stopped`` callback: an import job stopped by hand (``rq`` stop command) ends failed, upload dropped.

    Runs in the worker's main process, outside the job: it makes its own app context when needed.
    ``job.args`` are ``run_import_batch``'s ``(batch_id, dealer_id, brand_id, phase)``.
    """
    batch_id, dealer_id, brand_id, _phase = job.args[:4]
    if not has_app_context():
        from app import create_app

        with create_app().app_context():
            fail_batch(batch_id, dealer_id, brand_id, N_("The import was stopped. Nothing was saved."))
        return
    fail_batch(batch_id, dealer_id, brand_id, N_("The import was stopped. Nothing was saved."))


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
        from rq import Callback

        job = get_queue(redis_url).enqueue(run_import_batch, *args, job_timeout=1800, result_ttl=3600,
                                           on_stopped=Callback(job_stopped))
        batch.job_id = job.id
        db.session.commit()
    else:
        run_import_batch(*args)


# --- jobs that stop without finishing ------------------------------------------------------------------


def rq_job_status(redis_url: str, job_id: str) -> str | None:
    """Return the RQ status of ``job_id`` (``queued``, ``started``, ``failed``…), or None when RQ forgot it.

    A work-horse killed with ``kill -9`` leaves its job ``failed`` (the worker's main process sees
    the horse die and moves the job to the failed registry); an expired or deleted job is None.
    """
    from redis import Redis
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        return Job.fetch(job_id, connection=Redis.from_url(redis_url)).get_status(refresh=True).value
    except NoSuchJobError:
        return None


def import_workers(redis_url: str) -> int:
    """Return how many RQ workers listen on the import queue right now (0: a queued import waits forever)."""
    from redis import Redis
    from rq import Worker

    return Worker.count(connection=Redis.from_url(redis_url), queue=get_queue(redis_url))


def is_stalled(batch: ImportBatch, now: datetime, *, redis_url: str = "", stale_after: int = DEFAULT_STALE_AFTER) -> bool:
    """Tell whether a queued or running ``batch`` will never finish.

    Rules: an RQ job (``job_id`` and ``redis_url`` set) that RQ reports failed, stopped, cancelled or
    no longer knows is dead at once; a running job of either runner whose last heartbeat is older
    than ``stale_after`` seconds is dead (a killed web worker running the import in-process, or a
    worker machine gone); an in-process job still ``queued`` after ``stale_after`` never started.
    A batch waiting on RQ for a worker is not stalled: the page says no worker listens.
    """
    if batch.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return False
    if batch.job_id and redis_url:
        status = rq_job_status(redis_url, batch.job_id)
        if status is None or status in _DEAD_JOB_STATES:
            return True
        if batch.status is ImportStatus.QUEUED:
            return False
    last = batch.heartbeat_at or batch.created_at
    return last is not None and now - last > timedelta(seconds=stale_after)


def mark_stalled(batch: ImportBatch, now: datetime, message: str = STALLED_MESSAGE) -> None:
    """End ``batch`` failed with ``message``, keeping its upload so it can be run again or discarded (flush by caller).

    Nothing of the job was saved: its rows are written in one transaction that never committed.
    The rows read so far stay on the batch (``progress_rows`` of ``progress_total``) for the page.
    """
    batch.status = ImportStatus.FAILED
    batch.saved = False
    batch.error_message = message
    batch.finished_at = now
    batch.job_id = ""


def reap_stalled(session, now: datetime, *, config, batch_id: int | None = None) -> list[int]:
    """Mark failed every queued or running batch of the current scope that ``is_stalled``; return their ids.

    ``batch_id`` limits it to one batch (the polling page). Flushes only. Run for all tenants by
    ``flask reap-imports`` from the scheduler, and on the import pages for the dealer's own batches.
    """
    query = select(ImportBatch).where(ImportBatch.status.in_((ImportStatus.QUEUED, ImportStatus.RUNNING)))
    if batch_id is not None:
        query = query.where(ImportBatch.id == batch_id)
    redis_url = config.get("REDIS_URL") or ""
    stale_after = int(config.get("IMPORT_STALE_AFTER_SECONDS", DEFAULT_STALE_AFTER))
    reaped = []
    for batch in session.scalars(query):
        if is_stalled(batch, now, redis_url=redis_url, stale_after=stale_after):
            mark_stalled(batch, now)
            log.warning("Import batch %s stopped without finishing (%s of %s rows read); marked failed",
                        batch.id, batch.progress_rows, batch.progress_total)
            reaped.append(batch.id)
    session.flush()
    return reaped


def cancel_queued(session, batch: ImportBatch, now: datetime, *, redis_url: str = "") -> None:
    """Cancel a batch still waiting in the queue (no worker picked it up); it can then be run again or discarded.

    Raises ``ValueError`` when the job already started (a running import is never cut half-way).
    """
    if batch.status is not ImportStatus.QUEUED:
        raise ValueError("only a queued import can be cancelled")
    if batch.job_id and redis_url:
        from redis import Redis
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(batch.job_id, connection=Redis.from_url(redis_url))
        except NoSuchJobError:
            job = None
        if job is not None and job.get_status(refresh=True).value == "started":
            raise ValueError("the import already started")
        if job is not None:
            job.cancel()
    mark_stalled(batch, now, CANCELLED_MESSAGE)
    session.flush()


def cleanup_abandoned_uploads(session, now: datetime, *, keep_days: int = DEFAULT_UPLOAD_KEEP_DAYS) -> list[str]:
    """Forget the uploads of batches left unfinished for ``keep_days`` days; return the storage keys to delete.

    Uploaded but never run, previewed but never saved: the batch becomes ``discarded``; a failed
    batch stays failed. Its report stays in the history. Delete the returned keys with
    ``delete_stored`` after the caller's commit. Runs in the current scope (all tenants from the CLI).
    """
    cutoff = now - timedelta(days=keep_days)
    idle = (ImportStatus.UPLOADED, ImportStatus.PREVIEWED, ImportStatus.FAILED)
    keys: list[str] = []
    rows = session.scalars(select(ImportBatch).where(ImportBatch.status.in_(idle), ImportBatch.file_key.is_not(None),
                                                     ImportBatch.created_at < cutoff))
    for batch in rows:
        keys.extend(release_upload(batch))
        if batch.status is not ImportStatus.FAILED:
            batch.status = ImportStatus.DISCARDED
    session.flush()
    return keys
