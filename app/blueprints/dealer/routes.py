"""Dealer views: the dashboard, and helpers shared by the dealer pages."""

from __future__ import annotations

from flask import abort, current_app, g, make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.access import require_menu
from app.blueprints.dealer import bp
from app.domain.roles import Permission, has_permission, menu_available
from app.extensions import db, htmx
from app.i18n import error_message
from app.models.accounts import Membership
from app.models.base import utcnow
from app.models.customers import Customer
from app.services import customers as customer_service
from app.services import offer_queries
from app.services.promotions import active_banners
from app.services.storage import StorageError, get_storage


def wants_fragment() -> bool:
    """True for an HTMX request that swaps part of the page (not a boosted navigation or history restore)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    """Render ``fragment`` for an HTMX swap, else ``page``; always ``Vary: HX-Request``."""
    template = fragment if fragment and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def invalid_status() -> int:
    """Status for a form re-rendered with errors: 422 for HTMX (htmx swaps it), 400 for a full page."""
    return 422 if htmx else 400


def attach_error(form, exc, rows: dict[str, list] | None = None) -> None:
    """Show a service error (``field``, optional ``group``/``row``) next to its input, else as a form error.

    ``rows`` maps a group name to the sub-forms actually submitted (blank rows left out), so ``row``
    indexes the same list the service saw.
    """
    target = form
    if getattr(exc, "group", None) and rows and exc.group in rows and exc.row is not None:
        target = rows[exc.group][exc.row]
    name = getattr(exc, "field", None)
    if name and name in target._fields:
        field = target[name]
    else:
        field = next(iter(f for f in target if f.type not in ("CSRFTokenField", "HiddenField")), None)
    if field is None:
        form.form_errors.append(error_message(exc))
        return
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    field.errors.append(error_message(exc))


@bp.route("/")
@require_menu("dashboard")
def dashboard():
    """The dealership's home: live brand banners, customers, consultants and who looks after how many customers."""
    staff_count = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.dealer_id == g.dealer.id, Membership.active)
    )
    customer_count = db.session.scalar(
        select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_(None), Customer.withdrawn_at.is_(None))
    )
    by_consultant = [(name or _("Unassigned"), count) for name, count in customer_service.counts_by_consultant(db.session, g.dealer)]
    now = utcnow()
    offer_counts = waiting = None
    if menu_available("offers", g.dealer.business_model) and has_permission(g.role, Permission.BUILD_OFFERS):
        # Consultants see their own pipeline; the principal and sales managers see the dealership's.
        own = None if has_permission(g.role, Permission.APPROVE_OFFERS) else current_user.id
        offer_counts = offer_queries.counts_by_state(db.session, own)
        if has_permission(g.role, Permission.APPROVE_OFFERS):
            waiting = offer_queries.pending_approval_count(db.session)
    return render_template(
        "dealer/dashboard.html",
        offer_counts=offer_counts,
        waiting=waiting,
        dealer=g.dealer,
        staff_count=staff_count,
        customer_count=customer_count,
        by_consultant=by_consultant,
        now_utc=now,
        banners=active_banners(db.session, g.dealer, now),
    )


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
