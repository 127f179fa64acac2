"""Scheduled background work: one function per periodic task, shared by the CLI and the RQ scheduler.

Each task runs over every tenant (``all_tenants``) in its own unit of work and returns how many
things it changed. In production ``rq cron app/cron.py`` enqueues them on the ``forecourt-scheduled``
queue at the intervals of ``SCHEDULE`` and an ``rq worker`` runs them; the same tasks are the
``flask`` commands ``expire-offers``, ``payments expire``, ``payments deliver-webhooks``,
``reap-imports``, ``cleanup-uploads`` and ``purge-sessions`` (cron or systemd timers can call those instead). Every task
is idempotent, so a run that overlaps another or is repeated after a crash does no harm.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, has_app_context

from app.extensions import db

QUEUE_NAME = "forecourt-scheduled"


@contextmanager
def _app_context():
    """Enter an app context when run by an RQ worker (none exists there); reuse the current one otherwise."""
    if has_app_context():
        yield
        return
    from app import create_app

    with create_app().app_context():
        yield


def expire_offers() -> int:
    """Mark offers expired whose validity ended (end of the dealer's local day); return how many."""
    from app.models.base import utcnow
    from app.services.offers import expire_due_offers
    from app.tenancy import all_tenants

    with _app_context(), all_tenants():
        count = expire_due_offers(db.session, utcnow())
        db.session.commit()
        return count


def expire_payments() -> int:
    """Mark pending deposits expired whose checkout time is over; return how many."""
    from app.models.base import utcnow
    from app.services.payments import expire_stale
    from app.tenancy import all_tenants

    with _app_context(), all_tenants():
        count = expire_stale(db.session, utcnow())
        db.session.commit()
        return count


def deliver_payment_webhooks() -> list[int]:
    """Deliver the test provider's undelivered webhook events; return the HTTP statuses answered."""
    from app.services.payments.test_provider import deliver_pending
    from app.tenancy import all_tenants

    with _app_context(), all_tenants():
        return deliver_pending(db.session)


def reap_imports() -> list[int]:
    """Mark failed every import whose job stopped without finishing; return the batch ids."""
    from app.models.base import utcnow
    from app.services.inventory_jobs import reap_stalled
    from app.tenancy import all_tenants

    with _app_context(), all_tenants():
        reaped = reap_stalled(db.session, utcnow(), config=current_app.config)
        db.session.commit()
        return reaped


def cleanup_uploads(keep_days: int = 7) -> int:
    """Delete the uploads of imports left unfinished for ``keep_days`` days; return how many files."""
    from app.models.base import utcnow
    from app.services.inventory_jobs import cleanup_abandoned_uploads, delete_stored
    from app.tenancy import all_tenants

    with _app_context():
        with all_tenants():
            keys = cleanup_abandoned_uploads(db.session, utcnow(), keep_days=keep_days)
            db.session.commit()
        delete_stored(keys)  # only after the commit that forgot them
        return len(keys)


def purge_sessions(keep_days: int = 30) -> int:
    """Delete sign-in sessions ended or expired ``keep_days`` ago and stale failed-sign-in counts; return sessions."""
    from app.models.base import utcnow
    from app.services import sessions

    with _app_context():
        deleted = sessions.purge(db.session, utcnow(), keep_days=keep_days,
                                 reset=current_app.config["LOGIN_THROTTLE_RESET"])
        db.session.commit()
        return deleted


@dataclass(frozen=True, slots=True)
class Task:
    """One periodic task: the function, how often it runs (seconds) and its ``flask`` command."""

    func: Callable[[], object]
    interval: int
    command: str


#: Every periodic task of production, how often, and the CLI command doing the same by hand.
SCHEDULE: tuple[Task, ...] = (
    Task(expire_offers, 15 * 60, "flask expire-offers"),
    Task(expire_payments, 5 * 60, "flask payments expire"),
    Task(deliver_payment_webhooks, 60, "flask payments deliver-webhooks"),
    Task(reap_imports, 5 * 60, "flask reap-imports"),
    Task(cleanup_uploads, 24 * 60 * 60, "flask cleanup-uploads"),
    Task(purge_sessions, 24 * 60 * 60, "flask purge-sessions"),
)
