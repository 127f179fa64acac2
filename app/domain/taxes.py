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

Rounding, per market (``TaxRounding``, chosen from the dealer's country by ``tax_rounding_for``):

* ``per_total`` (Korea, Thailand, Ontario): each tax is computed at full precision on its whole base
  and rounded **once**, half-up, to the currency's minor unit (``money.round_money``). These markets
  print the tax once, on the total ("of which VAT"), and no net per line, so there is nothing to
  disagree with.
* ``per_line`` (EU member states, e.g. Germany, UStG s. 14(4) no. 8: net, rate and VAT amount per
  rate; VAT invoices print them per line): each priced line is taxed on its own amount and rounded
  there — included tax ``VAT_line = round(gross_line × rate / (100 + rate))``,
  ``net_line = gross_line − VAT_line``; added tax ``tax_line = round(net_line × rate / 100)``. The
  tax line's amount is the **sum of the rounded line taxes**, never re-rounded, so the printed line
  nets add up to the printed net subtotal and ``net + VAT = gross`` holds on every line and in total.
  Example: three lines of 10.00 EUR with 19 % VAT included: each 10 × 19 / 119 = 1.596… → 1.60,
  net 8.40; totals 30.00 = 25.20 + 4.80 (one rounding on the sum would print 4.79 and a net of
  25.21 that the three 8.40 lines do not add up to). ``FeeTaxResult.line_taxes`` holds the lines.

Totals are always sums of rounded lines, never re-rounded. Taxes do not compound (no tax on tax)
and each tax is computed on its own base. A trade-in credit reduces a tax's *whole* base, which
has no per-line meaning, so a ``per_line`` table refuses taxes with ``trade_in_credit``.

Only one *included* tax may cover a given base: with two, ``rate / (100 + rate)`` would no longer
extract the right share, so such a table is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

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


class TaxRounding(StrEnum):
    """Where a market rounds its taxes: once on each tax's whole base, or on every priced line."""

    PER_TOTAL = "per_total"
    PER_LINE = "per_line"


#: EU member states (ISO 3166-1 alpha-2): VAT invoices print net, rate and VAT per line
#: (Council Directive 2006/112/EC art. 226), so they round per line.
EU_COUNTRIES: frozenset[str] = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


def tax_rounding_for(country: str | None) -> TaxRounding:
    """Return the tax rounding of a market from its ISO 3166-1 alpha-2 country code (case-insensitive).

    EU member states round per line (``TaxRounding.PER_LINE``); every other market (Korea,
    Thailand, Canada, unknown or empty) rounds once per tax on its total (``PER_TOTAL``).
    """
    return TaxRounding.PER_LINE if (country or "").strip().upper() in EU_COUNTRIES else TaxRounding.PER_TOTAL


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
    ``FeeRule`` / ``TaxRule``; ``rounding`` is the market's ``TaxRounding`` (see the module
    docstring). Raises ``FeeTaxError`` for an unknown currency (field ``currency``), a
    fee with more decimals than the currency allows (``amount``), a code used twice across fees and
    taxes (``code``), two included taxes covering the same base (``bases``), an unknown rounding or
    a trade-in credit in a per-line table (``rounding``).
    """

    currency: str
    fees: tuple[FeeRule, ...] = ()
    taxes: tuple[TaxRule, ...] = ()
    rounding: TaxRounding = TaxRounding.PER_TOTAL

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
        try:
            rounding = TaxRounding(self.rounding)
        except ValueError as exc:
            raise FeeTaxError(f"Unknown tax rounding {self.rounding!r}", "rounding") from exc
        if rounding is TaxRounding.PER_LINE:
            for tax in taxes:
                if tax.trade_in_credit:
                    raise FeeTaxError(
                        f"Tax {tax.code!r} has a trade-in credit, which per-line rounding cannot apply", "rounding"
                    )
        object.__setattr__(self, "fees", fees)
        object.__setattr__(self, "taxes", taxes)
        object.__setattr__(self, "rounding", rounding)


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
class TaxableLine:
    """One priced line handed to ``apply_fee_tax_table`` for per-line rounding.

    ``line_id`` names it (``"vehicle"``, ``"opt:SUNRF"``); ``base`` is one of ``AMOUNT_BASES``;
    ``amount`` its price after discounts (tax-inclusive in VAT markets), at the currency's minor unit.
    """

    line_id: str
    base: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LineTax:
    """The taxes of one priced line under per-line rounding, in the table's currency.

    ``amount`` is the line's price as charged (after discounts; tax-inclusive when a tax is
    included); ``included_tax`` and ``added_tax`` are the sums of that line's rounded taxes.
    ``net = amount − included_tax``, ``tax = included_tax + added_tax``, ``gross = amount +
    added_tax``, so ``net + tax == gross``. Fee lines have ``line_id`` ``"fee:<code>"``.
    """

    line_id: str
    amount: Decimal
    included_tax: Decimal
    added_tax: Decimal

    @property
    def net(self) -> Decimal:
        """Return the line's amount without any tax."""
        return self.amount - self.included_tax

    @property
    def tax(self) -> Decimal:
        """Return the line's taxes, included and added."""
        return self.included_tax + self.added_tax

    @property
    def gross(self) -> Decimal:
        """Return the line's amount with every tax (what the customer pays for it)."""
        return self.amount + self.added_tax


