"""Trade-in appraisal (staff): the appraisal queue, one appraisal, appraise, apply to the offer, withdraw, photos,
and the consultant's request on a deal. E2E dealers only: every route is behind ``require_menu("trade_ins")``.

Views load (tenant-scoped) → check role → act through ``services.trade_ins`` → commit once.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import require_menu
from app.blueprints.deals import bp
from app.blueprints.deals.amendments import deal_change
from app.blueprints.deals.routes import DEAL_PANELS, EVENT_LABELS, can_act_on, load_deal, purchase_link
from app.blueprints.deals.trade_in_forms import (
    CHOICE_LABELS,
    QUESTION_LABELS,
    STATUS_LABELS,
    AppraiseForm,
    TradeInForm,
    WithdrawForm,
)
from app.domain.roles import Role, menu_available
from app.domain.trade_ins import CONDITION_QUESTIONS, TradeInError
from app.extensions import db, htmx
from app.i18n import error_message
from app.models.base import utcnow
from app.models.deals import Deal
from app.models.trade_ins import TradeInAppraisal, TradeInPhoto
from app.services import deals as deal_service
from app.services import trade_ins as service
from app.services.storage import StorageError, get_storage

DEAL_PANELS.append("deals/_trade_in_panel.html")
EVENT_LABELS.update({
    "trade_in_requested": _l("Trade-in appraisal requested"),
    "trade_in_appraised": _l("Trade-in appraised"),
    "trade_in_applied": _l("Trade-in applied to the offer"),
    "trade_in_withdrawn": _l("Trade-in appraisal withdrawn"),
})


@bp.app_template_global()
def trade_ins_of(deal: Deal) -> list[TradeInAppraisal]:
    """Return the deal's appraisals for its cards (staff and customer pages), empty when the dealer has no trade-in menu."""
    if not menu_available("trade_ins", deal.business_model):
        return []
    return service.for_deal(db.session, deal)


@bp.app_template_global()
def trade_in_labels() -> dict:
    """Return the labels the trade-in templates use (status, questions, choices)."""
    return {"status": STATUS_LABELS, "questions": QUESTION_LABELS, "choices": CHOICE_LABELS,
            "order": [q.key for q in CONDITION_QUESTIONS]}


def is_appraiser() -> bool:
    """Sales managers and the principal appraise."""
    return g.role in service.APPRAISER_ROLES


def _load(appraisal_id: int) -> TradeInAppraisal:
    appraisal = db.get_or_404(TradeInAppraisal, appraisal_id)
    if service.expire_if_due(db.session, appraisal, g.dealer.timezone, utcnow()):
        db.session.commit()
    return appraisal


def _can_act(appraisal: TradeInAppraisal) -> bool:
    owner = appraisal.deal or appraisal.offer
    return g.role in (Role.DEALER_PRINCIPAL, Role.SALES_MANAGER) or (
        owner is not None and owner.consultant_id == current_user.id)


def _go(endpoint: str, **values):
    target = url_for(endpoint, **values)
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


def _link(appraisal: TradeInAppraisal) -> str:
    return url_for("deals.trade_in", appraisal_id=appraisal.id, _external=True)


def _waited(delta: timedelta) -> str:
    return format_timedelta(delta, granularity="minute", threshold=1.1)


@bp.route("/trade-ins/")
@require_menu("trade_ins")
def trade_ins():
    """The appraisal queue: requests waiting, oldest first, with their waiting time; then recent decisions."""
    now = utcnow()
    waiting = [(a, _waited(service.waiting(a, now))) for a in service.queue(db.session)]
    context = dict(
        waiting=waiting, recent=service.recent(db.session), labels=STATUS_LABELS,
        times=service.response_times(db.session, since=now - timedelta(days=30)), fmt_seconds=_fmt_seconds,
        appraiser=is_appraiser(),
    )
    template = "deals/_trade_ins_table.html" if htmx and not htmx.boosted else "deals/trade_ins.html"
    response = current_app.make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def _fmt_seconds(seconds: int | None) -> str:
    return "—" if seconds is None else _waited(timedelta(seconds=seconds))


def _detail(appraisal: TradeInAppraisal, *, form: AppraiseForm | None = None, status: int = 200, error: str = ""):
    return render_template(
        "deals/trade_in.html", appraisal=appraisal, form=form or AppraiseForm(), withdraw_form=WithdrawForm(),
        appraiser=is_appraiser(), can_act=_can_act(appraisal), labels=STATUS_LABELS, error=error,
        equity=service.equity_of(appraisal), waited=_waited(service.waiting(appraisal, utcnow())),
        offer_revision=appraisal.applied_revision_no,
    ), status


@bp.route("/trade-ins/<int:appraisal_id>")
@require_menu("trade_ins")
def trade_in(appraisal_id: int):
    """One appraisal: the car, its condition, photos, payoff; the appraisal form; apply or withdraw."""
    return _detail(_load(appraisal_id))


@bp.route("/trade-ins/<int:appraisal_id>/appraise", methods=["POST"])
@require_menu("trade_ins")
def appraise(appraisal_id: int):
    """Record the value, its validity date and notes (sales managers and the principal)."""
    appraisal = _load(appraisal_id)
    if not is_appraiser():
        abort(403)
    form = AppraiseForm()
    if form.validate_on_submit():
        try:
            service.appraise(
                db.session, appraisal, dealer=g.dealer, appraiser=current_user, role=g.role, value=form.value.data,
                valid_until=form.valid_until.data, notes=form.notes.data or "", link=_link(appraisal),
            )
        except TradeInError as exc:
            db.session.rollback()
            field = form[exc.field] if exc.field in ("value", "valid_until") else form.notes
            field.errors = [*field.errors, error_message(exc)]
        else:
            db.session.commit()
            flash(_("Appraisal recorded; the customer has been e-mailed."), "success")
            return _go("deals.trade_in", appraisal_id=appraisal.id)
    return _detail(appraisal, form=form, status=422)


