"""Sales contract rules that need no database: the content hash, the signature name check, the payment split.

* ``content_hash``: SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) — the same
  canonical form as the offer revision's hash, so the same content always gives the same hash.
* ``names_match``: the customer signs by typing their full name; it must be the name on the
  contract, compared after Unicode NFKC normalisation, case folding and collapsing whitespace
  (so "kim  MINJUN" matches "Kim Minjun", "김민준" matches "김민준", but "Kim" does not).
* ``payment_split``: how the out-the-door price is paid as agreed in the contract —
  deposit + amount financed + trade-in equity + balance at delivery = out-the-door price
  (``domain.deal_settlement``); the balance is the remainder, so the split always closes.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.domain.money import quantum


def content_hash(content: dict[str, Any]) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of ``content``."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def normalize_name(name: str) -> str:
    """Return ``name`` in the form signatures are compared in (NFKC, case-folded, single spaces)."""
    return " ".join(unicodedata.normalize("NFKC", name or "").casefold().split())


def names_match(typed: str, expected: str) -> bool:
    """Return True when the typed signature ``typed`` is the contract's customer name ``expected``."""
    typed_n = normalize_name(typed)
    return bool(typed_n) and typed_n == normalize_name(expected)


@dataclass(frozen=True, slots=True)
class PaymentSplit:
    """The agreed payment of a contract (``Decimal`` in ``currency``, rounded to its minor unit).

    ``balance`` = out_the_door_price − deposit − amount_financed − trade_in_equity: what the
    customer pays at or before delivery (negative: the dealer owes the customer).
    """

    currency: str
    out_the_door_price: Decimal
    deposit: Decimal
    amount_financed: Decimal
    trade_in_equity: Decimal

    @property
    def balance(self) -> Decimal:
        """Return the balance paid at delivery (the remainder)."""
        return self.out_the_door_price - self.deposit - self.amount_financed - self.trade_in_equity

    def as_strings(self) -> dict[str, str]:
        """Return every figure as an exact Decimal string at the currency's minor unit (for frozen JSON)."""
        unit = quantum(self.currency)
        figures = {
            "out_the_door_price": self.out_the_door_price,
            "deposit": self.deposit,
            "amount_financed": self.amount_financed,
            "trade_in_equity": self.trade_in_equity,
            "balance": self.balance,
        }
        return {key: str(value.quantize(unit)) for key, value in figures.items()}


def payment_split(
    *, currency: str, out_the_door_price: Decimal, deposit: Decimal, amount_financed: Decimal, trade_in_equity: Decimal
) -> PaymentSplit:
    """Return the ``PaymentSplit``; raises ``ValueError`` for a float or a negative deposit or amount financed."""
    for name, value in (("out-the-door price", out_the_door_price), ("deposit", deposit),
                        ("amount financed", amount_financed), ("trade-in equity", trade_in_equity)):
        if not isinstance(value, Decimal):
            raise ValueError(f"The {name} must be a Decimal")
    if deposit < 0 or amount_financed < 0:
        raise ValueError("A deposit or amount financed cannot be negative")
    return PaymentSplit(currency, out_the_door_price, deposit, amount_financed, trade_in_equity)