@dataclass(frozen=True, slots=True)
class FeeTaxResult:
    """Fee and tax lines of an offer, with totals, all in ``currency``.

    ``net_amount`` is vehicle + options + accessories as passed in (after discounts; tax-inclusive in
    VAT markets). ``total`` = ``net_amount + total_fees + total_added_tax``: included taxes are
    already inside the prices and are reported in ``total_included_tax`` only. The trade-in allowance
    is **not** deducted from ``total`` (it only changes tax bases here); the deal subtracts it.
    ``rounding`` is the table's; ``line_taxes`` (per-line rounding only, else empty) has one
    ``LineTax`` per priced line then per fee, whose sums are the tax lines' amounts.
    """

    currency: str
    fee_lines: tuple[FeeLine, ...]
    tax_lines: tuple[TaxLine, ...]
    net_amount: Decimal
    total_fees: Decimal
    total_added_tax: Decimal
    total_included_tax: Decimal
    total: Decimal
    rounding: TaxRounding = TaxRounding.PER_TOTAL
    line_taxes: tuple[LineTax, ...] = ()


def apply_fee_tax_table(
    table: FeeTaxTable,
    amounts_by_base: Mapping[str, Decimal | int | str],
    trade_in_allowance: Decimal | int | str = ZERO,
    lines: Sequence[TaxableLine] | None = None,
) -> FeeTaxResult:
    """Compute an offer's fee lines, tax lines and total from the dealer's fee and tax table.

    ``amounts_by_base`` maps ``"vehicle"``, ``"options"``, ``"accessories"`` (missing keys count as
    0) to non-negative amounts after discounts, already rounded to the currency's minor unit.
    ``trade_in_allowance`` is a non-negative amount; it reduces the base of taxes with
    ``trade_in_credit`` (floored at 0) and is otherwise ignored.

    Each tax line: ``B × rate / 100`` (added) or ``B × rate / (100 + rate)`` (included), rounded once
    half-up to the currency minor unit (``per_total``), or the sum of that formula rounded on each
    line (``per_line``: ``lines``, then each fee). ``total = net + fees + added taxes``.

    ``lines`` (per-line rounding): the priced lines making up ``amounts_by_base``; None → one line
    per base with a non-zero amount, named after the base. Ignored under per-total rounding.

    Raises ``FeeTaxError`` (field ``amounts_by_base``, ``trade_in_allowance`` or ``lines``) for an
    unknown or ``"fees"`` key, a negative or non-numeric amount (floats included), an amount with
    more decimals than the currency allows, or lines that do not add up to ``amounts_by_base``.
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

    per_line = table.rounding is TaxRounding.PER_LINE
    priced = _priced_lines(amounts, currency, lines, fee_lines) if per_line else ()
    line_included = dict.fromkeys((line.line_id for line in priced), round_money(ZERO, currency))
    line_added = dict(line_included)
    tax_lines: list[TaxLine] = []
    for tax in table.taxes:
        gross_base = sum((amounts[b] for b in sorted(tax.bases)), ZERO)
        credit = min(trade_in, gross_base) if tax.trade_in_credit else ZERO
        base = gross_base - credit
        divisor = HUNDRED + tax.rate if tax.included_in_price else HUNDRED
        if per_line:
            amount = ZERO
            for line in priced:
                if line.base not in tax.bases:
                    continue
                line_tax = round_money(line.amount * tax.rate / divisor, currency)
                (line_included if tax.included_in_price else line_added)[line.line_id] += line_tax
                amount += line_tax
            amount = round_money(amount, currency)  # the exponent only: a sum of rounded lines is exact
        else:
            amount = round_money(base * tax.rate / divisor, currency)
        tax_lines.append(TaxLine(tax.code, tax.name, base, tax.rate, amount, tax.included_in_price, credit))
    line_taxes = tuple(
        LineTax(line.line_id, line.amount, line_included[line.line_id], line_added[line.line_id]) for line in priced
    )

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
        rounding=table.rounding,
        line_taxes=line_taxes,
    )


def _priced_lines(
    amounts: Mapping[str, Decimal],
    currency: str,
    lines: Sequence[TaxableLine] | None,
    fee_lines: Sequence[FeeLine],
) -> tuple[TaxableLine, ...]:
    """Return the lines to tax one by one: the item lines (checked against ``amounts``), then the fees.

    A fee's base is ``"fees"`` when taxable, ``""`` (no tax applies) otherwise.
    """
    if lines is None:
        items = [TaxableLine(base, base, amounts[base]) for base in AMOUNT_BASES if amounts[base]]
    else:
        items = []
        sums = dict.fromkeys(AMOUNT_BASES, ZERO)
        for line in lines:
            if line.base not in sums:
                raise FeeTaxError(f"Line {line.line_id!r} has unknown base {line.base!r}", "lines")
            amount = _decimal(line.amount, f"Amount of line {line.line_id!r}", "lines")
            if amount < ZERO:
                raise FeeTaxError(f"Amount of line {line.line_id!r} must not be negative (got {amount})", "lines")
            amount = _at_minor_units(amount, currency, f"Amount of line {line.line_id!r}", "lines")
            sums[line.base] += amount
            items.append(TaxableLine(line.line_id, line.base, amount))
        for base in AMOUNT_BASES:
            if sums[base] != amounts[base]:
                raise FeeTaxError(
                    f"Lines of base {base!r} add up to {sums[base]}, not to its amount {amounts[base]}", "lines"
                )
    fees = [TaxableLine(f"fee:{f.code}", FEES if f.taxable else "", f.amount) for f in fee_lines]
    return (*items, *fees)
