"""Promotion and banner views: HTMX list with a status filter, create/edit, publish, withdraw; banners with uploads."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.access import require
from app.blueprints.corporate import bp
from app.blueprints.corporate import forms as f
from app.blueprints.corporate.common import form_error_status, get_or_404, locale, render
from app.domain.promotions import PromotionStatus
from app.domain.roles import Permission
from app.extensions import db
from app.i18n import error_message
from app.models.accounts import Dealer
from app.models.catalog import Accessory, Option, Trim, VehicleModel
from app.models.promotions import Promotion, PromotionBanner
from app.services import promotions as service
from app.services.images import ImageRejected, process_image
from app.services.storage import get_storage

TARGET_FIELDS = {
    "target_models": ("model_codes", VehicleModel, "code"),
    "target_trims": ("trim_codes", Trim, "code"),
    "target_options": ("option_codes", Option, "code"),
    "target_accessories": ("accessory_codes", Accessory, "part_number"),
}
VALUE_FIELDS = ["code", "name", "kind", "scope", "amount", "percent", "apr", "apr_term_min", "apr_term_max",
                "benefit_value", "min_order_amount", "all_dealers", "valid_from", "valid_until", "priority",
                "exclusive", "budget_max_count", "budget_max_amount"]


def _dealer_choices():
    return [(d.id, f"{d.code} · {d.name}") for d in db.session.scalars(select(Dealer).order_by(Dealer.name))]


def _prepare(form) -> None:
    for name, (_key, model, attr) in TARGET_FIELDS.items():
        rows = db.session.scalars(select(model).order_by(getattr(model, attr))).all()
        form[name].choices = [(getattr(r, attr), f"{getattr(r, attr)} · {r.label(locale())}") for r in rows]
    form.accessory_code.choices = [("", "—")] + form.target_accessories.choices
    form.dealer_ids.choices = _dealer_choices()


def _parse_coupons(text: str) -> list[tuple[str, int | None]]:
    coupons = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        code, _sep, uses = line.partition(",")
        code = code.strip().upper()
        if not code or not code.replace("-", "").replace("_", "").isalnum():
            raise service.PromotionInvalid(_("Line %(n)s: “%(code)s” is not a valid code.", n=number, code=code), "coupons")
        uses = uses.strip()
        if uses and not uses.isdigit():
            raise service.PromotionInvalid(_("Line %(n)s: uses must be a whole number.", n=number), "coupons")
        coupons.append((code, None if uses == "0" else int(uses) if uses else 1))
    return coupons


def _promotion_form(row: Promotion):
    form = f.PromotionForm(obj=row if row.id is not None else None)
    _prepare(form)
    if request.method == "GET" and row.id is not None:
        for name, (key, _m, _a) in TARGET_FIELDS.items():
            form[name].data = list((row.targets or {}).get(key, []))
        form.dealer_ids.data = [d.id for d in row.dealers]
        form.accessory_code.data = row.accessory_code or ""
        form.coupons.data = "\n".join(f"{c.code},{c.max_uses or 0}" for c in row.coupons)
        f.fill_translations(form, "name", row.name_i18n)
        f.fill_translations(form, "text", row.text_i18n)
    return form


def _edit_promotion(row: Promotion):
    form = _promotion_form(row)
    status = 200
    if request.method == "POST":
        status = form_error_status()
        if form.validate_on_submit():
            values = {name: form[name].data for name in VALUE_FIELDS}
            values["priority"] = values["priority"] or 0
            values["currency"] = g.brand.currency
            values["accessory_code"] = form.accessory_code.data or None
            values["name_i18n"] = f.translations_data(form, "name")
            values["text_i18n"] = f.translations_data(form, "text")
            values["targets"] = {key: sorted(form[name].data or []) for name, (key, _m, _a) in TARGET_FIELDS.items()
                                 if form[name].data}
            dealers = [d for d in db.session.scalars(select(Dealer).where(Dealer.id.in_(form.dealer_ids.data or [])))]
            try:
                coupons = _parse_coupons(form.coupons.data)
                service.save_promotion(db.session, row, values, dealers=dealers, coupons=coupons,
                                       timezone=g.brand.timezone)
            except service.PromotionInvalid as exc:
                db.session.rollback()
                target = _FIELD_FOR.get(exc.field or "", exc.field)
                if target in form:
                    form[target].errors = [*form[target].errors, error_message(exc)]
                else:
                    flash(error_message(exc), "error")
            else:
                db.session.commit()
                flash(_("Promotion saved."), "success")
                return redirect(url_for("corporate.promotions"))
    return render("corporate/promotions/form.html", form=form, row=row, status=status,
                  state=service.status(row, g.brand.timezone) if row.id else None, action_form=f.ActionForm())


# Domain field names that are not form field names.
_FIELD_FOR = {"targets": "target_models", "eligible_dealer_ids": "dealer_ids", "max_count": "budget_max_count",
              "max_amount": "budget_max_amount", "timezone": "valid_from"}


@bp.route("/promotions/")
@require(Permission.MANAGE_PROMOTIONS)
def promotions():
    """Promotions with their status in the brand's time zone; filter by status and kind."""
    rows = db.session.scalars(select(Promotion).order_by(Promotion.priority.desc(), Promotion.code)).all()
    items = [(row, service.status(row, g.brand.timezone)) for row in rows]
    wanted_status = request.args.get("status", "")
    wanted_kind = request.args.get("kind", "")
    if wanted_status in {s.value for s in PromotionStatus}:
        items = [(r, s) for r, s in items if s.value == wanted_status]
    if wanted_kind:
        items = [(r, s) for r, s in items if r.kind == wanted_kind]
    return render("corporate/promotions/list.html", "corporate/promotions/_list.html", items=items,
                  wanted_status=wanted_status, wanted_kind=wanted_kind, statuses=list(PromotionStatus),
                  kinds=f.PromotionForm.kind.kwargs["choices"])


