"""Dealer views."""

from flask import g, render_template
from sqlalchemy import func, select

from app.access import require_menu
from app.blueprints.dealer import bp
from app.extensions import db
from app.models.accounts import Membership
from app.models.base import utcnow


@bp.route("/")
@require_menu("dashboard")
def dashboard():
    """The dealership's home: who works here and what waits."""
    staff_count = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.dealer_id == g.dealer.id, Membership.active)
    )
    return render_template("dealer/dashboard.html", dealer=g.dealer, staff_count=staff_count, now_utc=utcnow())
