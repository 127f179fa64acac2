"""PostgreSQL row-level security: the database itself refuses other tenants' rows.

Raw ``text()`` SQL skips the ORM listener, so these tests read and write with it on purpose: what
stops them is the policy of ``migrations/versions/3cd9446883d6`` and the settings ``app/rls.py``
keeps in step with the tenant scope. The app connects as ``forecourt_app`` (tests/conftest.py), a
role that is neither superuser nor owner, exactly as in production.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError

from app.extensions import db
from app.models.base import Base
from app.models.customers import Customer
from app.rls import tenant_tables
from app.tenancy import all_tenants, scoped
from tests.conftest import APP_ROLE, csrf_token, is_postgres
from tests.factories import PASSWORD

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
postgres_only = pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")

_INSERT_CUSTOMER = text(
    "INSERT INTO customer (dealer_id, full_name, notes, street, city, region, postal_code, country,"
    " marketing_consent, privacy_notice_version, created_at, updated_at)"
    " VALUES (:dealer, :name, '', '', '', '', '', 'KR', false, '', now(), now()) RETURNING id"
)


def _migration_lists() -> tuple[set[str], set[str]]:
    """Union of ``RLS_DEALER_TABLES`` / ``RLS_BRAND_TABLES`` over every migration that declares them."""
    dealer, brand = set(), set()
    for path in sorted(MIGRATIONS.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "RLS_DEALER_TABLES" not in source and "RLS_BRAND_TABLES" not in source:
            continue
        spec = importlib.util.spec_from_file_location(f"_rls_migration_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        dealer |= set(getattr(module, "RLS_DEALER_TABLES", ()))
        brand |= set(getattr(module, "RLS_BRAND_TABLES", ()))
    return dealer, brand


def test_migration_table_lists_are_the_models_tenant_tables():
    dealer, brand = tenant_tables(Base.metadata)
    assert dealer and brand
    listed_dealer, listed_brand = _migration_lists()
    assert listed_dealer == set(dealer), "a TenantScoped table without RLS in a migration (or a stale name)"
    assert listed_brand == set(brand), "a BrandScoped table without RLS in a migration (or a stale name)"


@postgres_only
def test_every_tenant_table_has_rls_enabled_forced_and_a_policy(app):
    dealer, brand = tenant_tables(Base.metadata)
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
            " (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )).all()
    by_name = {row.relname: row for row in rows}
    for table in sorted(dealer | brand):
        row = by_name[table]
        assert (row.relrowsecurity, row.relforcerowsecurity, row.policies) == (True, True, 1), table
    assert not by_name["brand"].relrowsecurity  # brands themselves are public to every signed-in scope


@postgres_only
def test_the_app_connects_as_a_role_rls_applies_to(app):
    with app.app_context():
        row = db.session.execute(text(
            "SELECT current_user AS name, r.rolsuper, r.rolbypassrls,"
            " (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'customer') AS owner"
            " FROM pg_roles r WHERE r.rolname = current_user"
        )).one()
    assert (row.name, row.rolsuper, row.rolbypassrls) == (APP_ROLE, False, False)
    assert row.owner != APP_ROLE


def _customer(dealer_id: int, name: str) -> int:
    with all_tenants():
        customer = Customer(dealer_id=dealer_id, full_name=name)
        db.session.add(customer)
        db.session.flush()
        return customer.id


def _raw_names(sql: str = "SELECT full_name FROM customer WHERE full_name LIKE 'RLS %' ORDER BY full_name") -> list[str]:
    return list(db.session.scalars(text(sql)))


@postgres_only
def test_raw_select_with_another_tenants_scope_returns_no_rows(app, world):
    with app.app_context():
        _customer(world.ids["a1"], "RLS A1")
        _customer(world.ids["a2"], "RLS A2")
        b1_id = _customer(world.ids["b1"], "RLS B1")
        with scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
            assert _raw_names() == ["RLS A1"]
            assert db.session.execute(text("SELECT id FROM customer WHERE id = :id"), {"id": b1_id}).all() == []
            # Brand-level rows follow the brand: another brand's dealer row is invisible too.
            assert db.session.execute(text("SELECT id FROM dealer WHERE id = :id"), {"id": world.ids["b1"]}).all() == []
        with scoped(brand_id=world.ids["brand_a"]):  # corporate: every dealer of brand A, none of brand B
            assert _raw_names() == ["RLS A1", "RLS A2"]
        with scoped(dealer_id=world.ids["b1"], brand_id=world.ids["brand_b"]):
            assert _raw_names() == ["RLS B1"]
        assert _raw_names() == []  # no scope at all: nothing (fail closed)
        with all_tenants():
            assert _raw_names() == ["RLS A1", "RLS A2", "RLS B1"]
        # The per-statement bypass is honoured as well, and only for that statement.
        bypass = text("SELECT count(*) FROM customer WHERE full_name LIKE 'RLS %'").execution_options(all_tenants=True)
        with scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
            assert db.session.scalar(bypass) == 3
            assert _raw_names() == ["RLS A1"]


def _refused(statement, params) -> str:
    savepoint = db.session.begin_nested()
    with pytest.raises(ProgrammingError) as refused:
        db.session.execute(statement, params)
    savepoint.rollback()
    return str(refused.value.orig)


@postgres_only
def test_raw_insert_or_update_of_another_tenants_row_is_refused_by_the_database(app, world):
    with app.app_context():
        a1_customer = _customer(world.ids["a1"], "RLS A1")
        with scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
            message = _refused(_INSERT_CUSTOMER, {"dealer": world.ids["b1"], "name": "RLS intruder"})
            assert "row-level security" in message
            # Moving one's own row to another dealer is refused the same way (WITH CHECK).
            message = _refused(text("UPDATE customer SET dealer_id = :other WHERE id = :id"),
                               {"other": world.ids["b1"], "id": a1_customer})
            assert "row-level security" in message
            # Brand-level data: a category for brand B.
            message = _refused(text(
                "INSERT INTO category (brand_id, code, sort_order, active, name, name_i18n, created_at, updated_at)"
                " VALUES (:brand, 'RLS', 0, true, 'RLS', '{}', now(), now())"
            ), {"brand": world.ids["brand_b"]})
            assert "row-level security" in message
            # The same insert for one's own dealer is accepted: the wall is the tenant, not the SQL.
            own = db.session.scalar(_INSERT_CUSTOMER, {"dealer": world.ids["a1"], "name": "RLS own"})
            assert own is not None
        with scoped(brand_id=world.ids["brand_a"]):  # corporate may write for its own brand's dealers only
            assert db.session.scalar(_INSERT_CUSTOMER, {"dealer": world.ids["a2"], "name": "RLS corp"}) is not None
            assert "row-level security" in _refused(_INSERT_CUSTOMER, {"dealer": world.ids["b1"], "name": "RLS x"})
        with all_tenants():
            names = _raw_names()
        assert names == ["RLS A1", "RLS corp", "RLS own"]


@postgres_only
def test_settings_follow_scope_changes_inside_one_transaction_and_rollbacks(app, world):
    with app.app_context():
        _customer(world.ids["a1"], "RLS A1")
        _customer(world.ids["b1"], "RLS B1")
        with scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
            assert _raw_names() == ["RLS A1"]
            savepoint = db.session.begin_nested()
            with scoped(dealer_id=world.ids["b1"], brand_id=world.ids["brand_b"]):
                assert _raw_names() == ["RLS B1"]
            savepoint.rollback()  # PostgreSQL undoes set_config made inside the savepoint
            assert _raw_names() == ["RLS A1"]
            db.session.commit()
            assert _raw_names() == ["RLS A1"]


@postgres_only
def test_corporate_dashboard_and_platform_list_still_aggregate_across_dealers(app, client, login, world):
    with app.app_context():
        for key, name in (("a1", "RLS A1"), ("a2", "RLS A2"), ("b1", "RLS B1")):
            _customer(world.ids[key], name)
        db.session.commit()
    login(world.emails["corp_a"])
    page = client.get(f"/c/{world.slugs['brand_a']}/").get_data(as_text=True)
    assert "Dealer A1" in page and "Dealer A2" in page and "Dealer B1" not in page
    customers = client.get(f"/c/{world.slugs['brand_a']}/customers/?q=RLS").get_data(as_text=True)
    assert "RLS A1" in customers and "RLS A2" in customers and "RLS B1" not in customers
    admin = app.test_client()
    token = csrf_token(admin, "/login")
    admin.post("/login", data={"email": world.emails["platform"], "password": PASSWORD, "csrf_token": token})
    page = admin.get("/admin/").get_data(as_text=True)
    with app.app_context(), all_tenants():
        from app.models.accounts import Brand

        names = set(db.session.scalars(select(Brand.name)))
    assert {"Brand A", "Brand B"} <= names
    assert "<td>Brand A</td>" in page and "<td>Brand B</td>" in page
    assert '<td class="num">2</td>' in page and '<td class="num">1</td>' in page  # A1+A2, B1


@postgres_only
def test_grant_app_role_command_grants_as_the_owner_and_refuses_a_superuser(app, runner):
    result = runner.invoke(args=["grant-app-role"])
    assert result.exit_code == 0, result.output
    assert APP_ROLE in result.output
    with app.app_context():
        granted = db.session.scalar(text("SELECT has_table_privilege(current_user, 'offer', 'INSERT')"))
    assert granted is True
    refused = runner.invoke(args=["grant-app-role", "--role", "postgres"])
    assert refused.exit_code != 0
    assert "superuser" in refused.output
