"""Platform operator pages under ``/admin/``: brands, dealers and the mail outbox."""

from flask import Blueprint

bp = Blueprint("platform", __name__, url_prefix="/admin")

from app.blueprints.platform import routes  # noqa: E402,F401
