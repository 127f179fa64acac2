"""HTTP security headers for every response (Flask-Talisman), and the stricter referrer rule of token pages.

Content-Security-Policy: scripts only from the portal itself or inline with the request's nonce
(``csp_nonce()`` in templates; no inline event handlers — ``static/js/behaviours.js`` wires
``data-*`` attributes instead); styles from the portal, plus ``style`` attributes (catalog colour
swatches carry their colour inline; a style attribute cannot run code); images from the portal,
``data:`` URIs and HTTPS hosts (dealers' listing photos); no plugins, no ``<base>`` elsewhere, and
no framing by any site (``frame-ancestors 'none'``, also ``X-Frame-Options: DENY``). htmx runs with
``includeIndicatorStyles`` off so it adds no ``<style>`` element.

``X-Content-Type-Options: nosniff`` everywhere; ``Strict-Transport-Security`` when
``HSTS_ENABLED`` (production). The customer's token pages — ``/o/`` (offer), ``/p/`` (purchase),
``/r/`` (reservation) — answer ``Referrer-Policy: no-referrer`` so their secret URL never leaks to
another site through a link or an image; other pages ``strict-origin-when-cross-origin``.
TLS is terminated by the proxy, so Talisman never redirects to HTTPS itself.

Behind that proxy the peer address is the proxy's: ``trust_proxies`` believes ``X-Forwarded-For``
and ``X-Forwarded-Proto`` from exactly ``TRUSTED_PROXY_COUNT`` hops (werkzeug ``ProxyFix``), so the
sign-in limits and the audit log see the client. Never more hops than there are proxies: a client
could then choose its own address. The ``Host`` header is not taken from the proxy; production
checks it against ``TRUSTED_HOSTS``.
"""

from __future__ import annotations

from flask import Flask, request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-elem": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": ["'self'", "data:", "https:"],
    "font-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}

#: Path prefixes of the pages whose URL is a customer's secret (signed token).
TOKEN_PAGE_PREFIXES = ("/o/", "/p/", "/r/")


def init_app(app: Flask) -> None:
    """Install the security headers on ``app`` (call after the other extensions).

    One ``Talisman`` per app: it keeps its settings on itself, so a shared instance would let a
    second app (another worker, a test) change the first one's headers.
    """
    # Registered before Talisman's own hook so that it runs after it (Flask runs them in reverse).
    @app.after_request
    def _token_pages_send_no_referrer(response):
        if request.path.startswith(TOKEN_PAGE_PREFIXES):
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    app.extensions["talisman"] = Talisman(
        app,
        force_https=False,  # the TLS-terminating proxy redirects; the app sees plain HTTP behind it
        strict_transport_security=bool(app.config.get("HSTS_ENABLED", False)),
        strict_transport_security_max_age=31536000,
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE", False)),
        session_cookie_http_only=True,
        permissions_policy={"geolocation": "(self)", "camera": "()", "microphone": "()"},
    )


def trust_proxies(app: Flask) -> None:
    """Wrap ``app.wsgi_app`` in ``ProxyFix`` for ``TRUSTED_PROXY_COUNT`` proxies; nothing when it is 0."""
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies < 0:
        raise ValueError("TRUSTED_PROXY_COUNT must be 0 or more")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)
