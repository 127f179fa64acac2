"""Finance application of a deal: statuses and their moves, the offer's finance scenarios, masking, document checks.

Pure Python (no Flask, no database); ``services.finance_applications`` stores and moves them.

Statuses::

    submitted ──start_review──▶ in_review ──decide──▶ approved | approved_with_conditions | declined
        └──────────────────────decide──────────────────────▶ (the bank may answer at once)

``approved``, ``approved_with_conditions`` and ``declined`` are final; a declined application
can be followed by a new one (the deal goes back to ``reserved``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from app.domain.pricing.labels import payment_label


class FinanceStatus(StrEnum):
    """Where a finance application stands with the bank."""

    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    DECLINED = "declined"

    @property
    def is_approved(self) -> bool:
        """Return True for the two approvals (the contract may follow)."""
        return self in (FinanceStatus.APPROVED, FinanceStatus.APPROVED_WITH_CONDITIONS)

    @property
    def is_final(self) -> bool:
        """Return True once the bank has decided."""
        return self in DECIDED


DECIDED = frozenset({FinanceStatus.APPROVED, FinanceStatus.APPROVED_WITH_CONDITIONS, FinanceStatus.DECLINED})
OPEN = frozenset({FinanceStatus.SUBMITTED, FinanceStatus.IN_REVIEW})


class FinanceApplicationError(ValueError):
    """A finance-application step that is not allowed; the message is shown to the user."""


def check_start_review(status: FinanceStatus) -> None:
    """Raise ``FinanceApplicationError`` unless an application in ``status`` may go into review."""
    if status is not FinanceStatus.SUBMITTED:
        raise FinanceApplicationError("Only a submitted application can go into review.")


def check_decision(status: FinanceStatus, outcome: FinanceStatus) -> None:
    """Raise ``FinanceApplicationError`` unless ``outcome`` (a final status) may be recorded on ``status``."""
    if outcome not in DECIDED:
        raise FinanceApplicationError("Choose approved, approved with conditions or declined.")
    if status not in OPEN:
        raise FinanceApplicationError("The bank has already decided on this application.")


# --- the offer's scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """A finance or lease scenario of the accepted offer revision (``snapshot["priced"]["payments"][index]``).

    Amounts in the offer currency, exact as priced; ``apr_percent`` in percent; ``bank_name`` the
    partner bank the consultant quoted (may be empty when an APR was typed).
    """

    index: int
    kind: str
    label: str
    term_months: int
    down_payment: Decimal
    amount_financed: Decimal
    apr_percent: Decimal
    monthly_payment: Decimal | None
    bank_name: str


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def scenarios_from_snapshot(snapshot: dict | None, gettext: Callable[[str], str] | None = None) -> list[Scenario]:
    """Return the finance and lease scenarios of an offer revision snapshot (cash ones are skipped).

    Entries lacking a term, APR or amount financed are skipped (they cannot be applied for).
    ``gettext`` words the label in the reader's language (``pricing.labels.payment_label``); without
    it the label stored in the snapshot is used.
    """
    payments = ((snapshot or {}).get("priced") or {}).get("payments") or []
    result: list[Scenario] = []
    for index, pay in enumerate(payments):
        if not isinstance(pay, dict) or pay.get("kind") not in ("finance", "lease"):
            continue
        apr, financed, down = _decimal(pay.get("apr_percent")), _decimal(pay.get("amount_financed")), _decimal(pay.get("down_payment"))
        term = pay.get("term_months")
        if apr is None or financed is None or not isinstance(term, int) or term <= 0:
            continue
        result.append(
            Scenario(
                index=index, kind=str(pay["kind"]), label=(payment_label(pay, gettext) if gettext else str(pay.get("label") or "")) or str(pay["kind"]),
                term_months=term,
                down_payment=down or Decimal(0), amount_financed=financed, apr_percent=apr,
                monthly_payment=_decimal(pay.get("monthly_payment")), bank_name=str(pay.get("bank_name") or ""),
            )
        )
    return result


# --- masking ------------------------------------------------------------------------------------------

MASK = "••••••"


def last4(value: str) -> str:
    """Return the last four letters or digits of an identity number (separators ignored); "" when shorter than 8."""
    compact = "".join(ch for ch in value if ch.isalnum())
    return compact[-4:] if len(compact) >= 8 else ""


def masked(last_four: str) -> str:
    """Return the masked display of a secret: ``"••••••1234"`` from its last four, ``"••••••"`` without them."""
    return f"{MASK}{last_four}"


# --- documents ----------------------------------------------------------------------------------------

#: Accepted document types, recognised by their first bytes (not their names): extension → MIME type.
DOCUMENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
#: Default size limit of one document, bytes.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class DocumentRejected(ValueError):
    """An upload that is empty, too large, or not a PDF, JPEG or PNG; the message says which."""


def sniff_document(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """Return the extension (``pdf``, ``jpg``, ``png``) of ``data`` judged by its content.

    PDF: ``%PDF-`` within the first 1024 bytes and ``%%EOF`` within the last 1024 (ISO 32000-1
    §7.5.2/§7.5.5 allow leading junk and trailing whitespace). JPEG: SOI marker ``FF D8 FF``.
    PNG: the 8-byte signature (RFC 2083 §3.1). Images are decoded in full by the caller.
    Raises ``DocumentRejected`` for empty, oversized or other content.
    """
    if not data:
        raise DocumentRejected("The file is empty.")
    if len(data) > max_bytes:
        limit = f"{max_bytes // (1024 * 1024)} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
        raise DocumentRejected(f"The file is larger than {limit}.")
    if b"%PDF-" in data[:1024]:
        if b"%%EOF" not in data[-1024:]:
            raise DocumentRejected("The PDF is damaged or truncated.")
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    raise DocumentRejected("Upload a PDF, JPG or PNG file.")
