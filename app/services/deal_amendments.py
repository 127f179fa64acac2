"""Changes to accept: record how an accepted deal's figures changed, and the customer's (or principal's) acceptance.

The rules are in ``domain.deal_amendments``. The step services call this module *after* they
changed the deal (``services.trade_ins.apply_to_offer``: a trade-in appraisal re-priced the
accepted offer; ``services.finance_applications.decide``: the bank approved other terms):

1. ``figures_of(session, deal)`` before the change, then the change, then
   ``record_change(session, deal, before, reason=…)``: a ``DealAmendment`` pending with the figures
   before (what the customer last accepted) and after (what the deal says now), a timeline event
   showing both, an audit event, an e-mail to the customer with their purchase link and an in-app
   notice to the consultant and the managers. A change made while another is pending supersedes
   it and keeps its ``before`` and reasons, so the customer always compares with what they accepted.
2. ``accept_by_customer`` (purchase page: typed full name + consent, IP and browser recorded) or
   ``approve_by_principal`` (only a trade-in change that does not raise the customer's total).
3. Until then ``blocking_reason`` tells the contract service to refuse generating and signing.

Services only ``flush``; views commit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import deal_amendments as rules
from app.domain.contracts import names_match
from app.domain.deal_amendments import AmendmentStatus, DealFigures, FigureChange, LoanTerms
from app.domain.deal_states import N_, DealState
from app.domain.roles import Role
from app.models.accounts import Dealer, User
from app.models.base import utcnow
from app.models.deals import Deal, DealAmendment
from app.models.finance import FinanceApplication
from app.models.offers import OfferRevision
from app.services import audit
from app.services import deals as deal_service
from app.services.notifications import Message, notify_customer, notify_roles

#: Shown to staff and customer while a change waits for acceptance (the contract step is blocked).
BLOCKED = N_("The purchase changed after the offer was accepted: the customer must accept the new figures "
             "before the contract can be prepared or signed.")


# --- reading ----------------------------------------------------------------------------------------------


def live_application(session: Session, deal: Deal) -> FinanceApplication | None:
    """Return the deal's finance application that is not declined (submitted, in review or approved), if any."""
    return session.scalar(select(FinanceApplication).where(FinanceApplication.active_deal_id == deal.id))


def loan_of(session: Session, deal: Deal) -> LoanTerms | None:
    """Return the deal's loan or lease as it stands (None without a live finance application).

    Approved: the bank's APR and term on the deal's ``amount_financed`` (which may differ from the
    approved amount after a trade-in change). Not decided yet: the terms applied for.
    """
    application = live_application(session, deal)
    if application is None:
        return None
    offered = (application.amount_financed, application.apr_percent, application.term_months, application.monthly_payment)
    if application.status.is_approved and application.approved_apr_percent is not None:
        apr, term, amount = application.approved_apr_percent, application.approved_term_months, deal.amount_financed
    else:
        apr, term, amount = application.apr_percent, application.term_months, application.amount_financed
    return rules.safe_loan_terms(kind=application.payment_kind, lender=application.bank_name, amount_financed=amount,
                                 apr_percent=apr, term_months=term, currency=deal.currency, offered=offered)


def _revision_snapshot(session: Session, deal: Deal) -> dict[str, Any]:
    if deal.offer_id is None or deal.offer_revision_no is None:
        return {}
    return session.scalar(select(OfferRevision.snapshot).where(
        OfferRevision.offer_id == deal.offer_id, OfferRevision.revision_no == deal.offer_revision_no)) or {}


def figures_of(session: Session, deal: Deal, *, as_applied: FinanceApplication | None = None) -> DealFigures:
    """Return the deal's figures now: its money, the offer revision's trade-in and the loan (``loan_of``).

    While the deal's finance application is not decided yet (or ``as_applied`` names it), the loan
    counts at the amount applied for — the deal itself finances nothing before the bank approves — so
    the figures are those the customer accepted and a decision compares with the offer's scenario.
    """
    priced = _revision_snapshot(session, deal).get("priced") or {}
    figures = DealFigures(
        currency=deal.currency, out_the_door_price=deal.out_the_door_price,
        trade_in_allowance=Decimal(str(priced.get("trade_in_allowance") or "0")),
        trade_in_payoff=Decimal(str(priced.get("trade_in_payoff") or "0")),
        trade_in_equity=deal.trade_in_equity, amount_financed=deal.amount_financed,
        balance_due=deal_service.settlement_of(deal).balance_due,
    )
    if as_applied is None:
        application = live_application(session, deal)
        as_applied = application if application is not None and not application.status.is_approved else None
    if as_applied is not None:
        figures = replace(figures, amount_financed=as_applied.amount_financed,
                          balance_due=figures.balance_due + figures.amount_financed - as_applied.amount_financed)
    return figures.with_loan(loan_of(session, deal))


