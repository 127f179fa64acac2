"""Tenant isolation by construction.

The current tenant scope lives in a ``ContextVar`` set once per request (dealer pages from
``/d/<dealer_slug>/``, corporate pages from ``/c/<brand_slug>/``) and in CLI/test code with
``scoped(...)`` or ``all_tenants()``.

Two ORM listeners enforce it (SQLAlchemy's documented recipe "Adding global WHERE / ON
criteria", ``do_orm_execute`` + ``with_loader_criteria``):

* every ORM SELECT/UPDATE/DELETE touching a ``TenantScoped`` model is limited to the current
  dealer (or, in a brand-wide corporate scope, to the dealers of that brand); touching a
  ``BrandScoped`` model is limited to the current brand;
* with no scope set, such a statement raises ``TenantNotSet`` (fail closed) unless it carries
  ``execution_options(all_tenants=True)`` or runs inside ``all_tenants()`` — the one greppable
  bypass, used by platform admins, the login machinery and CLI commands;
* ``before_flush`` stamps ``dealer_id``/``brand_id`` on new rows and refuses rows of another tenant.

Raw ``text()`` SQL and Core statements on tables bypass the listener; keep them out of request code.
On PostgreSQL they still meet the second wall, row-level security (``app.rls``), which reads this same
scope: ``all_tenants()`` and ``execution_options(all_tenants=True)`` are its bypass too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import ForeignKey, event, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, declared_attr, mapped_column, with_loader_criteria
from sqlalchemy.sql import util as sql_util


class TenantNotSet(RuntimeError):
    """A query on tenant-owned data ran with no tenant scope and no explicit bypass."""


class CrossTenantWrite(RuntimeError):
    """A flush tried to write a row that belongs to another tenant."""


@dataclass(frozen=True, slots=True)
class TenantScope:
    """What the current unit of work may see.

    ``dealer_id`` set: one dealership (its brand's published data is visible through ``brand_id``).
    Only ``brand_id`` set: a corporate user's brand, all of its dealers. ``all_tenants``: bypass.
    """

    dealer_id: int | None = None
    brand_id: int | None = None
    all_tenants: bool = False


_scope: ContextVar[TenantScope | None] = ContextVar("forecourt_tenant_scope", default=None)


def current_scope() -> TenantScope | None:
    """Return the scope in force, or None outside any scope."""
    return _scope.get()


def set_scope(scope: TenantScope | None):
    """Set the scope and return the token for ``reset_scope`` (used by the request hooks)."""
    return _scope.set(scope)


def reset_scope(token) -> None:
    """Restore the scope that was in force before ``set_scope`` returned ``token``."""
    _scope.reset(token)


@contextmanager
def scoped(*, dealer_id: int | None = None, brand_id: int | None = None) -> Iterator[TenantScope]:
    """Run a block as one dealer (and its brand) or as one brand's corporate team."""
    token = _scope.set(TenantScope(dealer_id=dealer_id, brand_id=brand_id))
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


@contextmanager
def all_tenants() -> Iterator[TenantScope]:
    """Run a block that may see every tenant: platform admin, CLI commands, seeding."""
    token = _scope.set(TenantScope(all_tenants=True))
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


class TenantScoped:
    """Mixin for every dealer-owned model: a non-null, indexed ``dealer_id``."""

    @declared_attr
    def dealer_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr signature
        return mapped_column(ForeignKey("dealer.id", ondelete="RESTRICT"), index=True, nullable=False)


class BrandScoped:
    """Mixin for brand-level (corporate) data: a non-null, indexed ``brand_id``."""

    @declared_attr
    def brand_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr signature
        return mapped_column(ForeignKey("brand.id", ondelete="RESTRICT"), index=True, nullable=False)


def _touches(state: ORMExecuteState) -> tuple[bool, bool]:
    tenant = brand = False
    for mapper in state.all_mappers:
        cls = mapper.class_
        tenant = tenant or issubclass(cls, TenantScoped)
        brand = brand or issubclass(cls, BrandScoped)
    if not (tenant and brand):
        # ``all_mappers`` only sees selected entities: ``select(func.count()).select_from(Model)`` and
        # subqueries name the table in FROM alone. Look at every table the statement reads too.
        tenant_tables, brand_tables = _scoped_tables()
        names = {table.name for table in sql_util.find_tables(state.statement, include_joins=True, include_crud=True)}
        tenant = tenant or bool(names & tenant_tables)
        brand = brand or bool(names & brand_tables)
    return tenant, brand


_TABLES_CACHE: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _scoped_tables() -> tuple[frozenset[str], frozenset[str]]:
    from app.models.base import Base  # local import: models import this module

    # Walking every mapper cost ~0.7 ms on every statement. All models are imported (app.models)
    # before the first query, so the answer is computed once per process.
    cached = _TABLES_CACHE.get(0)
    if cached is not None:
        return cached
    tenant, brand = set(), set()
    for mapper in Base.registry.mappers:
        if issubclass(mapper.class_, TenantScoped):
            tenant.update(t.name for t in mapper.tables)
        if issubclass(mapper.class_, BrandScoped):
            brand.update(t.name for t in mapper.tables)
    result = (frozenset(tenant), frozenset(brand))
    _TABLES_CACHE[0] = result
    return result


def _limit_to_scope(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_tenants"):
        return
    scope = _scope.get()
    if scope is not None and scope.all_tenants:
        return
    tenant, brand = _touches(state)
    if not (tenant or brand):
        return
    if scope is None or (scope.dealer_id is None and scope.brand_id is None):
        raise TenantNotSet("Query on tenant-owned data without a tenant scope")
    from app.models.accounts import Dealer  # local import: models import this module

    options = []
    if tenant:
        if scope.dealer_id is not None:
            dealer_id = scope.dealer_id
            options.append(
                with_loader_criteria(TenantScoped, lambda cls: cls.dealer_id == dealer_id, include_aliases=True)
            )
        else:
            brand_id = scope.brand_id
            options.append(
                with_loader_criteria(
                    TenantScoped,
                    lambda cls: cls.dealer_id.in_(select(Dealer.id).where(Dealer.brand_id == brand_id)),
                    include_aliases=True,
                )
            )
    if brand:
        if scope.brand_id is None:
            raise TenantNotSet("Query on brand-level data without a brand scope")
        brand_id = scope.brand_id
        options.append(with_loader_criteria(BrandScoped, lambda cls: cls.brand_id == brand_id, include_aliases=True))
    state.statement = state.statement.options(*options)


def _stamp_and_guard(session: Session, flush_context, instances) -> None:
    scope = _scope.get()
    if scope is not None and scope.all_tenants:
        return
    for obj in list(session.new) + list(session.dirty):
        is_new = obj in session.new
        if isinstance(obj, TenantScoped):
            _guard(obj, "dealer_id", None if scope is None else scope.dealer_id, is_new, scope)
        if isinstance(obj, BrandScoped):
            _guard(obj, "brand_id", None if scope is None else scope.brand_id, is_new, scope)


def _guard(obj, attr: str, current: int | None, is_new: bool, scope: TenantScope | None) -> None:
    value = getattr(obj, attr)
    if current is None:
        if attr == "dealer_id" and scope is not None and scope.brand_id is not None and value is not None:
            # Corporate scope writing a dealer-owned row: only for a dealer of its own brand.
            from app.models.accounts import Dealer

            dealer = Session.object_session(obj).get(Dealer, value)
            if dealer is not None and dealer.brand_id == scope.brand_id:
                return
        raise CrossTenantWrite(f"Writing {type(obj).__name__} without a {attr} scope")
    if value is None and is_new:
        setattr(obj, attr, current)
    elif value != current:
        raise CrossTenantWrite(f"{type(obj).__name__}.{attr}={value} is outside the current tenant {current}")


def install_listeners() -> None:
    """Attach the scoping listeners to every SQLAlchemy ORM session (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _limit_to_scope):
        event.listen(Session, "do_orm_execute", _limit_to_scope)
    if not event.contains(Session, "before_flush", _stamp_and_guard):
        event.listen(Session, "before_flush", _stamp_and_guard)
