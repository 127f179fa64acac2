"""Trade-in appraisals: submit (customer link or consultant), appraise, expire, withdraw, apply to the offer.

Rules live in ``domain.trade_ins``; this module writes rows, stores photos, records the deal's
timeline, audit-logs and notifies (``services.notifications``). Services only ``flush``.

Applying an appraisal puts the value into the offer as a NEW REVISION, re-priced through the
offer builder's own path (``offer_builder.build``: trade-in allowance = appraised value, payoff =
declared payoff, so a tax with trade-in credit lowers the out-the-door price):

* offer still editable (before acceptance) → a normal draft revision (``offers.revise_offer``);
* offer accepted (a deal is open, its contract not signed yet) → ``offers.amend_accepted_offer``
  appends a revision without reopening the offer; the revision is priced as of the accepted
  revision's time and must keep the accepted net price and fees (only the trade-in figures and the
  taxes it credits may change), so a discount approval of the accepted revision carries over. The
  Deal takes ``offer_revision_no``, ``trade_in_equity`` (allowance − payoff of the new snapshot, may
  be negative) and ``out_the_door_price`` from the new snapshot, the loan follows (``_follow``), and
  the customer accepts the estimate → appraisal change (``services.deal_amendments``; the principal
  may instead when the customer's total does not rise) before the contract is signed.

An expired appraisal is never applied; a cancelled deal withdraws its open appraisals (``CANCEL_HOOKS``).
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import trade_ins as rules
from app.domain.deal_amendments import amended_amount_financed
from app.domain.deal_states import TERMINAL as DEAL_TERMINAL
from app.domain.deal_states import DealState
from app.domain.finance_application import scenarios_from_snapshot
from app.domain.messages import N_, Text
from app.domain.money import ZERO
from app.domain.offer_states import EDITABLE, OfferState
from app.domain.roles import Role
from app.domain.trade_ins import TradeInAction, TradeInError, TradeInStatus
from app.models.accounts import Dealer, Membership, User
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.offers import Offer, OfferRevision
from app.models.trade_ins import TradeInAppraisal, TradeInPhoto
from app.services import audit, offer_builder
from app.services import deal_amendments as amendments
from app.services import deals as deal_service
from app.services import finance_applications as finance_service
from app.services import offers as offer_service
from app.services.images import ImageRejected, ProcessedImage, process_image
from app.services.notifications import Message, notify_customer, notify_roles, notify_staff

__all__ = ["TradeInError"]

#: Who appraises trade-ins (records value, validity and notes).
APPRAISER_ROLES = (Role.DEALER_PRINCIPAL, Role.SALES_MANAGER)
MAX_PHOTOS = 8
MAX_PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


@dataclass(frozen=True, slots=True)
class TradeInRequest:
    """What the customer or consultant typed: the car, the condition answers and the payoff still owed."""

    vin: str | None
    year: int | None
    make: str | None
    model: str | None
    odometer: int | None
    odometer_unit: str | None
    condition: Mapping[str, str | None]
    payoff: Decimal | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class PhotoUpload:
    """One uploaded file as received (its name and browser content type are ignored)."""

    data: bytes
    name: str = ""


def from_offer(session: Session, deal: Deal) -> TradeInRequest | None:
    """Return the trade-in the consultant typed in the deal's offer as a ``TradeInRequest``, or None.

    Issue 11, item 13: the car entered in the offer builder (VIN, year, make, model, odometer, payoff)
    prefills the customer's and the staff's appraisal forms, so nobody types it twice. Read from the
    deal's offer revision (its builder ``inputs``); the condition answers are not asked in the
    builder and stay empty. None when the deal has no offer or the offer has no trade-in.
    """
    if deal.offer_id is None:
        return None
    revision_no = deal.offer_revision_no or deal.offer.current_revision_no
    revision = session.scalar(select(OfferRevision).where(OfferRevision.offer_id == deal.offer_id,
                                                          OfferRevision.revision_no == revision_no))
    trade = ((revision.inputs or {}).get("trade_in") if revision is not None else None) or {}
    if not any(trade.get(k) for k in ("vin", "year", "make", "model")):
        return None
    payoff = trade.get("payoff")
    return TradeInRequest(
        vin=trade.get("vin") or None, year=trade.get("year"), make=trade.get("make") or None,
        model=trade.get("model") or None, odometer=trade.get("odometer"), odometer_unit=None, condition={},
        payoff=Decimal(str(payoff)) if payoff not in (None, "") else None,
    )


def local_today(dealer: Dealer, now: datetime) -> date:
    """Return the dealer's local date at ``now`` (aware)."""
    return now.astimezone(ZoneInfo(dealer.timezone)).date()