def pending_change(session: Session, deal: Deal) -> DealAmendment | None:
    """Return the change of ``deal`` waiting for acceptance, if any (at most one)."""
    return session.scalar(select(DealAmendment).where(DealAmendment.pending_deal_id == deal.id))


def changes_of(amendment: DealAmendment) -> list[FigureChange]:
    """Return the figures that differ between the amendment's ``before`` and ``after``."""
    return rules.changes(DealFigures.from_json(amendment.before), DealFigures.from_json(amendment.after))


def blocking_reason(session: Session, deal: Deal) -> str | None:
    """Return why the contract step must wait (a change not accepted yet), or None."""
    return BLOCKED if pending_change(session, deal) is not None else None


def history(session: Session, deal: Deal) -> list[DealAmendment]:
    """Return every change of ``deal``, newest first."""
    return list(session.scalars(select(DealAmendment).where(DealAmendment.deal_id == deal.id).order_by(DealAmendment.id.desc())))


# --- writing ----------------------------------------------------------------------------------------------


def _notify_staff(session: Session, deal: Deal, dealer: Dealer, kind: str, title: Message) -> None:
    consultant = session.get(User, deal.consultant_id) if deal.consultant_id else None
    notify_roles(session, dealer=dealer, roles=deal_service.MANAGERS, extra=[consultant], kind=kind, title=title,
                 deal_id=deal.id)


def _customer_locale(deal: Deal) -> str:
    return deal.customer.preferred_locale or deal.locale


def record_change(
    session: Session,
    deal: Deal,
    before: DealFigures,
    *,
    reason: dict[str, Any],
    dealer: Dealer,
    actor: User | None,
    link: str = "",
    now: datetime | None = None,
) -> DealAmendment | None:
    """Record that ``deal`` changed from ``before`` to its figures now; return the pending change.

    ``reason`` says what changed it (``{"kind": "trade_in" | "finance", …ids and names}``). Returns
    None (and records nothing new) when no figure differs from what the customer last accepted;
    a pending change this one supersedes is then closed. ``link`` is the customer's purchase page.
    """
    now = now or utcnow()
    after = figures_of(session, deal)
    reasons = [reason]
    previous = pending_change(session, deal)
    if previous is not None:
        before = DealFigures.from_json(previous.before)
        reasons = [*previous.reasons, reason]
        previous.status, previous.pending_deal_id, previous.decided_at = AmendmentStatus.SUPERSEDED, None, now
        session.flush()  # free the one-pending-per-deal slot before the new row
    if not rules.changes(before, after):
        return None
    kinds = {str(r.get("kind")) for r in reasons}
    amendment = DealAmendment(
        dealer_id=deal.dealer_id, deal_id=deal.id, pending_deal_id=deal.id, status=AmendmentStatus.PENDING,
        reasons=reasons, before=before.to_json(), after=after.to_json(),
        customer_total_before=before.customer_total, customer_total_after=after.customer_total,
        principal_may_approve=rules.principal_may_approve(kinds, before, after), offer_revision_no=deal.offer_revision_no,
        created_at=now, created_by_id=actor.id if actor else None,
    )
    session.add(amendment)
    session.flush()
    names = " · ".join(str(r.get("vehicle") or r.get("lender") or "") for r in reasons if r.get("vehicle") or r.get("lender"))
    deal_service.record_event(session, deal, "change_requested", actor=actor, note=names, amendment_id=amendment.id)
    audit.record(session, "deal.amend", deal, before=before.to_json(),
                 after={**after.to_json(), "amendment": amendment.id, "supersedes": previous.id if previous else None})
    params = {"number": deal.number, "link": link}
    notify_customer(
        session, email=deal.customer.email, locale=_customer_locale(deal),
        subject=Message("Your purchase %(number)s changed: please review the new figures", params),
        body=Message("The figures of your purchase %(number)s changed after you accepted the offer. Please compare "
                     "the old and the new figures and accept them on your purchase page: %(link)s", params),
    )
    _notify_staff(session, deal, dealer, "deal.change_requested",
                  Message("Deal %(number)s: the customer must accept the changed figures", {"number": deal.number}))
    return amendment


