"""Demo stock: the Toronto dealer's vehicles imported from the real Kijiji 2019 export; a few new cars in Seoul and Busan.

Idempotent: the import upserts by VIN/stock number, so a second run reports everything unchanged;
the Seoul cars are looked up by stock number.
"""

from __future__ import annotations

from decimal import Decimal
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


def _upsert_new_cars(session: Session, dealer, cars: list[dict]) -> None:
    with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
        for data in cars:
            values = dict(data)
            car = session.scalar(select(StockVehicle).where(StockVehicle.stock_number == values["stock_number"]))
            if car is None:
                session.add(StockVehicle(
                    dealer_id=dealer.id, currency="KRW", condition=VehicleCondition.NEW, odometer=0,
                    arrival_date=utcnow().date(), source="manual", **{"status": VehicleStatus.IN_STOCK, **values},
                ))
        session.flush()


def seed(session: Session, brands: dict, dealers: dict) -> None:
    """Import the Kijiji file into ``toronto-north`` and upsert the Seoul and Busan cars (KRW)."""
    toronto = dealers.get("toronto-north")
    if toronto is not None:
        with scoped(dealer_id=toronto.id, brand_id=toronto.brand_id):
            import_file(session, toronto, KIJIJI.read_bytes(), KIJIJI.name, dry_run=False, source="file")
    seoul = dealers.get("seoul-gangnam")
    if seoul is not None:
        _upsert_new_cars(session, seoul, SEOUL_CARS)
    busan = dealers.get("busan-haeundae")
    if busan is not None:
        _upsert_new_cars(session, busan, BUSAN_CARS)
