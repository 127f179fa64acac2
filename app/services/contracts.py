"""Sales contracts: generate a version from the deal, the customer signs it, the principal countersigns it.

Life of one deal's contract (``models.contracts``)::

    generate ──▶ v1 awaiting_customer ──customer signs──▶ customer_signed ──principal countersigns──▶ fully_signed
                     │                                        │                                           │
                     └──────── content changed: generate v2 ──┴──▶ v1 superseded (stays readable) ◀───────┘
    deal cancelled ──▶ every live version voided

* ``generate`` needs a physical car allocated to the deal (a stock car or a factory VIN, printed
  on the contract; ``services.vehicle_allocation``), the deal ``reserved`` or ``financing``, its
  offer still accepted, and — when
  the deal is financed — the finance application approved (``deal_service.facts``). It freezes
  ``build_content`` (offer revision snapshot, purchasing conditions in the customer's language,
  payment split) and its hash. Unchanged content returns the current version (a double click
  creates nothing); changed content supersedes it, even if signed, and asks both signatures again.
* A version is *stale* when the deal's content no longer hashes to its ``content_hash`` (a
  trade-in revision, a finance approval changing the amount financed…): it can no longer be
  signed and does not count as signed (``contract_signed`` fact) until a new version is signed.
* While a change to accept is pending (``services.deal_amendments``: a trade-in appraisal or the
  bank's terms changed the figures after acceptance) generating and signing are refused.
* Signing is refused on a cancelled deal, on a withdrawn or expired offer, on a version that is
  not the current one or is stale, twice, without consent or with a name that is not the
  customer's (``domain.contracts.names_match``). Only a dealer principal countersigns.
* When both signatures are on the current version the deal advances with ``contract``.

Services only ``flush``; views commit. Immutability of signed versions is also enforced by the
ORM guard in ``models.contracts``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.contract_pdf import ContractDocument, render_contract_pdf
from app.domain.contracts import content_hash, names_match, payment_split
from app.domain.deal_states import NO_VEHICLE, DealAction, DealState
from app.domain.money import quantum
from app.domain.offer_states import OfferState
from app.domain.roles import BusinessModel, Role
from app.models.accounts import Dealer, User
from app.models.base import utcnow
from app.models.catalog import localized
from app.models.contracts import LIVE_STATES, Contract, ContractState
from app.models.dealer_settings import PurchasingConditions
from app.models.deals import Deal
from app.models.offers import OfferRevision
from app.services import audit, deal_amendments
from app.services import deals as deal_service
from app.services.mail import Attachment
from app.services.notifications import Message, notify_customer, notify_roles, notify_staff

#: Deal states in which a contract may be generated and signed.
SIGNABLE_DEAL_STATES = frozenset({DealState.RESERVED, DealState.FINANCING})

class ContractError(ValueError):
    """A contract step that is not allowed now; the message is shown to the user."""


class ContractPermissionError(ContractError):
    """The user may not do this contract step (views answer 403)."""


def customer_locale(deal: Deal) -> str:
    """Return the language of the customer's contract: their preferred locale, else the deal's."""
    return deal.customer.preferred_locale or deal.locale


def _offer_revision(session: Session, deal: Deal) -> OfferRevision | None:
    if deal.offer_id is None:
        return None
    return session.scalar(
        select(OfferRevision).where(OfferRevision.offer_id == deal.offer_id, OfferRevision.revision_no == deal.offer_revision_no)
    )


def build_content(session: Session, deal: Deal, dealer: Dealer) -> dict[str, Any]:
    """Return the content a contract of ``deal`` freezes now (JSON-ready; amounts as exact Decimal strings).

    Keys: ``deal`` (number, currency, locale, payment kind), ``dealer`` (name, address, phone,
    e-mail, brand, time zone), ``customer`` (name, e-mail, phone, address), ``consultant``,
    ``offer`` (number, revision, its content hash) or None for a deal opened without an offer,
    ``vehicle`` (the snapshot's vehicle with VIN and stock number), ``priced`` (the offer
    revision's priced figures, or only the out-the-door price), ``conditions`` (the offer's
    printed conditions, the dealer's cancellation and refund policies in the customer's language,
    required documents), ``payment`` (``domain.contracts.PaymentSplit.as_strings``) and, once the
    bank approved the finance, ``loan``: lender, kind, the approved APR and term, the amount
    financed, monthly and final payment, total of payments and interest
    (``domain.deal_amendments.loan_terms``) and the bank's conditions. A cash deal has no ``loan``
    key, so its content (and hash) is as before.
    """
    locale = customer_locale(deal)
    revision = _offer_revision(session, deal)
    snapshot = revision.snapshot if revision is not None else {}
    customer = deal.customer
    vehicle = dict(snapshot.get("vehicle") or {"label": deal.vehicle_label})
    stock = deal.stock_vehicle
    if deal.allocated_at is not None:
        # A catalog order allocated to a physical car: the contract names that car.
        vehicle["vin"] = deal.vin
        vehicle["stock_number"] = (stock.stock_number or "") if stock is not None else ""
    elif stock is not None:
        vehicle.setdefault("vin", stock.vin or "")
        vehicle.setdefault("stock_number", stock.stock_number or "")
    # Without an offer, only the out-the-door price; at the currency's unit so a reloaded Numeric hashes the same.
    priced = snapshot.get("priced") or {
        "currency": deal.currency, "out_the_door_price": str(deal.out_the_door_price.quantize(quantum(deal.currency))),
    }
    conditions = session.scalar(select(PurchasingConditions))
    split = payment_split(
        currency=deal.currency, out_the_door_price=deal.out_the_door_price, deposit=deal.deposit_paid,
        amount_financed=deal.amount_financed, trade_in_equity=deal.trade_in_equity,
    )
    address = " ".join(p for p in (customer.street, customer.postal_code, customer.city, customer.region) if p)
    content = {
        "deal": {"number": deal.number, "currency": deal.currency, "locale": locale, "payment_kind": deal.payment_kind},
        "dealer": {
            "name": dealer.name, "address": dealer.address_lines, "phone": dealer.phone or "", "email": dealer.email or "",
            "brand": dealer.brand.name, "timezone": dealer.timezone,
        },
        "customer": {"name": customer.full_name, "email": customer.email or "", "phone": customer.phone_e164 or "", "address": address},
        "consultant": deal.consultant.name if deal.consultant else "",
        "offer": (
            {"number": deal.offer.number, "revision_no": revision.revision_no, "content_hash": revision.content_hash}
            if revision is not None else None
        ),
        "vehicle": vehicle,
        "priced": priced,
        "conditions": {
            "offer": str((snapshot.get("texts") or {}).get("conditions", "")),
            "cancellation_policy": localized(conditions.cancellation_policy, locale) if conditions else "",
            "refund_policy": localized(conditions.refund_policy, locale) if conditions else "",
            "required_documents": list(conditions.required_documents or []) if conditions else [],
        },
        "payment": split.as_strings(),
    }
    application = deal_amendments.live_application(session, deal)
    loan = deal_amendments.loan_of(session, deal) if application is not None and application.status.is_approved else None
    if loan is not None:
        content["loan"] = {**loan.as_strings(deal.currency), "conditions": application.conditions}
    return content


def contracts_of(session: Session, deal: Deal) -> list[Contract]:
    """Return every contract version of ``deal``, newest first."""
    return list(session.scalars(select(Contract).where(Contract.deal_id == deal.id).order_by(Contract.version.desc())))


def current_contract(session: Session, deal: Deal) -> Contract | None:
    """Return the deal's version in force (awaiting a signature or fully signed), or None."""
    return session.scalar(
        select(Contract).where(Contract.deal_id == deal.id, Contract.state.in_(list(LIVE_STATES))).order_by(Contract.version.desc())
    )


