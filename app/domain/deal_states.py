"""The deal (one sale from accepted offer or online reservation to handover): states, steps and their guards.

States and transitions (every one guarded here; ``services.deals`` calls ``transition`` and records
a timeline event and an audit event for each)::

    offer_accepted ──reserve──▶ reserved ──start_financing──▶ financing ──contract──▶ contracted
          │                        │  ▲                            │                     │
          │                        │  └──────finance_declined──────┘                     │
          │                        └──────────contract (cash, or finance approved)───────┤
          │                                                                               ▼
          │                                              delivery_scheduled ◀──schedule_delivery
          │                                                │        ▲  └─reschedule─┘
          │                                                │        │
          │                                                ▼        │
          │                                            delivered    │
    any state before ``delivered`` ──cancel──▶ cancelled (refund per the dealer's reservation settings)

Guards (facts the services gather and pass in ``DealFacts``):

* ``reserve`` needs the reservation deposit paid, or a dealer deposit of zero.
* ``start_financing`` needs a submitted finance application.
* ``contract`` needs the contract signed by both the customer and the dealer principal and, when the
  deal is financed, an approved finance application (``approved`` or ``approved with conditions``).
* ``contract``, ``schedule_delivery``, ``reschedule`` and ``deliver`` need a physical car allocated
  to the deal (``vehicle_allocated``: a stock car, or a factory VIN for a catalog order) — offline
  too, since the portal itself knows it (issue 11: a factory order was delivered with no VIN).
* ``schedule_delivery`` / ``reschedule`` need a booked delivery slot.
* ``deliver`` needs the pre-delivery checklist complete and the settlement balanced
  (deposit + amount financed + trade-in equity + balance paid = out-the-door price,
  ``domain.deal_settlement``).
* ``delivered`` and ``cancelled`` are terminal: nothing leaves them.

O2O dealers do the steps after the reservation in the showroom: the same transitions are recorded
*offline* (who did it, when) and their guards are the staff member's declaration, so
``DealFacts.offline`` skips the document checks that only the online flow can verify — but never
the order of the steps nor the terminal states.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DealState(StrEnum):
    """Where a deal is between the customer's yes and the handover."""

    OFFER_ACCEPTED = "offer_accepted"
    RESERVED = "reserved"
    FINANCING = "financing"
    CONTRACTED = "contracted"
    DELIVERY_SCHEDULED = "delivery_scheduled"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class DealAction(StrEnum):
    """What can happen to a deal."""

    RESERVE = "reserve"
    START_FINANCING = "start_financing"
    FINANCE_DECLINED = "finance_declined"
    CONTRACT = "contract"
    SCHEDULE_DELIVERY = "schedule_delivery"
    RESCHEDULE = "reschedule"
    DELIVER = "deliver"
    CANCEL = "cancel"


TERMINAL = frozenset({DealState.DELIVERED, DealState.CANCELLED})

#: The order of the sale; a timeline shows these steps done, current or to come.
STEP_ORDER: tuple[DealState, ...] = (
    DealState.OFFER_ACCEPTED,
    DealState.RESERVED,
    DealState.FINANCING,
    DealState.CONTRACTED,
    DealState.DELIVERY_SCHEDULED,
    DealState.DELIVERED,
)

_S, _A = DealState, DealAction
TRANSITIONS: dict[tuple[DealState, DealAction], DealState] = {
    (_S.OFFER_ACCEPTED, _A.RESERVE): _S.RESERVED,
    (_S.RESERVED, _A.START_FINANCING): _S.FINANCING,
    (_S.FINANCING, _A.FINANCE_DECLINED): _S.RESERVED,
    (_S.RESERVED, _A.CONTRACT): _S.CONTRACTED,
    (_S.FINANCING, _A.CONTRACT): _S.CONTRACTED,
    (_S.CONTRACTED, _A.SCHEDULE_DELIVERY): _S.DELIVERY_SCHEDULED,
    (_S.DELIVERY_SCHEDULED, _A.RESCHEDULE): _S.DELIVERY_SCHEDULED,
    (_S.DELIVERY_SCHEDULED, _A.DELIVER): _S.DELIVERED,
}
for _state in DealState:
    if _state not in TERMINAL:
        TRANSITIONS[(_state, _A.CANCEL)] = _S.CANCELLED


def N_(message: str) -> str:
    """Mark ``message`` for translation extraction (``pybabel -k N_``) and return it unchanged."""
    return message


