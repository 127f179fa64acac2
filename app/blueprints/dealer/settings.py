"""Dealer settings pages: purchasing conditions, fee and tax table, preset discounts, approval,
reservation payment, delivery. Principals only (``MANAGE_DEALER_SETTINGS``); O2O dealers only
see the reservation payment page (the others answer 404, per ``DEALER_MENUS``).
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.access import require_menu
from app.blueprints.dealer import bp
from app.blueprints.dealer.forms import (
    LOCALES,
    ApprovalSettingsForm,
    DeliverySettingsForm,
    FeeTaxTableForm,
    PresetDiscountForm,
    PurchasingConditionsForm,
    ReservationSettingsForm,
)
from app.blueprints.dealer.routes import attach_error, invalid_status, render
from app.blueprints.inventory.labels import CONDITION_LABELS
from app.domain.delivery_slots import next_available_slots
from app.domain.money import quantum
from app.domain.taxes import apply_fee_tax_table
from app.extensions import db
from app.i18n import language_name
from app.imports.values import VehicleCondition
from app.models.base import utcnow
from app.models.dealer_settings import PresetDiscount
from app.services import dealer_settings as service
from app.services.field_crypto import mask

PAYMENT_LABELS = {
    "card": _l("Credit/debit card"),
    "bank_transfer": _l("Bank transfer"),
    "virtual_account": _l("Virtual account"),
    "cash": _l("Cash"),
    "financing": _l("Financing"),
    "promptpay": _l("PromptPay"),
}


def _payment_choices():
    return [(m, PAYMENT_LABELS[m]) for m in service.PAYMENT_METHODS]


def _money(value: Decimal | None) -> Decimal | None:
    """Show a stored amount with the currency's own decimals (KRW 1500000, CAD 499.00)."""
    return None if value is None else value.quantize(quantum(g.dealer.currency))


