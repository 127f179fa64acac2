"""Promotion redemptions (issue 11 item 2): the coupon and budget uses of each accepted offer, released on cancel.

Revision ID: 26b5474ef2a8
Revises: 1755383905d9
Create Date: 2026-12-08 00:09:14.157066

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '26b5474ef2a8'
down_revision = '1755383905d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('promotion_redemption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=True),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('offer_revision_no', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('redeemed_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brand.id'], name=op.f('fk_promotion_redemption_brand_id_brand'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['coupon_id'], ['promotion_coupon.id'], name=op.f('fk_promotion_redemption_coupon_id_promotion_coupon'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_promotion_redemption_deal_id_deal'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], name=op.f('fk_promotion_redemption_dealer_id_dealer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_promotion_redemption_offer_id_offer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotion.id'], name=op.f('fk_promotion_redemption_promotion_id_promotion'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_redemption')),
    sa.UniqueConstraint('dealer_id', 'offer_id', 'promotion_id', name=op.f('uq_promotion_redemption_dealer_id_offer_id_promotion_id'))
    )
    with op.batch_alter_table('promotion_redemption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotion_redemption_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promotion_redemption_coupon_id'), ['coupon_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promotion_redemption_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promotion_redemption_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promotion_redemption_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promotion_redemption_promotion_id'), ['promotion_id'], unique=False)



def downgrade():
    with op.batch_alter_table('promotion_redemption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotion_redemption_promotion_id'))
        batch_op.drop_index(batch_op.f('ix_promotion_redemption_offer_id'))
        batch_op.drop_index(batch_op.f('ix_promotion_redemption_dealer_id'))
        batch_op.drop_index(batch_op.f('ix_promotion_redemption_deal_id'))
        batch_op.drop_index(batch_op.f('ix_promotion_redemption_coupon_id'))
        batch_op.drop_index(batch_op.f('ix_promotion_redemption_brand_id'))

    op.drop_table('promotion_redemption')
