"""Stock vehicles, their photos, import history, remembered column mappings, API keys.

Everything here is dealer-owned (``TenantScoped``); unique constraints lead with ``dealer_id``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.imports.values import DistanceUnit, VehicleCondition
from app.models.base import Base, TimestampMixin, enum_values, utcnow
from app.tenancy import TenantScoped


class VehicleStatus(StrEnum):
    """Where a stock vehicle is in its life at the dealership."""

    IN_TRANSIT = "in_transit"
    IN_STOCK = "in_stock"
    RESERVED = "reserved"
    SOLD = "sold"
    WITHDRAWN = "withdrawn"


#: Statuses under which a priced vehicle may be shown to customers online.
ONLINE_STATUSES = frozenset({VehicleStatus.IN_TRANSIT, VehicleStatus.IN_STOCK})


def _enum(enum_cls, length: int) -> Enum:
    return Enum(enum_cls, native_enum=False, length=length, validate_strings=True, values_callable=enum_values)


class StockVehicle(TenantScoped, TimestampMixin, Base):
    """One vehicle in a dealer's stock, identified by VIN, else by stock number.

    ``price`` is ``None`` until the vehicle is priced (an imported 0 is stored as ``None``):
    such a vehicle is never displayed online (``is_online``). ``acquisition_cost`` is what
    the dealer paid; it is internal and never rendered on customer pages or API responses.
    ``odometer`` is a whole number in ``odometer_unit`` (km or mi, by dealer country).
    ``catalog_trim_id`` is the optional link to a catalog trim (the catalog area adds the
    foreign key when it lands).
    """

    __tablename__ = "stock_vehicle"
    __table_args__ = (
        UniqueConstraint("dealer_id", "vin", name="uq_stock_vehicle_dealer_vin"),
        UniqueConstraint("dealer_id", "stock_number", name="uq_stock_vehicle_dealer_stock_number"),
        CheckConstraint("vin IS NOT NULL OR stock_number IS NOT NULL", name="identified"),
        Index("ix_stock_vehicle_dealer_status", "dealer_id", "status"),
        Index("ix_stock_vehicle_dealer_make_model", "dealer_id", "make", "model"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vin: Mapped[str | None] = mapped_column(String(17))
    stock_number: Mapped[str | None] = mapped_column(String(40))
    condition: Mapped[VehicleCondition] = mapped_column(_enum(VehicleCondition, 20), default=VehicleCondition.USED)
    model_year: Mapped[int | None]
    make: Mapped[str] = mapped_column(String(60), default="")
    model: Mapped[str] = mapped_column(String(80), default="")
    trim: Mapped[str] = mapped_column(String(200), default="")
    catalog_trim_id: Mapped[int | None]
    body_style: Mapped[str] = mapped_column(String(60), default="")
    drivetrain: Mapped[str] = mapped_column(String(60), default="")
    transmission: Mapped[str] = mapped_column(String(60), default="")
    fuel_type: Mapped[str] = mapped_column(String(40), default="")
    engine: Mapped[str] = mapped_column(String(80), default="")
    exterior_color: Mapped[str] = mapped_column(String(60), default="")
    interior_color: Mapped[str] = mapped_column(String(60), default="")
    odometer: Mapped[int | None]
    odometer_unit: Mapped[DistanceUnit] = mapped_column(_enum(DistanceUnit, 2), default=DistanceUnit.KM)
    price: Mapped[Decimal | None]
    msrp: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3))
    acquisition_cost: Mapped[Decimal | None]
    status: Mapped[VehicleStatus] = mapped_column(_enum(VehicleStatus, 20), default=VehicleStatus.IN_STOCK)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reserved_at: Mapped[datetime | None]
    sold_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    arrival_date: Mapped[date | None]
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    image_url: Mapped[str] = mapped_column(String(500), default="")
    history_report_url: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual, file, api

    photos: Mapped[list[VehiclePhoto]] = relationship(
        back_populates="vehicle", cascade="all, delete-orphan", order_by="VehiclePhoto.position"
    )

    @property
    def is_priced(self) -> bool:
        """True when the vehicle has a list price above zero."""
        return self.price is not None and self.price > 0

    @property
    def is_online(self) -> bool:
        """True when customers may see the vehicle: priced and in transit or in stock."""
        return self.is_priced and self.status in ONLINE_STATUSES

    def days_in_stock(self, today: date) -> int | None:
        """Return whole days since ``arrival_date`` (``None`` when unknown)."""
        return None if self.arrival_date is None else max((today - self.arrival_date).days, 0)

    @property
    def title(self) -> str:
        """``"2019 Hyundai Tucson Preferred"``: year, make, model, trim."""
        return " ".join(str(p) for p in (self.model_year, self.make, self.model, self.trim) if p)


class VehiclePhoto(TenantScoped, Base):
    """A photo of a stock vehicle, stored through ``services.storage``; ``position`` 1 is the cover.

    ``sha256`` of the uploaded bytes makes re-importing the same photo ZIP a no-op.
    """

    __tablename__ = "vehicle_photo"
    __table_args__ = (
        UniqueConstraint("dealer_id", "vehicle_id", "position", name="uq_vehicle_photo_dealer_vehicle_position"),
        UniqueConstraint("dealer_id", "vehicle_id", "sha256", name="uq_vehicle_photo_dealer_vehicle_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("stock_vehicle.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    vehicle: Mapped[StockVehicle] = relationship(back_populates="photos")


class ImportStatus(StrEnum):
    """Life of an import batch: uploaded → (dry run) previewed → committed, or failed/discarded."""

    UPLOADED = "uploaded"
    QUEUED = "queued"
    RUNNING = "running"
    PREVIEWED = "previewed"
    COMMITTED = "committed"
    FAILED = "failed"
    DISCARDED = "discarded"


class ImportMode(StrEnum):
    """What a commit does with rejected rows."""

    VALID_ROWS = "valid_rows"
    ALL_OR_NOTHING = "all_or_nothing"


class ImportBatch(TenantScoped, Base):
    """One stock import (file, CLI or API call): who, what file, the counts, duration and row issues.

    ``issues`` is the row-level report: a list of ``{"row", "column", "value", "reason",
    "severity"}`` dicts (``severity`` is ``error`` or ``warning``). ``mapping`` is the column →
    field mapping used. The uploaded files are kept under ``file_key``/``photos_key`` in storage
    until the batch is committed, discarded or its job fails (then the keys are None). This history feeds the distributor's upload error
    statistics. While a job runs, ``progress_rows`` of ``progress_total`` rows (None until counted)
    are written in their own short transactions for the polling page.
    """

    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_dealer_created", "dealer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(10), default="file")  # file, cli, api
    file_name: Mapped[str] = mapped_column(String(255), default="")
    file_format: Mapped[str] = mapped_column(String(10), default="")
    file_key: Mapped[str | None] = mapped_column(String(200))
    photos_name: Mapped[str] = mapped_column(String(255), default="")
    photos_key: Mapped[str | None] = mapped_column(String(200))
    encoding: Mapped[str | None] = mapped_column(String(20))
    mapping: Mapped[dict | None] = mapped_column(JSON)
    mode: Mapped[ImportMode] = mapped_column(_enum(ImportMode, 20), default=ImportMode.VALID_ROWS)
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus, 20), default=ImportStatus.UPLOADED)
    phase: Mapped[str] = mapped_column(String(10), default="")  # dry_run or commit while queued/running
    job_id: Mapped[str] = mapped_column(String(64), default="")
    #: Last sign of life of the running job (start and every progress write); see ``inventory_jobs.reap_stalled``.
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    total_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    duplicate_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    warning_count: Mapped[int] = mapped_column(default=0)
    photos_attached: Mapped[int] = mapped_column(default=0)
    photos_rejected: Mapped[int] = mapped_column(default=0)
    saved: Mapped[bool] = mapped_column(default=False)
    duration_ms: Mapped[int] = mapped_column(default=0)
    error_message: Mapped[str] = mapped_column(Text, default="")
    issues: Mapped[list | None] = mapped_column(JSON)
    finished_at: Mapped[datetime | None]
    progress_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    progress_total: Mapped[int | None]


class ImportColumnMapping(TenantScoped, Base):
    """A dealer's remembered column choices: normalised column name → field (``""`` = skip)."""

    __tablename__ = "import_column_mapping"
    __table_args__ = (UniqueConstraint("dealer_id", name="uq_import_column_mapping_dealer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    choices: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApiKey(TenantScoped, Base):
    """A dealer's key for the inventory API; only its SHA-256 is stored, the key is shown once.

    A key reads ``fc_<prefix>_<secret>``; ``prefix`` (unique, not secret) finds the row.
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        """True until revoked."""
        return self.revoked_at is None


class IdempotencyRecord(TenantScoped, Base):
    """A POST answered under an ``Idempotency-Key``: the request's hash and the stored response."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("dealer_id", "api_key_id", "key", name="uq_idempotency_record_dealer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
