"""Discount authority and approval thresholds: does this offer's discount need a manager's sign-off?

Two layers of rules, both checked on every offer:

* the **consultant's discount authority** (``DiscountAuthority``): a maximum amount and/or a
  maximum percent of the reference price. A limit left ``None`` is not checked; when both are set
  both apply. A consultant with **neither** limit set has **no** authority: every non-zero discount
  needs approval.
* the **dealer's approval policy** (``ApprovalPolicy``): a threshold amount and/or percent above
  which any discount needs approval whoever gives it, and a minimum gross floor
  (gross = selling price − cost). When a floor is set and the gross is unknown (cost not entered),
  the dealer's ``UnknownCostRule`` decides: ``require_approval`` (the default; the check fails
  closed) or ``authority_only`` (the floor is skipped; the consultant's authority and the dealer's
  discount thresholds still apply). ``ApprovalResult.cost_rule`` says which rule applied, so the
  offer builder can say it plainly (issue 11).

Limits are inclusive: a discount exactly at a limit, or a gross exactly at the floor, is allowed.
Percent comparisons are exact (``Fraction`` cross-multiplication, no rounding before comparing);
only the numbers shown in the messages are rounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction

from app.domain.messages import N_, Money, Percent, Text
from app.domain.money import ZERO, MoneyError, minor_units, quantum, to_decimal

HUNDRED = Decimal(100)


class ApprovalError(ValueError):
    """Raised for an invalid authority, policy or check input; ``field`` names the offending field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ApproverRole(StrEnum):
    """Roles allowed to approve a discount (values are the stored role names)."""

    DEALER_PRINCIPAL = "dealer_principal"
    SALES_MANAGER = "sales_manager"


class UnknownCostRule(StrEnum):
    """What a stock car without an acquisition cost means for the gross floor (a dealer setting).

    ``REQUIRE_APPROVAL``: the floor cannot be checked, so the offer needs approval (fail closed).
    ``AUTHORITY_ONLY``: the floor is not checked; only the consultant's discount authority and the
    dealer's discount thresholds decide. Values are the stored setting.
    """

    REQUIRE_APPROVAL = "require_approval"
    AUTHORITY_ONLY = "authority_only"


class BreachKind(StrEnum):
    """Why an offer needs approval (a stable key for translation and audit)."""

    NO_AUTHORITY = "no_authority"
    AUTHORITY_AMOUNT = "authority_amount"
    AUTHORITY_PERCENT = "authority_percent"
    THRESHOLD_AMOUNT = "threshold_amount"
    THRESHOLD_PERCENT = "threshold_percent"
    GROSS_BELOW_FLOOR = "gross_below_floor"
    GROSS_UNKNOWN = "gross_unknown"


def _decimal(value: Decimal | int | str, what: str, field_name: str) -> Decimal:
    try:
        return to_decimal(value)
    except (TypeError, MoneyError) as exc:
        raise ApprovalError(f"{what} must be a number (Decimal, int or string): {value!r}", field_name) from exc


def _optional_limit(value: Decimal | int | str | None, what: str, field_name: str, *, percent: bool) -> Decimal | None:
    """Return ``value`` as a non-negative Decimal (≤ 100 for a percent), or None."""
    if value is None:
        return None
    limit = _decimal(value, what, field_name)
    if limit < ZERO:
        raise ApprovalError(f"{what} must not be negative (got {limit})", field_name)
    if percent and limit > HUNDRED:
        raise ApprovalError(f"{what} must be at most 100 percent (got {limit})", field_name)
    return limit


