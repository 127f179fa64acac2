"""Append audit events; the request hooks fill in who and from where.

Services call ``record(...)`` inside the unit of work that changes the object, so the
event commits or rolls back with the change itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.models.audit import AuditEvent
from app.tenancy import current_scope


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: user id (None for system jobs) and client IP address."""

    user_id: int | None = None
    ip_address: str = ""


_NO_ACTOR = Actor()
_actor: ContextVar[Actor] = ContextVar("forecourt_audit_actor", default=_NO_ACTOR)  # noqa: B039 - frozen, immutable


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Attribute audit events recorded inside the block to ``actor``."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def set_actor(actor: Actor):
    """Set the actor for the current request; returns the token for ``reset_actor``."""
    return _actor.set(actor)


def reset_actor(token) -> None:
    """Undo ``set_actor``."""
    _actor.reset(token)


def _jsonable(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {key: (value if isinstance(value, int | float | bool | type(None)) else str(value)) for key, value in summary.items()}


def record(
    session: Session,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    dealer_id: int | None = None,
    brand_id: int | None = None,
) -> AuditEvent:
    """Add one ``AuditEvent`` to ``session`` (flushed with the caller's unit of work).

    ``obj`` supplies ``object_type`` (class name) and ``object_id`` (``obj.id``) when given.
    The tenant defaults to the current scope; values in ``before``/``after`` are stored as
    strings unless they are JSON scalars (Decimals keep their exact text).
    """
    scope = current_scope()
    actor = _actor.get()
    event = AuditEvent(
        actor_user_id=actor.user_id,
        ip_address=actor.ip_address,
        dealer_id=dealer_id if dealer_id is not None else (scope.dealer_id if scope else None),
        brand_id=brand_id if brand_id is not None else (scope.brand_id if scope else None),
        object_type=object_type or (type(obj).__name__ if obj is not None else ""),
        object_id=str(object_id if object_id is not None else (getattr(obj, "id", "") or "")),
        action=action,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    session.add(event)
    return event


def changes(obj: Any, fields: list[str], new_values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(before, after)`` dicts for the ``fields`` whose value in ``new_values`` differs from ``obj``."""
    before, after = {}, {}
    for field in fields:
        if field in new_values and getattr(obj, field) != new_values[field]:
            before[field] = getattr(obj, field)
            after[field] = new_values[field]
    return before, after