def _dealer_of(session: Session, deal: Deal) -> Dealer:
    return session.get(Dealer, deal.dealer_id)


def is_stale(session: Session, contract: Contract) -> bool:
    """Return True when the deal's content no longer matches ``contract`` (a new version is needed).

    Only a deal still before the contract step can change: afterwards the signed version stands.
    """
    deal = contract.deal
    if deal.state not in SIGNABLE_DEAL_STATES:
        return False
    return content_hash(build_content(session, deal, _dealer_of(session, deal))) != contract.content_hash


def _offer_problem(deal: Deal) -> str | None:
    offer = deal.offer
    if offer is None or offer.state is OfferState.ACCEPTED:
        return None
    if offer.state is OfferState.EXPIRED:
        return "The offer behind this contract has expired; the contract cannot be signed."
    return "The offer behind this contract was withdrawn; the contract cannot be signed."


def _check_deal(session: Session, deal: Deal) -> None:
    if deal.state is DealState.CANCELLED:
        raise ContractError("This purchase was cancelled; its contract can no longer be signed.")
    problem = _offer_problem(deal)
    if problem:
        raise ContractError(problem)
    if deal_amendments.blocking_reason(session, deal):
        raise ContractError(deal_amendments.BLOCKED)


def generate(
    session: Session, deal: Deal, *, dealer: Dealer, actor: User | None, link: str = "", now: datetime | None = None
) -> tuple[Contract, bool]:
    """Return ``(contract, created)``: a new version when the content changed, else the current one.

    A new version supersedes the current one (signed or not), is recorded on the timeline and the
    audit log, and the customer is e-mailed that it is ready to sign (``link``: their purchase
    page). Raises ``ContractError`` for an O2O deal, a deal with no car allocated, a deal not
    reserved/financing, a cancelled deal, a withdrawn or expired offer, or a financed deal without
    approved finance.
    """
    now = now or utcnow()
    if deal.business_model != BusinessModel.E2E.value:
        raise ContractError("This dealer signs contracts in the showroom; record the step on the deal.")
    _check_deal(session, deal)
    if deal.state not in SIGNABLE_DEAL_STATES:
        raise ContractError("A contract can be prepared once the vehicle is reserved and before it is signed.")
    if not deal.vehicle_allocated:
        raise ContractError(NO_VEHICLE)
    facts = deal_service.facts(session, deal)
    if facts.financed and not facts.finance_approved:
        raise ContractError("The finance application must be approved before the contract.")
    content = build_content(session, deal, dealer)
    digest = content_hash(content)
    current = current_contract(session, deal)
    if current is not None and current.content_hash == digest:
        return current, False
    last = session.scalar(select(Contract.version).where(Contract.deal_id == deal.id).order_by(Contract.version.desc()))
    version = (last or 0) + 1
    if current is not None:
        current.state = ContractState.SUPERSEDED
        current.ended_at = now
        current.end_reason = f"Superseded by version {version}"
    contract = Contract(
        dealer_id=deal.dealer_id, deal_id=deal.id, version=version, state=ContractState.AWAITING_CUSTOMER,
        content=content, content_hash=digest, created_at=now, created_by_id=actor.id if actor else None,
    )
    session.add(contract)
    session.flush()
    note = f"v{version}" + (f" (v{current.version} superseded)" if current is not None else "")
    deal_service.record_event(session, deal, "contract_generated", actor=actor, note=note)
    audit.record(session, "contract.generate", contract, after={"deal": deal.number, "version": version, "hash": digest})
    notify_customer(
        session, email=deal.customer.email, locale=customer_locale(deal),
        subject=Message("Your contract for %(number)s is ready to sign", {"number": deal.number}),
        body=Message("Please read your contract (version %(version)s) and sign it here: %(link)s", {"version": version, "link": link}),
    )
    return contract, True


