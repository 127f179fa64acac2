"""merge coupon redemptions, allocation, sessions and row-level security; RLS on promotion_redemption

Revision ID: cb868b47b605
Revises: 26b5474ef2a8, 3cd9446883d6, a7c3e91d5b20, d9837f247e0f
Create Date: 2026-12-08 01:14:37.034993

"""
from alembic import op



# revision identifiers, used by Alembic.
revision = 'cb868b47b605'
down_revision = ('26b5474ef2a8', '3cd9446883d6', 'a7c3e91d5b20', 'd9837f247e0f')
branch_labels = None
depends_on = None


# Tenant tables added on branches merged here (tests/test_rls.py unions these lists).
RLS_DEALER_TABLES = ("promotion_redemption",)
RLS_BRAND_TABLES = ()

_DEALER = "nullif(current_setting('app.current_dealer', true), '')::integer"
_BRAND = "nullif(current_setting('app.current_brand', true), '')::integer"
_BYPASS = "coalesce(current_setting('app.bypass', true), '') = 'on'"
DEALER_RULE = (
    f"{_BYPASS} OR dealer_id = {_DEALER} "
    f"OR ({_DEALER} IS NULL AND dealer_id IN (SELECT d.id FROM dealer d WHERE d.brand_id = {_BRAND}))"
)
POLICY = "tenant_isolation"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in RLS_DEALER_TABLES:
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        op.execute(f'CREATE POLICY {POLICY} ON "{table}" USING ({DEALER_RULE}) WITH CHECK ({DEALER_RULE})')


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in RLS_DEALER_TABLES:
        op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
