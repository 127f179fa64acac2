"""Fixtures for corporate pages: a signed-in corporate admin of brand A and helpers."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.tenancy import all_tenants
from tests.conftest import csrf_token


@pytest.fixture
def corp(client, login, world):
    """Sign in brand A's corporate admin; return ``(base_url, token)``."""
    login(world.emails["corp_a"])
    base = f"/c/{world.slugs['brand_a']}"
    return base, csrf_token(client, f"{base}/catalog/categories/new")


@pytest.fixture
def make(app):
    """``make(fn, *args, **kw)`` runs a factory in an app context with all tenants, commits, returns the id."""

    def _make(fn, *args, **kw):
        with app.app_context(), all_tenants():
            obj = fn(*args, **kw)
            db.session.commit()
            return obj.id

    return _make


@pytest.fixture
def read(app):
    """``read(fn)`` evaluates ``fn()`` in an app context with all tenants."""

    def _read(fn):
        with app.app_context(), all_tenants():
            return fn()

    return _read
