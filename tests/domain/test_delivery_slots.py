"""Delivery settings, next available slots and the home-delivery radius check.

Calendar used below (2025): Fri 13 June, Sat 14, Sun 15, Mon 16, Tue 17 …;
Thu 2 October, Fri 3 (National Foundation Day), Sat 4, Sun 5 – Wed 8 (Chuseok + substitute
holiday), Thu 9 (Hangul Day), Fri 10. Toronto switches to EDT on Sun 9 March 2025 at 02:00.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.delivery_slots import (
    Closure,
    DeliveryMethod,
    DeliverySettings,
    DeliverySettingsError,
    GeoPoint,
    HomeDeliveryTerms,
    SlotTemplate,
    Weekday,
    distance_km,
    home_delivery_eligibility,
    next_available_slots,
    quote_for_distance,
)

D = Decimal
SEOUL = ZoneInfo("Asia/Seoul")
TORONTO = ZoneInfo("America/Toronto")
W = Weekday

WEEKDAY_SLOTS = tuple(
    slot
    for day in (W.MONDAY, W.TUESDAY, W.WEDNESDAY, W.THURSDAY, W.FRIDAY)
    for slot in (SlotTemplate(day, time(10), time(12), 2), SlotTemplate(day, time(14), time(16), 2))
)
SATURDAY_SLOT = SlotTemplate(W.SATURDAY, time(10), time(13), 1)
CITY_HALL = GeoPoint(D("37.5665"), D("126.9780"))


def seoul_dealer(lead_time_days=0, closures=(), slots=(*WEEKDAY_SLOTS, SATURDAY_SLOT), **kwargs):
    return DeliverySettings(
        timezone="Asia/Seoul", lead_time_days=lead_time_days, slots=slots, closures=closures, **kwargs
    )


def kst(*args):
    return datetime(*args, tzinfo=SEOUL)


def summary(slots):
    return [(s.date.isoformat(), s.start.strftime("%H:%M"), s.remaining) for s in slots]


@pytest.mark.parametrize(
    ("settings", "now", "booked", "limit", "expected"),
    [
        pytest.param(
            seoul_dealer(),
            kst(2025, 6, 13, 11, 0),
            {},
            4,
            # Friday 10:00 already started at 11:00 → skipped; Sunday has no template
            [
                ("2025-06-13", "14:00", 2),
                ("2025-06-14", "10:00", 1),
                ("2025-06-16", "10:00", 2),
                ("2025-06-16", "14:00", 2),
            ],
            id="current-day-past-slots-skipped",
        ),
        pytest.param(
            seoul_dealer(),
            kst(2025, 6, 13, 14, 0),
            {},
            1,
            [("2025-06-13", "14:00", 2)],
            id="slot-starting-exactly-now-is-offered",
        ),
        pytest.param(
            seoul_dealer(lead_time_days=2),
            kst(2025, 6, 13, 11, 0),
            {},
            3,
            # Fri 11:00 + 2 calendar days = Sun 15 June 11:00 → Saturday skipped, first is Monday
            [("2025-06-16", "10:00", 2), ("2025-06-16", "14:00", 2), ("2025-06-17", "10:00", 2)],
            id="lead-time-crosses-weekend",
        ),
        pytest.param(
            seoul_dealer(lead_time_days=1),
            kst(2025, 6, 13, 10, 0),
            {},
            2,
            # Fri 10:00 + 1 day = Sat 10:00: the Saturday slot starts exactly then → offered
            [("2025-06-14", "10:00", 1), ("2025-06-16", "10:00", 2)],
            id="lead-time-equality",
        ),
        pytest.param(
            seoul_dealer(lead_time_days=1),
            kst(2025, 6, 13, 10, 1),
            {},
            1,
            # Sat 10:01 earliest: the Saturday 10:00 slot is one minute too early
            [("2025-06-16", "10:00", 2)],
            id="lead-time-one-minute-late",
        ),
        pytest.param(
            seoul_dealer(),
            kst(2025, 6, 13, 11, 0),
            {
                (date(2025, 6, 13), time(14)): 2,  # full (2 of 2)
                (date(2025, 6, 14), time(10)): 1,  # full (1 of 1)
                (date(2025, 6, 16), time(10)): 1,  # 1 left
                (date(2025, 6, 16), time(14)): 5,  # overbooked: still just full
            },
            3,
            [("2025-06-16", "10:00", 1), ("2025-06-17", "10:00", 2), ("2025-06-17", "14:00", 2)],
            id="full-slots-skipped",
        ),
        pytest.param(
            seoul_dealer(
                closures=(
                    Closure(date(2025, 10, 3), reason="National Foundation Day"),
                    Closure(date(2025, 10, 5), date(2025, 10, 8), reason="Chuseok"),
                    Closure(date(2025, 10, 9), reason="Hangul Day"),
                )
            ),
            kst(2025, 10, 2, 15, 0),
            {},
            3,
            # Thu 2 Oct 14:00 has started; Fri 3 closed; Sat 4 open; Sun 5 – Thu 9 closed → Fri 10
            [("2025-10-04", "10:00", 1), ("2025-10-10", "10:00", 2), ("2025-10-10", "14:00", 2)],
            id="closures-single-days-and-range",
        ),
    ],
)
def test_next_available_slots(settings, now, booked, limit, expected):
    assert summary(next_available_slots(settings, now, booked, limit=limit)) == expected


def test_timezone_seoul_is_already_the_next_day():
    # Fri 13 June 16:00 UTC = Sat 14 June 01:00 KST (UTC+9). A Friday 18:00 KST slot is long gone in
    # Seoul even though, read naively as UTC, it would still look two hours away.
    evening = SlotTemplate(W.FRIDAY, time(18), time(20), 1)
    settings = seoul_dealer(slots=(*WEEKDAY_SLOTS, evening, SATURDAY_SLOT))
    now_utc = datetime(2025, 6, 13, 16, 0, tzinfo=UTC)
    slots = next_available_slots(settings, now_utc, {}, limit=2)
    assert summary(slots) == [("2025-06-14", "10:00", 1), ("2025-06-16", "10:00", 2)]
    # Sat 10:00 KST = Sat 01:00 UTC
    assert slots[0].starts_at.astimezone(UTC) == datetime(2025, 6, 14, 1, 0, tzinfo=UTC)
    assert slots[0].ends_at == kst(2025, 6, 14, 13, 0)
    # The same instant given in Seoul time gives the same answer.
    assert next_available_slots(settings, now_utc.astimezone(SEOUL), {}, limit=2) == slots


def test_lead_time_is_calendar_days_of_wall_clock_across_dst():
    # Sat 8 March 09:00 EST + 1 calendar day = Sun 9 March 09:00 EDT (only 23 hours later in absolute
    # time); the Sunday 09:00 slot is offered. A 24-hour lead time would make it 10:00 EDT and skip it.
    settings = DeliverySettings(
        timezone="America/Toronto",
        lead_time_days=1,
        slots=(SlotTemplate(W.SUNDAY, time(9), time(10), 1),),
    )
    slots = next_available_slots(settings, datetime(2025, 3, 8, 9, 0, tzinfo=TORONTO), {}, limit=1)
    assert summary(slots) == [("2025-03-09", "09:00", 1)]
    assert slots[0].starts_at.utcoffset() == timedelta(hours=-4)


def test_fully_closed_calendar_returns_empty_within_horizon():
    settings = seoul_dealer(closures=(Closure(date(2025, 1, 1), date(2025, 12, 31), reason="Rebuild"),))
    assert next_available_slots(settings, kst(2025, 6, 13, 9, 0), {}, limit=5, horizon_days=30) == []
    # The horizon counts from the earliest day: 2025-12-31 closed, 2026-01-01 is a Thursday.
    found = next_available_slots(settings, kst(2025, 12, 30, 9, 0), {}, limit=1, horizon_days=3)
    assert summary(found) == [("2026-01-01", "10:00", 2)]


def test_limit_and_fields():
    slots = next_available_slots(seoul_dealer(), kst(2025, 6, 16, 8, 0), None, limit=3)
    assert len(slots) == 3
    first = slots[0]
    assert (first.date, first.start, first.end, first.capacity, first.remaining) == (
        date(2025, 6, 16),
        time(10),
        time(12),
        2,
        2,
    )
    assert first.starts_at == kst(2025, 6, 16, 10, 0)


# --- settings validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (
            lambda: seoul_dealer(
                slots=(SlotTemplate(W.MONDAY, time(9), time(11)), SlotTemplate(W.MONDAY, time(10), time(12)))
            ),
            "slots",
            "Delivery slots overlap on Monday: 09:00-11:00 and 10:00-12:00",
        ),
        (
            lambda: seoul_dealer(
                slots=(SlotTemplate(W.FRIDAY, time(9), time(17)), SlotTemplate(W.FRIDAY, time(12), time(13)))
            ),
            "slots",
            "Delivery slots overlap on Friday: 09:00-17:00 and 12:00-13:00",
        ),
        (
            lambda: SlotTemplate(W.TUESDAY, time(12), time(12)),
            "end",
            "Slot on Tuesday must end after it starts (12:00-12:00)",
        ),
        (
            lambda: SlotTemplate(W.TUESDAY, time(14), time(10)),
            "end",
            "Slot on Tuesday must end after it starts (14:00-10:00)",
        ),
        (
            lambda: SlotTemplate(W.TUESDAY, time(10), time(12), 0),
            "capacity",
            "Slot capacity on Tuesday 10:00 must be a whole number of at least 1 (got 0)",
        ),
        (lambda: SlotTemplate(W.TUESDAY, time(10), time(12), True), "capacity", "at least 1 (got True)"),
        (lambda: SlotTemplate(7, time(10), time(12)), "weekday", "Weekday must be 0 (Monday) to 6 (Sunday)"),
        (lambda: SlotTemplate(W.MONDAY, time(10, tzinfo=UTC), time(12)), "start", "without timezone"),
        (
            lambda: Closure(date(2025, 10, 8), date(2025, 10, 5)),
            "last_day",
            "Closure ends (2025-10-05) before it starts (2025-10-08)",
        ),
        (lambda: Closure(datetime(2025, 10, 8, 9, 0)), "first_day", "Closure first day must be a date"),
        (lambda: DeliverySettings(timezone="Asia/Seul"), "timezone", "Unknown timezone 'Asia/Seul'"),
        (lambda: DeliverySettings(timezone="../etc/passwd"), "timezone", "Unknown timezone"),
        (lambda: DeliverySettings(timezone="Asia/Seoul", lead_time_days=-1), "lead_time_days", "Lead time"),
        (
            lambda: DeliverySettings(timezone="Asia/Seoul", showroom_pickup=False),
            "methods",
            "Offer showroom pickup, home delivery, or both",
        ),
        (
            lambda: HomeDeliveryTerms(CITY_HALL, D("-1"), D("0"), "KRW"),
            "radius_km",
            "Delivery radius must not be negative (got -1 km)",
        ),
        (
            lambda: HomeDeliveryTerms(CITY_HALL, D("50"), D("-30000"), "KRW"),
            "fee",
            "Delivery fee must not be negative (got -30000)",
        ),
        (
            lambda: HomeDeliveryTerms(CITY_HALL, D("50"), D("30000.5"), "KRW"),
            "fee",
            "more decimals than KRW allows (0)",
        ),
        (lambda: HomeDeliveryTerms(CITY_HALL, D("50"), D("0"), "won"), "currency", "ISO 4217"),
        (lambda: GeoPoint(D("90.1"), D("0")), "latitude", "Latitude must be between -90 and 90"),
        (lambda: GeoPoint(D("0"), D("-180.5")), "longitude", "Longitude must be between -180 and 180"),
        (lambda: GeoPoint(37.5, D("0")), "latitude", "must be a number"),
    ],
)
def test_invalid_settings(build, field, message):
    with pytest.raises(DeliverySettingsError) as info:
        build()
    assert info.value.field == field
    assert message in str(info.value)


def test_touching_slots_are_not_overlapping_and_are_sorted():
    settings = seoul_dealer(
        slots=(SlotTemplate(W.MONDAY, time(12), time(14)), SlotTemplate(W.MONDAY, time(10), time(12)))
    )
    assert [(s.start, s.end) for s in settings.slots] == [(time(10), time(12)), (time(12), time(14))]


def test_same_times_on_different_weekdays_do_not_overlap():
    settings = seoul_dealer(
        slots=(SlotTemplate(W.MONDAY, time(10), time(12)), SlotTemplate(W.TUESDAY, time(10), time(12)))
    )
    assert len(settings.slots) == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"now": datetime(2025, 6, 13, 11, 0)}, "now"),  # naive
        ({"limit": 0}, "limit"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"booked": {(date(2025, 6, 13), time(14)): -1}}, "booked"),
    ],
)
def test_invalid_query(kwargs, field):
    args = {"now": kst(2025, 6, 13, 11, 0), "booked": {}, "limit": 5, "horizon_days": 90} | kwargs
    with pytest.raises(DeliverySettingsError) as info:
        next_available_slots(seoul_dealer(), **args)
    assert info.value.field == field


def test_methods():
    terms = HomeDeliveryTerms(CITY_HALL, D("50"), D("30000"), "KRW")
    assert seoul_dealer().methods == (DeliveryMethod.SHOWROOM_PICKUP,)
    assert seoul_dealer(home_delivery=terms).methods == (DeliveryMethod.SHOWROOM_PICKUP, DeliveryMethod.HOME_DELIVERY)
    assert seoul_dealer(home_delivery=terms, showroom_pickup=False).methods == (DeliveryMethod.HOME_DELIVERY,)


# --- distance and home-delivery eligibility --------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # along a meridian haversine reduces to R·Δφ: 6371.0088 × π/180 = 111.19508… → 111.20
        (GeoPoint(0, 0), GeoPoint(1, 0), D("111.20")),
        # a quarter of the equator: 6371.0088 × π/2 = 10007.5572… → 10007.56
        (GeoPoint(0, 0), GeoPoint(0, 90), D("10007.56")),
        # antipodes: 6371.0088 × π = 20015.1144… → 20015.11
        (GeoPoint(0, 0), GeoPoint(0, 180), D("20015.11")),
        # across the antimeridian: 1° of longitude on the equator, same as 1° of latitude
        (GeoPoint(0, D("179.5")), GeoPoint(0, D("-179.5")), D("111.20")),
        (CITY_HALL, CITY_HALL, D("0.00")),
    ],
)
def test_distance_km(a, b, expected):
    assert distance_km(a, b) == expected
    assert distance_km(b, a) == expected


@pytest.mark.parametrize(
    ("radius", "eligible", "reason"),
    [
        # 0.5° due north of City Hall: 0.5 × 111.19508… = 55.5975… → 55.60 km
        (D("50"), False, "Address is 55.60 km away, beyond the 50 km delivery radius"),
        (D("55.59"), False, "Address is 55.60 km away, beyond the 55.59 km delivery radius"),
        (D("55.60"), True, None),  # exactly on the radius
        (D("80"), True, None),
    ],
)
def test_home_delivery_eligibility(radius, eligible, reason):
    settings = seoul_dealer(home_delivery=HomeDeliveryTerms(CITY_HALL, radius, D("30000"), "KRW"))
    quote = home_delivery_eligibility(settings, GeoPoint(D("38.0665"), D("126.9780")))
    assert quote.eligible is eligible
    assert quote.distance_km == D("55.60")
    assert quote.radius_km == radius
    assert quote.reason == reason
    assert quote.fee == (D("30000") if eligible else None)
    assert quote.currency == ("KRW" if eligible else None)


@pytest.mark.parametrize(
    ("km", "eligible", "distance", "fee"),
    [
        (D("12.345"), True, D("12.35"), D("30000")),  # half-up to 0.01 km
        (D("50"), True, D("50.00"), D("30000")),  # exactly on the radius
        (D("50.004"), True, D("50.00"), D("30000")),  # rounds onto it
        (D("50.005"), False, D("50.01"), None),
        ("0", True, D("0.00"), D("30000")),
    ],
)
def test_quote_for_a_distance_confirmed_by_hand(km, eligible, distance, fee):
    settings = seoul_dealer(home_delivery=HomeDeliveryTerms(CITY_HALL, D("50"), D("30000"), "KRW"))
    quote = quote_for_distance(settings, km)
    assert (quote.eligible, quote.distance_km, quote.fee) == (eligible, distance, fee)


@pytest.mark.parametrize("km", [D("-0.01"), "far", None])
def test_quote_for_a_distance_refuses_bad_values(km):
    settings = seoul_dealer(home_delivery=HomeDeliveryTerms(CITY_HALL, D("50"), D("30000"), "KRW"))
    with pytest.raises(DeliverySettingsError) as info:
        quote_for_distance(settings, km)
    assert info.value.field == "distance_km"


def test_home_delivery_not_offered():
    quote = home_delivery_eligibility(seoul_dealer(), CITY_HALL)
    assert (quote.eligible, quote.reason, quote.distance_km) == (False, "Home delivery is not offered", None)


# --- properties -------------------------------------------------------------------------------

coords = st.builds(
    GeoPoint,
    st.integers(min_value=-90_000, max_value=90_000).map(lambda v: Decimal(v).scaleb(-3)),
    st.integers(min_value=-180_000, max_value=180_000).map(lambda v: Decimal(v).scaleb(-3)),
)


@given(a=coords, b=coords, c=coords)
def test_distance_is_a_metric(a, b, c):
    ab, bc, ac = distance_km(a, b), distance_km(b, c), distance_km(a, c)
    assert ab == distance_km(b, a)
    assert D(0) <= ab <= D("20015.12")
    assert ac <= ab + bc + D("0.02")  # triangle inequality, allowing for the two roundings


SETTINGS = seoul_dealer(
    lead_time_days=1,
    closures=(Closure(date(2025, 6, 18)), Closure(date(2025, 6, 23), date(2025, 6, 25))),
)


@given(
    now=st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2025, 7, 1), timezones=st.just(UTC)),
    bookings=st.dictionaries(
        st.tuples(st.dates(date(2025, 6, 1), date(2025, 7, 31)), st.sampled_from([time(10), time(14)])),
        st.integers(min_value=0, max_value=3),
    ),
    limit=st.integers(min_value=1, max_value=8),
)
def test_every_slot_offered_is_bookable(now, bookings, limit):
    slots = next_available_slots(SETTINGS, now, bookings, limit=limit)
    earliest = now + timedelta(days=1)  # Seoul has no DST, so one calendar day is 24 hours
    assert len(slots) == limit  # at most 3 closed days in a row: the 90-day horizon always fills the list
    starts = [s.starts_at for s in slots]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for slot in slots:
        assert slot.starts_at >= earliest
        assert not SETTINGS.is_closed(slot.date)
        assert slot.remaining == slot.capacity - bookings.get((slot.date, slot.start), 0) >= 1
        assert slot.starts_at.tzinfo == SEOUL and slot.starts_at.date() == slot.date
