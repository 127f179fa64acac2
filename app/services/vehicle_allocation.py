"""Allocate a deal's configured (catalog) car to a physical car: a matching stock car or a factory VIN.

Issue 11 item 5: a factory order was delivered with no VIN. A deal from a catalog offer sells a
configuration; staff allocate it on the deal page (``blueprints.deals.allocation``) before the
contract and the delivery, which refuse until then (``domain.deal_states.NO_VEHICLE``).

* **Stock car**: one of the current dealer's cars (tenant-scoped: another dealer's id is "not
  found"), new, of the configured model and trim (``domain.vehicle_allocation.stock_fits``), in stock
  or in transit, and held by no other live deal. It is reserved the way a stock-car deal reserves
  its car: with the reservation, by the same conditional ``UPDATE`` as the deposit
  (``services.payments.reserve_vehicle``). A deal still waiting for its deposit only links the car
  (the deposit then reserves it); a deal already reserved or further reserves it now. It is sold at
  the handover (``services.deliveries.hand_over``) and freed on cancellation (``services.deals.cancel``).
* **Factory VIN**: the VIN the factory announced for the order (``domain.vehicle_allocation
  .check_factory_vin``), with an optional expected arrival date (local, not in the past). One live
  deal per VIN and dealer (partial unique index ``uq_deal_dealer_factory_vin_live``, a race ends in
  ``AllocationError``); a VIN already in the dealer's stock must be allocated as that stock car.
* **When**: any state before delivery for a first allocation; a change of car only before the
  contract is signed (afterwards the signed contract names the car). A deal whose car the offer
  fixed (a stock offer or an online reservation) cannot be re-allocated here.

Each allocation writes a timeline event (``vehicle_allocated``) and an audit event. Services only
flush; the view commits, or rolls back on ``AllocationError`` so nothing is half-saved.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.deal_states import TERMINAL, DealState
from app.domain.messages import N_
from app.domain.preset_discounts import CatalogIndex
from app.domain.vehicle_allocation import AllocationError, ConfiguredCar, check_factory_vin, stock_fits
from app.models.accounts import Dealer, User
from app.models.base import utcnow
from app.models.deals import Deal
from app.models.inventory import StockVehicle, VehicleStatus
from app.models.offers import OfferRevision
from app.services import audit
from app.services import deals as deal_service

__all__ = [
    "AllocationError", "allocate_factory_vin", "allocate_stock", "allocation_problem", "configured_car", "matching_stock",
]

#: Stock statuses a car may be allocated from (as a reservation: in stock or still in transit).
AVAILABLE = (VehicleStatus.IN_STOCK, VehicleStatus.IN_TRANSIT)

#: Deal states in which the allocated car may still change (before the contract is signed).
CHANGEABLE_STATES = frozenset({DealState.OFFER_ACCEPTED, DealState.RESERVED, DealState.FINANCING})


def _snapshot_vehicle(session: Session, deal: Deal) -> dict:
    if deal.offer_id is None:
        return {}
    revision = session.scalar(
        select(OfferRevision).where(OfferRevision.offer_id == deal.offer_id, OfferRevision.revision_no == deal.offer_revision_no)
    )
    return dict((revision.snapshot or {}).get("vehicle") or {}) if revision is not None else {}


def configured_car(session: Session, deal: Deal) -> ConfiguredCar:
    """Return what the customer configured (the accepted offer revision's vehicle; the deal's model code without one)."""
    vehicle = _snapshot_vehicle(session, deal)
    car = ConfiguredCar.from_snapshot(vehicle)
    return car if car.model_code else ConfiguredCar(model_code=deal.model_code, trim_code="")


def _catalog_index(session: Session, deal: Deal) -> CatalogIndex | None:
    release_id = _snapshot_vehicle(session, deal).get("catalog_release_id")
    if not release_id:
        return None
    from app.services.offer_builder import catalog_data

    dealer = session.get(Dealer, deal.dealer_id)
    try:
        return catalog_data(session, dealer.brand_id, int(release_id)).preset_index
    except (LookupError, ValueError):
        return None


def allocation_problem(deal: Deal) -> str | None:
    """Return why the car of ``deal`` cannot be (re)allocated now (an English gettext id), or None when it can."""
    if deal.state in TERMINAL:
        return N_("This deal is closed; its vehicle can no longer change.")
    if deal.allocated_at is None and deal.stock_vehicle_id is not None:
        return N_("This deal sells the stock car of its offer; its vehicle cannot be changed here.")
    if deal.vehicle_allocated and deal.state not in CHANGEABLE_STATES:
        return N_("The contract is signed for the allocated vehicle; it can no longer change.")
    return None


def _check_allowed(deal: Deal) -> None:
    problem = allocation_problem(deal)
    if problem:
        raise AllocationError(problem)


def _held_by_other_deal(session: Session, vehicle_id: int, deal: Deal) -> bool:
    return session.scalar(
        select(Deal.id).where(
            Deal.stock_vehicle_id == vehicle_id, Deal.id != deal.id, Deal.state.not_in([DealState.CANCELLED])
        ).limit(1)
    ) is not None


def matching_stock(session: Session, deal: Deal) -> list[StockVehicle]:
    """Return the current dealer's available stock cars that fit the deal's configuration, by stock number.

    Available: in stock or in transit and held by no other live deal (the deal's own car is left out).
    """
    car = configured_car(session, deal)
    index = _catalog_index(session, deal)
    rows = session.scalars(
        select(StockVehicle).where(StockVehicle.status.in_(AVAILABLE)).order_by(StockVehicle.stock_number, StockVehicle.id)
    )
    held = set(session.scalars(
        select(Deal.stock_vehicle_id).where(Deal.stock_vehicle_id.is_not(None), Deal.state.not_in([DealState.CANCELLED]))
    ))
    return [
        row for row in rows
        if row.id not in held
        and stock_fits(car, model=row.model, trim=row.trim, condition=row.condition.value, index=index)
    ]


def _release_previous(session: Session, deal: Deal) -> str:
    """Free the deal's previously allocated stock car (back in stock if this deal reserved it); return its label."""
    previous = deal.stock_vehicle
    if previous is None:
        return deal.factory_vin or ""
    if previous.status is VehicleStatus.RESERVED and not _held_by_other_deal(session, previous.id, deal):
        from app.services.inventory_import import change_status

        change_status(session, previous, VehicleStatus.IN_STOCK)
    return previous.stock_number or previous.vin or str(previous.id)


def allocate_stock(
    session: Session, deal: Deal, vehicle_id: int, *, dealer: Dealer, actor: User | None, now: datetime | None = None,
) -> StockVehicle:
    """Allocate the current dealer's stock car ``vehicle_id`` to ``deal``; flushed.

    Raises ``LookupError`` when the car is not the current dealer's (views answer 404), and
    ``AllocationError`` (field ``vehicle_id``) when the deal's car may not change now
    (``allocation_problem``), the car does not fit the configuration, is not available, or another
    live deal holds it. The car is reserved now when the deal is past its deposit (module docstring).
    """
    now = now or utcnow()
    vehicle = session.scalar(select(StockVehicle).where(StockVehicle.id == vehicle_id))
    if vehicle is None:
        raise LookupError(vehicle_id)
    _check_allowed(deal)
    if vehicle.id == deal.stock_vehicle_id:
        raise AllocationError("This car is already allocated to the deal.", "vehicle_id")
    car = configured_car(session, deal)
    if not stock_fits(car, model=vehicle.model, trim=vehicle.trim, condition=vehicle.condition.value,
                      index=_catalog_index(session, deal)):
        raise AllocationError("This stock car is not the configured model and trim.", "vehicle_id")
    if _held_by_other_deal(session, vehicle.id, deal):
        raise AllocationError("This stock car is already allocated to another deal.", "vehicle_id")
    if vehicle.status not in AVAILABLE:
        raise AllocationError("This stock car is no longer available.", "vehicle_id")
    before = _release_previous(session, deal)
    deal.stock_vehicle_id = vehicle.id
    deal.stock_vehicle = vehicle
    deal.factory_vin = None
    deal.factory_arrival_date = None
    deal.allocated_at = now
    session.flush()
    if deal.state is not DealState.OFFER_ACCEPTED:
        from app.services.payments import reserve_vehicle

        if not reserve_vehicle(session, deal, now):
            raise AllocationError("This stock car is no longer available.", "vehicle_id")
    label = vehicle.stock_number or vehicle.vin or str(vehicle.id)
    note = " · ".join(p for p in (label, vehicle.vin or "", vehicle.title) if p)
    deal_service.record_event(session, deal, "vehicle_allocated", actor=actor, note=note if not before else f"{before} → {note}")
    audit.record(session, "deal.allocate", deal, before={"vehicle": before},
                 after={"stock_vehicle": vehicle.id, "vin": vehicle.vin or ""})
    return vehicle


def allocate_factory_vin(
    session: Session,
    deal: Deal,
    vin: str | None,
    *,
    dealer: Dealer,
    actor: User | None,
    arrival_date: date | None = None,
    now: datetime | None = None,
) -> Deal:
    """Allocate the factory VIN ``vin`` (expected locally on ``arrival_date``, optional) to ``deal``; flushed.

    Raises ``AllocationError`` (field ``vin`` or ``arrival_date``) when the deal's car may not change
    now, the VIN is not valid (``check_factory_vin``), is a car in the dealer's stock (allocate that
    car instead), is allocated to another live deal (also when a parallel request wins the unique
    index), or the arrival date is before today (dealer's zone). Nothing is left changed: the view
    rolls back.
    """
    now = now or utcnow()
    _check_allowed(deal)
    value = check_factory_vin(vin)
    today = now.astimezone(ZoneInfo(dealer.timezone)).date()
    if arrival_date is not None and arrival_date < today:
        raise AllocationError("The expected arrival date cannot be in the past.", "arrival_date")
    if value == deal.factory_vin and arrival_date == deal.factory_arrival_date:
        raise AllocationError("This VIN is already allocated to the deal.", "vin")
    if session.scalar(select(StockVehicle.id).where(StockVehicle.vin == value)) is not None:
        raise AllocationError("%(vin)s is a car in your stock: allocate it from the stock list.", "vin", vin=value)
    other = session.scalar(
        select(Deal.number).where(Deal.factory_vin == value, Deal.id != deal.id, Deal.cancelled_at.is_(None)).limit(1)
    )
    if other is not None:
        raise AllocationError("%(vin)s is already allocated to deal %(number)s.", "vin", vin=value, number=other)
    before = _release_previous(session, deal) if value != deal.factory_vin else ""
    deal.stock_vehicle_id = None
    deal.stock_vehicle = None
    deal.factory_vin = value
    deal.factory_arrival_date = arrival_date
    deal.allocated_at = now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise AllocationError("%(vin)s is already allocated to another deal.", "vin", vin=value) from exc
    note = value + (f" · {arrival_date.isoformat()}" if arrival_date else "")
    deal_service.record_event(session, deal, "vehicle_allocated", actor=actor, note=f"{before} → {note}" if before else note)
    audit.record(session, "deal.allocate", deal, before={"vehicle": before},
                 after={"factory_vin": value, "arrival": arrival_date.isoformat() if arrival_date else None})
    return deal
