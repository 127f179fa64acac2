"""Deal views: load (tenant-scoped) → check role and business model → act through services → commit once."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import require_menu
from app.blueprints.deals import bp
from app.blueprints.deals.forms import ActionForm, CancelForm, DealFilterForm, OfflineStepForm
from app.domain.deal_states import STEP_ORDER, DealAction, DealState, allowed_actions, step_status
from app.domain.roles import BusinessModel, Role
from app.extensions import db, htmx
from app.i18n import error_message
from app.models.deals import Deal
from app.services import deals as deal_service
from app.services.notifications import Message, notify_customer

STATE_LABELS = {
    "offer_accepted": _l("Offer accepted"),
    "reserved": _l("Reserved"),
    "financing": _l("Financing"),
    "contracted": _l("Contracted"),
    "delivery_scheduled": _l("Delivery scheduled"),
    "delivered": _l("Delivered"),
    "cancelled": _l("Cancelled"),
}

ACTION_LABELS = {
    "reserve": _l("Reservation deposit received"),
    "start_financing": _l("Finance application submitted"),
    "finance_declined": _l("Finance declined"),
    "contract": _l("Contract signed"),
    "schedule_delivery": _l("Delivery scheduled"),
    "reschedule": _l("Delivery rescheduled"),
    "deliver": _l("Vehicle delivered"),
    "cancel": _l("Cancelled"),
}

EVENT_LABELS = {
    "opened": _l("Deal opened from the accepted offer"),
    "reservation_requested": _l("Reservation requested online"),
    "link_sent": _l("Purchase link e-mailed"),
    "link_revoked": _l("Purchase links revoked; a new link was issued"),
}

#: Templates of the step cards on the deal page; each step module appends its own.
DEAL_PANELS: list[str] = []

#: The order of the sale, used to sort step cards whatever order their modules were imported in.
PANEL_ORDER = ("allocation", "payment", "deposit", "trade_in", "finance", "contract", "delivery")


def in_sale_order(panels: list[str]) -> list[str]:
    """Return the step-card templates ordered as the sale runs (vehicle → deposit → trade-in → finance → contract → delivery)."""

    def rank(path: str) -> int:
        return next((i for i, key in enumerate(PANEL_ORDER) if key in path), len(PANEL_ORDER))

    return sorted(panels, key=rank)

#: Purchase links work this long unless revoked by bumping ``Deal.link_version``.
LINK_MAX_AGE = 60 * 60 * 24 * 120


def load_deal(deal_id: int) -> Deal:
    """Return the current dealer's deal ``deal_id`` or abort 404."""
    return db.get_or_404(Deal, deal_id)


def can_act_on(deal: Deal) -> bool:
    """Consultants act on their own deals; managers and the principal on every deal of the dealer."""
    return g.role in (Role.DEALER_PRINCIPAL, Role.SALES_MANAGER) or deal.consultant_id == current_user.id


def purchase_link(deal: Deal) -> str:
    """Return the customer's signed purchase-page link of ``deal`` (absolute)."""
    return url_for("purchase.view", token=deal_service.make_link_token(deal, current_app.config["SECRET_KEY"]), _external=True)


