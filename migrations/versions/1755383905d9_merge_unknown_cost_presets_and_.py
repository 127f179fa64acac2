"""merge unknown cost, presets and amendments

Revision ID: 1755383905d9
Revises: 5b368c08e828, 7d4a9c3e5f12, b3c5e7a9d1f2
Create Date: 2026-12-07 18:12:49.822942

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '1755383905d9'
down_revision = ('5b368c08e828', '7d4a9c3e5f12', 'b3c5e7a9d1f2')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
