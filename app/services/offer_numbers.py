"""Offer numbers: ``<DEALER CODE>-<YYYY>-<NNNNNN>``, unique per dealer, gap-tolerant, never duplicated.

The year is the dealer's local calendar year. The counter row is incremented by one
``UPDATE … SET last_value = last_value + 1 … RETURNING last_value``: on PostgreSQL the row lock
serialises concurrent transactions (the second waits for the first to commit and then sees its
value), on SQLite the database write lock does the same. A missing counter row is inserted in a
SAVEPOINT; if a parallel transaction inserted it first, the insert fails on the unique key and we
fall back to the UPDATE. A rolled-back offer leaves a gap, which accounting tolerates; a duplicate
would not be tolerated.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.accounts import Dealer
from app.models.offers import OfferNumberCounter


def format_offer_number(dealer_code: str, year: int, value: int) -> str:
    """Return e.g. ``SEOUL1-2026-000042``."""
    return f"{dealer_code}-{year}-{value:06d}"


def _increment(session: Session, dealer_id: int, year: int) -> int | None:
    statement = (
        update(OfferNumberCounter)
        .where(OfferNumberCounter.dealer_id == dealer_id, OfferNumberCounter.year == year)
        .values(last_value=OfferNumberCounter.last_value + 1)
        .returning(OfferNumberCounter.last_value)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).scalar_one_or_none()


def allocate_offer_number(session: Session, dealer: Dealer, now: datetime) -> str:
    """Reserve and return the next offer number of ``dealer`` for the local year of ``now`` (aware).

    Must run inside the transaction that creates the offer, so the number and the offer commit
    together. Raises ``ValueError`` for a naive ``now``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    year = now.astimezone(ZoneInfo(dealer.timezone)).year
    value = _increment(session, dealer.id, year)
    if value is None:
        try:
            with session.begin_nested():
                session.add(OfferNumberCounter(dealer_id=dealer.id, year=year, last_value=1))
            value = 1
        except IntegrityError:
            value = _increment(session, dealer.id, year)
    return format_offer_number(dealer.code, year, value)
