"""Corporate management of a brand's dealers, their first principal, and dealer staff memberships.

The principal's invitation is ``app.services.invitations`` (the same flow as a dealer's staff invitation).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.roles import DEALER_ROLES, Role
from app.models.accounts import Dealer, Membership
from app.models.base import utcnow
from app.services import audit, invitations, sessions
from app.tenancy import TenantNotSet, all_tenants, current_scope


class DealerError(ValueError):
    """A dealer change that cannot be saved; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


DEALER_FIELDS = ["code", "name", "slug", "street", "city", "region", "postal_code", "phone", "email", "latitude",
                 "longitude", "business_model", "locale", "currency", "timezone"]


def save_dealer(session: Session, dealer: Dealer, values: dict[str, Any], *, country: str) -> Dealer:
    """Create or edit a dealer of the brand in scope; raises ``DealerError`` for a taken code or slug."""
    if session.scalar(select(Dealer.id).where(Dealer.code == values["code"], Dealer.id != (dealer.id or 0))):
        raise DealerError("Another dealer of the brand has this code.", "code")
    # Slugs are unique across every brand (they are URLs): the check must see all tenants.
    with all_tenants():
        taken = session.scalar(select(Dealer.id).where(Dealer.slug == values["slug"], Dealer.id != (dealer.id or 0)))
    if taken:
        raise DealerError("This web address name is taken.", "slug")
    is_new = dealer.id is None
    before, after = ({}, dict(values)) if is_new else audit.changes(dealer, list(values), values)
    for key, value in values.items():
        setattr(dealer, key, value)
    if is_new:
        dealer.country = country
        session.add(dealer)
    session.flush()
    if is_new or after:
        audit.record(session, "dealer_created" if is_new else "dealer_updated", dealer, before=before or None,
                     after=after, dealer_id=dealer.id)
    return dealer


def set_dealer_active(session: Session, dealer: Dealer, active: bool) -> Dealer:
    """Activate or deactivate a dealer (its staff can no longer open it); audit-logged."""
    if dealer.active != active:
        audit.record(session, "dealer_activated" if active else "dealer_deactivated", dealer,
                     before={"active": dealer.active}, after={"active": active}, dealer_id=dealer.id)
        dealer.active = active
        session.flush()
    return dealer


def invite_principal(session: Session, dealer: Dealer, *, name: str, email: str, locale: str | None) -> invitations.Invitation:
    """Invite ``email`` to be dealer principal of ``dealer`` (``app.services.invitations``).

    The membership waits, pending, for the person's acceptance; an existing account keeps its name.
    Raises ``invitations.InvitationError`` (field ``email``) when the person already works there.
    """
    return invitations.invite(session, dealer, email=email, name=name, role=Role.DEALER_PRINCIPAL, locale=locale,
                              action="principal_invited")


def staff_query():
    """Return a SELECT of dealer-staff memberships of the brand in scope; raises ``TenantNotSet`` without a brand.

    Membership is not brand-scoped, and the tenancy listener only adds its criteria when a scoped
    entity is selected at the top level, so ``select(Dealer.id)`` inside ``in_()`` was NOT limited
    to the brand (every brand's staff leaked). The brand is therefore named explicitly here.
    """
    scope = current_scope()
    if scope is None or scope.brand_id is None:
        raise TenantNotSet("Staff of a brand need a brand scope")
    return select(Membership).where(
        Membership.dealer_id.in_(select(Dealer.id).where(Dealer.brand_id == scope.brand_id)),
        Membership.role.in_(list(DEALER_ROLES)),
    )


def deactivate_membership(session: Session, membership: Membership) -> Membership:
    """Deactivate a consultant's membership at one dealer and end the person's sessions at once; audit-logged."""
    if membership.active:
        membership.active = False
        session.flush()
        sessions.end_all(session, membership.user, now=utcnow(), reason="membership")
        audit.record(session, "staff_deactivated", membership, before={"active": True}, after={"active": False},
                     dealer_id=membership.dealer_id)
    return membership
