"""offers: normalized search text, trigram index

Revision ID: fb041265ca35
Revises: a0af6130ae82
Create Date: 2026-11-30 00:19:30.238480

``offer.search_text`` is a stored generated column (``lower(number || LF || vehicle_label)``), so
every insert path fills it. On PostgreSQL it gets a trigram GIN index (extension ``pg_trgm``,
trusted since PostgreSQL 13: the database owner may create it); SQLite has neither and scans it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fb041265ca35'
down_revision = 'a0af6130ae82'
branch_labels = None
depends_on = None

# The same text as app.models.offers.SEARCH_TEXT_SQL (a migration must not change when the model does).
SEARCH_TEXT_SQL = "lower(number || '\n' || vehicle_label)"


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # SQLite cannot ADD a STORED generated column: batch mode rebuilds the table there.
    with op.batch_alter_table('offer', schema=None, recreate="auto" if postgresql else "always") as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), sa.Computed(SEARCH_TEXT_SQL, persisted=True), nullable=True))
    if postgresql:
        op.create_index('ix_offer_search_text_trgm', 'offer', ['search_text'], unique=False, postgresql_using='gin',
                        postgresql_ops={'search_text': 'gin_trgm_ops'})


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.drop_index('ix_offer_search_text_trgm', table_name='offer')
    with op.batch_alter_table('offer', schema=None, recreate="auto" if postgresql else "always") as batch_op:
        batch_op.drop_column('search_text')
    # pg_trgm stays: other objects may use it, and it is harmless.
