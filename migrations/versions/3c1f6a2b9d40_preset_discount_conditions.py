"""dealer settings: preset discounts limited to stock conditions

preset_discount.conditions: the stock conditions (new, used, cpo, demo, lease_takeover) a preset is
for, empty = any. Existing presets get an empty list (every condition), as before.

Revision ID: 3c1f6a2b9d40
Revises: 99054023f3d0
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1f6a2b9d40'
down_revision = '99054023f3d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('preset_discount', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conditions', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('preset_discount', schema=None) as batch_op:
        batch_op.drop_column('conditions')
