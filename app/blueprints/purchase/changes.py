"""Changes to accept, customer side: after acceptance the deal's figures changed; the customer accepts the new ones.

The purchase page shows the old and new figures (``partials/_deal_change.html``) with this form:
full name typed as on the purchase and consent ticked. The service refuses (with the reason,
nothing saved) a cancelled purchase, figures already accepted or replaced, a missing consent or a
name that is not the customer's. Post/redirect/get with a flashed message.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from app.blueprints.purchase import bp
from app.blueprints.purchase.routes import load_deal
from app.extensions import db, limiter
from app.i18n import error_message
from app.models.deals import DealAmendment
from app.services import deal_amendments as service
from app.services import deals as deal_service


class AcceptChangeForm(FlaskForm):
    """The customer's acceptance of changed figures: full name typed and consent ticked (checked by the service)."""

    full_name = StringField(_l("Type your full name"), validators=[Length(max=200)])
    consent = BooleanField(_l("I have compared the figures and accept the new ones"))


@bp.app_template_global()
def accept_change_form() -> AcceptChangeForm:
    """Return an empty acceptance form (the purchase page's change card)."""
    return AcceptChangeForm()


@bp.route("/<token>/changes/<int:amendment_id>/accept", methods=["POST"])
@limiter.limit("10 per minute")
def accept_change(token: str, amendment_id: int):
    """Accept the changed figures ``amendment_id`` of this purchase (typed name + consent; IP and browser recorded)."""
    deal = load_deal(token)
    amendment = db.session.get(DealAmendment, amendment_id)
    if amendment is None or amendment.deal_id != deal.id:
        abort(404)
    form = AcceptChangeForm()
    target = url_for("purchase.view", token=token) + "#change"
    if not form.validate_on_submit():
        flash(_("Please type your full name and tick the box to accept the new figures."), "error")
        return redirect(target)
    try:
        service.accept_by_customer(db.session, amendment, typed_name=form.full_name.data or "",
                                   consent=bool(form.consent.data), ip=request.remote_addr or "",
                                   user_agent=request.user_agent.string or "")
    except deal_service.DealError as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
    else:
        db.session.commit()
        flash(_("Thank you, you accepted the new figures. Your contract follows with them."), "success")
    return redirect(target)
