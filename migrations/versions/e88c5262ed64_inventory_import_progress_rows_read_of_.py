"""inventory: import progress (rows read of total)

import_batch.progress_rows / progress_total: written by the import job in its own short
transactions, read by the polling page. Existing rows get 0 / NULL.

Revision ID: e88c5262ed64
Revises: a0af6130ae82
Create Date: 2026-11-30 01:09:37.676907

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e88c5262ed64'
down_revision = 'a0af6130ae82'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_rows', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('progress_total', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('progress_total')
        batch_op.drop_column('progress_rows')
