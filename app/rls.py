"""PostgreSQL row-level security: the second wall under the ORM listener (``app.tenancy``).

The migration ``3cd9446883d6`` enables and forces row-level security on every tenant-owned table
(``TenantScoped``: ``dealer_id``) and every brand-level table (``BrandScoped``: ``brand_id``), with one
policy each that reads three transaction-local settings:

* ``app.current_dealer`` — the dealer id of the scope, or ``''``;
* ``app.current_brand`` — the brand id of the scope, or ``''`` (a corporate scope sees the dealer rows
  of its brand's dealers, as the ORM listener does);
* ``app.bypass`` — ``'on'`` only inside ``all_tenants()`` or for a statement carrying
  ``execution_options(all_tenants=True)`` (platform admin, corporate aggregation, CLI, jobs, login).

This module keeps those settings equal to the current ``TenantScope`` on every PostgreSQL connection:
before each statement it compares the scope's values with the ones last set on that connection in the
current transaction and, only when they differ, runs one ``SELECT set_config(..., true)`` with bound
parameters. ``set_config(..., true)`` lasts until the transaction (or the savepoint it ran in) ends, so
the remembered values are forgotten on every begin, commit, rollback, savepoint rollback and pool return.

A superuser bypasses row-level security whatever the policies say: the application must connect as a
role that is neither a superuser nor the tables' owner (``grant_app_role``); migrations run as the owner
(``MIGRATION_DATABASE_URL``).
"""

from __future__ import annotations

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool

from app.tenancy import current_scope

#: Key in the pooled connection's ``info`` dict holding the settings last applied in this transaction.
_APPLIED = "forecourt_rls_applied"

_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")

_SET_SQL = (
    "SELECT set_config('app.current_dealer', %(dealer)s, true), "
    "set_config('app.current_brand', %(brand)s, true), "
    "set_config('app.bypass', %(bypass)s, true)"
)


def tenant_tables(metadata) -> tuple[frozenset[str], frozenset[str]]:
    """Return ``(dealer tables, brand tables)``: every table the models scope by ``dealer_id``/``brand_id``.

    Derived from the mapped classes (``TenantScoped``/``BrandScoped`` mixins) of ``metadata``'s registry,
    so a new model is never forgotten; the RLS migrations hold their own fixed copies of these names.
    """
    from app.models.base import Base
    from app.tenancy import BrandScoped, TenantScoped

    dealer, brand = set(), set()
    for mapper in Base.registry.mappers:
        tables = {t.name for t in mapper.tables if t.metadata is metadata}
        if issubclass(mapper.class_, TenantScoped):
            dealer |= tables
        if issubclass(mapper.class_, BrandScoped):
            brand |= tables
    return frozenset(dealer), frozenset(brand)


def scope_settings(execution_options=None) -> tuple[str, str, str]:
    """Return ``(app.current_dealer, app.current_brand, app.bypass)`` for the scope in force.

    Values are strings (``''`` when unset, ``'on'``/``'off'`` for the bypass). A statement's
    ``all_tenants=True`` execution option turns the bypass on for that statement only.
    """
    scope = current_scope()
    bypass = "on" if (execution_options and execution_options.get("all_tenants")) else "off"
    if scope is None:
        return "", "", bypass
    if scope.all_tenants:
        return "", "", "on"
    return (
        "" if scope.dealer_id is None else str(scope.dealer_id),
        "" if scope.brand_id is None else str(scope.brand_id),
        bypass,
    )


def _before_cursor_execute(conn: Connection, cursor, statement, parameters, context, executemany) -> None:
    if conn.dialect.name != "postgresql":
        return
    dbapi_connection = cursor.connection
    if getattr(dbapi_connection, "autocommit", False):
        # Transaction-local settings would vanish at once: such a statement runs with none (fail closed).
        return
    if statement.startswith(_TRANSACTION_CONTROL):
        # SAVEPOINT / RELEASE / ROLLBACK TO read no rows, and ROLLBACK TO runs in an aborted transaction.
        return
    wanted = scope_settings(context.execution_options if context is not None else None)
    info = conn.info
    if info.get(_APPLIED) == wanted:
        return
    dealer, brand, bypass = wanted
    # A separate cursor: ``cursor`` may be a server-side (named) cursor about to stream the statement.
    setter = dbapi_connection.cursor()
    try:
        setter.execute(_SET_SQL, {"dealer": dealer, "brand": brand, "bypass": bypass})
    finally:
        setter.close()
    info[_APPLIED] = wanted


def _forget(conn: Connection) -> None:
    conn.info.pop(_APPLIED, None)


def _forget_savepoint(conn: Connection, name, context) -> None:
    conn.info.pop(_APPLIED, None)


def _forget_pooled(dbapi_connection, connection_record) -> None:
    if connection_record is not None:
        connection_record.info.pop(_APPLIED, None)


def _forget_on_checkout(dbapi_connection, connection_record, connection_proxy) -> None:
    _forget_pooled(dbapi_connection, connection_record)


def _forget_on_reset(dbapi_connection, connection_record, reset_state) -> None:
    _forget_pooled(dbapi_connection, connection_record)


def install() -> None:
    """Keep the RLS settings in step with the tenant scope on every PostgreSQL engine (idempotent)."""
    if event.contains(Engine, "before_cursor_execute", _before_cursor_execute):
        return
    event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
    for name in ("begin", "commit", "rollback"):
        event.listen(Engine, name, _forget)
    event.listen(Engine, "rollback_savepoint", _forget_savepoint)
    event.listen(Pool, "checkout", _forget_on_checkout)
    event.listen(Pool, "checkin", _forget_pooled)
    event.listen(Pool, "reset", _forget_on_reset)


def grant_app_role(connection: Connection, role: str) -> None:
    """Grant the application role ``role`` what it needs on the schema's tables (run as their owner).

    ``SELECT, INSERT, UPDATE, DELETE`` on every table and ``USAGE, SELECT, UPDATE`` on every sequence of
    ``public``; the role must already exist and be ``NOSUPERUSER NOBYPASSRLS`` (checked; ``ValueError``
    otherwise, since such a role would make the policies decorative). Run it after every
    ``flask db upgrade`` that adds tables.
    """
    row = connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if row is None:
        raise ValueError(f"PostgreSQL role {role!r} does not exist")
    if row.rolsuper or row.rolbypassrls:
        raise ValueError(f"PostgreSQL role {role!r} is a superuser or bypasses row-level security")
    quoted = connection.dialect.identifier_preparer.quote(role)
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ):
        connection.execute(text(statement))
