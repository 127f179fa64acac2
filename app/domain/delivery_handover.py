"""Delivery booking and handover rules: which slot may be booked, the pre-delivery checklist, the handover checks.

Rules (documented choices):

* **A booked slot must be one the dealer offers** (``app.domain.delivery_slots``): a weekly template
  starts at that local time on that weekday, the day is not in a closure and the slot starts at or
  after now + the lead time. Capacity is not checked here: it is a counter in the database, taken
  atomically by ``services.deliveries`` (two customers may race for the last place).
* **Pre-delivery checklist**: a fixed list (``CHECKLIST``), the same for every dealer; the handover
  needs every item ticked. Who ticked an item and when is recorded by the service.
* **Odometer at handover**: a whole number of the vehicle's unit (km or mi), not below the reading
  recorded on the stock vehicle (an odometer does not run backwards; a lower figure is a typo or a
  different car), and below 1,000,000.
* **The handover respects the booked slot**: it is refused before the booked slot's local date (the
  dealer's time zone). A customer who comes early is handed the car only after staff record a
  rebooking to one of *today's* slots with a free place (``todays_slot``: offered today, the day not
  closed; the lead time does not apply, the car and the customer are here). A handover after the
  booked day is allowed (a late pickup).
* **Signature**: the customer types their name (at least 2 characters after trimming) and ticks the
  consent box; the portal stores the typed name, the time and the IP address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from app.domain.delivery_slots import DeliveryMethod, DeliverySettings, DeliverySlot

#: The highest odometer reading accepted (six digits).
MAX_ODOMETER = 999_999


class HandoverError(ValueError):
    """A booking or handover input that the rules refuse.

    ``msgid`` is an English gettext message id with ``%(name)s`` placeholders filled from ``params``
    (views translate it: ``_(exc.msgid, **exc.params)``); ``str(exc)`` is the English text;
    ``field`` names the offending input.
    """

    def __init__(self, msgid: str, field: str | None = None, **params) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.field = field
        self.params = params


class ChecklistItem(StrEnum):
    """One pre-delivery check, in the order staff walk round the car."""

    PDI = "pdi"  # pre-delivery inspection done (workshop sign-off)
    REGISTRATION = "registration"  # registered, plates fitted
    INSURANCE = "insurance"  # proof of insurance seen
    ACCESSORIES = "accessories"  # ordered accessories fitted
    FUEL_CHARGE = "fuel_charge"  # fuelled or charged for the drive home
    CLEANED = "cleaned"  # washed and valeted
    DOCUMENTS = "documents"  # manuals, keys, registration papers, warranty book handed over


#: The fixed checklist, in display order.
CHECKLIST: tuple[ChecklistItem, ...] = tuple(ChecklistItem)


def missing_items(ticked: set[str] | frozenset[str]) -> list[ChecklistItem]:
    """Return the checklist items not in ``ticked`` (item values), in checklist order."""
    return [item for item in CHECKLIST if item.value not in ticked]


def checklist_complete(ticked: set[str] | frozenset[str]) -> bool:
    """Return True when every item of ``CHECKLIST`` is in ``ticked`` (item values)."""
    return not missing_items(ticked)


def bookable_slot(settings: DeliverySettings, day: date, start: time, now: datetime) -> DeliverySlot:
    """Return the slot of ``settings`` on local ``day`` at local ``start`` if it may be booked at ``now`` (aware).

    ``remaining`` of the result is the template's capacity (the caller counts bookings). Raises
    ``HandoverError`` (field ``slot``) when no weekly slot starts then, the day is closed, or the slot
    starts before now + lead time.
    """
    if now.tzinfo is None:
        raise HandoverError("now must be timezone-aware", "slot")
    template = next((t for t in settings.slots if t.weekday == day.weekday() and t.start == start), None)
    if template is None:
        raise HandoverError("This delivery slot is not offered.", "slot")
    if settings.is_closed(day):
        raise HandoverError("The dealership makes no deliveries on that day.", "slot")
    zone = settings.zone
    starts_at = datetime.combine(day, template.start, tzinfo=zone)
    earliest = now.astimezone(zone) + timedelta(days=settings.lead_time_days)
    if starts_at.astimezone(UTC) < earliest.astimezone(UTC):
        raise HandoverError("This delivery slot is too soon; please choose a later one.", "slot")
    return DeliverySlot(
        date=day, start=template.start, end=template.end, capacity=template.capacity, remaining=template.capacity,
        starts_at=starts_at, ends_at=datetime.combine(day, template.end, tzinfo=zone),
    )


def check_handover_day(slot_date: date, now: datetime, zone) -> date:
    """Return the local date of ``now`` (aware) in ``zone`` when a handover of a booking on ``slot_date`` may happen.

    Raises ``HandoverError`` (field ``odometer``, param ``date`` ISO) before the booked day.
    """
    if now.tzinfo is None:
        raise HandoverError("now must be timezone-aware", "odometer")
    today = now.astimezone(zone).date()
    if today < slot_date:
        raise HandoverError(
            "The delivery is booked for %(date)s. Hand the car over on that day, or rebook the delivery to today first.",
            "odometer", date=slot_date.isoformat(),
        )
    return today


def todays_slot(settings: DeliverySettings, start: time, now: datetime) -> DeliverySlot:
    """Return today's slot (local date of ``now`` in the dealer's zone) starting at ``start``, for a same-day rebooking.

    The lead time is not applied; capacity is the caller's counter. Raises ``HandoverError`` (field
    ``slot``) when no slot starts then today or today is closed.
    """
    if now.tzinfo is None:
        raise HandoverError("now must be timezone-aware", "slot")
    zone = settings.zone
    day = now.astimezone(zone).date()
    template = next((t for t in settings.slots if t.weekday == day.weekday() and t.start == start), None)
    if template is None:
        raise HandoverError("This delivery slot is not offered today.", "slot")
    if settings.is_closed(day):
        raise HandoverError("The dealership makes no deliveries on that day.", "slot")
    return DeliverySlot(
        date=day, start=template.start, end=template.end, capacity=template.capacity, remaining=template.capacity,
        starts_at=datetime.combine(day, template.start, tzinfo=zone), ends_at=datetime.combine(day, template.end, tzinfo=zone),
    )


def todays_slots(settings: DeliverySettings, now: datetime) -> list[DeliverySlot]:
    """Return every slot offered today (local date of ``now``), in time order; empty on a closed day."""
    day = now.astimezone(settings.zone).date()
    if settings.is_closed(day):
        return []
    return [todays_slot(settings, t.start, now) for t in sorted(settings.slots, key=lambda t: t.start) if t.weekday == day.weekday()]


def check_method(settings: DeliverySettings, method: str) -> DeliveryMethod:
    """Return ``method`` as a ``DeliveryMethod`` the dealer offers; raises ``HandoverError`` (field ``method``)."""
    try:
        chosen = DeliveryMethod(method)
    except ValueError as exc:
        raise HandoverError("Choose showroom pickup or home delivery.", "method") from exc
    if chosen not in settings.methods:
        raise HandoverError("The dealership does not offer this delivery method.", "method")
    return chosen


def check_odometer(reading: int | None, recorded: int | None) -> int:
    """Return ``reading`` when it is a whole number in [max(recorded, 0), ``MAX_ODOMETER``].

    ``recorded``: the stock vehicle's last reading (None = unknown, taken as 0). Raises
    ``HandoverError`` (field ``odometer``).
    """
    if isinstance(reading, bool) or not isinstance(reading, int):
        raise HandoverError("Enter the odometer reading as a whole number.", "odometer")
    floor = max(recorded or 0, 0)
    if reading < floor:
        raise HandoverError(
            "The odometer reading cannot be lower than the %(recorded)s recorded for this vehicle.", "odometer", recorded=floor
        )
    if reading > MAX_ODOMETER:
        raise HandoverError("The odometer reading is too high.", "odometer")
    return reading


@dataclass(frozen=True, slots=True)
class Signature:
    """The customer's typed-name signature: ``typed_name`` (trimmed) and their ``consent``."""

    typed_name: str
    consent: bool


def check_signature(typed_name: str | None, consent: bool) -> Signature:
    """Return the ``Signature``; raises ``HandoverError`` (field ``signed_name`` or ``consent``)."""
    name = " ".join((typed_name or "").split())
    if len(name) < 2:
        raise HandoverError("The customer must type their full name to sign.", "signed_name")
    if len(name) > 200:
        raise HandoverError("The name is too long.", "signed_name")
    if consent is not True:
        raise HandoverError("The customer must confirm they received the vehicle.", "consent")
    return Signature(name, True)
