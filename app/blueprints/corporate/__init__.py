"""Corporate (brand) pages under ``/c/<brand_slug>/``, scoped to the user's brand."""

from app.access import tenant_blueprint

bp = tenant_blueprint("corporate", __name__, kind="brand")

from app.blueprints.corporate import (  # noqa: E402,F401
    catalog,
    partner_banks,
    people,
    price_import,
    promotions,
    reports,
    routes,
)
