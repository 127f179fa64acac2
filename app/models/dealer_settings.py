"""A dealership's own settings: consultants, purchasing conditions, fees and taxes, discounts, approvals,
reservation payment and delivery. Every row is tenant-owned (``dealer_id``).

Singleton settings (one row per dealer) carry a unique constraint on ``dealer_id``; row tables
(fees, taxes, slots, …) carry a unique key that leads with ``dealer_id``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin
from app.tenancy import TenantScoped

PercentColumn = Numeric(7, 4, asdecimal=True)


class ConsultantProfile(TenantScoped, TimestampMixin, Base):
    """A staff member's profile at one dealership: photo, languages spoken and discount authority.

    ``discount_max_amount`` (dealer currency) and ``discount_max_percent`` (of the reference price)
    feed ``app.domain.approval.DiscountAuthority``; both None = no authority. The role itself lives
    on ``Membership``; deactivating the membership keeps this row and all history.
    """

    __tablename__ = "consultant_profile"
    __table_args__ = (UniqueConstraint("dealer_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    photo_key: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list] = mapped_column(JSON, default=list)  # locale codes, e.g. ["ko", "en"]
    discount_max_amount: Mapped[Decimal | None]
    discount_max_percent: Mapped[Decimal | None] = mapped_column(PercentColumn)
    invited_at: Mapped[datetime | None]


class PurchasingConditions(TenantScoped, TimestampMixin, Base):
    """Offer validity, required documents, policies per locale and accepted payment methods (one per dealer).

    ``cancellation_policy`` / ``refund_policy`` map a locale code to text (``{"ko": "…", "en": "…"}``).
    """

    __tablename__ = "purchasing_conditions"
    __table_args__ = (UniqueConstraint("dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_validity_days: Mapped[int] = mapped_column(default=7)
    required_documents: Mapped[list] = mapped_column(JSON, default=list)
    cancellation_policy: Mapped[dict] = mapped_column(JSON, default=dict)
    refund_policy: Mapped[dict] = mapped_column(JSON, default=dict)
    payment_methods: Mapped[list] = mapped_column(JSON, default=list)


class FeeSetting(TenantScoped, Base):
    """One named fee of the dealer's fee and tax table (``app.domain.taxes.FeeRule``)."""

    __tablename__ = "fee_setting"
    __table_args__ = (UniqueConstraint("dealer_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    amount: Mapped[Decimal]
    taxable: Mapped[bool] = mapped_column(default=True)


class TaxSetting(TenantScoped, Base):
    """One tax of the dealer's fee and tax table (``app.domain.taxes.TaxRule``); ``rate`` in percent."""

    __tablename__ = "tax_setting"
    __table_args__ = (UniqueConstraint("dealer_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    rate: Mapped[Decimal] = mapped_column(PercentColumn)
    bases: Mapped[list] = mapped_column(JSON, default=list)  # subset of app.domain.taxes.TAX_BASES
    included_in_price: Mapped[bool] = mapped_column(default=True)
    trade_in_credit: Mapped[bool] = mapped_column(default=False)


class PresetDiscount(TenantScoped, TimestampMixin, Base):
    """A named additional discount consultants pick in offers.

    ``kind`` is ``amount`` (``value`` in dealer currency) or ``percent`` (``value`` in percent of the
    price). ``model_codes`` / ``trim_codes`` list the published catalog codes it fits (both empty =
    every vehicle); codes rather than ids, so the settings survive catalog re-imports. ``conditions``
    lists the stock conditions it is for (``app.imports.values.VehicleCondition`` values; empty = any;
    a factory order is ``new``). Scope rules: ``app.domain.preset_discounts``. ``valid_from`` /
    ``valid_until`` are inclusive local dates (None = open). ``stackable``: combines with brand promotions.
    """

    __tablename__ = "preset_discount"
    __table_args__ = (UniqueConstraint("dealer_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[Decimal]
    model_codes: Mapped[list] = mapped_column(JSON, default=list)
    trim_codes: Mapped[list] = mapped_column(JSON, default=list)
    conditions: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    stackable: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class ApprovalSettings(TenantScoped, TimestampMixin, Base):
    """The dealer's offer approval thresholds (``app.domain.approval.ApprovalPolicy``), one per dealer.

    ``unknown_cost_rule``: an ``app.domain.approval.UnknownCostRule`` value — what the gross floor
    does for a stock car without an acquisition cost (``require_approval`` unless the dealer chose).
    """

    __tablename__ = "approval_settings"
    __table_args__ = (UniqueConstraint("dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    threshold_amount: Mapped[Decimal | None]
    threshold_percent: Mapped[Decimal | None] = mapped_column(PercentColumn)
    minimum_gross: Mapped[Decimal | None]
    approver_roles: Mapped[list] = mapped_column(JSON, default=list)
    unknown_cost_rule: Mapped[str] = mapped_column(String(20), default="require_approval",
                                                   server_default="require_approval")


class ReservationSettings(TenantScoped, TimestampMixin, Base):
    """Reservation deposit, refund terms, payment methods and the payment-provider account (one per dealer).

    ``refundable_days``: the deposit is refundable until this many days after payment (None with
    ``refundable`` = until delivery). ``provider_secret_encrypted`` is a Fernet token
    (``app.services.field_crypto``); the plain secret is never stored nor shown back in full.
    """

    __tablename__ = "reservation_settings"
    __table_args__ = (UniqueConstraint("dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    default_deposit: Mapped[Decimal] = mapped_column(default=Decimal(0))
    refundable: Mapped[bool] = mapped_column(default=True)
    refundable_days: Mapped[int | None]
    payment_methods: Mapped[list] = mapped_column(JSON, default=list)
    provider_name: Mapped[str] = mapped_column(String(60), default="")
    merchant_id: Mapped[str] = mapped_column(String(120), default="")
    provider_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    provider_secret_last4: Mapped[str] = mapped_column(String(4), default="")


class ModelDeposit(TenantScoped, Base):
    """A reservation deposit for one catalog model code, overriding the dealer's default."""

    __tablename__ = "model_deposit"
    __table_args__ = (UniqueConstraint("dealer_id", "model_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_code: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal]


class DeliveryConfig(TenantScoped, TimestampMixin, Base):
    """Delivery methods, home-delivery radius and fee, and lead time (one per dealer)."""

    __tablename__ = "delivery_config"
    __table_args__ = (UniqueConstraint("dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    showroom_pickup: Mapped[bool] = mapped_column(default=True)
    home_delivery: Mapped[bool] = mapped_column(default=False)
    radius_km: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(0))
    home_delivery_fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    lead_time_days: Mapped[int] = mapped_column(default=0)


class DeliverySlotSetting(TenantScoped, Base):
    """A weekly delivery slot: ``weekday`` (0 = Monday), local ``start``–``end``, ``capacity`` cars."""

    __tablename__ = "delivery_slot_setting"
    __table_args__ = (UniqueConstraint("dealer_id", "weekday", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int]
    start: Mapped[time]
    end: Mapped[time]
    capacity: Mapped[int] = mapped_column(default=1)


class DeliveryClosure(TenantScoped, Base):
    """Days without deliveries: ``first_day`` to ``last_day`` inclusive (None = one day), with a reason."""

    __tablename__ = "delivery_closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[date]
    last_day: Mapped[date | None]
    reason: Mapped[str] = mapped_column(String(200), default="")


class DealerDisplayModel(TenantScoped, Base):
    """A published catalog model the dealer has chosen to show (``shown``) or hide online, at ``position``.

    Keyed by the catalog ``model_code``, not an id: codes survive re-publishing, draft row ids may
    not. A model of the release without a row here is not shown (the dealer opts in); trims and
    colors of a shown model are shown unless a ``DealerDisplayTrim`` / ``DealerHiddenColor`` says not.
    """

    __tablename__ = "dealer_display_model"
    __table_args__ = (UniqueConstraint("dealer_id", "model_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_code: Mapped[str] = mapped_column(String(30))
    shown: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class DealerDisplayTrim(TenantScoped, Base):
    """The dealer's choices for one catalog trim code: hidden or shown, and its own selling price.

    ``selling_price`` (dealer currency) applies only while the published trim allows dealer pricing
    and the price lies within its ``dealer_price_min``/``dealer_price_max``; otherwise MSRP is used
    (``services.vehicle_display.displayed_catalog``). None = sell at MSRP.
    """

    __tablename__ = "dealer_display_trim"
    __table_args__ = (UniqueConstraint("dealer_id", "trim_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trim_code: Mapped[str] = mapped_column(String(40))
    shown: Mapped[bool] = mapped_column(default=True)
    selling_price: Mapped[Decimal | None]


class DealerHiddenColor(TenantScoped, Base):
    """A color (catalog ``color_code``) the dealer does not show on a model (``model_code``)."""

    __tablename__ = "dealer_hidden_color"
    __table_args__ = (UniqueConstraint("dealer_id", "model_code", "color_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_code: Mapped[str] = mapped_column(String(30))
    color_code: Mapped[str] = mapped_column(String(20))
