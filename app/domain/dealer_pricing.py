"""A dealer's own selling price for a trim, within the brand's range.

Rule (issue 4, "vehicle display"): the brand may let dealers price a trim themselves between a
corporate minimum and maximum (``dealer_price_min`` / ``dealer_price_max`` of the published trim).
When it does not (both bounds None), the dealer sells at MSRP. A bound left None is open on that
side, but a price is always above zero. A stored dealer price that the current release no longer
allows (pricing withdrawn, or the range moved past it) is ignored: MSRP applies until the dealer
sets a new one, so a corporate change never leaves a car advertised outside the brand's range.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class PriceProblem(StrEnum):
    """Why a dealer price is refused."""

    NOT_ALLOWED = "not_allowed"
    NOT_POSITIVE = "not_positive"
    BELOW_MIN = "below_min"
    ABOVE_MAX = "above_max"


@dataclass(frozen=True, slots=True)
class PriceRange:
    """The brand's dealer-pricing range of one trim; both None = no dealer pricing."""

    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def allows_dealer_pricing(self) -> bool:
        """Return True when the brand lets dealers set this trim's price."""
        return self.low is not None or self.high is not None


def price_problem(price: Decimal, allowed: PriceRange) -> PriceProblem | None:
    """Return why ``price`` may not be the dealer's selling price within ``allowed``, or None when it may.

    Bounds are inclusive: a price equal to the minimum or maximum is accepted.
    """
    if not allowed.allows_dealer_pricing:
        return PriceProblem.NOT_ALLOWED
    if price <= 0:
        return PriceProblem.NOT_POSITIVE
    if allowed.low is not None and price < allowed.low:
        return PriceProblem.BELOW_MIN
    if allowed.high is not None and price > allowed.high:
        return PriceProblem.ABOVE_MAX
    return None


def effective_price(msrp: Decimal, allowed: PriceRange, dealer_price: Decimal | None) -> tuple[Decimal, bool]:
    """Return ``(price shown to customers, True when it is the dealer's own price)``.

    The dealer's price applies only while ``price_problem`` accepts it; otherwise MSRP.
    """
    if dealer_price is not None and price_problem(dealer_price, allowed) is None:
        return dealer_price, True
    return msrp, False
