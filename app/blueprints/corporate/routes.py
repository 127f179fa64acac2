"""Corporate home: the dashboard with real counts, and the uploaded images of the brand."""

from __future__ import annotations

from decimal import Decimal

from flask import Response, abort, current_app, g, render_template
from sqlalchemy import func, or_, select

from app.access import require
from app.blueprints.corporate import bp
from app.blueprints.corporate.forms import LOCALES
from app.domain.roles import CORPORATE_ROLES, Permission
from app.extensions import db
from app.models.accounts import Dealer, Membership
from app.models.base import utcnow
from app.models.catalog import VehicleModel
from app.models.customers import Customer
from app.models.promotions import PromotionBanner
from app.services import catalog as catalog_service
from app.services import dealers as dealer_service
from app.services import promotions as promotion_service
from app.services.storage import StorageError, get_storage


def translation_locales(form) -> dict[str, str]:
    """Map each translation field of ``form`` (``name_ko``, ``description_en``…) to its locale."""
    result = {}
    for field in form:
        for loc in LOCALES:
            if field.name.endswith(f"_{loc}"):
                result[field.name] = loc
    return result


@bp.app_template_filter("decimal")
def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@bp.context_processor
def _corporate_context():
    return {"corporate_endpoints": current_app.view_functions, "translation_locales": translation_locales}


@bp.route("/")
@require(Permission.VIEW_CORPORATE)
def dashboard():
    """The brand's home: active dealers, published catalog, live promotions with budgets, banners, customers."""
    now = utcnow()
    dealers = db.session.scalars(select(Dealer).order_by(Dealer.name)).all()
    release = catalog_service.published_catalog(db.session)
    live = promotion_service.live_promotions(db.session, g.brand, now)
    banners = db.session.scalars(select(PromotionBanner).where(PromotionBanner.active.is_(True))).all()
    live_banners = [b for b in banners if promotion_service.banner_is_live(b, g.brand.timezone, now)]
    consultants = db.session.scalar(
        select(func.count()).select_from(dealer_service.staff_query().where(Membership.active.is_(True)).subquery()))
    counts = {
        "dealers": sum(1 for d in dealers if d.active),
        "models": release.model_count if release else 0,
        "trims": release.trim_count if release else 0,
        "draft_models": db.session.scalar(select(func.count()).select_from(VehicleModel).where(VehicleModel.active)),
        "promotions": len(live),
        "banners": len(live_banners),
        "consultants": consultants,
        "customers": db.session.scalar(select(func.count()).select_from(Customer).where(Customer.withdrawn_at.is_(None))),
    }
    return render_template("corporate/dashboard.html", brand=g.brand, dealers=dealers, counts=counts, release=release,
                           live=live, corporate_roles=CORPORATE_ROLES)


@bp.route("/uploads/<path:key>")
@require(Permission.VIEW_CORPORATE)
def upload(key: str):
    """Serve an uploaded image that belongs to this brand (a model's hero image or a banner)."""
    owned = db.session.scalar(select(func.count()).select_from(VehicleModel).where(VehicleModel.hero_image_key == key))
    owned = owned or db.session.scalar(
        select(func.count()).select_from(PromotionBanner).where(or_(PromotionBanner.image_key == key)))
    if not owned:
        abort(404)
    try:
        data = get_storage(current_app.config).read(key)
    except StorageError:
        abort(404)
    return _image_response(key, data)


def _image_response(key: str, data: bytes) -> Response:
    mime = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(key.rsplit(".", 1)[-1], "application/octet-stream")
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