def _as_text(problem) -> Text:
    """Return a refusal as a ``Text`` to nest in a sentence (a plain message becomes its own msgid)."""
    if isinstance(problem, BaseException):
        problem = problem.args[0] if problem.args else str(problem)
    return problem if isinstance(problem, Text) else Text(str(problem).replace("%", "%%"))


def check_photos(photos: Iterable[PhotoUpload]) -> list[ProcessedImage]:
    """Validate every photo by content (JPEG or PNG, ≤ ``MAX_PHOTO_BYTES``, at most ``MAX_PHOTOS``).

    Returns the re-encoded images (metadata such as GPS tags dropped). Raises ``TradeInError``
    (field ``photos``) naming the first file refused; nothing is stored before all pass.
    """
    uploads = [p for p in photos if p.data or p.name]
    if len(uploads) > MAX_PHOTOS:
        message = Text(N_("Upload at most %(count)s photos."), count=MAX_PHOTOS)
        raise TradeInError(message, "photos")
    processed = []
    for upload in uploads:
        label = upload.name or "photo"
        try:
            image = process_image(upload.data, max_bytes=MAX_PHOTO_BYTES)
        except ImageRejected as exc:
            message = Text(N_("%(file)s: %(problem)s"), file=label, problem=_as_text(exc))
            raise TradeInError(message, "photos") from exc
        if image.extension not in PHOTO_TYPES:
            message = Text(N_("%(file)s: upload a JPEG or PNG photo."), file=label)
            raise TradeInError(message, "photos")
        processed.append(image)
    return processed


def _consultant(session: Session, appraisal: TradeInAppraisal) -> User | None:
    owner = appraisal.deal or appraisal.offer
    consultant_id = owner.consultant_id if owner is not None else None
    return session.get(User, consultant_id) if consultant_id else None


