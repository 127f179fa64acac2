"""How a deal's out-the-door price is paid: deposit, amount financed, trade-in equity and the balance.

The reconciliation every deal must meet before handover (figures in the offer currency, each
already rounded to the currency's minor unit where it was computed — nothing is rounded here)::

    deposit paid + amount financed + trade-in equity + balance paid = out-the-door price

* ``amount financed`` is the lender's principal: for a loan it already contains negative trade-in
  equity rolled into it (``domain.pricing``), so a negative ``trade-in equity`` is subtracted here
  and the sum still closes.
* ``balance due`` is what the customer still owes at delivery: out-the-door − deposit − financed −
  equity. Negative means the dealer owes the customer money (e.g. a large trade-in).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.domain.money import ZERO


@dataclass(frozen=True, slots=True)
class Settlement:
    """The payment split of one deal (all ``Decimal`` in ``currency``).

    ``balance_due`` = out_the_door − deposit − financed − equity − balance_paid (still owed);
    ``balanced`` when that is exactly zero.
    """

    currency: str
    out_the_door_price: Decimal
    deposit_paid: Decimal
    amount_financed: Decimal
    trade_in_equity: Decimal
    balance_paid: Decimal

    @property
    def balance_due(self) -> Decimal:
        """Return what is still owed (negative: owed to the customer)."""
        return self.out_the_door_price - self.deposit_paid - self.amount_financed - self.trade_in_equity - self.balance_paid

    @property
    def balanced(self) -> bool:
        """Return True when the parts add up exactly to the out-the-door price."""
        return self.balance_due == ZERO


def settlement(
    *,
    currency: str,
    out_the_door_price: Decimal,
    deposit_paid: Decimal = ZERO,
    amount_financed: Decimal = ZERO,
    trade_in_equity: Decimal = ZERO,
    balance_paid: Decimal = ZERO,
) -> Settlement:
    """Return the ``Settlement``; raises ``ValueError`` for a negative deposit, principal or payment.

    Trade-in equity may be negative (payoff above allowance); the other parts never are.
    """
    for name, value in (("deposit", deposit_paid), ("amount financed", amount_financed), ("balance paid", balance_paid)):
        if not isinstance(value, Decimal):
            raise ValueError(f"The {name} must be a Decimal")
        if value < ZERO:
            raise ValueError(f"The {name} cannot be negative")
    return Settlement(currency, out_the_door_price, deposit_paid, amount_financed, trade_in_equity, balance_paid)
