"""Error pages for full pages and HTMX, and the demo seed command."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.accounts import Brand, Dealer, Membership, User
from app.models.dealer_settings import ReservationSettings
from app.services import field_crypto
from app.tenancy import all_tenants


def test_404_page_and_htmx_fragment(client, login, world):
    login(world.emails["consultant_a1"])
    page = client.get("/d/nowhere/")
    assert page.status_code == 404 and "<html" in page.get_data(as_text=True)
    fragment = client.get("/d/nowhere/", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert fragment.headers["HX-Retarget"] == "#messages"
    assert "<html" not in fragment.get_data(as_text=True)


def test_unexpected_error_is_a_clean_500(app):
    from tests.conftest import fresh_app

    with fresh_app(app) as fresh:

        @fresh.route("/__boom")
        def boom():
            raise RuntimeError("boom")

        response = fresh.test_client().get("/__boom")
    assert response.status_code == 500
    assert "Nothing was saved" in response.get_data(as_text=True)


def test_seed_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "principal.seoul@forecourt.example" in first.output
    with app.app_context(), all_tenants():
        counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Brand, Dealer, User, Membership)]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context(), all_tenants():
        again = [db.session.scalar(select(func.count()).select_from(m)) for m in (Brand, Dealer, User, Membership)]
        models = {d.slug: d.business_model.value for d in db.session.scalars(select(Dealer))}
    assert counts == again
    assert models["seoul-gangnam"] == "E2E" and models["busan-haeundae"] == "O2O" and models["bangkok-rama9"] == "E2E"

    with app.app_context(), all_tenants():
        settings = db.session.scalars(select(ReservationSettings)).all()
        merchants = [row.merchant_id for row in settings]
        secrets = [field_crypto.decrypt(app.config, row.provider_secret_encrypted) for row in settings]
    # Every dealer is its own merchant with its own webhook secret (Seoul and Busan shared one).
    assert len(settings) == len(models) and len(set(merchants)) == len(merchants) and len(set(secrets)) == len(secrets)


def test_demo_users_land_where_expected(app, client, runner):
    runner.invoke(args=["seed-demo"])
    from tests.conftest import csrf_token

    cases = {
        "principal.seoul@forecourt.example": "/d/seoul-gangnam/",
        "corporate.kr@forecourt.example": "/c/hyundai-kr/",
        "group.consultant@forecourt.example": "/workspaces",
    }
    for email, expected in cases.items():
        token = csrf_token(client)
        response = client.post("/login", data={"email": email, "password": "forecourt-demo", "csrf_token": token})
        assert response.status_code == 302
        assert client.get("/").headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})


def test_seed_demo_prints_the_address_actually_served(runner):
    default = runner.invoke(args=["seed-demo"])
    assert "Sign in at http://127.0.0.1:5000/login" in default.output
    chosen = runner.invoke(args=["seed-demo", "--base-url", "http://127.0.0.1:8123/"])
    assert chosen.exit_code == 0, chosen.output
    assert "Sign in at http://127.0.0.1:8123/login" in chosen.output
    assert ":5000" not in chosen.output


def test_make_demo_serves_and_prints_the_chosen_port():
    """`make demo PORT=8123` seeds with that address and serves on it (dry run of make: nothing executes)."""
    import shutil
    import subprocess  # noqa: S404 - runs make -n on the repository's own Makefile
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", "-o", ".venv/bin/python",  # noqa: S603,S607
                          "demo", "PORT=8123", "HOST=0.0.0.0"], cwd=root, capture_output=True, text=True, check=True).stdout
    assert "seed-demo --base-url http://0.0.0.0:8123" in out
    assert "--host 0.0.0.0 --port 8123" in out
