"""dealer settings: what an unknown stock-car cost means for the gross floor (issue 11)

approval_settings.unknown_cost_rule: ``require_approval`` (existing dealers keep today's
fail-closed behaviour) or ``authority_only``. offer_revision.cost_rule: the rule that decided
the gross check of that revision (NULL when the cost was known or no floor applied).

Revision ID: b3c5e7a9d1f2
Revises: 99054023f3d0
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3c5e7a9d1f2'
down_revision = '99054023f3d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('approval_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unknown_cost_rule', sa.String(length=20), server_default='require_approval',
                                      nullable=False))
    with op.batch_alter_table('offer_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_rule', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('offer_revision', schema=None) as batch_op:
        batch_op.drop_column('cost_rule')
    with op.batch_alter_table('approval_settings', schema=None) as batch_op:
        batch_op.drop_column('unknown_cost_rule')
