"""Finance applications of deals and their uploaded documents."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.finance_application import FinanceStatus
from app.models.accounts import User
from app.models.base import Base, TimestampMixin, enum_values, utcnow
from app.models.deals import Deal
from app.models.partner_banks import PartnerBank
from app.tenancy import TenantScoped


class FinanceApplication(TenantScoped, TimestampMixin, Base):
    """A loan or lease application of a deal's customer to one of the brand's partner banks.

    Identity: ``applicant_name``, ``date_of_birth``, the identity/national ID number encrypted
    (``national_id_encrypted``, Fernet via ``services.field_crypto``) with only its last four kept
    in clear for the mask. ``monthly_income_encrypted`` holds the exact Decimal text, encrypted;
    ``currency`` is the deal's. Scenario (copied from the accepted offer revision's snapshot
    ``priced.payments[scenario_index]``): ``payment_kind`` finance|lease, ``term_months``,
    ``down_payment``, ``amount_financed``, ``apr_percent`` (percent). The bank's answer:
    ``approved_apr_percent``, ``approved_term_months``, ``approved_amount_financed``,
    ``conditions`` or ``decline_reason``. ``*_at`` / ``*_by_id`` say who and when for each status
    (``submitted_by_id`` is None when the customer submitted through their purchase link).
    ``active_deal_id`` equals ``deal_id`` until the application is declined (then None): its
    unique constraint keeps one live application per deal, even under concurrent submits.
    """

    __tablename__ = "finance_application"
    __table_args__ = (
        UniqueConstraint("dealer_id", "active_deal_id"),
        Index("ix_finance_application_dealer_deal", "dealer_id", "deal_id"),
        Index("ix_finance_application_dealer_status", "dealer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    active_deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    status: Mapped[FinanceStatus] = mapped_column(
        Enum(FinanceStatus, native_enum=False, length=30, validate_strings=True, values_callable=enum_values),
        default=FinanceStatus.SUBMITTED,
    )
    applicant_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date]
    national_id_encrypted: Mapped[str] = mapped_column(Text)
    national_id_last4: Mapped[str] = mapped_column(String(4), default="")
    address_line: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(120))
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    employer: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(120))
    employment_years: Mapped[int]
    monthly_income_encrypted: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    partner_bank_id: Mapped[int] = mapped_column(ForeignKey("partner_bank.id", ondelete="RESTRICT"))
    bank_name: Mapped[str] = mapped_column(String(120))
    scenario_index: Mapped[int]
    scenario_label: Mapped[str] = mapped_column(String(120), default="")
    payment_kind: Mapped[str] = mapped_column(String(10))
    term_months: Mapped[int]
    down_payment: Mapped[Decimal]
    amount_financed: Mapped[Decimal]
    apr_percent: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    monthly_payment: Mapped[Decimal | None]
    channel: Mapped[str] = mapped_column(String(10), default="staff")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    review_started_at: Mapped[datetime | None]
    review_started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_apr_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    approved_term_months: Mapped[int | None]
    approved_amount_financed: Mapped[Decimal | None]
    conditions: Mapped[str] = mapped_column(Text, default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")

    deal: Mapped[Deal] = relationship(foreign_keys=[deal_id])
    partner_bank: Mapped[PartnerBank] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    review_started_by: Mapped[User | None] = relationship(foreign_keys=[review_started_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    documents: Mapped[list[FinanceDocument]] = relationship(
        back_populates="application", order_by="FinanceDocument.id", cascade="all, delete-orphan"
    )


class FinanceDocument(TenantScoped, Base):
    """A file supporting a finance application (ID card, payslip, bank statement…).

    ``kind`` is ``identity``, ``income`` or ``other``; ``content_type`` is judged from the bytes
    (PDF, JPEG or PNG), never from the uploaded name; ``storage_key`` names the file in
    ``services.storage``; ``file_name`` is the sanitised original name, shown only.
    """

    __tablename__ = "finance_document"
    __table_args__ = (Index("ix_finance_document_dealer_application", "dealer_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("finance_application.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    application: Mapped[FinanceApplication] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()
