"""Flask CLI commands: ``flask seed-demo``."""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create (or update) the demo brands, dealers and users; safe to run again."""
        from app.demo.seed import seed_demo

        users = seed_demo(db.session)
        db.session.commit()
        click.echo("Demo data ready. Sign in at http://127.0.0.1:5000/login with:")
        for email, password, role, where in users:
            click.echo(f"  {email:<34} {password:<14} {role:<20} {where}")

    @app.cli.command("expire-offers")
    def expire_offers_command() -> None:
        """Mark offers expired whose validity ended (end of the dealer's local day); run from cron."""
        from app.models.base import utcnow
        from app.services.offers import expire_due_offers
        from app.tenancy import all_tenants

        with all_tenants():
            count = expire_due_offers(db.session, utcnow())
            db.session.commit()
        click.echo(f"{count} offer(s) expired.")
