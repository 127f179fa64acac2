"""Customer contact data: phone numbers normalised to E.164 for the dealer's country.

Uses Google's libphonenumber port (``phonenumbers``): a number typed as ``010-1234-5678``
at a Korean dealer becomes ``+821012345678``; the same digits at a Thai dealer are invalid.
"""

from __future__ import annotations

import phonenumbers


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number for the given country."""


def normalize_phone(raw: str, country: str) -> str:
    """Return ``raw`` as an E.164 string (``"+821012345678"``) for region ``country`` (ISO 3166 alpha-2).

    Raises ``InvalidPhoneNumber`` with a user-facing message when it cannot be parsed or is not a
    valid number in that numbering plan.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("Enter a phone number.")
    try:
        number = phonenumbers.parse(text, country.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"“{text}” is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"“{text}” is not a valid phone number for {country.upper()}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_key(raw: str, country: str) -> str | None:
    """Return the E.164 form of a search term that looks like a phone number, else None (never raises)."""
    digits = sum(ch.isdigit() for ch in raw or "")
    if digits < 6:
        return None
    try:
        return normalize_phone(raw, country)
    except InvalidPhoneNumber:
        return None


def format_phone(e164: str, country: str) -> str:
    """Return a phone number formatted for display in ``country`` (national format at home, else international).

    ``format_phone("+821043218765", "KR")`` → ``"010-4321-8765"``; in ``"CA"`` → ``"+82 10-4321-8765"``.
    ``e164`` may also be a number typed with its country code (``"+82 2-555-0123"``); text that is not
    a phone number is returned as it is.
    """
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if region == country.upper() else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)


def region_of(phone: str) -> str:
    """Return the ISO country (``"KR"``) of an international phone number, or ``""`` when it has none."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone or "", None)) or ""
    except phonenumbers.NumberParseException:
        return ""