def submit(
    session: Session,
    *,
    dealer: Dealer,
    customer: Customer,
    request: TradeInRequest,
    photos: Iterable[PhotoUpload],
    storage,
    deal: Deal | None = None,
    offer: Offer | None = None,
    actor: User | None = None,
    now: datetime | None = None,
    link: Callable[[TradeInAppraisal], str] | None = None,
) -> TradeInAppraisal:
    """Record an appraisal request; it lands in the dealer's queue (status ``requested``).

    ``actor`` None means the customer sent it through their purchase link (channel ``customer``),
    else the staff member who entered it (``staff``). Everything is validated first (VIN, year,
    odometer, condition answers, payoff ≥ 0, photos by content) — a ``TradeInError`` (with the
    form field) leaves nothing saved or stored. Then: photos stored (``storage.save``), a deal
    timeline event, an audit event, and an in-app notification to the consultant and the
    appraisers. ``link(appraisal)`` gives the staff URL for the notification.
    """
    now = now or utcnow()
    if deal is not None:
        if deal.state in DEAL_TERMINAL:
            raise TradeInError("This purchase is closed; a trade-in can no longer be added.")
        offer = offer or deal.offer
    facts = rules.check_vehicle(
        vin=request.vin, year=request.year, make=request.make, model=request.model, odometer=request.odometer,
        odometer_unit=request.odometer_unit, today=local_today(dealer, now),
    )
    condition = rules.check_condition(request.condition)
    payoff = rules.check_payoff(request.payoff, dealer.currency)
    images = check_photos(photos)

    appraisal = TradeInAppraisal(
        dealer_id=dealer.id, customer_id=customer.id, offer_id=offer.id if offer else None,
        deal_id=deal.id if deal else None, channel="staff" if actor else "customer",
        requested_by_id=actor.id if actor else None, vin=facts.vin, year=facts.year, make=facts.make,
        model=facts.model, odometer=facts.odometer, odometer_unit=facts.odometer_unit, condition=condition,
        customer_note=(request.note or "").strip()[:2000], currency=dealer.currency, payoff=payoff,
        status=TradeInStatus.REQUESTED, requested_at=now,
    )
    for position, image in enumerate(images, start=1):
        key = storage.save(image.data, area="trade-ins", extension=image.extension)
        appraisal.photos.append(TradeInPhoto(
            dealer_id=dealer.id, position=position, storage_key=key, content_type=PHOTO_TYPES[image.extension],
            width=image.width, height=image.height, sha256=hashlib.sha256(image.data).hexdigest(),
        ))
    session.add(appraisal)
    session.flush()
    if deal is not None:
        deal_service.record_event(session, deal, "trade_in_requested", actor=actor,
                                  note=f"{facts.description} · {facts.vin}")
    audit.record(session, "trade_in.request", appraisal,
                 after={"vin": facts.vin, "channel": appraisal.channel, "payoff": payoff, "photos": len(images)})
    notify_roles(
        session, dealer=dealer, roles=APPRAISER_ROLES, extra=[_consultant(session, appraisal)],
        kind="trade_in.requested",
        title=Message("Trade-in appraisal requested: %(vehicle)s (%(customer)s)",
                      {"vehicle": facts.description, "customer": customer.full_name}),
        url=link(appraisal) if link else "", deal_id=deal.id if deal else None, email=False,
    )
    return appraisal


def expire_if_due(session: Session, appraisal: TradeInAppraisal, timezone: str, now: datetime) -> bool:
    """Mark an appraised value expired once its validity day has ended locally; return True if it did."""
    if not rules.is_expired(appraisal.status, appraisal.valid_until, timezone, now):
        return False
    appraisal.status = rules.transition(appraisal.status, TradeInAction.EXPIRE)
    appraisal.closed_at = now
    session.flush()
    audit.record(session, "trade_in.expire", appraisal, after={"valid_until": appraisal.valid_until})
    return True


def _customer_locale(appraisal: TradeInAppraisal, dealer: Dealer) -> str:
    owner = appraisal.deal or appraisal.offer
    return appraisal.customer.preferred_locale or (owner.locale if owner else None) or dealer.locale


