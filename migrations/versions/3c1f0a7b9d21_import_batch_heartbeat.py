"""import batch heartbeat: a job that stops without finishing is detected

Revision ID: 3c1f0a7b9d21
Revises: 99054023f3d0
Create Date: 2026-12-07 17:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


revision = '3c1f0a7b9d21'
down_revision = '99054023f3d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', app.models.base.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
