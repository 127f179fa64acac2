"""A dealer's delivery settings, the next bookable delivery slots, and the home-delivery radius check.

Rules (documented choices):

* **Local wall-clock time.** Slot templates, closures and booked keys are in the dealer's timezone
  (an IANA name such as ``"Asia/Seoul"``). ``now`` may be in any timezone (UTC from the server); it is
  converted to the dealer's zone first, so a Seoul dealer sees Saturday's slots at 01:00 KST even
  though it is still Friday in UTC.
* **Lead time in calendar days**, not business days: the earliest bookable start is ``now`` (local)
  plus ``lead_time_days`` days of wall-clock time (Friday 11:00 + 2 days = Sunday 11:00, weekend
  included; across a DST change the wall-clock time is kept, as a customer reads "two days from now").
  Weekends and holidays still get skipped for *slots* because they have no template or are closures.
* A slot is offered when it **starts at or after** the earliest start, its date is not in a closure,
  and its remaining capacity (capacity − booked) is at least 1. Slots are shared by pickup and home
  delivery.
* Home-delivery eligibility uses the great-circle (haversine) distance from the dealership, not the
  road distance, on a sphere of the IUGG mean Earth radius 6371.0088 km (Moritz, *Geodetic Reference
  System 1980*); the distance is rounded half-up to 0.01 km and an address exactly on the radius is
  eligible. Trigonometry runs in binary floats — a distance is not money — and is converted to
  ``Decimal`` once, at that rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.money import ZERO, MoneyError, minor_units, quantum, to_decimal

#: IUGG mean Earth radius R1 = (2a + b) / 3 of GRS 80, in km.
EARTH_MEAN_RADIUS_KM = 6371.0088
DISTANCE_QUANTUM = Decimal("0.01")  # km, i.e. 10 m


class DeliverySettingsError(ValueError):
    """Raised for invalid delivery settings or query input; ``field`` names the offending field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Weekday(IntEnum):
    """Day of the week, numbered like ``date.weekday()`` (Monday = 0)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6

    @property
    def label(self) -> str:
        """Return the English day name (``"Monday"``), for messages."""
        return self.name.title()


class DeliveryMethod(StrEnum):
    """How the customer receives the car."""

    SHOWROOM_PICKUP = "showroom_pickup"
    HOME_DELIVERY = "home_delivery"


def _decimal(value: Decimal | int | str, what: str, field_name: str) -> Decimal:
    try:
        return to_decimal(value)
    except (TypeError, MoneyError) as exc:
        raise DeliverySettingsError(f"{what} must be a number (Decimal, int or string): {value!r}", field_name) from exc


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A point on Earth: ``latitude`` in [-90, 90] and ``longitude`` in [-180, 180], decimal degrees.

    Values are Decimal, int or numeric strings (convert a geocoder's float with ``Decimal(str(x))``).
    Raises ``DeliverySettingsError`` (field ``latitude`` / ``longitude``) when out of range.
    """

    latitude: Decimal
    longitude: Decimal

    def __post_init__(self) -> None:
        lat = _decimal(self.latitude, "Latitude", "latitude")
        lon = _decimal(self.longitude, "Longitude", "longitude")
        if not Decimal(-90) <= lat <= Decimal(90):
            raise DeliverySettingsError(f"Latitude must be between -90 and 90 degrees (got {lat})", "latitude")
        if not Decimal(-180) <= lon <= Decimal(180):
            raise DeliverySettingsError(f"Longitude must be between -180 and 180 degrees (got {lon})", "longitude")
        object.__setattr__(self, "latitude", lat)
        object.__setattr__(self, "longitude", lon)


