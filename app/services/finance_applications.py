"""Finance applications: submit one for a reserved deal, review it, record the bank's decision, attach documents.

Plugs into the deal core (``services.deals``) without editing it:

* a ``FACT_PROVIDERS`` entry tells the deal guards ``finance_submitted`` (a live application
  exists) and ``finance_approved`` (it is approved, with or without conditions);
* submitting moves the deal ``reserved → financing`` (``START_FINANCING``); a decline moves it back
  (``FINANCE_DECLINED``) and frees the deal for a new application; an approval sets the deal's
  ``amount_financed`` and ``payment_kind`` so ``settlement_of(deal)`` counts the loan.

The identity number and the monthly income are stored encrypted (``services.field_crypto``);
only the deal's consultant, the sales managers and the principal may read them back, and each
reading is audit-logged (``reveal``). Services only ``flush``; the view commits.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.deal_states import DealAction, DealState
from app.domain.finance_application import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    DocumentRejected,
    FinanceApplicationError,
    FinanceStatus,
    Scenario,
    check_decision,
    check_start_review,
    last4,
    masked,
    scenarios_from_snapshot,
    sniff_document,
)
from app.domain.messages import N_
from app.domain.money import ZERO, quantum
from app.domain.roles import Role
from app.models.accounts import Dealer, User
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.finance import FinanceApplication, FinanceDocument
from app.models.offers import OfferRevision
from app.models.partner_banks import PartnerBank
from app.services import audit, deal_amendments, field_crypto
from app.services import deals as deal_service
from app.services.notifications import Message, notify_customer, notify_roles
from app.services.storage import get_storage

__all__ = [
    "ApplicantInput", "Decision", "DocumentRejected", "FinanceAccessDenied", "FinanceApplicationError",
    "active_application", "add_document", "applications_of", "can_apply_reason", "can_unmask", "counts_by_status",
    "decide", "list_applications", "max_financeable", "read_document", "reveal", "scenarios", "start_review", "submit",
]

#: Who may read an applicant's identity number and income besides the deal's own consultant.
UNMASK_ROLES = frozenset({Role.DEALER_PRINCIPAL, Role.SALES_MANAGER})
#: Fields ``reveal`` can decrypt.
SECRET_FIELDS = ("national_id", "monthly_income")
_NATIONAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{3,38}[A-Za-z0-9]$")


class FinanceAccessDenied(PermissionError):
    """The user may not open the applicant's identity number or income."""


@dataclass(frozen=True, slots=True)
class ApplicantInput:
    """What the applicant tells the bank, as typed (strings stripped by the form).

    ``monthly_income`` in the deal currency; ``partner_bank_id`` one of the brand's active banks;
    ``scenario_index`` the index in the offer snapshot's ``priced.payments`` (see ``scenarios``).
    """

    applicant_name: str
    date_of_birth: date
    national_id: str
    address_line: str
    city: str
    postal_code: str
    employer: str
    position: str
    employment_years: int
    monthly_income: Decimal
    partner_bank_id: int
    scenario_index: int


@dataclass(frozen=True, slots=True)
class Decision:
    """The bank's answer: ``outcome`` a final ``FinanceStatus``; figures for approvals, ``reason`` for a decline."""

    outcome: FinanceStatus
    apr_percent: Decimal | None = None
    term_months: int | None = None
    amount_financed: Decimal | None = None
    conditions: str = ""
    reason: str = ""


# --- reading --------------------------------------------------------------------------------------------


def scenarios(session: Session, deal: Deal) -> list[Scenario]:
    """Return the finance/lease scenarios of the deal's accepted offer revision ([] without an offer)."""
    if deal.offer_id is None or deal.offer_revision_no is None:
        return []
    snapshot = session.scalar(
        select(OfferRevision.snapshot).where(
            OfferRevision.offer_id == deal.offer_id, OfferRevision.revision_no == deal.offer_revision_no
        )
    )
    from flask_babel import gettext

    return scenarios_from_snapshot(snapshot, gettext)


def active_application(session: Session, deal: Deal) -> FinanceApplication | None:
    """Return the deal's live (not declined) application, if any."""
    return session.scalar(select(FinanceApplication).where(FinanceApplication.active_deal_id == deal.id))


