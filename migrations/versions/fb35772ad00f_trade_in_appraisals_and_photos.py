"""Trade-in appraisals (issue 7 item 3) and their photos.

Revision ID: fb35772ad00f
Revises: d5360b8cc597
Create Date: 2026-11-30 00:23:41.798368

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'fb35772ad00f'
down_revision = 'd5360b8cc597'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('trade_in_appraisal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('vin', sa.String(length=17), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('make', sa.String(length=60), nullable=False),
    sa.Column('model', sa.String(length=80), nullable=False),
    sa.Column('odometer', sa.Integer(), nullable=False),
    sa.Column('odometer_unit', sa.String(length=2), nullable=False),
    sa.Column('condition', sa.JSON(), nullable=False),
    sa.Column('customer_note', sa.Text(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payoff', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('status', sa.Enum('requested', 'appraised', 'expired', 'withdrawn', name='tradeinstatus', native_enum=False, length=20), nullable=False),
    sa.Column('requested_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('appraiser_id', sa.Integer(), nullable=True),
    sa.Column('appraiser_notes', sa.Text(), nullable=False),
    sa.Column('appraised_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_seconds', sa.Integer(), nullable=True),
    sa.Column('applied_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('applied_revision_no', sa.Integer(), nullable=True),
    sa.Column('closed_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appraiser_id'], ['user_account.id'], name=op.f('fk_trade_in_appraisal_appraiser_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_trade_in_appraisal_customer_id_customer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_trade_in_appraisal_deal_id_deal'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], name=op.f('fk_trade_in_appraisal_dealer_id_dealer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_trade_in_appraisal_offer_id_offer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_trade_in_appraisal_requested_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trade_in_appraisal'))
    )
    with op.batch_alter_table('trade_in_appraisal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trade_in_appraisal_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_trade_in_appraisal_dealer_deal', ['dealer_id', 'deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trade_in_appraisal_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index('ix_trade_in_appraisal_dealer_status_requested', ['dealer_id', 'status', 'requested_at'], unique=False)

    op.create_table('trade_in_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appraisal_id'], ['trade_in_appraisal.id'], name=op.f('fk_trade_in_photo_appraisal_id_trade_in_appraisal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], name=op.f('fk_trade_in_photo_dealer_id_dealer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trade_in_photo'))
    )
    with op.batch_alter_table('trade_in_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trade_in_photo_appraisal_id'), ['appraisal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trade_in_photo_dealer_id'), ['dealer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('trade_in_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trade_in_photo_dealer_id'))
        batch_op.drop_index(batch_op.f('ix_trade_in_photo_appraisal_id'))

    op.drop_table('trade_in_photo')
    with op.batch_alter_table('trade_in_appraisal', schema=None) as batch_op:
        batch_op.drop_index('ix_trade_in_appraisal_dealer_status_requested')
        batch_op.drop_index(batch_op.f('ix_trade_in_appraisal_dealer_id'))
        batch_op.drop_index('ix_trade_in_appraisal_dealer_deal')
        batch_op.drop_index(batch_op.f('ix_trade_in_appraisal_customer_id'))

    op.drop_table('trade_in_appraisal')
