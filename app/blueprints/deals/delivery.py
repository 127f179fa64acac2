"""Delivery step, staff side: book for the customer, pre-delivery checklist, balance received, handover; the schedule.

E2E dealers only (``require_menu("deliveries")``: O2O dealers record the delivery offline on the deal).
Views load the deal (tenant-scoped) → check the role → act through ``services.deliveries`` → commit once.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_currency, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.access import require_menu
from app.blueprints.deals import bp
from app.blueprints.deals.delivery_forms import (
    BalanceForm,
    BookDeliveryForm,
    ChecklistForm,
    DistanceForm,
    HandoverForm,
    RebookTodayForm,
    parse_slot,
    slot_value,
)
from app.blueprints.deals.forms import OfflineStepForm
from app.blueprints.deals.routes import DEAL_PANELS, _detail_context, _offline_choices, can_act_on, load_deal
from app.domain.delivery_handover import CHECKLIST, HandoverError
from app.domain.delivery_slots import DeliveryMethod, DeliverySettingsError, GeoPoint
from app.domain.roles import BusinessModel
from app.extensions import db, htmx
from app.i18n import error_message
from app.models.base import utcnow
from app.models.deals import Deal
from app.services import deals as deal_service
from app.services import deliveries as delivery_service

CHECKLIST_LABELS = {
    "pdi": _l("Pre-delivery inspection (PDI) done"),
    "registration": _l("Registered, number plates fitted"),
    "insurance": _l("Proof of insurance seen"),
    "accessories": _l("Ordered accessories fitted"),
    "fuel_charge": _l("Fuelled / charged for the drive home"),
    "cleaned": _l("Vehicle cleaned and valeted"),
    "documents": _l("Keys, manuals and documents handed over"),
}

METHOD_LABELS = {
    DeliveryMethod.SHOWROOM_PICKUP.value: _l("Pickup at the showroom"),
    DeliveryMethod.HOME_DELIVERY.value: _l("Home delivery"),
}

EVENT_LABELS_ADDED = {"balance_paid": _l("Balance payment received"),
                      "delivery_rebooked": _l("Delivery rebooked to today for the handover"),
                      "delivery_distance_confirmed": _l("Home-delivery distance confirmed")}

DEAL_PANELS.append("deals/_delivery_panel.html")


def _register_event_labels() -> None:
    from app.blueprints.deals.routes import EVENT_LABELS

    EVENT_LABELS.update(EVENT_LABELS_ADDED)


_register_event_labels()


def error_text(exc: HandoverError | deal_service.DealError) -> str:
    """Return the translated message of a delivery or deal error."""
    if isinstance(exc, HandoverError):
        return _(exc.msgid, **exc.params)
    return error_message(exc)


def booking_form(deal: Deal, *, bound: BookDeliveryForm | None = None, now=None) -> dict:
    """Return the booking form (the next free slots and the dealer's methods as choices), the slots and home terms."""
    dealer = g.dealer
    slots = delivery_service.available_slots(db.session, dealer, now or utcnow())
    settings = delivery_service.settings_for(db.session, dealer)
    form = bound or BookDeliveryForm(formdata=None)
    form.slot.choices = [(slot_value(s), s) for s in slots]
    form.method.choices = [(m.value, METHOD_LABELS[m.value]) for m in settings.methods]
    if bound is None and settings.methods:
        form.method.data = settings.methods[0].value
    return {"book_form": form, "slots": slots, "home": settings.home_delivery}


@bp.app_template_global("delivery_panel")
def delivery_panel(deal: Deal, **overrides) -> dict:
    """Return what the delivery cards show for ``deal``: booking, free slots, checklist and the forms.

    ``overrides`` replace a default (unbound) form with a submitted one to show its errors:
    ``book_form``, ``checklist_form``, ``balance_form``, ``handover_form``, ``distance_form``, ``rebook_form``.
    When the live booking is for a later day than today (dealer's zone), ``early`` is True and
    ``rebook_slots`` lists today's slots with a free place for ``rebook_form``.
    """
    e2e = deal.business_model == BusinessModel.E2E.value
    data: dict = {"e2e": e2e, "open": deal.state in delivery_service.OPEN_STATES, "method_labels": METHOD_LABELS,
                  "checklist_labels": CHECKLIST_LABELS, "items": [item.value for item in CHECKLIST]}
    if not e2e:
        return data
    data["booking"] = delivery_service.latest_booking(db.session, deal)
    ticks = delivery_service.checklist_of(db.session, deal)
    data["ticks"] = ticks
    data["checklist_done"] = len(ticks) == len(CHECKLIST)
    if data["open"]:
        data.update(booking_form(deal, bound=overrides.get("book_form")))
        checklist = overrides.get("checklist_form") or ChecklistForm(formdata=None, items=list(ticks))
        checklist.items.choices = [(item.value, CHECKLIST_LABELS[item.value]) for item in CHECKLIST]
        data["checklist_form"] = checklist
        balance = overrides.get("balance_form")
        if balance is None:
            due = deal_service.settlement_of(deal).balance_due
            balance = BalanceForm(formdata=None, amount=due if due > 0 else None)
        data["balance_form"] = balance
        booking = data["booking"]
        data["distance_form"] = overrides.get("distance_form") or DistanceForm(
            formdata=None, distance_km=booking.distance_km if booking is not None else None)
        now = utcnow()
        today = now.astimezone(ZoneInfo(g.dealer.timezone)).date()
        data["early"] = booking is not None and booking.status.value == "booked" and booking.slot_date > today
        if data["early"]:
            slots = delivery_service.rebook_slots(db.session, g.dealer, deal, now)
            rebook = overrides.get("rebook_form") or RebookTodayForm(formdata=None)
            rebook.slot_start.choices = [(f"{s.start:%H:%M}", s) for s in slots]
            data.update(rebook_slots=slots, rebook_form=rebook)
        data["handover_form"] = overrides.get("handover_form") or HandoverForm(
            formdata=None, odometer=deal.stock_vehicle.odometer if deal.stock_vehicle else None
        )
    return data


def _guard(deal_id: int) -> Deal:
    deal = load_deal(deal_id)
    if not can_act_on(deal):
        abort(403)
    return deal


def _to_detail(deal: Deal, anchor: str = "delivery"):
    target = url_for("deals.detail", deal_id=deal.id, _anchor=anchor)
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


def _refused(deal: Deal, **forms):
    """Re-render the deal page with the delivery card's submitted form and its errors (422)."""
    db.session.rollback()
    deal = load_deal(deal.id)
    offline_form = OfflineStepForm(formdata=None)
    offline_form.action.choices = _offline_choices(deal)
    panel = delivery_panel(deal, **forms)
    return render_template("deals/detail.html", **_detail_context(deal, offline_form=offline_form, delivery=panel)), 422


def _destination(form: BookDeliveryForm) -> GeoPoint | None:
    if form.latitude.data is None or form.longitude.data is None:
        return None
    try:
        return GeoPoint(form.latitude.data, form.longitude.data)
    except DeliverySettingsError:
        return None


def submit_booking(deal: Deal, form: BookDeliveryForm, *, actor) -> bool:
    """Validate ``form`` and book through the service; return True on success (not committed yet).

    Shared by the staff and customer views. On False the errors are on the form; the caller rolls
    back and re-renders.
    """
    if not form.validate_on_submit():
        return False
    picked = parse_slot(form.slot.data)
    if picked is None:
        form.slot.errors = [*form.slot.errors, _("Choose a delivery time.")]
        return False
    try:
        delivery_service.book(
            db.session, deal, dealer=g.dealer, slot_date=picked[0], slot_start=picked[1], method=form.method.data,
            address=form.address.data or "", destination=_destination(form), actor=actor,
        )
    except (HandoverError, deal_service.DealError) as exc:
        field = getattr(exc, "field", None)
        target = getattr(form, field) if field in ("slot", "method", "address", "latitude") else form.slot
        target.errors = [*target.errors, error_text(exc)]
        return False
    except IntegrityError:
        # The same deal booked twice at once (double click): the partial unique index kept one.
        form.slot.errors = [*form.slot.errors, _("The delivery was just booked; reload the page to see it.")]
        return False
    return True


@bp.route("/<int:deal_id>/delivery/book", methods=["POST"])
@require_menu("deliveries")
def book_delivery(deal_id: int):
    """Book or reschedule the delivery slot on the customer's behalf."""
    deal = _guard(deal_id)
    rescheduling = deal.state.value == "delivery_scheduled"
    form = BookDeliveryForm()
    if not submit_booking(deal, form, actor=current_user):
        return _refused(deal, book_form=form)
    try:
        db.session.commit()
    except IntegrityError:
        form.slot.errors = [_("The delivery was just booked; reload the page to see it.")]
        return _refused(deal, book_form=form)
    flash(_("Delivery rescheduled.") if rescheduling else _("Delivery booked."), "success")
    return _to_detail(deal)


@bp.route("/<int:deal_id>/delivery/distance", methods=["POST"])
@require_menu("deliveries")
def delivery_distance(deal_id: int):
    """Enter the km to a home-delivery address booked without a shared location; the fee follows."""
    deal = _guard(deal_id)
    form = DistanceForm()
    if form.validate_on_submit():
        try:
            booking = delivery_service.confirm_distance(db.session, deal, dealer=g.dealer, distance_km=form.distance_km.data,
                                                        actor=current_user)
        except HandoverError as exc:
            form.distance_km.errors = [*form.distance_km.errors, error_text(exc)]
        else:
            db.session.commit()
            flash(_("Distance confirmed: %(km)s km, delivery fee %(fee)s.", km=format_decimal(booking.distance_km),
                    fee=format_currency(booking.fee, deal.currency)), "success")
            return _to_detail(deal)
    return _refused(deal, distance_form=form)


@bp.route("/<int:deal_id>/delivery/checklist", methods=["POST"])
@require_menu("deliveries")
def delivery_checklist(deal_id: int):
    """Save the pre-delivery checklist (the whole list; HTMX posts it on every tick and swaps the card)."""
    deal = _guard(deal_id)
    form = ChecklistForm()
    form.items.choices = [(item.value, CHECKLIST_LABELS[item.value]) for item in CHECKLIST]
    if form.validate_on_submit():
        try:
            delivery_service.set_checklist(db.session, deal, set(form.items.data or []), actor=current_user)
        except HandoverError as exc:
            form.items.errors = [*form.items.errors, error_text(exc)]
        else:
            db.session.commit()
            if htmx and not htmx.boosted:
                response = current_app.make_response(
                    render_template("deals/_delivery_checklist.html", deal=deal, delivery=delivery_panel(deal), saved=True)
                )
                response.vary.add("HX-Request")
                return response
            flash(_("Checklist saved."), "success")
            return _to_detail(deal, "delivery-checklist")
    return _refused(deal, checklist_form=form)


@bp.route("/<int:deal_id>/delivery/balance", methods=["POST"])
@require_menu("deliveries")
def delivery_balance(deal_id: int):
    """Record money received from the customer towards the balance due."""
    deal = _guard(deal_id)
    form = BalanceForm()
    if form.validate_on_submit():
        try:
            delivery_service.record_balance(db.session, deal, form.amount.data, actor=current_user)
        except HandoverError as exc:
            form.amount.errors = [*form.amount.errors, error_text(exc)]
        else:
            db.session.commit()
            flash(_("Payment recorded."), "success")
            return _to_detail(deal)
    return _refused(deal, balance_form=form)


@bp.route("/<int:deal_id>/delivery/handover", methods=["POST"])
@require_menu("deliveries")
def delivery_handover(deal_id: int):
    """Confirm the handover: odometer and signature; the deal is delivered and the car sold."""
    deal = _guard(deal_id)
    form = HandoverForm()
    if form.validate_on_submit():
        try:
            delivery_service.hand_over(
                db.session, deal, dealer=g.dealer, odometer=form.odometer.data, signed_name=form.signed_name.data,
                consent=form.consent.data, actor=current_user, ip=request.remote_addr or "",
            )
        except (HandoverError, deal_service.DealError) as exc:
            field = getattr(exc, "field", None)
            target = getattr(form, field) if field in ("odometer", "signed_name", "consent") else form.odometer
            target.errors = [*target.errors, error_text(exc)]
        else:
            db.session.commit()
            flash(_("Handover confirmed: the vehicle is delivered."), "success")
            return _to_detail(deal)
    return _refused(deal, handover_form=form)


@bp.route("/<int:deal_id>/delivery/rebook-today", methods=["POST"])
@require_menu("deliveries")
def delivery_rebook_today(deal_id: int):
    """Move the delivery to one of today's slots (the customer came early), so the handover can happen today."""
    deal = _guard(deal_id)
    form = RebookTodayForm()
    if form.validate_on_submit():
        try:
            start = time.fromisoformat(form.slot_start.data or "")
        except ValueError:
            start = None
        if start is None:
            form.slot_start.errors = [*form.slot_start.errors, _("Choose one of today's slots.")]
        else:
            try:
                booking = delivery_service.rebook_to_today(db.session, deal, dealer=g.dealer, slot_start=start,
                                                           actor=current_user)
            except HandoverError as exc:
                form.slot_start.errors = [*form.slot_start.errors, error_text(exc)]
            except IntegrityError:
                form.slot_start.errors = [_("The delivery was just booked; reload the page to see it.")]
            else:
                db.session.commit()
                flash(_("Delivery moved to today, %(start)s–%(end)s: the handover can go ahead.",
                        start=f"{booking.slot_start:%H:%M}", end=f"{booking.slot_end:%H:%M}"), "success")
                return _to_detail(deal)
    return _refused(deal, rebook_form=form)


@bp.route("/deliveries")
@require_menu("deliveries")
def deliveries():
    """Upcoming deliveries by day (dealer's local days) with each slot's places used / total."""
    today = utcnow().astimezone(ZoneInfo(g.dealer.timezone)).date()
    try:
        first = date.fromisoformat(request.args.get("from", "")) if request.args.get("from") else today
    except ValueError:
        first = today
    days = 14
    plans = delivery_service.schedule(db.session, g.dealer, first, days)
    context = dict(plans=plans, first=first, today=today, previous=first - timedelta(days=days),
                   following=first + timedelta(days=days), last=first + timedelta(days=days - 1), method_labels=METHOD_LABELS)
    template = "deals/_deliveries_table.html" if htmx and not htmx.boosted else "deals/deliveries.html"
    response = current_app.make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response
