"""Discount authority and approval thresholds: table-driven hand-computed cases and properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.approval import (
    ApprovalError,
    ApprovalPolicy,
    ApproverRole,
    BreachKind,
    DiscountAuthority,
    UnknownCostRule,
    approval_check,
)

D = Decimal
K = BreachKind

# Korean dealer: threshold 2,000,000 KRW or 5 %; floor 500,000 KRW of gross.
KR_POLICY = ApprovalPolicy("KRW", threshold_amount=D("2000000"), threshold_percent=D("5"), minimum_gross=D("500000"))
KR_PERCENT_ONLY = ApprovalPolicy("KRW", threshold_percent=D("5"))
KR_OPEN = ApprovalPolicy("KRW")  # no dealer thresholds, no floor
CA_FLOOR = ApprovalPolicy("CAD", minimum_gross=D("500.00"), approver_roles=frozenset({ApproverRole.SALES_MANAGER}))
CA_PERCENT = ApprovalPolicy("CAD", threshold_percent=D("3.33"))

BOTH = DiscountAuthority(max_amount=D("1000000"), max_percent=D("3"))
AMOUNT_ONLY = DiscountAuthority(max_amount=D("1000000"))
PERCENT_ONLY = DiscountAuthority(max_percent=D("3"))
BIG = DiscountAuthority(max_amount=D("100000000"), max_percent=D("100"))
NONE = DiscountAuthority()

PRICE_KR = D("50000000")


@pytest.mark.parametrize(
    ("discount", "price", "gross", "authority", "policy", "expected_reasons"),
    [
        pytest.param(D("0"), PRICE_KR, D("2000000"), BOTH, KR_POLICY, [], id="no-discount"),
        # 1,000,000 is exactly the amount authority; 1,000,000 / 50,000,000 = 2 % ≤ 3 %
        pytest.param(D("1000000"), PRICE_KR, D("2000000"), BOTH, KR_POLICY, [], id="amount-authority-equality"),
        pytest.param(
            D("1000001"),
            PRICE_KR,
            D("2000000"),
            BOTH,
            KR_POLICY,
            ["Discount 1,000,001 exceeds your authority of 1,000,000"],
            id="one-won-over-amount-authority",
        ),
        # 1,500,000 / 50,000,000 = 3 %: at the percent limit (allowed) but over the amount limit
        pytest.param(
            D("1500000"),
            PRICE_KR,
            D("2000000"),
            AMOUNT_ONLY,
            KR_OPEN,
            ["Discount 1,500,000 exceeds your authority of 1,000,000"],
            id="amount-authority",
        ),
        pytest.param(D("1500000"), PRICE_KR, None, PERCENT_ONLY, KR_OPEN, [], id="percent-authority-equality"),
        # 1,500,001 / 50,000,000 × 100 = 3.000002 %: shown with enough decimals to differ from 3 %
        pytest.param(
            D("1500001"),
            PRICE_KR,
            None,
            PERCENT_ONLY,
            KR_OPEN,
            ["Discount 3.000002% exceeds your authority of 3%"],
            id="percent-authority-just-over",
        ),
        # 3,100,000 / 50,000,000 × 100 = 6.2 % > 5 %
        pytest.param(
            D("3100000"),
            PRICE_KR,
            None,
            BIG,
            KR_PERCENT_ONLY,
            ["Discount 6.2% exceeds dealer threshold 5%"],
            id="dealer-percent-threshold",
        ),
        # 2,500,000 / 50,000,000 = 5 % exactly: at the percent threshold, but 2,500,000 > 2,000,000
        pytest.param(
            D("2500000"),
            PRICE_KR,
            D("900000"),
            BIG,
            KR_POLICY,
            ["Discount 2,500,000 exceeds dealer threshold 2,000,000"],
            id="dealer-amount-threshold-percent-equal",
        ),
        pytest.param(D("2000000"), D("40000000"), D("500000"), BIG, KR_POLICY, [], id="all-dealer-limits-equal"),
        # everything at once: 3,100,000 > 1,000,000; 6.2 % > 3 %; > 2,000,000; 6.2 % > 5 %; 120,000 < 500,000
        pytest.param(
            D("3100000"),
            PRICE_KR,
            D("120000"),
            BOTH,
            KR_POLICY,
            [
                "Discount 3,100,000 exceeds your authority of 1,000,000",
                "Discount 6.2% exceeds your authority of 3%",
                "Discount 3,100,000 exceeds dealer threshold 2,000,000",
                "Discount 6.2% exceeds dealer threshold 5%",
                "Gross 120,000 is below the floor 500,000",
            ],
            id="every-rule-breached",
        ),
        pytest.param(
            D("1"),
            PRICE_KR,
            None,
            NONE,
            KR_OPEN,
            ["Discount 1 needs approval: you have no discount authority"],
            id="no-authority-any-discount",
        ),
        pytest.param(D("0"), PRICE_KR, None, NONE, KR_OPEN, [], id="no-authority-no-discount"),
        pytest.param(
            D("0"),
            D("30000.00"),
            D("120.00"),
            BIG,
            CA_FLOOR,
            ["Gross 120.00 is below the floor 500.00"],
            id="gross-below-floor",
        ),
        pytest.param(D("0"), D("30000.00"), D("500.00"), BIG, CA_FLOOR, [], id="gross-at-floor"),
        pytest.param(
            D("0"),
            D("30000.00"),
            D("-250.00"),
            BIG,
            CA_FLOOR,
            ["Gross -250.00 is below the floor 500.00"],
            id="gross-negative",
        ),
        pytest.param(
            D("0"),
            D("30000.00"),
            D("499.999"),
            BIG,
            CA_FLOOR,
            ["Gross 499.999 is below the floor 500.000"],
            id="gross-just-below-floor-shown-with-more-decimals",
        ),
        pytest.param(
            D("0"),
            D("30000.00"),
            None,
            BIG,
            CA_FLOOR,
            ["Gross is unknown, so the floor 500.00 cannot be checked"],
            id="gross-unknown-fails-closed",
        ),
        # 999.00 / 30,000.00 × 100 = 3.33 % exactly: at the 3.33 % threshold
        pytest.param(D("999.00"), D("30000.00"), None, BIG, CA_PERCENT, [], id="percent-threshold-equality"),
        # 999.01 / 30,000 × 100 = 3.3300333… %: shown as 3.33003 (first width at which it differs from 3.33)
        pytest.param(
            D("999.01"),
            D("30000.00"),
            None,
            BIG,
            CA_PERCENT,
            ["Discount 3.33003% exceeds dealer threshold 3.33%"],
            id="percent-threshold-just-over",
        ),
    ],
)
def test_approval_check(discount, price, gross, authority, policy, expected_reasons):
    result = approval_check(discount, price, gross, authority, policy)
    assert list(result.reasons) == expected_reasons
    assert result.needs_approval is bool(expected_reasons)
    assert [b.message for b in result.breaches] == expected_reasons


def test_percent_is_compared_exactly_not_at_decimal_precision():
    # 1 / 3 × 100 = 33.333… % (infinite). At 28 significant digits Decimal would give
    # 33.33333333333333333333333333 — equal to this threshold, wrongly allowing the discount.
    threshold = D("33.33333333333333333333333333")
    assert D(1) / D(3) * 100 == threshold  # the trap a Decimal-division check would fall into
    result = approval_check(D("1"), D("3"), None, BIG, ApprovalPolicy("CAD", threshold_percent=threshold))
    assert [b.kind for b in result.breaches] == [K.THRESHOLD_PERCENT]


def test_breaches_carry_kind_and_values():
    result = approval_check(D("3100000"), PRICE_KR, D("120000"), BOTH, KR_POLICY)
    assert [(b.kind, b.actual, b.limit) for b in result.breaches] == [
        (K.AUTHORITY_AMOUNT, D("3100000"), D("1000000")),
        (K.AUTHORITY_PERCENT, D("6.2"), D("3")),
        (K.THRESHOLD_AMOUNT, D("3100000"), D("2000000")),
        (K.THRESHOLD_PERCENT, D("6.2"), D("5")),
        (K.GROSS_BELOW_FLOOR, D("120000"), D("500000")),
    ]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (KR_POLICY, (ApproverRole.DEALER_PRINCIPAL, ApproverRole.SALES_MANAGER)),
        (CA_FLOOR, (ApproverRole.SALES_MANAGER,)),
        (ApprovalPolicy("KRW", approver_roles=["dealer_principal"]), (ApproverRole.DEALER_PRINCIPAL,)),
    ],
)
def test_approver_roles_only_when_needed(policy, expected):
    needed = approval_check(D("10"), D("100"), None, NONE, policy)
    assert needed.approver_roles == expected
    if policy.minimum_gross is None:
        not_needed = approval_check(D("0"), D("100"), None, NONE, policy)
        assert not_needed.needs_approval is False
        assert not_needed.approver_roles == ()


def test_no_authority_property():
    assert NONE.has_authority is False
    assert AMOUNT_ONLY.has_authority is True
    assert DiscountAuthority(max_percent=D("0")).has_authority is True


def test_zero_authority_differs_from_no_authority_only_in_the_message():
    zero = approval_check(D("1"), PRICE_KR, None, DiscountAuthority(max_amount=D("0")), KR_OPEN)
    assert zero.reasons == ("Discount 1 exceeds your authority of 0",)


@pytest.mark.parametrize(
    ("build", "field", "fragment"),
    [
        (lambda: DiscountAuthority(max_amount=D("-1")), "max_amount", "Authority amount must not be negative"),
        (lambda: DiscountAuthority(max_percent=D("100.01")), "max_percent", "at most 100 percent"),
        (lambda: DiscountAuthority(max_amount=1.5), "max_amount", "must be a number"),
        (lambda: ApprovalPolicy("krw"), "currency", "ISO 4217"),
        (lambda: ApprovalPolicy("KRW", threshold_percent=D("-1")), "threshold_percent", "must not be negative"),
        (lambda: ApprovalPolicy("KRW", threshold_amount=D("1000.5")), "threshold_amount", "more decimals than KRW"),
        (lambda: ApprovalPolicy("CAD", minimum_gross=D("1.001")), "minimum_gross", "more decimals than CAD"),
        (lambda: ApprovalPolicy("KRW", approver_roles=frozenset()), "approver_roles", "At least one approver role"),
        (lambda: ApprovalPolicy("KRW", approver_roles=["ceo"]), "approver_roles", "Unknown approver role 'ceo'"),
        (lambda: approval_check(D("-1"), PRICE_KR, None, BIG, KR_OPEN), "discount_total", "must not be negative"),
        (lambda: approval_check(D("1"), D("0"), None, BIG, KR_OPEN), "reference_price", "greater than 0"),
        (lambda: approval_check(0.5, PRICE_KR, None, BIG, KR_OPEN), "discount_total", "must be a number"),
        (lambda: approval_check(D("1"), PRICE_KR, "abc", BIG, KR_OPEN), "gross", "must be a number"),
        (lambda: approval_check(D("1"), PRICE_KR, None, None, KR_OPEN), "consultant_authority", "DiscountAuthority"),
    ],
)
def test_invalid_input(build, field, fragment):
    with pytest.raises(ApprovalError) as info:
        build()
    assert info.value.field == field
    assert fragment in str(info.value)


# --- unknown cost: the dealer's rule (issue 11) -----------------------------------------------------

CA_FLOOR_AUTHORITY_ONLY = ApprovalPolicy("CAD", threshold_amount=D("1500.00"), minimum_gross=D("250.00"),
                                         unknown_cost=UnknownCostRule.AUTHORITY_ONLY)
CA_FLOOR_REQUIRE = ApprovalPolicy("CAD", threshold_amount=D("1500.00"), minimum_gross=D("250.00"))
CONSULTANT_CA = DiscountAuthority(max_amount=D("1000.00"))


@pytest.mark.parametrize(
    ("discount", "gross", "policy", "kinds", "rule"),
    [
        # Full price, cost unknown: the default fails closed (the Toronto demo's complaint)…
        pytest.param(D("0"), None, CA_FLOOR_REQUIRE, [K.GROSS_UNKNOWN], UnknownCostRule.REQUIRE_APPROVAL,
                     id="require-approval-at-full-price"),
        # …the dealer's other choice lets it through when the discount is within authority.
        pytest.param(D("0"), None, CA_FLOOR_AUTHORITY_ONLY, [], UnknownCostRule.AUTHORITY_ONLY,
                     id="authority-only-at-full-price"),
        pytest.param(D("1000.00"), None, CA_FLOOR_AUTHORITY_ONLY, [], UnknownCostRule.AUTHORITY_ONLY,
                     id="authority-only-at-the-authority-limit"),
        # Authority and dealer thresholds still apply with authority_only.
        pytest.param(D("1000.01"), None, CA_FLOOR_AUTHORITY_ONLY, [K.AUTHORITY_AMOUNT], UnknownCostRule.AUTHORITY_ONLY,
                     id="authority-only-still-checks-authority"),
        pytest.param(D("1600.00"), None, CA_FLOOR_AUTHORITY_ONLY, [K.AUTHORITY_AMOUNT, K.THRESHOLD_AMOUNT],
                     UnknownCostRule.AUTHORITY_ONLY, id="authority-only-still-checks-thresholds"),
        # A known gross: the floor is checked whatever the rule, and no cost rule is reported.
        pytest.param(D("0"), D("249.99"), CA_FLOOR_AUTHORITY_ONLY, [K.GROSS_BELOW_FLOOR], None,
                     id="known-gross-below-floor-ignores-rule"),
        pytest.param(D("0"), D("250.00"), CA_FLOOR_REQUIRE, [], None, id="known-gross-at-floor"),
        # No floor set: nothing about gross is checked, no rule applies.
        pytest.param(D("0"), None, ApprovalPolicy("CAD", unknown_cost="authority_only"), [], None, id="no-floor"),
    ],
)
def test_unknown_cost_rule(discount, gross, policy, kinds, rule):
    result = approval_check(discount, D("17995.00"), gross, CONSULTANT_CA, policy)
    assert [b.kind for b in result.breaches] == kinds
    assert result.cost_rule is rule
    assert result.needs_approval is bool(kinds)


def test_unknown_cost_rule_defaults_to_require_approval_and_refuses_unknown_values():
    assert ApprovalPolicy("CAD").unknown_cost is UnknownCostRule.REQUIRE_APPROVAL
    assert ApprovalPolicy("CAD", unknown_cost="authority_only").unknown_cost is UnknownCostRule.AUTHORITY_ONLY
    with pytest.raises(ApprovalError) as info:
        ApprovalPolicy("CAD", unknown_cost="ignore")
    assert info.value.field == "unknown_cost" and "Unknown cost rule 'ignore'" in str(info.value)


# --- properties -------------------------------------------------------------------------------

prices = st.integers(min_value=1, max_value=10**10).map(lambda c: Decimal(c).scaleb(-2))
percents = st.integers(min_value=0, max_value=10000).map(lambda p: Decimal(p).scaleb(-2))


@given(price=prices, percent=percents)
def test_discount_exactly_at_percent_limit_is_allowed(price, percent):
    discount = price * percent / 100  # exact: a product of finite decimals fits in 28 digits here
    policy = ApprovalPolicy("CAD", threshold_percent=percent)
    result = approval_check(discount, price, None, DiscountAuthority(max_percent=percent), policy)
    assert result.needs_approval is False


@given(price=prices, discount=prices, smaller=st.integers(min_value=0, max_value=100), limit=percents)
def test_smaller_discount_never_needs_more_approval(price, discount, smaller, limit):
    policy = ApprovalPolicy("CAD", threshold_amount=D("500.00"), threshold_percent=limit)
    authority = DiscountAuthority(max_amount=D("300.00"), max_percent=limit)
    big = approval_check(discount, price, None, authority, policy)
    small = approval_check(discount * smaller / 100, price, None, authority, policy)
    assert len(small.breaches) <= len(big.breaches)
    assert big.needs_approval or not small.needs_approval
    for result in (big, small):
        assert result.needs_approval is bool(result.reasons)
        assert bool(result.approver_roles) is result.needs_approval
