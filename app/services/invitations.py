"""Invitations to work for a dealer: the one flow behind "invite a dealer principal" (corporate) and
"invite a staff member" (dealer).

An invitation never gives access by itself. It creates (or re-opens) the person's membership at the
dealer as **pending** and inactive, and mails a signed link; the membership becomes active only when
the invited person accepts:

* an address without an account gets a new user without a password, named as the inviter typed;
  accepting means choosing a password through the link;
* an existing account keeps its name and password; accepting means opening the link while signed in
  as that account and confirming. Nobody else's name is ever changed by an invitation.

The inviter's answer is the same whether the address has an account or not (no "belongs to a brand
account" message that would tell); only an address already active at *this* dealer is refused, as it
is on the dealer's own staff list anyway.

Links are signed with ``itsdangerous`` (salt ``invitation``), expire after ``max_age`` seconds and are
single-use: the token carries a fingerprint of the membership's pending state and its last change, so
accepting, withdrawing or re-inviting voids the older links. ``Membership`` is not tenant-owned, so queries filter by
``dealer_id`` explicitly; run inside the dealer's scope or ``all_tenants()``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.roles import DEALER_ROLES, Role
from app.models.accounts import Dealer, Membership, User
from app.models.base import utcnow
from app.services import accounts, audit
from app.tenancy import all_tenants

_SALT = "invitation"


class InvitationError(ValueError):
    """An invitation refused; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidInvitation(InvitationError):
    """An invitation link that is forged, expired, already used or withdrawn."""


class WrongAccount(InvitationError):
    """The link is opened while signed in as someone other than the invited person."""


@dataclass(frozen=True, slots=True)
class Invitation:
    """The invited person, their pending membership, and whether the user was created for it."""

    user: User
    membership: Membership
    created_user: bool

    @property
    def needs_password(self) -> bool:
        """True when the person has no password yet: accepting means choosing one."""
        return not self.user.password_hash


def invite(session: Session, dealer: Dealer, *, email: str, name: str, role: Role, locale: str | None = None,
           action: str = "invitation.create") -> Invitation:
    """Invite ``email`` to ``dealer`` as ``role``; return the pending invitation (the caller mails the link).

    Raises ``InvitationError`` (field ``email``) when the address is already active staff of this
    dealer, (``role``) for a role that is not a dealer role. ``name`` only names a *new* user. Users are
    platform-wide, so they are looked up across tenants.
    """
    if role not in DEALER_ROLES:
        raise InvitationError(_l("You cannot give this role."), "role")
    with all_tenants():
        user = accounts.find_user_by_email(session, email)
        created = user is None
        if created:
            user = accounts.create_user(session, email=email, name=name, preferred_locale=locale or dealer.locale)
        membership = session.scalar(select(Membership).where(Membership.user_id == user.id, Membership.dealer_id == dealer.id))
    if membership is not None and membership.active:
        raise InvitationError(_l("This person already works at this dealership."), "email")
    if membership is None:
        membership = Membership(user=user, role=role, dealer=dealer, active=False, pending=True)
        session.add(membership)
    else:  # deactivated or still pending: a new invitation, again waiting for acceptance
        membership.role, membership.active, membership.pending = role, False, True
    session.flush()
    audit.record(session, action, membership, after={"email": user.email, "role": role.value, "new_user": created},
                 dealer_id=dealer.id)
    return Invitation(user, membership, created)


def pending_invitation(session: Session, dealer: Dealer, user: User) -> Invitation | None:
    """Return ``user``'s pending invitation to ``dealer``, or None."""
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.dealer_id == dealer.id, Membership.pending.is_(True))
    )
    return Invitation(user, membership, False) if membership is not None else None


def _fingerprint(membership: Membership) -> str:
    # Changes when the invitation is accepted or withdrawn, and with every new invitation (updated_at).
    stamp = membership.updated_at.isoformat() if membership.updated_at else ""
    return hashlib.sha256(f"invitation:{membership.id}:{membership.pending}:{stamp}".encode()).hexdigest()[:16]


def make_token(membership: Membership, secret_key: str) -> str:
    """Return the signed link token of a pending ``membership``."""
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps({"mid": membership.id, "fp": _fingerprint(membership)})


def verify_token(session: Session, token: str, secret_key: str, max_age: int) -> Invitation:
    """Return the pending invitation a link token names.

    Raises ``InvalidInvitation`` when the token is forged, older than ``max_age`` seconds, already used
    (accepted, or a password was set since), withdrawn (no longer pending), or names an inactive user
    or dealer. Call inside ``all_tenants()``: the invitee has no tenant yet.
    """
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidInvitation(_l("This invitation has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise InvalidInvitation(_l("This invitation link is not valid.")) from exc
    membership = session.get(Membership, data.get("mid")) if isinstance(data, dict) else None
    if membership is None or data.get("fp") != _fingerprint(membership) or not membership.user.active:
        raise InvalidInvitation(_l("This invitation has already been used or is not valid."))
    if not membership.pending or membership.dealer is None or not membership.dealer.active:
        raise InvalidInvitation(_l("This invitation has been withdrawn."))
    return Invitation(membership.user, membership, False)


def accept(session: Session, invitation: Invitation, *, signed_in: User | None, password: str | None = None) -> Membership:
    """Accept ``invitation``: the membership becomes active; return it.

    A person without a password accepts by choosing ``password`` (which ends any other session of the
    user). A person with an account accepts while ``signed_in`` as that account; raises ``WrongAccount``
    for anyone else, ``InvitationError`` when neither condition holds or for a brand or platform account
    (those stay separate from dealer staff).
    """
    user, membership = invitation.user, invitation.membership
    if any(m.active and m.dealer_id is None for m in user.memberships):
        # Brand and platform accounts stay separate from dealer staff (as before the flows merged); said only
        # to the invited person, so the inviter still learns nothing about the address.
        raise InvitationError(_l("A brand or platform account cannot join a dealership. "
                                 "Ask for the invitation to be sent to another address."))
    if invitation.needs_password:
        if not password:
            raise InvitationError(_l("Choose a password to accept the invitation."), "password")
        accounts.set_new_password(session, user, password, now=utcnow(), reason="password")
    elif signed_in is None or signed_in.id != user.id:
        raise WrongAccount(_l("This invitation is for another account. Sign in as the invited person to accept it."))
    membership.pending, membership.active = False, True
    session.flush()
    audit.record(session, "invitation.accept", membership, after={"role": membership.role.value},
                 dealer_id=membership.dealer_id)
    return membership


def withdraw(session: Session, membership: Membership) -> None:
    """Withdraw a pending invitation (its links stop working); nothing happens for an accepted membership."""
    if membership.pending:
        membership.pending = False
        session.flush()
        audit.record(session, "invitation.withdraw", membership, dealer_id=membership.dealer_id)