@bp.route("/promotions/new", methods=["GET", "POST"])
@require(Permission.MANAGE_PROMOTIONS)
def promotion_new():
    """Create a draft promotion."""
    return _edit_promotion(Promotion())


@bp.route("/promotions/<int:promotion_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_PROMOTIONS)
def promotion_edit(promotion_id: int):
    """Edit a promotion (pricing fields are frozen once it is active)."""
    return _edit_promotion(get_or_404(Promotion, promotion_id))


@bp.route("/promotions/<int:promotion_id>/<any(publish, withdraw):action>", methods=["POST"])
@require(Permission.MANAGE_PROMOTIONS)
def promotion_action(promotion_id: int, action: str):
    """Publish a draft or withdraw a promotion (lifecycle rules from the domain module)."""
    row = get_or_404(Promotion, promotion_id)
    if not f.ActionForm().validate_on_submit():
        flash(_("Your session form expired or was tampered with. Please try again."), "error")
        return redirect(url_for("corporate.promotion_edit", promotion_id=row.id))
    try:
        (service.publish if action == "publish" else service.withdraw)(db.session, row, g.brand.timezone)
    except service.PromotionInvalid as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
    else:
        db.session.commit()
        flash(_("Promotion published.") if action == "publish" else _("Promotion withdrawn."), "success")
    return redirect(url_for("corporate.promotion_edit", promotion_id=row.id))


# --- banners -----------------------------------------------------------------------------------------


@bp.route("/banners/")
@require(Permission.MANAGE_PROMOTIONS)
def banners():
    """Banners in display order with whether each is live now."""
    rows = db.session.scalars(select(PromotionBanner).order_by(PromotionBanner.sort_order, PromotionBanner.id)).all()
    from app.models.base import utcnow

    now = utcnow()
    items = [(b, service.banner_is_live(b, g.brand.timezone, now)) for b in rows]
    return render("corporate/promotions/banners.html", items=items, action_form=f.ActionForm())


def _edit_banner(row: PromotionBanner):
    form = f.BannerForm(obj=row if row.id is not None else None)
    form.dealer_ids.choices = _dealer_choices()
    if request.method == "GET" and row.id is not None:
        form.dealer_ids.data = [d.id for d in row.dealers]
        f.fill_translations(form, "headline", row.headline_i18n)
        f.fill_translations(form, "link", row.link_i18n)
    status = 200
    if request.method == "POST":
        status = form_error_status()
        if form.validate_on_submit():
            values = {"all_dealers": form.all_dealers.data, "starts_at": form.starts_at.data, "ends_at": form.ends_at.data,
                      "sort_order": form.sort_order.data or 0, "headline_i18n": f.translations_data(form, "headline"),
                      "link_i18n": f.translations_data(form, "link")}
            bad_links = [v for v in values["link_i18n"].values() if not v.startswith(("https://", "/"))]
            upload = form.image.data
            try:
                if bad_links:
                    raise service.PromotionInvalid(_("Links must start with https:// or /."), "link_en")
                if upload and getattr(upload, "filename", ""):
                    try:
                        image = process_image(upload.read(), max_bytes=current_app.config.get(
                            "BANNER_IMAGE_MAX_BYTES", 5 * 1024 * 1024), display_box=(1600, 600))
                    except ImageRejected as exc:
                        raise service.PromotionInvalid(exc.args[0], "image") from exc
                    values["image_key"] = "pending"
                dealers = list(db.session.scalars(select(Dealer).where(Dealer.id.in_(form.dealer_ids.data or []))))
                service.check_banner(row, values, dealers)
                if "image_key" in values:
                    # Stored only once everything else is valid, so a rejected form leaves no orphan file.
                    values["image_key"] = get_storage(current_app.config).save(image.data, area="banners",
                                                                               extension=image.extension)
                service.save_banner(db.session, row, values, dealers=dealers)
            except service.PromotionInvalid as exc:
                db.session.rollback()
                target = exc.field if exc.field in form else None
                if target:
                    form[target].errors = [*form[target].errors, error_message(exc)]
                else:
                    flash(error_message(exc), "error")
            else:
                db.session.commit()
                flash(_("Banner saved."), "success")
                return redirect(url_for("corporate.banners"))
    return render("corporate/promotions/banner_form.html", form=form, obj=row, status=status)


@bp.route("/banners/new", methods=["GET", "POST"])
@require(Permission.MANAGE_PROMOTIONS)
def banner_new():
    """Create a banner."""
    return _edit_banner(PromotionBanner())


@bp.route("/banners/<int:banner_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_PROMOTIONS)
def banner_edit(banner_id: int):
    """Edit a banner."""
    return _edit_banner(get_or_404(PromotionBanner, banner_id))


@bp.route("/banners/<int:banner_id>/active", methods=["POST"])
@require(Permission.MANAGE_PROMOTIONS)
def banner_toggle(banner_id: int):
    """Show or hide a banner."""
    row = get_or_404(PromotionBanner, banner_id)
    if f.ActionForm().validate_on_submit():
        service.set_banner_active(db.session, row, not row.active)
        db.session.commit()
    return redirect(url_for("corporate.banners"))
