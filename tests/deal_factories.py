"""Deal factories: an accepted offer on a stock car turned into a deal, through the real services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.dealer_settings import ReservationSettings
from app.models.deals import Deal
from app.models.inventory import StockVehicle, VehicleCondition, VehicleStatus
from app.services import deals as deal_service
from app.services import offers as offer_service
from tests import offer_factories
from tests.offer_factories import NOW

D = Decimal


def stock_vehicle(dealer: Dealer, *, vin: str = "KMHJ381ABNU123456", stock_number: str = "S1", price: str = "35000000") -> StockVehicle:
    """Add an in-stock, priced Tucson to ``dealer`` (caller sets the tenant scope)."""
    vehicle = StockVehicle(
        dealer_id=dealer.id, vin=vin, stock_number=stock_number, condition=VehicleCondition.NEW, model_year=2026,
        make="Hyundai", model="Tucson", trim="1.6T Inspiration", price=D(price), currency=dealer.currency,
        acquisition_cost=D("31000000"), status=VehicleStatus.IN_STOCK,
    )
    db.session.add(vehicle)
    db.session.flush()
    return vehicle


def reservation_settings(deposit: str = "500000", *, refundable: bool = True, refundable_days: int | None = 7) -> ReservationSettings:
    """Set the current dealer's reservation deposit and refund terms (caller sets the tenant scope)."""
    row = db.session.scalar(db.select(ReservationSettings))
    if row is None:
        row = ReservationSettings()
        db.session.add(row)
    row.default_deposit, row.refundable, row.refundable_days = D(deposit), refundable, refundable_days
    db.session.flush()
    return row


def accepted_offer(dealer: Dealer, customer: Customer, consultant: User | None, *, vehicle: StockVehicle | None = None,
                   discount: str = "0", now: datetime = NOW, locale: str = "en"):
    """Create, send and accept an offer on ``vehicle`` (35,000,000 KRW Tucson + 150,000 registration)."""
    result, approval = offer_factories.priced(discount, dealer.id)
    described = {"label": offer_factories.LABEL, "model_code": "TUC"}
    if vehicle is not None:
        described.update(source="stock", stock_id=vehicle.id, vin=vehicle.vin or "", stock_number=vehicle.stock_number or "")
    offer = offer_service.create_offer(
        db.session, dealer=dealer, customer=customer, consultant=consultant, inputs={"discount": discount},
        priced=result, approval=approval, vehicle=described, texts={"conditions": "Deposit refundable within 7 days."},
        valid_until=date(2026, 6, 22), locale=locale, now=now, idempotency_key=None,
    )
    offer_service.send_offer(db.session, offer, actor=consultant, now=now)
    offer_service.accept_offer(db.session, offer, typed_name=customer.full_name, conditions_accepted=True, now=now)
    return offer


def deal(dealer: Dealer, customer: Customer, consultant: User | None, *, vehicle: StockVehicle | None = None,
         discount: str = "0", now: datetime = NOW) -> Deal:
    """Return the deal opened from an accepted offer (see ``accepted_offer``)."""
    offer = accepted_offer(dealer, customer, consultant, vehicle=vehicle, discount=discount, now=now)
    return deal_service.open_from_offer(db.session, offer, dealer, now=now)
