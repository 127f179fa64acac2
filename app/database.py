"""Engine-level settings per database dialect.

SQLite: foreign keys on, and SQLAlchemy's documented pysqlite workaround so that
SAVEPOINTs and ``BEGIN`` behave as on PostgreSQL (the driver's own transaction handling
is turned off and SQLAlchemy emits ``BEGIN`` itself).

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

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

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
