"""Catalog views: one list / new / edit / inline-price / show-hide set per catalog section, plus the
trim×color matrix, excluded color pairs, a configuration check, and publishing.

Each section's URL rules are registered from ``SECTIONS`` with their own id parameter
(``model_id``, ``trim_id``…), so the tenancy route walk can hand each one an id of another brand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from app.access import require
from app.blueprints.corporate import bp
from app.blueprints.corporate import forms as f
from app.blueprints.corporate.common import form_error_status, get_or_404, locale, render
from app.database import contains_text
from app.domain import option_rules as rules
from app.domain.roles import Permission
from app.extensions import db, htmx
from app.i18n import error_message
from app.input import InputError, parse_decimal
from app.models.catalog import (
    Accessory,
    Category,
    Color,
    ColorPairExclusion,
    ExpertReview,
    Feature,
    Option,
    Trim,
    VehicleModel,
    Video,
    Warranty,
)
from app.services import catalog as catalog_service
from app.services.images import ImageRejected, process_image
from app.services.storage import get_storage


def _name(obj) -> str:
    """Return a catalog row's name in the reader's language (the marketer's translation, else canonical)."""
    label = getattr(obj, "label", None)
    return label(locale()) if callable(label) else obj.name


def _choices(model, label: Callable = lambda o: f"{o.code} · {_name(o)}", order=None) -> list[tuple[int, str]]:
    rows = db.session.scalars(select(model).order_by(order if order is not None else model.id)).all()
    return [(o.id, label(o)) for o in rows]


def _rows(model, ids: list[int]) -> list:
    if not ids:
        return []
    return list(db.session.scalars(select(model).where(model.id.in_(ids))).all())


@dataclass
class Relation:
    """A list relationship edited through a multi-select: form field → model attribute."""

    attr: str
    model: type
    choices: Callable[[], list[tuple[int, str]]]


@dataclass
class Section:
    """One catalog section (categories, models, trims…) and how its list and form work."""

    key: str
    param: str
    model: type
    form: type
    title: object
    scalars: list[str]
    columns: list[tuple[object, str]]
    i18n: list[tuple[str, str]] = field(default_factory=list)  # (form attr, model JSON column)
    relations: dict[str, Relation] = field(default_factory=dict)
    selects: dict[str, Callable[[], list]] = field(default_factory=dict)  # single selects: field → choices
    unique: str | None = "code"
    inline: str | None = None  # money column editable inline
    search: tuple[str, ...] = ("code", "name")
    filters: dict[str, tuple[object, Callable[[], list]]] = field(default_factory=dict)  # column → (label, choices)
    order: str = "id"


def _model_choices():
    return _choices(VehicleModel, order=VehicleModel.code)


def _trim_choices():
    return _choices(Trim, order=Trim.code)


def _option_choices():
    return _choices(Option, order=Option.code)


SECTIONS: dict[str, Section] = {
    s.key: s
    for s in [
        Section("categories", "category_id", Category, f.CategoryForm, _l("Categories"), ["code", "name", "sort_order"],
                [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Order"), "sort_order")],
                i18n=[("name", "name_i18n")], order="sort_order"),
        Section("models", "model_id", VehicleModel, f.VehicleModelForm, _l("Models"),
                ["code", "name", "category_id", "model_year", "body_style", "sort_order"],
                [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Category"), "category.name"), (_l("Year"), "model_year"),
                 (_l("Trims"), "trims|length")],
                i18n=[("name", "name_i18n"), ("description", "description_i18n")],
                selects={"category_id": lambda: _choices(Category, order=Category.sort_order)},
                filters={"category_id": (_l("Category"), lambda: _choices(Category, order=Category.sort_order))},
                order="sort_order"),
        Section("trims", "trim_id", Trim, f.TrimForm, _l("Trims"),
                ["code", "name", "model_id", "msrp", "dealer_price_min", "dealer_price_max", "powertrain", "drivetrain", "transmission", "fuel_type", "sort_order"],
                [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Model"), "model.name"), (_l("Fuel"), "fuel_type")],
                i18n=[("name", "name_i18n")], relations={"feature_ids": Relation("features", Feature, lambda: _choices(
                    Feature, lambda o: f"{f.feature_group_label(o.group)} · {_name(o)}", Feature.group))},
                selects={"model_id": _model_choices}, inline="msrp",
                filters={"model_id": (_l("Model"), _model_choices)}, order="code"),
        Section("colors", "color_id", Color, f.ColorForm, _l("Colors"),
                ["code", "name", "kind", "paint_type", "swatch_hex", "surcharge"],
                [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Kind"), "kind"), (_l("Paint"), "paint_type")],
                i18n=[("name", "name_i18n")], inline="surcharge",
                filters={"kind": (_l("Kind"), lambda: [("exterior", _("Exterior")), ("interior", _("Interior"))])},
                order="code"),
        Section("features", "feature_id", Feature, f.FeatureForm, _l("Features"), ["group", "name"],
                [(_l("Group"), "group"), (_l("Name"), "name"), (_l("Trims"), "trims|length")],
                i18n=[("name", "name_i18n")], relations={"trim_ids": Relation("trims", Trim, _trim_choices)},
                unique=None, search=("name", "group"), order="group"),
        Section("options", "option_id", Option, f.OptionForm, _l("Options and packages"), ["code", "name", "kind", "price"],
                [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Kind"), "kind")],
                i18n=[("name", "name_i18n"), ("description", "description_i18n")],
                relations={"trim_ids": Relation("trims", Trim, _trim_choices),
                           "requires_ids": Relation("requires", Option, _option_choices),
                           "excludes_ids": Relation("excludes", Option, _option_choices),
                           "contents_ids": Relation("contents", Option, _option_choices)},
                inline="price",
                filters={"kind": (_l("Kind"), lambda: [("single", _("Single option")), ("package", _("Package"))])},
                order="code"),
        Section("accessories", "accessory_id", Accessory, f.AccessoryForm, _l("Accessories"),
                ["part_number", "name", "price", "labour"],
                [(_l("Part number"), "part_number"), (_l("Name"), "name")],
                i18n=[("name", "name_i18n")], relations={"model_ids": Relation("models", VehicleModel, _model_choices)},
                unique="part_number", inline="price", search=("part_number", "name"), order="part_number"),
        Section("warranties", "warranty_id", Warranty, f.WarrantyForm, _l("Warranties"), ["name", "years", "distance_km"],
                [(_l("Name"), "name"), (_l("Years"), "years"), (_l("Distance (km)"), "distance_km")],
                i18n=[("name", "name_i18n"), ("terms", "terms_i18n")],
                relations={"model_ids": Relation("models", VehicleModel, _model_choices)}, unique=None,
                search=("name",)),
        Section("videos", "video_id", Video, f.VideoForm, _l("Videos"), ["name", "url"],
                [(_l("Title"), "name"), (_l("URL"), "url")], i18n=[("name", "name_i18n")],
                relations={"model_ids": Relation("models", VehicleModel, _model_choices)}, unique=None,
                search=("name", "url")),
        Section("reviews", "review_id", ExpertReview, f.ExpertReviewForm, _l("Expert reviews"),
                ["source", "reviewer", "rating", "quote", "url"],
                [(_l("Source"), "source"), (_l("Reviewer"), "reviewer"), (_l("Rating"), "rating")],
                i18n=[("quote", "quote_i18n")], relations={"model_ids": Relation("models", VehicleModel, _model_choices)},
                unique=None, search=("source", "reviewer", "quote")),
    ]
}


def _value(obj, path: str):
    """Resolve ``"model.name"`` / ``"trims|length"`` for a list cell."""
    attr, _sep, op = path.partition("|")
    value = obj
    for part in attr.split("."):
        if part == "name" and callable(getattr(value, "label", None)):
            return value.label(locale())  # a translatable catalog name: the reader's language
        value = getattr(value, part, None)
        if value is None:
            return ""
    if op == "length":
        return len(value)
    return value


def _prepare(section: Section, form) -> None:
    for name, choices in section.selects.items():
        form[name].choices = choices()
    for name, relation in section.relations.items():
        form[name].choices = relation.choices()


def _fill(section: Section, form, obj) -> None:
    for name, relation in section.relations.items():
        form[name].data = [o.id for o in getattr(obj, relation.attr)]
    for attr, column in section.i18n:
        f.fill_translations(form, attr, getattr(obj, column))
    if section.key == "trims":
        form.key_specs.data = "\n".join(f"{k}: {v}" for k, v in (obj.key_specs or {}).items())


def _values(section: Section, form) -> dict:
    values = {name: form[name].data for name in section.scalars}
    for name in ("sort_order",):
        if name in values and values[name] is None:
            values[name] = 0
    for attr, column in section.i18n:
        values[column] = f.translations_data(form, attr)
    if section.key == "trims":
        specs = {}
        for line in (form.key_specs.data or "").splitlines():
            key, _sep, val = line.partition(":")
            if key.strip():
                specs[key.strip()] = val.strip()
        values["key_specs"] = specs
    if section.key == "reviews" and values.get("rating") is not None:
        values["rating"] = values["rating"].quantize(Decimal("0.1"))
    return values


def _unique_taken(section: Section, form, obj) -> bool:
    if not section.unique:
        return False
    column = getattr(section.model, section.unique)
    query = select(section.model.id).where(column == form[section.unique].data)
    if obj.id is not None:
        query = query.where(section.model.id != obj.id)
    return db.session.scalar(query) is not None


def _save_hero_image(form, obj) -> bool:
    upload = form.hero_image.data
    if not upload or not getattr(upload, "filename", ""):
        return True
    try:
        image = process_image(upload.read(), max_bytes=current_app.config.get("CATALOG_IMAGE_MAX_BYTES", 8 * 1024 * 1024))
    except ImageRejected as exc:
        form.hero_image.errors = [error_message(exc)]
        return False
    obj.hero_image_key = get_storage(current_app.config).save(image.data, area="catalog", extension=image.extension)
    return True


def _edit(section: Section, obj):
    form = section.form(obj=obj if obj.id is not None else None)
    _prepare(section, form)
    if request.method == "GET" and obj.id is not None:
        _fill(section, form, obj)
    problems: list[str] = []
    if form.validate_on_submit():
        if _unique_taken(section, form, obj):
            form[section.unique].errors.append(_("This code is already used in your catalog."))
        else:
            relations = {rel.attr: _rows(rel.model, form[name].data) for name, rel in section.relations.items()}
            try:
                if section.key == "models" and not _save_hero_image(form, obj):
                    raise catalog_service.CatalogError([])
                if section.key == "options":
                    catalog_service.save_option(db.session, obj, _values(section, form), **relations)
                else:
                    catalog_service.save(db.session, obj, _values(section, form), relations)
            except catalog_service.CatalogError as exc:
                db.session.rollback()
                problems = exc.messages
            else:
                db.session.commit()
                flash(_("Saved. Publish the catalog to show the change to dealers."), "success")
                return redirect(url_for(f"corporate.{section.key}_list"))
    status = form_error_status() if request.method == "POST" else 200
    return render("corporate/catalog/form.html", section=section, form=form, obj=obj, problems=problems,
                  status=status, **_trim_extras(section, obj))


def _trim_extras(section: Section, obj) -> dict:
    if section.key != "trims" or obj.id is None:
        return {}
    colors = db.session.scalars(select(Color).where(Color.active.is_(True)).order_by(Color.kind, Color.code)).all()
    return {"matrix_colors": colors, "offered": {tc.color_id: tc for tc in obj.colors},
            "config_form": _configuration_form(obj)}


def _configuration_form(trim: Trim):
    form = f.ConfigurationForm(request.args if "check" in request.args else None)
    offered = sorted(trim.colors, key=lambda tc: tc.color.code)
    form.exterior.choices = [("", "—")] + [(tc.color.code, _name(tc.color)) for tc in offered if tc.color.kind == "exterior"]
    form.interior.choices = [("", "—")] + [(tc.color.code, _name(tc.color)) for tc in offered if tc.color.kind == "interior"]
    options = db.session.scalars(select(Option).where(Option.active.is_(True)).order_by(Option.code)).all()
    form.options.choices = [(o.code, f"{o.code} · {_name(o)}") for o in options if not o.trims or trim in o.trims]
    return form


def _list(section: Section):
    model = section.model
    query = select(model)
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(or_(*[contains_text(getattr(model, c), q) for c in section.search]))
    active_filters = {}
    for column, (_label, choices) in section.filters.items():
        value = request.args.get(column, "")
        if value:
            allowed = {str(v) for v, _l2 in choices()}
            if value in allowed:
                query = query.where(getattr(model, column) == (int(value) if column.endswith("_id") else value))
                active_filters[column] = value
    show = request.args.get("show", "active")
    if show == "active":
        query = query.where(model.active.is_(True))
    items = db.session.scalars(query.order_by(getattr(model, section.order), model.id)).all()
    filters = [(column, label, choices()) for column, (label, choices) in section.filters.items()]
    return render("corporate/catalog/list.html", "corporate/catalog/_list.html", section=section, items=items,
                  q=q, filters=filters, active_filters=active_filters, show=show, value=_value,
                  sections=SECTIONS, action_form=f.ActionForm())


def _inline(section: Section, obj):
    form = f.PriceForm()
    if request.method == "GET":
        form.price.data = getattr(obj, section.inline)
        return render("corporate/catalog/_row_edit.html", section=section, item=obj, form=form, value=_value)
    if form.validate_on_submit():
        catalog_service.save(db.session, obj, {section.inline: form.price.data})
        db.session.commit()
        response = render("corporate/catalog/_row.html", section=section, item=obj, value=_value,
                          action_form=f.ActionForm())
        response.headers["HX-Trigger"] = "catalog-changed"
        return response
    return render("corporate/catalog/_row_edit.html", section=section, item=obj, form=form, value=_value,
                  status=422)


def _toggle(section: Section, obj):
    form = f.ActionForm()
    if not form.validate_on_submit():
        return render("errors/error.html", code=400, title=_("Bad request"), message=_("Please try again."), status=400)
    catalog_service.set_active(db.session, obj, not obj.active)
    db.session.commit()
    if htmx:
        response = render("corporate/catalog/_row.html", section=section, item=obj, value=_value, action_form=form)
        response.headers["HX-Trigger"] = "catalog-changed"
        return response
    return redirect(url_for(f"corporate.{section.key}_list"))


def _register(section: Section) -> None:
    param = section.param

    def list_view():
        return _list(section)

    def new_view():
        return _edit(section, section.model())

    def edit_view(**kwargs):
        return _edit(section, get_or_404(section.model, kwargs[param]))

    def inline_view(**kwargs):
        return _inline(section, get_or_404(section.model, kwargs[param]))

    def toggle_view(**kwargs):
        return _toggle(section, get_or_404(section.model, kwargs[param]))

    base = f"/catalog/{section.key}"
    bp.add_url_rule(f"{base}/", f"{section.key}_list", require(Permission.MANAGE_CATALOG)(list_view))
    bp.add_url_rule(f"{base}/new", f"{section.key}_new", require(Permission.MANAGE_CATALOG)(new_view),
                    methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:{param}>", f"{section.key}_edit", require(Permission.MANAGE_CATALOG)(edit_view),
                    methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:{param}>/active", f"{section.key}_toggle",
                    require(Permission.MANAGE_CATALOG)(toggle_view), methods=["POST"])
    if section.inline:
        bp.add_url_rule(f"{base}/<int:{param}>/price", f"{section.key}_inline",
                        require(Permission.MANAGE_CATALOG)(inline_view), methods=["GET", "POST"])


for _section in SECTIONS.values():
    _register(_section)


# --- trim × color matrix, excluded pairs, configuration check ------------------------------------------


@bp.route("/catalog/trims/<int:trim_id>/colors", methods=["POST"])
@require(Permission.MANAGE_CATALOG)
def trim_colors(trim_id: int):
    """Save which colors the trim offers and each one's surcharge (blank = the color's default)."""
    trim = get_or_404(Trim, trim_id)
    form = f.ActionForm()
    if not form.validate_on_submit():
        return render("errors/error.html", code=400, title=_("Bad request"), message=_("Please try again."), status=400)
    offers: dict[int, Decimal | None] = {}
    errors: list[str] = []
    for raw in request.form.getlist("color"):
        color_id = f.coerce_id(raw)
        text = (request.form.get(f"surcharge_{color_id}") or "").strip().replace(",", "")
        try:
            offers[color_id] = parse_decimal(text) if text else None
        except InputError:
            errors.append(_("“%(value)s” is not an amount.", value=text[:40]))
    if not errors:
        try:
            catalog_service.set_trim_colors(db.session, trim, offers)
        except catalog_service.CatalogError as exc:
            errors = exc.messages
    if errors:
        db.session.rollback()
        for message in errors:
            flash(message, "error")
        return redirect(url_for("corporate.trims_edit", trim_id=trim.id) + "#colors")
    db.session.commit()
    flash(_("Colors of %(trim)s saved.", trim=_name(trim)), "success")
    return redirect(url_for("corporate.trims_edit", trim_id=trim.id) + "#colors")


@bp.route("/catalog/color-exclusions", methods=["GET", "POST"])
@require(Permission.MANAGE_CATALOG)
def color_exclusions():
    """List and add exterior/interior pairs that may not be built."""
    form = f.ColorExclusionForm()
    form.exterior_id.choices = [
        (c.id, f"{c.code} · {_name(c)}") for c in db.session.scalars(
            select(Color).where(Color.kind == "exterior").order_by(Color.code))]
    form.interior_id.choices = [(c.id, f"{c.code} · {_name(c)}") for c in db.session.scalars(
        select(Color).where(Color.kind == "interior").order_by(Color.code))]
    form.trim_id.choices = [(0, _("Every trim"))] + _trim_choices()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            trim = get_or_404(Trim, form.trim_id.data) if form.trim_id.data else None
            try:
                catalog_service.add_color_exclusion(db.session, get_or_404(Color, form.exterior_id.data),
                                                    get_or_404(Color, form.interior_id.data), trim)
            except catalog_service.CatalogError as exc:
                db.session.rollback()
                form.exterior_id.errors = list(exc.messages)
                status = form_error_status()
            else:
                db.session.commit()
                flash(_("Color pair excluded."), "success")
                return redirect(url_for("corporate.color_exclusions"))
        else:
            status = form_error_status()
    rows = db.session.scalars(select(ColorPairExclusion).order_by(ColorPairExclusion.id)).all()
    return render("corporate/catalog/exclusions.html", form=form, rows=rows, action_form=f.ActionForm(),
                  sections=SECTIONS, status=status)


@bp.route("/catalog/color-exclusions/<int:exclusion_id>/delete", methods=["POST"])
@require(Permission.MANAGE_CATALOG)
def color_exclusion_delete(exclusion_id: int):
    """Allow an excluded pair again."""
    row = get_or_404(ColorPairExclusion, exclusion_id)
    if not f.ActionForm().validate_on_submit():
        return render("errors/error.html", code=400, title=_("Bad request"), message=_("Please try again."), status=400)
    catalog_service.remove_color_exclusion(db.session, row)
    db.session.commit()
    flash(_("Color pair allowed again."), "success")
    return redirect(url_for("corporate.color_exclusions"))


@bp.route("/catalog/trims/<int:trim_id>/check")
@require(Permission.MANAGE_CATALOG)
def trim_check(trim_id: int):
    """Validate a build of this trim (colors + options) against the draft rules; nothing is saved."""
    trim = get_or_404(Trim, trim_id)
    form = _configuration_form(trim)
    result = None
    if form.validate():
        result = rules.validate_configuration(
            rules.Configuration(trim.code, form.exterior.data or None, form.interior.data or None,
                                frozenset(form.options.data or [])),
            catalog_service.option_catalog(db.session, locale()),
        )
    return render("corporate/catalog/_check.html", "corporate/catalog/_check.html", trim=trim, result=result,
                  config_form=form, status=200 if result is not None else 422)


@bp.route("/catalog/publish", methods=["GET", "POST"])
@require(Permission.MANAGE_CATALOG)
def catalog_publish():
    """Show what is published and publish the current draft as a new release."""
    form = f.ActionForm()
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                release = catalog_service.publish_catalog(db.session, user_id=current_user.id)
            except catalog_service.CatalogError as exc:
                db.session.rollback()
                problems = exc.messages
                status = form_error_status()
            else:
                db.session.commit()
                flash(_("Catalog version %(version)s is published to every dealer.", version=release.version), "success")
                return redirect(url_for("corporate.catalog_publish"))
        else:
            status = 400
    release = catalog_service.published_catalog(db.session)
    return render("corporate/catalog/publish.html", form=form, release=release, problems=problems,
                  pending=catalog_service.has_unpublished_changes(db.session, release), sections=SECTIONS,
                  brand=g.brand, status=status, locale=locale())
