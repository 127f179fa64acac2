"""Engine-level settings per database dialect.

SQLite: foreign keys on, and SQLAlchemy's documented pysqlite workaround so that
SAVEPOINTs and ``BEGIN`` behave as on PostgreSQL (the driver's own transaction handling
is turned off and SQLAlchemy emits ``BEGIN`` itself).
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def _on_connect(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


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
