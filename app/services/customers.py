"""Customer records of one dealership: search, create, edit, notes, duplicates and merge.

Every query runs inside the request's tenant scope (the ORM listener limits it to the current
dealer); the explicit ``dealer_id`` filters are a second guard, not the only one. E-mail is stored
lower-cased and phones in E.164 for the dealer's country (``app.domain.contact``), so search and
duplicate detection compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.database import LIKE_ESCAPE, contains_text, like_pattern
from app.domain.contact import normalize_phone, phone_search_key
from app.models.accounts import Dealer, Membership, User
from app.models.base import utcnow
from app.models.customers import Customer, CustomerEvent
from app.services import audit

#: Fields a customer form edits; used for the audit before/after summary.
EDITABLE = [
    "full_name",
    "email",
    "phone_e164",
    "preferred_locale",
    "assigned_consultant_id",
    "marketing_consent",
    "privacy_notice_version",
    "notes",
]


class CustomerError(ValueError):
    """A customer change refused; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class CustomerInput:
    """What a customer form submits: ``phone`` as typed (normalised here), ``email`` as typed."""

    full_name: str
    email: str = ""
    phone: str = ""
    preferred_locale: str | None = None
    assigned_consultant_id: int | None = None
    marketing_consent: bool = False
    privacy_notice_version: str = ""
    privacy_accepted: bool = False
    notes: str = ""


def search(session: Session, dealer: Dealer, term: str, *, limit: int = 50) -> list[Customer]:
    """Return the dealer's live customers whose name, e-mail or phone matches ``term``, newest first.

    Name and e-mail match case-insensitively as substrings; a term that reads as a phone number for the
    dealer's country (``phone_search_key``) also matches that exact E.164 number, and its digits match
    as a substring of stored numbers. Merged and withdrawn records are left out. Empty term → the
    ``limit`` most recently updated customers.
    """
    term = (term or "").strip()
    query = select(Customer).where(
        Customer.dealer_id == dealer.id, Customer.merged_into_id.is_(None), Customer.withdrawn_at.is_(None)
    )
    if term:
        conditions = [contains_text(Customer.full_name, term), contains_text(Customer.email, term)]
        e164 = phone_search_key(term, dealer.country)
        if e164:
            conditions.append(Customer.phone_e164 == e164)
        digits = "".join(ch for ch in term if ch.isdigit())
        if len(digits) >= 4:
            conditions.append(Customer.phone_e164.like(like_pattern(digits.lstrip("0") or digits), escape=LIKE_ESCAPE))
        query = query.where(or_(*conditions))
    return list(session.scalars(query.order_by(Customer.updated_at.desc(), Customer.id.desc()).limit(limit)))


def consultants(session: Session, dealer: Dealer) -> list[User]:
    """Return the dealer's active staff who can be assigned customers, by name.

    ``Membership`` is not tenant-owned (it links users to any scope), so the dealer filter is explicit here.
    """
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.dealer_id == dealer.id, Membership.active.is_(True), User.active.is_(True))
        .order_by(User.name)
    )
    return list(session.scalars(query))


def normalise_input(session: Session, dealer: Dealer, data: CustomerInput) -> dict:
    """Return the column values for ``data`` (trimmed name, lower-cased e-mail, E.164 phone); raises ``CustomerError``."""
    name = (data.full_name or "").strip()
    if not name:
        raise CustomerError(_l("Enter the customer's name."), "full_name")
    email = User.normalize_email(data.email) or None
    phone = None
    if (data.phone or "").strip():
        try:
            phone = normalize_phone(data.phone, dealer.country)
        except ValueError as exc:
            raise CustomerError(
                _l("This is not a valid phone number for %(country)s.", country=dealer.country), "phone"
            ) from exc
    if not email and not phone:
        raise CustomerError(_l("Enter an e-mail address or a phone number."), "email")
    consultant_id = data.assigned_consultant_id or None
    if consultant_id is not None and consultant_id not in {u.id for u in consultants(session, dealer)}:
        raise CustomerError(_l("Choose a consultant of this dealership."), "assigned_consultant_id")
    return {
        "full_name": name,
        "email": email,
        "phone_e164": phone,
        "preferred_locale": data.preferred_locale or None,
        "assigned_consultant_id": consultant_id,
        "marketing_consent": bool(data.marketing_consent),
        "privacy_notice_version": (data.privacy_notice_version or "").strip(),
        "notes": data.notes or "",
    }


