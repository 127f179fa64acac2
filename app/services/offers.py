"""Offer workflow: create and revise offers from priced results, approval bound to content, send, customer decision.

Every state change goes through ``domain.offer_states.transition`` and is audit-logged; services
only ``flush``. An approval is bound to the exact content it approved: the approval row stores the
revision's ``content_hash`` and ``send`` checks that the offer's *current* revision still carries
that hash. Any edit creates a new revision (with a new hash) and moves the offer back to draft, so
edit-after-approval, duplicate, stale form posts and direct POSTs to send all meet the same wall.

Every step tells the person who has to act next (``services.notifications``: the bell and an
e-mail, each in the recipient's language): approval requested → the dealer's principal(s);
approved or returned → the consultant; sent → the customer by e-mail with the offer PDF and the
signed link; declined by the customer → the consultant (an acceptance opens the deal, and
``deals.open_from_offer`` tells the consultant and the managers). Links in those messages are
built on the configured public address (``app.urls.external_url``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.offer_pdf import OfferDocument, render_offer_pdf
from app.domain.approval import ApprovalResult
from app.domain.contact import format_phone
from app.domain.messages import Text
from app.domain.offer_states import TERMINAL, OfferAction, OfferState, is_expired, transition
from app.domain.pricing import PricedOffer
from app.domain.roles import Role
from app.models.accounts import Dealer, User
from app.models.customers import Customer, CustomerEvent
from app.models.offers import Offer, OfferApproval, OfferRevision
from app.services import audit, promotion_redemptions, signed_links, withdrawal
from app.services.mail import Attachment
from app.services.notifications import Message, notify_customer, notify_staff, staff_of
from app.services.offer_numbers import allocate_offer_number
from app.urls import external_url

#: Who is asked when an offer needs approval (issue 11, item 14: the dealer's principal(s)).
APPROVERS = (Role.DEALER_PRINCIPAL,)


class OfferError(ValueError):
    """A workflow step that is not allowed; the message is shown to the user."""


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, Decimals, enums, dates and tuples into JSON-ready values (Decimals as exact strings)."""
    if isinstance(value, Text):
        return value.as_json()  # msgid + params: worded in the reader's language when shown
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    return value