class DealTransitionError(ValueError):
    """The step is not allowed now; the message says why (shown to the user)."""


@dataclass(frozen=True, slots=True)
class DealFacts:
    """What the guards need to know about a deal, gathered by the services.

    ``deposit_required``: the reservation deposit is above zero; ``deposit_paid``: it was received.
    ``financed``: the customer pays with a loan or lease; ``finance_submitted`` / ``finance_approved``:
    the application's status. ``contract_signed``: signed by customer and principal.
    ``delivery_booked``: a slot is booked. ``checklist_complete``: every pre-delivery item ticked.
    ``settlement_balanced``: deposit + financed + trade-in equity + balance paid = out-the-door price.
    ``offline``: the step is recorded after the fact by staff (O2O); the document checks are theirs.
    ``vehicle_allocated``: a stock car or a factory VIN is allocated to the deal.
    """

    deposit_required: bool = True
    deposit_paid: bool = False
    financed: bool = False
    finance_submitted: bool = False
    finance_approved: bool = False
    contract_signed: bool = False
    delivery_booked: bool = False
    checklist_complete: bool = False
    settlement_balanced: bool = False
    offline: bool = False
    vehicle_allocated: bool = False


#: The steps that need a physical car allocated to the deal.
NEEDS_VEHICLE = frozenset({DealAction.CONTRACT, DealAction.SCHEDULE_DELIVERY, DealAction.RESCHEDULE, DealAction.DELIVER})

#: Why a step needing a car is refused (also raised by the contract and delivery services).
NO_VEHICLE = N_("Allocate a vehicle to this deal first: a matching stock car or the factory VIN of the order.")


def _guard(action: DealAction, facts: DealFacts) -> str | None:
    """Return why ``action`` may not happen with ``facts``, or None when it may."""
    if action in NEEDS_VEHICLE and not facts.vehicle_allocated:
        return NO_VEHICLE
    if facts.offline or action is DealAction.CANCEL:
        return None
    if action is DealAction.RESERVE and facts.deposit_required and not facts.deposit_paid:
        return N_("The reservation deposit has not been paid yet.")
    if action is DealAction.START_FINANCING and not facts.finance_submitted:
        return N_("Submit the finance application first.")
    if action is DealAction.CONTRACT:
        if facts.financed and not facts.finance_approved:
            return N_("The finance application must be approved before the contract.")
        if not facts.contract_signed:
            return N_("The contract must be signed by the customer and the dealer principal.")
    if action in (DealAction.SCHEDULE_DELIVERY, DealAction.RESCHEDULE) and not facts.delivery_booked:
        return N_("Book a delivery slot first.")
    if action is DealAction.DELIVER:
        if not facts.checklist_complete:
            return N_("Complete the pre-delivery checklist first.")
        if not facts.settlement_balanced:
            return N_("The payments do not add up to the out-the-door price yet.")
    return None


def transition(state: DealState, action: DealAction, facts: DealFacts | None = None) -> DealState:
    """Return the state after ``action`` on a deal in ``state`` given ``facts``.

    Raises ``DealTransitionError`` when the deal is delivered or cancelled, when the move is not in
    ``TRANSITIONS`` (a step out of order), or when a guard fails (see the module docstring).
    """
    facts = facts or DealFacts()
    if state in TERMINAL:
        raise DealTransitionError(f"The deal is {state.value}; it can no longer change.")
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise DealTransitionError(
            f"Cannot {action.value.replace('_', ' ')} a deal that is {state.value.replace('_', ' ')}."
        )
    reason = _guard(action, facts)
    if reason:
        raise DealTransitionError(reason)
    return target


def allowed_actions(state: DealState) -> list[DealAction]:
    """Return the actions the transition table allows from ``state`` (guards not applied), in step order."""
    return [action for action in DealAction if (state, action) in TRANSITIONS]


def step_status(state: DealState, step: DealState) -> str:
    """Return ``"done"``, ``"current"`` or ``"todo"`` for ``step`` of the timeline of a deal in ``state``.

    A cancelled deal shows every step as ``"todo"`` except those its events say were done (the
    caller decides from the events); here ``cancelled`` gives ``"todo"`` for all.
    """
    if state is DealState.CANCELLED:
        return "todo"
    position, current = STEP_ORDER.index(step), STEP_ORDER.index(state)
    if position < current or state is DealState.DELIVERED:
        return "done"
    return "current" if position == current else "todo"
