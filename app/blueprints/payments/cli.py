"""``flask payments expire`` (pending deposits past their time) and ``flask payments deliver-webhooks``."""

from __future__ import annotations

import click

from app.blueprints.payments import bp


@bp.cli.command("expire")
def expire_command() -> None:
    """Mark pending deposits expired whose checkout time is over (run from the scheduler every few minutes)."""
    from app.jobs import expire_payments

    click.echo(f"{expire_payments()} payment(s) expired.")


@bp.cli.command("deliver-webhooks")
def deliver_command() -> None:
    """Deliver the test provider's undelivered webhook events (in-process, no network)."""
    from app.jobs import deliver_payment_webhooks

    statuses = deliver_payment_webhooks()
    click.echo(f"{len(statuses)} webhook(s) delivered: {statuses}")
