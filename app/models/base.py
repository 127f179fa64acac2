"""Declarative base with a constraint naming convention, and shared column types."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, MetaData, Numeric, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def enum_values(enum_cls) -> list[str]:
    """Store an Enum's values (``"platform_admin"``), not its member names, in the database."""
    return [member.value for member in enum_cls]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC; return aware UTC datetimes on every database.

    SQLite has no time-zone type, so values are normalised to UTC before storing and
    tagged UTC when read. Naive datetimes are refused: they are the classic source of
    "expired at midnight UTC" bugs.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Naive datetime refused; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Money: 14 digits with 2 decimals covers KRW prices (up to 999 billion) and THB/CAD cents.
MoneyColumn = Numeric(14, 2, asdecimal=True)


def dialect_only(item, dialect: str):
    """Create schema ``item`` (an ``Index``…) on ``dialect`` only, and mark it so for ``include_in_comparison``.

    ``ddl_if`` alone is not seen by Alembic's autogenerate, which would report the item missing
    on every other database.
    """
    item.info["dialect"] = dialect
    return item.ddl_if(dialect=dialect)


def include_in_comparison(dialect_name: str):
    """Return an Alembic ``include_object`` hook that leaves out model items made for another dialect."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        return reflected or obj.info.get("dialect", dialect_name) == dialect_name

    return include


class Base(DeclarativeBase):
    """Base of every model; constraint names follow ``NAMING_CONVENTION`` so migrations are stable."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), Decimal: MoneyColumn},
    )


class TimestampMixin:
    """``created_at`` / ``updated_at`` in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
