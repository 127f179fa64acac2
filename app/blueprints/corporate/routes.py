"""Corporate views."""

from flask import g, render_template
from sqlalchemy import func, select

from app.access import require
from app.blueprints.corporate import bp
from app.domain.roles import Permission
from app.extensions import db
from app.models.accounts import Dealer


@bp.route("/")
@require(Permission.VIEW_CORPORATE)
def dashboard():
    """The brand's home: its dealers by business model."""
    dealers = db.session.scalars(select(Dealer).order_by(Dealer.name)).all()
    by_model = dict(
        db.session.execute(select(Dealer.business_model, func.count()).where(Dealer.active).group_by(Dealer.business_model)).all()
    )
    return render_template("corporate/dashboard.html", brand=g.brand, dealers=dealers, by_model=by_model)
