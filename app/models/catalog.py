"""The brand's vehicle catalog: categories, models, trims, colors and the trim×color matrix,
features, options and packages, accessories, warranties, videos, expert reviews.

Draft → published: these tables ARE the draft. Corporate edits them freely; dealers and offers
never read them directly. Publishing (``services.catalog.publish_catalog``) freezes the whole
active catalog into a ``CatalogRelease`` row (version number + JSON snapshot). Dealer pages and
the offer builder read the latest release only (``services.catalog.published_catalog``), so a
half-finished edit is never visible, and an offer can keep the release version and the prices it
was made with. We chose a snapshot over per-row "is_published" flags because a catalog is edited
as a whole (a new trim needs its colors, options and rules before it makes sense to dealers).

Text shown to customers is translatable: ``name`` is the canonical (English) text used in lists,
search and rule messages; ``name_i18n`` / ``description_i18n`` map a locale (``ko``, ``th``…) to
its translation. ``localized(texts, locale, fallback)`` picks one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow
from app.tenancy import BrandScoped

COLOR_KINDS = ("exterior", "interior")
OPTION_KINDS = ("single", "package")


def localized(texts: dict | None, locale: str | None, fallback: str = "") -> str:
    """Return ``texts[locale]``, else its language part (``zh`` of ``zh_Hans``), else English, else ``fallback``."""
    texts = texts or {}
    if locale:
        for key in (locale, locale.split("_")[0]):
            if texts.get(key):
                return texts[key]
    return texts.get("en") or fallback


def _link(name: str, left: str, right: str) -> Table:
    """Build an association table ``name`` between ``left`` and ``right`` (both cascade on delete)."""
    left_table, right_table = left.split(".")[0], right.split(".")[0]
    left_col = f"{left_table}_id"
    right_col = f"{right_table}_id" if right_table != left_table else f"other_{right_table}_id"
    return Table(
        name,
        Base.metadata,
        Column(left_col, ForeignKey(left, ondelete="CASCADE"), primary_key=True),
        Column(right_col, ForeignKey(right, ondelete="CASCADE"), primary_key=True, index=True),
    )


trim_feature = _link("trim_feature", "trim.id", "feature.id")
option_trim = _link("option_trim", "catalog_option.id", "trim.id")
option_requires = _link("option_requires", "catalog_option.id", "catalog_option.id")
option_excludes = _link("option_excludes", "catalog_option.id", "catalog_option.id")
package_content = _link("package_content", "catalog_option.id", "catalog_option.id")
accessory_model = _link("accessory_model", "accessory.id", "vehicle_model.id")
warranty_model = _link("warranty_model", "warranty.id", "vehicle_model.id")
video_model = _link("video_model", "video.id", "vehicle_model.id")
review_model = _link("review_model", "expert_review.id", "vehicle_model.id")


class Translatable:
    """``name`` (canonical English) and ``name_i18n`` ({locale: text})."""

    name: Mapped[str] = mapped_column(String(200))
    name_i18n: Mapped[dict] = mapped_column(JSON, default=dict)

    def label(self, locale: str | None) -> str:
        """Return the name in ``locale`` (English / canonical fallback)."""
        return localized(self.name_i18n, locale, self.name)


class Category(BrandScoped, Translatable, TimestampMixin, Base):
    """A body category shown to customers (SUV, sedan, EV), in ``sort_order``."""

    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class VehicleModel(BrandScoped, Translatable, TimestampMixin, Base):
    """A model line (Sonata 2025) in a category, with a hero image and a description per locale."""

    __tablename__ = "vehicle_model"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="RESTRICT"), index=True)
    model_year: Mapped[int]
    body_style: Mapped[str] = mapped_column(String(40), default="")
    hero_image_key: Mapped[str | None] = mapped_column(String(200))
    description_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[Category] = relationship()
    trims: Mapped[list[Trim]] = relationship(back_populates="model", order_by="Trim.sort_order, Trim.msrp")


class Trim(BrandScoped, Translatable, TimestampMixin, Base):
    """A trim of a model: code, MSRP in the brand currency, powertrain and key specs.

    ``dealer_price_min`` / ``dealer_price_max``: the range in which dealers may set their own selling
    price (brand currency). Both None = no dealer pricing, dealers sell at MSRP; one None = that side
    of the range is open (a price must still be above 0).
    """

    __tablename__ = "trim"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    model_id: Mapped[int] = mapped_column(ForeignKey("vehicle_model.id", ondelete="RESTRICT"), index=True)
    msrp: Mapped[Decimal]
    dealer_price_min: Mapped[Decimal | None]
    dealer_price_max: Mapped[Decimal | None]
    powertrain: Mapped[str] = mapped_column(String(80), default="")
    drivetrain: Mapped[str] = mapped_column(String(20), default="")
    transmission: Mapped[str] = mapped_column(String(40), default="")
    fuel_type: Mapped[str] = mapped_column(String(20), default="")
    key_specs: Mapped[dict] = mapped_column(JSON, default=dict)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    model: Mapped[VehicleModel] = relationship(back_populates="trims")
    colors: Mapped[list[TrimColor]] = relationship(back_populates="trim", cascade="all, delete-orphan")
    features: Mapped[list[Feature]] = relationship(
        secondary=trim_feature, back_populates="trims", order_by="Feature.group, Feature.name"
    )


class Color(BrandScoped, Translatable, TimestampMixin, Base):
    """A paint (exterior) or upholstery (interior) color with its swatch and default surcharge."""

    __tablename__ = "color"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # COLOR_KINDS
    paint_type: Mapped[str] = mapped_column(String(20), default="")  # solid, metallic, pearl, matte
    swatch_hex: Mapped[str] = mapped_column(String(7), default="#888888")
    surcharge: Mapped[Decimal] = mapped_column(default=Decimal(0))
    active: Mapped[bool] = mapped_column(default=True)


class TrimColor(BrandScoped, Base):
    """One cell of the trim×color matrix: ``color`` is offered on ``trim`` for ``surcharge`` (None = the color's)."""

    __tablename__ = "trim_color"
    __table_args__ = (UniqueConstraint("trim_id", "color_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trim_id: Mapped[int] = mapped_column(ForeignKey("trim.id", ondelete="CASCADE"), index=True)
    color_id: Mapped[int] = mapped_column(ForeignKey("color.id", ondelete="CASCADE"), index=True)
    surcharge: Mapped[Decimal | None]

    trim: Mapped[Trim] = relationship(back_populates="colors")
    color: Mapped[Color] = relationship()

    @property
    def effective_surcharge(self) -> Decimal:
        """Return this cell's surcharge, or the color's default when the cell has none."""
        return self.surcharge if self.surcharge is not None else self.color.surcharge


class ColorPairExclusion(BrandScoped, Base):
    """An exterior/interior pair that may not be built, on one trim or (``trim_id`` None) on every trim."""

    __tablename__ = "color_pair_exclusion"
    __table_args__ = (UniqueConstraint("brand_id", "exterior_color_id", "interior_color_id", "trim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exterior_color_id: Mapped[int] = mapped_column(ForeignKey("color.id", ondelete="CASCADE"))
    interior_color_id: Mapped[int] = mapped_column(ForeignKey("color.id", ondelete="CASCADE"))
    trim_id: Mapped[int | None] = mapped_column(ForeignKey("trim.id", ondelete="CASCADE"))

    exterior: Mapped[Color] = relationship(foreign_keys=[exterior_color_id])
    interior: Mapped[Color] = relationship(foreign_keys=[interior_color_id])
    trim: Mapped[Trim | None] = relationship()


class Feature(BrandScoped, Translatable, TimestampMixin, Base):
    """A standard-equipment item (grouped: safety, comfort, multimedia…) linked to the trims that have it."""

    __tablename__ = "feature"

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)

    trims: Mapped[list[Trim]] = relationship(secondary=trim_feature, back_populates="features")


class Option(BrandScoped, Translatable, TimestampMixin, Base):
    """A factory option or package (``kind``) with its price, trims and rules.

    ``trims`` empty = fits every trim of the brand. ``requires`` must all be in the build,
    ``excludes`` may not (symmetric), a package's ``contents`` are added at price 0. The rules are
    checked with ``domain.option_rules.check_rule_set`` before they are saved.
    """

    __tablename__ = "catalog_option"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(10), default="single")  # OPTION_KINDS
    price: Mapped[Decimal]
    description_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)

    trims: Mapped[list[Trim]] = relationship(secondary=option_trim, order_by="Trim.code")
    requires: Mapped[list[Option]] = relationship(
        secondary=option_requires,
        primaryjoin=lambda: Option.id == option_requires.c.catalog_option_id,
        secondaryjoin=lambda: Option.id == option_requires.c.other_catalog_option_id,
        order_by="Option.code",
    )
    excludes: Mapped[list[Option]] = relationship(
        secondary=option_excludes,
        primaryjoin=lambda: Option.id == option_excludes.c.catalog_option_id,
        secondaryjoin=lambda: Option.id == option_excludes.c.other_catalog_option_id,
        order_by="Option.code",
    )
    contents: Mapped[list[Option]] = relationship(
        secondary=package_content,
        primaryjoin=lambda: Option.id == package_content.c.catalog_option_id,
        secondaryjoin=lambda: Option.id == package_content.c.other_catalog_option_id,
        order_by="Option.code",
    )


class Accessory(BrandScoped, Translatable, TimestampMixin, Base):
    """A dealer-fitted accessory: part number, price and fitting labour, the models it fits."""

    __tablename__ = "accessory"
    __table_args__ = (UniqueConstraint("brand_id", "part_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_number: Mapped[str] = mapped_column(String(40))
    price: Mapped[Decimal]
    labour: Mapped[Decimal] = mapped_column(default=Decimal(0))
    active: Mapped[bool] = mapped_column(default=True)

    models: Mapped[list[VehicleModel]] = relationship(secondary=accessory_model, order_by="VehicleModel.code")


class Warranty(BrandScoped, Translatable, TimestampMixin, Base):
    """A warranty: years and/or distance (km), terms per locale, the models it covers."""

    __tablename__ = "warranty"

    id: Mapped[int] = mapped_column(primary_key=True)
    years: Mapped[int | None]
    distance_km: Mapped[int | None]
    terms_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)

    models: Mapped[list[VehicleModel]] = relationship(secondary=warranty_model, order_by="VehicleModel.code")


class Video(BrandScoped, Translatable, TimestampMixin, Base):
    """A video (``name`` is its title) at ``url`` about some models."""

    __tablename__ = "video"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)

    models: Mapped[list[VehicleModel]] = relationship(secondary=video_model, order_by="VehicleModel.code")


class ExpertReview(BrandScoped, TimestampMixin, Base):
    """A press review: source, reviewer, rating out of 10, a quote (per locale) and its URL."""

    __tablename__ = "expert_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(120))
    reviewer: Mapped[str] = mapped_column(String(120), default="")
    rating: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    quote: Mapped[str] = mapped_column(Text)
    quote_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)

    models: Mapped[list[VehicleModel]] = relationship(secondary=review_model, order_by="VehicleModel.code")

    @property
    def name(self) -> str:
        """Return a short label: "<source> — <reviewer>"."""
        return f"{self.source} — {self.reviewer}" if self.reviewer else self.source


class CatalogRelease(BrandScoped, Base):
    """A published version of the brand's catalog: the JSON snapshot dealers and offers read.

    ``snapshot`` holds every active row as plain JSON (Decimal amounts as strings) — see
    ``services.catalog.build_snapshot`` for its shape. Rows are never changed after insert.
    """

    __tablename__ = "catalog_release"
    __table_args__ = (UniqueConstraint("brand_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    model_count: Mapped[int] = mapped_column(default=0)
    trim_count: Mapped[int] = mapped_column(default=0)
    snapshot: Mapped[dict] = mapped_column(JSON)
