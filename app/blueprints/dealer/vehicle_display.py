"""Vehicle display settings: which published models, trims and colors the dealer shows online, their
order, and the dealer's selling price per trim (within the brand's range). Both business models
(E2E and O2O) have this menu; principals only (``MANAGE_DEALER_SETTINGS``).

Every change is a small form posted with HTMX (toggle, up/down, price) that answers with the whole
list fragment, so the order and the badges stay consistent; without JavaScript the same forms post
normally and redirect back to the model's card.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app.access import require_menu
from app.blueprints.dealer import bp
from app.blueprints.dealer.forms import DisplayMoveForm, DisplayToggleForm, TrimPriceForm
from app.blueprints.dealer.routes import invalid_status, render, wants_fragment
from app.domain.money import quantum
from app.extensions import db
from app.services import vehicle_display as service
from app.services.dealer_settings import SettingsError


def _page(status: int = 200, price_errors: dict | None = None, price_values: dict | None = None):
    catalog = service.display_settings(db.session, g.dealer)
    return render(
        "dealer/settings/vehicle_display.html",
        "dealer/settings/_vehicle_display.html",
        status=status,
        catalog=catalog,
        toggle_form=DisplayToggleForm(formdata=None),
        move_form=DisplayMoveForm(formdata=None),
        price_errors=price_errors or {},
        price_values=price_values or {},
        quantum=quantum(g.dealer.currency),
    )


def _done(message: str, anchor: str):
    """Answer a successful change: the list fragment for HTMX, else a redirect back to the card."""
    db.session.commit()
    if wants_fragment():
        return _page()
    flash(message, "success")
    return redirect(url_for("dealer.vehicle_display", _anchor=anchor), 303)


def _load(form_cls, **codes):
    """Load → check: 404 unless the codes are in the published catalog; 400 for a malformed (forged) form."""
    try:
        service.check_published(db.session, **codes)
    except service.UnknownCode:
        abort(404)
    form = form_cls()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.route("/settings/vehicle-display")
@require_menu("vehicle_display")
def vehicle_display():
    """List the published models with the dealer's display choices and prices."""
    return _page()


@bp.route("/settings/vehicle-display/models/<model_code>/shown", methods=["POST"])
@require_menu("vehicle_display")
def vehicle_display_model_shown(model_code: str):
    """Show or hide a published model online."""
    form = _load(DisplayToggleForm, model_code=model_code)
    service.set_model_shown(db.session, g.dealer, model_code, form.shown.data == "1")
    return _done(_("Vehicle display saved."), f"model-{model_code}")


@bp.route("/settings/vehicle-display/models/<model_code>/move", methods=["POST"])
@require_menu("vehicle_display")
def vehicle_display_model_move(model_code: str):
    """Move a shown model one place up or down."""
    form = _load(DisplayMoveForm, model_code=model_code)
    try:
        service.move_model(db.session, g.dealer, model_code, -1 if form.direction.data == "up" else 1)
    except service.UnknownCode:
        abort(404)
    return _done(_("Display order saved."), f"model-{model_code}")


@bp.route("/settings/vehicle-display/models/<model_code>/colors/<color_code>/shown", methods=["POST"])
@require_menu("vehicle_display")
def vehicle_display_color_shown(model_code: str, color_code: str):
    """Show or hide one color of a model."""
    form = _load(DisplayToggleForm, model_code=model_code, color_code=color_code)
    service.set_color_shown(db.session, g.dealer, model_code, color_code, form.shown.data == "1")
    return _done(_("Vehicle display saved."), f"model-{model_code}")


@bp.route("/settings/vehicle-display/trims/<trim_code>/shown", methods=["POST"])
@require_menu("vehicle_display")
def vehicle_display_trim_shown(trim_code: str):
    """Show or hide one trim."""
    form = _load(DisplayToggleForm, trim_code=trim_code)
    service.set_trim_shown(db.session, g.dealer, trim_code, form.shown.data == "1")
    return _done(_("Vehicle display saved."), f"trim-{trim_code}")


@bp.route("/settings/vehicle-display/trims/<trim_code>/price", methods=["POST"])
@require_menu("vehicle_display")
def vehicle_display_trim_price(trim_code: str):
    """Set the dealer's selling price of a trim (empty = MSRP); a price outside the brand's range is refused."""
    try:
        service.check_published(db.session, trim_code=trim_code)
    except service.UnknownCode:
        abort(404)
    form = TrimPriceForm()
    if form.validate_on_submit():
        try:
            service.set_trim_price(db.session, g.dealer, trim_code, form.price.data)
        except SettingsError as exc:
            db.session.rollback()
            errors = [str(exc)]
        else:
            return _done(_("Selling price saved."), f"trim-{trim_code}")
    else:
        errors = [str(e) for e in form.price.errors] or [_("Enter a valid price.")]
    raw = (request.form.get("price") or "").strip()
    return _page(invalid_status(), price_errors={trim_code: errors}, price_values={trim_code: raw})
