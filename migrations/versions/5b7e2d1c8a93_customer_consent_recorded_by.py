"""customers: who recorded the privacy and marketing consent

customer.privacy_recorded_by_id / marketing_consent_recorded_by_id: the staff member who recorded
the privacy notice acceptance and the marketing consent (with the time and version already kept).
Existing customers get NULL (not known).

Revision ID: 5b7e2d1c8a93
Revises: 3c1f6a2b9d40
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e2d1c8a93'
down_revision = '3c1f6a2b9d40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('marketing_consent_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_customer_privacy_recorded_by_id_user_account'), 'user_account',
                                    ['privacy_recorded_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_customer_marketing_consent_recorded_by_id_user_account'), 'user_account',
                                    ['marketing_consent_recorded_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customer_marketing_consent_recorded_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_customer_privacy_recorded_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('marketing_consent_recorded_by_id')
        batch_op.drop_column('privacy_recorded_by_id')
