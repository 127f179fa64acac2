"""Promotion rules: lifecycle, eligibility and stacking selection for a brand's promotions.

A brand's corporate team publishes promotions to its dealers; this module decides WHICH promotions
apply to an offer. The pricing engine (written elsewhere) turns the selection into amounts; the
only money here is ``discount_amount`` for cash and percent kinds and the ``customer_benefit``
estimate used for ranking.

Validity window (``valid_from`` / ``valid_until`` are LOCAL, naive dates or datetimes in the
promotion's ``timezone``, an IANA name read with ``zoneinfo``):

* ``valid_from`` date D → from 00:00 local on D, inclusive; naive datetime → from that local
  instant, inclusive; None → from publication.
* ``valid_until`` date D → through the whole local day D, i.e. the bound is 00:00 local on D+1,
  exclusive; naive datetime → until that local instant, exclusive; None → open-ended.
  So "valid until 2026-12-31" in Asia/Seoul (UTC+9) is still active at 2026-12-31T14:59:59Z and
  expired at 15:00:00Z.
* DST (e.g. America/Toronto): local → UTC uses the zone's offset for that date, so a day may be 23
  or 25 hours long. A nonexistent local time (spring-forward gap) is read with the offset before
  the transition (PEP 495, ``fold=0``) — 02:30 on 2026-03-08 Toronto becomes 07:30Z (03:30 EDT);
  an ambiguous one (fall-back) is its FIRST occurrence — 01:30 on 2026-11-01 becomes 05:30Z.

Lifecycle: draft → (publish) → scheduled → active → expired, computed from the ``published`` and
``withdrawn`` flags and the clock; any non-terminal status → withdrawn. Expired and withdrawn are
terminal: nothing is reinstated. Pricing fields (``PRICING_FIELDS``) are frozen once active.

Stacking (``select_promotions``), in three stages applied in this order:

1. Item-level (scope ITEM, every kind but coupon): at most ONE per offer line. Rank: higher
   ``priority`` first, then larger customer benefit on that line, then lower ``id`` (the older
   promotion). The top-ranked one applies; if its budget cannot take this line it is skipped
   (budget exhausted) and the next is tried; the others are "outranked".
2. Order-level (scope ORDER, every kind but coupon), ranked the same way on the offer subtotal.
   If the top-ranked applicable one is ``exclusive`` it applies ALONE and every other order-level
   promotion is "not stackable with" it. Otherwise every non-exclusive one applies, and exclusive
   ones are skipped as "not stackable with" the top-ranked one.
3. Coupons (kind COUPON, with a matching entered code), after all item- and order-level
   promotions; among themselves the order-level rule holds. An item-scope coupon applies to every
   matching line, an order-scope coupon to the offer.

Exclusivity never reaches across stages. Ranking uses pre-discount bases (line amount, offer
subtotal) so the selection does not depend on how the pricing engine applies amounts.
Customer benefit: the discount amount for cash, percent and coupon kinds; corporate's
``benefit_value`` estimate for APR subvention and free accessory (0 when not given).

Budget: one use is one application — one line for item-level, one offer for order-level and
coupons; the amount used is the customer benefit. All or nothing: a promotion whose remaining
amount is below this benefit is not applied. Coupon codes compare trimmed and case-insensitively.

Minimum order amount (``min_order_amount``, order scope only) is compared with the amount the
promotion actually lands on:

* an order-level promotion (stage 2): the offer subtotal before any promotion (order-level
  promotions rank on pre-discount bases, see above);
* an order-scope coupon (stage 3): the running offer amount AFTER the item- and order-level
  promotions — ``select_promotions(..., coupon_base=...)`` when the caller knows it exactly (the
  pricing engine passes its running net price, after dealer and manual discounts too); otherwise
  the subtotal minus the cash and percent discounts of the promotions applied in stages 1 and 2
  (percent on the running amount, as the engine applies them). Saleor checked a voucher's minimum
  spend against the undiscounted subtotal, so a coupon applied although promotions had taken the
  price below its minimum; here it is refused with ``BELOW_MINIMUM_ORDER`` and a message that
  gives the minimum, the amount and the shortfall. Only the coupon is refused: every other
  discount of the offer stays. Example: subtotal 47,650,000 KRW, a 500,000 KRW order cash, a
  coupon with a 47,500,000 minimum → coupon base 47,150,000, refused, 350,000 KRW short.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.messages import N_, Money, Text
from app.domain.money import ZERO, MoneyError, minor_units, quantum, round_money, to_decimal

HUNDRED = Decimal(100)


class PromotionError(ValueError):
    """Raised for an invalid promotion, offer or call; ``field`` names the offending field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PromotionTransitionError(PromotionError):
    """Raised when a lifecycle change is not allowed (publishing twice, reinstating a withdrawn promotion, ...)."""


class PromotionEditError(PromotionError):
    """Raised when an edit touches fields that are frozen in the promotion's current status."""


class PromotionKind(StrEnum):
    """What the customer gets."""

    CASH_DISCOUNT = "cash_discount"
    PERCENT_DISCOUNT = "percent_discount"
    APR_SUBVENTION = "apr_subvention"
    FREE_ACCESSORY = "free_accessory"
    COUPON = "coupon"


DISCOUNT_KINDS = frozenset({PromotionKind.CASH_DISCOUNT, PromotionKind.PERCENT_DISCOUNT, PromotionKind.COUPON})


class PromotionScope(StrEnum):
    """Whether a promotion targets offer lines (ITEM) or the whole offer (ORDER)."""

    ITEM = "item"
    ORDER = "order"


