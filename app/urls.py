"""Absolute links for e-mails and QR codes, built from the configured public address, never from the request.

A link in a mail must point at Forecourt even when the request that triggered the mail carried a
forged ``Host`` header (password-reset poisoning): ``external_url`` therefore ignores the request
and builds on ``EXTERNAL_BASE_URL`` (``config.py``), e.g. ``https://portal.example.com`` or
``https://example.com/forecourt`` behind a path prefix.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of ``endpoint`` with ``values`` on ``EXTERNAL_BASE_URL``.

    Works with or without a request (CLI, services called from tests): the URL map is bound to the
    configured scheme, host and path prefix, and the blueprints' URL defaults (a dealer page's
    ``dealer_slug`` inside the same tenant) are applied as ``url_for`` would. Raises
    ``werkzeug.routing.BuildError`` for an unknown endpoint or missing values, like ``url_for``.
    """
    app = current_app
    base = urlsplit(app.config["EXTERNAL_BASE_URL"])
    values = dict(values)
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
