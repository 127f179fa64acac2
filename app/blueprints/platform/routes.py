"""Platform admin views; they see every tenant through the explicit ``all_tenants`` bypass."""

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.access import is_platform_admin
from app.blueprints.platform import bp
from app.extensions import db
from app.models.accounts import Brand, Dealer
from app.models.mail import OutboxMessage
from app.tenancy import all_tenants

PAGE_SIZE = 50


@bp.before_request
@login_required
def _platform_only():
    if not is_platform_admin(current_user):
        abort(404)


@bp.route("/")
def index():
    """Brands with their dealers."""
    with all_tenants():
        brands = db.session.scalars(select(Brand).order_by(Brand.name)).all()
        dealer_counts = dict(db.session.execute(select(Dealer.brand_id, func.count()).group_by(Dealer.brand_id)).all())
    return render_template("platform/index.html", brands=brands, dealer_counts=dealer_counts)


@bp.route("/outbox")
def outbox():
    """Every stored e-mail, newest first, paged."""
    page = request.args.get("page", 1, type=int) or 1
    page = max(page, 1)
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "platform/outbox.html", messages=messages[:PAGE_SIZE], page=page, has_next=len(messages) > PAGE_SIZE
    )


@bp.route("/outbox/<int:message_id>")
def outbox_message(message_id: int):
    """One stored e-mail with its text."""
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("platform/outbox_message.html", message=message)
