"""Trade-in rules without the app: transitions, input checks, expiry at the dealer's local midnight, grade."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.domain import trade_ins as t
from app.domain.trade_ins import TradeInAction as A
from app.domain.trade_ins import TradeInStatus as S

TODAY = date(2026, 6, 15)
CAR = dict(vin="1HGCM82633A004352", year=2003, make="Honda", model="Accord", odometer=182000, odometer_unit="km",
           today=TODAY)


@pytest.mark.parametrize(("status", "action", "target"), [
    (S.REQUESTED, A.APPRAISE, S.APPRAISED), (S.APPRAISED, A.EXPIRE, S.EXPIRED),
    (S.REQUESTED, A.WITHDRAW, S.WITHDRAWN), (S.APPRAISED, A.WITHDRAW, S.WITHDRAWN),
    (S.APPRAISED, A.APPRAISE, None), (S.REQUESTED, A.EXPIRE, None), (S.EXPIRED, A.APPRAISE, None),
    (S.EXPIRED, A.WITHDRAW, None), (S.WITHDRAWN, A.APPRAISE, None), (S.WITHDRAWN, A.EXPIRE, None),
])
def test_transitions(status, action, target):
    if target is None:
        with pytest.raises(t.TradeInError):
            t.transition(status, action)
    else:
        assert t.transition(status, action) is target


@pytest.mark.parametrize(("change", "field"), [
    ({"vin": "1HGCM82634A004352"}, "vin"), ({"vin": ""}, "vin"), ({"vin": "1HGCM82633A00435O"}, "vin"),
    ({"year": 1949}, "year"), ({"year": 2028}, "year"), ({"year": None}, "year"), ({"make": " "}, "make"),
    ({"model": ""}, "model"), ({"odometer": -1}, "odometer"), ({"odometer": 2_000_001}, "odometer"),
    ({"odometer_unit": "furlong"}, "odometer_unit"),
])
def test_vehicle_checks(change, field):
    with pytest.raises(t.TradeInError) as caught:
        t.check_vehicle(**{**CAR, **change})
    assert caught.value.field == field


def test_vehicle_normalised():
    facts = t.check_vehicle(**{**CAR, "vin": " 1hgcm82633a004352 ", "year": 2027, "make": " Honda "})
    assert (facts.vin, facts.year, facts.make, facts.description) == ("1HGCM82633A004352", 2027, "Honda", "2027 Honda Accord")


@pytest.mark.parametrize(("value", "currency", "ok"), [
    ("0", "KRW", True), ("4500000", "KRW", True), ("10.5", "KRW", False), ("-1", "KRW", False),
    ("10.25", "CAD", True), ("10.255", "CAD", False), ("NaN", "CAD", False), (None, "CAD", False),
])
def test_payoff(value, currency, ok):
    amount = None if value is None else Decimal(value)
    if ok:
        assert t.check_payoff(amount, currency) == amount
    else:
        with pytest.raises(t.TradeInError):
            t.check_payoff(amount, currency)


def test_appraisal_validity_not_in_the_past():
    assert t.check_appraisal(Decimal(0), TODAY, "KRW", TODAY) == (Decimal(0), TODAY)
    with pytest.raises(t.TradeInError, match="past"):
        t.check_appraisal(Decimal(1), date(2026, 6, 14), "KRW", TODAY)
    with pytest.raises(t.TradeInError, match="negative"):
        t.check_appraisal(Decimal(-1), TODAY, "KRW", TODAY)


def test_condition_requires_every_answer():
    answers = {"accidents": "none", "damage": "none", "service_history": "full", "keys": "two_or_more",
               "tyres": "good", "warning_lights": "no", "extra": "dropped"}
    assert "extra" not in t.check_condition(answers)
    with pytest.raises(t.TradeInError) as caught:
        t.check_condition({**answers, "keys": None})
    assert caught.value.field == "keys"


def test_expiry_at_the_dealers_local_midnight():
    # Valid through 2026-06-20 in Seoul (UTC+9): expires at 2026-06-20T15:00Z; in Toronto (UTC-4) at 2026-06-21T04:00Z.
    assert not t.is_expired(S.APPRAISED, date(2026, 6, 20), "Asia/Seoul", datetime(2026, 6, 20, 14, 59, 59, tzinfo=UTC))
    assert t.is_expired(S.APPRAISED, date(2026, 6, 20), "Asia/Seoul", datetime(2026, 6, 20, 15, 0, tzinfo=UTC))
    assert not t.is_expired(S.APPRAISED, date(2026, 6, 20), "America/Toronto", datetime(2026, 6, 21, 3, 59, tzinfo=UTC))
    assert not t.is_expired(S.REQUESTED, date(2026, 6, 20), "Asia/Seoul", datetime(2027, 1, 1, tzinfo=UTC))


def test_response_seconds_and_equity():
    assert t.response_seconds(datetime(2026, 6, 15, 3, tzinfo=UTC), datetime(2026, 6, 15, 5, 30, tzinfo=UTC)) == 9000
    assert t.equity(Decimal(3000000), Decimal(5200000)) == Decimal(-2200000)


@pytest.mark.parametrize(("changes", "grade"), [
    ({}, "excellent"), ({"accidents": "major"}, "poor"), ({"warning_lights": "yes"}, "poor"),
    ({"damage": "cosmetic"}, "good"), ({"damage": "cosmetic", "keys": "one"}, "fair"), ({"tyres": "worn"}, "good"),
])
def test_grade(changes, grade):
    base = {"accidents": "none", "damage": "none", "service_history": "full", "keys": "two_or_more", "tyres": "good",
            "warning_lights": "no"}
    assert t.grade({**base, **changes}) == grade