def find_duplicates(
    session: Session, dealer: Dealer, *, email: str | None, phone_e164: str | None, exclude_id: int | None = None
) -> list[Customer]:
    """Return the dealer's live customers with the same e-mail (case-insensitive) or the same E.164 phone."""
    conditions = []
    if email:
        conditions.append(Customer.email == User.normalize_email(email))
    if phone_e164:
        conditions.append(Customer.phone_e164 == phone_e164)
    if not conditions:
        return []
    query = select(Customer).where(
        Customer.dealer_id == dealer.id, Customer.merged_into_id.is_(None), Customer.withdrawn_at.is_(None), or_(*conditions)
    )
    if exclude_id is not None:
        query = query.where(Customer.id != exclude_id)
    return list(session.scalars(query.order_by(Customer.created_at, Customer.id)))


def add_event(session: Session, customer: Customer, kind: str, summary: str = "", *, actor: User | None = None) -> CustomerEvent:
    """Append one timeline event to ``customer``."""
    event = CustomerEvent(
        customer=customer, dealer_id=customer.dealer_id, kind=kind, summary=summary, actor_user_id=actor.id if actor else None
    )
    session.add(event)
    return event


def _stamp_consents(customer: Customer, data: CustomerInput, values: dict, now: datetime, *, was_consenting: bool, old_version: str,
                    actor: User | None) -> None:
    """Time-stamp a newly given marketing consent and a newly accepted privacy notice version, and who recorded each."""
    if values["marketing_consent"] and not was_consenting:
        customer.marketing_consent_at = now
        customer.marketing_consent_recorded_by_id = actor.id if actor else None
    elif not values["marketing_consent"]:
        customer.marketing_consent_at = None
        customer.marketing_consent_recorded_by_id = None
    if not data.privacy_accepted:
        customer.privacy_accepted_at = None
        customer.privacy_recorded_by_id = None
    elif values["privacy_notice_version"] and (customer.privacy_accepted_at is None or old_version != values["privacy_notice_version"]):
        customer.privacy_accepted_at = now
        customer.privacy_recorded_by_id = actor.id if actor else None


def create_customer(
    session: Session, dealer: Dealer, data: CustomerInput, *, actor: User | None = None, allow_duplicate: bool = False
) -> Customer:
    """Create a customer of ``dealer`` with a ``created`` timeline event.

    Raises ``CustomerError`` (field ``full_name``, ``email``, ``phone`` or ``assigned_consultant_id``) for a
    missing name, no contact at all, a phone invalid for the dealer's country, a consultant of another
    dealer, or — unless ``allow_duplicate`` — a live customer with the same e-mail (field ``email``) or
    phone (field ``phone``). The privacy notice acceptance and marketing consent are time-stamped now.
    """
    values = normalise_input(session, dealer, data)
    if not allow_duplicate:
        dupes = find_duplicates(session, dealer, email=values["email"], phone_e164=values["phone_e164"])
        for dupe in dupes:
            if values["email"] and dupe.email == values["email"]:
                raise CustomerError(_l("A customer with this e-mail already exists: %(name)s.", name=dupe.full_name), "email")
        if dupes:
            raise CustomerError(
                _l("A customer with this phone number already exists: %(name)s.", name=dupes[0].full_name), "phone"
            )
    customer = Customer(dealer_id=dealer.id, country=dealer.country, **values)
    _stamp_consents(customer, data, values, utcnow(), was_consenting=False, old_version="", actor=actor)
    session.add(customer)
    session.flush()
    add_event(session, customer, "created", values["full_name"], actor=actor)
    audit.record(session, "customer.create", customer, after={k: values[k] for k in EDITABLE})
    session.flush()
    return customer


def quick_create(
    session: Session,
    dealer: Dealer,
    *,
    name: str,
    email: str = "",
    phone: str = "",
    privacy_accepted: bool,
    privacy_notice_version: str,
    marketing_consent: bool = False,
    actor: User,
) -> Customer:
    """Create a customer on the spot (the offer builder's quick form), with the consultant and consent recorded.

    Issue 11, item 15: a customer created in the builder had no consultant and no recorded privacy
    consent. The creating staff member ``actor`` becomes the assigned consultant (when they are staff
    of ``dealer``); the privacy notice ``privacy_notice_version`` must be accepted (``privacy_accepted``)
    and is stamped with the time and ``actor``, as is an optional ``marketing_consent``; a ``consent``
    timeline event says what was recorded. Raises ``CustomerError`` (field ``privacy_accepted``) when the
    notice is not accepted or no version is configured, else as ``create_customer``; nothing is saved then.
    """
    version = (privacy_notice_version or "").strip()
    if not privacy_accepted:
        raise CustomerError(_l("The customer must accept the privacy notice before we keep their details."), "privacy_accepted")
    if not version:
        raise CustomerError(_l("No privacy notice version is configured; ask the dealer principal."), "privacy_accepted")
    staff = {u.id for u in consultants(session, dealer)}
    customer = create_customer(
        session, dealer,
        CustomerInput(full_name=name, email=email, phone=phone, assigned_consultant_id=actor.id if actor.id in staff else None,
                      marketing_consent=marketing_consent, privacy_notice_version=version, privacy_accepted=True),
        actor=actor,
    )
    add_event(session, customer, "consent",
              f"privacy notice {version} accepted; marketing {'yes' if marketing_consent else 'no'}", actor=actor)
    session.flush()
    return customer


