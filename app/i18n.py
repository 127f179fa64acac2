"""Locale and time-zone selection, and Babel formatting filters for templates.

Locale order: the signed-in user's preference (or the language picked on the sign-in
page), then the current dealer's locale, then the brand's default locale, then the
browser's ``Accept-Language``, then English. Time zone: dealer, else brand, else UTC.
Money is formatted by Babel in the tenant's currency with the currency's own minor units
(KRW without decimals, THB with two); formatting never rounds business amounts — the
domain layer already has.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import segno
from babel import Locale
from flask import Flask, current_app, g, request, session
from flask_babel import (
    force_locale,
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    gettext,
    lazy_gettext,
)
from flask_login import current_user
from markupsafe import Markup

from app.domain import messages
from app.domain.contact import format_phone
from app.domain.pricing.labels import customer_line_label, payment_label
from app.domain.vehicle_names import clean_title, vehicle_title
from app.extensions import babel


def available_locales() -> list[str]:
    """Return the UI languages (``config.LANGUAGES``)."""
    return current_app.config["LANGUAGES"]


def negotiate(accept: list[str], available: list[str]) -> str | None:
    """Return the first of ``accept`` (browser tags like ``"zh-CN"``, best first) that ``available`` serves.

    Simplified Chinese tags (``zh``, ``zh-CN``, ``zh-SG``, ``zh-Hans``) map to ``zh_Hans``;
    Traditional ones (``zh-TW``, ``zh-HK``, ``zh-Hant``) are not served.
    """
    for tag in accept:
        norm = tag.replace("-", "_")
        if norm in available:
            return norm
        parts = norm.split("_")
        primary = parts[0].lower()
        if primary == "zh":
            rest = {p.lower() for p in parts[1:]}
            if rest & {"hant", "tw", "hk", "mo"}:
                continue
            if "zh_Hans" in available:
                return "zh_Hans"
        elif primary in available:
            return primary
    return None


def select_locale() -> str:
    """Flask-Babel locale selector (see module docstring for the order)."""
    available = available_locales()
    if current_user and current_user.is_authenticated and current_user.preferred_locale in available:
        return current_user.preferred_locale
    if session.get("locale") in available:
        return session["locale"]
    if g.get("offer_locale") in available:  # a customer opening their offer link
        return g.offer_locale
    dealer = g.get("dealer")
    if dealer is not None and dealer.locale in available:
        return dealer.locale
    brand = g.get("brand")
    if brand is not None and brand.default_locale in available:
        return brand.default_locale
    return negotiate([value for value, _q in request.accept_languages], available) or "en"


def select_timezone() -> str:
    """Flask-Babel time-zone selector: the dealer's, else the brand's, else UTC."""
    dealer = g.get("dealer")
    if dealer is not None:
        return dealer.timezone
    brand = g.get("brand")
    if brand is not None:
        return brand.timezone
    return "UTC"


def tenant_currency() -> str | None:
    """Return the currency of the dealer or brand in scope, if any."""
    dealer = g.get("dealer")
    if dealer is not None:
        return dealer.currency
    brand = g.get("brand")
    return brand.currency if brand is not None else None


def money(amount: Decimal | int | str | None, currency: str | None = None) -> str:
    """Format ``amount`` in ``currency`` (default: the tenant's) for the current locale; None → empty.

    Strings (exact Decimals from offer snapshots) are converted with ``Decimal``, never ``float``.
    """
    if amount is None or amount == "":
        return ""
    if isinstance(amount, str):
        amount = Decimal(amount)
    code = currency or tenant_currency()
    if code is None:
        return format_decimal(amount)
    return format_currency(amount, code)


def format_param(value) -> str:
    """Format one parameter of a domain message for the current locale (``messages.babel_formatter``)."""
    locale = get_locale()
    return messages.babel_formatter(str(locale) if locale else "en")(value)


def tr(value, locale: str | None = None) -> str:
    """Word a domain message for the reader: a ``messages.Text``, its stored JSON, or a plain string.

    ``locale``: the reader's language when it is not the request's (the customer of an offer);
    None → the current locale. Plain strings (older snapshots, user-typed text) are returned as they are.
    """
    if locale:
        with force_locale(locale):
            return messages.render(value, gettext, format_param)
    return messages.render(value, gettext, format_param)


def error_message(exc: BaseException) -> str:
    """Word a refused step's message (a service or domain error) for the reader, in the current locale.

    The message is a ``messages.Text`` (msgid and parameters), an error with ``msgid``/``params``
    attributes (``HandoverError``), or an English literal extracted by its error class's keyword
    (``Makefile``: ``-k OfferError``…) and translated here; anything else is shown as it is.
    """
    message = exc.args[0] if exc.args else ""
    if isinstance(message, messages.Text):
        return tr(message)
    msgid = getattr(exc, "msgid", None)
    if isinstance(msgid, str) and msgid:
        params = getattr(exc, "params", None) or {}
        return tr(messages.Text(msgid, **params))
    return gettext(str(message)) if message else ""


def phone(number: str | None) -> str:
    """Format a phone number for the reader (Jinja ``|phone``): national format in the dealer's or brand's
    country, international elsewhere (``domain.contact.format_phone``); None → empty."""
    if not number:
        return ""
    tenant = g.get("dealer") or g.get("brand")
    return format_phone(number, getattr(tenant, "country", "") or "")


def name_label(obj) -> str:
    """Return a catalog or promotion name in the reader's language (Jinja ``|label``).

    ``obj``: a model with ``label(locale)`` (``Translatable``, ``Promotion``) or a published-catalog dict
    with ``name`` and ``name_i18n``; the marketer's translation, else the canonical name.
    """
    if obj is None:
        return ""
    locale = get_locale()
    code = str(locale) if locale else "en"
    label = getattr(obj, "label", None)
    if callable(label):
        return label(code)
    if isinstance(obj, dict):
        from app.models.catalog import localized

        return localized(obj.get("name_i18n"), code, obj.get("name", ""))
    return str(getattr(obj, "name", obj))


def qr_svg(data: str) -> Markup:
    """Return an inline SVG QR code for ``data`` (a customer link) using segno; safe to embed."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return Markup(buffer.getvalue().decode())  # noqa: S704 - segno output, no user markup


def language_name(code: str) -> str:
    """Return a language's own name, e.g. ``ko`` → ``한국어``, ``zh_Hans`` → ``中文 (简体)``."""
    return Locale.parse(code).get_display_name(code)


#: Customer timeline event kinds (``CustomerEvent.kind``) → their label; unknown kinds show a generic label.
CUSTOMER_EVENT_LABELS = {
    "created": lazy_gettext("Created"),
    "updated": lazy_gettext("Updated"),
    "note": lazy_gettext("Note"),
    "merged": lazy_gettext("Merged"),
    "reassigned": lazy_gettext("Reassigned"),
    "offer_created": lazy_gettext("Offer created"),
    "offer_amended": lazy_gettext("Offer amended"),
    "offer_submitted": lazy_gettext("Offer sent for approval"),
    "offer_sent": lazy_gettext("Offer sent to the customer"),
    "offer_withdrawn": lazy_gettext("Offer withdrawn"),
    "offer_accepted": lazy_gettext("Offer accepted"),
    "offer_declined": lazy_gettext("Offer declined"),
    "reservation_requested": lazy_gettext("Reservation requested"),
    "deal_cancelled": lazy_gettext("Deal cancelled"),
}


def customer_event_label(kind: str) -> str:
    """Return the reader's label of a customer timeline event kind (never the raw code)."""
    label = CUSTOMER_EVENT_LABELS.get(kind)
    return str(label) if label is not None else gettext("Activity")


def _dt(value: datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_datetime(value, fmt)


def _d(value: date | None, fmt: str = "medium") -> str:
    return "" if value is None else format_date(value, fmt)


def _payment_label(payment) -> str:
    """Word a payment scenario's label in the current locale (``domain.pricing.labels``)."""
    return payment_label(payment, gettext)


def _line_label(line, vehicle=None) -> str:
    """Word an offer line as the customer reads it, in the current locale (``domain.pricing.labels``).

    ``line``: a priced ``Line`` or its snapshot dict; its label may be a stored message (``tr``).
    """
    def get(key):
        return line.get(key) if isinstance(line, dict) else getattr(line, key, None)

    kind = get("kind")
    return customer_line_label({"kind": getattr(kind, "value", kind), "label": tr(get("label") or "")}, gettext, vehicle)


def init_app(app: Flask) -> None:
    """Initialise Flask-Babel and register the formatting filters."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters.update(money=money, datetime=_dt, date=_d, number=format_decimal, qr_svg=qr_svg, tr=tr,
                                 label=name_label, vehicle_name=clean_title, phone=phone)
    app.jinja_env.globals.update(vehicle_title=vehicle_title, line_label=_line_label)
    app.jinja_env.globals.update(language_name=language_name, available_locales=available_locales,
                                 payment_label=_payment_label, customer_event_label=customer_event_label)

    @app.context_processor
    def _locale_context():
        locale = get_locale()
        return {"current_locale": str(locale) if locale else "en", "text_direction": "ltr"}
