"""Offer views: load (tenant-scoped) → check role and state → act through services → commit once."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import require_menu
from app.blueprints.offers import bp
from app.blueprints.offers.forms import ActionForm, DecisionForm, OfferFilterForm
from app.domain.approval import UnknownCostRule
from app.domain.offer_states import OfferState
from app.domain.roles import Permission, Role, has_permission
from app.extensions import db, htmx
from app.i18n import error_message
from app.models.accounts import Membership, User
from app.models.base import utcnow
from app.models.offers import Offer
from app.services import deals as deal_service
from app.services import offer_queries
from app.services import offers as offer_service
from app.services.offer_pdf_response import pdf_response

STATE_LABELS = {
    "draft": _l("Draft"),
    "pending_approval": _l("Pending approval"),
    "approved": _l("Approved"),
    "returned": _l("Returned"),
    "sent": _l("Sent"),
    "viewed": _l("Viewed"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "withdrawn": _l("Withdrawn"),
}

#: What the dealer's unknown-cost rule did on a stock car without a cost (``UnknownCostRule`` value → note).
COST_RULE_NOTES = {
    UnknownCostRule.REQUIRE_APPROVAL.value: _l(
        "Cost unknown: approval required, because the gross floor cannot be checked (dealer setting)."),
    UnknownCostRule.AUTHORITY_ONLY.value: _l(
        "Cost unknown: the gross floor was not checked; only the discount authority and the dealer's discount "
        "limits were (dealer setting)."),
}


@bp.context_processor
def _offer_labels():
    return {"cost_rule_notes": COST_RULE_NOTES}


def _load(offer_id: int) -> Offer:
    """Return the offer of the current dealer (404 otherwise), expired lazily if its day has passed."""
    offer = db.get_or_404(Offer, offer_id)
    if offer_service.expire_if_due(db.session, offer, g.dealer.timezone, utcnow()):
        db.session.commit()
    return offer


def _can_act_on(offer: Offer) -> bool:
    """Consultants act on their own offers; managers and the principal on every offer of the dealer."""
    return g.role in (Role.DEALER_PRINCIPAL, Role.SALES_MANAGER) or offer.consultant_id == current_user.id


def _consultants() -> list[User]:
    return list(
        db.session.scalars(
            db.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.dealer_id == g.dealer.id, Membership.active)
            .order_by(User.name)
        )
    )


@bp.route("/")
@require_menu("offers")
def index():
    """The pipeline: offers by state with search and filters; consultants default to their own."""
    form = OfferFilterForm(request.args)
    form.state.choices = [(key, str(label)) for key, label in STATE_LABELS.items()]
    if not form.validate():
        flash(_("Some filters were not valid and were ignored."), "warning")
    consultant_id = form.consultant.data if form.consultant.data is not None else None
    if g.role is Role.SALES_CONSULTANT and "consultant" not in request.args:
        consultant_id = current_user.id
    # The HTMX answer is the table alone: no filter chips (state counts) nor consultant list to fill.
    fragment = bool(htmx and not htmx.boosted)
    page = offer_queries.list_offers(
        db.session,
        q=form.q.data if not form.q.errors else None,
        states=[s for s in (form.state.data or []) if s in STATE_LABELS],
        consultant_id=consultant_id,
        page=form.page.data or 1,
        with_state_counts=not fragment,
    )
    context = dict(form=form, result=page, consultant_id=consultant_id, state_labels=STATE_LABELS)
    if fragment:
        response = current_app.make_response(render_template("offers/_table.html", **context))
    else:
        context.update(consultants=_consultants(), counts=page.state_counts)
        response = current_app.make_response(render_template("offers/index.html", **context))
    response.vary.add("HX-Request")
    return response


@bp.route("/<int:offer_id>")
@require_menu("offers")
def detail(offer_id: int):
    """One offer: its current content, the revisions with what changed, approvals, and the next actions."""
    offer = _load(offer_id)
    revision = offer_service.current_revision(offer)
    diffs = {}
    revisions = offer.revisions
    for older, newer in zip(revisions, revisions[1:], strict=False):
        diffs[newer.revision_no] = offer_service.revision_diff(older.snapshot, newer.snapshot)
    link = None
    if offer.state in (OfferState.SENT, OfferState.VIEWED, OfferState.ACCEPTED, OfferState.DECLINED):
        link = url_for("customer.view", token=offer_service.make_link_token(offer, current_app.config["SECRET_KEY"]), _external=True)
    deal = deal_service.deal_for_offer(db.session, offer.id) if offer.state is OfferState.ACCEPTED else None
    return render_template(
        "offers/detail.html",
        offer=offer,
        deal=deal,
        revision=revision,
        snapshot=revision.snapshot,
        diffs=diffs,
        approval=offer_service.valid_approval(offer),
        can_act=_can_act_on(offer),
        can_approve=has_permission(g.role, Permission.APPROVE_OFFERS),
        action_form=ActionForm(revision_no=offer.current_revision_no),
        decision_form=DecisionForm(revision_no=offer.current_revision_no),
        link=link,
        state_labels=STATE_LABELS,
    )


def _after_action(offer: Offer):
    url = url_for("offers.detail", offer_id=offer.id)
    if htmx:
        return "", 204, {"HX-Redirect": url}
    return redirect(url)


def _act(offer_id: int, action) -> object:
    offer = _load(offer_id)
    if not _can_act_on(offer):
        abort(403)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if form.revision_no.data != offer.current_revision_no:
        flash(_("This offer changed meanwhile; here is the current revision."), "warning")
        return _after_action(offer)
    try:
        action(offer)
    except offer_service.OfferError as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
        return _after_action(offer)
    db.session.commit()
    return _after_action(offer)


@bp.route("/<int:offer_id>/submit", methods=["POST"])
@require_menu("offers")
def submit(offer_id: int):
    """Send the offer to the principal's approval queue."""

    def act(offer):
        offer_service.submit_for_approval(db.session, offer, current_user)
        flash(_("Sent for approval."), "success")

    return _act(offer_id, act)