def applications_of(session: Session, deal: Deal) -> list[FinanceApplication]:
    """Return every application of the deal, newest first (declined ones included)."""
    return list(
        session.scalars(select(FinanceApplication).where(FinanceApplication.deal_id == deal.id).order_by(FinanceApplication.id.desc()))
    )


def can_apply_reason(session: Session, deal: Deal) -> str | None:
    """Return why no application can be submitted for ``deal`` now (a msgid: views show ``_(reason)``), or None.

    An application needs a reserved deal (``deal_states``: ``reserved → financing``), no live
    application, and a finance or lease scenario in the accepted offer.
    """
    if active_application(session, deal) is not None:
        return N_("This deal already has a finance application.")
    if deal.state is not DealState.RESERVED:
        return N_("A finance application can be made once the vehicle is reserved.")
    if not scenarios(session, deal):
        return N_("The accepted offer has no finance or lease scenario; ask for a new offer revision.")
    return None


def max_financeable(deal: Deal) -> Decimal:
    """Return the most a lender may finance: out-the-door price − deposit paid − trade-in equity − balance paid (≥ 0).

    Anything more would make the settlement (``domain.deal_settlement``) overpaid.
    """
    rest = deal.out_the_door_price - deal.deposit_paid - deal.trade_in_equity - deal.balance_paid
    return max(rest, ZERO)


def list_applications(
    session: Session, *, status: str | None = None, page: int = 1, per_page: int = 25
) -> tuple[list[FinanceApplication], int]:
    """Return one page of the current dealer's applications (newest first) and the total; ``status`` filters."""
    query = select(FinanceApplication)
    if status in {s.value for s in FinanceStatus}:
        query = query.where(FinanceApplication.status == FinanceStatus(status))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(FinanceApplication.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page))
    return list(rows), total


def counts_by_status(session: Session) -> dict[str, int]:
    """Return ``{status: count}`` of the current dealer's applications."""
    query = select(FinanceApplication.status, func.count(FinanceApplication.id)).group_by(FinanceApplication.status)
    return {status.value: count for status, count in session.execute(query)}


# --- secrets --------------------------------------------------------------------------------------------


def masked_national_id(application: FinanceApplication) -> str:
    """Return the identity number as shown by default (``••••••1234``)."""
    return masked(application.national_id_last4)


def can_unmask(deal: Deal, user: User | None, role: Role | str | None) -> bool:
    """Return True when ``user`` (with ``role`` at the deal's dealer) may open the applicant's secrets.

    The deal's own consultant, the sales managers and the principal may; other consultants may not.
    """
    if user is None or role is None:
        return False
    try:
        role = Role(role)
    except ValueError:
        return False
    return role in UNMASK_ROLES or (role is Role.SALES_CONSULTANT and deal.consultant_id == user.id)


def reveal(session: Session, application: FinanceApplication, what: str, *, config, user: User | None, role) -> str:
    """Return the plain identity number or monthly income (exact Decimal text) and audit-log the opening.

    ``what`` is ``national_id`` or ``monthly_income``. Raises ``FinanceAccessDenied`` for anyone
    but the deal's consultant, managers and the principal (the refusal is logged too), and
    ``ValueError`` for another field. The audit event names the field, never its value.
    """
    if what not in SECRET_FIELDS:
        raise ValueError(f"Unknown field {what!r}")
    deal = application.deal
    if not can_unmask(deal, user, role):
        audit.record(session, "finance_application.unmask_denied", application, after={"field": what})
        session.flush()
        raise FinanceAccessDenied("Only the deal's consultant, the sales managers and the principal can see this.")
    token = application.national_id_encrypted if what == "national_id" else application.monthly_income_encrypted
    plain = field_crypto.decrypt(config, token)
    audit.record(session, "finance_application.unmask", application, after={"field": what, "deal": deal.number})
    session.flush()
    return plain


# --- writing --------------------------------------------------------------------------------------------


