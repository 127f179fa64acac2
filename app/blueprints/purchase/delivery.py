"""Delivery step, customer side: book or change the delivery time through the purchase link (E2E deals)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.blueprints.deals.delivery import delivery_panel, submit_booking
from app.blueprints.deals.delivery_forms import BookDeliveryForm
from app.blueprints.deals.routes import STATE_LABELS
from app.blueprints.purchase import bp
from app.blueprints.purchase.routes import PURCHASE_PANELS, load_deal
from app.domain.deal_states import STEP_ORDER, step_status
from app.domain.roles import BusinessModel
from app.extensions import db, htmx, limiter
from app.models.deals import Deal
from app.services import deals as deal_service
from app.services import deliveries as _deliveries  # noqa: F401 - registers the delivery facts and cancel hook

PURCHASE_PANELS.append("purchase/_delivery.html")


@bp.route("/<token>/delivery", methods=["POST"])
@limiter.limit("20 per minute")
def book_delivery(token: str):
    """Book the chosen delivery time (or move to it); refused with the reason when full, closed or too soon."""
    deal = load_deal(token)
    if deal.business_model != BusinessModel.E2E.value:
        abort(404)  # O2O dealers arrange the delivery in the showroom
    rescheduling = deal.state.value == "delivery_scheduled"
    form = BookDeliveryForm()
    if submit_booking(deal, form, actor=None):
        try:
            db.session.commit()
        except IntegrityError:
            form.slot.errors = [_("The delivery was just booked; reload the page to see it.")]
        else:
            flash(_("Your delivery time is changed.") if rescheduling else _("Your delivery time is booked."), "success")
            target = url_for("purchase.view", token=token, _anchor="delivery")
            if htmx:
                return "", 204, {"HX-Redirect": target}
            return redirect(target)
    db.session.rollback()
    # Re-read in the scope load_deal set (calling load_deal again would stack a second tenant scope).
    deal = db.session.get(Deal, deal.id)
    steps = [(step.value, STATE_LABELS[step.value], step_status(deal.state, step)) for step in STEP_ORDER]
    return render_template(
        "purchase/view.html", deal=deal, token=token, steps=steps, state_labels=STATE_LABELS,
        settlement=deal_service.settlement_of(deal), purchase_panels=PURCHASE_PANELS,
        delivery=delivery_panel(deal, book_form=form),
    ), 422