@bp.route("/")
@require_menu("deals")
def index():
    """The deal pipeline: by state, searchable; consultants default to their own deals."""
    form = DealFilterForm(request.args)
    if not form.validate():
        flash(_("Some filters were not valid and were ignored."), "warning")
    consultant_id = form.consultant.data if not form.consultant.errors else None
    if g.role is Role.SALES_CONSULTANT and "consultant" not in request.args:
        consultant_id = current_user.id
    page = form.page.data if not form.page.errors and form.page.data else 1
    deals, total = deal_service.list_deals(
        db.session, q=form.q.data if not form.q.errors else None, state=form.state.data or None,
        consultant_id=consultant_id, page=page,
    )
    context = dict(
        form=form, deals=deals, total=total, page=page, pages=max(1, -(-total // 25)), state_labels=STATE_LABELS,
        counts=deal_service.counts_by_state(db.session, consultant_id), consultant_id=consultant_id,
    )
    template = "deals/_table.html" if htmx and not htmx.boosted else "deals/index.html"
    response = current_app.make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def _local(value, timezone: str):
    return value.astimezone(ZoneInfo(timezone)) if value else None


@bp.route("/<int:deal_id>")
@require_menu("deals")
def detail(deal_id: int):
    """One deal: the steps (done, current, to come), the money, the timeline and the next actions."""
    deal = load_deal(deal_id)
    offline_form = OfflineStepForm()
    offline_form.action.choices = _offline_choices(deal)
    return render_template("deals/detail.html", **_detail_context(deal, offline_form=offline_form))


def _offline_choices(deal: Deal) -> list[tuple[str, str]]:
    allowed = set(allowed_actions(deal.state))
    return [(a.value, str(ACTION_LABELS[a.value])) for a in deal_service.OFFLINE_ACTIONS if a in allowed]


def _detail_context(deal: Deal, **extra) -> dict:
    steps = [(step.value, STATE_LABELS[step.value], step_status(deal.state, step)) for step in STEP_ORDER]
    return dict(
        deal=deal,
        steps=steps,
        state_labels=STATE_LABELS,
        action_labels=ACTION_LABELS,
        event_labels=EVENT_LABELS,
        deal_panels=in_sale_order(DEAL_PANELS),
        settlement=deal_service.settlement_of(deal),
        can_act=can_act_on(deal),
        o2o=deal.business_model == BusinessModel.O2O.value,
        link=purchase_link(deal) if deal.state is not DealState.CANCELLED else None,
        cancel_form=extra.pop("cancel_form", None) or CancelForm(),
        action_form=ActionForm(),
        timezone=g.dealer.timezone,
        **extra,
    )


@bp.route("/<int:deal_id>/offline", methods=["POST"])
@require_menu("deals")
def record_offline(deal_id: int):
    """Record a step the showroom did (O2O dealers only): which, who, when, and any money settled."""
    deal = load_deal(deal_id)
    if deal.business_model != BusinessModel.O2O.value:
        abort(404)
    if not can_act_on(deal):
        abort(403)
    form = OfflineStepForm()
    form.action.choices = _offline_choices(deal)
    if form.validate_on_submit():
        occurred = form.occurred_at.data.replace(tzinfo=ZoneInfo(g.dealer.timezone)).astimezone(UTC)
        try:
            deal_service.record_offline(
                db.session, deal, DealAction(form.action.data), dealer=g.dealer, actor=current_user,
                performed_by=form.performed_by.data, occurred_at=occurred, note=form.note.data or "",
                balance_paid=form.balance_paid.data, amount_financed=form.amount_financed.data,
            )
        except deal_service.DealError as exc:
            db.session.rollback()
            form.action.errors = [*form.action.errors, error_message(exc)]
        else:
            db.session.commit()
            flash(_("Recorded: %(step)s.", step=ACTION_LABELS[form.action.data]), "success")
            return _to_detail(deal)
    return render_template("deals/detail.html", **_detail_context(deal, offline_form=form)), 422


@bp.route("/<int:deal_id>/cancel", methods=["POST"])
@require_menu("deals")
def cancel(deal_id: int):
    """Cancel the deal with a reason; refunds follow the dealer's reservation settings."""
    deal = load_deal(deal_id)
    if not can_act_on(deal):
        abort(403)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            deal_service.cancel(db.session, deal, dealer=g.dealer, reason=form.reason.data, actor=current_user)
        except deal_service.DealError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, error_message(exc)]
        else:
            db.session.commit()
            flash(_("The deal was cancelled."), "info")
            return _to_detail(deal)
    offline_form = OfflineStepForm()
    offline_form.action.choices = _offline_choices(deal)
    return render_template("deals/detail.html", **_detail_context(deal, offline_form=offline_form, cancel_form=form)), 422


@bp.route("/<int:deal_id>/send-link", methods=["POST"])
@require_menu("deals")
def send_link(deal_id: int):
    """E-mail the customer the link to their purchase page (in the deal's language)."""
    deal = load_deal(deal_id)
    if not can_act_on(deal) or not ActionForm().validate_on_submit():
        abort(403 if not can_act_on(deal) else 400)
    sent = notify_customer(
        db.session, email=deal.customer.email, locale=deal.customer.preferred_locale or deal.locale,
        subject=Message("Your purchase %(number)s at %(dealer)s", {"number": deal.number, "dealer": g.dealer.name}),
        body=Message("Follow your purchase and complete the next steps here: %(link)s", {"link": purchase_link(deal)}),
    )
    if sent:
        deal_service.record_event(db.session, deal, "link_sent", actor=current_user, note=deal.customer.email or "")
        db.session.commit()
        flash(_("The link was e-mailed to the customer."), "success")
    else:
        flash(_("The customer has no e-mail address; show them the QR code instead."), "warning")
    return _to_detail(deal)


@bp.route("/<int:deal_id>/revoke-link", methods=["POST"])
@require_menu("deals")
def revoke_link(deal_id: int):
    """Revoke every purchase link handed out so far (a forwarded or leaked link); the page shows a new one."""
    deal = load_deal(deal_id)
    if not can_act_on(deal):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    deal_service.revoke_link(db.session, deal, actor=current_user)
    db.session.commit()
    flash(_("Every earlier purchase link stopped working. Send the customer the new one."), "success")
    return _to_detail(deal)


def _to_detail(deal: Deal):
    target = url_for("deals.detail", deal_id=deal.id)
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
