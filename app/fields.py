"""Bounded WTForms number fields: every form of the portal uses these instead of WTForms' own.

``DecimalField`` refuses ``NaN``/``Infinity``, exponents (``1e400``) and numbers that do not fit
the column it is saved to (``Numeric(max_digits, scale)``; money ``Numeric(14, 2)`` by default).
``IntegerField`` refuses numbers outside ``minimum … maximum`` (a 32-bit ``INTEGER`` column by
default). ``coerce_int`` is the ``coerce=`` of select fields of ids. The parsing itself lives in
``app.input`` (one decimal parser for the whole portal); these classes only turn its
``InputError`` into the form field's error. Control characters never reach a form: the request
guard of ``app.input`` refuses them first.
"""

from __future__ import annotations

from flask_babel import gettext
from wtforms import fields

from app.input import INT32_MAX, INT32_MIN, InputError, NumberTooLarge, check_decimal, coerce_int, parse_decimal

__all__ = ["DecimalField", "IntegerField", "coerce_int"]


class DecimalField(fields.DecimalField):
    """A decimal that fits ``Numeric(max_digits, scale)``; WTForms' messages for empty or unreadable input stay."""

    def __init__(self, label=None, validators=None, *, max_digits: int = 14, scale: int = 2, **kwargs) -> None:
        super().__init__(label, validators, **kwargs)
        self.max_digits, self.scale = max_digits, scale

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        if valuelist and self.data is not None:
            self.data = self.bounded(valuelist[0])

    def bounded(self, raw: str):
        """Return ``raw`` parsed by ``app.input.parse_decimal`` (``ValueError`` with the user's message if refused)."""
        try:
            return parse_decimal(raw, max_digits=self.max_digits, places=self.scale)
        except InputError as exc:
            self.data = None
            raise ValueError(self._message(exc)) from exc

    def check(self, value):
        """Return an already parsed ``value`` if it fits the column (``ValueError`` with the user's message if not)."""
        try:
            return check_decimal(value, max_digits=self.max_digits, places=self.scale)
        except InputError as exc:
            self.data = None
            raise ValueError(self._message(exc)) from exc

    def _message(self, error: InputError) -> str:
        if isinstance(error, NumberTooLarge):
            return str(error)
        return str(self.invalid_value_message or self.gettext("Not a valid decimal value."))


class IntegerField(fields.IntegerField):
    """A whole number within ``minimum … maximum`` (default: what an ``INTEGER`` column holds)."""

    def __init__(self, label=None, validators=None, *, minimum: int = INT32_MIN, maximum: int = INT32_MAX,
                 **kwargs) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist) -> None:
        if valuelist and isinstance(valuelist[0], str) and len(valuelist[0]) > 64:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)
        if self.data is not None and not self.minimum <= self.data <= self.maximum:
            self.data = None
            raise ValueError(gettext("Enter a whole number from %(minimum)s to %(maximum)s.", minimum=self.minimum,
                                     maximum=self.maximum))
