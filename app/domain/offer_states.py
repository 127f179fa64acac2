"""The offer (quotation) life cycle: states, allowed transitions, and expiry.

States and transitions (every one guarded here; services call ``transition`` and audit-log it)::

    draft ──submit──▶ pending_approval ──approve──▶ approved ──send──▶ sent ──view──▶ viewed
      │                     │ return                                    │              │
      │                     ▼                                           ├──accept──────┤──▶ accepted
      │                  returned                                       ├──decline─────┤──▶ declined
      └──send (no approval needed)──────────────────────────────────▶ sent           └──▶ expired
    any state before acceptance ──withdraw──▶ withdrawn
    any editable state ──revise──▶ draft (a new revision; voids an approval)

* ``accepted``, ``declined``, ``withdrawn`` and ``expired`` are terminal: nothing leaves them, and
  expiry never overwrites the first three.
* An offer with approval required can reach ``sent`` only from ``approved`` — there is no edge
  from ``draft`` or ``returned`` to ``sent`` when approval is required, so no path goes around it.
* Expiry: an offer valid until a date expires at the **end of the dealer's local business day**
  of that date, i.e. at the next local midnight in the dealer's IANA time zone — never at
  midnight UTC. It is checked lazily on every read and by ``flask expire-offers``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class OfferState(StrEnum):
    """Where an offer is in its life cycle."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    RETURNED = "returned"
    SENT = "sent"
    VIEWED = "viewed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class OfferAction(StrEnum):
    """What can be done to an offer."""

    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    SEND = "send"
    VIEW = "view"
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"
    REVISE = "revise"


TERMINAL = frozenset({OfferState.ACCEPTED, OfferState.DECLINED, OfferState.WITHDRAWN, OfferState.EXPIRED})
EDITABLE = frozenset(
    {OfferState.DRAFT, OfferState.PENDING_APPROVAL, OfferState.APPROVED, OfferState.RETURNED, OfferState.SENT, OfferState.VIEWED}
)

_S, _A = OfferState, OfferAction
TRANSITIONS: dict[tuple[OfferState, OfferAction], OfferState] = {
    (_S.DRAFT, _A.SUBMIT): _S.PENDING_APPROVAL,
    (_S.RETURNED, _A.SUBMIT): _S.PENDING_APPROVAL,
    (_S.PENDING_APPROVAL, _A.APPROVE): _S.APPROVED,
    (_S.PENDING_APPROVAL, _A.RETURN): _S.RETURNED,
    (_S.DRAFT, _A.SEND): _S.SENT,  # only when no approval is required (guarded below)
    (_S.APPROVED, _A.SEND): _S.SENT,
    (_S.SENT, _A.SEND): _S.SENT,  # re-send the same revision (e.g. to another address)
    (_S.VIEWED, _A.SEND): _S.VIEWED,
    (_S.SENT, _A.VIEW): _S.VIEWED,
    (_S.VIEWED, _A.VIEW): _S.VIEWED,
    (_S.SENT, _A.ACCEPT): _S.ACCEPTED,
    (_S.VIEWED, _A.ACCEPT): _S.ACCEPTED,
    (_S.SENT, _A.DECLINE): _S.DECLINED,
    (_S.VIEWED, _A.DECLINE): _S.DECLINED,
}
for _state in EDITABLE:
    TRANSITIONS[(_state, _A.WITHDRAW)] = _S.WITHDRAWN
    TRANSITIONS[(_state, _A.EXPIRE)] = _S.EXPIRED
    TRANSITIONS[(_state, _A.REVISE)] = _S.DRAFT


class OfferTransitionError(ValueError):
    """The action is not allowed in the offer's current state; the message says why."""


def transition(state: OfferState, action: OfferAction, *, approval_required: bool = False) -> OfferState:
    """Return the state after ``action`` on an offer in ``state``.

    ``approval_required`` (from ``domain.approval.approval_check``) forbids ``send`` from
    ``draft``: such an offer must be submitted and approved first. Raises
    ``OfferTransitionError`` for any move not in ``TRANSITIONS``.
    """
    if state in TERMINAL:
        raise OfferTransitionError(f"The offer is {state.value}; it can no longer change.")
    if action is OfferAction.SEND and state is OfferState.DRAFT and approval_required:
        raise OfferTransitionError("This offer needs approval before it can be sent.")
    if action is OfferAction.SUBMIT and not approval_required:
        raise OfferTransitionError("This offer needs no approval; send it directly.")
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise OfferTransitionError(f"Cannot {action.value} an offer that is {state.value.replace('_', ' ')}.")
    return target


def expires_at(valid_until: date, timezone: str) -> datetime:
    """Return the UTC instant an offer valid until ``valid_until`` expires: the next local midnight.

    ``timezone`` is the dealer's IANA name. Example: valid until 2026-12-31 in Asia/Seoul expires
    at 2026-12-31T15:00:00Z; in America/Toronto at 2027-01-01T05:00:00Z.
    """
    zone = ZoneInfo(timezone)
    local_midnight = datetime.combine(valid_until + timedelta(days=1), time(0), tzinfo=zone)
    return local_midnight.astimezone(UTC)


def valid_until_for(created_at: datetime, validity_days: int, timezone: str) -> date:
    """Return the last valid local date of an offer created at ``created_at`` (aware) valid ``validity_days`` days.

    Day 0 is the local creation date: 7 days from Monday means valid through next Monday.
    Raises ``ValueError`` for a naive datetime or a validity below 1 day.
    """
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    if validity_days < 1:
        raise ValueError("An offer must be valid for at least 1 day")
    return created_at.astimezone(ZoneInfo(timezone)).date() + timedelta(days=validity_days)


def is_expired(state: OfferState, valid_until: date | None, timezone: str, now: datetime) -> bool:
    """Return True when an offer in ``state`` must now be marked expired (never for terminal states)."""
    if state in TERMINAL or valid_until is None:
        return False
    return now >= expires_at(valid_until, timezone)