@dataclass(frozen=True, slots=True)
class DiscountAuthority:
    """State how much discount a sales consultant may give without approval.

    ``max_amount``: Decimal in the dealer's currency, ≥ 0, or None (not limited by amount).
    ``max_percent``: percent of the reference price in [0, 100], or None (not limited by percent).
    Both set → both apply. Neither set → no authority at all (every non-zero discount needs
    approval). Raises ``ApprovalError`` (field ``max_amount`` / ``max_percent``).
    """

    max_amount: Decimal | None = None
    max_percent: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "max_amount", _optional_limit(self.max_amount, "Authority amount", "max_amount", percent=False)
        )
        object.__setattr__(
            self, "max_percent", _optional_limit(self.max_percent, "Authority percent", "max_percent", percent=True)
        )

    @property
    def has_authority(self) -> bool:
        """Return True when at least one limit is set (a consultant with none has no authority)."""
        return self.max_amount is not None or self.max_percent is not None


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    """Hold a dealer's approval rules for discounts and gross.

    ``currency``: ISO 4217 code used for amounts and messages. ``threshold_amount`` (≥ 0) and
    ``threshold_percent`` ([0, 100] of the reference price): a discount above either needs approval;
    None = not checked. ``minimum_gross``: the lowest gross (selling price − cost) allowed without
    approval, may be negative (a tolerated loss); None = not checked. ``approver_roles``: the
    non-empty set of roles that may approve (``ApproverRole`` or its string value). ``unknown_cost``:
    what an unknown gross means when a floor is set (``UnknownCostRule`` or its value; default
    ``require_approval``).
    Raises ``ApprovalError`` naming the field for a bad currency, a negative threshold, a percent over
    100, an amount with more decimals than the currency allows, an empty/unknown role, or an unknown
    cost rule.
    """

    currency: str
    threshold_amount: Decimal | None = None
    threshold_percent: Decimal | None = None
    minimum_gross: Decimal | None = None
    approver_roles: frozenset[ApproverRole] = frozenset({ApproverRole.SALES_MANAGER, ApproverRole.DEALER_PRINCIPAL})
    unknown_cost: UnknownCostRule = UnknownCostRule.REQUIRE_APPROVAL

    def __post_init__(self) -> None:
        try:
            minor_units(self.currency)
        except MoneyError as exc:
            raise ApprovalError(str(exc), "currency") from exc
        threshold_amount = _optional_limit(self.threshold_amount, "Threshold amount", "threshold_amount", percent=False)
        threshold_percent = _optional_limit(
            self.threshold_percent, "Threshold percent", "threshold_percent", percent=True
        )
        minimum_gross = (
            None if self.minimum_gross is None else _decimal(self.minimum_gross, "Minimum gross", "minimum_gross")
        )
        for value, what, field_name in (
            (threshold_amount, "Threshold amount", "threshold_amount"),
            (minimum_gross, "Minimum gross", "minimum_gross"),
        ):
            if value is not None and value != value.quantize(quantum(self.currency)):
                raise ApprovalError(
                    f"{what} {value} has more decimals than {self.currency} allows ({minor_units(self.currency)})",
                    field_name,
                )
        object.__setattr__(self, "threshold_amount", threshold_amount)
        object.__setattr__(self, "threshold_percent", threshold_percent)
        object.__setattr__(self, "minimum_gross", minimum_gross)
        object.__setattr__(self, "approver_roles", _roles(self.approver_roles))
        try:
            object.__setattr__(self, "unknown_cost", UnknownCostRule(self.unknown_cost))
        except ValueError as exc:
            allowed = ", ".join(r.value for r in UnknownCostRule)
            raise ApprovalError(
                f"Unknown cost rule {self.unknown_cost!r} (allowed: {allowed})", "unknown_cost"
            ) from exc


def _roles(roles: Iterable[ApproverRole | str]) -> frozenset[ApproverRole]:
    if isinstance(roles, str):
        roles = [roles]
    result: set[ApproverRole] = set()
    for role in roles:
        try:
            result.add(ApproverRole(role))
        except ValueError as exc:
            allowed = ", ".join(r.value for r in ApproverRole)
            raise ApprovalError(f"Unknown approver role {role!r} (allowed: {allowed})", "approver_roles") from exc
    if not result:
        raise ApprovalError("At least one approver role is required", "approver_roles")
    return frozenset(result)


