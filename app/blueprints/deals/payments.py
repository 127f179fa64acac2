"""Staff side of the reservation deposit: the payments card on the deal page and the refund action."""

from __future__ import annotations

from flask import abort, flash, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import require_menu
from app.blueprints.deals import bp
from app.blueprints.deals.forms import OfflineStepForm
from app.blueprints.deals.routes import (
    DEAL_PANELS,
    EVENT_LABELS,
    _detail_context,
    _offline_choices,
    _to_detail,
    load_deal,
)
from app.blueprints.payments.forms import RefundForm
from app.domain.roles import Role
from app.extensions import db
from app.models.base import utcnow
from app.models.deals import Deal
from app.models.payments import Payment, PaymentKind
from app.services import payments as payment_service

DEAL_PANELS.append("deals/_payments.html")
EVENT_LABELS.update({
    "deposit_checkout": _l("Deposit checkout started"),
    "deposit_received": _l("Deposit payment received"),
    "deposit_failed": _l("Deposit payment declined"),
    "reservation_lost": _l("Vehicle reserved by another customer first"),
    "refund_requested": _l("Refund requested"),
    "refund_confirmed": _l("Refund confirmed by the provider"),
    "refund_failed": _l("Refund failed"),
    "deposit_kept": _l("Deposit kept: outside the refund window"),
})

STATUS_LABELS = {
    "pending": _l("Pending"),
    "succeeded": _l("Paid"),
    "failed": _l("Declined"),
    "expired": _l("Expired"),
    "partially_refunded": _l("Partly refunded"),
    "refunded": _l("Refunded"),
}
#: Who may give money back.
REFUNDERS = (Role.DEALER_PRINCIPAL, Role.SALES_MANAGER)


def can_refund() -> bool:
    """Refunds are for the dealer principal and sales managers."""
    return g.role in REFUNDERS


def payments_card(deal: Deal, refund_form: RefundForm | None = None, refund_payment_id: int | None = None) -> dict:
    """Return what the deal page's payments card shows: rows with their effective status and refundable amounts."""
    now = utcnow()
    rows = []
    for payment in payment_service.payments_of(db.session, deal):
        refundable = payment_service.refundable_amount(db.session, payment) if payment.kind is PaymentKind.DEPOSIT else None
        rows.append({"payment": payment, "status": payment_service.effective_status(payment, now).value, "refundable": refundable})
    return {"rows": rows, "labels": STATUS_LABELS, "can_refund": can_refund(),
            "form": refund_form, "form_payment_id": refund_payment_id}


@bp.context_processor
def _payments_context() -> dict:
    return {"payments_card": payments_card}


@bp.route("/<int:deal_id>/payments/<int:payment_id>/refund", methods=["POST"])
@require_menu("deals")
def refund(deal_id: int, payment_id: int):
    """Refund (part of) a paid deposit through the provider; the amount may not exceed what remains."""
    deal = load_deal(deal_id)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.deal_id != deal.id or payment.kind is not PaymentKind.DEPOSIT:
        abort(404)
    if not can_refund():
        abort(403)
    form = RefundForm()
    if form.validate_on_submit():
        try:
            payment_service.issue_refund(db.session, payment, form.amount.data, reason=form.reason.data, actor=current_user)
        except payment_service.PaymentError as exc:
            db.session.rollback()
            form.amount.errors = [*form.amount.errors, exc.text()]
        else:
            db.session.commit()
            flash(_("The refund was sent to the payment provider; the deposit changes when it confirms."), "success")
            return _to_detail(deal)
    offline_form = OfflineStepForm()
    offline_form.action.choices = _offline_choices(deal)
    context = _detail_context(deal, offline_form=offline_form)
    context["refund_form"], context["refund_payment_id"] = form, payment.id
    return render_template("deals/detail.html", **context), 422
