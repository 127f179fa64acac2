"""Partner banks of the brand: read them as ``domain.finance.PartnerBankTerms`` and save their rate sheets.

Rows are brand-level (``BrandScoped``): a dealer's request sees its own brand's banks only. Writers
validate through ``PartnerBankTerms`` first, so a refused rate sheet leaves nothing half-saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.finance import FinanceError, PartnerBankTerms
from app.models.partner_banks import PartnerBank
from app.services import audit


class PartnerBankError(ValueError):
    """A rate sheet that cannot be saved; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class AprBand:
    """One term band of a rate sheet: ``min_term``..``max_term`` months (inclusive) at ``apr`` percent.

    ``max_balloon_percent`` (0..100 of the price, None = no balloon on these terms) is the largest
    balloon (final payment) the bank writes on the band's terms; it is stored in the band's JSON
    row as ``"max_balloon_percent"``, so no column is needed.
    """

    min_term: int
    max_term: int
    apr: Decimal
    max_balloon_percent: Decimal | None = None


def terms_for(bank: PartnerBank) -> PartnerBankTerms:
    """Return the bank row as the finance domain's ``PartnerBankTerms``.

    Raises ``FinanceError`` (``PartnerBankTermsError`` …) when the stored sheet is inconsistent.
    """
    rows = bank.apr_bands or ()
    bands = tuple((int(b["min_term"]), int(b["max_term"]), Decimal(str(b["apr"]))) for b in rows)
    balloons = tuple((int(b["min_term"]), int(b["max_term"]), Decimal(str(b["max_balloon_percent"])))
                     for b in rows if b.get("max_balloon_percent") not in (None, ""))
    return PartnerBankTerms(bank.name, bands, Decimal(bank.min_down_payment_percent), int(bank.max_term), balloons)


def _band_json(band: AprBand) -> dict[str, object]:
    row: dict[str, object] = {"min_term": band.min_term, "max_term": band.max_term, "apr": str(band.apr)}
    if band.max_balloon_percent is not None:
        row["max_balloon_percent"] = str(band.max_balloon_percent)
    return row


def active_banks(session: Session) -> list[PartnerBank]:
    """Return the active partner banks of the brand in scope, by name."""
    return list(session.scalars(select(PartnerBank).where(PartnerBank.active.is_(True)).order_by(PartnerBank.name)))


def all_banks(session: Session) -> list[PartnerBank]:
    """Return every partner bank of the brand in scope, active first, by name."""
    return list(session.scalars(select(PartnerBank).order_by(PartnerBank.active.desc(), PartnerBank.name)))


def save_bank(
    session: Session,
    bank: PartnerBank | None,
    *,
    brand_id: int,
    name: str,
    bands: Sequence[AprBand],
    min_down_payment_percent: Decimal,
    max_term: int,
    active: bool = True,
) -> PartnerBank:
    """Create (``bank`` None) or update a partner bank after checking the sheet with ``PartnerBankTerms``.

    Raises ``PartnerBankError`` for an empty or duplicate name, no band, or a sheet the finance domain
    refuses (overlapping or inverted bands, APR outside 0–100, term outside 1–120, minimum down > 100 %).
    """
    name = name.strip()
    if not name:
        raise PartnerBankError("Enter the bank's name.", "name")
    if not bands:
        raise PartnerBankError("Give at least one APR band.", "apr_bands")
    try:
        PartnerBankTerms(name, tuple((b.min_term, b.max_term, b.apr) for b in bands), min_down_payment_percent, max_term,
                         tuple((b.min_term, b.max_term, b.max_balloon_percent) for b in bands
                               if b.max_balloon_percent is not None))
    except FinanceError as exc:
        raise PartnerBankError(str(exc), "apr_bands") from exc
    duplicate = session.scalar(select(PartnerBank).where(PartnerBank.name == name))
    if duplicate is not None and duplicate is not bank:
        raise PartnerBankError("Another partner bank already has this name.", "name")
    values = {
        "name": name,
        "apr_bands": [_band_json(b) for b in sorted(bands, key=lambda b: b.min_term)],
        "min_down_payment_percent": min_down_payment_percent,
        "max_term": max_term,
        "active": active,
    }
    if bank is None:
        bank = PartnerBank(brand_id=brand_id, **values)
        session.add(bank)
        session.flush()
        audit.record(session, "partner_bank.create", bank, after={k: str(v) for k, v in values.items()})
        return bank
    before, after = audit.changes(bank, list(values), values)
    for key, value in values.items():
        setattr(bank, key, value)
    session.flush()
    if after:
        audit.record(session, "partner_bank.update", bank, before={k: str(v) for k, v in before.items()},
                     after={k: str(v) for k, v in after.items()})
    return bank


def set_bank_active(session: Session, bank: PartnerBank, active: bool) -> PartnerBank:
    """Deactivate (the offer builder no longer offers it) or reactivate a partner bank; audit-logged.

    Saved offers keep the bank's name and rates in their snapshots, so deactivating changes none of them.
    """
    if bank.active != active:
        audit.record(session, "partner_bank.reactivate" if active else "partner_bank.deactivate", bank,
                     before={"active": bank.active}, after={"active": active})
        bank.active = active
        session.flush()
    return bank
