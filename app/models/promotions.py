"""Brand promotions, their coupon codes, and promotion banners shown on dealer dashboards.

The rules live in ``app.domain.promotions`` (lifecycle in the brand's time zone, eligibility,
stacking); ``services.promotions.to_domain`` turns a row into that module's ``Promotion``.
Stacking, stated here as the pricing engine will enforce it: an offer line gets at most ONE
item-level promotion (highest priority wins); an offer may get several order-level promotions
unless the top-ranked one is exclusive; coupons apply after all item- and order-level ones.

Validity and banner schedules are stored as NAIVE LOCAL datetimes in the brand's time zone
(what corporate typed), converted to UTC only when compared with the clock, so a DST change or
a time-zone fix never moves "valid until 31 December" to another day.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Numeric, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import Dealer
from app.models.base import Base, TimestampMixin
from app.models.catalog import localized
from app.tenancy import BrandScoped, TenantScoped

promotion_dealer = Table(
    "promotion_dealer",
    Base.metadata,
    Column("promotion_id", ForeignKey("promotion.id", ondelete="CASCADE"), primary_key=True),
    Column("dealer_id", ForeignKey("dealer.id", ondelete="CASCADE"), primary_key=True, index=True),
)
banner_dealer = Table(
    "banner_dealer",
    Base.metadata,
    Column("banner_id", ForeignKey("promotion_banner.id", ondelete="CASCADE"), primary_key=True),
    Column("dealer_id", ForeignKey("dealer.id", ondelete="CASCADE"), primary_key=True, index=True),
)

LocalDateTime = DateTime(timezone=False)


class Promotion(BrandScoped, TimestampMixin, Base):
    """A promotion as corporate defines it; see ``app.domain.promotions.Promotion`` for the field rules.

    ``targets`` = {"model_codes": [...], "trim_codes": [...], "option_codes": [...],
    "accessory_codes": [...]} for item scope. ``all_dealers`` False = only ``dealers``.
    APR subvention applies to finance terms ``apr_term_min``..``apr_term_max`` months.
    """

    __tablename__ = "promotion"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    text_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal | None]
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    apr: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    apr_term_min: Mapped[int | None]
    apr_term_max: Mapped[int | None]
    accessory_code: Mapped[str | None] = mapped_column(String(40))
    benefit_value: Mapped[Decimal | None]
    targets: Mapped[dict] = mapped_column(JSON, default=dict)
    min_order_amount: Mapped[Decimal | None]
    all_dealers: Mapped[bool] = mapped_column(default=True)
    valid_from: Mapped[datetime | None] = mapped_column(LocalDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(LocalDateTime)
    priority: Mapped[int] = mapped_column(default=0)
    exclusive: Mapped[bool] = mapped_column(default=False)
    budget_max_count: Mapped[int | None]
    budget_max_amount: Mapped[Decimal | None]
    budget_used_count: Mapped[int] = mapped_column(default=0)
    budget_used_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    withdrawn: Mapped[bool] = mapped_column(default=False)
    withdrawn_at: Mapped[datetime | None]

    dealers: Mapped[list[Dealer]] = relationship(secondary=promotion_dealer, order_by="Dealer.name")
    coupons: Mapped[list[Coupon]] = relationship(
        back_populates="promotion", cascade="all, delete-orphan", order_by="Coupon.code"
    )

    def label(self, locale: str | None) -> str:
        """Return the name in ``locale`` (canonical fallback)."""
        return localized(self.name_i18n, locale, self.name)

    @property
    def remaining_budget_amount(self) -> Decimal | None:
        """Return what is left of the amount cap, or None without one."""
        if self.budget_max_amount is None:
            return None
        return self.budget_max_amount - self.budget_used_amount

    @property
    def remaining_budget_count(self) -> int | None:
        """Return how many uses are left under the count cap, or None without one."""
        if self.budget_max_count is None:
            return None
        return self.budget_max_count - self.budget_used_count


class Coupon(BrandScoped, Base):
    """A coupon code of a coupon promotion; ``max_uses`` None = unlimited, 1 = single use."""

    __tablename__ = "promotion_coupon"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotion.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    max_uses: Mapped[int | None] = mapped_column(default=1)
    used_count: Mapped[int] = mapped_column(default=0)

    promotion: Mapped[Promotion] = relationship(back_populates="coupons")


class PromotionRedemption(TenantScoped, Base):
    """One promotion (and coupon) used up by one accepted offer: what its counters were moved by.

    Written by ``services.promotion_redemptions.redeem`` when the customer accepts, released (never
    deleted) when the deal is cancelled: ``released_at`` set, the counters moved back by exactly
    ``uses`` and ``amount``. ``uses``: budget uses taken (one per line for an item-level promotion,
    one per offer otherwise); ``amount``: the customer benefit counted against the amount budget, in
    ``currency``. Unique per (offer, promotion): an offer redeems a promotion once. Dealer-owned (the
    acceptance happens in the dealer's scope); ``brand_id`` is the promotion's brand, for reports.
    """

    __tablename__ = "promotion_redemption"
    __table_args__ = (UniqueConstraint("dealer_id", "offer_id", "promotion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id", ondelete="RESTRICT"), index=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotion.id", ondelete="RESTRICT"), index=True)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("promotion_coupon.id", ondelete="RESTRICT"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id", ondelete="SET NULL"), index=True)
    offer_revision_no: Mapped[int]
    uses: Mapped[int] = mapped_column(default=1)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    redeemed_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class PromotionBanner(BrandScoped, TimestampMixin, Base):
    """A banner on dealer dashboards: image, headline and link per locale, target dealers, schedule, order.

    ``starts_at`` / ``ends_at`` are naive local datetimes in the brand's time zone (start
    inclusive, end exclusive; None = unbounded). ``headline_i18n`` must have at least one text.
    """

    __tablename__ = "promotion_banner"

    id: Mapped[int] = mapped_column(primary_key=True)
    image_key: Mapped[str] = mapped_column(String(200))
    headline_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    link_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    all_dealers: Mapped[bool] = mapped_column(default=True)
    starts_at: Mapped[datetime | None] = mapped_column(LocalDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(LocalDateTime)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    dealers: Mapped[list[Dealer]] = relationship(secondary=banner_dealer, order_by="Dealer.name")

    def headline(self, locale: str | None) -> str:
        """Return the headline in ``locale`` (English, then any text, as fallback)."""
        return localized(self.headline_i18n, locale, next(iter(self.headline_i18n.values()), ""))

    def link(self, locale: str | None) -> str:
        """Return the link in ``locale`` (English fallback), or ""."""
        return localized(self.link_i18n, locale, next(iter(self.link_i18n.values()), ""))
