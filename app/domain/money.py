"""Money as ``Decimal`` with an ISO 4217 currency.

Rule (used by every domain module): amounts are carried at full precision while
computing and rounded **once** per line to the currency's minor unit with
``ROUND_HALF_UP`` (the commercial rounding used on invoices in KR, TH, CA).
Minor units come from Babel's CLDR data (``get_currency_precision``): KRW and JPY
have 0, THB, CAD, USD and EUR have 2.

Floats are refused everywhere: ``to_decimal(0.1)`` raises ``TypeError`` because a
binary float cannot represent most prices exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision

ZERO = Decimal("0")


class MoneyError(ValueError):
    """Raised for an amount that is not a finite number or a currency that is not ISO 4217."""


def minor_units(currency: str) -> int:
    """Return the number of decimal places of ``currency`` (ISO 4217 code, e.g. ``"KRW"`` → 0).

    Raises ``MoneyError`` for a code that is not three upper-case letters.
    Source: CLDR via Babel (``babel.numbers.get_currency_precision``).
    """
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise MoneyError(f"Not an ISO 4217 currency code: {currency!r}")
    return _precision(currency)


@lru_cache(maxsize=64)
def _precision(currency: str) -> int:
    # CLDR data does not change while the process runs; Babel's lookup dominated pricing profiles.
    return get_currency_precision(currency)


@lru_cache(maxsize=64)
def quantum(currency: str) -> Decimal:
    """Return the smallest unit of ``currency`` as a Decimal exponent (``Decimal("0.01")``, ``Decimal("1")``)."""
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert ``value`` (Decimal, int or numeric string) to a finite ``Decimal``.

    Raises ``TypeError`` for floats and ``MoneyError`` for text that is not a finite number.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("Money must not be a float or bool; pass a Decimal, int or string")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise MoneyError(f"Not a number: {value!r}") from exc
    else:
        raise TypeError(f"Unsupported money value type: {type(value).__name__}")
    if not result.is_finite():
        raise MoneyError(f"Not a finite number: {value!r}")
    return result


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round ``amount`` to the minor unit of ``currency``, half-up (e.g. 1.005 THB → 1.01, 1500.5 KRW → 1501)."""
    return to_decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency, always held rounded to the currency's minor unit.

    ``Money("1234.565", "THB").amount == Decimal("1234.57")``. Arithmetic between
    different currencies raises ``MoneyError``.
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str, currency: str) -> None:
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", round_money(amount, currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return 0 in ``currency``."""
        return cls(0, currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Can only combine Money with Money")
        if other.currency != self.currency:
            raise MoneyError(f"Currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def is_zero(self) -> bool:
        """Return True when the amount is exactly zero."""
        return self.amount == ZERO
