"""membership.pending: invitations wait for the person's acceptance

An invitation (corporate → dealer principal, dealer → staff) creates a pending, inactive membership;
it becomes active only when the invited person accepts (app.services.invitations). Existing
memberships are accepted ones (false).

Revision ID: a7c3e91d5b20
Revises: f2ef9385f81f
Create Date: 2026-12-08 00:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91d5b20'
down_revision = 'f2ef9385f81f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('pending')
