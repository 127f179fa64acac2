"""Vehicle allocation on the deal page: allocate a catalog order to a matching stock car or a factory VIN.

Views load the deal (tenant-scoped) → check the role → act through ``services.vehicle_allocation`` →
commit once; a refusal rolls back and re-renders the deal page with the message on the form (422).
"""

from __future__ import annotations

from flask import abort, flash, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional

from app.access import require_menu
from app.blueprints.deals import bp
from app.blueprints.deals.forms import OfflineStepForm
from app.blueprints.deals.routes import (
    DEAL_PANELS,
    EVENT_LABELS,
    _detail_context,
    _offline_choices,
    _to_detail,
    can_act_on,
    load_deal,
)
from app.domain.vehicle_allocation import AllocationError
from app.extensions import db
from app.fields import coerce_int
from app.models.deals import Deal
from app.services import vehicle_allocation as allocation_service


class StockAllocationForm(FlaskForm):
    """Pick one of the matching stock cars (by id; the service re-checks it belongs to the dealer and fits)."""

    vehicle_id = RadioField(_l("Stock car"), validators=[InputRequired(_l("Choose a stock car."))], coerce=coerce_int,
                            validate_choice=False)


class FactoryAllocationForm(FlaskForm):
    """The VIN the factory announced for this order and when the car is expected."""

    vin = StringField(_l("Factory VIN"), validators=[InputRequired(_l("Enter the VIN the factory gave for this order.")),
                                                      Length(max=40)])
    arrival_date = DateField(_l("Expected arrival"), validators=[Optional()])


@bp.app_template_global("allocation_panel")
def allocation_panel(deal: Deal, **overrides) -> dict:
    """Return what the vehicle card shows: the allocated car, whether it may change, the matching stock and forms.

    ``overrides``: a submitted ``stock_form`` or ``factory_form`` to show its errors.
    """
    problem = allocation_service.allocation_problem(deal)
    data: dict = {"allocated": deal.vehicle_allocated, "can_change": problem is None and can_act_on(deal),
                  "problem": problem}
    if data["can_change"]:
        stock = allocation_service.matching_stock(db.session, deal)
        form = overrides.get("stock_form") or StockAllocationForm(formdata=None)
        form.vehicle_id.choices = [(v.id, v.stock_number or v.vin or str(v.id)) for v in stock]
        data.update(stock=stock, stock_form=form,
                    factory_form=overrides.get("factory_form") or FactoryAllocationForm(
                        formdata=None, vin=deal.factory_vin, arrival_date=deal.factory_arrival_date))
    return data


DEAL_PANELS.append("deals/_allocation_panel.html")
EVENT_LABELS.update({"vehicle_allocated": _l("Vehicle allocated")})


def _guard(deal_id: int) -> Deal:
    deal = load_deal(deal_id)
    if not can_act_on(deal):
        abort(403)
    return deal


def _refused(deal: Deal, **forms):
    db.session.rollback()
    deal = load_deal(deal.id)
    offline_form = OfflineStepForm(formdata=None)
    offline_form.action.choices = _offline_choices(deal)
    panel = allocation_panel(deal, **forms)
    return render_template("deals/detail.html", **_detail_context(deal, offline_form=offline_form, allocation=panel)), 422


def _error(exc: AllocationError) -> str:
    return _(exc.msgid, **exc.params)


@bp.route("/<int:deal_id>/allocate/stock", methods=["POST"])
@require_menu("deals")
def allocate_stock(deal_id: int):
    """Allocate the deal's configured car to one of this dealer's matching stock cars (another dealer's car: 404)."""
    deal = _guard(deal_id)
    form = StockAllocationForm()
    form.vehicle_id.choices = []
    if form.validate_on_submit():
        try:
            vehicle = allocation_service.allocate_stock(db.session, deal, form.vehicle_id.data, dealer=g.dealer,
                                                        actor=current_user)
        except LookupError:
            db.session.rollback()
            abort(404)
        except AllocationError as exc:
            form.vehicle_id.errors = [*form.vehicle_id.errors, _error(exc)]
        else:
            db.session.commit()
            flash(_("Stock car %(car)s allocated to this deal.", car=vehicle.stock_number or vehicle.vin), "success")
            return _to_detail(deal)
    return _refused(deal, stock_form=form)


@bp.route("/<int:deal_id>/allocate/factory", methods=["POST"])
@require_menu("deals")
def allocate_factory(deal_id: int):
    """Allocate the deal's configured car to the VIN the factory announced (optional expected arrival date)."""
    deal = _guard(deal_id)
    form = FactoryAllocationForm()
    if form.validate_on_submit():
        try:
            allocation_service.allocate_factory_vin(db.session, deal, form.vin.data, dealer=g.dealer, actor=current_user,
                                                    arrival_date=form.arrival_date.data)
        except AllocationError as exc:
            target = form.arrival_date if exc.field == "arrival_date" else form.vin
            target.errors = [*target.errors, _error(exc)]
        else:
            db.session.commit()
            flash(_("Factory VIN %(vin)s allocated to this deal.", vin=deal.factory_vin), "success")
            return _to_detail(deal)
    return _refused(deal, factory_form=form)