class PromotionStatus(StrEnum):
    """Effective lifecycle status, computed by ``lifecycle_status``."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


TERMINAL_STATUSES = frozenset({PromotionStatus.EXPIRED, PromotionStatus.WITHDRAWN})

#: Every status change that may happen, by action (publish, withdraw) or by the clock.
ALLOWED_TRANSITIONS: Mapping[PromotionStatus, frozenset[PromotionStatus]] = MappingProxyType(
    {
        PromotionStatus.DRAFT: frozenset(
            {PromotionStatus.SCHEDULED, PromotionStatus.ACTIVE, PromotionStatus.WITHDRAWN}
        ),
        PromotionStatus.SCHEDULED: frozenset(
            {PromotionStatus.ACTIVE, PromotionStatus.EXPIRED, PromotionStatus.WITHDRAWN}
        ),
        PromotionStatus.ACTIVE: frozenset({PromotionStatus.EXPIRED, PromotionStatus.WITHDRAWN}),
        PromotionStatus.EXPIRED: frozenset(),
        PromotionStatus.WITHDRAWN: frozenset(),
    }
)

#: Fields that decide what a customer gets; frozen once a promotion is active (deals already quote them).
PRICING_FIELDS: tuple[str, ...] = (
    "kind",
    "scope",
    "currency",
    "amount",
    "percent",
    "apr",
    "accessory_code",
    "benefit_value",
    "targets",
    "min_order_amount",
    "priority",
    "exclusive",
    "valid_from",
    "timezone",
)


class ItemKind(StrEnum):
    """What an offer line sells."""

    VEHICLE = "vehicle"
    OPTION = "option"
    ACCESSORY = "accessory"


class Stage(StrEnum):
    """The stacking stage a promotion belongs to, in application order."""

    ITEM = "item"
    ORDER = "order"
    COUPON = "coupon"


class Reason(StrEnum):
    """Why a promotion is not applied (eligibility checks first, then stacking)."""

    COUPON_REQUIRED = "coupon_required"
    COUPON_INVALID = "coupon_invalid"
    COUPON_OTHER_BRAND = "coupon_other_brand"
    NOT_FOR_BRAND = "not_for_brand"
    NOT_PUBLISHED = "not_published"
    WITHDRAWN = "withdrawn"
    OUTSIDE_VALIDITY = "outside_validity"
    NOT_FOR_DEALER = "not_for_dealer"
    COUPON_USED = "coupon_used"
    BUDGET_EXHAUSTED = "budget_exhausted"
    NOT_APPLICABLE = "not_applicable"
    BELOW_MINIMUM_ORDER = "below_minimum_order"
    OUTRANKED = "outranked"
    NOT_STACKABLE = "not_stackable"


# --- input records -------------------------------------------------------------------------------------


def _codes(value: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(value, str):
        raise PromotionError(f"{what} must be a collection of codes, not the string {value!r}", what)
    return frozenset(value)


def _amount(value: Decimal | int | str | None, what: str, *, positive: bool = False) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        raise PromotionError(f"{what} is not a number: {value!r}", what) from exc
    if amount < ZERO or (positive and amount == ZERO):
        raise PromotionError(f"{what} must be {'greater than 0' if positive else 'at least 0'}: {amount}", what)
    return amount


def _normalize_coupon(code: str) -> str:
    return code.strip().upper()


@dataclass(frozen=True, slots=True)
class PromotionTargets:
    """What an item-level promotion applies to: model codes and trim codes (vehicle lines), option and accessory codes."""

    model_codes: frozenset[str] = frozenset()
    trim_codes: frozenset[str] = frozenset()
    option_codes: frozenset[str] = frozenset()
    accessory_codes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("model_codes", "trim_codes", "option_codes", "accessory_codes"):
            object.__setattr__(self, name, _codes(getattr(self, name), name))

    @property
    def is_empty(self) -> bool:
        """Return True when no code of any kind is targeted."""
        return not (self.model_codes or self.trim_codes or self.option_codes or self.accessory_codes)

    def matches(self, item: OfferItem) -> bool:
        """Return True when ``item`` is targeted: a vehicle by its model or trim code, an option or accessory by its code."""
        if item.kind is ItemKind.VEHICLE:
            return item.model_code in self.model_codes or item.code in self.trim_codes
        if item.kind is ItemKind.OPTION:
            return item.code in self.option_codes
        return item.code in self.accessory_codes


@dataclass(frozen=True, slots=True)
class Budget:
    """A promotion's budget cap: at most ``max_count`` uses and/or ``max_amount`` of customer benefit (None = no cap).

    ``used_count`` / ``used_amount`` are what booked deals consumed so far. Raises ``PromotionError``
    for a cap of 0 or less, or negative usage.
    """

    max_count: int | None = None
    max_amount: Decimal | None = None
    used_count: int = 0
    used_amount: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.max_count is not None and self.max_count < 1:
            raise PromotionError(f"Budget max count must be at least 1: {self.max_count}", "max_count")
        if self.used_count < 0:
            raise PromotionError(f"Budget used count must be at least 0: {self.used_count}", "used_count")
        object.__setattr__(self, "max_amount", _amount(self.max_amount, "max_amount", positive=True))
        object.__setattr__(self, "used_amount", _amount(self.used_amount, "used_amount"))


@dataclass(frozen=True, slots=True)
class Coupon:
    """A coupon code of a COUPON promotion: single-use (``max_uses=1``), multi-use (N) or unlimited (None).

    Raises ``PromotionError`` for an empty code, ``max_uses`` below 1 or a negative ``used_count``.
    """

    code: str
    max_uses: int | None = 1
    used_count: int = 0

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise PromotionError("A coupon needs a non-empty code", "coupons")
        if self.max_uses is not None and self.max_uses < 1:
            raise PromotionError(f"Coupon {self.code} must allow at least 1 use", "coupons")
        if self.used_count < 0:
            raise PromotionError(f"Coupon {self.code} used count must be at least 0", "coupons")

    @property
    def normalized(self) -> str:
        """Return the code trimmed and upper-cased, the form entered codes are compared in."""
        return _normalize_coupon(self.code)

    @property
    def used_up(self) -> bool:
        """Return True when no use is left."""
        return self.max_uses is not None and self.used_count >= self.max_uses


@dataclass(frozen=True, slots=True)
class Promotion:
    """A brand promotion as corporate defines it.

    Money fields are Decimal in ``currency`` (ISO 4217). Kind-specific value: ``amount`` (cash
    discount, > 0), ``percent`` (percent discount, 0 < p <= 100), a COUPON has exactly one of
    ``amount`` / ``percent``; ``apr`` (subvented APR in percent, 0 <= apr < 100); ``accessory_code``
    (free accessory). ``benefit_value`` estimates the customer's gain for APR subvention and free
    accessory (ranking and budget only). Item scope needs ``targets``; order scope may have
    ``min_order_amount``. ``eligible_dealer_ids`` None = every dealer of the brand. Validity: see
    the module docstring. Higher ``priority`` wins; ``exclusive`` = not stackable.
    Raises ``PromotionError`` (with ``field``) for any inconsistency, ``TypeError`` for float money.
    """

    id: int
    code: str
    name: str
    brand_id: int
    kind: PromotionKind
    scope: PromotionScope
    currency: str
    timezone: str
    valid_from: date | datetime | None = None
    valid_until: date | datetime | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    apr: Decimal | None = None
    accessory_code: str | None = None
    benefit_value: Decimal | None = None
    targets: PromotionTargets = PromotionTargets()
    min_order_amount: Decimal | None = None
    eligible_dealer_ids: frozenset[int] | None = None
    priority: int = 0
    exclusive: bool = False
    budget: Budget = Budget()
    coupons: tuple[Coupon, ...] = ()
    published: bool = False
    withdrawn: bool = False

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise PromotionError("A promotion needs a non-empty code", "code")
        object.__setattr__(self, "kind", PromotionKind(self.kind))
        object.__setattr__(self, "scope", PromotionScope(self.scope))
        try:
            minor_units(self.currency)
        except MoneyError as exc:
            raise PromotionError(str(exc), "currency") from exc
        _zone(self.timezone)
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                raise PromotionError(f"{name} must be a date or a naive local datetime", name)
            if isinstance(value, datetime) and value.tzinfo is not None:
                raise PromotionError(f"{name} must be a naive local datetime in {self.timezone}", name)
        start, end = validity_window_utc(self)
        if start is not None and end is not None and start >= end:
            raise PromotionError(f"{self.name}: valid_until must be after valid_from", "valid_until")
        self._check_value()
        if self.scope is PromotionScope.ITEM:
            if self.targets.is_empty:
                raise PromotionError(f"{self.name} is item-level and needs at least one target", "targets")
            if self.min_order_amount is not None:
                raise PromotionError(f"{self.name} is item-level; a minimum order amount needs order scope", "scope")
        elif not self.targets.is_empty:
            raise PromotionError(f"{self.name} is order-level and cannot have item targets", "targets")
        object.__setattr__(self, "min_order_amount", _amount(self.min_order_amount, "min_order_amount"))
        if self.eligible_dealer_ids is not None:
            dealers = frozenset(self.eligible_dealer_ids)
            if not dealers:
                raise PromotionError("eligible_dealer_ids is empty; use None for every dealer", "eligible_dealer_ids")
            object.__setattr__(self, "eligible_dealer_ids", dealers)
        object.__setattr__(self, "coupons", tuple(self.coupons))
        if self.kind is PromotionKind.COUPON:
            if not self.coupons:
                raise PromotionError(f"{self.name} is a coupon promotion and needs at least one code", "coupons")
            normalized = [c.normalized for c in self.coupons]
            if len(set(normalized)) != len(normalized):
                raise PromotionError(f"{self.name} lists the same coupon code twice", "coupons")
        elif self.coupons:
            raise PromotionError(f"Only coupon promotions have coupon codes, not {self.kind}", "coupons")

    def _check_value(self) -> None:
        kind = self.kind
        object.__setattr__(self, "amount", _amount(self.amount, "amount", positive=True))
        object.__setattr__(self, "percent", _amount(self.percent, "percent", positive=True))
        object.__setattr__(self, "apr", _amount(self.apr, "apr"))
        object.__setattr__(self, "benefit_value", _amount(self.benefit_value, "benefit_value"))
        wanted = {
            PromotionKind.CASH_DISCOUNT: {"amount"},
            PromotionKind.PERCENT_DISCOUNT: {"percent"},
            PromotionKind.APR_SUBVENTION: {"apr", "benefit_value"},
            PromotionKind.FREE_ACCESSORY: {"accessory_code", "benefit_value"},
            PromotionKind.COUPON: {"amount", "percent"},
        }[kind]
        for name in ("amount", "percent", "apr", "accessory_code", "benefit_value"):
            if getattr(self, name) is not None and name not in wanted:
                raise PromotionError(f"{name} does not apply to a {kind} promotion", name)
        if kind is PromotionKind.CASH_DISCOUNT and self.amount is None:
            raise PromotionError(f"{self.name} needs a discount amount", "amount")
        if kind is PromotionKind.PERCENT_DISCOUNT and self.percent is None:
            raise PromotionError(f"{self.name} needs a discount percent", "percent")
        if kind is PromotionKind.APR_SUBVENTION and self.apr is None:
            raise PromotionError(f"{self.name} needs a subvented APR", "apr")
        if kind is PromotionKind.FREE_ACCESSORY and not (self.accessory_code or "").strip():
            raise PromotionError(f"{self.name} needs the code of the free accessory", "accessory_code")
        if kind is PromotionKind.COUPON and (self.amount is None) == (self.percent is None):
            raise PromotionError(f"{self.name} needs either a discount amount or a discount percent", "amount")
        if self.percent is not None and self.percent > HUNDRED:
            raise PromotionError(f"A discount percent cannot exceed 100: {self.percent}", "percent")
        if self.apr is not None and self.apr >= HUNDRED:
            raise PromotionError(f"A subvented APR must be below 100: {self.apr}", "apr")

    @property
    def stage(self) -> Stage:
        """Return the stacking stage: COUPON for coupons, else ITEM or ORDER by scope."""
        if self.kind is PromotionKind.COUPON:
            return Stage.COUPON
        return Stage.ITEM if self.scope is PromotionScope.ITEM else Stage.ORDER

    def coupon(self, entered: str) -> Coupon | None:
        """Return this promotion's coupon matching the entered code (trimmed, case-insensitive), or None."""
        wanted = _normalize_coupon(entered)
        return next((c for c in self.coupons if c.normalized == wanted), None)


