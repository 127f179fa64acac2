"""Dealer views."""

from flask import abort, current_app, g, render_template
from sqlalchemy import func, select

from app.access import require_menu
from app.blueprints.dealer import bp
from app.extensions import db
from app.models.accounts import Membership
from app.models.base import utcnow
from app.services.promotions import active_banners
from app.services.storage import StorageError, get_storage


@bp.route("/")
@require_menu("dashboard")
def dashboard():
    """The dealership's home: live brand banners, who works here and what waits."""
    staff_count = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.dealer_id == g.dealer.id, Membership.active)
    )
    now = utcnow()
    return render_template("dealer/dashboard.html", dealer=g.dealer, staff_count=staff_count, now_utc=now,
                           banners=active_banners(db.session, g.dealer, now))


@bp.route("/banners/<int:banner_id>/image")
@require_menu("dashboard")
def banner_image(banner_id: int):
    """Serve the image of a banner this dealer may see now; any other id is 404."""
    banner = next((b for b in active_banners(db.session, g.dealer) if b.id == banner_id), None)
    if banner is None:
        abort(404)
    try:
        data = get_storage(current_app.config).read(banner.image_key)
    except StorageError:
        abort(404)
    from app.blueprints.corporate.routes import _image_response

    return _image_response(banner.image_key, data)
