"""Allocation test setup: a deal from a catalog (new-car configuration) offer, with no car yet."""

from __future__ import annotations

from datetime import date

from app.domain.deal_states import DealAction
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.inventory import StockVehicle, VehicleCondition, VehicleStatus
from app.services import deals as deal_service
from app.services import offers as offer_service
from tests import deal_factories, offer_factories
from tests.offer_factories import NOW

#: What the customer configured (as ``offer_builder._catalog_vehicle`` writes it into the snapshot).
CONFIGURED = {
    "source": "catalog", "label": offer_factories.LABEL, "model_code": "TUC", "model": "Tucson", "trim_code": "TUC-INS",
    "trim": "1.6T Inspiration", "exterior": "Amazon Gray", "interior": "Black", "options": [], "accessories": [],
}
#: Valid VINs: Hyundai Korea (check digit right) and Hyundai USA (check digit required there).
FACTORY_VIN = "KMHL341D4PA000001"
BAD_CHECK_DIGIT_VIN = "5NPE34AF0KH000001"


def catalog_deal(dealer: Dealer, customer: Customer, consultant: User | None, *, reserved: bool = True) -> Deal:
    """Return the deal of an accepted catalog offer for a Tucson 1.6T Inspiration (no deposit asked; reserved)."""
    deal_factories.reservation_settings("0")
    result, approval = offer_factories.priced("0", dealer.id)
    offer = offer_service.create_offer(
        db.session, dealer=dealer, customer=customer, consultant=consultant, inputs={}, priced=result, approval=approval,
        vehicle=dict(CONFIGURED), texts={"conditions": "Delivery 8-12 weeks after order."}, valid_until=date(2026, 6, 22),
        locale="en", now=NOW, idempotency_key=None,
    )
    offer_service.send_offer(db.session, offer, actor=consultant, now=NOW)
    offer_service.accept_offer(db.session, offer, typed_name=customer.full_name, conditions_accepted=True, now=NOW)
    deal = deal_service.open_from_offer(db.session, offer, dealer, now=NOW)
    if reserved:
        deal_service.advance(db.session, deal, DealAction.RESERVE, dealer=dealer, actor=consultant, now=NOW)
    return deal


def stock_car(dealer: Dealer, *, stock_number: str, vin: str | None = None, model: str = "Tucson",
              trim: str = "1.6T Inspiration", condition: VehicleCondition = VehicleCondition.NEW,
              status: VehicleStatus = VehicleStatus.IN_STOCK) -> StockVehicle:
    """Add a priced stock car to ``dealer`` (caller sets the tenant scope)."""
    vehicle = deal_factories.stock_vehicle(dealer, vin=vin, stock_number=stock_number)
    vehicle.model, vehicle.trim, vehicle.condition, vehicle.status = model, trim, condition, status
    vehicle.exterior_color = "Amazon Gray"
    db.session.flush()
    return vehicle
