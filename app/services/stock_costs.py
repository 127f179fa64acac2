"""Acquisition costs of stock cars, typed per car or pasted as a list (issue 11, item 1).

The cost is what the dealer paid for the car: internal (never on customer pages or API answers),
in the dealer's currency, and the base of the gross floor of the offer approval
(``app.domain.approval``; a car without a cost follows the dealer's ``UnknownCostRule``).

``change_cost`` sets or clears one car's cost; ``parse_cost_list`` + ``apply_cost_list`` take a
list of ``stock number or VIN, cost`` lines (CSV, an optional header row) and save it all or
nothing: every line is checked first and any bad line leaves every car as it was. Services only
flush; every change is audit-logged (``inventory.cost``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.domain.money import quantum
from app.imports.mapping import CanonicalField, match_header
from app.imports.values import ValueParseError, parse_price
from app.models.accounts import Dealer
from app.models.inventory import StockVehicle
from app.services import audit
from app.services.inventory_import import MAX_AMOUNT

#: Most lines one pasted list may hold (a large dealer's whole stock fits).
MAX_LINES = 5000


class CostError(ValueError):
    """A cost or a cost list that cannot be saved; ``line`` is the 1-based line of the list (None: a single cost).

    The message is a lazy translatable string (shown next to the field or the line).
    """

    def __init__(self, message, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class CostListError(ValueError):
    """A cost list with bad lines; ``errors`` holds one ``CostError`` per line, in line order. Nothing was saved."""

    def __init__(self, errors: list[CostError]) -> None:
        super().__init__("; ".join(str(e.message) for e in errors))
        self.errors = errors


def check_cost(cost: Decimal | None, dealer: Dealer) -> Decimal | None:
    """Return ``cost`` at the currency's decimals (None stays None = unknown).

    Raises ``CostError`` for 0 or less, more decimals than the currency has (KRW none, CAD two) or an
    amount beyond the money column.
    """
    if cost is None:
        return None
    if cost <= 0:
        raise CostError(_l("The cost must be more than 0 (leave it empty when it is not known)."))
    if cost != cost.quantize(quantum(dealer.currency)):
        raise CostError(_l("Too many decimals for %(currency)s.", currency=dealer.currency))
    if cost > MAX_AMOUNT:
        raise CostError(_l("The amount is too large."))
    return cost.quantize(quantum(dealer.currency))


def change_cost(session: Session, vehicle: StockVehicle, cost: Decimal | None, dealer: Dealer) -> bool:
    """Set ``vehicle``'s acquisition cost (None clears it: unknown); return False when unchanged.

    Validated by ``check_cost`` (raises ``CostError``); audit-logged; flush only.
    """
    cost = check_cost(cost, dealer)
    if vehicle.acquisition_cost == cost:
        return False
    audit.record(session, "inventory.cost", vehicle, before={"acquisition_cost": vehicle.acquisition_cost},
                 after={"acquisition_cost": cost})
    vehicle.acquisition_cost = cost
    session.flush()
    return True


@dataclass(frozen=True, slots=True)
class CostLine:
    """One line of a cost list: its 1-based ``line`` number, the vehicle ``key`` (stock number or VIN, upper-cased), the cost."""

    line: int
    key: str
    cost: Decimal


def parse_cost_list(text: str, dealer: Dealer) -> tuple[list[CostLine], list[CostError]]:
    """Read ``stock number or VIN, cost`` lines (comma, semicolon or tab separated; "15,500.00" works, quoted or not).

    A first row whose first cell names a stock number or VIN column (``Stock #,Cost``) is a header
    and skipped; blank lines are skipped. The cost is read like an import price in the dealer's
    currency (``$15,500.00``, ``CAD 15500``, ``2,590만원``). Returns the good lines and one
    ``CostError`` per bad line (no key, no cost, not a number, 0, too many decimals, a car twice).
    """
    errors: list[CostError] = []
    lines: list[CostLine] = []
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=_delimiter(text)))
    if len([r for r in rows if any(c.strip() for c in r)]) > MAX_LINES:
        return [], [CostError(_l("Enter at most %(count)d lines at a time.", count=MAX_LINES))]
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and _is_header(cells[0]):
            continue
        key = cells[0].upper()
        # An unquoted "T1,15,500.00" splits at the thousands separator: the rest of the line is the cost.
        raw = ",".join(cells[1:]).strip(", ")
        if not key:
            errors.append(CostError(_l("Enter the stock number or VIN first, then the cost."), number))
            continue
        if not raw:
            errors.append(CostError(_l("Enter the cost of %(key)s.", key=key), number))
            continue
        try:
            # Decimals first (a clearer message than the parser's), then the written currency.
            cost = check_cost(parse_price(raw), dealer)
            parse_price(raw, currency=dealer.currency)
        except ValueParseError:
            errors.append(CostError(_l("%(value)s is not an amount in %(currency)s.", value=raw, currency=dealer.currency),
                                    number))
            continue
        except CostError as exc:
            errors.append(CostError(exc.message, number))
            continue
        if cost is None:
            errors.append(CostError(_l("Enter the cost of %(key)s.", key=key), number))
            continue
        if key in seen:
            errors.append(CostError(_l("%(key)s is already on line %(line)d.", key=key, line=seen[key]), number))
            continue
        seen[key] = number
        lines.append(CostLine(number, key, cost))
    return lines, errors


def _delimiter(text: str) -> str:
    """Tab or semicolon when the first line uses one (spreadsheet copy, European CSV), else comma."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "\t" in first else (";" if ";" in first else ",")


def _is_header(cell: str) -> bool:
    found = match_header(cell)
    return found is not None and found[0] in (CanonicalField.STOCK_NUMBER, CanonicalField.VIN)


def apply_cost_list(session: Session, dealer: Dealer, lines: Iterable[CostLine]) -> int:
    """Set the cost of every listed car, all or nothing; return how many costs changed.

    Each key is looked up by stock number, else VIN, in the current dealer's stock (tenant scope).
    Raises ``CostListError`` (one ``CostError`` per line whose key matches no car, or names a car
    another line already named) before anything changes.
    """
    lines = list(lines)
    keys = {line.key for line in lines}
    cars = session.scalars(
        select(StockVehicle).where(or_(StockVehicle.stock_number.in_(keys), StockVehicle.vin.in_(keys)))
    ).all() if keys else []
    by_stock = {car.stock_number: car for car in cars if car.stock_number}
    by_vin = {car.vin: car for car in cars if car.vin}
    missing = [CostError(_l("No car in stock has the stock number or VIN %(key)s.", key=line.key), line.line)
               for line in lines if line.key not in by_stock and line.key not in by_vin]
    found = [(line, by_stock.get(line.key) or by_vin[line.key]) for line in lines if line.key in by_stock or line.key in by_vin]
    targets: dict[int, int] = {}
    for line, car in found:
        if car.id in targets:
            missing.append(CostError(_l("%(key)s is already on line %(line)d.", key=line.key, line=targets[car.id]), line.line))
        targets[car.id] = line.line
    if missing:
        raise CostListError(sorted(missing, key=lambda e: e.line or 0))
    return sum(change_cost(session, car, line.cost, dealer) for line, car in found)


def cost_list_text(vehicles: Iterable[StockVehicle]) -> str:
    """Return ``stock number or VIN,cost`` lines for ``vehicles`` (cost left empty when unknown), to fill in."""
    out = []
    for car in vehicles:
        key = car.stock_number or car.vin or ""
        out.append(f"{key},{'' if car.acquisition_cost is None else car.acquisition_cost}")
    return "\n".join(out) + ("\n" if out else "")