def build_snapshot(priced: PricedOffer, *, vehicle: dict[str, Any], texts: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the immutable record of a priced offer: every figure and the texts shown with it.

    ``vehicle`` describes what is sold (label, model, trim, colours, VIN, image key); ``texts``
    carries purchasing-condition texts and anything else printed, in the offer's language.
    """
    return {"priced": to_jsonable(priced), "vehicle": to_jsonable(vehicle), "texts": to_jsonable(texts or {})}


def content_hash(snapshot: dict[str, Any]) -> str:
    """Return the SHA-256 of the canonical JSON of ``snapshot`` (sorted keys, no spaces)."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _event(session: Session, offer: Offer, kind: str, summary: str, actor_id: int | None) -> None:
    session.add(CustomerEvent(dealer_id=offer.dealer_id, customer_id=offer.customer_id, kind=kind, summary=summary, actor_user_id=actor_id))


def _apply(session: Session, offer: Offer, action: OfferAction, *, approval_required: bool = False, actor_id: int | None = None) -> None:
    before = offer.state
    try:
        offer.state = transition(offer.state, action, approval_required=approval_required)
    except ValueError as exc:
        raise OfferError(str(exc)) from exc
    audit.record(session, f"offer.{action.value}", offer, before={"state": before.value}, after={"state": offer.state.value})


def current_revision(offer: Offer) -> OfferRevision:
    """Return the offer's current (latest) revision."""
    return next(r for r in offer.revisions if r.revision_no == offer.current_revision_no)


def _new_revision(
    offer: Offer, number: int, *, inputs: dict, snapshot: dict, priced: PricedOffer, approval: ApprovalResult, actor: User | None
) -> OfferRevision:
    revision = OfferRevision(
        dealer_id=offer.dealer_id,
        revision_no=number,
        created_by_id=actor.id if actor else None,
        inputs=inputs,
        snapshot=snapshot,
        content_hash=content_hash(snapshot),
        out_the_door_price=priced.out_the_door_price,
        discount_total=priced.approval.discount_total,
        needs_approval=approval.needs_approval,
        approval_reasons=to_jsonable(list(approval.reasons)),
        cost_rule=approval.cost_rule.value if approval.cost_rule else None,
    )
    offer.revisions.append(revision)
    offer.current_revision_no = number
    offer.out_the_door_price = priced.out_the_door_price
    offer.vehicle_label = str(snapshot["vehicle"].get("label", ""))[:200]
    return revision


def create_offer(
    session: Session,
    *,
    dealer: Dealer,
    customer: Customer,
    consultant: User | None,
    inputs: dict,
    priced: PricedOffer,
    approval: ApprovalResult,
    vehicle: dict[str, Any],
    texts: dict[str, Any] | None,
    valid_until: date,
    locale: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> Offer:
    """Create an offer (revision 1, draft) with a fresh number; idempotent per ``idempotency_key``.

    Re-submitting the same ``idempotency_key`` (a dropped connection, a double tap) returns the
    offer created the first time instead of a second one.
    """
    if idempotency_key:
        existing = session.scalar(select(Offer).where(Offer.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    if customer.is_withdrawn:
        raise OfferError("This customer has withdrawn their membership; no new offers can be made.")
    offer = Offer(
        dealer_id=dealer.id,
        number=allocate_offer_number(session, dealer, now),
        customer_id=customer.id,
        consultant_id=consultant.id if consultant else None,
        state=OfferState.DRAFT,
        currency=priced.currency,
        locale=locale,
        valid_until=valid_until,
        idempotency_key=idempotency_key,
    )
    session.add(offer)
    snapshot = build_snapshot(priced, vehicle=vehicle, texts=texts)
    _new_revision(offer, 1, inputs=inputs, snapshot=snapshot, priced=priced, approval=approval, actor=consultant)
    session.flush()
    audit.record(session, "offer.create", offer, after={"number": offer.number, "out_the_door_price": offer.out_the_door_price})
    _event(session, offer, "offer_created", f"{offer.number} {offer.vehicle_label}", consultant.id if consultant else None)
    return offer


def revise_offer(
    session: Session,
    offer: Offer,
    *,
    inputs: dict,
    priced: PricedOffer,
    approval: ApprovalResult,
    vehicle: dict[str, Any],
    texts: dict[str, Any] | None,
    actor: User | None,
    base_revision_no: int,
) -> OfferRevision:
    """Save an edit as a new revision and move the offer back to draft (voiding any approval).

    ``base_revision_no`` is the revision the form was loaded from: a stale form (someone saved a
    newer revision since) raises ``OfferError`` instead of silently overwriting it. Saving content
    identical to the current revision changes nothing and returns it.
    """
    if base_revision_no != offer.current_revision_no:
        raise OfferError(
            f"This offer was changed meanwhile (now revision {offer.current_revision_no}); reload it before saving."
        )
    snapshot = build_snapshot(priced, vehicle=vehicle, texts=texts)
    current = current_revision(offer)
    if content_hash(snapshot) == current.content_hash and inputs == current.inputs:
        return current
    _apply(session, offer, OfferAction.REVISE, actor_id=actor.id if actor else None)
    revision = _new_revision(
        offer, offer.current_revision_no + 1, inputs=inputs, snapshot=snapshot, priced=priced, approval=approval, actor=actor
    )
    session.flush()
    return revision


def amend_accepted_offer(
    session: Session,
    offer: Offer,
    *,
    inputs: dict,
    priced: PricedOffer,
    approval: ApprovalResult,
    vehicle: dict[str, Any],
    texts: dict[str, Any] | None,
    actor: User | None,
    base_revision_no: int,
    reason: str,
) -> OfferRevision:
    """Append a revision to an ACCEPTED offer without reopening it (the state stays ``accepted``).

    The one path for after-acceptance facts that change the figures but not the deal the customer
    accepted — e.g. an appraised trade-in (``services.trade_ins``); the customer then accepts the new
    figures (``services.deal_amendments``). Audit-logged as ``offer.amend`` with ``reason``.

    An accepted offer cannot go back through the approval queue, and it need not: the caller keeps
    the accepted selling price, so when the new revision "needs approval" it is for the same
    dealer discount the accepted revision was approved for. That approval is carried over to the new
    revision (a copy bound to the new content hash, same approver, comment ``"← v<n>"``). Refused
    (``OfferError``) when the discount total differs from the accepted revision's, when the accepted
    revision needed approval and has none, for an offer that is not accepted and a stale
    ``base_revision_no``.
    """
    if offer.state is not OfferState.ACCEPTED:
        raise OfferError("Only an accepted offer can be amended this way.")
    if base_revision_no != offer.current_revision_no:
        raise OfferError(
            f"This offer was changed meanwhile (now revision {offer.current_revision_no}); reload it before saving."
        )
    base = current_revision(offer)
    carried: OfferApproval | None = None
    if approval.needs_approval:
        approvals = [a for a in base.approvals if a.decision == "approved" and a.content_hash == base.content_hash]
        if priced.approval.discount_total != base.discount_total or not approvals:
            raise OfferError(
                "The new revision would need approval (" + "; ".join(approval.reasons)
                + "), and an accepted offer cannot be sent for approval again."
            )
        carried = approvals[-1]
    snapshot = build_snapshot(priced, vehicle=vehicle, texts=texts)
    before = offer.current_revision_no
    revision = _new_revision(
        offer, before + 1, inputs=inputs, snapshot=snapshot, priced=priced, approval=approval, actor=actor
    )
    if carried is not None:
        session.add(OfferApproval(
            dealer_id=offer.dealer_id, revision=revision, decision="approved", comment=f"← v{base.revision_no}",
            content_hash=revision.content_hash, decided_by_id=carried.decided_by_id, decided_at=carried.decided_at,
        ))
    session.flush()
    audit.record(
        session, "offer.amend", offer, before={"revision_no": before},
        after={"revision_no": revision.revision_no, "out_the_door_price": priced.out_the_door_price, "reason": reason,
               "approval_carried_from": base.revision_no if carried is not None else None},
    )
    _event(session, offer, "offer_amended", f"{offer.number} v{revision.revision_no}: {reason}"[:500], actor.id if actor else None)
    return revision


def reprice_for_customer(
    session: Session,
    offer: Offer,
    *,
    inputs: dict,
    priced: PricedOffer,
    approval: ApprovalResult,
    vehicle: dict[str, Any],
    texts: dict[str, Any],
    reasons: list[Text],
) -> OfferRevision | None:
    """Save the re-priced revision of a sent offer whose coupon or promotion budget ran out before acceptance.

    What a customer expects: the price they accepted included a brand-funded saving that is gone, so
    the acceptance is refused and they see the new price and why before deciding again — they are
    never bound to a higher price they did not see. The dealer's own terms are unchanged, so the
    offer stays with the customer (``sent``/``viewed``) and they may accept the new figures at once;
    ``texts["repriced_because"]`` keeps the reasons (``Text`` JSON) printed on the page. An approval
    of the previous revision is carried over (a copy bound to the new hash, comment ``"← v<n>"``)
    when the new revision needs approval for the same dealer discount. When it would need a new
    approval nothing is saved and None is returned: the consultant re-prices it by hand (the
    customer keeps seeing the old figures and cannot accept them). The consultant is told either
    way. Audit-logged as ``offer.reprice``.
    """
    base = current_revision(offer)
    texts = dict(texts, repriced_because=[r.as_json() for r in reasons])
    carried: OfferApproval | None = None
    if approval.needs_approval:
        approvals = [a for a in base.approvals if a.decision == "approved" and a.content_hash == base.content_hash]
        if not approvals or priced.approval.discount_total != base.discount_total:
            tell_used_up(session, offer, repriced=False)
            return None
        carried = approvals[-1]
    snapshot = build_snapshot(priced, vehicle=vehicle, texts=texts)
    revision = _new_revision(offer, base.revision_no + 1, inputs=inputs, snapshot=snapshot, priced=priced,
                             approval=approval, actor=None)
    if carried is not None:
        session.add(OfferApproval(
            dealer_id=offer.dealer_id, revision=revision, decision="approved", comment=f"← v{base.revision_no}",
            content_hash=revision.content_hash, decided_by_id=carried.decided_by_id, decided_at=carried.decided_at,
        ))
    session.flush()
    audit.record(session, "offer.reprice", offer, before={"revision_no": base.revision_no},
                 after={"revision_no": revision.revision_no, "out_the_door_price": priced.out_the_door_price,
                        "reasons": [str(r) for r in reasons], "state": offer.state.value})
    _event(session, offer, "offer_repriced", f"{offer.number} v{revision.revision_no}: " + "; ".join(reasons), None)
    tell_used_up(session, offer, repriced=True)
    return revision


def tell_used_up(session: Session, offer: Offer, *, repriced: bool) -> None:
    """Tell the consultant that a coupon or promotion of ``offer`` ran out as the customer accepted."""
    params = _params(offer)
    title = Message("Offer %(number)s: a coupon or promotion ran out before %(customer)s accepted", params)
    if repriced:
        body = Message("The offer was re-priced without it; %(customer)s sees the new price and can accept it.", params)
    else:
        body = Message("Please re-price the offer and send it to %(customer)s again.", params)
    _tell_staff(session, offer, _dealer(session, offer), [offer.consultant], kind="offer.repriced", title=title, body=body)


def submit_for_approval(session: Session, offer: Offer, actor: User) -> None:
    """Send the current revision to the approval queue (only when it needs approval)."""
    revision = current_revision(offer)
    _apply(session, offer, OfferAction.SUBMIT, approval_required=revision.needs_approval, actor_id=actor.id)
    _event(session, offer, "offer_submitted", offer.number, actor.id)
    dealer = _dealer(session, offer)
    params = _params(offer, consultant=actor.name)
    _tell_staff(
        session, offer, dealer, staff_of(session, dealer.id, APPROVERS), kind="offer.approval_requested", actor=actor,
        title=Message("Offer %(number)s waits for your approval", params),
        body=Message("%(consultant)s asks you to approve offer %(number)s for %(customer)s (%(vehicle)s).", params),
    )


def decide(session: Session, offer: Offer, *, approve: bool, comment: str, approver: User, revision_no: int) -> OfferApproval:
    """Approve or return the current revision; ``revision_no`` is what the approver looked at.

    Raises ``OfferError`` when the approver saw an older revision than the current one, or the
    offer is not waiting for approval.
    """
    if revision_no != offer.current_revision_no:
        raise OfferError("The offer changed while you were looking at it; review the new revision.")
    revision = current_revision(offer)
    _apply(session, offer, OfferAction.APPROVE if approve else OfferAction.RETURN, approval_required=True, actor_id=approver.id)
    decision = OfferApproval(
        dealer_id=offer.dealer_id,
        revision=revision,
        decision="approved" if approve else "returned",
        comment=comment.strip(),
        content_hash=revision.content_hash,
        decided_by_id=approver.id,
    )
    session.add(decision)
    session.flush()
    params = _params(offer, approver=approver.name, comment=decision.comment)
    if approve:
        title = Message("Offer %(number)s approved by %(approver)s", params)
        if decision.comment:
            body = Message("You can now send it to %(customer)s. Comment: %(comment)s", params)
        else:
            body = Message("You can now send it to %(customer)s.", params)
    else:
        title = Message("Offer %(number)s returned by %(approver)s", params)
        body = Message("Please revise it and submit it again. Reason: %(comment)s", params)
    _tell_staff(session, offer, _dealer(session, offer), [offer.consultant], actor=approver,
                kind="offer.approved" if approve else "offer.returned", title=title, body=body)
    return decision


def valid_approval(offer: Offer) -> OfferApproval | None:
    """Return the approval that covers the offer's current content, if any."""
    revision = current_revision(offer)
    approvals = [a for a in revision.approvals if a.decision == "approved" and a.content_hash == revision.content_hash]
    return approvals[-1] if approvals else None


def send_offer(session: Session, offer: Offer, *, actor: User, now: datetime) -> bool:
    """Mark the offer sent and e-mail it to the customer; return True when a mail went out.

    Refuses (``OfferError``) content that needs approval and has none for its exact hash. The mail
    (``services.notifications.notify_customer``) is in the customer's language (their preferred
    locale, else the offer's), carries the signed link to the offer page and the offer PDF (printed
    in the offer's language, as the customer's link shows it). A customer without an e-mail address
    gets no mail (False): the consultant shares the link or the QR code instead.
    """
    revision = current_revision(offer)
    if revision.needs_approval and valid_approval(offer) is None:
        raise OfferError("This offer needs approval before it can be sent.")
    _apply(session, offer, OfferAction.SEND, approval_required=revision.needs_approval, actor_id=actor.id)
    offer.sent_at = offer.sent_at or now
    _event(session, offer, "offer_sent", offer.number, actor.id)
    return _mail_offer(session, offer, _dealer(session, offer))


def _mail_offer(session: Session, offer: Offer, dealer: Dealer) -> bool:
    customer = offer.customer
    if not customer.email or customer.is_withdrawn:
        return False
    locale = customer.preferred_locale or offer.locale
    link = customer_link(offer)
    filename, data = render_pdf(offer, dealer, link)
    consultant = offer.consultant
    params = _params(
        offer, dealer=dealer.name, link=link, consultant=consultant.name if consultant else dealer.name,
        date=format_date(offer.valid_until, "long", locale=locale) if offer.valid_until else "",
    )
    if offer.valid_until:
        body = Message(
            "Dear %(customer)s,\n\nthank you for your interest in the %(vehicle)s. Your offer %(number)s from "
            "%(dealer)s is attached as a PDF; it is valid until %(date)s.\n\nView, accept or decline it here: "
            "%(link)s\n\n%(consultant)s, %(dealer)s", params)
    else:
        body = Message(
            "Dear %(customer)s,\n\nthank you for your interest in the %(vehicle)s. Your offer %(number)s from "
            "%(dealer)s is attached as a PDF.\n\nView, accept or decline it here: %(link)s\n\n"
            "%(consultant)s, %(dealer)s", params)
    return notify_customer(
        session, email=customer.email, locale=locale,
        subject=Message("Your offer %(number)s from %(dealer)s", params), body=body,
        attachments=[Attachment(filename, "application/pdf", data)],
    )


def withdraw_offer(session: Session, offer: Offer, *, actor: User) -> None:
    """Withdraw the offer (allowed in any state before the customer's decision) and revoke its links."""
    _apply(session, offer, OfferAction.WITHDRAW, actor_id=actor.id)
    offer.link_version += 1
    _event(session, offer, "offer_withdrawn", offer.number, actor.id)


def expire_if_due(session: Session, offer: Offer, timezone: str, now: datetime) -> bool:
    """Mark the offer expired when its validity has passed in the dealer's time zone; return True if it did."""
    if not is_expired(offer.state, offer.valid_until, timezone, now):
        return False
    _apply(session, offer, OfferAction.EXPIRE)
    return True


def expire_due_offers(session: Session, now: datetime) -> int:
    """Expire every offer whose validity has passed, dealer by dealer in its own time zone; return how many.

    For ``flask expire-offers`` (cron). Runs across tenants: the caller opens ``all_tenants()``.
    """
    count = 0
    dealers = {d.id: d for d in session.scalars(select(Dealer))}
    candidates = session.scalars(
        select(Offer).where(Offer.state.not_in([s.value for s in TERMINAL]), Offer.valid_until.is_not(None))
    )
    for offer in candidates:
        if expire_if_due(session, offer, dealers[offer.dealer_id].timezone, now):
            count += 1
    return count


def record_view(session: Session, offer: Offer, now: datetime) -> None:
    """Count a customer view (first/last time) and move ``sent`` to ``viewed``."""
    if offer.state in (OfferState.SENT, OfferState.VIEWED):
        offer.state = transition(offer.state, OfferAction.VIEW)
    offer.view_count += 1
    offer.first_viewed_at = offer.first_viewed_at or now
    offer.last_viewed_at = now


def accept_offer(session: Session, offer: Offer, *, typed_name: str, conditions_accepted: bool, now: datetime) -> None:
    """Record the customer's acceptance: they typed their name and ticked the conditions.

    The offer's coupon and promotion-budget uses are taken here (``promotion_redemptions.redeem``);
    when one ran out it raises ``promotion_redemptions.PromotionUsedUp`` with nothing recorded, and
    the caller re-prices the offer without it (``offer_builder.reprice_used_up``).

    The consultant (and the managers) are told by ``deals.open_from_offer``, which every acceptance
    path calls in the same transaction: one message, linking to the deal, instead of two.
    """
    if not conditions_accepted:
        raise OfferError("Please tick the box to accept the purchasing conditions.")
    if not typed_name.strip():
        raise OfferError("Please type your full name to accept the offer.")
    try:
        transition(offer.state, OfferAction.ACCEPT)
    except ValueError as exc:
        raise OfferError(str(exc)) from exc
    promotion_redemptions.redeem(session, offer, now=now)
    _apply(session, offer, OfferAction.ACCEPT)
    offer.accepted_name = typed_name.strip()[:200]
    offer.decided_at = now
    _event(session, offer, "offer_accepted", f"{offer.number} — {offer.accepted_name}", None)


def decline_offer(session: Session, offer: Offer, *, reason: str, now: datetime) -> None:
    """Record the customer's decline with their reason."""
    _apply(session, offer, OfferAction.DECLINE)
    offer.decline_reason = reason.strip()[:2000]
    offer.decided_at = now
    _event(session, offer, "offer_declined", f"{offer.number}: {offer.decline_reason}", None)
    params = _params(offer, reason=offer.decline_reason)
    _tell_staff(
        session, offer, _dealer(session, offer), [offer.consultant], kind="offer.declined",
        title=Message("Offer %(number)s declined by %(customer)s", params),
        body=Message("The customer gave this reason: %(reason)s", params) if offer.decline_reason
        else Message("The customer gave no reason.", params),
    )


def _dealer(session: Session, offer: Offer) -> Dealer:
    return session.get(Dealer, offer.dealer_id)


def _params(offer: Offer, **extra: Any) -> dict[str, Any]:
    """Return the placeholders every offer message may use, plus ``extra``."""
    return {"number": offer.number, "customer": offer.customer.full_name, "vehicle": offer.vehicle_label, **extra}


def _tell_staff(
    session: Session, offer: Offer, dealer: Dealer, users, *, kind: str, title: Message, body: Message,
    actor: User | None = None,
) -> None:
    """Notify ``users`` (bell + e-mail) about ``offer``, linking to its page; the ``actor`` is not told of their own step."""
    recipients = [u for u in users if u is not None and (actor is None or u.id != actor.id)]
    if recipients:
        notify_staff(session, dealer=dealer, users=recipients, kind=kind, title=title, body=body, url=staff_link(offer, dealer))


def customer_link(offer: Offer) -> str:
    """Return the absolute signed link to the customer's page of ``offer`` (on ``EXTERNAL_BASE_URL``)."""
    return external_url("customer.view", token=make_link_token(offer, current_app.config["SECRET_KEY"]))


def staff_link(offer: Offer, dealer: Dealer) -> str:
    """Return the absolute link to the staff page of ``offer`` at ``dealer`` (on ``EXTERNAL_BASE_URL``)."""
    return external_url("offers.detail", dealer_slug=dealer.slug, offer_id=offer.id)


def render_pdf(offer: Offer, dealer: Dealer, link: str) -> tuple[str, bytes]:
    """Return ``(filename, PDF bytes)`` of the offer's current revision, labels in ``offer.locale``; ``link`` is the QR code.

    The car's stored photo (``services.vehicle_photos``) is printed beside its name when it is a JPEG or PNG.
    """
    from sqlalchemy.orm import object_session

    from app.services.storage import get_storage
    from app.services.vehicle_photos import PDF_TYPES, offer_photo

    photo = offer_photo(object_session(offer), current_revision(offer).snapshot.get("vehicle"), get_storage(current_app.config))
    image = photo.data if photo is not None and photo.content_type in PDF_TYPES else None
    with force_locale(offer.locale):
        data = render_offer_pdf(offer_document(offer, dealer, link=link, gettext=gettext, vehicle_image=image))
    return f"{offer.number}-v{offer.current_revision_no}.pdf", data


def make_link_token(offer: Offer, secret_key: str) -> str:
    """Return a signed token for the customer's link to ``offer``'s current revision (revoked by bumping ``link_version``)."""
    return signed_links.make_token(signed_links.OFFER_LINK, offer.id, offer.dealer_id, offer.link_version, secret_key,
                                   revision=offer.current_revision_no)


def link_token_revision(token: str, secret_key: str) -> int | None:
    """Return the revision number a customer link token was issued for (``None`` for tokens that predate it).

    Raises ``OfferError`` for a forged token or a malformed revision.
    """
    try:
        return signed_links.token_revision(signed_links.OFFER_LINK, token, secret_key)
    except signed_links.LinkError as exc:
        raise OfferError("This offer link is not valid.") from exc


def load_link_token(token: str, secret_key: str, max_age: int | None) -> tuple[int, int, int]:
    """Return ``(offer_id, dealer_id, link_version)`` from a customer link token.

    Raises ``OfferError`` for a forged, malformed or expired token (``signed_links``).
    """
    try:
        return signed_links.load_token(signed_links.OFFER_LINK, token, secret_key, max_age)
    except signed_links.LinkError as exc:
        if exc.expired:
            raise OfferError("This offer link has expired. Please ask your sales consultant for a new one.") from exc
        raise OfferError("This offer link is not valid.") from exc


def revision_diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """Return what changed between two revision snapshots as ``(label, old amount, new amount)`` rows.

    Lines are matched by kind and code; a line only in one revision has ``None`` on the other side.
    The out-the-door price and monthly payments are compared too. Amounts are exact Decimal strings.
    """
    def lines(snapshot: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
        priced = snapshot.get("priced", {})
        result = {}
        for group in ("item_lines", "discount_lines", "fee_lines", "tax_lines"):
            for line in priced.get(group, []):
                result[(line["kind"], line["code"])] = (Text.from_json(line["label"]), line["amount"])
        return result

    before, after = lines(old), lines(new)
    rows: list[tuple[str, str | None, str | None]] = []
    for key in list(before) + [k for k in after if k not in before]:
        old_line, new_line = before.get(key), after.get(key)
        old_amount = old_line[1] if old_line else None
        new_amount = new_line[1] if new_line else None
        if old_amount is None or new_amount is None or Decimal(old_amount) != Decimal(new_amount):
            rows.append(((new_line or old_line)[0], old_amount, new_amount))
    old_total = old.get("priced", {}).get("out_the_door_price")
    new_total = new.get("priced", {}).get("out_the_door_price")
    if old_total != new_total:
        rows.append(("out_the_door_price", old_total, new_total))
    old_vehicle, new_vehicle = old.get("vehicle", {}).get("label"), new.get("vehicle", {}).get("label")
    if old_vehicle != new_vehicle:
        rows.insert(0, ("vehicle", old_vehicle, new_vehicle))
    return rows


def offer_document(offer: Offer, dealer: Dealer, *, link: str, gettext, vehicle_image: bytes | None = None) -> OfferDocument:
    """Return the printable ``OfferDocument`` of the offer's current revision (labels via ``gettext``).

    ``vehicle_image``: JPEG/PNG bytes of the car's photo, printed beside its name (None: no picture).
    """
    revision = current_revision(offer)
    customer = offer.customer
    contact = " · ".join(x for x in (customer.email or "", format_phone(customer.phone_e164 or "", dealer.country)) if x)
    return OfferDocument(
        dealer_name=dealer.name,
        dealer_address=dealer.address_lines,
        dealer_phone=format_phone(dealer.phone or "", dealer.country),
        dealer_email=dealer.email,
        brand_name=dealer.brand.name,
        number=offer.number,
        revision_no=revision.revision_no,
        issued_on=revision.created_at.astimezone(ZoneInfo(dealer.timezone)).date(),
        valid_until=offer.valid_until,
        locale=offer.locale,
        customer_name=customer.full_name,
        customer_contact=contact,
        consultant_name=offer.consultant.name if offer.consultant else "",
        snapshot=revision.snapshot,
        conditions=str(revision.snapshot.get("texts", {}).get("conditions", "")),
        qr_url=link,
        vehicle_image=vehicle_image,
        gettext=gettext,
    )


@withdrawal.register
def _erase_offer_personal_data(session: Session, customer: Customer, needles: list[str]) -> None:
    """On membership withdrawal: blank the typed acceptance name and scrub old details from offer texts.

    Numbers, states, dates and every amount stay for accounting.
    """
    for offer in session.scalars(select(Offer).where(Offer.customer_id == customer.id)):
        if offer.accepted_name:
            offer.accepted_name = withdrawal.REDACTED
        offer.decline_reason, _changed = withdrawal.scrub(offer.decline_reason, needles)
        offer.idempotency_key = None
        for revision in offer.revisions:
            inputs, changed_inputs = withdrawal.scrub(revision.inputs, needles)
            snapshot, changed_snapshot = withdrawal.scrub(revision.snapshot, needles)
            if changed_inputs:
                revision.inputs = inputs
            if changed_snapshot:
                revision.snapshot = snapshot  # content_hash keeps pointing at what was approved then
