"""deal vehicle allocation: factory VIN, arrival date, allocated at

Revision ID: d9837f247e0f
Revises: 1755383905d9
Create Date: 2026-12-08 00:11:54.792946

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'd9837f247e0f'
down_revision = '1755383905d9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('factory_vin', sa.String(length=17), nullable=True))
        batch_op.add_column(sa.Column('factory_arrival_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('allocated_at', app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(
            'uq_deal_dealer_factory_vin_live', ['dealer_id', 'factory_vin'], unique=True,
            sqlite_where=sa.text("factory_vin IS NOT NULL AND cancelled_at IS NULL"),
            postgresql_where=sa.text("factory_vin IS NOT NULL AND cancelled_at IS NULL"),
        )


def downgrade():
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_deal_dealer_factory_vin_live',
            sqlite_where=sa.text("factory_vin IS NOT NULL AND cancelled_at IS NULL"),
            postgresql_where=sa.text("factory_vin IS NOT NULL AND cancelled_at IS NULL"),
        )
        batch_op.drop_column('allocated_at')
        batch_op.drop_column('factory_arrival_date')
        batch_op.drop_column('factory_vin')