@dataclass(frozen=True, slots=True)
class ApprovalBreach:
    """One reason an offer needs approval: ``kind``, the ``actual`` and ``limit`` values, the ``message``.

    ``message`` is a ``messages.Text``: the English sentence as a ``str``, with its msgid and parameters
    (``Money`` / ``Percent``) so the reader's locale words it (``Text.render``, stored by ``as_json``).

    ``actual`` / ``limit`` are amounts in the policy currency or percents, per ``kind``; ``actual`` is
    None for ``GROSS_UNKNOWN``; ``limit`` is None for ``NO_AUTHORITY``. Percents in ``actual`` are the
    exact ratio as a ``Fraction``-derived Decimal at 28 significant digits (display only).
    """

    kind: BreachKind
    actual: Decimal | None
    limit: Decimal | None
    message: Text


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    """Outcome of an approval check.

    ``needs_approval`` is True iff ``reasons`` is non-empty. ``reasons`` are the breaches' ``Text``
    messages (English ``str`` values, translatable; one per breach, in check order: authority, dealer
    threshold, gross). ``breaches`` carry the same
    with kind and values for translation and audit. ``approver_roles`` lists who may approve (empty
    when no approval is needed), in ``ApproverRole`` declaration order. ``cost_rule``: the
    ``UnknownCostRule`` that decided the gross check because the gross was unknown while a floor was
    set; None when the gross was known or no floor is set.
    """

    needs_approval: bool
    reasons: tuple[Text, ...]
    breaches: tuple[ApprovalBreach, ...]
    approver_roles: tuple[ApproverRole, ...]
    cost_rule: UnknownCostRule | None = None


def _round_display(value: Fraction | Decimal, places: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60  # enough digits that quantize never hits the context limit for a price
        if isinstance(value, Fraction):
            value = Decimal(value.numerator) / Decimal(value.denominator)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _fmt_amount(value: Fraction | Decimal, places: int) -> str:
    return f"{_round_display(value, places):,.{places}f}"


def _fmt_percent(value: Fraction | Decimal, places: int) -> str:
    shown = _round_display(value, places)
    # 5.00 → "5", 6.20 → "6.2": percents read best without trailing zeros.
    text = f"{shown:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _distinct(
    fmt: Callable[[Fraction | Decimal, int], str], actual: Fraction | Decimal, limit: Decimal, places: int
) -> tuple[str, str]:
    """Format ``actual`` and ``limit``, adding decimals until they differ (never "5% exceeds 5%")."""
    for extra in range(0, 10):
        shown_actual, shown_limit = fmt(actual, places + extra), fmt(limit, places + extra)
        if shown_actual != shown_limit:
            break
    return shown_actual, shown_limit


