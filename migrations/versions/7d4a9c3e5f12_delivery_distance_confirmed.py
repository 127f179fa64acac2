"""deliveries: home-delivery distance confirmed by staff

delivery_booking.distance_confirmed_by_user_id / distance_confirmed_at: a home delivery booked with a
typed address and no shared location waits with no distance; staff enter the km (and the fee
follows). Existing bookings get NULL (their distance came from the shared location).

Revision ID: 7d4a9c3e5f12
Revises: 5b7e2d1c8a93
Create Date: 2026-12-08 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '7d4a9c3e5f12'
down_revision = '5b7e2d1c8a93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery_booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('distance_confirmed_by_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('distance_confirmed_at', app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_delivery_booking_distance_confirmed_by_user_id_user_account'),
                                    'user_account', ['distance_confirmed_by_user_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('delivery_booking', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_delivery_booking_distance_confirmed_by_user_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_column('distance_confirmed_at')
        batch_op.drop_column('distance_confirmed_by_user_id')
