"""Coupon and promotion-budget redemption: taken once when the customer accepts, given back when the deal is cancelled.

Issue 11 item 2. Until the customer accepts, an offer only *plans* to use a promotion: the
pricing engine checks the counters (``domain.promotions``: "coupon already used", "budget
exhausted") but moves nothing. The counters move at acceptance, the moment the brand's money is
committed — ``offers.accept_offer`` calls ``redeem`` before it records the acceptance:

* each promotion of the accepted revision (``priced.applied_promotions`` of its snapshot) takes its
  uses (one per offer line for an item-level promotion, one per offer otherwise — the budget rule
  of ``domain.promotions``) and its customer benefit (the discount actually given; corporate's
  ``benefit_value`` per use for APR subventions and free accessories) from the promotion's budget,
  and a coupon one use of its ``max_uses``;
* every counter moves with ONE conditional UPDATE (``... SET used = used + n WHERE id = :id AND
  (cap IS NULL OR used + n <= cap) RETURNING id``). On PostgreSQL the second of two parallel
  acceptances waits for the first one's row lock and then re-checks the condition on the committed
  value, so a single-use coupon goes to exactly one of them; SQLite serialises writers anyway;
* a ``PromotionRedemption`` row per (offer, promotion) records what was taken, so that a release
  gives back exactly that, once (``released_at``);
* when a counter has no room left, nothing is taken (a savepoint undoes the UPDATEs already made)
  and ``PromotionUsedUp`` says which coupon or promotion ran out. The caller then re-prices the
  offer without it (``offer_builder.reprice_used_up``) — the customer is never bound to a price
  the brand can no longer fund, nor charged more than they accepted without seeing it first.

``release_for_deal`` is a ``deals.CANCEL_HOOKS`` entry: cancelling the deal gives the uses back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from app.domain.messages import N_, Text
from app.domain.money import ZERO, round_money
from app.domain.promotions import DISCOUNT_KINDS, PromotionKind, Stage
from app.models.base import utcnow
from app.models.deals import Deal
from app.models.offers import Offer
from app.models.promotions import Coupon, Promotion, PromotionRedemption
from app.services import audit, deals


@dataclass(frozen=True, slots=True)
class UsedUp:
    """A promotion (or its coupon) that has no room left for this offer; ``message`` says so in any language."""

    promotion_id: int
    coupon_code: str | None
    message: Text


class PromotionUsedUp(ValueError):
    """Acceptance refused: a coupon or promotion budget of the offer ran out; ``used_up`` lists which (nothing taken)."""

    def __init__(self, used_up: tuple[UsedUp, ...]) -> None:
        super().__init__("; ".join(str(u.message) for u in used_up))
        self.used_up = used_up


@dataclass(frozen=True, slots=True)
class _Claim:
    promotion_id: int
    coupon_code: str | None
    uses: int
    discount: Decimal


def claims_of(snapshot: dict) -> list[_Claim]:
    """Return what the priced ``snapshot`` uses, one claim per promotion, by promotion id.

    Item-level promotions take one use per line they landed on; order-level ones and coupons one
    per offer (``domain.promotions``: "one use is one application"). ``discount`` is the sum of the
    discount lines they gave (0 for an APR subvention, whose benefit is valued by the promotion).
    """
    grouped: dict[int, list[dict]] = defaultdict(list)
    for entry in (snapshot.get("priced") or {}).get("applied_promotions") or []:
        if entry.get("promotion_id"):
            grouped[int(entry["promotion_id"])].append(entry)
    claims = []
    for promotion_id in sorted(grouped):
        entries = grouped[promotion_id]
        item_level = entries[0].get("stage") == Stage.ITEM.value
        code = next((e["coupon_code"] for e in entries if e.get("coupon_code")), None)
        claims.append(_Claim(promotion_id, code.strip().upper() if code else None, len(entries) if item_level else 1,
                             sum((Decimal(str(e.get("amount") or "0")) for e in entries), ZERO)))
    return claims


def _benefit(row: Promotion, claim: _Claim) -> Decimal:
    """Return the customer benefit counted against the amount budget (``domain.promotions.customer_benefit``)."""
    if PromotionKind(row.kind) in DISCOUNT_KINDS:
        return claim.discount
    return round_money((row.benefit_value or ZERO) * claim.uses, row.currency)


def _coupon_message(code: str, coupon: Coupon | None) -> Text:
    if coupon is not None and coupon.max_uses not in (None, 1):
        return Text(N_("Coupon %(code)s has reached its limit of %(count)s uses"), code=code, count=coupon.max_uses)
    return Text(N_("Coupon %(code)s has already been used"), code=code)


def redeem(session: Session, offer: Offer, *, now: datetime | None = None) -> list[PromotionRedemption]:
    """Take the coupon and budget uses of ``offer``'s current revision; return the redemption rows (flushed).

    Runs in the dealer's scope, in the transaction that records the acceptance. Idempotent: an
    offer that already redeemed returns its rows. Raises ``PromotionUsedUp`` (with nothing taken)
    when a coupon has no use left or a promotion's count or amount budget cannot take this offer.
    A promotion or coupon deleted since pricing counts as used up.
    """
    existing = session.scalars(select(PromotionRedemption).where(PromotionRedemption.offer_id == offer.id)).all()
    if existing:
        return list(existing)
    revision = next(r for r in offer.revisions if r.revision_no == offer.current_revision_no)
    claims = claims_of(revision.snapshot)
    if not claims:
        return []
    now = now or utcnow()
    rows = {r.id: r for r in session.scalars(select(Promotion).where(Promotion.id.in_([c.promotion_id for c in claims])))}
    used_up: list[UsedUp] = []
    made: list[PromotionRedemption] = []
    with session.begin_nested() as savepoint:
        for claim in claims:
            row = rows.get(claim.promotion_id)
            if row is None:
                used_up.append(UsedUp(claim.promotion_id, claim.coupon_code, Text(
                    N_("%(promotion)s is no longer available"), promotion=claim.coupon_code or str(claim.promotion_id))))
                continue
            amount = _benefit(row, claim)
            coupon = None
            if claim.coupon_code is not None:
                coupon = session.scalar(select(Coupon).where(Coupon.promotion_id == row.id, Coupon.code == claim.coupon_code))
                taken = coupon is not None and session.execute(
                    update(Coupon)
                    .where(Coupon.id == coupon.id, or_(Coupon.max_uses.is_(None), Coupon.used_count < Coupon.max_uses))
                    .values(used_count=Coupon.used_count + 1)
                    .returning(Coupon.id)
                    .execution_options(synchronize_session=False)
                ).scalar_one_or_none() is not None
                if not taken:
                    if coupon is not None:
                        session.refresh(coupon, ["used_count"])
                    used_up.append(UsedUp(row.id, claim.coupon_code, _coupon_message(claim.coupon_code, coupon)))
                    continue
            taken = session.execute(
                update(Promotion)
                .where(
                    Promotion.id == row.id,
                    or_(Promotion.budget_max_count.is_(None), Promotion.budget_used_count + claim.uses <= Promotion.budget_max_count),
                    or_(Promotion.budget_max_amount.is_(None), Promotion.budget_used_amount + amount <= Promotion.budget_max_amount),
                )
                .values(budget_used_count=Promotion.budget_used_count + claim.uses,
                        budget_used_amount=Promotion.budget_used_amount + amount)
                .returning(Promotion.id)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none() is not None
            if not taken:
                used_up.append(UsedUp(row.id, claim.coupon_code, _budget_message(row, claim.coupon_code)))
                continue
            redemption = PromotionRedemption(
                dealer_id=offer.dealer_id, brand_id=row.brand_id, promotion_id=row.id,
                coupon_id=coupon.id if coupon is not None else None, offer_id=offer.id,
                offer_revision_no=revision.revision_no, uses=claim.uses, amount=amount, currency=row.currency,
                redeemed_at=now,
            )
            session.add(redemption)
            made.append(redemption)
        if used_up:
            savepoint.rollback()
    if used_up:
        _expire(session, rows.values())
        raise PromotionUsedUp(tuple(used_up))
    session.flush()
    _expire(session, rows.values())
    for redemption in made:
        audit.record(session, "promotion.redeem", redemption,
                     after={"offer": offer.number, "promotion_id": redemption.promotion_id, "uses": redemption.uses,
                            "amount": str(redemption.amount)})
    return made


def _budget_message(row: Promotion, coupon_code: str | None) -> Text:
    name = row.name if coupon_code is None else f"{row.name} ({coupon_code})"
    return Text(N_("%(promotion)s has used up its budget"), promotion=name)


def _expire(session: Session, rows) -> None:
    """Drop the counters loaded before the UPDATEs (they ran with ``synchronize_session=False``)."""
    for row in rows:
        if row in session:
            session.expire(row, ["budget_used_count", "budget_used_amount"])
            for coupon in row.__dict__.get("coupons") or ():
                session.expire(coupon, ["used_count"])


def release_for_deal(session: Session, deal: Deal, now: datetime) -> int:
    """Give back the coupon and budget uses of a cancelled deal's offer; return how many redemptions were released.

    Exact and once: each unreleased redemption is marked released with a conditional UPDATE and
    only then are its ``uses`` / ``amount`` (and its coupon's one use) subtracted, never below 0.
    """
    if deal.offer_id is None:
        return 0
    released = 0
    redemptions = session.scalars(select(PromotionRedemption).where(
        PromotionRedemption.offer_id == deal.offer_id, PromotionRedemption.released_at.is_(None))).all()
    touched = []
    for redemption in redemptions:
        marked = session.execute(
            update(PromotionRedemption)
            .where(PromotionRedemption.id == redemption.id, PromotionRedemption.released_at.is_(None))
            .values(released_at=now)
            .returning(PromotionRedemption.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if marked is None:
            continue  # released meanwhile by a parallel cancellation
        session.execute(
            update(Promotion)
            .where(Promotion.id == redemption.promotion_id)
            .values(budget_used_count=_floor0(Promotion.budget_used_count - redemption.uses),
                    budget_used_amount=_floor0(Promotion.budget_used_amount - redemption.amount))
            .execution_options(synchronize_session=False)
        )
        if redemption.coupon_id is not None:
            session.execute(
                update(Coupon).where(Coupon.id == redemption.coupon_id, Coupon.used_count > 0)
                .values(used_count=Coupon.used_count - 1).execution_options(synchronize_session=False)
            )
        session.expire(redemption, ["released_at"])
        touched.append(redemption.promotion_id)
        released += 1
        audit.record(session, "promotion.release", redemption,
                     after={"deal": deal.number, "promotion_id": redemption.promotion_id, "uses": redemption.uses,
                            "amount": str(redemption.amount)})
    if touched:
        _expire(session, session.scalars(select(Promotion).where(Promotion.id.in_(touched))).all())
    session.flush()
    return released


def _floor0(expression):
    return case((expression < 0, 0), else_=expression)


deals.CANCEL_HOOKS.append(release_for_deal)
