"""merge offer search column and deal steps

Revision ID: 2d80c101cd59
Revises: 5db567ff984b, fb041265ca35
Create Date: 2026-11-30 01:38:23.977740

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '2d80c101cd59'
down_revision = ('5db567ff984b', 'fb041265ca35')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
