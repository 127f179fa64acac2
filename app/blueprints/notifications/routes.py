"""Notification views: every signed-in member of the dealer sees only their own notifications."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.blueprints.notifications import bp
from app.extensions import db, htmx
from app.models.base import utcnow
from app.services import notifications as notification_service


@bp.route("/")
def index():
    """The user's latest notifications, unread first in bold; ``?unread=1`` shows only unread ones."""
    unread_only = request.args.get("unread") == "1"
    rows = notification_service.recent(db.session, current_user.id, unread_only=unread_only)
    return render_template("notifications/index.html", rows=rows, unread_only=unread_only, form=FlaskForm())


@bp.route("/badge")
def badge():
    """The unread count, polled by the top bar (an empty fragment when nothing is unread)."""
    response = current_app.make_response(
        render_template("notifications/_badge.html", count=notification_service.unread_count(db.session, current_user.id))
    )
    response.vary.add("HX-Request")
    return response


@bp.route("/read", methods=["POST"])
@bp.route("/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int | None = None):
    """Mark one notification (or all) read, then go to its link or back to the list."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    target = url_for("notifications.index")
    if notification_id is not None:
        row = db.session.get(notification_service.Notification, notification_id)
        if row is None or row.user_id != current_user.id:
            abort(404)
        target = row.url or target
    notification_service.mark_read(db.session, current_user.id, utcnow(), notification_id)
    db.session.commit()
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
