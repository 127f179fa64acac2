"""Dealer (tenant) pages under ``/d/<dealer_slug>/``; every row they touch is tenant-scoped."""

from app.access import tenant_blueprint

bp = tenant_blueprint("dealer", __name__, kind="dealer")

from app.blueprints.dealer import consultants, customers, routes, settings, vehicle_display  # noqa: E402,F401