def _lock(session: Session, contract: Contract) -> None:
    """Re-read ``contract`` under a row lock (PostgreSQL), so two signatures posted at once sign once."""
    session.refresh(contract, with_for_update=True)


def _check_current(session: Session, contract: Contract) -> None:
    current = current_contract(session, contract.deal)
    if current is None or current.id != contract.id:
        raise ContractError("This contract version was replaced by a newer one; please open the current version.")
    if is_stale(session, contract):
        raise ContractError("The purchase changed since this contract was prepared; a new version must be generated first.")


def sign_by_customer(
    session: Session,
    contract: Contract,
    *,
    typed_name: str,
    consent: bool,
    ip: str,
    user_agent: str,
    now: datetime | None = None,
    staff_url: str = "",
) -> Contract:
    """Record the customer's signature on ``contract`` and ask the principals to countersign.

    The customer types their full name (must match the contract's customer name) and ticks the
    consent; the time, IP address and user agent are recorded. Raises ``ContractError`` (nothing
    changes) for a cancelled deal, a withdrawn or expired offer, a version already signed,
    superseded, voided or stale, a missing consent or a name that does not match.
    """
    _lock(session, contract)
    deal = contract.deal
    _check_deal(session, deal)
    if contract.state is not ContractState.AWAITING_CUSTOMER:
        if contract.customer_signed:
            raise ContractError("You have already signed this contract.")
        raise ContractError("This contract version was replaced by a newer one; please open the current version.")
    _check_current(session, contract)
    if not consent:
        raise ContractError("Please tick the box to confirm you have read and agree to the contract.")
    if not names_match(typed_name, contract.content["customer"]["name"]):
        raise ContractError("Type your full name exactly as it appears on the contract.")
    contract.customer_signed_name = typed_name.strip()[:200]
    contract.customer_consent = True
    contract.customer_signed_at = now or utcnow()
    contract.customer_ip = (ip or "")[:45]
    contract.customer_user_agent = (user_agent or "")[:300]
    contract.state = ContractState.CUSTOMER_SIGNED
    session.flush()
    deal_service.record_event(session, deal, "contract_signed_by_customer", note=f"v{contract.version} — {contract.customer_signed_name}")
    audit.record(session, "contract.customer_sign", contract, after={"version": contract.version, "ip": contract.customer_ip})
    dealer = _dealer_of(session, deal)
    notify_roles(
        session, dealer=dealer, roles=(Role.DEALER_PRINCIPAL,), kind="contract.countersign",
        title=Message("Contract %(number)s v%(version)s waits for your countersignature", {"number": deal.number, "version": contract.version}),
        body=Message("%(customer)s signed the contract. Countersign it on the deal page.", {"customer": deal.customer.full_name}),
        url=staff_url, deal_id=deal.id,
    )
    return contract


