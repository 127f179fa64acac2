"""Allocation rules without the app: which stock car fits a configuration, which factory VIN is usable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.domain.delivery_handover import HandoverError, check_handover_day
from app.domain.preset_discounts import CatalogIndex
from app.domain.vehicle_allocation import AllocationError, ConfiguredCar, check_factory_vin, stock_fits

TUCSON = ConfiguredCar(model_code="NX4", trim_code="NX4-INS", model_name="투싼", trim_name="인스퍼레이션")
INDEX = CatalogIndex.from_models([
    {"code": "NX4", "name": "Tucson", "name_i18n": {"ko": "투싼"},
     "trims": [{"code": "NX4-INS", "name": "1.6T Inspiration", "name_i18n": {"ko": "인스퍼레이션"}},
               {"code": "NX4-PRE", "name": "1.6T Premium"}]},
    {"code": "MX5", "name": "Santa Fe", "trims": [{"code": "MX5-CAL", "name": "Calligraphy"}]},
])


@pytest.mark.parametrize(("model", "trim", "condition", "index", "fits"), [
    ("Tucson", "1.6T Inspiration", "new", INDEX, True),         # English stock text, Korean offer: the catalog index joins them
    ("TUCSON", "1.6t inspiration", "new", INDEX, True),         # folded
    ("Tucson", "1.6T Premium", "new", INDEX, False),            # another trim of the model
    ("Tucson", "", "new", INDEX, False),                        # no trim: not known to be the configured car
    ("Santa Fe", "Calligraphy", "new", INDEX, False),
    ("Tucson", "1.6T Inspiration", "used", INDEX, False),       # a configured car is a new car
    ("Tucson", "1.6T Inspiration", "demo", INDEX, False),
    ("투싼", "인스퍼레이션", "new", None, True),                  # without a catalog: the offer's own names
    ("nx4", "nx4-ins", "new", None, True),                      # … or its codes
    ("Tucson", "1.6T Inspiration", "new", None, False),         # … so other-language text does not match
])
def test_stock_fits(model, trim, condition, index, fits):
    assert stock_fits(TUCSON, model=model, trim=trim, condition=condition, index=index) is fits


def test_configured_car_from_an_offer_snapshot():
    car = ConfiguredCar.from_snapshot({"source": "catalog", "model_code": "NX4", "trim_code": "NX4-INS", "model": "투싼",
                                       "trim": "인스퍼레이션", "label": "투싼 인스퍼레이션"})
    assert car == TUCSON


@pytest.mark.parametrize(("raw", "expected"), [
    (" kmhl341d4pa000001 ", "KMHL341D4PA000001"),  # Hyundai Korea, right check digit; normalised
    ("KMHJ381ABNU123456", "KMHJ381ABNU123456"),    # Korea: the check digit is not mandatory, a wrong one only warns
    ("5NPE34AF4KH000001", "5NPE34AF4KH000001"),    # Hyundai USA, right check digit
])
def test_usable_factory_vins(raw, expected):
    assert check_factory_vin(raw) == expected


@pytest.mark.parametrize(("raw", "msgid_part", "params"), [
    (None, "Enter the VIN", {}),
    ("n/a", "Enter the VIN", {}),
    ("5NPE34AF0KH000001", "check digit", {"vin": "5NPE34AF0KH000001"}),  # North America: mandatory
    ("KMHL341D4PA00001", "has %(count)s", {"vin": "KMHL341D4PA00001", "count": 16}),
    ("KMHL341D4PA0000I1", "without I, O and Q", {"vin": "KMHL341D4PA0000I1"}),
    ("A-1234", "stock number", {"vin": "A-1234"}),
])
def test_unusable_factory_vins_give_a_translatable_message(raw, msgid_part, params):
    with pytest.raises(AllocationError) as refused:
        check_factory_vin(raw)
    assert msgid_part in refused.value.msgid and refused.value.params == params and refused.value.field == "vin"


SEOUL = ZoneInfo("Asia/Seoul")


@pytest.mark.parametrize(("now", "allowed"), [
    (datetime(2026, 12, 7, 10, 0, tzinfo=SEOUL), False),     # issue 11: handed over on 7 Dec for a 10 Dec slot
    (datetime(2026, 12, 9, 14, 59, tzinfo=UTC), False),      # 23:59 on 9 Dec in Seoul
    (datetime(2026, 12, 9, 15, 0, tzinfo=UTC), True),        # 00:00 on 10 Dec in Seoul
    (datetime(2026, 12, 12, 9, 0, tzinfo=SEOUL), True),      # a late pickup is fine
])
def test_handover_not_before_the_booked_day_in_the_dealers_zone(now, allowed):
    if allowed:
        assert check_handover_day(date(2026, 12, 10), now, SEOUL) >= date(2026, 12, 10)
    else:
        with pytest.raises(HandoverError) as refused:
            check_handover_day(date(2026, 12, 10), now, SEOUL)
        assert refused.value.params == {"date": "2026-12-10"}
