"""A staff member's notifications at one dealership: list, unread badge, mark read."""

from app.access import tenant_blueprint

bp = tenant_blueprint("notifications", __name__, kind="dealer", url_prefix="/notifications")

from app.blueprints.notifications import routes  # noqa: E402,F401