def _check_open(session: Session, amendment: DealAmendment) -> Deal:
    session.refresh(amendment, with_for_update=True)  # two acceptances posted at once record one
    deal = amendment.deal
    if deal.state is DealState.CANCELLED:
        raise deal_service.DealError("This purchase was cancelled.")
    if amendment.status in (AmendmentStatus.ACCEPTED, AmendmentStatus.APPROVED):
        raise deal_service.DealError("These figures have already been accepted.")
    if amendment.status is not AmendmentStatus.PENDING:
        raise deal_service.DealError("These figures were replaced by newer ones; please review the change again.")
    return deal


def accept_by_customer(
    session: Session,
    amendment: DealAmendment,
    *,
    typed_name: str,
    consent: bool,
    ip: str,
    user_agent: str,
    now: datetime | None = None,
) -> DealAmendment:
    """Record the customer's acceptance of a pending change: full name typed as on the deal, consent ticked.

    Raises ``deals.DealError`` (nothing changes) for a cancelled deal, a change already accepted or
    superseded, a missing consent or a name that is not the customer's (``contracts.names_match``).
    """
    deal = _check_open(session, amendment)
    if not consent:
        raise deal_service.DealError("Please tick the box to accept the new figures.")
    if not names_match(typed_name, deal.customer.full_name):
        raise deal_service.DealError("Type your full name as it appears on your purchase.")
    amendment.status, amendment.pending_deal_id = AmendmentStatus.ACCEPTED, None
    amendment.accepted_name = typed_name.strip()[:200]
    amendment.accepted_ip, amendment.accepted_user_agent = (ip or "")[:45], (user_agent or "")[:300]
    amendment.decided_at = now or utcnow()
    session.flush()
    deal_service.record_event(session, deal, "change_accepted", note=amendment.accepted_name, amendment_id=amendment.id)
    audit.record(session, "deal.amend_accept", amendment, after={"by": "customer", "ip": amendment.accepted_ip})
    _notify_staff(session, deal, session.get(Dealer, deal.dealer_id), "deal.change_accepted",
                  Message("Deal %(number)s: the customer accepted the changed figures", {"number": deal.number}))
    return amendment


def approve_by_principal(
    session: Session, amendment: DealAmendment, *, principal: User, role: Role | None, now: datetime | None = None,
) -> DealAmendment:
    """Accept a pending change in the customer's place (dealer principal; the customer's total did not rise).

    Raises ``PermissionError`` for another role and ``deals.DealError`` when the change raises the
    customer's total or changes the loan (the customer must accept it), or is no longer pending.
    """
    if role is not Role.DEALER_PRINCIPAL:
        raise PermissionError("Only the dealer principal can accept a change for the customer.")
    deal = _check_open(session, amendment)
    if not amendment.principal_may_approve:
        raise deal_service.DealError("This change raises what the customer pays or changes the loan: "
                                     "only the customer can accept it.")
    amendment.status, amendment.pending_deal_id = AmendmentStatus.APPROVED, None
    amendment.decided_by_id, amendment.decided_at = principal.id, now or utcnow()
    session.flush()
    deal_service.record_event(session, deal, "change_approved", actor=principal, amendment_id=amendment.id)
    audit.record(session, "deal.amend_accept", amendment, after={"by": "principal", "user": principal.id})
    notify_customer(
        session, email=deal.customer.email, locale=_customer_locale(deal),
        subject=Message("Your purchase %(number)s was updated", {"number": deal.number}),
        body=Message("The figures of your purchase %(number)s changed after you accepted the offer; what you pay "
                     "did not rise. Your purchase page shows the old and the new figures.", {"number": deal.number}),
    )
    return amendment


def _withdraw_on_cancel(session: Session, deal: Deal, now: datetime) -> None:
    """Deal cancelled: a change still waiting for acceptance is withdrawn (run inside the cancel)."""
    amendment = pending_change(session, deal)
    if amendment is not None:
        amendment.status, amendment.pending_deal_id, amendment.decided_at = AmendmentStatus.WITHDRAWN, None, now


deal_service.CANCEL_HOOKS.append(_withdraw_on_cancel)

__all__ = ["BLOCKED", "accept_by_customer", "approve_by_principal", "blocking_reason", "changes_of",
           "figures_of", "history", "live_application", "loan_of", "pending_change", "record_change"]