def appraise(
    session: Session,
    appraisal: TradeInAppraisal,
    *,
    dealer: Dealer,
    appraiser: User,
    role: Role,
    value: Decimal | None,
    valid_until: date | None,
    notes: str = "",
    now: datetime | None = None,
    link: str = "",
) -> TradeInAppraisal:
    """Record the appraised ``value`` and its ``valid_until`` date (dealer-local) by a manager or the principal.

    Records ``appraised_at`` and the response time (``response_seconds``). The customer is e-mailed
    in their language; the consultant gets an in-app notification (``link``: staff URL). Raises
    ``TradeInError`` for another role, a request no longer waiting, a negative or inexact value, or
    a validity date in the past.
    """
    now = now or utcnow()
    if role not in APPRAISER_ROLES:
        raise TradeInError("Only a sales manager or the dealer principal can appraise a trade-in.")
    amount, until = rules.check_appraisal(value, valid_until, appraisal.currency, local_today(dealer, now))
    appraisal.status = rules.transition(appraisal.status, TradeInAction.APPRAISE)
    appraisal.value, appraisal.valid_until = amount, until
    appraisal.appraiser_id = appraiser.id
    appraisal.appraiser_notes = (notes or "").strip()[:4000]
    appraisal.appraised_at = now
    appraisal.response_seconds = rules.response_seconds(appraisal.requested_at, now)
    session.flush()
    if appraisal.deal is not None:
        deal_service.record_event(
            session, appraisal.deal, "trade_in_appraised", actor=appraiser,
            note=f"{appraisal.description}: {format_currency(amount, appraisal.currency, locale=dealer.locale)}",
        )
    audit.record(session, "trade_in.appraise", appraisal, before={"status": "requested"},
                 after={"status": "appraised", "value": amount, "valid_until": until,
                        "response_seconds": appraisal.response_seconds})
    locale = _customer_locale(appraisal, dealer)
    params = {
        "name": appraisal.customer.full_name, "vehicle": appraisal.description, "dealer": dealer.name,
        "value": format_currency(amount, appraisal.currency, locale=locale),
        "date": format_date(until, "long", locale=locale),
    }
    notify_customer(
        session, email=appraisal.customer.email, locale=locale,
        subject=Message("Your trade-in %(vehicle)s has been appraised", params),
        body=Message("Dear %(name)s, %(dealer)s has appraised your %(vehicle)s at %(value)s. "
                     "This value is valid until %(date)s. Your sales consultant will include it in your offer.", params),
    )
    consultant = _consultant(session, appraisal)
    if consultant is not None:
        notify_staff(
            session, dealer=dealer, users=[consultant], kind="trade_in.appraised",
            title=Message("Trade-in appraised: %(vehicle)s at %(value)s",
                          {"vehicle": appraisal.description,
                           "value": format_currency(amount, appraisal.currency, locale=dealer.locale)}),
            url=link, deal_id=appraisal.deal_id, email=False,
        )
    return appraisal


def withdraw(session: Session, appraisal: TradeInAppraisal, *, actor: User | None, reason: str = "",
             now: datetime | None = None) -> None:
    """Withdraw a request or an unapplied appraisal; raises ``TradeInError`` once applied or closed."""
    if appraisal.applied_revision_no is not None:
        raise TradeInError("This appraisal is already in the offer; it can no longer be withdrawn.")
    before = appraisal.status
    appraisal.status = rules.transition(appraisal.status, TradeInAction.WITHDRAW)
    appraisal.closed_at = now or utcnow()
    session.flush()
    audit.record(session, "trade_in.withdraw", appraisal, before={"status": before.value},
                 after={"status": appraisal.status.value, "reason": reason[:500]})
    if appraisal.deal is not None:
        deal_service.record_event(session, appraisal.deal, "trade_in_withdrawn", actor=actor,
                                  note=f"{appraisal.description} {reason}".strip())


def _withdraw_on_cancel(session: Session, deal: Deal, now: datetime) -> None:
    """Deal cancelled: withdraw its appraisals still open and not applied (run inside the cancel)."""
    rows = session.scalars(select(TradeInAppraisal).where(
        TradeInAppraisal.deal_id == deal.id,
        TradeInAppraisal.status.in_([TradeInStatus.REQUESTED, TradeInStatus.APPRAISED]),
        TradeInAppraisal.applied_revision_no.is_(None),
    ))
    for appraisal in rows:
        appraisal.status = rules.transition(appraisal.status, TradeInAction.WITHDRAW)
        appraisal.closed_at = now
        audit.record(session, "trade_in.withdraw", appraisal, after={"status": "withdrawn", "reason": "deal cancelled"})


deal_service.CANCEL_HOOKS.append(_withdraw_on_cancel)


# --- applying the value to the offer ----------------------------------------------------------------------