def _years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _validate(session: Session, deal: Deal, data: ApplicantInput, today: date) -> tuple[PartnerBank, Scenario]:
    if not data.applicant_name.strip():
        raise FinanceApplicationError("Enter the applicant's name.")
    if data.date_of_birth >= today or _years_between(data.date_of_birth, today) < 18:
        raise FinanceApplicationError("The applicant must be at least 18 years old.")
    if _years_between(data.date_of_birth, today) > 120:
        raise FinanceApplicationError("Check the date of birth.")
    if not _NATIONAL_ID.match(data.national_id.strip()):
        raise FinanceApplicationError("Enter the identity number (5 to 40 letters, digits, spaces or dashes).")
    if not data.address_line.strip() or not data.city.strip():
        raise FinanceApplicationError("Enter the applicant's address.")
    if not data.employer.strip() or not data.position.strip():
        raise FinanceApplicationError("Enter the employer and position.")
    if not 0 <= data.employment_years <= 70:
        raise FinanceApplicationError("Years with the employer must be between 0 and 70.")
    if data.monthly_income < ZERO or data.monthly_income != data.monthly_income.quantize(quantum(deal.currency)):
        raise FinanceApplicationError("Enter the monthly income as an amount in the deal's currency.")
    bank = session.scalar(select(PartnerBank).where(PartnerBank.id == data.partner_bank_id, PartnerBank.active.is_(True)))
    if bank is None:
        raise FinanceApplicationError("Choose one of the partner banks.")
    scenario = next((s for s in scenarios(session, deal) if s.index == data.scenario_index), None)
    if scenario is None:
        raise FinanceApplicationError("Choose one of the offer's finance scenarios.")
    return bank, scenario


def submit(
    session: Session,
    deal: Deal,
    data: ApplicantInput,
    *,
    dealer: Dealer,
    config,
    actor: User | None,
    now: datetime | None = None,
) -> FinanceApplication:
    """Submit a finance application for a reserved deal and move the deal to ``financing``.

    ``actor`` is the staff member filling it in, or None when the customer submits through their
    purchase link. The scenario (kind, term, down payment, amount financed, APR) is copied from the
    accepted offer revision. Notifies the consultant and managers (``deals.advance``) and e-mails the
    customer. Raises ``FinanceApplicationError`` for a deal that cannot apply now
    (``can_apply_reason``) or invalid input; nothing is written then.
    """
    now = now or utcnow()
    reason = can_apply_reason(session, deal)
    if reason:
        raise FinanceApplicationError(reason)
    bank, scenario = _validate(session, deal, data, now.date())
    national_id = data.national_id.strip()
    application = FinanceApplication(
        dealer_id=deal.dealer_id, deal_id=deal.id, active_deal_id=deal.id, status=FinanceStatus.SUBMITTED,
        applicant_name=data.applicant_name.strip()[:200], date_of_birth=data.date_of_birth,
        national_id_encrypted=field_crypto.encrypt(config, national_id), national_id_last4=last4(national_id),
        address_line=data.address_line.strip()[:300], city=data.city.strip()[:120], postal_code=data.postal_code.strip()[:20],
        employer=data.employer.strip()[:200], position=data.position.strip()[:120], employment_years=data.employment_years,
        monthly_income_encrypted=field_crypto.encrypt(config, str(data.monthly_income)), currency=deal.currency,
        partner_bank_id=bank.id, bank_name=bank.name, scenario_index=scenario.index, scenario_label=scenario.label[:120],
        payment_kind=scenario.kind, term_months=scenario.term_months, down_payment=scenario.down_payment,
        amount_financed=scenario.amount_financed, apr_percent=scenario.apr_percent, monthly_payment=scenario.monthly_payment,
        channel="staff" if actor else "customer", submitted_at=now, submitted_by_id=actor.id if actor else None,
    )
    try:
        with session.begin_nested():  # a concurrent submit for the same deal loses on the unique constraint
            session.add(application)
    except IntegrityError as exc:
        raise FinanceApplicationError("This deal already has a finance application.") from exc
    deal_service.advance(
        session, deal, DealAction.START_FINANCING, dealer=dealer, actor=actor, note=f"{bank.name} · {scenario.label}", now=now
    )
    audit.record(
        session, "finance_application.submit", application,
        after={"deal": deal.number, "bank": bank.name, "scenario": scenario.label, "channel": application.channel},
    )
    _tell_customer(
        session, deal,
        Message("Finance application %(number)s received", {"number": deal.number}),
        Message("We have sent your finance application for purchase %(number)s to %(bank)s. "
                "We will let you know as soon as the bank decides.", {"number": deal.number, "bank": bank.name}),
    )
    session.flush()
    return application


