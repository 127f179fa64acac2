"""Sales consultants of one dealership: invitations, profiles, discount authority, deactivation.

Invitations go through ``app.services.invitations`` (the same flow as corporate's principal invitation):
the membership waits, pending, for the person's acceptance. The dealer edits only what belongs to its
membership and profile (role, languages, discount authority, photo), never the person's name or e-mail.

``Membership`` is not tenant-owned (it links a user to a brand, a dealer or the platform), so the
queries on it here filter by ``dealer_id`` explicitly; ``ConsultantProfile`` is tenant-owned.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.approval import DiscountAuthority
from app.domain.roles import DEALER_ROLES, Role
from app.models.accounts import Dealer, Membership, User
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.dealer_settings import ConsultantProfile
from app.services import audit, invitations, sessions


class ConsultantError(ValueError):
    """A consultant change refused; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class StaffMember:
    """One row of the consultants page: the user, their membership here and their profile (maybe unsaved)."""

    user: User
    membership: Membership
    profile: ConsultantProfile


def memberships(session: Session, dealer: Dealer, *, active_only: bool = False) -> list[Membership]:
    """Return the dealer's staff memberships, active first, then by name."""
    query = select(Membership).join(User).where(Membership.dealer_id == dealer.id, Membership.role.in_(list(DEALER_ROLES)))
    if active_only:
        query = query.where(Membership.active.is_(True))
    return list(session.scalars(query.order_by(Membership.active.desc(), User.name)))


def profile_for(session: Session, dealer: Dealer, user_id: int) -> ConsultantProfile:
    """Return the user's profile at ``dealer``; a new, unsaved one when none exists yet."""
    profile = session.scalar(
        select(ConsultantProfile).where(ConsultantProfile.dealer_id == dealer.id, ConsultantProfile.user_id == user_id)
    )
    return profile or ConsultantProfile(dealer_id=dealer.id, user_id=user_id, languages=[])


def staff(session: Session, dealer: Dealer) -> list[StaffMember]:
    """Return every staff member of the dealer with membership and profile."""
    return [StaffMember(m.user, m, profile_for(session, dealer, m.user_id)) for m in memberships(session, dealer)]


def staff_member(session: Session, dealer: Dealer, user_id: int) -> StaffMember | None:
    """Return the staff member ``user_id`` of ``dealer`` (active or not), or None when not on its staff."""
    membership = session.scalar(
        select(Membership).where(
            Membership.dealer_id == dealer.id, Membership.user_id == user_id, Membership.role.in_(list(DEALER_ROLES))
        )
    )
    if membership is None:
        return None
    return StaffMember(membership.user, membership, profile_for(session, dealer, user_id))


def discount_authority_for(user: User, dealer: Dealer, session: Session | None = None) -> DiscountAuthority:
    """Return ``user``'s discount authority at ``dealer`` (no profile or inactive → no authority).

    Read by the offer workflow together with ``dealer_settings.approval_policy_for``. ``session``
    defaults to the dealer's own session; run it inside the dealer's tenant scope.
    """
    session = session or Session.object_session(dealer)
    member = staff_member(session, dealer, user.id)
    if member is None or not member.membership.active or member.profile.id is None:
        return DiscountAuthority()
    return DiscountAuthority(member.profile.discount_max_amount, member.profile.discount_max_percent)


def assignable_roles(actor_role: Role | str) -> list[Role]:
    """Return the roles ``actor_role`` may give: a principal any dealer role, a sales manager up to manager."""
    if Role(actor_role) is Role.DEALER_PRINCIPAL:
        return [Role.SALES_CONSULTANT, Role.SALES_MANAGER, Role.DEALER_PRINCIPAL]
    return [Role.SALES_CONSULTANT, Role.SALES_MANAGER]


def _check_authority(amount: Decimal | None, percent: Decimal | None) -> None:
    if amount is not None and amount < 0:
        raise ConsultantError(_l("The discount authority amount must not be negative."), "discount_max_amount")
    if percent is not None and not 0 <= percent <= 100:
        raise ConsultantError(_l("The discount authority percent must be between 0 and 100."), "discount_max_percent")


def invite(
    session: Session,
    dealer: Dealer,
    *,
    email: str,
    name: str,
    role: Role,
    actor_role: Role | str,
    languages: list[str] | None = None,
    discount_max_amount: Decimal | None = None,
    discount_max_percent: Decimal | None = None,
) -> tuple[StaffMember, invitations.Invitation]:
    """Invite a staff member to ``dealer`` (``app.services.invitations``) and set their profile here.

    Returns the staff member (membership pending until they accept) and the invitation. Raises
    ``ConsultantError`` (field ``email``) when the address already works here, (``role``) when the actor
    may not give ``role``, or a discount authority error. The answer never tells whether the address
    has an account elsewhere. The caller mails the invitation link.
    """
    if role not in assignable_roles(actor_role):
        raise ConsultantError(_l("You cannot give this role."), "role")
    _check_authority(discount_max_amount, discount_max_percent)
    try:
        invitation = invitations.invite(session, dealer, email=email, name=name, role=role, action="consultant.invite")
    except invitations.InvitationError as exc:
        raise ConsultantError(str(exc), exc.field) from exc
    user = invitation.user
    profile = profile_for(session, dealer, user.id)
    profile.languages = list(languages or [])
    profile.discount_max_amount = discount_max_amount
    profile.discount_max_percent = discount_max_percent
    profile.invited_at = utcnow()
    session.add(profile)
    session.flush()
    return StaffMember(user, invitation.membership, profile), invitation


