"""Translatable messages for domain rules: a gettext message id with named parameters, worded by the reader.

Domain code has no Flask and no locale; it still owes the dealer and the customer sentences in their
language. A rule therefore returns a ``Text``: the English message id (``%(name)s`` placeholders, marked
with ``N_`` so ``pybabel extract -k N_`` collects it) and its parameters. ``Text`` *is* a ``str`` — the
English sentence — so logs, exceptions and older callers keep working, while views, PDFs and offer
snapshots call ``render(gettext, fmt)`` in the reader's locale, or store ``as_json()`` (msgid + params)
and word it later with ``Text.from_json``.

Parameters are plain values (names, codes, counts) or typed amounts: ``Money`` (an exact Decimal with
its ISO 4217 currency) and ``Percent`` (a Decimal already rounded for display). The app's ``fmt``
formats them with Babel in the reader's locale; the English fallback here uses ``1,234,567 KRW`` and
``5%``. Nested ``Text`` parameters are rendered with the same translator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for translation extraction (``pybabel -k N_``) and return it unchanged."""
    return message


@dataclass(frozen=True, slots=True)
class Money:
    """An amount for a message: exact ``amount`` (Decimal) in ``currency`` (ISO 4217 code).

    ``shown`` is the English rendering when a rule words it its own way (``"1,500,000"``); without it
    the English text is ``"1,500,000 KRW"``. The app formats ``amount`` with Babel and ignores ``shown``.
    """

    amount: Decimal
    currency: str
    shown: str | None = None

    def __str__(self) -> str:
        if self.shown is not None:
            return self.shown
        exponent = self.amount.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return f"{self.amount:,.{places}f} {self.currency}"


@dataclass(frozen=True, slots=True)
class Percent:
    """A percentage for a message (``Decimal("6.2")`` → "6.2%"), rounded by the caller for display."""

    value: Decimal

    def __str__(self) -> str:
        text = f"{self.value:f}"
        return f"{text.rstrip('0').rstrip('.') if '.' in text else text}%"


Formatter = Callable[[Any], str]


def _english(value: Any) -> str:
    return str(value)


class Text(str):
    """A translatable sentence: ``msgid`` with ``params``; its ``str`` value is the English sentence.

    ``Text(N_("%(name)s requires %(other)s"), name="Sunroof", other="Premium package")``. Raises
    ``KeyError`` when ``msgid`` names a parameter that is not given (a programming error).
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Text:
        english = msgid % {k: _english(v) for k, v in params.items()} if params else msgid
        obj = super().__new__(cls, english)
        obj.msgid = msgid
        obj.params = dict(params)
        return obj

    def __reduce__(self):
        return (_rebuild, (self.msgid, self.params))

    def render(self, gettext: Callable[[str], str], fmt: Formatter | None = None) -> str:
        """Return the sentence in ``gettext``'s language; ``fmt`` formats ``Money``/``Percent``/numbers.

        ``gettext``: a one-argument translator (``flask_babel.gettext`` under the reader's locale).
        A translation that lost a placeholder falls back to the English sentence, never raises.
        """
        fmt = fmt or _english
        values = {k: (v.render(gettext, fmt) if isinstance(v, Text) else fmt(v)) for k, v in self.params.items()}
        translated = gettext(self.msgid)
        try:
            return translated % values if values else translated
        except (KeyError, TypeError, ValueError):
            return self.msgid % values if values else self.msgid

    def as_json(self) -> dict[str, Any]:
        """Return ``{"msgid": ..., "params": {...}}`` with JSON-ready parameters (Decimals as strings)."""
        return {"msgid": self.msgid, "params": {k: _param_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> Text | str:
        """Rebuild a ``Text`` stored by ``as_json``; a plain string (older snapshots) is returned as it is."""
        if isinstance(data, Text) or not isinstance(data, Mapping):
            return data
        params = {k: _param_load(v) for k, v in (data.get("params") or {}).items()}
        return cls(str(data.get("msgid", "")), **params)


def _rebuild(msgid: str, params: dict[str, Any]) -> Text:
    return Text(msgid, **params)


def _param_json(value: Any) -> Any:
    if isinstance(value, Text):
        return {"text": value.as_json()}
    if isinstance(value, Money):
        return {"money": str(value.amount), "currency": value.currency, "shown": value.shown}
    if isinstance(value, Percent):
        return {"percent": str(value.value)}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    return value


def _param_load(value: Any) -> Any:
    if isinstance(value, Mapping):
        if "text" in value:
            return Text.from_json(value["text"])
        if "money" in value:
            return Money(Decimal(value["money"]), str(value["currency"]), value.get("shown"))
        if "percent" in value:
            return Percent(Decimal(value["percent"]))
        if "decimal" in value:
            return Decimal(value["decimal"])
    return value


def render(value: Any, gettext: Callable[[str], str], fmt: Formatter | None = None) -> str:
    """Word ``value`` for a reader: a ``Text``, its stored JSON, or a plain string (shown as it is)."""
    if isinstance(value, Mapping) and "msgid" in value:
        value = Text.from_json(value)
    if isinstance(value, Text):
        return value.render(gettext, fmt)
    return "" if value is None else str(value)


def babel_formatter(locale: str) -> Formatter:
    """Return a ``fmt`` for ``render`` that formats parameters with Babel in ``locale`` (never rounds).

    ``Money`` → the currency's own format and minor units (``₩1,500,000``; ``1 500 000 ₩`` in ``ru``),
    ``Percent`` → the locale's percent format keeping every shown digit, ``Decimal``/``int`` → grouped
    digits; anything else → ``str``.
    """
    from babel.numbers import format_currency, format_decimal, format_percent

    def fmt(value: Any) -> str:
        if isinstance(value, Money):
            return format_currency(value.amount, value.currency, locale=locale)
        if isinstance(value, Percent):
            return format_percent(value.value / 100, locale=locale, decimal_quantization=False)
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return format_decimal(value, locale=locale, decimal_quantization=False)
        return "" if value is None else str(value)

    return fmt
