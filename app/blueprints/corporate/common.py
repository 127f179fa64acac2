"""Helpers shared by the corporate views: page-or-fragment rendering, scoped lookups, form statuses."""

from __future__ import annotations

from flask import abort, make_response, render_template, request
from flask_babel import get_locale

from app.extensions import db, htmx


def is_fragment_request() -> bool:
    """True for an HTMX request that wants a fragment (not a boosted navigation or history restore)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    """Render ``fragment`` for HTMX requests, else ``page``; always ``Vary: HX-Request``."""
    template = fragment if fragment and is_fragment_request() else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def form_error_status() -> int:
    """422 for an HTMX form post with errors (htmx swaps it), 400 for a full-page post."""
    return 422 if htmx else 400


def get_or_404(model, object_id: int):
    """Load ``model`` by id through the tenant scope: another brand's row is simply not found → 404."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def locale() -> str:
    """Return the current UI locale as a string (``ko``, ``zh_Hans``)."""
    return str(get_locale() or "en")


def wants_post() -> bool:
    """True when the request is a POST."""
    return request.method == "POST"
