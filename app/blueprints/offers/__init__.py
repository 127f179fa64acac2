"""Offers (quotations) of a dealership: pipeline list, detail, approval queue and workflow actions."""

from app.access import tenant_blueprint

bp = tenant_blueprint("offers", __name__, kind="dealer", url_prefix="/offers")

from app.blueprints.offers import builder, routes  # noqa: E402,F401
