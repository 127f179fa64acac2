"""Helpers for dealer-area tests: URLs, posting forms with the page's CSRF token, direct service access."""

from __future__ import annotations

from contextlib import contextmanager

from app.extensions import db
from app.models.accounts import Dealer
from app.tenancy import scoped
from tests.conftest import csrf_token


def url(world, dealer_key: str, path: str = "") -> str:
    """Return ``/d/<slug>/<path>`` for a dealer of the world."""
    return f"/d/{world.slugs[dealer_key]}/{path}"


def post(client, page: str, data: dict, target: str | None = None, **kwargs):
    """POST ``data`` with the CSRF token rendered on ``page`` (to ``target`` or the page itself)."""
    token = csrf_token(client, page)
    return client.post(target or page, data={"csrf_token": token, **data}, **kwargs)


@contextmanager
def as_dealer(app, world, key: str = "a1"):
    """Run a block inside the app context and the tenant scope of dealer ``key``; yields the Dealer."""
    with app.app_context(), scoped(dealer_id=world.ids[key], brand_id=world.ids["brand_a" if key != "b1" else "brand_b"]):
        yield db.session.get(Dealer, world.ids[key])
