"""Corporate reports: the distributor's stock upload error statistics per dealer."""

from __future__ import annotations

from flask import render_template

from app.access import require
from app.blueprints.corporate import bp
from app.domain.roles import Permission
from app.extensions import db
from app.services.inventory_stats import upload_error_stats


@bp.route("/reports/uploads")
@require(Permission.VIEW_CORPORATE)
def upload_stats():
    """Every dealer's stock imports: how many, rows read, created, rejected, error rate, last import."""
    return render_template("corporate/upload_stats.html", stats=upload_error_stats(db.session))
