"""offers: search text folded by the Unicode lower on SQLite

Revision ID: 1f93dfdf61cc
Revises: cb868b47b605
Create Date: 2026-12-08 01:57:57.170094

SQLite's built-in ``lower()`` folds ASCII only; the app now replaces it with a Unicode-aware one on every
connection (``app.database``), so an offer saved before kept ``Петров``/``É`` unfolded in ``search_text``.
Rewriting each row's number to itself makes SQLite recompute the stored column with the new ``lower()``.
PostgreSQL's ``lower()`` already folded every letter: nothing to do there. Downgrade leaves the values (they
are what the app computes either way).

"""
from alembic import op



# revision identifiers, used by Alembic.
revision = '1f93dfdf61cc'
down_revision = 'cb868b47b605'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE offer SET number = number")


def downgrade():
    pass
