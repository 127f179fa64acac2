"""Demo offers and deals of the Seoul showroom (E2E), so the pipeline, approvals and deals are not empty.

Four offers on Seoul's stock cars, built through the real offer builder and workflow: a draft, one waiting
for the principal (discount above the consultant's authority), one sent to the customer, and one the
customer accepted — which opened a deal waiting for its reservation deposit. The Busan showroom (O2O)
gets its deals from customers reserving online (``/r/busan-haeundae/<car id>``). A dealer that already
has offers is left alone, so running the seed again changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.roles import Role
from app.models.accounts import Membership, User
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.inventory import StockVehicle, VehicleStatus
from app.models.offers import Offer
from app.services import deals as deal_service
from app.services import offer_builder
from app.services import offers as offer_service
from app.tenancy import scoped

#: (stock index, manual discount in KRW, how far the offer goes)
PLAN = [(0, None, "draft"), (1, Decimal(1500000), "pending"), (2, Decimal(300000), "sent"), (3, None, "accepted")]


def _staff(session: Session, dealer_id: int, role: Role) -> tuple[User, Membership] | None:
    row = session.execute(
        select(User, Membership).join(Membership, Membership.user_id == User.id)
        .where(Membership.dealer_id == dealer_id, Membership.role == role, Membership.active.is_(True)).order_by(User.id)
    ).first()
    return (row[0], row[1]) if row else None


def seed(session: Session, brands: dict, dealers: dict) -> None:
    """Create Seoul's demo offers and its accepted-offer deal when Seoul has no offers yet (idempotent)."""
    seoul = dealers.get("seoul-gangnam")
    if seoul is None:
        return
    with scoped(dealer_id=seoul.id, brand_id=seoul.brand_id):
        if session.scalar(select(func.count(Offer.id))):
            return
        consultant, principal = _staff(session, seoul.id, Role.SALES_CONSULTANT), _staff(session, seoul.id, Role.DEALER_PRINCIPAL)
        cars = list(session.scalars(select(StockVehicle).where(
            StockVehicle.status.in_([VehicleStatus.IN_STOCK, VehicleStatus.IN_TRANSIT]), StockVehicle.price.is_not(None),
        ).order_by(StockVehicle.id)))
        customers = list(session.scalars(select(Customer).order_by(Customer.id).limit(len(PLAN))))
        if consultant is None or principal is None or not cars or len(customers) < len(PLAN):
            return
        user, membership = consultant
        # The builder translates payment labels: price in a request context of the dealer's language.
        with current_app.test_request_context(), force_locale(seoul.locale):
            _offers(session, seoul, user, membership, principal[0], cars, customers)
        session.flush()


def _offers(session: Session, seoul, user: User, membership: Membership, principal: User, cars: list, customers: list) -> None:
    """Build, submit, approve, send and accept the offers of ``PLAN`` (inside Seoul's scope)."""
    now = utcnow()
    for (index, discount, stage), customer in zip(PLAN, customers, strict=True):
        data = offer_builder.BuilderInput(
            source="stock", stock_id=cars[index % len(cars)].id, manual_value=discount,
            manual_reason="재구매 고객 감사 할인 / returning customer" if discount else "",
        )
        result = offer_builder.build(session, dealer=seoul, user=user, membership=membership, data=data, now=now,
                                     locale=seoul.locale)
        if not result.ok:
            continue
        offer = offer_builder.save(session, dealer=seoul, user=user, result=result, customer=customer, offer=None,
                                   base_revision_no=None, idempotency_key=None, now=now)
        needs_approval = offer_service.current_revision(offer).needs_approval
        if stage == "draft":
            continue
        if needs_approval:
            offer_service.submit_for_approval(session, offer, user)
            if stage == "pending":
                continue
            offer_service.decide(session, offer, approve=True, comment="OK", approver=principal,
                                 revision_no=offer.current_revision_no)
        if stage == "pending":
            continue
        offer_service.send_offer(session, offer, actor=user, now=now)
        if stage == "accepted":
            offer_service.accept_offer(session, offer, typed_name=customer.full_name, conditions_accepted=True, now=now)
            deal_service.open_from_offer(session, offer, seoul, now=now)