def update_customer(session: Session, dealer: Dealer, customer: Customer, data: CustomerInput, *, actor: User | None = None) -> Customer:
    """Update ``customer`` from ``data``; records the changed fields in the timeline and audit trail.

    Raises ``CustomerError`` like ``create_customer`` (duplicates are not refused on edit: they are shown
    on the record for merging).
    """
    values = normalise_input(session, dealer, data)
    before, after = audit.changes(customer, EDITABLE, values)
    _stamp_consents(
        customer, data, values, utcnow(), was_consenting=customer.marketing_consent, old_version=customer.privacy_notice_version,
        actor=actor,
    )
    for key, value in values.items():
        setattr(customer, key, value)
    if after:
        add_event(session, customer, "updated", ", ".join(sorted(after)), actor=actor)
        audit.record(session, "customer.update", customer, before=before, after=after)
    session.flush()
    return customer


def add_note(session: Session, customer: Customer, text: str, *, actor: User | None = None) -> CustomerEvent:
    """Add a free-text note to the customer's timeline; raises ``CustomerError`` (field ``text``) when empty."""
    text = (text or "").strip()
    if not text:
        raise CustomerError(_l("Write a note first."), "text")
    event = add_event(session, customer, "note", text, actor=actor)
    audit.record(session, "customer.note", customer, after={"note": text[:200]})
    session.flush()
    return event


def merge_customers(session: Session, dealer: Dealer, first: Customer, second: Customer, *, actor: User | None = None) -> Customer:
    """Merge two records of the same person and return the one kept.

    The older record (earlier ``created_at``, then lower id) is kept; the other's timeline events move to
    it, its empty contact fields are filled from the other, consent is kept if either gave it, and the
    other is marked ``merged_into``. Raises ``CustomerError`` for the same record twice, another dealer's
    record, or a record already merged.
    """
    if first.id == second.id:
        raise CustomerError(_l("A customer cannot be merged with itself."), "other_id")
    for customer in (first, second):
        if customer.dealer_id != dealer.id or customer.merged_into_id is not None or customer.is_withdrawn:
            raise CustomerError(_l("This customer can no longer be merged."), "other_id")
    keep, gone = sorted((first, second), key=lambda c: (c.created_at, c.id))
    for event in list(gone.events):
        event.customer = keep
    for field in ("email", "phone_e164", "preferred_locale", "assigned_consultant_id", "birth_date"):
        if getattr(keep, field) in (None, "") and getattr(gone, field) not in (None, ""):
            setattr(keep, field, getattr(gone, field))
    if gone.marketing_consent and not keep.marketing_consent:
        keep.marketing_consent, keep.marketing_consent_at = True, gone.marketing_consent_at
    if gone.notes:
        keep.notes = "\n\n".join(n for n in (keep.notes, gone.notes) if n)
    gone.merged_into_id = keep.id
    session.flush()
    add_event(session, keep, "merged", f"{gone.full_name} (#{gone.id})", actor=actor)
    audit.record(session, "customer.merge", keep, before={"merged_id": gone.id}, after={"kept_id": keep.id})
    session.flush()
    return keep


def counts_by_consultant(session: Session, dealer: Dealer) -> list[tuple[str, int]]:
    """Return ``(consultant name or "", live customer count)`` pairs, largest first ("" = unassigned)."""
    rows = session.execute(
        select(User.name, func.count(Customer.id))
        .select_from(Customer)
        .outerjoin(User, User.id == Customer.assigned_consultant_id)
        .where(Customer.dealer_id == dealer.id, Customer.merged_into_id.is_(None), Customer.withdrawn_at.is_(None))
        .group_by(User.name)
        .order_by(func.count(Customer.id).desc(), User.name)
    )
    return [(name or "", count) for name, count in rows]