@dataclass(frozen=True, slots=True)
class OfferItem:
    """One line of a dealer's offer: a vehicle (``code`` = trim code, ``model_code`` set), option or accessory.

    ``amount`` is the line's pre-discount price (Decimal >= 0) in the offer currency; ``name`` is
    used in messages (falls back to ``code``). Raises ``PromotionError`` for a negative amount or a
    vehicle line without a model code.
    """

    line_id: str
    kind: ItemKind
    code: str
    amount: Decimal
    model_code: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ItemKind(self.kind))
        object.__setattr__(self, "amount", _amount(self.amount, "amount"))
        if self.kind is ItemKind.VEHICLE and not self.model_code:
            raise PromotionError(f"Vehicle line {self.line_id} needs a model code", "model_code")

    @property
    def label(self) -> str:
        """Return the line's name for messages, or its code."""
        return self.name or self.code


@dataclass(frozen=True, slots=True)
class OfferContext:
    """What eligibility looks at in an offer: brand, dealer, currency, lines and the coupon codes entered.

    Raises ``PromotionError`` for duplicate line ids or an invalid currency.
    """

    brand_id: int
    dealer_id: int
    currency: str
    items: tuple[OfferItem, ...] = ()
    coupon_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        try:
            minor_units(self.currency)
        except MoneyError as exc:
            raise PromotionError(str(exc), "currency") from exc
        object.__setattr__(self, "items", tuple(self.items))
        if isinstance(self.coupon_codes, str):
            raise PromotionError("coupon_codes must be a collection of codes", "coupon_codes")
        object.__setattr__(self, "coupon_codes", tuple(self.coupon_codes))
        line_ids = [i.line_id for i in self.items]
        if len(set(line_ids)) != len(line_ids):
            raise PromotionError("Offer line ids must be unique", "items")

    @property
    def subtotal(self) -> Decimal:
        """Return the sum of the line amounts before any promotion."""
        return sum((i.amount for i in self.items), ZERO)


