"""merge import progress and deal steps

Revision ID: 99054023f3d0
Revises: 2d80c101cd59, e88c5262ed64
Create Date: 2026-11-30 01:54:00.836700

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '99054023f3d0'
down_revision = ('2d80c101cd59', 'e88c5262ed64')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
