"""merge vehicle display and partner banks

Revision ID: a0af6130ae82
Revises: 37e0b0a26b82, f58af67173de
Create Date: 2026-11-29 23:17:18.081909

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'a0af6130ae82'
down_revision = ('37e0b0a26b82', 'f58af67173de')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