# --- validity and lifecycle ----------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PromotionError(f"Unknown time zone: {name!r}", "timezone") from exc


def _utc(now_utc: datetime) -> datetime:
    if not isinstance(now_utc, datetime) or now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise PromotionError("now_utc must be a timezone-aware datetime", "now_utc")
    return now_utc.astimezone(UTC)


def _bound_utc(value: date | datetime, zone: ZoneInfo, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        local = value.replace(tzinfo=zone)  # fold=0: first occurrence / pre-transition offset (PEP 495)
    else:
        day = value + timedelta(days=1) if end else value
        local = datetime.combine(day, time.min, tzinfo=zone)
    return local.astimezone(UTC)


def validity_window_utc(promo: Promotion) -> tuple[datetime | None, datetime | None]:
    """Return the validity window as UTC instants ``(start inclusive, end exclusive)``; None = unbounded.

    Dates and naive datetimes are read in ``promo.timezone`` as the module docstring states
    (a ``valid_until`` date means through the end of that local day).
    """
    zone = _zone(promo.timezone)
    start = None if promo.valid_from is None else _bound_utc(promo.valid_from, zone, end=False)
    end = None if promo.valid_until is None else _bound_utc(promo.valid_until, zone, end=True)
    return start, end


def lifecycle_status(promo: Promotion, now_utc: datetime) -> PromotionStatus:
    """Return the effective status of ``promo`` at ``now_utc`` (an aware datetime).

    Withdrawn wins over everything; unpublished is DRAFT; otherwise SCHEDULED before the start
    (inclusive bound), ACTIVE inside ``[start, end)``, EXPIRED from the end (exclusive bound) on.
    Raises ``PromotionError`` for a naive ``now_utc``.
    """
    now = _utc(now_utc)
    if promo.withdrawn:
        return PromotionStatus.WITHDRAWN
    if not promo.published:
        return PromotionStatus.DRAFT
    start, end = validity_window_utc(promo)
    if start is not None and now < start:
        return PromotionStatus.SCHEDULED
    if end is not None and now >= end:
        return PromotionStatus.EXPIRED
    return PromotionStatus.ACTIVE


def ensure_transition(current: PromotionStatus, target: PromotionStatus) -> None:
    """Raise ``PromotionTransitionError`` unless ``current`` → ``target`` is in ``ALLOWED_TRANSITIONS``."""
    if target in ALLOWED_TRANSITIONS[current]:
        return
    if current is PromotionStatus.WITHDRAWN:
        raise PromotionTransitionError("A withdrawn promotion cannot be reinstated or changed", "status")
    if current is PromotionStatus.EXPIRED:
        raise PromotionTransitionError("An expired promotion cannot be changed; create a new one", "status")
    raise PromotionTransitionError(f"A {current} promotion cannot become {target}", "status")


def publish(promo: Promotion, now_utc: datetime) -> Promotion:
    """Return ``promo`` published: it becomes SCHEDULED or ACTIVE depending on ``now_utc``.

    Raises ``PromotionTransitionError`` unless it is a DRAFT, or when its validity already ended.
    """
    current = lifecycle_status(promo, now_utc)
    if current is not PromotionStatus.DRAFT:
        raise PromotionTransitionError(f"Only a draft can be published; {promo.name} is {current}", "status")
    published = replace(promo, published=True)
    target = lifecycle_status(published, now_utc)
    if target is PromotionStatus.EXPIRED:
        raise PromotionTransitionError(f"{promo.name} cannot be published: its validity has already ended", "status")
    ensure_transition(current, target)
    return published


def withdraw(promo: Promotion, now_utc: datetime) -> Promotion:
    """Return ``promo`` withdrawn; raises ``PromotionTransitionError`` when it is already expired or withdrawn."""
    ensure_transition(lifecycle_status(promo, now_utc), PromotionStatus.WITHDRAWN)
    return replace(promo, withdrawn=True)


def ensure_editable(current: Promotion, proposed: Promotion, now_utc: datetime) -> None:
    """Raise ``PromotionEditError`` unless ``proposed`` is an allowed edit of ``current`` at ``now_utc``.

    Never allowed: changing ``id`` or ``brand_id``, or the ``published`` / ``withdrawn`` flags (use
    ``publish`` / ``withdraw``). Once the promotion is active (and when expired or withdrawn) the
    ``PRICING_FIELDS`` are frozen; names, dealers, budget caps, coupons and ``valid_until`` may change.
    """
    for name in ("id", "brand_id"):
        if getattr(current, name) != getattr(proposed, name):
            raise PromotionEditError(f"A promotion's {name} cannot change", name)
    for name in ("published", "withdrawn"):
        if getattr(current, name) != getattr(proposed, name):
            raise PromotionEditError("Use publish or withdraw to change a promotion's status", name)
    status = lifecycle_status(current, now_utc)
    if status in (PromotionStatus.DRAFT, PromotionStatus.SCHEDULED):
        return
    changed = [name for name in PRICING_FIELDS if getattr(current, name) != getattr(proposed, name)]
    if changed:
        raise PromotionEditError(f"Cannot change {', '.join(changed)} of {current.name}: it is {status}", changed[0])


# --- amounts -------------------------------------------------------------------------------------------


def _check_currency(promo: Promotion, currency: str) -> None:
    if promo.currency != currency:
        raise PromotionError(f"{promo.name} is in {promo.currency}, not {currency}", "currency")


def discount_amount(promo: Promotion, base_amount: Decimal | int | str, currency: str) -> Decimal:
    """Return the discount of a cash, percent or coupon promotion on one line or offer of ``base_amount``.

    Cash: the promotion's amount. Percent: ``base × percent / 100`` rounded half-up to the
    currency's minor unit (``money.round_money``), once per line. Either way clamped to
    ``[0, base]`` (base truncated to the minor unit) so the price never goes below 0.
    Example: 10 % of 1,234,567 KRW = 123,456.7 → 123,457 KRW.
    Raises ``PromotionError`` for another kind, a currency that is not the promotion's, or a
    negative base.
    """
    if promo.kind not in DISCOUNT_KINDS:
        raise PromotionError(f"{promo.name} is a {promo.kind} promotion and has no discount amount", "kind")
    _check_currency(promo, currency)
    base = to_decimal(base_amount)
    if base < ZERO:
        raise PromotionError(f"Base amount must be at least 0: {base}", "base_amount")
    if promo.amount is not None:
        discount = round_money(promo.amount, currency)
    elif promo.percent is not None:
        discount = round_money(base * promo.percent / HUNDRED, currency)
    else:  # unreachable for a validated Promotion; kept so a bad record fails loudly
        raise PromotionError(f"{promo.name} has neither a discount amount nor a percent", "amount")
    cap = base.quantize(quantum(currency), rounding=ROUND_DOWN)
    return max(ZERO, min(discount, cap))


def customer_benefit(promo: Promotion, base_amount: Decimal | int | str, currency: str) -> Decimal:
    """Return what ``promo`` is worth to the customer on ``base_amount``, for ranking and budgets.

    Discount kinds: ``discount_amount``. APR subvention and free accessory: corporate's
    ``benefit_value`` rounded to the currency (0 when not set). Raises ``PromotionError`` for a
    currency that is not the promotion's.
    """
    if promo.kind in DISCOUNT_KINDS:
        return discount_amount(promo, base_amount, currency)
    _check_currency(promo, currency)
    return round_money(promo.benefit_value or ZERO, currency)


# --- eligibility ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Whether one promotion may apply: ``eligible``, and when not, a ``reason`` and an English ``message``.

    ``coupon_code`` is the entered code that matched a coupon promotion.
    """

    promotion_id: int
    eligible: bool
    reason: Reason | None = None
    message: str = ""
    coupon_code: str | None = None


def _money(amount: Decimal, currency: str) -> Money:
    """Return ``amount`` rounded to ``currency`` as a message parameter (English "150000 KRW")."""
    rounded = round_money(amount, currency)
    return Money(rounded, currency, f"{rounded} {currency}")


def _describe_bound(value: date | datetime, zone: str) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} ({zone})"
    return f"{value.isoformat()} ({zone})"


def _entered_coupon(promo: Promotion, offer: OfferContext) -> tuple[str, Coupon] | None:
    for entered in offer.coupon_codes:
        coupon = promo.coupon(entered)
        if coupon is not None:
            return _normalize_coupon(entered), coupon
    return None


Problem = tuple[Reason, Text]


def _budget_problem(
    promo: Promotion, benefit: Decimal, pending_count: int = 0, pending_amount: Decimal = ZERO
) -> Problem | None:
    """Check the budget for one more use worth ``benefit``, on top of uses pending in this offer."""
    budget = promo.budget
    if budget.max_count is not None and budget.used_count + pending_count >= budget.max_count:
        return Reason.BUDGET_EXHAUSTED, Text(N_("%(promotion)s has reached its cap of %(count)s uses"), promotion=promo.name,
                                             count=budget.max_count)
    if budget.max_amount is not None:
        remaining = budget.max_amount - budget.used_amount - pending_amount
        if remaining <= ZERO:
            return (
                Reason.BUDGET_EXHAUSTED,
                Text(N_("%(promotion)s has used up its budget of %(budget)s"), promotion=promo.name,
                     budget=_money(budget.max_amount, promo.currency)),
            )
        if benefit > remaining:
            return (
                Reason.BUDGET_EXHAUSTED,
                Text(N_("%(promotion)s has %(remaining)s of budget left, less than this benefit of %(benefit)s"),
                     promotion=promo.name, remaining=_money(remaining, promo.currency),
                     benefit=_money(benefit, promo.currency)),
            )
    return None


def _general_problem(promo: Promotion, offer: OfferContext, now_utc: datetime) -> tuple[Problem | None, str | None]:
    """Run the checks that do not depend on a line: coupon, brand, status, dealer, coupon use, budget left."""
    _check_currency(promo, offer.currency)
    entered: str | None = None
    coupon: Coupon | None = None
    if promo.kind is PromotionKind.COUPON:
        match = _entered_coupon(promo, offer)
        if match is None:
            return (Reason.COUPON_REQUIRED, Text(N_("No coupon code for %(promotion)s was entered"), promotion=promo.name)), None
        entered, coupon = match
        if promo.brand_id != offer.brand_id:
            return (Reason.COUPON_OTHER_BRAND, Text(N_("Coupon %(code)s belongs to another brand"), code=entered)), entered
    elif promo.brand_id != offer.brand_id:
        return (Reason.NOT_FOR_BRAND, Text(N_("%(promotion)s is another brand's promotion"), promotion=promo.name)), None
    status = lifecycle_status(promo, now_utc)
    if status is PromotionStatus.DRAFT:
        return (Reason.NOT_PUBLISHED, Text(N_("%(promotion)s is not published"), promotion=promo.name)), entered
    if status is PromotionStatus.WITHDRAWN:
        return (Reason.WITHDRAWN, Text(N_("%(promotion)s was withdrawn"), promotion=promo.name)), entered
    if status is PromotionStatus.SCHEDULED and promo.valid_from is not None:
        when = _describe_bound(promo.valid_from, promo.timezone)
        return (Reason.OUTSIDE_VALIDITY, Text(N_("%(promotion)s is not valid yet: it starts %(when)s"),
                                               promotion=promo.name, when=when)), entered
    if status is PromotionStatus.EXPIRED and promo.valid_until is not None:
        when = _describe_bound(promo.valid_until, promo.timezone)
        return (Reason.OUTSIDE_VALIDITY, Text(N_("%(promotion)s has expired: it was valid until %(when)s"),
                                               promotion=promo.name, when=when)), entered
    if promo.eligible_dealer_ids is not None and offer.dealer_id not in promo.eligible_dealer_ids:
        return (Reason.NOT_FOR_DEALER, Text(N_("%(promotion)s is not offered by this dealer"), promotion=promo.name)), entered
    if coupon is not None and coupon.used_up:
        if coupon.max_uses == 1:
            return (Reason.COUPON_USED, Text(N_("Coupon %(code)s has already been used"), code=entered)), entered
        return (Reason.COUPON_USED, Text(N_("Coupon %(code)s has reached its limit of %(count)s uses"),
                                         code=entered, count=coupon.max_uses)), entered
    return _budget_problem(promo, ZERO), entered


def _target_problem(
    promo: Promotion,
    offer: OfferContext,
    item: OfferItem | None,
    pending_count: int = 0,
    pending_amount: Decimal = ZERO,
    order_base: Decimal | None = None,
) -> tuple[Problem | None, Decimal]:
    """Run the checks that depend on what the promotion lands on; return the problem and the customer benefit.

    ``order_base`` is the running offer amount an order-scope coupon lands on (None = the subtotal).
    """
    if promo.scope is PromotionScope.ITEM:
        if item is not None:
            if not promo.targets.matches(item):
                return (Reason.NOT_APPLICABLE, Text(N_("%(promotion)s does not apply to %(item)s"), promotion=promo.name,
                                                   item=item.label)), ZERO
            base = item.amount
        else:
            matching = [i.amount for i in offer.items if promo.targets.matches(i)]
            if not matching:
                return (Reason.NOT_APPLICABLE, Text(N_("%(promotion)s does not apply to any line of this offer"),
                                                   promotion=promo.name)), ZERO
            base = sum(matching, ZERO)
    else:
        base = offer.subtotal if order_base is None else order_base
        minimum = promo.min_order_amount
        if minimum is not None and base < minimum and order_base is not None:
            return (
                Reason.BELOW_MINIMUM_ORDER,
                Text(N_("%(promotion)s needs at least %(minimum)s after the other discounts; this offer comes to "
                        "%(amount)s, %(shortfall)s short"),
                     promotion=promo.name, minimum=_money(minimum, offer.currency), amount=_money(base, offer.currency),
                     shortfall=_money(minimum - base, offer.currency)),
            ), ZERO
        if minimum is not None and base < minimum:
            return (
                Reason.BELOW_MINIMUM_ORDER,
                Text(N_("%(promotion)s needs an offer of at least %(minimum)s; this one is %(amount)s"),
                     promotion=promo.name, minimum=_money(minimum, offer.currency), amount=_money(base, offer.currency)),
            ), ZERO
    benefit = customer_benefit(promo, base, offer.currency)
    return _budget_problem(promo, benefit, pending_count, pending_amount), benefit


def check_eligibility(
    promo: Promotion, offer: OfferContext, now_utc: datetime, item: OfferItem | None = None
) -> Eligibility:
    """Decide whether ``promo`` may apply to ``offer`` (or to its line ``item``) at ``now_utc``.

    Checks in this order, first failure wins: coupon entered (coupons), brand (coupon of another
    brand), lifecycle status (draft, withdrawn, outside the validity window), dealer, coupon uses
    left, budget left, target (the line, or for an item-level promotion without ``item`` at least
    one line of the offer), minimum order amount, budget left for this benefit. Stacking is not
    considered here (see ``select_promotions``).
    Raises ``PromotionError`` when the promotion's currency is not the offer's or ``now_utc`` is naive.
    """
    problem, entered = _general_problem(promo, offer, now_utc)
    if problem is None:
        problem, _ = _target_problem(promo, offer, item)
    if problem is None:
        return Eligibility(promo.id, True, coupon_code=entered)
    reason, message = problem
    return Eligibility(promo.id, False, reason, message, entered)


# --- stacking selection --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    """A promotion the selection applies: its stage, the line (item-level and item-scope coupons) and coupon code."""

    promotion: Promotion
    stage: Stage
    line_id: str | None = None
    coupon_code: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedPromotion:
    """A promotion that is not applied, with the reason; ``blocked_by`` is the id of the promotion that won."""

    promotion: Promotion
    reason: Reason
    message: str
    line_id: str | None = None
    blocked_by: int | None = None
    coupon_code: str | None = None


@dataclass(frozen=True, slots=True)
class CouponRejection:
    """An entered coupon code that matches no given promotion."""

    code: str
    reason: Reason
    message: str


@dataclass(frozen=True, slots=True)
class PromotionSelection:
    """The outcome of ``select_promotions``.

    ``applied`` is in application order: item-level by offer line, then order-level, then coupons
    (each by rank). ``not_applied`` holds every other promotion with its reason; an item-level
    promotion appears once per line it lost on, or once without a line when it fails before any
    line is considered.
    """

    applied: tuple[AppliedPromotion, ...]
    not_applied: tuple[SkippedPromotion, ...]
    rejected_coupon_codes: tuple[CouponRejection, ...] = ()

    def for_line(self, line_id: str) -> tuple[AppliedPromotion, ...]:
        """Return the promotions applied to offer line ``line_id`` (its item-level one, then coupons)."""
        return tuple(a for a in self.applied if a.line_id == line_id)

    def in_stage(self, stage: Stage) -> tuple[AppliedPromotion, ...]:
        """Return the promotions applied in ``stage``."""
        return tuple(a for a in self.applied if a.stage is stage)


def rank_key(promo: Promotion, benefit: Decimal) -> tuple[int, Decimal, int]:
    """Return the sort key that puts the winning promotion first: priority desc, benefit desc, id asc."""
    return (-promo.priority, -benefit, promo.id)


def _outranked_message(loser: Promotion, loser_benefit: Decimal, winner: Promotion, winner_benefit: Decimal) -> Text:
    if winner.priority > loser.priority:
        return Text(N_("Lower priority than %(winner)s"), winner=winner.name)
    if winner_benefit > loser_benefit:
        return Text(N_("Same priority as %(winner)s but a smaller customer benefit"), winner=winner.name)
    return Text(N_("Same priority and customer benefit as %(winner)s, which is older (lower id)"), winner=winner.name)


def select_promotions(
    promotions: Iterable[Promotion],
    offer: OfferContext,
    now_utc: datetime,
    coupon_base: Decimal | int | str | None = None,
) -> PromotionSelection:
    """Choose which promotions apply to ``offer`` at ``now_utc``, following the stacking rules of the module docstring.

    ``coupon_base`` is the running offer amount (offer currency, >= 0) order-scope coupons land on,
    against which their minimum order amount is checked; None = the subtotal minus the cash and
    percent discounts applied in stages 1 and 2 (see the module docstring).

    Input: the candidate promotions (normally the brand's; a coupon promotion found by an entered
    code may be another brand's and is then rejected), the offer and an aware ``now_utc``.
    Output: a ``PromotionSelection`` with the applied promotions, every other one with its reason
    (eligibility failure, "outranked", "not stackable with X", budget exhausted inside this offer)
    and the entered coupon codes that match no promotion. Deterministic: candidates are processed
    by id. Raises ``PromotionError`` for duplicate promotion ids, a promotion in another currency
    than the offer, a naive ``now_utc`` or a negative ``coupon_base``.
    """
    if coupon_base is not None:
        coupon_base = _amount(coupon_base, "coupon_base")
    promos = sorted(promotions, key=lambda p: p.id)
    ids = [p.id for p in promos]
    if len(set(ids)) != len(ids):
        raise PromotionError("Promotion ids must be unique", "promotions")
    applied: list[AppliedPromotion] = []
    skipped: list[SkippedPromotion] = []

    # Stage 1: item-level, one per line.
    live: list[Promotion] = []
    for promo in (p for p in promos if p.stage is Stage.ITEM):
        problem, _ = _general_problem(promo, offer, now_utc)
        if problem is None and not any(promo.targets.matches(i) for i in offer.items):
            problem, _ = _target_problem(promo, offer, None)
        if problem is not None:
            skipped.append(SkippedPromotion(promo, *problem))
        else:
            live.append(promo)
    pending: dict[int, tuple[int, Decimal]] = {}
    for item in offer.items:
        ranked = sorted(
            ((p, customer_benefit(p, item.amount, offer.currency)) for p in live if p.targets.matches(item)),
            key=lambda pb: rank_key(*pb),
        )
        winner: tuple[Promotion, Decimal] | None = None
        for promo, benefit in ranked:
            if winner is not None:
                message = _outranked_message(promo, benefit, *winner)
                skipped.append(SkippedPromotion(promo, Reason.OUTRANKED, message, item.line_id, winner[0].id))
                continue
            count, amount = pending.get(promo.id, (0, ZERO))
            problem = _budget_problem(promo, benefit, count, amount)
            if problem is not None:
                skipped.append(SkippedPromotion(promo, *problem, line_id=item.line_id))
                continue
            winner = (promo, benefit)
            pending[promo.id] = (count + 1, amount + benefit)
            applied.append(AppliedPromotion(promo, Stage.ITEM, item.line_id))

    # Stages 2 and 3: order-level, then coupons, with the exclusivity rule.
    for stage in (Stage.ORDER, Stage.COUPON):
        order_base = None
        if stage is Stage.COUPON:
            order_base = coupon_base if coupon_base is not None else _running_after(applied, offer)
        candidates: list[tuple[Promotion, Decimal, str | None]] = []
        for promo in (p for p in promos if p.stage is stage):
            problem, entered = _general_problem(promo, offer, now_utc)
            benefit = ZERO
            if problem is None:
                problem, benefit = _target_problem(promo, offer, None, order_base=order_base)
            if problem is not None:
                skipped.append(SkippedPromotion(promo, *problem, coupon_code=entered))
            else:
                candidates.append((promo, benefit, entered))
        applied_here, skipped_here = _stack(candidates, stage, offer)
        applied.extend(applied_here)
        skipped.extend(skipped_here)

    matched = {
        _normalize_coupon(code)
        for code in offer.coupon_codes
        for p in promos
        if p.kind is PromotionKind.COUPON and p.coupon(code) is not None
    }
    rejected: list[CouponRejection] = []
    for code in dict.fromkeys(_normalize_coupon(c) for c in offer.coupon_codes):
        if code and code not in matched:
            rejected.append(CouponRejection(code, Reason.COUPON_INVALID, Text(N_("Coupon %(code)s is not valid"), code=code)))
    return PromotionSelection(tuple(applied), tuple(skipped), tuple(rejected))


def _running_after(applied: Sequence[AppliedPromotion], offer: OfferContext) -> Decimal:
    """Return the offer subtotal minus the cash and percent discounts of ``applied`` (stages 1-2, in order).

    Item-level: on the line's running amount; order-level: on the running offer amount. APR
    subvention and free accessory change no price here (the engine passes the exact figure).
    """
    lines = {i.line_id: i.amount for i in offer.items}
    running = offer.subtotal
    for choice in applied:
        promo = choice.promotion
        if promo.kind not in DISCOUNT_KINDS:
            continue
        if choice.line_id is not None:
            off = discount_amount(promo, lines[choice.line_id], offer.currency)
            lines[choice.line_id] -= off
        else:
            off = discount_amount(promo, running, offer.currency)
        running -= off
    return max(ZERO, running)


def _stack(
    candidates: Sequence[tuple[Promotion, Decimal, str | None]], stage: Stage, offer: OfferContext
) -> tuple[list[AppliedPromotion], list[SkippedPromotion]]:
    """Apply the order-level exclusivity rule to eligible ``candidates`` of one stage."""
    ranked = sorted(candidates, key=lambda c: rank_key(c[0], c[1]))
    applied: list[AppliedPromotion] = []
    skipped: list[SkippedPromotion] = []
    if not ranked:
        return applied, skipped
    top = ranked[0][0]
    for promo, _benefit, entered in ranked:
        if promo is not top and (top.exclusive or promo.exclusive):
            message = (
                Text(N_("Not stackable with %(winner)s, which is exclusive"), winner=top.name)
                if top.exclusive
                else Text(N_("Not stackable with %(winner)s: %(promotion)s is exclusive and ranks lower"),
                          winner=top.name, promotion=promo.name)
            )
            skipped.append(SkippedPromotion(promo, Reason.NOT_STACKABLE, message, None, top.id, entered))
            continue
        if promo.scope is PromotionScope.ITEM:
            applied.extend(
                AppliedPromotion(promo, stage, item.line_id, entered)
                for item in offer.items
                if promo.targets.matches(item)
            )
        else:
            applied.append(AppliedPromotion(promo, stage, None, entered))
    return applied, skipped