@bp.route("/<int:offer_id>/send", methods=["POST"])
@require_menu("offers")
def send(offer_id: int):
    """Send the offer: the customer gets it by e-mail with the PDF (refused without a valid approval when one is needed)."""

    def act(offer):
        if offer_service.send_offer(db.session, offer, actor=current_user, now=utcnow()):
            flash(_("The offer was e-mailed to %(email)s with the PDF attached.", email=offer.customer.email), "success")
        else:
            flash(_("The customer has no e-mail address: share the link or the QR code."), "warning")

    return _act(offer_id, act)


@bp.route("/<int:offer_id>/withdraw", methods=["POST"])
@require_menu("offers")
def withdraw(offer_id: int):
    """Withdraw the offer and revoke its customer links."""

    def act(offer):
        offer_service.withdraw_offer(db.session, offer, actor=current_user)
        flash(_("The offer is withdrawn; its links no longer open."), "info")

    return _act(offer_id, act)


@bp.route("/approvals")
@require_menu("offer_approval")
def approvals():
    """The approval queue of the principal and sales managers."""
    return render_template("offers/approvals.html", offers=offer_queries.approval_queue(db.session), state_labels=STATE_LABELS)


@bp.route("/approvals/badge")
@require_menu("offers")
def approvals_badge():
    """The number of offers waiting for approval, polled by the dashboard and menu badge."""
    count = offer_queries.pending_approval_count(db.session)
    return render_template("offers/_badge.html", count=count)


@bp.route("/<int:offer_id>/decide", methods=["POST"])
@require_menu("offer_approval")
def decide(offer_id: int):
    """Approve or return the revision the approver reviewed; a return needs a comment."""
    offer = _load(offer_id)
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "return"):
        abort(400)
    approve = form.decision.data == "approve"
    if not approve and not (form.comment.data or "").strip():
        flash(_("Please say why you return the offer, so the consultant can fix it."), "error")
        return _after_action(offer)
    try:
        offer_service.decide(
            db.session, offer, approve=approve, comment=form.comment.data or "", approver=current_user, revision_no=form.revision_no.data
        )
    except offer_service.OfferError as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
        return _after_action(offer)
    db.session.commit()
    flash(_("Offer approved.") if approve else _("Offer returned to the consultant."), "success")
    return _after_action(offer)


@bp.route("/<int:offer_id>/pdf")
@require_menu("offers")
def pdf(offer_id: int):
    """The offer PDF in the customer's language, as the customer will get it."""
    offer = _load(offer_id)
    link = url_for("customer.view", token=offer_service.make_link_token(offer, current_app.config["SECRET_KEY"]), _external=True)
    return pdf_response(offer, g.dealer, link)