def start_review(session: Session, application: FinanceApplication, *, actor: User, now: datetime | None = None) -> None:
    """Mark a submitted application as being reviewed by the bank (who, when); timeline entry."""
    check_start_review(application.status)
    application.status = FinanceStatus.IN_REVIEW
    application.review_started_at = now or utcnow()
    application.review_started_by_id = actor.id
    deal_service.record_event(session, application.deal, "finance_in_review", actor=actor, note=application.bank_name)
    audit.record(session, "finance_application.in_review", application, before={"status": "submitted"}, after={"status": "in_review"})
    session.flush()


def _check_approval(deal: Deal, decision: Decision) -> tuple[Decimal, int, Decimal]:
    apr, term, amount = decision.apr_percent, decision.term_months, decision.amount_financed
    if apr is None or not ZERO <= apr <= Decimal(100):
        raise FinanceApplicationError("The APR must be between 0 and 100 percent.")
    if term is None or not 1 <= term <= 120:
        raise FinanceApplicationError("The term must be between 1 and 120 months.")
    if amount is None or amount <= ZERO:
        raise FinanceApplicationError("The amount financed must be more than zero.")
    if amount != amount.quantize(quantum(deal.currency)):
        raise FinanceApplicationError("The amount has more decimals than the deal's currency allows.")
    if amount > max_financeable(deal):
        raise FinanceApplicationError("The amount financed cannot exceed what is left to pay on the vehicle.")
    if decision.outcome is FinanceStatus.APPROVED_WITH_CONDITIONS and not decision.conditions.strip():
        raise FinanceApplicationError("Enter the bank's conditions.")
    return apr, term, amount


def decide(
    session: Session,
    application: FinanceApplication,
    decision: Decision,
    *,
    dealer: Dealer,
    actor: User,
    now: datetime | None = None,
    link: str = "",
) -> None:
    """Record the bank's decision on an open application (managers and the principal; the view checks the role).

    Approved (with or without conditions): the bank's APR (0–100), term (1–120 months) and amount
    financed (> 0, at most ``max_financeable``) are stored; ``deal.amount_financed`` becomes that
    amount and ``deal.payment_kind`` the application's kind. Declined (a reason is required): the
    deal goes back to ``reserved`` (``FINANCE_DECLINED``), pays cash unless a new application
    follows, and may apply again. Staff and customer are notified. An approval whose APR, term or
    amount differs from what was applied for (the offer's scenario) is a change the customer must
    accept (``services.deal_amendments.record_change``: figures before → after, monthly payment and
    total of payments at the bank's terms; ``link`` is the customer's purchase page); the contract
    waits for it. Raises
    ``FinanceApplicationError`` (nothing changes) for a decided application, a deal that is not
    financing, or invalid figures.
    """
    deal = application.deal
    check_decision(application.status, decision.outcome)
    if deal.state is not DealState.FINANCING:
        raise FinanceApplicationError("The deal is no longer waiting for finance.")
    now = now or utcnow()
    before = application.status.value
    figures_before = deal_amendments.figures_of(session, deal, as_applied=application)
    if decision.outcome is FinanceStatus.DECLINED:
        if not decision.reason.strip():
            raise FinanceApplicationError("Give the bank's reason for the decline.")
        application.decline_reason = decision.reason.strip()[:4000]
        application.active_deal_id = None
        deal.amount_financed, deal.payment_kind = ZERO, "cash"
    else:
        apr, term, amount = _check_approval(deal, decision)
        application.approved_apr_percent, application.approved_term_months = apr, term
        application.approved_amount_financed = amount
        application.conditions = decision.conditions.strip()[:4000]
        deal.amount_financed, deal.payment_kind = amount, application.payment_kind
    application.status = decision.outcome
    application.decided_at, application.decided_by_id = now, actor.id
    session.flush()
    if decision.outcome is FinanceStatus.DECLINED:
        deal_service.advance(
            session, deal, DealAction.FINANCE_DECLINED, dealer=dealer, actor=actor, note=application.decline_reason, now=now
        )
        subject = Message("Finance application %(number)s declined", {"number": deal.number})
        body = Message("%(bank)s has declined the finance application for purchase %(number)s. "
                       "Your sales consultant will contact you about other ways to pay.",
                       {"bank": application.bank_name, "number": deal.number})
    else:
        deal_service.record_event(session, deal, "finance_approved", actor=actor, note=application.bank_name)
        asked = (application.apr_percent, application.term_months, application.amount_financed)
        if (application.approved_apr_percent, application.approved_term_months, application.approved_amount_financed) != asked:
            deal_amendments.record_change(
                session, deal, figures_before, dealer=dealer, actor=actor, link=link, now=now,
                reason={"kind": "finance", "application_id": application.id, "lender": application.bank_name},
            )
        title = Message("Deal %(number)s: finance approved", {"number": deal.number})
        consultant = session.get(User, deal.consultant_id) if deal.consultant_id else None
        notify_roles(session, dealer=dealer, roles=deal_service.MANAGERS, extra=[consultant], kind="deal.finance_approved",
                     title=title, deal_id=deal.id)
        subject = Message("Finance application %(number)s approved", {"number": deal.number})
        body = Message("%(bank)s has approved the finance for purchase %(number)s. "
                       "Your sales consultant will prepare the contract.", {"bank": application.bank_name, "number": deal.number})
    audit.record(
        session, "finance_application.decide", application, before={"status": before},
        after={"status": application.status.value, "apr": application.approved_apr_percent,
               "term": application.approved_term_months, "amount_financed": application.approved_amount_financed},
    )
    _tell_customer(session, deal, subject, body)
    session.flush()


