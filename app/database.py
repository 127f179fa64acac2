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

SQLite *file* databases (the demo and small dealers run on one) are set up for a threaded web
server, where many requests write at once:

- ``journal_mode=WAL``: readers never block the writer nor the writer the readers.
- ``busy_timeout`` of :data:`BUSY_TIMEOUT_MS`: a connection that finds the write lock taken waits
  for it (SQLite retries) instead of failing at once with "database is locked".
- ``BEGIN IMMEDIATE`` for every transaction: the write lock is taken when the transaction starts,
  where the busy timeout applies, so concurrent saves queue one behind the other. With the
  default deferred ``BEGIN`` a transaction that first reads and then writes must *upgrade* its
  lock; when another connection wrote meanwhile SQLite refuses the upgrade immediately
  (``SQLITE_BUSY``, no waiting, since waiting could deadlock) — the 500s seen with 25
  consultants saving offers at once. Every transaction is immediate, not only those of POST
  requests, because some GET pages write too (the customer link records that it was viewed).
  The cost is that transactions of a SQLite app run one at a time; PostgreSQL is for more.

In-memory databases (``sqlite://``) keep the plain settings: they have one connection and no
journal file.
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


#: How long (milliseconds) a SQLite connection waits for another connection's write lock before
#: "database is locked". Generous: a save takes tens of milliseconds, so this queues hundreds.
BUSY_TIMEOUT_MS = 30_000


def _is_file_database(dbapi_connection) -> bool:
    """Return True when the connection's main database is a file (``PRAGMA database_list`` names it)."""
    cursor = dbapi_connection.cursor()
    try:
        row = cursor.execute("PRAGMA database_list").fetchone()
    finally:
        cursor.close()
    return bool(row and row[2])


def _on_connect(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        file_database = _is_file_database(dbapi_connection)
        if file_database:
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        dbapi_connection.create_function("upper", 1, _unicode_upper, deterministic=True)
        connection_record.info["sqlite_immediate"] = file_database


def _on_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        immediate = connection.connection.info.get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def init_app(app: Flask) -> None:
    """Install the engine listeners once (they apply to every engine the app creates)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        from pathlib import Path

        path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
