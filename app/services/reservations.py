"""Online reservation of a stock vehicle (O2O and E2E): the customer's details → a deal → the deposit checkout.

The public page ``/r/<dealer>/<vehicle>`` shows one online-listable, priced car
(``StockVehicle.is_online``); the customer gives name, e-mail and phone and accepts the dealer's
reservation terms. ``reserve_online`` finds the customer by e-mail, then by phone (the matching
rules of ``services.customers``), or creates them, and opens the deal with
``deals.open_reservation``. The view then sends them to the deposit checkout (or, for a dealer
that asks no deposit, reserves the car at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.contact import normalize_phone
from app.domain.deal_states import DealAction, DealState
from app.domain.money import ZERO
from app.models.accounts import Dealer, User
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.inventory import StockVehicle
from app.services import customers as customer_service
from app.services import deals as deal_service
from app.services.notifications import Message, notify_roles
from app.services.payments import reserve_vehicle


class ReservationError(ValueError):
    """The reservation request is refused; ``field`` names the form field the message belongs to (or None)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class ReservationRequest:
    """What the customer typed on the reservation page."""

    full_name: str
    email: str
    phone: str = ""
    terms_accepted: bool = False
    locale: str = "en"


def online_vehicle(session: Session, vehicle_id: int) -> StockVehicle | None:
    """Return the current dealer's stock vehicle ``vehicle_id`` if it exists (available or not), else None."""
    return session.scalar(select(StockVehicle).where(StockVehicle.id == vehicle_id))


def find_or_create_customer(session: Session, dealer: Dealer, request: ReservationRequest) -> Customer:
    """Return the dealer's live customer with this e-mail, else with this phone, else a new one.

    Raises ``ReservationError`` (field ``full_name``, ``email`` or ``phone``) for a missing name or
    e-mail, or a phone that is not valid for the dealer's country.
    """
    name, email = request.full_name.strip(), User.normalize_email(request.email or "")
    if not name:
        raise ReservationError("Enter your name.", "full_name")
    if not email or "@" not in email:
        raise ReservationError("Enter your e-mail address.", "email")
    phone = None
    if request.phone.strip():
        try:
            phone = normalize_phone(request.phone, dealer.country)
        except ValueError as exc:
            raise ReservationError("This is not a valid phone number.", "phone") from exc
    by_email = customer_service.find_duplicates(session, dealer, email=email, phone_e164=None)
    if by_email:
        return by_email[0]
    by_phone = customer_service.find_duplicates(session, dealer, email=None, phone_e164=phone) if phone else []
    if by_phone:
        return by_phone[0]
    try:
        return customer_service.create_customer(
            session, dealer,
            customer_service.CustomerInput(full_name=name, email=email, phone=phone or "", preferred_locale=request.locale),
            allow_duplicate=True,
        )
    except customer_service.CustomerError as exc:
        raise ReservationError(str(exc), exc.field) from exc


def reserve_online(session: Session, dealer: Dealer, vehicle: StockVehicle, request: ReservationRequest,
                   *, now: datetime | None = None) -> Deal:
    """Open (or return the customer's open) reservation deal for ``vehicle``; flushed.

    Raises ``ReservationError`` when the terms are not accepted, the vehicle is not online
    (unpriced, reserved, sold, withdrawn) or the customer's details are refused. A customer who
    submits twice gets their same open deal back. Staff are notified of a new reservation.
    """
    now = now or utcnow()
    if not vehicle.is_online or vehicle.currency != dealer.currency:
        raise ReservationError("This vehicle is no longer available.")
    if not request.terms_accepted:
        raise ReservationError("Please accept the reservation terms.", "terms")
    customer = find_or_create_customer(session, dealer, request)
    existing = session.scalar(
        select(Deal).where(Deal.customer_id == customer.id, Deal.stock_vehicle_id == vehicle.id,
                           Deal.state == DealState.OFFER_ACCEPTED)
    )
    if existing is not None:
        return existing
    try:
        deal = deal_service.open_reservation(session, dealer, customer=customer, vehicle=vehicle, locale=request.locale,
                                             consultant=customer.assigned_consultant, now=now)
    except deal_service.DealError as exc:
        raise ReservationError(str(exc)) from exc
    customer_service.add_event(session, customer, "reservation_requested", f"{deal.number}: {vehicle.title}"[:500])
    notify_roles(
        session, dealer=dealer, roles=deal_service.MANAGERS, extra=[customer.assigned_consultant], kind="deal.reservation",
        deal_id=deal.id, title=Message("Online reservation %(number)s: %(vehicle)s", {"number": deal.number, "vehicle": vehicle.title}),
        body=Message("%(name)s (%(email)s) asked to reserve this vehicle online.", {"name": customer.full_name, "email": customer.email or ""}),
    )
    session.flush()
    return deal


def reserve_without_deposit(session: Session, deal: Deal, dealer: Dealer, *, now: datetime | None = None) -> None:
    """Reserve the car of a deal whose dealer asks no deposit; raises ``ReservationError`` when it was taken."""
    now = now or utcnow()
    if deal.deposit_amount > ZERO:
        raise ReservationError("A reservation deposit is required.")
    if deal.stock_vehicle_id is not None and not reserve_vehicle(session, deal, now):
        raise ReservationError("This vehicle is no longer available.")
    deal_service.advance(session, deal, DealAction.RESERVE, dealer=dealer, channel="online", now=now)
