"""``flask payments expire`` (pending deposits past their time) and ``flask payments deliver-webhooks``."""

from __future__ import annotations

import click

from app.blueprints.payments import bp
from app.extensions import db


@bp.cli.command("expire")
def expire_command() -> None:
    """Mark pending deposits expired whose checkout time is over (run from cron every few minutes)."""
    from app.models.base import utcnow
    from app.services.payments import expire_stale
    from app.tenancy import all_tenants

    with all_tenants():  # a job over every dealer
        count = expire_stale(db.session, utcnow())
        db.session.commit()
    click.echo(f"{count} payment(s) expired.")


@bp.cli.command("deliver-webhooks")
def deliver_command() -> None:
    """Deliver the test provider's undelivered webhook events (in-process, no network)."""
    from app.services.payments.test_provider import deliver_pending
    from app.tenancy import all_tenants

    with all_tenants():
        statuses = deliver_pending(db.session)
    click.echo(f"{len(statuses)} webhook(s) delivered: {statuses}")
