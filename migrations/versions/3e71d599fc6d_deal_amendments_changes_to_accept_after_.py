"""Deal amendments: changes to accept after acceptance (issue 11 items 3 and 6).

A ``deal_amendment`` row per change of an accepted deal's figures (trade-in appraised, bank terms
differing from the offer) and ``deal_event.amendment_id`` so the timeline shows its figures.

Revision ID: 3e71d599fc6d
Revises: 99054023f3d0
Create Date: 2026-12-07 17:12:08.662755

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '3e71d599fc6d'
down_revision = '99054023f3d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deal_amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('pending_deal_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'accepted', 'approved', 'superseded', 'withdrawn', name='amendmentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('customer_total_before', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('customer_total_after', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('principal_may_approve', sa.Boolean(), nullable=False),
    sa.Column('offer_revision_no', sa.Integer(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_name', sa.String(length=200), nullable=False),
    sa.Column('accepted_ip', sa.String(length=45), nullable=False),
    sa.Column('accepted_user_agent', sa.String(length=300), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_deal_amendment_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_amendment_deal_id_deal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], name=op.f('fk_deal_amendment_dealer_id_dealer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_deal_amendment_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pending_deal_id'], ['deal.id'], name=op.f('fk_deal_amendment_pending_deal_id_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_amendment')),
    sa.UniqueConstraint('dealer_id', 'pending_deal_id', name=op.f('uq_deal_amendment_dealer_id_pending_deal_id'))
    )
    with op.batch_alter_table('deal_amendment', schema=None) as batch_op:
        batch_op.create_index('ix_deal_amendment_dealer_deal', ['dealer_id', 'deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_amendment_dealer_id'), ['dealer_id'], unique=False)

    with op.batch_alter_table('deal_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amendment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_deal_event_amendment_id_deal_amendment'), 'deal_amendment', ['amendment_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('deal_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deal_event_amendment_id_deal_amendment'), type_='foreignkey')
        batch_op.drop_column('amendment_id')

    with op.batch_alter_table('deal_amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_amendment_dealer_id'))
        batch_op.drop_index('ix_deal_amendment_dealer_deal')

    op.drop_table('deal_amendment')