def distance_km(a: GeoPoint, b: GeoPoint) -> Decimal:
    """Return the great-circle distance between ``a`` and ``b`` in km, rounded half-up to 0.01 km.

    Haversine formula (Sinnott, *Sky and Telescope* 68(2), 1984) on a sphere of radius
    ``EARTH_MEAN_RADIUS_KM``: ``d = 2R·asin(√(sin²(Δφ/2) + cos φ1·cos φ2·sin²(Δλ/2)))``.
    Error against the WGS 84 ellipsoid is under 0.5 %.
    """
    phi1, phi2 = math.radians(float(a.latitude)), math.radians(float(b.latitude))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(b.longitude) - float(a.longitude))
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    km = 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    # repr() is the shortest string that round-trips, so no binary noise leaks into the Decimal.
    return Decimal(repr(km)).quantize(DISTANCE_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class HomeDeliveryTerms:
    """Offer home delivery within ``radius_km`` of ``origin`` (the dealership) for a flat ``fee``.

    ``radius_km``: Decimal ≥ 0, straight-line km. ``fee``: Decimal ≥ 0 in ``currency`` (ISO 4217),
    with no more decimals than the currency allows. Raises ``DeliverySettingsError`` (field
    ``radius_km``, ``fee`` or ``currency``).
    """

    origin: GeoPoint
    radius_km: Decimal
    fee: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.origin, GeoPoint):
            raise DeliverySettingsError("Home delivery origin must be a GeoPoint", "origin")
        try:
            minor_units(self.currency)
        except MoneyError as exc:
            raise DeliverySettingsError(str(exc), "currency") from exc
        radius = _decimal(self.radius_km, "Delivery radius", "radius_km")
        if radius < ZERO:
            raise DeliverySettingsError(f"Delivery radius must not be negative (got {radius} km)", "radius_km")
        fee = _decimal(self.fee, "Delivery fee", "fee")
        if fee < ZERO:
            raise DeliverySettingsError(f"Delivery fee must not be negative (got {fee})", "fee")
        if fee != fee.quantize(quantum(self.currency)):
            raise DeliverySettingsError(
                f"Delivery fee {fee} has more decimals than {self.currency} allows ({minor_units(self.currency)})",
                "fee",
            )
        object.__setattr__(self, "radius_km", radius)
        object.__setattr__(self, "fee", fee)


@dataclass(frozen=True, slots=True)
class SlotTemplate:
    """A weekly delivery slot: every ``weekday`` from ``start`` to ``end`` (local, naive times), ``capacity`` cars.

    Raises ``DeliverySettingsError`` (field ``weekday``, ``start``, ``end`` or ``capacity``) for a weekday
    outside 0..6, a time with a tzinfo, an end not after the start (no overnight slots), or a
    capacity that is not an integer ≥ 1.
    """

    weekday: Weekday
    start: time
    end: time
    capacity: int = 1

    def __post_init__(self) -> None:
        try:
            weekday = Weekday(self.weekday)
        except ValueError as exc:
            raise DeliverySettingsError(
                f"Weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}", "weekday"
            ) from exc
        object.__setattr__(self, "weekday", weekday)
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise DeliverySettingsError(f"Slot {name} must be a local time without timezone", name)
        if self.end <= self.start:
            raise DeliverySettingsError(
                f"Slot on {weekday.label} must end after it starts ({_hhmm(self.start)}-{_hhmm(self.end)})", "end"
            )
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int) or self.capacity < 1:
            raise DeliverySettingsError(
                f"Slot capacity on {weekday.label} {_hhmm(self.start)} must be a whole number of at least 1 "
                f"(got {self.capacity!r})",
                "capacity",
            )


