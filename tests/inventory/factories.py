"""Factories for inventory tests (flush only)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from app.extensions import db
from app.imports.values import VehicleCondition
from app.models.inventory import StockVehicle, VehicleStatus
from app.tenancy import all_tenants
from tests import factories

_seq = itertools.count(1)

# Valid VINs with correct check digits (computed with app.domain.vin.compute_check_digit).
# Model years: Honda 2003, Hyundai 2018, Toyota 2018, Ford 2011, Kia 2014, Hyundai (KM8) 2016.
VINS = ["1HGCM82633A004352", "5NPE34AF2JH696355", "2T1BURHEXJC074356", "1FTFX3EF3BFC53415", "5XYZU3LB4EG123456",
        "KM8J33A42GU123456"]


def canadian_dealer():
    """A Toronto dealer of a Canadian brand (en, CAD, America/Toronto, E2E)."""
    brand = factories.brand(country="CA", default_locale="en", currency="CAD", timezone="America/Toronto")
    return factories.dealer(brand)


def vehicle(dealer_id: int, **overrides) -> StockVehicle:
    """Create a stock vehicle of ``dealer_id`` (defaults: priced used Hyundai in stock)."""
    n = next(_seq)
    values = dict(
        dealer_id=dealer_id, vin=None, stock_number=f"S{n:05d}", make="Hyundai", model="Tucson", model_year=2019,
        condition=VehicleCondition.USED, price=Decimal("25998.00"), currency="CAD", status=VehicleStatus.IN_STOCK,
        odometer=42000,
    )
    values.update(overrides)
    with all_tenants():
        obj = StockVehicle(**values)
        db.session.add(obj)
        db.session.flush()
    return obj
