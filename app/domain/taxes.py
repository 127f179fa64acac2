"""A dealer's fee and tax table, and how it turns an offer's amounts into fee and tax lines.

Markets this models (rates are data in the dealer's table, not code):

* Korea: 10 % VAT (부가가치세) **included** in every price (Value-Added Tax Act art. 30).
* Thailand: 7 % VAT **included** in every price (Revenue Code s. 80, reduced rate by Royal Decree).
* Ontario, Canada: 13 % HST **added** on top of the price; a consumer's trade-in allowance reduces
  the taxable amount (Excise Tax Act (Canada) s. 153(4); HST is levied under that Act, both parts).

Formulas, per tax line, on the taxable base ``B`` (the sum of the amounts of the tax's bases, less
the trade-in allowance when the tax grants a trade-in credit, floored at 0):

* added tax (sales tax):  ``tax = B × rate / 100``
* included tax (VAT):     ``tax = B × rate / (100 + rate)`` — the tax already inside a
  tax-inclusive price, e.g. 47,000,000 KRW × 10 / 110 = 4,272,727.27… → 4,272,727.

Rounding: each tax line is computed at full precision and rounded **once**, half-up, to the
currency's minor unit (``money.round_money``); totals are sums of rounded lines, never re-rounded.
Taxes do not compound (no tax on tax) and each tax is computed on its own base.

Only one *included* tax may cover a given base: with two, ``rate / (100 + rate)`` would no longer
extract the right share, so such a table is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.domain.money import ZERO, MoneyError, minor_units, quantum, round_money, to_decimal

HUNDRED = Decimal(100)

VEHICLE = "vehicle"
OPTIONS = "options"
ACCESSORIES = "accessories"
FEES = "fees"

#: The bases a tax can apply to. ``fees`` means the *taxable* fees of the table.
TAX_BASES: frozenset[str] = frozenset({VEHICLE, OPTIONS, ACCESSORIES, FEES})

#: The amounts a caller passes in (fees come from the table itself).
AMOUNT_BASES: tuple[str, ...] = (VEHICLE, OPTIONS, ACCESSORIES)


class FeeTaxError(ValueError):
    """Raised for an invalid fee or tax rule, fee and tax table, or input amount.

    ``field`` names the offending field (``"amount"``, ``"rate"``, ``"bases"``, ``"code"``,
    ``"currency"``, ``"amounts_by_base"``, ``"trade_in_allowance"``) so a form can attach the message.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _decimal(value: Decimal | int | str, what: str, field_name: str) -> Decimal:
    """Return ``value`` as a finite Decimal or raise ``FeeTaxError`` naming ``what``."""
    try:
        return to_decimal(value)
    except (TypeError, MoneyError) as exc:
        raise FeeTaxError(f"{what} must be a number (Decimal, int or string): {value!r}", field_name) from exc


def _at_minor_units(amount: Decimal, currency: str, what: str, field_name: str) -> Decimal:
    """Return ``amount`` at the currency's exponent (30000 CAD → 30000.00); raise if it has more decimals."""
    exact = amount.quantize(quantum(currency))
    if amount != exact:
        raise FeeTaxError(
            f"{what} {amount} has more decimals than {currency} allows ({minor_units(currency)})", field_name
        )
    return exact


def _check_code(code: str, kind: str) -> None:
    if not isinstance(code, str) or not code.strip():
        raise FeeTaxError(f"{kind} code must not be empty", "code")


@dataclass(frozen=True, slots=True)
class FeeRule:
    """Declare one fee the dealer charges on every deal (documentation fee, registration, delivery prep).

    ``amount`` is a non-negative Decimal in the table's currency; ``taxable`` says whether the fee is
    part of the ``"fees"`` base of the taxes that list it. Raises ``FeeTaxError`` (field ``code`` or
    ``amount``) for an empty code or a negative or non-numeric amount.
    """

    code: str
    name: str
    amount: Decimal
    taxable: bool = True

    def __post_init__(self) -> None:
        _check_code(self.code, "Fee")
        amount = _decimal(self.amount, f"Fee {self.code!r} amount", "amount")
        if amount < ZERO:
            raise FeeTaxError(f"Fee {self.code!r} amount must not be negative (got {amount})", "amount")
        object.__setattr__(self, "amount", amount)


