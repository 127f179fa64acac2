"""The distributor's upload error statistics: stock imports per dealer of the brand in scope.

Counts come from the import history (``ImportBatch``): every finished import — previewed (dry
run), committed or failed — counts once. ``error_rate`` is rejected rows ÷ rows read, in percent,
rounded half-up to one decimal for display only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.models.accounts import Dealer
from app.models.inventory import ImportBatch, ImportStatus

FINISHED = (ImportStatus.PREVIEWED, ImportStatus.COMMITTED, ImportStatus.FAILED)


@dataclass(frozen=True, slots=True)
class DealerUploadStats:
    """One dealer's import figures since a date."""

    dealer_id: int
    dealer_code: str
    dealer_name: str
    imports: int
    failed_imports: int
    rows: int
    created: int
    updated: int
    rejected: int
    errors: int
    warnings: int
    last_import_at: datetime | None

    @property
    def error_rate(self) -> Decimal:
        """Rejected rows as a percentage of rows read (0 when nothing was read)."""
        if not self.rows:
            return Decimal("0.0")
        return (Decimal(self.rejected) * 100 / Decimal(self.rows)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def upload_error_stats(session: Session, since: datetime | None = None) -> list[DealerUploadStats]:
    """Return the figures of every dealer in scope (dealers without imports included), worst error rate first.

    Two queries: the dealers, and one grouped aggregate over the import history.
    """
    dealers = session.scalars(select(Dealer).order_by(Dealer.name)).all()
    statement = (
        select(
            ImportBatch.dealer_id,
            func.count(),
            func.sum(case((ImportBatch.status == ImportStatus.FAILED, 1), else_=0)),
            func.coalesce(func.sum(ImportBatch.total_rows), 0),
            func.coalesce(func.sum(ImportBatch.created_count), 0),
            func.coalesce(func.sum(ImportBatch.updated_count), 0),
            func.coalesce(func.sum(ImportBatch.rejected_count), 0),
            func.coalesce(func.sum(ImportBatch.error_count), 0),
            func.coalesce(func.sum(ImportBatch.warning_count), 0),
            func.max(ImportBatch.created_at),
        )
        .where(ImportBatch.status.in_([s.value for s in FINISHED]))
        .group_by(ImportBatch.dealer_id)
    )
    if since is not None:
        statement = statement.where(ImportBatch.created_at >= since)
    figures = {row[0]: row[1:] for row in session.execute(statement)}
    result = []
    for dealer in dealers:
        imports, failed, rows, created, updated, rejected, errors, warnings, last = figures.get(
            dealer.id, (0, 0, 0, 0, 0, 0, 0, 0, None)
        )
        result.append(
            DealerUploadStats(
                dealer.id, dealer.code, dealer.name, int(imports), int(failed or 0), int(rows), int(created),
                int(updated), int(rejected), int(errors), int(warnings), last,
            )
        )
    return sorted(result, key=lambda s: (-s.error_rate, s.dealer_name))
