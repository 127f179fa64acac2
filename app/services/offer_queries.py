"""Read side of offers: the pipeline list, counts by state, the approval queue (tenant-scoped by the listeners)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import String, func, literal, or_, select
from sqlalchemy.orm import Session, joinedload

from app.database import LIKE_ESCAPE, contains_text, like_pattern
from app.domain.offer_states import TERMINAL, OfferState
from app.models.customers import Customer
from app.models.offers import Offer

PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class OfferPage:
    """One page of the offer list with the pipeline figures of the whole filtered set.

    ``state_counts``: ``{state: count}`` of the consultant's (or everyone's) offers before the
    search and state filters — the filter chips — or None when the caller did not ask for them.
    """

    offers: list[Offer]
    total_count: int
    open_value: Decimal
    page: int
    pages: int
    state_counts: dict[str, int] | None = None


def search_condition(q: str | None):
    """Return the WHERE condition of the list search ``q``, or None for no search.

    Matches a substring of the offer number, the vehicle label or the customer's name, without
    regard to case: the database's ``lower()`` on both sides, as ``ILIKE`` does it. Number and label
    are matched in the precomputed ``Offer.search_text`` (a trigram GIN index on PostgreSQL); the
    name through the dealer's customers (``IN`` a subquery, no join to count through). ``%`` and
    ``_`` in ``q`` are literal characters.
    """
    term = (q or "").strip()
    if not term:
        return None
    # search_text is stored lower-cased by the same lower() (``app.database``): lower the pattern only.
    pattern = func.lower(literal(like_pattern(term), String))
    names = select(Customer.id).where(contains_text(Customer.full_name, term))
    return or_(Offer.search_text.like(pattern, escape=LIKE_ESCAPE), Offer.customer_id.in_(names))


def _summary(
    session: Session, match, states: list[str] | None, consultant_id: int | None, with_state_counts: bool
) -> tuple[int, Decimal, dict[str, int] | None]:
    """Return the filtered set's count and open value, and the chip counts when asked — one grouped scan.

    Grouped by state over the consultant's (or everyone's) offers: ``count(*)`` per state is the chip
    count; ``count``/``sum`` FILTERed by the search are the filtered figures, of which the states
    asked for are added up here. Without chip counts, the search and states go into WHERE instead.
    """
    statement = select(Offer.state).group_by(Offer.state)
    if consultant_id:
        statement = statement.where(Offer.consultant_id == consultant_id)
    price = func.sum(Offer.out_the_door_price)
    if with_state_counts and match is not None:
        statement = statement.add_columns(func.count(), func.count().filter(match), price.filter(match))
    else:
        if match is not None:
            statement = statement.where(match)
        if states and not with_state_counts:
            statement = statement.where(Offer.state.in_(states))
        statement = statement.add_columns(func.count(), func.count(), price)
    counts: dict[str, int] = {}
    total, open_value = 0, Decimal(0)
    for state, count, matched, value in session.execute(statement):
        key = state.value if hasattr(state, "value") else state
        counts[key] = count
        if states and key not in states:
            continue
        total += matched
        if OfferState(key) not in TERMINAL and value is not None:
            open_value += Decimal(value)
    return total, open_value, counts if with_state_counts else None


def list_offers(
    session: Session,
    *,
    q: str | None = None,
    states: list[str] | None = None,
    consultant_id: int | None = None,
    page: int = 1,
    with_state_counts: bool = False,
) -> OfferPage:
    """Return a page of offers, newest first, with the count and the open pipeline value (non-terminal offers).

    Two queries whatever the page size: the figures (one grouped scan, with the chip counts by
    state when ``with_state_counts``) and the page rows with their customers and consultants
    (joined eager load). ``q``: see ``search_condition``.
    """
    match = search_condition(q)
    total, open_value, state_counts = _summary(session, match, states, consultant_id, with_state_counts)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    statement = select(Offer)
    if match is not None:
        statement = statement.where(match)
    if states:
        statement = statement.where(Offer.state.in_(states))
    if consultant_id:
        statement = statement.where(Offer.consultant_id == consultant_id)
    rows = session.scalars(
        statement.options(joinedload(Offer.customer, innerjoin=True), joinedload(Offer.consultant))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return OfferPage(offers=list(rows), total_count=total, open_value=open_value, page=page, pages=pages,
                     state_counts=state_counts)


def counts_by_state(session: Session, consultant_id: int | None = None) -> dict[str, int]:
    """Return ``{state: count}`` for the dealer in scope (optionally one consultant's)."""
    statement = select(Offer.state, func.count()).group_by(Offer.state)
    if consultant_id:
        statement = statement.where(Offer.consultant_id == consultant_id)
    return {state.value if hasattr(state, "value") else state: count for state, count in session.execute(statement)}


def approval_queue(session: Session) -> list[Offer]:
    """Return the offers waiting for approval, oldest first."""
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.state == OfferState.PENDING_APPROVAL)
            .options(joinedload(Offer.customer), joinedload(Offer.consultant))
            .order_by(Offer.updated_at)
        )
    )


def pending_approval_count(session: Session) -> int:
    """Return how many offers wait for approval (the dashboard badge)."""
    return session.scalar(select(func.count()).select_from(Offer).where(Offer.state == OfferState.PENDING_APPROVAL)) or 0


def offers_of_person(session: Session, customer: Customer) -> list[Offer]:
    """Return the offers made to this person at every dealer in scope, newest first.

    A person is one ``Customer`` row per dealer; rows of the same brand with the same e-mail or
    phone (E.164) are the same person. Withdrawn customers match only their own row (their old
    details are gone). In a corporate scope the tenant listener limits this to the brand's dealers.
    """
    same_person = [Customer.id == customer.id]
    if not customer.is_withdrawn:
        if customer.email:
            same_person.append(Customer.email == customer.email)
        if customer.phone_e164:
            same_person.append(Customer.phone_e164 == customer.phone_e164)
    ids = select(Customer.id).where(or_(*same_person))
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.customer_id.in_(ids))
            .options(joinedload(Offer.customer), joinedload(Offer.consultant))
            .order_by(Offer.created_at.desc())
        )
    )
