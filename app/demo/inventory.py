"""Demo stock: the Toronto dealer's vehicles imported from the real Kijiji 2019 export; a few new cars in Seoul, Busan and Munich.

Idempotent: the import upserts by VIN/stock number, so a second run reports everything unchanged;
the Seoul cars are looked up by stock number.

Acquisition costs (issue 11): the Kijiji export has none, so the demo gives most Toronto cars a
plausible one — the list price less a 7–15 % margin, rounded down to 50 CAD, chosen from a hash of
the VIN/stock number so every run picks the same — and leaves about one car in ten (and every
unpriced car) without a cost, to show the dealer's unknown-cost rule. A cost already set is kept.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.imports.values import VehicleCondition
from app.models.base import utcnow
from app.models.inventory import StockVehicle, VehicleStatus
from app.services.inventory_import import import_file
from app.tenancy import scoped

KIJIJI = Path(__file__).resolve().parent / "data" / "kijiji_listings_2019.csv"

SEOUL_CARS = [
    dict(stock_number="SG-24001", vin="KMHLM41C5RU123456", model_year=2024, make="Hyundai", model="Avante", trim="Inspiration",
         price=Decimal("27350000"), exterior_color="Polar White", fuel_type="Gasoline", body_style="Sedan"),
    dict(stock_number="SG-24002", vin=None, model_year=2024, make="Hyundai", model="Tucson", trim="Hybrid Noblesse",
         price=Decimal("38830000"), exterior_color="Amazon Gray", fuel_type="Hybrid", body_style="SUV"),
    dict(stock_number="SG-24003", vin=None, model_year=2025, make="Hyundai", model="Ioniq 5", trim="Long Range Prestige",
         price=Decimal("56050000"), exterior_color="Gravity Gold", fuel_type="Electric", body_style="SUV",
         status=VehicleStatus.IN_TRANSIT),
    dict(stock_number="SG-24004", vin=None, model_year=2025, make="Hyundai", model="Palisade", trim="Calligraphy",
         price=None, exterior_color="Abyss Black", fuel_type="Diesel", body_style="SUV"),
]

#: The O2O Busan showroom's cars customers can reserve online (``/r/busan-haeundae/<id>``).
BUSAN_CARS = [
    dict(stock_number="BH-25001", vin=None, model_year=2025, make="Hyundai", model="Santa Fe", trim="Calligraphy",
         price=Decimal("49870000"), exterior_color="Creamy White", fuel_type="Hybrid", body_style="SUV"),
    dict(stock_number="BH-25002", vin=None, model_year=2025, make="Hyundai", model="Kona", trim="Electric Premium",
         price=Decimal("45520000"), exterior_color="Ecotronic Gray", fuel_type="Electric", body_style="SUV"),
]


#: The Munich showroom's cars (EUR, 19 % VAT included in the price).
MUNICH_CARS = [
    dict(stock_number="MS-25001", vin=None, model_year=2025, make="Hyundai", model="Tucson", trim="Prime Hybrid",
         price=Decimal("44990.00"), exterior_color="Shadow Grey", fuel_type="Hybrid", body_style="SUV"),
    dict(stock_number="MS-25002", vin=None, model_year=2025, make="Hyundai", model="Ioniq 5", trim="Uniq 84 kWh",
         price=Decimal("56400.00"), exterior_color="Gravity Gold", fuel_type="Electric", body_style="SUV"),
]


def _upsert_new_cars(session: Session, dealer, cars: list[dict]) -> None:
    with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
        for data in cars:
            values = dict(data)
            car = session.scalar(select(StockVehicle).where(StockVehicle.stock_number == values["stock_number"]))
            if car is None:
                session.add(StockVehicle(
                    dealer_id=dealer.id, currency=dealer.currency, condition=VehicleCondition.NEW, odometer=0,
                    arrival_date=utcnow().date(), source="manual", **{"status": VehicleStatus.IN_STOCK, **values},
                ))
        session.flush()


def demo_cost(key: str, price: Decimal | None) -> Decimal | None:
    """Return the demo acquisition cost of the car keyed ``key`` (VIN or stock number) listed at ``price`` (CAD).

    None for about one car in ten and for an unpriced car; otherwise price × (1 − margin) with a
    margin of 7–15 % from the key's SHA-256, rounded down to 50.00.
    """
    if not price:
        return None
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
    if digest % 10 == 0:
        return None
    margin = Decimal(7 + digest // 10 % 9) / 100
    cost = (price * (1 - margin) / 50).to_integral_value(rounding=ROUND_FLOOR) * 50
    return cost.quantize(Decimal("0.01")) if cost > 0 else None


def _toronto_costs(session: Session) -> None:
    for car in session.scalars(select(StockVehicle).where(StockVehicle.acquisition_cost.is_(None))):
        cost = demo_cost(car.vin or car.stock_number or "", car.price)
        if cost is not None:
            car.acquisition_cost = cost
    session.flush()


def seed(session: Session, brands: dict, dealers: dict) -> None:
    """Import the Kijiji file into ``toronto-north`` and upsert the Seoul, Busan (KRW) and Munich (EUR) cars."""
    toronto = dealers.get("toronto-north")
    if toronto is not None:
        with scoped(dealer_id=toronto.id, brand_id=toronto.brand_id):
            import_file(session, toronto, KIJIJI.read_bytes(), KIJIJI.name, dry_run=False, source="file")
            _toronto_costs(session)
    seoul = dealers.get("seoul-gangnam")
    if seoul is not None:
        _upsert_new_cars(session, seoul, SEOUL_CARS)
    busan = dealers.get("busan-haeundae")
    if busan is not None:
        _upsert_new_cars(session, busan, BUSAN_CARS)
    munich = dealers.get("munich-schwabing")
    if munich is not None:
        _upsert_new_cars(session, munich, MUNICH_CARS)
