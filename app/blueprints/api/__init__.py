"""Inventory JSON API under ``/api/v1``: authenticated by per-dealer API keys, not by the session.

CSRF does not apply (no cookies are used; every call carries ``Authorization: Bearer <key>``).
The key's dealer becomes the tenant scope of the request, exactly like a dealer page's slug.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.blueprints.api import routes  # noqa: E402,F401