@dataclass(frozen=True, slots=True)
class TaxRule:
    """Declare one tax: its rate, the bases it applies to, included vs added, and trade-in credit.

    ``rate`` is a percent in [0, 100] (``Decimal("13")`` for 13 % HST). ``bases`` is a non-empty
    subset of ``TAX_BASES``. ``included_in_price`` is True for VAT markets (prices already contain the
    tax, which is extracted as ``base × rate / (100 + rate)``) and False for sales-tax markets (the tax,
    ``base × rate / 100``, is added). ``trade_in_credit`` makes the trade-in allowance reduce this tax's
    base (never below 0). Raises ``FeeTaxError`` (field ``code``, ``rate`` or ``bases``).
    """

    code: str
    name: str
    rate: Decimal
    bases: frozenset[str]
    included_in_price: bool
    trade_in_credit: bool = False

    def __post_init__(self) -> None:
        _check_code(self.code, "Tax")
        rate = _decimal(self.rate, f"Tax {self.code!r} rate", "rate")
        if not ZERO <= rate <= HUNDRED:
            raise FeeTaxError(f"Tax {self.code!r} rate must be between 0 and 100 percent (got {rate})", "rate")
        object.__setattr__(self, "rate", rate)
        if isinstance(self.bases, str):
            # frozenset("vehicle") would silently become a set of letters.
            raise FeeTaxError(f"Tax {self.code!r} bases must be a set of base names, not a string", "bases")
        bases = frozenset(self.bases)
        if not bases:
            raise FeeTaxError(f"Tax {self.code!r} bases must name at least one of {_allowed_bases()}", "bases")
        unknown = sorted(str(b) for b in bases - TAX_BASES)
        if unknown:
            raise FeeTaxError(
                f"Tax {self.code!r} bases: unknown base {', '.join(map(repr, unknown))} (allowed: {_allowed_bases()})",
                "bases",
            )
        object.__setattr__(self, "bases", bases)


def _allowed_bases() -> str:
    return ", ".join(sorted(TAX_BASES))


@dataclass(frozen=True, slots=True)
class FeeTaxTable:
    """Hold a dealer's fees and taxes in one currency, validated on construction.

    ``currency`` is an ISO 4217 code; ``fees`` and ``taxes`` are sequences (stored as tuples) of
    ``FeeRule`` / ``TaxRule``. Raises ``FeeTaxError`` for an unknown currency (field ``currency``), a
    fee with more decimals than the currency allows (``amount``), a code used twice across fees and
    taxes (``code``), or two included taxes covering the same base (``bases``).
    """

    currency: str
    fees: tuple[FeeRule, ...] = ()
    taxes: tuple[TaxRule, ...] = ()

    def __post_init__(self) -> None:
        try:
            minor_units(self.currency)
        except MoneyError as exc:
            raise FeeTaxError(str(exc), "currency") from exc
        fees = tuple(self.fees)
        taxes = tuple(self.taxes)
        for fee in fees:
            if not isinstance(fee, FeeRule):
                raise FeeTaxError(f"Fees must be FeeRule values, got {type(fee).__name__}", "fees")
            _at_minor_units(fee.amount, self.currency, f"Fee {fee.code!r} amount", "amount")
        for tax in taxes:
            if not isinstance(tax, TaxRule):
                raise FeeTaxError(f"Taxes must be TaxRule values, got {type(tax).__name__}", "taxes")
        # One namespace for fee and tax codes: they are printed side by side on the offer.
        seen: set[str] = set()
        for code in [f.code for f in fees] + [t.code for t in taxes]:
            if code in seen:
                raise FeeTaxError(f"Duplicate code {code!r} in the fee and tax table", "code")
            seen.add(code)
        included_by_base: dict[str, str] = {}
        for tax in taxes:
            if not tax.included_in_price:
                continue
            for base in sorted(tax.bases):
                other = included_by_base.setdefault(base, tax.code)
                if other != tax.code:
                    raise FeeTaxError(
                        f"Included taxes {other!r} and {tax.code!r} both cover base {base!r}; "
                        "only one included tax per base is supported",
                        "bases",
                    )
        object.__setattr__(self, "fees", fees)
        object.__setattr__(self, "taxes", taxes)


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One fee on an offer: ``code``, ``name``, ``amount`` (Decimal, currency minor units), ``taxable``."""

    code: str
    name: str
    amount: Decimal
    taxable: bool


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One tax on an offer.

    ``base_amount`` is the taxable base after any trade-in credit (tax-inclusive for an included
    tax); ``rate`` is the percent; ``amount`` is the tax rounded once half-up to the minor unit;
    ``included`` is True when the tax is inside the prices (informational, not added to the total);
    ``trade_in_credit`` is the part of the trade-in allowance actually used against this base.
    """

    code: str
    name: str
    base_amount: Decimal
    rate: Decimal
    amount: Decimal
    included: bool
    trade_in_credit: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class FeeTaxResult:
    """Fee and tax lines of an offer, with totals, all in ``currency``.

    ``net_amount`` is vehicle + options + accessories as passed in (after discounts; tax-inclusive in
    VAT markets). ``total`` = ``net_amount + total_fees + total_added_tax``: included taxes are
    already inside the prices and are reported in ``total_included_tax`` only. The trade-in allowance
    is **not** deducted from ``total`` (it only changes tax bases here); the deal subtracts it.
    """

    currency: str
    fee_lines: tuple[FeeLine, ...]
    tax_lines: tuple[TaxLine, ...]
    net_amount: Decimal
    total_fees: Decimal
    total_added_tax: Decimal
    total_included_tax: Decimal
    total: Decimal


