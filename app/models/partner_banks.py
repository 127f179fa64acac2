"""Partner banks of a brand: the lenders (captive or retail) whose rate sheets the offer builder quotes.

A bank's APR depends on the loan term (``apr_bands``: ``[{"min_term": 1, "max_term": 36, "apr": "5.49"}, …]``,
inclusive month bounds, APR in percent as a decimal string); ``min_down_payment_percent`` of the price
and ``max_term`` (months) bound what it finances. ``services.partner_banks.terms_for`` turns a row
into ``domain.finance.PartnerBankTerms``, whose constructor checks the bands.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin
from app.tenancy import BrandScoped


class PartnerBank(BrandScoped, TimestampMixin, Base):
    """A lender of the brand with its APR by term band, minimum down payment and longest term."""

    __tablename__ = "partner_bank"
    __table_args__ = (UniqueConstraint("brand_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    apr_bands: Mapped[list] = mapped_column(JSON, default=list)
    min_down_payment_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    max_term: Mapped[int] = mapped_column(default=60)
    active: Mapped[bool] = mapped_column(default=True)