def countersign(
    session: Session,
    contract: Contract,
    *,
    principal: User,
    role: Role | None,
    ip: str,
    dealer: Dealer,
    now: datetime | None = None,
) -> Contract:
    """Record the principal's countersignature, advance the deal to ``contracted`` and e-mail the customer the PDF.

    Raises ``ContractPermissionError`` unless ``role`` is dealer principal, and ``ContractError``
    for a cancelled deal, a withdrawn offer, a version the customer has not signed, one already
    countersigned, superseded or stale, or when the deal's own guards refuse the contract step
    (e.g. finance no longer approved) — nothing changes then (the caller rolls back).
    """
    if role is not Role.DEALER_PRINCIPAL:
        raise ContractPermissionError("Only the dealer principal can countersign a contract.")
    _lock(session, contract)
    deal = contract.deal
    _check_deal(session, deal)
    if contract.state is ContractState.FULLY_SIGNED:
        raise ContractError("This contract is already countersigned.")
    if contract.state is ContractState.AWAITING_CUSTOMER:
        raise ContractError("The customer has not signed this contract yet.")
    if contract.state is not ContractState.CUSTOMER_SIGNED:
        raise ContractError("This contract version was replaced by a newer one; please open the current version.")
    _check_current(session, contract)
    contract.countersigned_by_id = principal.id
    contract.countersigned_name = principal.name[:200]
    contract.countersigned_at = now or utcnow()
    contract.countersigned_ip = (ip or "")[:45]
    contract.state = ContractState.FULLY_SIGNED
    session.flush()
    deal_service.record_event(session, deal, "contract_countersigned", actor=principal, note=f"v{contract.version}")
    audit.record(session, "contract.countersign", contract, after={"version": contract.version, "by": principal.id})
    try:
        deal_service.advance(session, deal, DealAction.CONTRACT, dealer=dealer, actor=principal, now=now)
    except deal_service.DealError as exc:
        raise ContractError(str(exc)) from exc
    locale = customer_locale(deal)
    notify_customer(
        session, email=deal.customer.email, locale=locale,
        subject=Message("Your contract for %(number)s is signed", {"number": deal.number}),
        body=Message("Your contract (version %(version)s) is now signed by you and by %(dealer)s. The signed PDF is attached.",
                     {"version": contract.version, "dealer": dealer.name}),
        attachments=[Attachment(pdf_filename(contract), "application/pdf", contract_pdf(contract))],
    )
    if deal.consultant is not None:
        notify_staff(
            session, dealer=dealer, users=[deal.consultant], kind="contract.signed", deal_id=deal.id,
            title=Message("Contract %(number)s v%(version)s fully signed", {"number": deal.number, "version": contract.version}),
        )
    return contract


