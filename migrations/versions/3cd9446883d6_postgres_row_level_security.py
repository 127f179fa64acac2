"""PostgreSQL row-level security on every tenant-owned and brand-level table

The second wall under the ORM listener (app/rls.py): ENABLE + FORCE ROW LEVEL SECURITY and one
policy per table on the transaction-local settings app.current_dealer, app.current_brand and
app.bypass. PostgreSQL only; nothing on SQLite. The table names are fixed here (a migration never
imports the live models); tests/test_rls.py checks them against the models.

Revision ID: 3cd9446883d6
Revises: 1755383905d9
Create Date: 2026-12-08 00:09:38.330456

"""
from alembic import op



# revision identifiers, used by Alembic.
revision = '3cd9446883d6'
down_revision = '1755383905d9'
branch_labels = None
depends_on = None


# Table names as of this revision. A later migration that adds a tenant table enables RLS on it and
# lists it in its own RLS_DEALER_TABLES / RLS_BRAND_TABLES (tests/test_rls.py unions them).
RLS_DEALER_TABLES = (
    "api_key",
    "approval_settings",
    "consultant_profile",
    "contract",
    "customer",
    "customer_event",
    "deal",
    "deal_amendment",
    "deal_event",
    "dealer_display_model",
    "dealer_display_trim",
    "dealer_hidden_color",
    "delivery_booking",
    "delivery_checklist_tick",
    "delivery_closure",
    "delivery_config",
    "delivery_slot_counter",
    "delivery_slot_setting",
    "fee_setting",
    "finance_application",
    "finance_document",
    "idempotency_record",
    "import_batch",
    "import_column_mapping",
    "model_deposit",
    "notification",
    "offer",
    "offer_approval",
    "offer_number_counter",
    "offer_revision",
    "payment",
    "payment_event",
    "payment_test_checkout",
    "payment_test_webhook",
    "preset_discount",
    "purchasing_conditions",
    "reservation_settings",
    "stock_vehicle",
    "tax_setting",
    "trade_in_appraisal",
    "trade_in_photo",
    "vehicle_photo",
)
RLS_BRAND_TABLES = (
    "accessory",
    "catalog_option",
    "catalog_release",
    "category",
    "color",
    "color_pair_exclusion",
    "dealer",
    "expert_review",
    "feature",
    "partner_bank",
    "promotion",
    "promotion_banner",
    "promotion_coupon",
    "trim",
    "trim_color",
    "vehicle_model",
    "video",
    "warranty",
)

_DEALER = "nullif(current_setting('app.current_dealer', true), '')::integer"
_BRAND = "nullif(current_setting('app.current_brand', true), '')::integer"
_BYPASS = "coalesce(current_setting('app.bypass', true), '') = 'on'"

#: A dealer scope sees its own rows; a brand-wide (corporate) scope, with no dealer, the rows of its
#: brand's dealers (the subquery reads ``dealer`` under that table's own brand policy).
DEALER_RULE = (
    f"{_BYPASS} OR dealer_id = {_DEALER} "
    f"OR ({_DEALER} IS NULL AND dealer_id IN (SELECT d.id FROM dealer d WHERE d.brand_id = {_BRAND}))"
)
BRAND_RULE = f"{_BYPASS} OR brand_id = {_BRAND}"
POLICY = "tenant_isolation"


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _is_postgresql():
        return
    for tables, rule in ((RLS_DEALER_TABLES, DEALER_RULE), (RLS_BRAND_TABLES, BRAND_RULE)):
        for table in tables:
            op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            op.execute(f'CREATE POLICY {POLICY} ON "{table}" USING ({rule}) WITH CHECK ({rule})')


def downgrade():
    if not _is_postgresql():
        return
    for table in RLS_DEALER_TABLES + RLS_BRAND_TABLES:
        op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
