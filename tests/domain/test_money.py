from decimal import Decimal

import pytest

from app.domain.money import Money, MoneyError, minor_units, round_money, to_decimal


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1500.5", "KRW", Decimal("1501")),
        ("1500.49", "KRW", Decimal("1500")),
        ("1.005", "THB", Decimal("1.01")),
        ("1.004", "THB", Decimal("1.00")),
        ("-2.5", "KRW", Decimal("-3")),  # half-up is away from zero in Decimal's ROUND_HALF_UP
        ("19999.995", "CAD", Decimal("20000.00")),
    ],
)
def test_round_money_half_up(amount, currency, expected):
    assert round_money(amount, currency) == expected


def test_minor_units_from_cldr():
    assert minor_units("KRW") == 0
    assert minor_units("THB") == 2
    with pytest.raises(MoneyError):
        minor_units("won")


def test_floats_refused():
    with pytest.raises(TypeError):
        to_decimal(0.1)
    with pytest.raises(MoneyError):
        to_decimal("abc")
    with pytest.raises(MoneyError):
        to_decimal("NaN")


def test_money_arithmetic_and_currency_mismatch():
    assert (Money("10.10", "THB") + Money("0.905", "THB")).amount == Decimal("11.01")
    with pytest.raises(MoneyError):
        Money(1, "THB") + Money(1, "KRW")