def void_live_contracts(session: Session, deal: Deal, now: datetime) -> None:
    """Void every version of ``deal`` still in force (``deal_service.CANCEL_HOOKS``): it stays readable."""
    for contract in session.scalars(select(Contract).where(Contract.deal_id == deal.id, Contract.state.in_(list(LIVE_STATES)))):
        contract.state = ContractState.VOIDED
        contract.ended_at = now
        contract.end_reason = "Deal cancelled"


def contract_facts(session: Session, deal: Deal) -> dict[str, Any]:
    """Return ``{"contract_signed": bool}`` for ``deal_service.facts``: the current version is fully signed and not stale."""
    if deal.business_model != BusinessModel.E2E.value:
        return {}
    contract = current_contract(session, deal)
    signed = contract is not None and contract.state is ContractState.FULLY_SIGNED and not is_stale(session, contract)
    return {"contract_signed": signed}


deal_service.FACT_PROVIDERS.append(contract_facts)
deal_service.CANCEL_HOOKS.append(void_live_contracts)


def pending(session: Session, state: ContractState | None = None) -> list[Contract]:
    """Return the current dealer's contracts waiting for a signature (optionally one state), oldest first."""
    states = [state] if state is not None else [ContractState.AWAITING_CUSTOMER, ContractState.CUSTOMER_SIGNED]
    return list(session.scalars(select(Contract).where(Contract.state.in_(states)).order_by(Contract.created_at, Contract.id)))


def pdf_filename(contract: Contract) -> str:
    """Return the download name of a version's PDF (``<deal number>-contract-v<n>.pdf``)."""
    return f"{contract.content['deal']['number']}-contract-v{contract.version}.pdf"


def contract_document(contract: Contract, *, gettext=lambda text: text) -> ContractDocument:
    """Return the printable document of ``contract``: its frozen content and the signatures recorded on it."""
    content = contract.content
    zone = ZoneInfo(content["dealer"]["timezone"])
    return ContractDocument(
        content=content,
        version=contract.version,
        content_hash=contract.content_hash,
        state=contract.state.value,
        generated_at=contract.created_at.astimezone(zone),
        customer_signed_name=contract.customer_signed_name,
        customer_signed_at=contract.customer_signed_at.astimezone(zone) if contract.customer_signed_at else None,
        customer_ip=contract.customer_ip,
        countersigned_name=contract.countersigned_name,
        countersigned_at=contract.countersigned_at.astimezone(zone) if contract.countersigned_at else None,
        gettext=gettext,
    )


def contract_pdf(contract: Contract) -> bytes:
    """Return the PDF of ``contract`` in the customer's language (deterministic for the same row)."""
    locale = contract.content["deal"]["locale"]
    with force_locale(locale):
        return render_contract_pdf(contract_document(contract, gettext=gettext))


def money(value: str | Decimal) -> Decimal:
    """Return a frozen amount string as ``Decimal`` (for templates that format it)."""
    return Decimal(value)
