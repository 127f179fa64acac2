"""Engine-level settings per database dialect, and the one text search both databases run alike.

SQLite: foreign keys on, and SQLAlchemy's documented pysqlite workaround so that
SAVEPOINTs and ``BEGIN`` behave as on PostgreSQL (the driver's own transaction handling
is turned off and SQLAlchemy emits ``BEGIN`` itself).

Case-insensitive search: SQLite's built-in ``lower()``/``upper()`` (and so SQLAlchemy's ``ilike``, which SQLite
spells ``lower(x) LIKE lower(y)``) fold ASCII only, so ``Петров`` or ``Émile`` were found on PostgreSQL
(whose ``lower()`` folds every cased letter of a UTF-8 database) and not on SQLite, even typed exactly. Each
SQLite connection therefore replaces ``lower``/``upper`` with Python's ``str.lower``/``str.upper``
(deterministic, so allowed in the ``offer.search_text`` generated column and in indexes). A SQLite file written
by another tool (the ``sqlite3`` shell) folds ASCII only in ``search_text``: re-save such rows through the app.
Searches go through ``contains_text``, which takes ``%`` and ``_`` in the term literally.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import String, event, func, literal
from sqlalchemy.engine import Engine

LIKE_ESCAPE = "\\"
"""Escape character of every search ``LIKE`` (``contains_text``)."""


def _fold(method: str):
    def fold(value: Any) -> Any:
        # SQLite's own lower(): NULL stays NULL, a number is read as its text, a blob is left alone.
        if value is None or isinstance(value, bytes):
            return value
        return getattr(str(value), method)()

    return fold


_unicode_lower = _fold("lower")
_unicode_upper = _fold("upper")


def like_pattern(term: str) -> str:
    """Return the LIKE pattern ``%term%`` matching ``term`` as a substring, its ``%``, ``_`` and ``\\`` literal.

    ``like_pattern("100%")`` is ``"%100\\%%"``: it matches "100%" and not "X-1000". Use with ``ESCAPE '\\'``.
    """
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_text(column, term: str):
    """Return the condition "column holds ``term`` as a substring, without regard to case".

    Both sides go through the database's ``lower()`` (Unicode-aware on both dialects, see the module docstring),
    so PostgreSQL and SQLite find the same rows; ``%`` and ``_`` in ``term`` are plain characters. ``term`` is
    used as given (strip it first).
    """
    return func.lower(column).like(func.lower(literal(like_pattern(term), String)), escape=LIKE_ESCAPE)


def _on_connect(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        dbapi_connection.create_function("upper", 1, _unicode_upper, deterministic=True)


def _on_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def init_app(app: Flask) -> None:
    """Install the engine listeners once (they apply to every engine the app creates)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        from pathlib import Path

        path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
