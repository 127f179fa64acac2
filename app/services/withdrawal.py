"""Membership withdrawal: irreversible anonymisation of a customer's personal data.

What is erased: the customer row's name, e-mail, phone, birth date, address, notes and consent
texts; the text of their timeline events; outbox mails addressed to them (recipients, subject and
bodies, attachments dropped); and every audit before/after summary of their dealer that quotes
their old name, e-mail or phone. What stays: ids, dates, amounts and the rows themselves, so
offers and contracts keep their figures for accounting. Other areas register more erasers with
``register`` (offers, deals) — each gets ``(session, customer, old_values)``.

Nothing is hashed or kept that would let the customer be found again by their old details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.audit import AuditEvent
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.mail import OutboxMessage
from app.services import audit

REDACTED = "[withdrawn]"
Eraser = Callable[[Session, Customer, list[str]], None]
_ERASERS: list[Eraser] = []


class AlreadyWithdrawn(ValueError):
    """The customer was already anonymised."""


def register(eraser: Eraser) -> Eraser:
    """Add an eraser run on every withdrawal (decorator); it receives the old identifying strings."""
    _ERASERS.append(eraser)
    return eraser


def scrub(value: Any, needles: list[str]) -> tuple[Any, bool]:
    """Return ``value`` with every needle replaced (strings, dict/list values recursively)."""
    if isinstance(value, str):
        new = value
        for needle in needles:
            if needle and needle.lower() in new.lower():
                index = new.lower().find(needle.lower())
                while index >= 0:
                    new = new[:index] + REDACTED + new[index + len(needle):]
                    index = new.lower().find(needle.lower(), index + len(REDACTED))
        return new, new != value
    if isinstance(value, dict):
        changed = False
        out = {}
        for k, v in value.items():
            out[k], c = scrub(v, needles)
            changed = changed or c
        return out, changed
    if isinstance(value, list):
        items = [scrub(v, needles) for v in value]
        return [v for v, _c in items], any(c for _v, c in items)
    return value, False


def withdraw_customer(session: Session, customer: Customer) -> Customer:
    """Anonymise ``customer`` everywhere for good; raises ``AlreadyWithdrawn`` on a second call.

    The audit event recorded for the withdrawal names only the customer id.
    """
    if customer.withdrawn_at is not None:
        raise AlreadyWithdrawn("This customer has already withdrawn.")
    phone_digits = (customer.phone_e164 or "").lstrip("+")
    needles = [n for n in {customer.full_name, customer.email or "", customer.phone_e164 or "", phone_digits,
                           customer.street} if n and len(n) >= 4]
    needles.sort(key=len, reverse=True)  # longest first: "+8210…" before its digits
    customer.full_name = REDACTED
    customer.email = None
    customer.phone_e164 = None
    customer.birth_date = None
    customer.street = customer.city = customer.region = customer.postal_code = ""
    customer.notes = ""
    customer.preferred_locale = None
    customer.marketing_consent = False
    customer.withdrawn_at = utcnow()
    for event in customer.events:
        event.summary = REDACTED
    for message in session.scalars(
        select(OutboxMessage).where(OutboxMessage.dealer_id == customer.dealer_id)
    ).all():
        scrubbed, changed = scrub(message.recipients, needles)
        if changed:
            message.recipients = REDACTED
            message.subject = REDACTED
            message.body_text = REDACTED
            message.body_html = None
            message.attachments.clear()
        else:
            for attr in ("subject", "body_text", "body_html"):
                value, changed = scrub(getattr(message, attr), needles)
                if changed:
                    setattr(message, attr, value)
    for event in session.scalars(select(AuditEvent).where(AuditEvent.dealer_id == customer.dealer_id)).all():
        for attr in ("before", "after"):
            value, changed = scrub(getattr(event, attr), needles)
            if changed:
                setattr(event, attr, value)
    for eraser in _ERASERS:
        eraser(session, customer, needles)
    session.flush()
    audit.record(session, "customer_withdrawn", customer, after={"withdrawn": True}, dealer_id=customer.dealer_id)
    return customer
