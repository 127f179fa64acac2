"""Users, memberships, sign-in and password reset.

Password reset links are signed with ``itsdangerous`` (salt ``password-reset``), expire
after ``max_age`` seconds, and are single-use: the token carries a fingerprint of the
current password hash, so it stops working as soon as the password changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.roles import CORPORATE_ROLES, DEALER_ROLES, Role
from app.models.accounts import Brand, Dealer, Membership, User, UserSession
from app.models.base import utcnow
from app.services import audit, sessions

_RESET_SALT = "password-reset"
# Compared against when the e-mail is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = generate_password_hash("forecourt-timing-equaliser")


class AccountError(ValueError):
    """Base class for account errors with a user-facing message."""


class DuplicateEmail(AccountError):
    """Another user already has this e-mail address (compared case-insensitively)."""


class InvalidResetToken(AccountError):
    """A password reset link that is forged, expired or already used."""


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the user with ``email`` (case-insensitive) or None."""
    return session.scalar(select(User).where(User.email == User.normalize_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user whose e-mail and password match, else None (never says which part was wrong)."""
    user = find_user_by_email(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.active or not user.check_password(password or ""):
        return None
    return user


def record_login(session: Session, user: User) -> None:
    """Stamp ``last_login_at`` and audit the sign-in."""
    user.last_login_at = utcnow()
    audit.record(session, "login", user, brand_id=None, dealer_id=None)


def create_user(
    session: Session, *, email: str, name: str, password: str | None = None, preferred_locale: str | None = None
) -> User:
    """Create a user; raises ``DuplicateEmail`` when the address is taken."""
    normalized = User.normalize_email(email)
    if find_user_by_email(session, normalized) is not None:
        raise DuplicateEmail(f"A user with e-mail {normalized} already exists")
    user = User(email=normalized, name=name.strip(), preferred_locale=preferred_locale)
    if password:
        user.set_password(password)
    session.add(user)
    session.flush()
    return user


def grant(session: Session, user: User, role: Role, *, brand: Brand | None = None, dealer: Dealer | None = None) -> Membership:
    """Give ``user`` a ``role`` in ``brand`` (corporate roles) or ``dealer`` (dealer roles); idempotent.

    Raises ``AccountError`` when the role does not fit the scope given.
    """
    if role in CORPORATE_ROLES and (brand is None or dealer is not None):
        raise AccountError("This role needs a brand", role)
    if role in DEALER_ROLES and (dealer is None or brand is not None):
        raise AccountError("This role needs a dealer", role)
    if role is Role.PLATFORM_ADMIN and (brand is not None or dealer is not None):
        raise AccountError("platform_admin has no brand or dealer")
    for membership in user.memberships:
        if membership.brand_id == (brand.id if brand else None) and membership.dealer_id == (dealer.id if dealer else None):
            membership.role = role
            membership.active = True
            return membership
    membership = Membership(user=user, role=role, brand=brand, dealer=dealer)
    session.add(membership)
    session.flush()
    return membership


@dataclass(frozen=True, slots=True)
class Workspace:
    """Somewhere a user can work: the platform, a brand's corporate pages or a dealer's pages."""

    kind: str  # "platform" | "brand" | "dealer"
    slug: str
    name: str
    role: Role


def workspaces(user: User) -> list[Workspace]:
    """Return the active workspaces of ``user``, platform first, then brands, then dealers by name."""
    result: list[Workspace] = []
    for m in user.memberships:
        if not m.active:
            continue
        if m.role is Role.PLATFORM_ADMIN:
            result.append(Workspace("platform", "", "Forecourt", m.role))
        elif m.brand is not None:
            result.append(Workspace("brand", m.brand.slug, m.brand.name, m.role))
        elif m.dealer is not None and m.dealer.active:
            result.append(Workspace("dealer", m.dealer.slug, m.dealer.name, m.role))
    order = {"platform": 0, "brand": 1, "dealer": 2}
    return sorted(result, key=lambda w: (order[w.kind], w.name))


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:16]


def make_reset_token(user: User, secret_key: str) -> str:
    """Return a signed token for resetting ``user``'s password."""
    return URLSafeTimedSerializer(secret_key, salt=_RESET_SALT).dumps({"uid": user.id, "fp": _fingerprint(user)})


def verify_reset_token(session: Session, token: str, secret_key: str, max_age: int) -> User:
    """Return the user a reset token was issued to.

    Raises ``InvalidResetToken`` when the token is forged, older than ``max_age`` seconds,
    already used (the password changed since) or names an inactive user.
    """
    serializer = URLSafeTimedSerializer(secret_key, salt=_RESET_SALT)
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidResetToken("This password reset link has expired. Please request a new one.") from exc
    except BadSignature as exc:
        raise InvalidResetToken("This password reset link is not valid.") from exc
    user = session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        raise InvalidResetToken("This password reset link has already been used or is not valid.")
    return user


def set_new_password(
    session: Session, user: User, new_password: str, *, now: datetime, reason: str, keep: UserSession | None = None
) -> int:
    """Set ``user``'s password and revoke every sign-in session except ``keep``; return how many ended.

    The one path for every new password (reset, accepted invitation, change): a stolen session or
    remember cookie must not outlive the password it was signed in with. A new hash also voids every
    outstanding reset and invitation link (their fingerprints change).
    """
    user.set_password(new_password)
    return sessions.end_all(session, user, now=now, reason=reason, keep=keep)


def reset_password(session: Session, user: User, new_password: str, *, now: datetime | None = None) -> None:
    """Set a new password from a reset link, end ALL of the user's sessions and audit it.

    All, not "all but this one": whoever follows a reset link is not signed in as the user.
    """
    set_new_password(session, user, new_password, now=now or utcnow(), reason="reset")
    audit.record(session, "password_reset", user, brand_id=None, dealer_id=None)


def change_password(
    session: Session, user: User, current_password: str, new_password: str, *, now: datetime | None = None
) -> int:
    """Change a signed-in user's password, keeping only the session they are using; return sessions ended.

    Raises ``AccountError`` when ``current_password`` is wrong.
    """
    if not user.check_password(current_password or ""):
        raise AccountError(_l("The current password is not correct."))
    ended = set_new_password(session, user, new_password, now=now or utcnow(), reason="password", keep=user.login_session)
    audit.record(session, "password_changed", user, brand_id=None, dealer_id=None)
    return ended


def set_user_active(session: Session, user: User, active: bool, *, now: datetime | None = None) -> User:
    """Activate or deactivate a user; deactivating ends every one of their sessions at once. Audit-logged."""
    if user.active != active:
        audit.record(session, "user_activated" if active else "user_deactivated", user,
                     before={"active": user.active}, after={"active": active}, brand_id=None, dealer_id=None)
        user.active = active
        session.flush()
    if not active:
        sessions.end_all(session, user, now=now or utcnow(), reason="deactivated")
    return user
