"""Shared WTForms fields: amounts shown grouped in the reader's locale and read back the same way.

``MoneyField`` shows ``9,000,000`` (``9 000 000`` in ``ru``) for a KRW amount — the currency's minor
units (KRW 0, THB 2: ``9,000,000.00``), never ``9000000.00`` — and accepts what it shows: the
locale's group and decimal separators (Babel's ``parse_decimal``, strict), plain digits, spaces and
underscores between digit groups. ``NaN``, infinities and exponents are refused as not a number.
The pure helpers ``format_amount`` and ``parse_amount`` are usable without a form.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal
from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import get_locale
from wtforms.widgets import TextInput

from app.domain.money import minor_units, quantum
from app.fields import DecimalField


def _locale() -> str:
    locale = get_locale()
    return str(locale) if locale else "en"


def format_amount(value: Decimal | int, places: int | None, locale: str) -> str:
    """Return ``value`` grouped in ``locale`` with exactly ``places`` decimals (None: as many as it has).

    ``format_amount(Decimal("9000000.00"), 0, "ko")`` → ``"9,000,000"``; ``(…, 2, "ru")`` →
    ``"9 000 000,00"`` (no-break spaces). Rounds half-even only when ``value`` has more decimals than ``places``.
    """
    if places is None:
        return babel_format_decimal(value, locale=locale, decimal_quantization=False)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return babel_format_decimal(Decimal(value), format=pattern, locale=locale)


def parse_amount(text: str, locale: str) -> Decimal | None:
    """Return the number typed in ``text`` as read in ``locale``; blank → None.

    ``"9,000,000"`` (ko) → 9000000; ``"1 500 000,50"`` (ru) → 1500000.50. Raises ``ValueError`` for
    anything else: letters, misplaced separators (``"1,5"`` in en), exponents, ``NaN``/``Infinity``.
    """
    raw = (text or "").strip().replace("_", "")
    if not raw:
        return None
    group = get_group_symbol(locale)
    spaces = (" ", "\u00a0", "\u202f")
    raw = "".join(group if ch in spaces else ch for ch in raw) if group in spaces else "".join(
        ch for ch in raw if ch not in spaces)
    if any(ch in raw for ch in "eE") or not any(ch.isdigit() for ch in raw):
        raise ValueError(raw)
    try:
        value = parse_decimal(raw, locale=locale, strict=True)
    except NumberFormatError as exc:
        raise ValueError(raw) from exc
    if not value.is_finite():
        raise ValueError(raw)
    return value


class AmountField(DecimalField):
    """A number typed in the reader's locale (grouped or not), shown grouped with the digits it has.

    Bounded like every number field (``app.fields.DecimalField``): the value must fit its column
    (``max_digits``/``scale``, money ``Numeric(14, 2)`` by default).
    """

    widget = TextInput()
    #: Decimals shown for a value the form was given (None: as many as the value has).
    places_shown: int | None = None

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("places", None)
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("inputmode", "decimal")
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def shown_places(self) -> int | None:
        """Return the decimals to show (subclasses: the currency's minor units)."""
        return self.places_shown

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        try:
            value = parse_amount(valuelist[0], _locale())
        except ValueError as exc:
            self.data = None
            raise ValueError(self.gettext("Enter a number, e.g. 1500 or 1500.50.")) from exc
        self.data = None if value is None else self.check(value)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal | int) and not isinstance(self.data, bool):
            return format_amount(self.data, self.shown_places(), _locale())
        return ""


class MoneyField(AmountField):
    """An amount in ``currency`` (default: the dealer's or brand's), shown at its minor units.

    ``9000000.00`` KRW prefills as ``9,000,000``; THB keeps two decimals. ``currency`` may be a code or
    a callable returning one (the form's tenant at render time).
    """

    def __init__(self, *args, currency=None, **kwargs) -> None:
        self.currency = currency
        super().__init__(*args, **kwargs)

    def currency_code(self) -> str | None:
        """Return the currency of the amount: the field's own, else the tenant's."""
        if callable(self.currency):
            return self.currency()
        if self.currency:
            return self.currency
        from app.i18n import tenant_currency

        return tenant_currency()

    def shown_places(self) -> int | None:
        code = self.currency_code()
        if not code:
            return None
        places = minor_units(code)
        if isinstance(self.data, Decimal) and self.data != self.data.quantize(quantum(code)):
            return None  # never hide digits the currency does not have: show the value as it is
        return places