def _percent(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    text = f"{value.normalize():f}"
    return Decimal(text)


def _saved(message: str, endpoint: str):
    flash(message, "success")
    return redirect(url_for(endpoint), 303)


def _filled(field_list, names: list[str]) -> list:
    """Return the sub-forms of a row editor that are not completely blank."""
    rows = []
    for entry in field_list.entries:
        sub = entry.form
        if any(sub[n].data not in (None, "", []) for n in names):
            rows.append(sub)
    return rows


# --- purchasing conditions -------------------------------------------------------------------------


@bp.route("/settings/purchasing", methods=["GET", "POST"])
@require_menu("purchasing_conditions")
def purchasing_conditions():
    """Offer validity, required documents, cancellation/refund policy per language, payment methods."""
    row = service.purchasing_conditions_for(db.session, g.dealer)
    form = PurchasingConditionsForm()
    form.payment_methods.choices = _payment_choices()
    if request.method == "GET":
        form.offer_validity_days.data = row.offer_validity_days
        form.required_documents.data = "\n".join(row.required_documents or [])
        form.payment_methods.data = list(row.payment_methods or [])
        for loc in LOCALES:
            form[f"cancellation_{loc}"].data = (row.cancellation_policy or {}).get(loc, "")
            form[f"refund_{loc}"].data = (row.refund_policy or {}).get(loc, "")
    if form.validate_on_submit():
        try:
            service.save_purchasing_conditions(
                db.session,
                g.dealer,
                offer_validity_days=form.offer_validity_days.data,
                required_documents=(form.required_documents.data or "").splitlines(),
                cancellation_policy={loc: form[f"cancellation_{loc}"].data or "" for loc in LOCALES},
                refund_policy={loc: form[f"refund_{loc}"].data or "" for loc in LOCALES},
                payment_methods=form.payment_methods.data,
            )
        except service.SettingsError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            return _saved(_("Purchasing conditions saved."), "dealer.purchasing_conditions")
    status = invalid_status() if request.method == "POST" else 200
    locales = [(loc, language_name(loc)) for loc in LOCALES]
    return render("dealer/settings/purchasing.html", status=status, form=form, locales=locales)


# --- fee and tax table -----------------------------------------------------------------------------

_FEE_FIELDS = ["code", "name", "amount"]
_TAX_FIELDS = ["code", "name", "rate"]
_EXTRA_ROWS = 2


def _fee_tax_example(table):
    """A worked example on a round vehicle price, so the dealer can check the table does what they mean."""
    price = {"KRW": Decimal(40_000_000), "THB": Decimal(1_000_000)}.get(g.dealer.currency, Decimal(40_000))
    return price, apply_fee_tax_table(table, {"vehicle": price})


@bp.route("/settings/fees-taxes", methods=["GET", "POST"])
@require_menu("purchasing_conditions")
def fee_tax_table():
    """Edit the fee and tax table: named fees, taxes with rate, bases, included/added, trade-in credit."""
    if request.method == "GET":
        fees = [
            {"code": f.code, "name": f.name, "amount": _money(f.amount), "taxable": f.taxable}
            for f in service.fee_rows(db.session, g.dealer)
        ]
        taxes = [
            {"code": t.code, "name": t.name, "rate": _percent(t.rate), "bases": list(t.bases),
             "included_in_price": t.included_in_price, "trade_in_credit": t.trade_in_credit}
            for t in service.tax_rows(db.session, g.dealer)
        ]
        form = FeeTaxTableForm(data={"fees": fees + [{}] * _EXTRA_ROWS, "taxes": taxes + [{}] * _EXTRA_ROWS})
    else:
        form = FeeTaxTableForm()
    status = 200
    if form.validate_on_submit():
        fee_rows = _filled(form.fees, _FEE_FIELDS)
        tax_rows = _filled(form.taxes, _TAX_FIELDS)
        try:
            service.replace_fee_tax_table(
                db.session,
                g.dealer,
                [service.FeeInput(r.code.data, r.name.data, r.amount.data, r.taxable.data) for r in fee_rows],
                [
                    service.TaxInput(r.code.data, r.name.data, r.rate.data, tuple(r.bases.data), r.included_in_price.data, r.trade_in_credit.data)
                    for r in tax_rows
                ],
            )
        except service.SettingsError as exc:
            db.session.rollback()
            attach_error(form, exc, {"fees": fee_rows, "taxes": tax_rows})
        else:
            db.session.commit()
            return _saved(_("Fee and tax table saved."), "dealer.fee_tax_table")
    if request.method == "POST":
        status = invalid_status()
    example = None
    try:
        example = _fee_tax_example(service.fee_tax_table_for(db.session, g.dealer))
    except service.SettingsError:
        example = None
    return render("dealer/settings/fee_tax.html", status=status, form=form, example=example)


# --- preset discounts ------------------------------------------------------------------------------


def _condition_choices():
    return [(c.value, CONDITION_LABELS[c]) for c in VehicleCondition]


@bp.route("/settings/preset-discounts/")
@require_menu("preset_discounts")
def preset_discounts():
    """List the preset additional discounts: where each applies now, and presets naming codes the catalog lacks."""
    rows = service.presets(db.session, g.dealer)
    reach = service.preset_reach(db.session, g.dealer, rows, str(get_locale()))
    conditions = {p.id: ", ".join(str(CONDITION_LABELS[VehicleCondition(c)]) if c in service.STOCK_CONDITIONS else c
                                  for c in reach[p.id].conditions) for p in rows}
    return render("dealer/settings/presets.html", presets=rows, today=utcnow().date(), reach=reach, conditions=conditions)


@bp.route("/settings/preset-discounts/new", methods=["GET", "POST"])
@require_menu("preset_discounts")
def preset_discount_new():
    """Create a preset additional discount."""
    return _preset_form(None)


@bp.route("/settings/preset-discounts/<int:preset_id>", methods=["GET", "POST"])
@require_menu("preset_discounts")
def preset_discount_edit(preset_id: int):
    """Edit a preset additional discount."""
    # The tenant listener limits get() to the current dealer: another dealer's preset is not found.
    preset = db.session.get(PresetDiscount, preset_id)
    if preset is None:
        abort(404)
    return _preset_form(preset)


def _preset_form(preset: PresetDiscount | None):
    catalog = service.preset_choices(db.session, str(get_locale()))
    form = PresetDiscountForm()
    form.model_codes.choices = [(m.code, m.label) for m in catalog]
    form.trim_codes.choices = [(t.code, f"{m.label} {t.label}") for m in catalog for t in m.trims]
    form.conditions.choices = _condition_choices()
    if request.method == "GET" and preset is not None:
        form.name.data = preset.name
        form.kind.data = preset.kind
        form.value.data = _money(preset.value) if preset.kind == "amount" else _percent(preset.value)
        form.model_codes.data = list(preset.model_codes or [])
        form.trim_codes.data = list(preset.trim_codes or [])
        form.conditions.data = list(preset.conditions or [])
        form.valid_from.data = preset.valid_from
        form.valid_until.data = preset.valid_until
        form.stackable.data = preset.stackable
        form.active.data = preset.active
    if form.validate_on_submit():
        data = service.PresetInput(
            name=form.name.data,
            kind=form.kind.data,
            value=form.value.data,
            model_codes=tuple(form.model_codes.data or ()),
            trim_codes=tuple(form.trim_codes.data or ()),
            conditions=tuple(form.conditions.data or ()),
            valid_from=form.valid_from.data,
            valid_until=form.valid_until.data,
            stackable=form.stackable.data,
            active=form.active.data,
        )
        try:
            service.save_preset(db.session, g.dealer, preset, data)
        except service.SettingsError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            return _saved(_("Preset discount saved."), "dealer.preset_discounts")
    status = invalid_status() if request.method == "POST" else 200
    # A stored preset naming codes the catalog does not have is flagged above the form (they never matched).
    problems = service.scope_of(preset).problems(service.preset_catalog_index(db.session), service.STOCK_CONDITIONS) if preset else None
    return render("dealer/settings/preset_form.html", status=status, form=form, preset=preset, catalog=catalog,
                  problems=problems)


# --- approval --------------------------------------------------------------------------------------


@bp.route("/settings/approval", methods=["GET", "POST"])
@require_menu("approval_settings")
def approval_settings():
    """Above which discount, or below which gross, an offer needs approval, and who approves."""
    row = service.approval_settings_for(db.session, g.dealer)
    form = ApprovalSettingsForm()
    if request.method == "GET":
        form.threshold_amount.data = _money(row.threshold_amount)
        form.threshold_percent.data = _percent(row.threshold_percent)
        form.minimum_gross.data = _money(row.minimum_gross)
        form.approver_roles.data = list(row.approver_roles or [])
        form.unknown_cost_rule.data = row.unknown_cost_rule or "require_approval"
    if form.validate_on_submit():
        try:
            service.save_approval_settings(
                db.session,
                g.dealer,
                threshold_amount=form.threshold_amount.data,
                threshold_percent=form.threshold_percent.data,
                minimum_gross=form.minimum_gross.data,
                approver_roles=form.approver_roles.data,
                unknown_cost_rule=form.unknown_cost_rule.data,
            )
        except service.SettingsError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            return _saved(_("Approval settings saved."), "dealer.approval_settings")
    status = invalid_status() if request.method == "POST" else 200
    return render("dealer/settings/approval.html", status=status, form=form)


# --- reservation payment ---------------------------------------------------------------------------


@bp.route("/settings/reservation", methods=["GET", "POST"])
@require_menu("reservation_settings")
def reservation_settings():
    """Deposit (default and per model), refund terms, payment methods, payment-provider account."""
    row = service.reservation_settings_for(db.session, g.dealer)
    if request.method == "GET":
        deposits = [{"model_code": d.model_code, "amount": _money(d.amount)} for d in service.model_deposits(db.session, g.dealer)]
        form = ReservationSettingsForm(
            data={
                "default_deposit": _money(row.default_deposit),
                "refundable": row.refundable,
                "refundable_days": row.refundable_days,
                "payment_methods": list(row.payment_methods or []),
                "provider_name": row.provider_name,
                "merchant_id": row.merchant_id,
                "deposits": deposits + [{}] * _EXTRA_ROWS,
            }
        )
    else:
        form = ReservationSettingsForm()
    form.payment_methods.choices = _payment_choices()
    if form.validate_on_submit():
        deposit_rows = _filled(form.deposits, ["model_code", "amount"])
        data = service.ReservationInput(
            default_deposit=form.default_deposit.data,
            refundable=form.refundable.data,
            refundable_days=form.refundable_days.data,
            payment_methods=tuple(form.payment_methods.data),
            provider_name=form.provider_name.data or "",
            merchant_id=form.merchant_id.data or "",
            provider_secret=form.provider_secret.data or "",
            clear_secret=form.clear_secret.data,
            deposits=tuple((r.model_code.data, r.amount.data) for r in deposit_rows),
        )
        try:
            service.save_reservation_settings(db.session, g.dealer, current_app.config, data)
        except service.SettingsError as exc:
            db.session.rollback()
            attach_error(form, exc, {"deposits": deposit_rows})
        else:
            db.session.commit()
            return _saved(_("Reservation payment settings saved."), "dealer.reservation_settings")
    status = invalid_status() if request.method == "POST" else 200
    return render(
        "dealer/settings/reservation.html",
        status=status,
        form=form,
        secret_mask=mask(row.provider_secret_last4) if row.provider_secret_encrypted else "",
        has_secret=bool(row.provider_secret_encrypted),
    )


# --- delivery --------------------------------------------------------------------------------------


@bp.route("/settings/delivery", methods=["GET", "POST"])
@require_menu("delivery_settings")
def delivery_settings():
    """Delivery methods, home-delivery radius and fee, lead time, weekly slots, closures; next slots preview."""
    if request.method == "GET":
        stored = service.delivery_input_for(db.session, g.dealer)
        form = DeliverySettingsForm(
            data={
                "showroom_pickup": stored.showroom_pickup,
                "home_delivery": stored.home_delivery,
                "radius_km": _percent(stored.radius_km),  # 50, not 5E+1 (normalize() alone goes exponent)
                "home_delivery_fee": _money(stored.home_delivery_fee),
                "lead_time_days": stored.lead_time_days,
                "slots": [{"weekday": s.weekday, "start": s.start, "end": s.end, "capacity": s.capacity} for s in stored.slots]
                + [{}] * _EXTRA_ROWS,
                "closures": [{"first_day": c.first_day, "last_day": c.last_day, "reason": c.reason} for c in stored.closures]
                + [{}] * _EXTRA_ROWS,
            }
        )
    else:
        form = DeliverySettingsForm()
    if form.validate_on_submit():
        slot_rows = _filled(form.slots, ["start", "end", "capacity"])
        closure_rows = _filled(form.closures, ["first_day", "last_day", "reason"])
        data = service.DeliveryInput(
            showroom_pickup=form.showroom_pickup.data,
            home_delivery=form.home_delivery.data,
            radius_km=form.radius_km.data or Decimal(0),
            home_delivery_fee=form.home_delivery_fee.data or Decimal(0),
            lead_time_days=form.lead_time_days.data,
            slots=tuple(service.SlotInput(r.weekday.data, r.start.data, r.end.data, r.capacity.data) for r in slot_rows),
            closures=tuple(service.ClosureInput(r.first_day.data, r.last_day.data, r.reason.data or "") for r in closure_rows),
        )
        try:
            service.save_delivery_settings(db.session, g.dealer, data)
        except service.SettingsError as exc:
            db.session.rollback()
            attach_error(form, exc, {"slots": slot_rows, "closures": closure_rows})
        else:
            db.session.commit()
            return _saved(_("Delivery settings saved."), "dealer.delivery_settings")
    status = invalid_status() if request.method == "POST" else 200
    preview = []
    try:
        preview = next_available_slots(service.delivery_settings_for(db.session, g.dealer), utcnow(), limit=6)
    except service.SettingsError:
        preview = []
    return render("dealer/settings/delivery.html", status=status, form=form, preview=preview)