@dataclass(frozen=True, slots=True)
class Closure:
    """Days the dealer makes no deliveries: ``first_day`` through ``last_day`` inclusive (None = one day).

    Raises ``DeliverySettingsError`` (field ``first_day`` / ``last_day``) for a non-date or a last day
    before the first.
    """

    first_day: date
    last_day: date | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("first_day", "last_day"):
            value = getattr(self, name)
            if value is None and name == "last_day":
                continue
            # datetime is a date subclass; a timestamp here would be a caller's mistake.
            if not isinstance(value, date) or isinstance(value, datetime):
                raise DeliverySettingsError(f"Closure {name.replace('_', ' ')} must be a date", name)
        if self.last_day is not None and self.last_day < self.first_day:
            raise DeliverySettingsError(
                f"Closure ends ({self.last_day.isoformat()}) before it starts ({self.first_day.isoformat()})",
                "last_day",
            )

    def covers(self, day: date) -> bool:
        """Return True when ``day`` falls within the closure."""
        return self.first_day <= day <= (self.last_day or self.first_day)


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """Hold a dealer's delivery settings, validated on construction.

    ``timezone``: IANA name (``"Asia/Seoul"``). ``lead_time_days``: whole calendar days ≥ 0 between
    now and the earliest slot. ``showroom_pickup``: pickup offered. ``home_delivery``: terms, or None
    when not offered. ``slots``: weekly ``SlotTemplate`` values (stored sorted by weekday and start).
    ``closures``: ``Closure`` values. Raises ``DeliverySettingsError`` naming the field for an unknown
    timezone, a negative lead time, no delivery method, or two slots overlapping on the same weekday
    (touching slots, 10:00-12:00 and 12:00-14:00, are fine).
    """

    timezone: str
    lead_time_days: int = 0
    showroom_pickup: bool = True
    home_delivery: HomeDeliveryTerms | None = None
    slots: tuple[SlotTemplate, ...] = ()
    closures: tuple[Closure, ...] = ()

    def __post_init__(self) -> None:
        _zone(self.timezone)
        lead = self.lead_time_days
        if isinstance(lead, bool) or not isinstance(lead, int) or lead < 0:
            raise DeliverySettingsError(
                f"Lead time must be a whole number of days, 0 or more (got {lead!r})", "lead_time_days"
            )
        if self.home_delivery is not None and not isinstance(self.home_delivery, HomeDeliveryTerms):
            raise DeliverySettingsError("Home delivery must be HomeDeliveryTerms or None", "home_delivery")
        if not self.showroom_pickup and self.home_delivery is None:
            raise DeliverySettingsError("Offer showroom pickup, home delivery, or both", "methods")
        slots = tuple(self.slots)
        for slot in slots:
            if not isinstance(slot, SlotTemplate):
                raise DeliverySettingsError(f"Slots must be SlotTemplate values, got {type(slot).__name__}", "slots")
        slots = tuple(sorted(slots, key=lambda s: (s.weekday, s.start, s.end)))
        for before, after in zip(slots, slots[1:], strict=False):
            if before.weekday == after.weekday and after.start < before.end:
                raise DeliverySettingsError(
                    f"Delivery slots overlap on {before.weekday.label}: "
                    f"{_hhmm(before.start)}-{_hhmm(before.end)} and {_hhmm(after.start)}-{_hhmm(after.end)}",
                    "slots",
                )
        closures = tuple(self.closures)
        for closure in closures:
            if not isinstance(closure, Closure):
                raise DeliverySettingsError(
                    f"Closures must be Closure values, got {type(closure).__name__}", "closures"
                )
        object.__setattr__(self, "slots", slots)
        object.__setattr__(self, "closures", closures)

    @property
    def zone(self) -> ZoneInfo:
        """Return the dealer's timezone."""
        return _zone(self.timezone)

    @property
    def methods(self) -> tuple[DeliveryMethod, ...]:
        """Return the delivery methods offered, pickup first."""
        offered = []
        if self.showroom_pickup:
            offered.append(DeliveryMethod.SHOWROOM_PICKUP)
        if self.home_delivery is not None:
            offered.append(DeliveryMethod.HOME_DELIVERY)
        return tuple(offered)

    def is_closed(self, day: date) -> bool:
        """Return True when ``day`` (local date) falls in any closure."""
        return any(c.covers(day) for c in self.closures)


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise DeliverySettingsError(f"Unknown timezone {name!r}", "timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DeliverySettingsError(f"Unknown timezone {name!r}", "timezone") from exc


@dataclass(frozen=True, slots=True)
class DeliverySlot:
    """A concrete bookable slot: local ``date``, ``start`` and ``end`` times, ``capacity`` and ``remaining``.

    ``starts_at`` / ``ends_at`` are the same moments as aware datetimes in the dealer's timezone
    (store them in UTC with ``.astimezone(UTC)``).
    """

    date: date
    start: time
    end: time
    capacity: int
    remaining: int
    starts_at: datetime
    ends_at: datetime


def next_available_slots(
    settings: DeliverySettings,
    now: datetime,
    booked: Mapping[tuple[date, time], int] | None = None,
    limit: int = 5,
    horizon_days: int = 90,
) -> list[DeliverySlot]:
    """Return up to ``limit`` bookable delivery slots, earliest first.

    ``now``: timezone-aware datetime (any zone). ``booked``: reservations per slot, keyed by
    (local date, slot start time) → count of cars already booked. A slot is returned when it starts at
    or after ``now`` in the dealer's zone + ``lead_time_days`` calendar days, its date is not closed,
    and ``capacity − booked ≥ 1``. Days are scanned from the earliest start's local date for
    ``horizon_days`` days, so a fully closed calendar returns ``[]`` instead of looping.
    Raises ``DeliverySettingsError`` (field ``now``, ``booked``, ``limit`` or ``horizon_days``) for a naive
    ``now``, a negative or non-integer booked count, or a ``limit`` / ``horizon_days`` below 1.
    """
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise DeliverySettingsError("now must be a timezone-aware datetime", "now")
    for name, value in (("limit", limit), ("horizon_days", horizon_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DeliverySettingsError(f"{name} must be a whole number of at least 1 (got {value!r})", name)
    booked = booked or {}
    for key, count in booked.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DeliverySettingsError(
                f"Booked count for {key!r} must be a whole number, 0 or more (got {count!r})", "booked"
            )

    zone = settings.zone
    # Wall-clock arithmetic in the dealer's zone: "N calendar days from now" keeps the local time across DST.
    earliest = now.astimezone(zone) + timedelta(days=settings.lead_time_days)
    earliest_utc = earliest.astimezone(UTC)
    templates: dict[int, list[SlotTemplate]] = {}
    for template in settings.slots:
        templates.setdefault(template.weekday, []).append(template)

    found: list[DeliverySlot] = []
    first_day = earliest.date()
    for offset in range(horizon_days):
        day = first_day + timedelta(days=offset)
        if settings.is_closed(day):
            continue
        for template in templates.get(day.weekday(), ()):
            starts_at = datetime.combine(day, template.start, tzinfo=zone)
            # Compare instants in UTC: aware datetimes sharing a tzinfo compare by wall clock only.
            if starts_at.astimezone(UTC) < earliest_utc:
                continue
            remaining = template.capacity - booked.get((day, template.start), 0)
            if remaining < 1:
                continue
            found.append(
                DeliverySlot(
                    date=day,
                    start=template.start,
                    end=template.end,
                    capacity=template.capacity,
                    remaining=remaining,
                    starts_at=starts_at,
                    ends_at=datetime.combine(day, template.end, tzinfo=zone),
                )
            )
            if len(found) == limit:
                return found
    return found


@dataclass(frozen=True, slots=True)
class HomeDeliveryQuote:
    """Whether an address can get home delivery.

    ``eligible``; ``distance_km`` (Decimal, 0.01 km) and ``radius_km`` (None when home delivery is not
    offered); ``fee`` and ``currency`` of the delivery when eligible, else None; ``reason`` is a short
    English message when not eligible, else None.
    """

    eligible: bool
    distance_km: Decimal | None
    radius_km: Decimal | None
    fee: Decimal | None
    currency: str | None
    reason: str | None


def quote_for_distance(settings: DeliverySettings, km: Decimal) -> HomeDeliveryQuote:
    """Quote home delivery for an address ``km`` away (Decimal ≥ 0, rounded half-up to 0.01 km here).

    For a distance the dealer confirms by hand when no location was shared (a typed address): the
    same radius rule and flat fee as ``home_delivery_eligibility``. Raises ``DeliverySettingsError``
    (field ``distance_km``) for a negative or non-numeric distance.
    """
    value = _decimal(km, "Distance", "distance_km")
    if value < ZERO:
        raise DeliverySettingsError(f"Distance must not be negative (got {value} km)", "distance_km")
    value = value.quantize(DISTANCE_QUANTUM, rounding=ROUND_HALF_UP)
    terms = settings.home_delivery
    if terms is None:
        return HomeDeliveryQuote(False, None, None, None, None, "Home delivery is not offered")
    if value > terms.radius_km:
        return HomeDeliveryQuote(
            False, value, terms.radius_km, None, None,
            f"Address is {value} km away, beyond the {terms.radius_km} km delivery radius",
        )
    return HomeDeliveryQuote(True, value, terms.radius_km, terms.fee, terms.currency, None)


def home_delivery_eligibility(settings: DeliverySettings, destination: GeoPoint) -> HomeDeliveryQuote:
    """Check whether ``destination`` is within the dealer's home-delivery radius, and quote the fee.

    Distance: ``distance_km`` (haversine, rounded to 0.01 km); eligible when distance ≤ radius.
    Returns a not-eligible quote (no error) when home delivery is not offered or the address is too
    far. Raises ``DeliverySettingsError`` (field ``destination``) when ``destination`` is not a GeoPoint.
    """
    if not isinstance(destination, GeoPoint):
        raise DeliverySettingsError("Destination must be a GeoPoint", "destination")
    terms = settings.home_delivery
    if terms is None:
        return HomeDeliveryQuote(False, None, None, None, None, "Home delivery is not offered")
    return quote_for_distance(settings, distance_km(terms.origin, destination))
