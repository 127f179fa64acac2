"""Delivery test setup: dealer A1's delivery settings and a contracted deal on a stock car."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from app.domain.deal_states import DealState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal
from app.services import dealer_settings
from tests import deal_factories

#: Dealer A1's showroom (Seoul City Hall).
SEOUL = (Decimal("37.566500"), Decimal("126.978000"))


def delivery_settings(dealer: Dealer, *, closures: tuple[date, ...] = (), lead_time_days: int = 1, capacity_morning: int = 2,
                      capacity_afternoon: int = 1, home_delivery: bool = True) -> None:
    """Give ``dealer`` delivery slots every day (10–12 for ``capacity_morning`` cars, 14–16 for ``capacity_afternoon``).

    Home delivery within 30 km of the showroom for 50,000 KRW; ``closures`` are one-day closures.
    """
    dealer.latitude, dealer.longitude = SEOUL
    slots = []
    for weekday in range(7):
        slots.append(dealer_settings.SlotInput(weekday, time(10), time(12), capacity_morning))
        slots.append(dealer_settings.SlotInput(weekday, time(14), time(16), capacity_afternoon))
    dealer_settings.save_delivery_settings(
        db.session, dealer,
        dealer_settings.DeliveryInput(
            showroom_pickup=True, home_delivery=home_delivery, radius_km=Decimal(30), home_delivery_fee=Decimal(50000),
            lead_time_days=lead_time_days, slots=tuple(slots),
            closures=tuple(dealer_settings.ClosureInput(day, None, "Holiday") for day in closures),
        ),
    )


def contracted_deal(dealer: Dealer, customer: Customer, consultant: User | None, *, stock_number: str = "S1",
                    vin: str = "KMHJ381ABNU123456", odometer: int | None = 12) -> Deal:
    """Return a deal on a stock car, moved to ``contracted`` (the contract step is tested on its own)."""
    vehicle = deal_factories.stock_vehicle(dealer, stock_number=stock_number, vin=vin)
    vehicle.odometer = odometer
    deal = deal_factories.deal(dealer, customer, consultant, vehicle=vehicle)
    deal.state = DealState.CONTRACTED
    db.session.flush()
    return deal