def apply_fee_tax_table(
    table: FeeTaxTable,
    amounts_by_base: Mapping[str, Decimal | int | str],
    trade_in_allowance: Decimal | int | str = ZERO,
) -> FeeTaxResult:
    """Compute an offer's fee lines, tax lines and total from the dealer's fee and tax table.

    ``amounts_by_base`` maps ``"vehicle"``, ``"options"``, ``"accessories"`` (missing keys count as
    0) to non-negative amounts after discounts, already rounded to the currency's minor unit.
    ``trade_in_allowance`` is a non-negative amount; it reduces the base of taxes with
    ``trade_in_credit`` (floored at 0) and is otherwise ignored.

    Each tax line: ``B × rate / 100`` (added) or ``B × rate / (100 + rate)`` (included), rounded once
    half-up to the currency minor unit. ``total = net + fees + added taxes``.

    Raises ``FeeTaxError`` (field ``amounts_by_base`` or ``trade_in_allowance``) for an unknown or
    ``"fees"`` key, a negative or non-numeric amount (floats included), or an amount with more
    decimals than the currency allows.
    """
    currency = table.currency
    amounts: dict[str, Decimal] = dict.fromkeys(AMOUNT_BASES, ZERO)
    for base, raw in amounts_by_base.items():
        if base == FEES:
            raise FeeTaxError("Do not pass 'fees' in amounts_by_base: fees come from the table", "amounts_by_base")
        if base not in amounts:
            raise FeeTaxError(
                f"Unknown base {base!r} in amounts_by_base (allowed: {', '.join(AMOUNT_BASES)})", "amounts_by_base"
            )
        amount = _decimal(raw, f"Amount for {base!r}", "amounts_by_base")
        if amount < ZERO:
            raise FeeTaxError(f"Amount for {base!r} must not be negative (got {amount})", "amounts_by_base")
        amounts[base] = _at_minor_units(amount, currency, f"Amount for {base!r}", "amounts_by_base")

    trade_in = _decimal(trade_in_allowance, "Trade-in allowance", "trade_in_allowance")
    if trade_in < ZERO:
        raise FeeTaxError(f"Trade-in allowance must not be negative (got {trade_in})", "trade_in_allowance")
    trade_in = _at_minor_units(trade_in, currency, "Trade-in allowance", "trade_in_allowance")

    fee_lines = tuple(
        FeeLine(f.code, f.name, _at_minor_units(f.amount, currency, f"Fee {f.code!r} amount", "amount"), f.taxable)
        for f in table.fees
    )
    total_fees = sum((f.amount for f in fee_lines), ZERO)
    amounts[FEES] = sum((f.amount for f in fee_lines if f.taxable), ZERO)

    tax_lines: list[TaxLine] = []
    for tax in table.taxes:
        gross_base = sum((amounts[b] for b in sorted(tax.bases)), ZERO)
        credit = min(trade_in, gross_base) if tax.trade_in_credit else ZERO
        base = gross_base - credit
        divisor = HUNDRED + tax.rate if tax.included_in_price else HUNDRED
        amount = round_money(base * tax.rate / divisor, currency)
        tax_lines.append(TaxLine(tax.code, tax.name, base, tax.rate, amount, tax.included_in_price, credit))

    net_amount = sum((amounts[b] for b in AMOUNT_BASES), ZERO)
    total_added = sum((t.amount for t in tax_lines if not t.included), ZERO)
    total_included = sum((t.amount for t in tax_lines if t.included), ZERO)
    return FeeTaxResult(
        currency=currency,
        fee_lines=fee_lines,
        tax_lines=tuple(tax_lines),
        net_amount=net_amount,
        total_fees=total_fees,
        total_added_tax=total_added,
        total_included_tax=total_included,
        total=net_amount + total_fees + total_added,
    )
