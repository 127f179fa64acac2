"""Read side of offers: the pipeline list, counts by state, the approval queue (tenant-scoped by the listeners)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from app.domain.offer_states import TERMINAL, OfferState
from app.models.customers import Customer
from app.models.offers import Offer

PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class OfferPage:
    """One page of the offer list with the pipeline figures of the whole filtered set."""

    offers: list[Offer]
    total_count: int
    open_value: Decimal
    page: int
    pages: int


def _filtered(q: str | None, states: list[str] | None, consultant_id: int | None) -> Select:
    statement = select(Offer).join(Customer, Customer.id == Offer.customer_id)
    if q:
        like = f"%{q.strip()}%"
        statement = statement.where(or_(Offer.number.ilike(like), Customer.full_name.ilike(like), Offer.vehicle_label.ilike(like)))
    if states:
        statement = statement.where(Offer.state.in_(states))
    if consultant_id:
        statement = statement.where(Offer.consultant_id == consultant_id)
    return statement


def list_offers(
    session: Session, *, q: str | None = None, states: list[str] | None = None, consultant_id: int | None = None, page: int = 1
) -> OfferPage:
    """Return a page of offers, newest first, with the count and the open pipeline value (non-terminal offers).

    Three queries whatever the page size: count + open value, the page rows, and their customers
    and consultants (joined eager load).
    """
    base = _filtered(q, states, consultant_id).subquery()
    open_states = [s.value for s in OfferState if s not in TERMINAL]
    total, open_value = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(base.c.out_the_door_price).filter(base.c.state.in_(open_states)), 0),
        ).select_from(base)
    ).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        _filtered(q, states, consultant_id)
        .options(joinedload(Offer.customer), joinedload(Offer.consultant))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return OfferPage(offers=list(rows), total_count=total, open_value=Decimal(open_value), page=page, pages=pages)


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
