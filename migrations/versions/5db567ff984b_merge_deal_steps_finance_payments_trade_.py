"""merge deal steps: finance, payments, trade-in, contract, delivery

Revision ID: 5db567ff984b
Revises: 32e479d1f26d, 58ecbc7cf9cc, a84c2048c47b, ee92effd3637, fb35772ad00f
Create Date: 2026-11-30 01:09:57.566404

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '5db567ff984b'
down_revision = ('32e479d1f26d', '58ecbc7cf9cc', 'a84c2048c47b', 'ee92effd3637', 'fb35772ad00f')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
