"""merge dealer settings

Revision ID: ed57d218161d
Revises: 7e7a07af018a, f12ec97ab620
Create Date: 2026-11-29 22:05:42.395380

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'ed57d218161d'
down_revision = ('7e7a07af018a', 'f12ec97ab620')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
