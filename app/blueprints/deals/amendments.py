"""Changes to accept, staff side: the deal page's card (old vs new figures), the principal's acceptance, timeline rows.

The template globals here are shared with the customer's pages (purchase page, offer link): one
way to word and format a change. Views load → check → act through ``services.deal_amendments`` →
commit once.
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, g
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import require_menu
from app.blueprints.deals import bp
from app.blueprints.deals.forms import ActionForm
from app.blueprints.deals.routes import EVENT_LABELS, _to_detail, load_deal
from app.domain.deal_amendments import FigureChange
from app.domain.roles import Role
from app.extensions import db
from app.i18n import error_message, money
from app.models.deals import Deal, DealAmendment
from app.services import deal_amendments as service
from app.services import deals as deal_service

#: How each figure of a change is named (``domain.deal_amendments.FIGURE_KEYS``).
FIGURE_LABELS = {
    "trade_in_allowance": _l("Trade-in allowance"),
    "trade_in_payoff": _l("Trade-in payoff"),
    "trade_in_equity": _l("Trade-in equity"),
    "out_the_door_price": _l("Out-the-door price"),
    "lender": _l("Lender"),
    "amount_financed": _l("Amount financed"),
    "apr_percent": _l("APR"),
    "term_months": _l("Term"),
    "monthly_payment": _l("Monthly payment"),
    "total_of_payments": _l("Total of payments"),
    "balance_due": _l("Balance due"),
}

#: What caused a change, as the card says it.
REASON_LABELS = {
    "trade_in": _l("Trade-in appraised: %(name)s"),
    "finance": _l("Terms approved by %(name)s"),
}

EVENT_LABELS.update({
    "change_requested": _l("Figures changed: waiting for the customer's acceptance"),
    "change_accepted": _l("The customer accepted the changed figures"),
    "change_approved": _l("The principal accepted the changed figures (the customer pays no more)"),
})


def _show(change: FigureChange, value, currency: str) -> str:
    if value is None or value == "":
        return "—"
    if change.is_money:
        return money(Decimal(str(value)), currency)
    if change.key == "apr_percent":
        return format_decimal(Decimal(str(value)).normalize()) + " %"
    if change.key == "term_months":
        return ngettext("%(num)s month", "%(num)s months", int(value))
    return str(value)


@bp.app_template_global()
def amendment_rows(amendment: DealAmendment) -> list[tuple[str, str, str]]:
    """Return ``(label, old, new)`` of every figure that the change ``amendment`` moved, formatted for the reader."""
    currency = amendment.deal.currency
    rows = [(str(FIGURE_LABELS[c.key]), _show(c, c.old, currency), _show(c, c.new, currency))
            for c in service.changes_of(amendment)]
    if amendment.customer_total_before != amendment.customer_total_after:
        rows.append((_("Total you pay (cash and loan)"), money(amendment.customer_total_before, currency),
                     money(amendment.customer_total_after, currency)))
    return rows


@bp.app_template_global()
def amendment_reasons(amendment: DealAmendment) -> list[str]:
    """Return what caused the change, one line per cause (the appraised car, the lender)."""
    lines = []
    for reason in amendment.reasons or []:
        label = REASON_LABELS.get(str(reason.get("kind")))
        if label is not None:
            lines.append(str(label) % {"name": reason.get("vehicle") or reason.get("lender") or ""})
    return lines


@bp.app_template_global()
def deal_change(deal: Deal) -> DealAmendment | None:
    """Return the change of ``deal`` waiting for acceptance (staff card, purchase page, offer link), or None."""
    return service.pending_change(db.session, deal)


@bp.app_template_global()
def change_form() -> ActionForm:
    """Return the bare CSRF form of the principal's "accept for the customer" button."""
    return ActionForm()


@bp.route("/<int:deal_id>/changes/<int:amendment_id>/approve", methods=["POST"])
@require_menu("deals")
def approve_change(deal_id: int, amendment_id: int):
    """The dealer principal accepts a trade-in change that does not raise what the customer pays."""
    deal = load_deal(deal_id)
    amendment = db.get_or_404(DealAmendment, amendment_id)
    if amendment.deal_id != deal.id:
        abort(404)
    if g.role is not Role.DEALER_PRINCIPAL:
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.approve_by_principal(db.session, amendment, principal=current_user, role=g.role)
    except deal_service.DealError as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
    else:
        db.session.commit()
        flash(_("You accepted the changed figures for the customer; the contract can follow."), "success")
    return _to_detail(deal)