def update_staff(
    session: Session,
    dealer: Dealer,
    member: StaffMember,
    *,
    actor: User,
    actor_role: Role | str,
    role: Role,
    languages: list[str],
    discount_max_amount: Decimal | None,
    discount_max_percent: Decimal | None,
    photo_key: str | None = None,
) -> StaffMember:
    """Change a staff member's role, languages, discount authority and (when given) photo key here.

    The person's name and e-mail are theirs, not the dealer's: they are never changed here.

    Raises ``ConsultantError`` (field ``role``) when the actor may not give the role, when a sales manager
    edits a principal, or when the last active principal would lose the role; or an authority error.
    """
    allowed = assignable_roles(actor_role)
    if role not in allowed or member.membership.role not in allowed:
        raise ConsultantError(_l("You cannot give this role."), "role")
    if member.membership.role is Role.DEALER_PRINCIPAL and role is not Role.DEALER_PRINCIPAL:
        principals = [m for m in memberships(session, dealer, active_only=True) if m.role is Role.DEALER_PRINCIPAL]
        if len(principals) <= 1:
            raise ConsultantError(_l("The dealership needs at least one active principal."), "role")
    _check_authority(discount_max_amount, discount_max_percent)
    profile = member.profile
    old = {
        "role": member.membership.role.value,
        "languages": ",".join(profile.languages or []),
        "amount": profile.discount_max_amount,
        "percent": profile.discount_max_percent,
        "photo": profile.photo_key,
    }
    member.membership.role = role
    profile.languages = list(languages)
    profile.discount_max_amount = discount_max_amount
    profile.discount_max_percent = discount_max_percent
    if photo_key is not None:
        profile.photo_key = photo_key
    session.add(profile)
    session.flush()
    new = {
        "role": role.value,
        "languages": ",".join(profile.languages),
        "amount": profile.discount_max_amount,
        "percent": profile.discount_max_percent,
        "photo": profile.photo_key,
    }
    before = {k: v for k, v in old.items() if new[k] != v}
    after = {k: new[k] for k in before}
    if after:
        audit.record(session, "consultant.update", member.user, before=before, after=after)
    return member


def open_customers(session: Session, dealer: Dealer, user_id: int) -> list[Customer]:
    """Return the live customers assigned to ``user_id`` at ``dealer``."""
    return list(
        session.scalars(
            select(Customer).where(
                Customer.dealer_id == dealer.id,
                Customer.assigned_consultant_id == user_id,
                Customer.merged_into_id.is_(None),
                Customer.withdrawn_at.is_(None),
            )
        )
    )


def deactivate(
    session: Session, dealer: Dealer, member: StaffMember, *, actor: User, reassign_to_id: int | None
) -> int:
    """Deactivate a staff member here, keeping their history, reassign their open customers, end their sessions.

    Returns the number of customers reassigned. Raises ``ConsultantError`` (field ``reassign_to``) when
    customers are open and ``reassign_to_id`` is not another active staff member, or (field ``user``) for
    the actor themselves or the last active principal.
    """
    if member.user.id == actor.id:
        raise ConsultantError(_l("You cannot deactivate yourself."), "user")
    if member.membership.pending:  # not accepted yet: withdraw the invitation
        invitations.withdraw(session, member.membership)
        return 0
    if not member.membership.active:
        raise ConsultantError(_l("This person is already inactive."), "user")
    active = memberships(session, dealer, active_only=True)
    if member.membership.role is Role.DEALER_PRINCIPAL and sum(m.role is Role.DEALER_PRINCIPAL for m in active) <= 1:
        raise ConsultantError(_l("The dealership needs at least one active principal."), "user")
    customers = open_customers(session, dealer, member.user.id)
    target_ids = {m.user_id for m in active if m.user_id != member.user.id}
    if customers and reassign_to_id not in target_ids:
        raise ConsultantError(_l("Choose an active colleague to take over the open customers."), "reassign_to")
    from app.services.customers import add_event  # local: customers imports nothing from here, keep it one-way

    target = session.get(User, reassign_to_id) if customers else None
    for customer in customers:
        customer.assigned_consultant_id = reassign_to_id
        add_event(session, customer, "reassigned", f"{member.user.name} → {target.name}", actor=actor)
    member.membership.active = False
    session.flush()
    # Signed in elsewhere, the person would keep every page they had open here: end their sessions now.
    sessions.end_all(session, member.user, now=utcnow(), reason="membership")
    audit.record(
        session, "consultant.deactivate", member.user, after={"reassigned": len(customers), "reassign_to": reassign_to_id}
    )
    return len(customers)


def reactivate(session: Session, dealer: Dealer, member: StaffMember) -> None:
    """Make a deactivated staff member active again; raises ``ConsultantError`` for a pending invitation.

    Only someone who once accepted comes back this way: an invitation is accepted by the invited person.
    """
    if member.membership.pending:
        raise ConsultantError(_l("This invitation is waiting for the person's acceptance."), "user")
    member.membership.active = True
    session.flush()
    audit.record(session, "consultant.reactivate", member.user)