def _offer_and_deal(session: Session, appraisal: TradeInAppraisal) -> tuple[Offer, Deal | None]:
    deal = appraisal.deal
    offer = deal.offer if deal is not None and deal.offer is not None else appraisal.offer
    if offer is None:
        raise TradeInError("There is no offer to apply this appraisal to yet; make an offer for the customer first.")
    if deal is None:
        deal = deal_service.deal_for_offer(session, offer.id)
    return offer, deal


def _same_price(old: Mapping, new) -> bool:
    """True when the re-priced offer keeps the accepted subtotal, discounts, net price and fees exactly."""
    return all(Decimal(str(old.get(name, "NaN"))) == getattr(new, name)
               for name in ("subtotal", "total_discounts", "net_price", "total_fees"))


def apply_to_offer(
    session: Session,
    appraisal: TradeInAppraisal,
    *,
    dealer: Dealer,
    actor: User,
    now: datetime | None = None,
    link: str = "",
) -> OfferRevision:
    """Put the appraised value into the offer as a new revision; update the deal's money when one is open.

    Trade-in allowance = appraised value, payoff = declared payoff; re-priced with
    ``offer_builder.build`` (see the module docstring for the editable vs accepted paths). On an
    accepted offer the deal follows at once (``_follow``: money, amount financed, the finance
    application's figures) and the change waits for the customer's acceptance (``link``: their
    purchase page; ``services.deal_amendments``) before the contract. Raises ``TradeInError`` when
    the appraisal is not appraised, expired (even if not yet marked), already applied, has no offer,
    the offer is declined/withdrawn/expired, the deal is closed or its contract signed, the offer was
    not made in the builder, the re-price fails or changes the accepted price or its discounts.
    Returns the new (or, for identical content, current) revision.
    """
    now = now or utcnow()
    if appraisal.status is TradeInStatus.EXPIRED or rules.is_expired(
            appraisal.status, appraisal.valid_until, dealer.timezone, now):
        raise TradeInError("This appraisal has expired; ask for a new appraisal before applying it.")
    if appraisal.status is not TradeInStatus.APPRAISED or appraisal.value is None:
        raise TradeInError("Only an appraised trade-in can be applied to the offer.")
    if appraisal.applied_revision_no is not None:
        message = Text(N_("This appraisal is already in the offer (revision %(revision)s)."), revision=appraisal.applied_revision_no)
        raise TradeInError(message)
    offer, deal = _offer_and_deal(session, appraisal)
    if deal is not None and deal.state in DEAL_TERMINAL:
        raise TradeInError("The deal is closed; its offer can no longer change.")
    if deal is not None and deal.state not in AMENDABLE_DEAL_STATES:
        raise TradeInError("The contract of this deal is signed; the trade-in can no longer change its figures.")
    accepted = offer.state is OfferState.ACCEPTED
    if not accepted and offer.state not in EDITABLE:
        raise TradeInError("The offer is no longer open; make a new offer for the customer.")

    revision = offer_service.current_revision(offer)
    data = offer_builder.BuilderInput.from_json(revision.inputs)
    if not data.model_code and data.stock_id is None:
        raise TradeInError("This offer was not made in the offer builder; add the trade-in there by hand.")
    trade = offer_builder.TradeInInput(
        vin=appraisal.vin, year=appraisal.year, make=appraisal.make, model=appraisal.model,
        odometer=appraisal.odometer, condition=rules.grade(appraisal.condition),
        allowance=appraisal.value, payoff=appraisal.payoff,
    )
    data = replace(data, trade_in=trade)
    owner = session.get(User, offer.consultant_id) if offer.consultant_id else actor
    membership = session.scalar(select(Membership).where(Membership.user_id == owner.id,
                                                         Membership.dealer_id == dealer.id))
    # An accepted offer is priced as of its accepted revision (the promotions of that day), so only
    # the trade-in can change its figures; an open offer re-prices today, as the builder does.
    result = offer_builder.build(
        session, dealer=dealer, user=owner, membership=membership, data=data,
        now=revision.created_at if accepted else now, locale=offer.locale, vehicle_held=deal is not None,
    )
    if not result.ok or result.priced is None or result.approval is None:
        problems = [m for ms in result.errors.values() for m in ms]
        if not problems:
            message = Text(N_("The offer could not be re-priced with this trade-in."))
            raise TradeInError(message)
        message = Text(N_("The offer could not be re-priced with this trade-in: %(problem)s"), problem=_as_text(problems[0]))
        raise TradeInError(message)
    priced = result.priced
    texts = revision.snapshot.get("texts") or {}
    try:
        if accepted:
            if not _same_price(revision.snapshot.get("priced", {}), priced):
                raise TradeInError("The offer no longer prices as it was accepted (the vehicle price, discounts or "
                                   "fees changed); the trade-in cannot be applied to it automatically.")
            new = offer_service.amend_accepted_offer(
                session, offer, inputs=data.to_json(), priced=priced, approval=result.approval, vehicle=result.vehicle,
                texts=texts, actor=actor, base_revision_no=revision.revision_no,
                reason=f"trade-in {appraisal.description} appraised",
            )
        else:
            new = offer_service.revise_offer(
                session, offer, inputs=data.to_json(), priced=priced, approval=result.approval, vehicle=result.vehicle,
                texts=texts, actor=actor, base_revision_no=revision.revision_no,
            )
    except offer_service.OfferError as exc:
        raise TradeInError(str(exc)) from exc

    appraisal.offer_id = offer.id
    appraisal.applied_at = now
    appraisal.applied_revision_no = new.revision_no
    if deal is not None and accepted:
        if appraisal.deal_id is None:
            appraisal.deal_id = deal.id
        _follow(session, deal, new, appraisal, dealer=dealer, actor=actor, link=link, now=now)
    session.flush()
    audit.record(session, "trade_in.apply", appraisal,
                 after={"offer": offer.number, "revision_no": new.revision_no, "allowance": appraisal.value,
                        "payoff": appraisal.payoff})
    return new


