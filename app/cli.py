"""Flask CLI commands: ``seed-demo``, ``expire-offers``, ``reap-imports``, ``cleanup-uploads``, ``purge-sessions``,
``import-inventory``, ``grant-app-role``."""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("seed-demo")
    @click.option("--base-url", envvar="DEMO_BASE_URL", default="http://127.0.0.1:5000", show_default=True,
                  help="The address the portal is served at (make demo passes HOST and PORT), printed for sign-in.")
    def seed_demo_command(base_url: str) -> None:
        """Create (or update) the demo brands, dealers and users; safe to run again."""
        from app.demo.seed import seed_demo

        users = seed_demo(db.session)
        db.session.commit()
        click.echo(f"Demo data ready. Sign in at {base_url.rstrip('/')}/login with:")
        for email, password, role, where in users:
            click.echo(f"  {email:<34} {password:<14} {role:<20} {where}")

    @app.cli.command("grant-app-role")
    @click.option("--role", default=None, help="PostgreSQL role to grant to (default: DATABASE_URL's user).")
    def grant_app_role_command(role: str | None) -> None:
        """Grant the application's role its table privileges, as the owner (MIGRATION_DATABASE_URL); after upgrades."""
        from flask import current_app
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from app.rls import grant_app_role

        owner_url = current_app.config.get("MIGRATION_DATABASE_URI")
        if not owner_url or make_url(owner_url).get_backend_name() != "postgresql":
            raise click.UsageError("MIGRATION_DATABASE_URL (the tables' owner, PostgreSQL) is not set.")
        role = role or make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).username
        if not role:
            raise click.UsageError("DATABASE_URL names no user; pass --role.")
        engine = create_engine(owner_url)
        try:
            with engine.begin() as connection:
                grant_app_role(connection, role)
        except ValueError as refused:
            raise click.ClickException(str(refused)) from refused
        finally:
            engine.dispose()
        click.echo(f"Privileges on every table and sequence granted to {role}.")

    @app.cli.command("expire-offers")
    def expire_offers_command() -> None:
        """Mark offers expired whose validity ended (end of the dealer's local day); run from the scheduler."""
        from app.jobs import expire_offers

        click.echo(f"{expire_offers()} offer(s) expired.")

    @app.cli.command("reap-imports")
    def reap_imports_command() -> None:
        """Mark failed every import whose job stopped without finishing (killed worker); run from the scheduler."""
        from app.jobs import reap_imports

        click.echo(f"{len(reap_imports())} stopped import(s) marked failed.")

    @app.cli.command("cleanup-uploads")
    @click.option("--keep-days", default=7, show_default=True, type=click.IntRange(1, 3650),
                  help="Uploads of imports left unfinished for this many days are deleted.")
    def cleanup_uploads_command(keep_days: int) -> None:
        """Delete the uploads of imports never saved nor discarded (reports stay); run daily from the scheduler."""
        from app.jobs import cleanup_uploads

        click.echo(f"{cleanup_uploads(keep_days)} abandoned upload file(s) deleted.")

    @app.cli.command("purge-sessions")
    @click.option("--keep-days", default=30, show_default=True, type=click.IntRange(1, 3650),
                  help="Sign-in sessions ended or expired this many days ago are deleted.")
    def purge_sessions_command(keep_days: int) -> None:
        """Delete old ended sign-in sessions and stale failed-sign-in counts; run daily from the scheduler."""
        from app.jobs import purge_sessions

        click.echo(f"{purge_sessions(keep_days)} ended sign-in session(s) deleted.")

    @app.cli.command("import-inventory")
    @click.option("--dealer", "dealer_slug", required=True, help="Slug of the dealer whose stock is imported.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--photos", type=click.Path(exists=True, dir_okay=False), help="ZIP of photos named by VIN or stock number.")
    @click.option("--dry-run", is_flag=True, help="Check and report only; save nothing.")
    @click.option("--all-or-nothing", is_flag=True, help="Save nothing when any row is rejected.")
    @click.option("--encoding", default=None, help="CSV text encoding (utf-8, cp1251, euc-kr, tis-620, ...).")
    def import_inventory_command(dealer_slug, file, photos, dry_run, all_or_nothing, encoding) -> None:
        """Import a stock file (CSV, XLSX, XML) into a dealer and print the report."""
        from pathlib import Path

        from sqlalchemy import select

        from app.imports.readers import ImportFileError
        from app.models.accounts import Dealer
        from app.models.inventory import ImportBatch, ImportMode, ImportStatus
        from app.services.inventory_import import import_file
        from app.services.inventory_jobs import store_report
        from app.services.storage import get_storage
        from app.tenancy import all_tenants, scoped

        with all_tenants():  # the CLI names its dealer by slug: a cross-tenant lookup by design
            dealer = db.session.scalar(select(Dealer).where(Dealer.slug == dealer_slug))
        if dealer is None:
            raise click.ClickException(f"No dealer with slug {dealer_slug!r}.")
        path = Path(file)
        mode = ImportMode.ALL_OR_NOTHING if all_or_nothing else ImportMode.VALID_ROWS
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
            try:
                report = import_file(
                    db.session, dealer, path.read_bytes(), path.name, encoding=encoding,
                    photos=Path(photos).read_bytes() if photos else None, dry_run=dry_run, mode=mode, source="cli",
                    storage=get_storage(app.config),
                )
            except ImportFileError as exc:
                db.session.rollback()
                raise click.ClickException(str(exc)) from exc
            batch = ImportBatch(source="cli", file_name=path.name[:255], file_format=path.suffix.lstrip(".")[:10],
                                mode=mode, status=ImportStatus.COMMITTED if report.saved else ImportStatus.PREVIEWED)
            store_report(batch, report)
            db.session.add(batch)
            db.session.commit()
        click.echo(format_report(report, dry_run=dry_run))


def format_report(report, *, dry_run: bool, max_issues: int = 50) -> str:
    """Return the import report as text: counts, then the first ``max_issues`` issues."""
    lines = [
        f"{'Dry run' if dry_run else 'Import'}: {report.total_rows} rows read in {report.duration_ms} ms"
        + ("" if report.saved else " - nothing saved"),
        f"  created    {report.created:>7}",
        f"  updated    {report.updated:>7}",
        f"  unchanged  {report.unchanged:>7}",
        f"  duplicates {report.duplicates:>7}  (rows merged into an earlier row of the same vehicle)",
        f"  rejected   {report.rejected:>7}",
        f"  errors {report.error_count}, warnings {report.warning_count};"
        f" photos attached {report.photos_attached}, refused {report.photos_rejected}",
    ]
    for issue in report.issues[:max_issues]:
        lines.append(f"  row {issue.row:>6} {issue.severity:<7} {issue.column}: {issue.reason} [{issue.value}]")
    if len(report.issues) > max_issues:
        lines.append(f"  ... {len(report.issues) - max_issues} more issues (see the import history for the CSV)")
    return "\n".join(lines)