@bp.route("/trade-ins/<int:appraisal_id>/apply", methods=["POST"])
@require_menu("trade_ins")
def apply(appraisal_id: int):
    """Put the appraised value into the offer as a new revision (and the deal's money)."""
    appraisal = _load(appraisal_id)
    if not _can_act(appraisal):
        abort(403)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    deal = appraisal.deal or (deal_service.deal_for_offer(db.session, appraisal.offer_id) if appraisal.offer_id else None)
    try:
        revision = service.apply_to_offer(db.session, appraisal, dealer=g.dealer, actor=current_user,
                                          link=purchase_link(deal) if deal is not None else "")
    except TradeInError as exc:
        db.session.rollback()
        return _detail(appraisal, status=422, error=error_message(exc))
    db.session.commit()
    flash(_("The trade-in is in the offer: revision %(n)s.", n=revision.revision_no), "success")
    if deal is not None and deal_change(deal) is not None:
        flash(_("The deal's figures changed: the customer is asked to accept them before the contract."), "info")
    if appraisal.deal_id:
        return _go("deals.detail", deal_id=appraisal.deal_id)
    return _go("deals.trade_in", appraisal_id=appraisal.id)


@bp.route("/trade-ins/<int:appraisal_id>/withdraw", methods=["POST"])
@require_menu("trade_ins")
def withdraw(appraisal_id: int):
    """Withdraw a request or an appraisal not yet applied."""
    appraisal = _load(appraisal_id)
    if not _can_act(appraisal):
        abort(403)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.withdraw(db.session, appraisal, actor=current_user, reason=form.reason.data or "")
    except TradeInError as exc:
        db.session.rollback()
        return _detail(appraisal, status=422, error=error_message(exc))
    db.session.commit()
    flash(_("The appraisal was withdrawn."), "info")
    return _go("deals.trade_in", appraisal_id=appraisal.id)


@bp.route("/trade-ins/<int:appraisal_id>/photos/<int:trade_in_photo_id>")
@require_menu("trade_ins")
def trade_in_photo(appraisal_id: int, trade_in_photo_id: int):
    """Serve one stored photo of an appraisal."""
    photo = db.session.get(TradeInPhoto, trade_in_photo_id)
    if photo is None or photo.appraisal_id != appraisal_id:
        abort(404)
    try:
        data = get_storage(current_app.config).read(photo.storage_key)
    except StorageError:
        abort(404)
    response = Response(data, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def uploads_of(files) -> list[service.PhotoUpload]:
    """Return the uploaded photos of a multipart request (empty file inputs skipped)."""
    return [service.PhotoUpload(f.read(), f.filename or "") for f in files.getlist("photos") if f and (f.filename or "")]


def request_of(form: TradeInForm) -> service.TradeInRequest:
    """Return the service input from a validated ``TradeInForm``."""
    return service.TradeInRequest(
        vin=form.vin.data, year=form.year.data, make=form.make.data, model=form.model.data,
        odometer=form.odometer.data, odometer_unit=form.odometer_unit.data,
        condition={q.key: form[q.key].data for q in CONDITION_QUESTIONS}, payoff=form.payoff.data,
        note=form.note.data or "",
    )


def prefill(form: TradeInForm, deal: Deal) -> None:
    """Fill an unposted ``form`` with the trade-in typed in the deal's offer (``services.trade_ins.from_offer``)."""
    form.odometer_unit.data = "mi" if g.dealer.country in ("US", "GB") else "km"
    known = service.from_offer(db.session, deal)
    if known is None:
        return
    for name in ("vin", "year", "make", "model", "odometer", "payoff"):
        value = getattr(known, name)
        if value is not None:
            form[name].data = value


def submit_form(form: TradeInForm, deal: Deal, *, actor, link) -> TradeInAppraisal | None:
    """Validate and submit ``form`` for ``deal``; on a ``TradeInError`` put the message on its field, roll back, return None."""
    if not form.validate_on_submit():
        return None
    try:
        appraisal = service.submit(
            db.session, dealer=g.dealer, customer=deal.customer, request=request_of(form),
            photos=uploads_of(request.files), storage=get_storage(current_app.config), deal=deal, actor=actor, link=link,
        )
    except TradeInError as exc:
        db.session.rollback()
        field = form[exc.field] if exc.field and exc.field in form else form.vin
        field.errors = [*field.errors, error_message(exc)]
        return None
    return appraisal


@bp.route("/<int:deal_id>/trade-in", methods=["GET", "POST"])
@require_menu("trade_ins")
def request_trade_in(deal_id: int):
    """The consultant enters the customer's trade-in on the deal; it lands in the appraisal queue."""
    deal = load_deal(deal_id)
    if not can_act_on(deal):
        abort(403)
    if deal.state.value in ("delivered", "cancelled"):
        abort(404)
    form = TradeInForm()
    if request.method == "GET":
        prefill(form, deal)
    appraisal = submit_form(form, deal, actor=current_user, link=_link) if request.method == "POST" else None
    if appraisal is not None:
        db.session.commit()
        flash(_("The trade-in is in the appraisal queue."), "success")
        return _go("deals.detail", deal_id=deal.id)
    status = 422 if request.method == "POST" else 200
    return render_template("deals/trade_in_new.html", deal=deal, form=form,
                           action=url_for("deals.request_trade_in", deal_id=deal.id)), status