def _as_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def approval_check(
    discount_total: Decimal | int | str,
    reference_price: Decimal | int | str,
    gross: Decimal | int | str | None,
    consultant_authority: DiscountAuthority,
    policy: ApprovalPolicy,
) -> ApprovalResult:
    """Decide whether an offer's discount needs approval, and why.

    ``discount_total``: total discount given (≥ 0) in the policy currency. ``reference_price``: the
    price the discount percent is measured against (> 0; the price before discount, e.g. MSRP +
    options). ``gross``: selling price − cost, or None when the cost is unknown.
    Discount percent = ``discount_total / reference_price × 100``, compared exactly.

    A reason is raised when the discount exceeds (strictly) the consultant's amount or percent
    authority, or any non-zero discount when the consultant has no authority; when it exceeds the
    dealer's threshold amount or percent; when gross is below (strictly) the minimum gross, or unknown
    while a floor is set and the policy's ``unknown_cost`` is ``require_approval`` (with
    ``authority_only`` an unknown gross raises nothing). Raises ``ApprovalError`` for a negative or non-numeric discount, a
    reference price ≤ 0, a non-numeric gross, or arguments of the wrong type.
    """
    if not isinstance(consultant_authority, DiscountAuthority):
        raise ApprovalError("consultant_authority must be a DiscountAuthority", "consultant_authority")
    if not isinstance(policy, ApprovalPolicy):
        raise ApprovalError("policy must be an ApprovalPolicy", "policy")
    discount = _decimal(discount_total, "Discount", "discount_total")
    if discount < ZERO:
        raise ApprovalError(f"Discount must not be negative (got {discount})", "discount_total")
    price = _decimal(reference_price, "Reference price", "reference_price")
    if price <= ZERO:
        raise ApprovalError(f"Reference price must be greater than 0 (got {price})", "reference_price")
    gross_value = None if gross is None else _decimal(gross, "Gross", "gross")

    places = minor_units(policy.currency)
    # Exact ratio: Decimal → Fraction is lossless, so no rounding happens before comparing.
    percent = Fraction(discount) * 100 / Fraction(price)
    breaches: list[ApprovalBreach] = []

    cur = policy.currency

    def money(shown: str, value: Decimal) -> Money:
        return Money(value, cur, shown)

    def amount_breach(kind: BreachKind, limit: Decimal, msgid: str) -> None:
        if discount > limit:
            shown, shown_limit = _distinct(_fmt_amount, discount, limit, places)
            text = Text(msgid, amount=money(shown, discount), limit=money(shown_limit, limit))
            breaches.append(ApprovalBreach(kind, discount, limit, text))

    def percent_breach(kind: BreachKind, limit: Decimal, msgid: str) -> None:
        if percent > Fraction(limit):
            shown, shown_limit = _distinct(_fmt_percent, percent, limit, 2)
            text = Text(msgid, percent=Percent(Decimal(shown)), limit=Percent(Decimal(shown_limit)))
            breaches.append(ApprovalBreach(kind, _as_decimal(percent), limit, text))

    authority = consultant_authority
    if not authority.has_authority:
        if discount > ZERO:
            text = Text(N_("Discount %(amount)s needs approval: you have no discount authority"),
                        amount=money(_fmt_amount(discount, places), discount))
            breaches.append(ApprovalBreach(BreachKind.NO_AUTHORITY, discount, None, text))
    else:
        if authority.max_amount is not None:
            amount_breach(BreachKind.AUTHORITY_AMOUNT, authority.max_amount,
                          N_("Discount %(amount)s exceeds your authority of %(limit)s"))
        if authority.max_percent is not None:
            percent_breach(BreachKind.AUTHORITY_PERCENT, authority.max_percent,
                           N_("Discount %(percent)s exceeds your authority of %(limit)s"))
    if policy.threshold_amount is not None:
        amount_breach(BreachKind.THRESHOLD_AMOUNT, policy.threshold_amount,
                      N_("Discount %(amount)s exceeds dealer threshold %(limit)s"))
    if policy.threshold_percent is not None:
        percent_breach(BreachKind.THRESHOLD_PERCENT, policy.threshold_percent,
                       N_("Discount %(percent)s exceeds dealer threshold %(limit)s"))
    floor = policy.minimum_gross
    cost_rule: UnknownCostRule | None = None
    if floor is not None:
        if gross_value is None:
            cost_rule = policy.unknown_cost
        if gross_value is None and cost_rule is UnknownCostRule.REQUIRE_APPROVAL:
            text = Text(N_("Gross is unknown, so the floor %(floor)s cannot be checked"),
                        floor=money(_fmt_amount(floor, places), floor))
            breaches.append(ApprovalBreach(BreachKind.GROSS_UNKNOWN, None, floor, text))
        elif gross_value is not None and gross_value < floor:
            shown, shown_floor = _distinct(_fmt_amount, gross_value, floor, places)
            text = Text(N_("Gross %(gross)s is below the floor %(floor)s"),
                        gross=money(shown, gross_value), floor=money(shown_floor, floor))
            breaches.append(ApprovalBreach(BreachKind.GROSS_BELOW_FLOOR, gross_value, floor, text))

    needs = bool(breaches)
    roles = tuple(r for r in ApproverRole if r in policy.approver_roles) if needs else ()
    return ApprovalResult(
        needs_approval=needs,
        reasons=tuple(b.message for b in breaches),
        breaches=tuple(breaches),
        approver_roles=roles,
        cost_rule=cost_rule,
    )
