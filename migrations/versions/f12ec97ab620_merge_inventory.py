"""merge inventory

Revision ID: f12ec97ab620
Revises: 409e3e0f1961, c30070c39815
Create Date: 2026-11-29 22:01:23.217151

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'f12ec97ab620'
down_revision = ('409e3e0f1961', 'c30070c39815')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
