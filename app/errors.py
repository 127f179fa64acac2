"""Error pages that work for full pages and for HTMX requests.

An HTMX request gets the message as a fragment retargeted into the page's ``#messages``
area (``HX-Retarget``), never a whole error page swapped into a table cell. An expired or
missing CSRF token on an HTMX request asks the browser to reload (``HX-Refresh``) so the
user gets a fresh token without losing the page. A request for a host outside ``TRUSTED_HOSTS``
gets a plain-text 400: no page can be built for a host that is not ours.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from app.extensions import db, htmx

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you entered and try again.")),
    401: (_l("Please sign in"), _l("You need to sign in to see this page.")),
    403: (_l("Not allowed"), _l("Your role does not allow this action. Ask your dealer principal if you need it.")),
    404: (_l("Page not found"), _l("There is nothing here, or you do not have access to it.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (_l("File too large"), _l("The file is larger than the upload limit.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. Nothing was saved. Please try again.")),
}


def render_error(code: int, detail: str | None = None, headers: dict | None = None):
    """Render the error page (or HTMX fragment) for HTTP ``code`` with an optional specific ``detail``."""
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    context = {"code": code, "title": title, "message": detail or message}
    response_headers = dict(headers or {})
    if htmx:
        response_headers.update({"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"})
        return render_template("errors/_error.html", **context), code, response_headers
    return render_template("errors/error.html", **context), code, response_headers


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        headers = {"HX-Refresh": "true"} if htmx else {}
        return render_error(400, str(_l("Your session form expired or was tampered with. Please try again.")), headers)

    @app.errorhandler(SecurityError)
    def _untrusted_host(error: SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page (its links would need one).
        return str(_l("This portal does not answer to this address.")), 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        # RFC 9110: a 405 lists the allowed methods.
        allow = {"Allow": ", ".join(sorted(error.valid_methods))} if getattr(error, "valid_methods", None) else {}
        if request.path.startswith("/api/"):
            return jsonify(error=error.description or error.name), error.code or 500, allow
        detail = None
        custom = error.description and error.description != type(error).description
        if error.code == 429:
            detail = str(_l("Too many attempts. Please wait a minute and try again."))
        elif custom or (error.code not in MESSAGES and error.description):
            detail = error.description  # a specific message given with abort(code, description=...)
        return render_error(error.code or 500, detail, allow)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        log.exception("Unhandled error", exc_info=error)
        db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify(error="An unexpected error occurred. Nothing was saved."), 500
        return render_error(InternalServerError.code)
