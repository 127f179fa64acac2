"""Hostile input, refused once at the edge: control characters, unbounded numbers, deep JSON.

Every value a browser or an API client sends passes here before a view, a form or a service sees
it, so PostgreSQL never receives what it refuses (a NUL byte in text, a number that overflows a
``Numeric(p, s)`` or ``INTEGER`` column) and Python never recurses through a 50,000-deep JSON body.

* **Control characters are refused, not stripped.** ``init_app`` installs a ``before_request``
  guard that answers 400 with a translated message when the URL path, a query parameter or a form
  field (name or value, upload file names included) holds a C0 control character other than tab,
  CR and LF, or a lone UTF-16 surrogate. Stripping would silently save something other than what
  was typed; a NUL byte in a name field is never a typo worth keeping.
* **Decimals** (:func:`parse_decimal`, :func:`check_decimal`) must be finite, written without an
  exponent, and fit the column: at most ``max_digits - places`` digits before the point
  (``Numeric(14, 2)`` money: 12) and :data:`MAX_SIGNIFICANT` digits in all. Extra decimals beyond
  ``places`` are not refused here (the column rounds; ``MoneyField`` refuses them per currency).
* **Integers** (:func:`parse_int`, :func:`coerce_int`, :func:`parse_ids`) fit a 32-bit signed
  ``INTEGER`` column: :data:`INT32_MIN` … :data:`INT32_MAX`.
* **JSON** (:func:`load_json`) is refused above ``max_depth`` levels of nesting before it is
  parsed (Python's parser raises ``RecursionError`` near 1,000 levels), with ``NaN``/``Infinity``.

This module holds the one decimal parser of the forms (``app.fields.DecimalField`` calls it): a
locale-aware grouped money input should add its separator handling in front of
:func:`parse_decimal`, not beside it.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from flask import Flask, Request, request
from flask_babel import gettext
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

#: The range of a PostgreSQL/SQLite ``INTEGER`` column (and of every id in this schema).
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: Digits a decimal may have in all: the default ``decimal`` context precision, so arithmetic stays exact.
MAX_SIGNIFICANT = 28
#: Characters a number may be written with (spaces and separators included): longer is never a price.
MAX_NUMBER_CHARS = 64
#: Nesting levels an API body may have (an inventory upsert needs 3: object, items list, item).
MAX_JSON_DEPTH = 32

# C0 controls except tab (09), LF (0A) and CR (0D); lone surrogates cannot be stored as UTF-8.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class InputError(ValueError):
    """A value the portal refuses; ``str(error)`` is the translated message for the user."""


class NumberTooLarge(InputError):
    """A readable number that does not fit its column (forms keep their own "not a number" wording otherwise)."""


def has_control_chars(text: str) -> bool:
    """Return True when ``text`` holds a C0 control character (not tab/CR/LF) or a lone surrogate."""
    return bool(_FORBIDDEN.search(text))


def check_decimal(value: Decimal, *, max_digits: int = 14, places: int = 2) -> Decimal:
    """Return ``value`` if it is finite and fits ``Numeric(max_digits, places)``; else raise :class:`InputError`.

    Fits means at most ``max_digits - places`` digits before the point and :data:`MAX_SIGNIFICANT`
    significant digits in all (more decimals than ``places`` are left to the column's rounding).
    """
    if not value.is_finite():
        raise InputError(gettext("Enter a number, e.g. 1500 or 1500.50."))
    sign, digits, exponent = value.as_tuple()
    whole_digits = len(digits) + exponent if value else 0
    if whole_digits > max_digits - places or (len(digits) > MAX_SIGNIFICANT and value):
        raise NumberTooLarge(gettext("This number is too large (at most %(digits)s digits before the decimal point).",
                                 digits=max_digits - places))
    return value


def parse_decimal(raw: str, *, max_digits: int = 14, places: int = 2) -> Decimal:
    """Parse a plain decimal as typed (``"1500"``, ``"-3.25"``, ``".5"``) that fits ``Numeric(max_digits, places)``.

    Surrounding whitespace is ignored. Exponents (``1e400``), ``NaN``, ``Infinity``, separators and
    over-long text raise :class:`InputError` with a translated message; see :func:`check_decimal`.
    """
    text = raw.strip()
    if len(text) > MAX_NUMBER_CHARS or not _PLAIN_DECIMAL.match(text):
        raise InputError(gettext("Enter a number, e.g. 1500 or 1500.50."))
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # unreachable after the pattern; kept so no Python error text escapes
        raise InputError(gettext("Enter a number, e.g. 1500 or 1500.50.")) from exc
    return check_decimal(value, max_digits=max_digits, places=places)


def in_int_range(value: int, minimum: int = INT32_MIN, maximum: int = INT32_MAX) -> bool:
    """Return True when ``value`` lies in ``minimum … maximum`` (default: a 32-bit ``INTEGER`` column)."""
    return minimum <= value <= maximum


def parse_int(raw: str, *, minimum: int = INT32_MIN, maximum: int = INT32_MAX) -> int:
    """Parse a whole number (ASCII digits, optional sign) within ``minimum … maximum``; else :class:`InputError`."""
    text = raw.strip()
    if len(text) > MAX_NUMBER_CHARS or not re.fullmatch(r"[+-]?[0-9]+", text):
        raise InputError(gettext("Enter a whole number."))
    value = int(text)
    if not in_int_range(value, minimum, maximum):
        raise InputError(gettext("Enter a whole number from %(minimum)s to %(maximum)s.", minimum=minimum,
                                 maximum=maximum))
    return value


def coerce_int(value) -> int:
    """``coerce=`` for select fields of ids: ``int(value)`` that raises ``ValueError`` outside a 32-bit column."""
    number = int(value)
    if not in_int_range(number):
        raise ValueError("outside an INTEGER column")  # WTForms answers "Invalid Choice: could not coerce."
    return number


def parse_ids(values) -> list[int]:
    """Return the positive 32-bit ids among posted ``values`` (ticked rows); anything else is dropped."""
    ids = []
    for raw in values:
        text = (raw or "").strip()
        if text.isascii() and text.isdigit() and len(text) <= 10 and in_int_range(int(text), 1):
            ids.append(int(text))
    return ids


def json_depth(text: str) -> int:
    """Return the deepest nesting of arrays/objects in JSON ``text`` (brackets inside strings not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed")


class JsonNumberRefused(InputError):
    """Valid JSON holding a number the portal cannot store (too long, too large or too small): 422, not 400."""


def load_json(text: str, *, max_depth: int = MAX_JSON_DEPTH):
    """Parse JSON ``text`` with floats as ``Decimal``; raise :class:`InputError` for invalid, deep or non-finite input.

    The depth is checked before parsing so the parser never recurses ``max_depth`` + 1 levels;
    ``NaN``/``Infinity`` literals are refused, numbers with huge exponents too (``1e400``).
    Messages are English: the API speaks English (its error bodies are for integrators).
    """
    if json_depth(text) > max_depth:
        raise InputError(f"The JSON body is nested deeper than {max_depth} levels.")
    try:
        return json.loads(text, parse_float=_json_decimal, parse_constant=_refuse_constant)
    except _NumberOutOfRange as exc:
        raise JsonNumberRefused("The body holds a number too long, too large or too small to store.") from exc
    except (ValueError, RecursionError) as exc:
        raise InputError("The body is not valid JSON.") from exc


class _NumberOutOfRange(Exception):  # noqa: N818 - internal signal out of json.loads, not a ValueError it would wrap
    pass


def _json_decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberOutOfRange(text[:20])
    value = Decimal(text)
    if not value.is_finite() or abs(value.adjusted()) > 100:
        raise _NumberOutOfRange(text[:20])
    return value


def _request_has_control_chars() -> bool:
    if has_control_chars(request.path):
        return True
    # Only form bodies are parsed here: touching ``request.form`` of a JSON body would open the input
    # stream before the API's own body limit is set (JSON strings are checked by the API's parser).
    sources = (request.args, request.form) if request.mimetype in _FORM_TYPES else (request.args,)
    for source in sources:
        for key, values in source.lists():
            if has_control_chars(key) or any(has_control_chars(v) for v in values):
                return True
    return request.mimetype in _FORM_TYPES and any(
        has_control_chars(key) or has_control_chars(f.filename or "") for key, f in request.files.items(multi=True))


class BoundedParameters(ImmutableMultiDict):
    """Query and form parameters whose ``get(..., type=int)`` treats a number outside ``INTEGER`` as unreadable."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        value = super().get(key, default=default, type=type)
        if type is int and isinstance(value, int) and value is not default and not in_int_range(value):
            return default
        return value

    def getlist(self, key, type=None):  # noqa: A002 - werkzeug's signature
        values = super().getlist(key, type=type)
        if type is int:
            return [v for v in values if in_int_range(v)]
        return values


class PortalRequest(Request):
    """The portal's request: query and form parameters are :class:`BoundedParameters`."""

    parameter_storage_class = BoundedParameters


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` URL parts: an id past ``INTEGER`` matches no route (404), never reaches a query."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT32_MAX, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Bound ``<int:>`` URL parts and ``type=int`` parameters; refuse control characters in path, query and form (400).

    Call before any blueprint is registered (URL rules read the converters when they are added).
    """
    app.request_class = PortalRequest
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.before_request
    def _refuse_control_characters():
        if _request_has_control_chars():
            raise BadRequest(description=gettext(
                "The request contains control characters (such as a NUL byte). Remove them and try again."))
