"""Dealer inventory pages under ``/d/<dealer_slug>/inventory``: stock list, vehicle, import, API keys."""

from app.access import tenant_blueprint

bp = tenant_blueprint("inventory", __name__, kind="dealer", url_prefix="/inventory")

from app.blueprints.inventory import routes  # noqa: E402,F401