def _tell_customer(session: Session, deal: Deal, subject: Message, body: Message) -> None:
    customer = session.get(Customer, deal.customer_id)
    if customer is not None:
        notify_customer(session, email=customer.email, locale=customer.preferred_locale or deal.locale, subject=subject, body=body)


# --- documents ------------------------------------------------------------------------------------------

DOCUMENT_KINDS = ("identity", "income", "other")


def _check_image(data: bytes) -> None:
    """Decode a JPEG/PNG in full so a renamed or truncated file is refused (``DocumentRejected``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as image:
                image.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DocumentRejected("The image is damaged or not a JPG or PNG.") from exc


def _safe_name(name: str, ext: str) -> str:
    stem = re.sub(r"[^\w.\- ]+", "_", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" ._") or "document"
    stem = stem.rsplit(".", 1)[0][:150] or "document"
    return f"{stem}.{ext}"


def add_document(
    session: Session,
    application: FinanceApplication,
    *,
    data: bytes,
    file_name: str,
    kind: str,
    config,
    actor: User | None,
) -> FinanceDocument:
    """Check and store one supporting document (PDF, JPG or PNG judged by content, size-limited).

    The limit is ``config["FINANCE_DOCUMENT_MAX_BYTES"]`` (default 10 MB). ``actor`` None = the
    customer. Raises ``DocumentRejected`` (nothing stored) for other content, an oversized or
    damaged file, and ``FinanceApplicationError`` for a declined application.
    """
    if application.status is FinanceStatus.DECLINED:
        raise FinanceApplicationError("This application was declined; start a new one.")
    if kind not in DOCUMENT_KINDS:
        raise DocumentRejected("Choose what the document shows.")
    ext = sniff_document(data, max_bytes=int(config.get("FINANCE_DOCUMENT_MAX_BYTES") or MAX_DOCUMENT_BYTES))
    if ext in ("jpg", "png"):
        _check_image(data)
    key = get_storage(config).save(data, area="finance", extension=ext)
    document = FinanceDocument(
        dealer_id=application.dealer_id, kind=kind, file_name=_safe_name(file_name, ext), content_type=DOCUMENT_TYPES[ext],
        size_bytes=len(data), storage_key=key, uploaded_by_id=actor.id if actor else None,
    )
    application.documents.append(document)
    deal_service.record_event(session, application.deal, "finance_document", actor=actor, note=document.file_name)
    audit.record(session, "finance_document.upload", document, after={"application": application.id, "kind": kind, "size": len(data)})
    session.flush()
    return document


def read_document(config, document: FinanceDocument) -> bytes:
    """Return the stored bytes of ``document`` (``StorageError`` when the file is gone)."""
    return get_storage(config).read(document.storage_key)


# --- deal guards ----------------------------------------------------------------------------------------


def _deal_facts(session: Session, deal: Deal) -> dict[str, bool]:
    """Tell the deal guards whether a live application exists and whether it is approved."""
    application = active_application(session, deal)
    return {
        "finance_submitted": application is not None,
        "finance_approved": application is not None and application.status.is_approved,
    }


deal_service.FACT_PROVIDERS.append(_deal_facts)
