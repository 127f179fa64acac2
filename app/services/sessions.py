"""Sign-in sessions kept on the server, and the per-account delay after failed sign-ins.

**Sessions.** Every sign-in creates a ``UserSession`` row with a random secret; the browser gets the
secret (Flask-Login's "alternative id": ``User.get_id()`` returns it), in the signed session cookie
and, with "keep me signed in", in the remember cookie. Every request loads the user back *through*
that row (``load``), so a session is over the moment its row is revoked, whatever cookie the browser
(or a thief) still holds:

* signing out revokes the session it was made in (other devices stay signed in);
* "sign out everywhere", a new password (reset, invitation accepted, change) revokes every other
  session of the user; a reset revokes all of them, as whoever asked for it may not be the owner;
* deactivating a user, or a membership of the user, revokes all of the user's sessions;
* a session also ends by itself at ``expires_at``: ``REMEMBER_COOKIE_DURATION`` after sign-in when
  remembered, else ``LOGIN_SESSION_HOURS``.

Two sign-ins therefore never share a cookie value, and nothing derived from the user id alone gets
anyone in. The table keeps only the SHA-256 of each secret. Why a row per session rather than one
rotating token per user: signing out on one tablet must not sign the user out of the showroom PC,
yet must kill that tablet's cookies at once.

**Failed sign-ins** are counted per e-mail address (``LoginThrottle``, keyed by the address's
SHA-256, whether or not an account has it, so the answer tells nothing about which addresses exist).
The first ``LOGIN_THROTTLE_FREE_FAILURES`` (5) failures cost nothing; after ``n`` failures the next
attempt on that address must wait ``2 ** (n - free)`` seconds after the last failure, at most
``LOGIN_THROTTLE_MAX_DELAY`` (900 s). An attempt inside the wait is refused without looking at the
password — also a correct one, or the delay would be an oracle — but once the wait is over the
correct password works, so nobody can lock a chosen account out for longer than one wait. A success
clears the count; a count whose last failure is older than ``LOGIN_THROTTLE_RESET`` (a day) starts
again from zero. Counts live in the database, so every web process shares them.

Every function takes ``now`` (an aware UTC datetime) so tests drive the clock; views pass
``current_time()``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.models.accounts import LoginThrottle, User, UserSession
from app.models.base import utcnow


def current_time() -> datetime:
    """Return the time the session rules use: ``config["CLOCK"]()`` when a test set one, else ``utcnow()``."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else utcnow()


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- sessions -------------------------------------------------------------------------------------------


def start(session: Session, user: User, *, remember: bool, now: datetime, lifetime: timedelta) -> UserSession:
    """Open a sign-in session for ``user`` valid for ``lifetime`` from ``now`` and attach it to ``user``.

    Returns the row with its plain ``secret`` set (for this request only); ``user.get_id()`` returns it.
    """
    secret = secrets.token_urlsafe(32)
    row = UserSession(user=user, token_hash=_hash(secret), remember=remember, created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    row.secret = secret
    user.login_session = row
    return row


def load(session: Session, secret: str, now: datetime) -> User | None:
    """Return the active user of the live session whose secret is ``secret``, else None.

    None for an unknown, revoked or expired session and for a deactivated user. The user comes back
    with ``login_session`` set, so ``get_id()`` keeps answering the same secret.
    """
    if not secret or len(secret) > 100:
        return None
    row = session.scalar(
        select(UserSession)
        .options(joinedload(UserSession.user))
        .where(UserSession.token_hash == _hash(secret), UserSession.revoked_at.is_(None), UserSession.expires_at > now)
    )
    if row is None or not row.user.active:
        return None
    row.secret = secret
    row.user.login_session = row
    return row.user


def end(session: Session, row: UserSession | None, *, now: datetime, reason: str = "logout") -> None:
    """Revoke one session (sign-out); nothing happens for None or an already revoked one."""
    if row is not None and row.revoked_at is None:
        row.revoked_at, row.revoked_reason = now, reason
        session.flush()


def end_all(session: Session, user: User, *, now: datetime, reason: str, keep: UserSession | None = None) -> int:
    """Revoke every live session of ``user`` except ``keep``; return how many were revoked.

    ``reason`` is stored on the rows: ``everywhere``, ``password``, ``reset``, ``deactivated``,
    ``membership``.
    """
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep is not None and keep.id is not None:
        query = query.where(UserSession.id != keep.id)
    result = session.execute(
        query.values(revoked_at=now, revoked_reason=reason[:40]).execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def live_sessions(session: Session, user: User, now: datetime) -> list[UserSession]:
    """Return ``user``'s sessions that still sign in, newest first."""
    return list(
        session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
            .order_by(UserSession.created_at.desc(), UserSession.id.desc())
        )
    )


# --- failed sign-ins ------------------------------------------------------------------------------------


def _throttle(session: Session, email: str) -> LoginThrottle | None:
    return session.scalar(select(LoginThrottle).where(LoginThrottle.email_hash == _hash(User.normalize_email(email))))


def _delay(failures: int, free: int, max_delay: int) -> int:
    """Seconds to wait after ``failures`` failures: 0 up to ``free``, then 1, 2, 4 … capped at ``max_delay``."""
    if failures < free:
        return 0
    return min(2 ** min(failures - free, 30), max_delay)


def wait_seconds(session: Session, email: str, now: datetime, *, free: int, max_delay: int, reset: int) -> int:
    """Return how many seconds a sign-in on ``email`` must still wait (0 = may try now).

    ``free`` failures cost nothing, then the wait doubles from one second up to ``max_delay``
    seconds; a count whose last failure is ``reset`` seconds old no longer counts.
    """
    row = _throttle(session, email)
    if row is None or now - row.last_failure_at >= timedelta(seconds=reset):
        return 0
    until = row.last_failure_at + timedelta(seconds=_delay(row.failures, free, max_delay))
    return max(0, int((until - now).total_seconds() + 0.999))


def record_failure(session: Session, email: str, now: datetime, *, reset: int) -> int:
    """Count one failed sign-in on ``email`` at ``now``; return the failures counted so far."""
    row = _throttle(session, email)
    if row is None:
        # Two web processes may count the first failure of an address at once: the loser of the unique
        # index race counts on the winner's row instead of failing the request.
        try:
            with session.begin_nested():
                row = LoginThrottle(email_hash=_hash(User.normalize_email(email)), failures=1, last_failure_at=now)
                session.add(row)
            return 1
        except IntegrityError:
            row = _throttle(session, email)
    if now - row.last_failure_at >= timedelta(seconds=reset):
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    session.flush()
    return row.failures


def clear_failures(session: Session, email: str) -> None:
    """Forget the failed sign-ins on ``email`` (after a successful one)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.email_hash == _hash(User.normalize_email(email))))


def purge(session: Session, now: datetime, *, keep_days: int = 30, reset: int = 86400) -> int:
    """Delete sessions revoked or expired ``keep_days`` ago and failure counts older than ``reset`` seconds.

    Returns the number of session rows deleted.
    """
    cutoff = now - timedelta(days=keep_days)
    result = session.execute(
        delete(UserSession).where(or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff))
    )
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - timedelta(seconds=reset)))
    return result.rowcount or 0
