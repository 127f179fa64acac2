"""merge import heartbeat and deal amendments

Revision ID: 5b368c08e828
Revises: 3c1f0a7b9d21, 3e71d599fc6d
Create Date: 2026-12-07 17:58:59.524352

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '5b368c08e828'
down_revision = ('3c1f0a7b9d21', '3e71d599fc6d')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