#: Deal states in which an appraisal may still change an accepted offer (before the contract is signed).
AMENDABLE_DEAL_STATES = frozenset({DealState.OFFER_ACCEPTED, DealState.RESERVED, DealState.FINANCING})


def _follow(session: Session, deal: Deal, new: OfferRevision, appraisal: TradeInAppraisal, *, dealer: Dealer,
            actor: User, link: str, now: datetime) -> None:
    """Move the deal onto the amended revision ``new`` and record the change the customer must accept.

    The deal takes ``offer_revision_no``, ``trade_in_equity`` and ``out_the_door_price`` from the new
    snapshot. The balance to pay changes by Δ = (new OTD − new equity) − (old OTD − old equity); the
    customer's down payment stays, so the loan takes Δ: an application not decided yet takes the
    re-priced scenario's down payment, amount financed and monthly payment (the bank decides on
    them); an approved one changes ``deal.amount_financed`` by Δ within what the bank approved
    (``deal_amendments.amended_amount_financed``), the rest being due at delivery.
    """
    before_figures = amendments.figures_of(session, deal)
    before = {"offer_revision_no": deal.offer_revision_no, "trade_in_equity": deal.trade_in_equity,
              "out_the_door_price": deal.out_the_door_price, "amount_financed": deal.amount_financed}
    snapshot = new.snapshot["priced"]
    old_balance = deal.out_the_door_price - deal.trade_in_equity
    deal.offer_revision_no = new.revision_no
    deal.trade_in_equity = Decimal(snapshot["trade_in_equity"])
    deal.out_the_door_price = Decimal(snapshot["out_the_door_price"])
    change = deal.out_the_door_price - deal.trade_in_equity - old_balance
    application = amendments.live_application(session, deal)
    if application is not None and application.status.is_approved:
        deal.amount_financed = amended_amount_financed(
            deal.amount_financed, change, approved=application.approved_amount_financed,
            financeable=finance_service.max_financeable(deal))
    elif application is not None:
        scenario = next((s for s in scenarios_from_snapshot(new.snapshot) if s.index == application.scenario_index), None)
        if scenario is not None:
            application.down_payment, application.amount_financed = scenario.down_payment, scenario.amount_financed
            application.monthly_payment = scenario.monthly_payment

    def fmt(name: str) -> str:
        return format_currency(Decimal(snapshot[name]), deal.currency, locale=dealer.locale)

    deal_service.record_event(
        session, deal, "trade_in_applied", actor=actor,
        note=(f"v{new.revision_no}: {appraisal.description} · {fmt('trade_in_allowance')} − "
              f"{fmt('trade_in_payoff')} = {fmt('trade_in_equity')}"),
    )
    audit.record(session, "deal.trade_in", deal, before=before,
                 after={"offer_revision_no": deal.offer_revision_no, "trade_in_equity": deal.trade_in_equity,
                        "out_the_door_price": deal.out_the_door_price, "amount_financed": deal.amount_financed})
    session.flush()
    amendments.record_change(
        session, deal, before_figures, dealer=dealer, actor=actor, link=link, now=now,
        reason={"kind": "trade_in", "appraisal_id": appraisal.id, "offer_revision_no": new.revision_no,
                "vehicle": appraisal.description},
    )


