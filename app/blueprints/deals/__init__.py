"""Deals of a dealership: pipeline, one deal's timeline and steps, offline records (O2O), cancellation."""

from app.access import tenant_blueprint

bp = tenant_blueprint("deals", __name__, kind="dealer", url_prefix="/deals")

from app.blueprints.deals import allocation, amendments, contract, delivery, finance, payments, routes, trade_ins  # noqa: E402,F401
