"""Delivery booking and handover rules (pure domain, no app)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from app.domain.delivery_handover import (
    CHECKLIST,
    HandoverError,
    bookable_slot,
    check_method,
    check_odometer,
    check_signature,
    checklist_complete,
    missing_items,
)
from app.domain.delivery_slots import Closure, DeliverySettings, SlotTemplate

SETTINGS = DeliverySettings(
    "Asia/Seoul", lead_time_days=1,
    slots=(SlotTemplate(1, time(10), time(12), 2), SlotTemplate(1, time(14), time(16), 1)),
    closures=(Closure(date(2026, 6, 23)),),
)
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)  # Monday 12:00 in Seoul


def test_checklist_is_fixed_and_complete_only_with_every_item():
    assert [i.value for i in CHECKLIST] == ["pdi", "registration", "insurance", "accessories", "fuel_charge", "cleaned", "documents"]
    all_items = {i.value for i in CHECKLIST}
    assert checklist_complete(all_items)
    assert not checklist_complete(all_items - {"insurance"})
    assert [i.value for i in missing_items({"pdi", "cleaned"})] == ["registration", "insurance", "accessories", "fuel_charge", "documents"]


@pytest.mark.parametrize(
    ("day", "start", "message"),
    [
        (date(2026, 6, 16), time(10), "too soon"),  # Tue 10:00 < Mon 12:00 + 1 day
        (date(2026, 6, 16), time(11), "not offered"),  # no slot starts at 11:00
        (date(2026, 6, 17), time(10), "not offered"),  # Wednesday has no slots
        (date(2026, 6, 23), time(10), "no deliveries on that day"),  # closure
    ],
)
def test_bookable_slot_refusals(day, start, message):
    with pytest.raises(HandoverError, match=message) as info:
        bookable_slot(SETTINGS, day, start, NOW)
    assert info.value.field == "slot"


def test_bookable_slot_exactly_at_the_lead_time_and_in_local_time():
    slot = bookable_slot(SETTINGS, date(2026, 6, 16), time(14), NOW)
    assert (slot.capacity, slot.end) == (1, time(16))
    assert slot.starts_at.astimezone(UTC) == datetime(2026, 6, 16, 5, 0, tzinfo=UTC)
    # 12:00 KST Tuesday would be exactly now + 1 day; a 12:00 slot is still bookable (at or after).
    edge = DeliverySettings("Asia/Seoul", 1, slots=(SlotTemplate(1, time(12), time(13)),))
    assert bookable_slot(edge, date(2026, 6, 16), time(12), NOW).start == time(12)


def test_method_must_be_offered():
    assert check_method(SETTINGS, "showroom_pickup").value == "showroom_pickup"
    with pytest.raises(HandoverError, match="does not offer"):
        check_method(SETTINGS, "home_delivery")
    with pytest.raises(HandoverError, match="Choose"):
        check_method(SETTINGS, "drone")


@pytest.mark.parametrize(("reading", "recorded", "ok"), [(12, 12, True), (13, 12, True), (11, 12, False), (0, None, True),
                                                          (999_999, 0, True), (1_000_000, 0, False), (True, 0, False)])
def test_odometer_never_runs_backwards(reading, recorded, ok):
    if ok:
        assert check_odometer(reading, recorded) == reading
    else:
        with pytest.raises(HandoverError) as info:
            check_odometer(reading, recorded)
        assert info.value.field == "odometer"


def test_odometer_message_names_the_recorded_reading():
    with pytest.raises(HandoverError) as info:
        check_odometer(5, 40)
    assert str(info.value) == "The odometer reading cannot be lower than the 40 recorded for this vehicle."
    assert info.value.params == {"recorded": 40}


def test_signature_needs_a_name_and_consent():
    assert check_signature("  Minjun   Kim ", True).typed_name == "Minjun Kim"
    with pytest.raises(HandoverError, match="type their full name"):
        check_signature(" x ", True)
    with pytest.raises(HandoverError, match="confirm") as info:
        check_signature("Minjun Kim", False)
    assert info.value.field == "consent"
