"""merge offers and catalog

Revision ID: c30070c39815
Revises: 2877d9073318, 8dad388cf318
Create Date: 2026-11-29 21:55:14.992922

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'c30070c39815'
down_revision = ('2877d9073318', '8dad388cf318')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
