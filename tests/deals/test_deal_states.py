"""The deal state machine: every allowed step with its guard, and every other move refused."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from app.domain.deal_states import (
    STEP_ORDER,
    TERMINAL,
    TRANSITIONS,
    DealAction,
    DealFacts,
    DealState,
    DealTransitionError,
    allowed_actions,
    step_status,
    transition,
)

ALL_GOOD = DealFacts(
    deposit_paid=True, finance_submitted=True, finance_approved=True, contract_signed=True, delivery_booked=True,
    checklist_complete=True, settlement_balanced=True, vehicle_allocated=True,
)


def test_happy_path_financed():
    state = DealState.OFFER_ACCEPTED
    facts = ALL_GOOD
    for action, expected in [
        (DealAction.RESERVE, DealState.RESERVED),
        (DealAction.START_FINANCING, DealState.FINANCING),
        (DealAction.CONTRACT, DealState.CONTRACTED),
        (DealAction.SCHEDULE_DELIVERY, DealState.DELIVERY_SCHEDULED),
        (DealAction.RESCHEDULE, DealState.DELIVERY_SCHEDULED),
        (DealAction.DELIVER, DealState.DELIVERED),
    ]:
        state = transition(state, action, facts)
        assert state is expected


@pytest.mark.parametrize(("state", "action"), [
    (s, a) for s, a in itertools.product(DealState, DealAction) if (s, a) not in TRANSITIONS
])
def test_every_move_outside_the_table_is_refused(state, action):
    with pytest.raises(DealTransitionError):
        transition(state, action, ALL_GOOD)


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_never_change(state):
    for action in DealAction:
        with pytest.raises(DealTransitionError, match="can no longer change"):
            transition(state, action, DealFacts(offline=True))


@pytest.mark.parametrize(("state", "action", "facts", "reason"), [
    (DealState.OFFER_ACCEPTED, DealAction.RESERVE, DealFacts(), "deposit has not been paid"),
    (DealState.RESERVED, DealAction.START_FINANCING, DealFacts(), "finance application"),
    (DealState.FINANCING, DealAction.CONTRACT, DealFacts(financed=True, contract_signed=True, vehicle_allocated=True), "must be approved"),
    (DealState.RESERVED, DealAction.CONTRACT, DealFacts(financed=False, vehicle_allocated=True), "signed by the customer and the dealer principal"),
    (DealState.CONTRACTED, DealAction.SCHEDULE_DELIVERY, DealFacts(vehicle_allocated=True), "delivery slot"),
    (DealState.DELIVERY_SCHEDULED, DealAction.DELIVER, DealFacts(settlement_balanced=True, vehicle_allocated=True), "checklist"),
    (DealState.DELIVERY_SCHEDULED, DealAction.DELIVER, DealFacts(checklist_complete=True, vehicle_allocated=True), "do not add up"),
])
def test_guards_refuse_with_the_reason(state, action, facts, reason):
    with pytest.raises(DealTransitionError, match=reason):
        transition(state, action, facts)


def test_zero_deposit_reserves_without_payment():
    assert transition(DealState.OFFER_ACCEPTED, DealAction.RESERVE, DealFacts(deposit_required=False)) is DealState.RESERVED


def test_cash_deal_contracts_from_reserved_without_finance():
    facts = DealFacts(financed=False, contract_signed=True, vehicle_allocated=True)
    assert transition(DealState.RESERVED, DealAction.CONTRACT, facts) is DealState.CONTRACTED


def test_offline_skips_document_checks_but_not_the_order():
    offline = DealFacts(offline=True, vehicle_allocated=True)
    assert transition(DealState.RESERVED, DealAction.CONTRACT, offline) is DealState.CONTRACTED
    with pytest.raises(DealTransitionError):
        transition(DealState.OFFER_ACCEPTED, DealAction.DELIVER, offline)


def test_cancel_from_every_open_state_and_finance_declined_goes_back():
    for state in DealState:
        if state not in TERMINAL:
            assert transition(state, DealAction.CANCEL) is DealState.CANCELLED
    assert transition(DealState.FINANCING, DealAction.FINANCE_DECLINED) is DealState.RESERVED


def test_step_status_and_allowed_actions():
    assert [step_status(DealState.FINANCING, s) for s in STEP_ORDER] == ["done", "done", "current", "todo", "todo", "todo"]
    assert all(step_status(DealState.DELIVERED, s) == "done" for s in STEP_ORDER)
    assert allowed_actions(DealState.DELIVERED) == []
    assert DealAction.CONTRACT in allowed_actions(DealState.RESERVED)


@pytest.mark.parametrize(("state", "action"), [
    (DealState.RESERVED, DealAction.CONTRACT),
    (DealState.FINANCING, DealAction.CONTRACT),
    (DealState.CONTRACTED, DealAction.SCHEDULE_DELIVERY),
    (DealState.DELIVERY_SCHEDULED, DealAction.RESCHEDULE),
    (DealState.DELIVERY_SCHEDULED, DealAction.DELIVER),
])
@pytest.mark.parametrize("offline", [False, True])
def test_contract_and_delivery_need_an_allocated_vehicle_online_and_offline(state, action, offline):
    """Issue 11 item 5: a catalog order without a stock car or factory VIN is neither contracted nor delivered."""
    facts = replace(ALL_GOOD, vehicle_allocated=False, offline=offline)
    with pytest.raises(DealTransitionError, match="Allocate a vehicle"):
        transition(state, action, facts)
    assert transition(state, action, replace(facts, vehicle_allocated=True)) is TRANSITIONS[(state, action)]


def test_reservation_financing_and_cancel_need_no_vehicle():
    facts = replace(ALL_GOOD, vehicle_allocated=False)
    assert transition(DealState.OFFER_ACCEPTED, DealAction.RESERVE, facts) is DealState.RESERVED
    assert transition(DealState.RESERVED, DealAction.START_FINANCING, facts) is DealState.FINANCING
    assert transition(DealState.RESERVED, DealAction.CANCEL, facts) is DealState.CANCELLED
