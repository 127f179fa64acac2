from datetime import UTC, date, datetime

import pytest

from app.domain.offer_states import (
    TERMINAL,
    TRANSITIONS,
    OfferAction,
    OfferState,
    OfferTransitionError,
    expires_at,
    is_expired,
    transition,
    valid_until_for,
)

S, A = OfferState, OfferAction


@pytest.mark.parametrize(
    ("state", "action", "approval", "expected"),
    [
        (S.DRAFT, A.SEND, False, S.SENT),
        (S.DRAFT, A.SUBMIT, True, S.PENDING_APPROVAL),
        (S.PENDING_APPROVAL, A.APPROVE, True, S.APPROVED),
        (S.PENDING_APPROVAL, A.RETURN, True, S.RETURNED),
        (S.RETURNED, A.SUBMIT, True, S.PENDING_APPROVAL),
        (S.APPROVED, A.SEND, True, S.SENT),
        (S.SENT, A.VIEW, False, S.VIEWED),
        (S.VIEWED, A.ACCEPT, False, S.ACCEPTED),
        (S.SENT, A.DECLINE, False, S.DECLINED),
        (S.APPROVED, A.REVISE, True, S.DRAFT),  # an edit voids the approval
        (S.SENT, A.WITHDRAW, False, S.WITHDRAWN),
        (S.VIEWED, A.EXPIRE, False, S.EXPIRED),
    ],
)
def test_allowed_transitions(state, action, approval, expected):
    assert transition(state, action, approval_required=approval) is expected


def test_no_path_around_approval():
    with pytest.raises(OfferTransitionError, match="needs approval"):
        transition(S.DRAFT, A.SEND, approval_required=True)
    for state in (S.PENDING_APPROVAL, S.RETURNED):
        with pytest.raises(OfferTransitionError):
            transition(state, A.SEND, approval_required=True)


def test_every_invalid_transition_is_refused():
    refused = 0
    for state in OfferState:
        for action in OfferAction:
            allowed = (state, action) in TRANSITIONS and state not in TERMINAL
            try:  # submit is only meaningful when approval is required
                transition(state, action, approval_required=(action is A.SUBMIT))
                assert allowed, f"{state} --{action}--> should be refused"
            except OfferTransitionError:
                assert not allowed, f"{state} --{action}--> should be allowed"
                refused += 1
    assert refused > 40


def test_terminal_states_never_change():
    for state in TERMINAL:
        for action in OfferAction:
            with pytest.raises(OfferTransitionError):
                transition(state, action, approval_required=True)


@pytest.mark.parametrize(
    ("valid_until", "tz", "expected"),
    [
        (date(2026, 12, 31), "Asia/Seoul", datetime(2026, 12, 31, 15, 0, tzinfo=UTC)),  # UTC+9
        (date(2026, 12, 31), "Asia/Bangkok", datetime(2026, 12, 31, 17, 0, tzinfo=UTC)),  # UTC+7
        (date(2026, 12, 31), "America/Toronto", datetime(2027, 1, 1, 5, 0, tzinfo=UTC)),  # EST UTC-5
        (date(2026, 7, 1), "America/Toronto", datetime(2026, 7, 2, 4, 0, tzinfo=UTC)),  # EDT UTC-4
        (date(2026, 3, 7), "America/Toronto", datetime(2026, 3, 8, 5, 0, tzinfo=UTC)),  # midnight before the DST switch
    ],
)
def test_expiry_is_end_of_local_business_day(valid_until, tz, expected):
    assert expires_at(valid_until, tz) == expected


def test_is_expired_edges_and_terminal_states():
    until = date(2026, 12, 31)
    assert not is_expired(S.SENT, until, "Asia/Seoul", datetime(2026, 12, 31, 14, 59, 59, tzinfo=UTC))
    assert is_expired(S.SENT, until, "Asia/Seoul", datetime(2026, 12, 31, 15, 0, tzinfo=UTC))
    for state in (S.ACCEPTED, S.DECLINED, S.WITHDRAWN):
        assert not is_expired(state, until, "Asia/Seoul", datetime(2030, 1, 1, tzinfo=UTC))


def test_valid_until_counts_local_days():
    # 23:30 UTC on 1 Dec is already 2 Dec in Seoul: 7 days → 9 Dec
    assert valid_until_for(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), 7, "Asia/Seoul") == date(2026, 12, 9)
    assert valid_until_for(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), 7, "America/Toronto") == date(2026, 12, 8)
    with pytest.raises(ValueError):
        valid_until_for(datetime(2026, 12, 1), 7, "Asia/Seoul")
    with pytest.raises(ValueError):
        valid_until_for(datetime(2026, 12, 1, tzinfo=UTC), 0, "Asia/Seoul")
