"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db
from app.models import Base
from app.models.base import include_in_comparison


def test_models_and_migrations_agree(app):
    with app.app_context():
        connection = db.session.connection()
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "render_as_batch": True,
            # PostgreSQL-only items (trigram indexes) are not expected on SQLite.
            "include_object": include_in_comparison(connection.dialect.name),
        })
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"Models and migrations differ; run `flask db migrate`: {diff}"