# --- reading ----------------------------------------------------------------------------------------------


def queue(session: Session) -> list[TradeInAppraisal]:
    """Return the current dealer's requests waiting for an appraisal, oldest first."""
    return list(session.scalars(
        select(TradeInAppraisal).where(TradeInAppraisal.status == TradeInStatus.REQUESTED)
        .order_by(TradeInAppraisal.requested_at, TradeInAppraisal.id)
    ))


def recent(session: Session, *, limit: int = 20) -> list[TradeInAppraisal]:
    """Return the latest decided appraisals (appraised, expired, withdrawn), newest request first."""
    return list(session.scalars(
        select(TradeInAppraisal).where(TradeInAppraisal.status != TradeInStatus.REQUESTED)
        .order_by(TradeInAppraisal.requested_at.desc(), TradeInAppraisal.id.desc()).limit(limit)
    ))


def for_deal(session: Session, deal: Deal) -> list[TradeInAppraisal]:
    """Return the appraisals of ``deal`` (and of its offer), newest first."""
    condition = TradeInAppraisal.deal_id == deal.id
    if deal.offer_id is not None:
        condition = condition | (TradeInAppraisal.offer_id == deal.offer_id)
    return list(session.scalars(select(TradeInAppraisal).where(condition).order_by(TradeInAppraisal.id.desc())))


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """Response times of the appraisals made in a period: how many, median and slowest (seconds)."""

    count: int
    median_seconds: int | None
    max_seconds: int | None


def response_times(session: Session, *, since: datetime) -> ResponseTimes:
    """Return the response-time figures of appraisals made at or after ``since`` (current dealer)."""
    values = [v for v in session.scalars(select(TradeInAppraisal.response_seconds).where(
        TradeInAppraisal.appraised_at >= since, TradeInAppraisal.response_seconds.is_not(None)))]
    if not values:
        return ResponseTimes(0, None, None)
    return ResponseTimes(len(values), int(statistics.median(values)), max(values))


def waiting(appraisal: TradeInAppraisal, now: datetime) -> timedelta:
    """Return how long a request has been waiting (or waited, once appraised)."""
    end = appraisal.appraised_at or now
    return max(end - appraisal.requested_at, timedelta(0))


def equity_of(appraisal: TradeInAppraisal) -> Decimal | None:
    """Return value − payoff of an appraised trade-in (None before the appraisal)."""
    return None if appraisal.value is None else rules.equity(appraisal.value, appraisal.payoff or ZERO)
