"""The offer builder pages: new offer, edit (new revision), and the one re-price endpoint.

Every change in the form POSTs the whole form to ``offers.reprice``, which answers the price panel
(plus, out of band, the vehicle choices or customer results when those inputs changed — the
``changed`` hidden field names the input, set by a capture-phase listener on the page). Saving posts
the same form to ``offers.new`` / ``offers.edit``: errors re-render the builder with every typed
value and field-level messages (422), success answers ``HX-Redirect`` to the offer.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.access import require_menu
from app.blueprints.offers import bp
from app.blueprints.offers.forms import OfferBuilderForm
from app.blueprints.offers.routes import _can_act_on, _load
from app.database import contains_text
from app.domain.offer_states import EDITABLE
from app.extensions import db, htmx
from app.i18n import error_message
from app.models.base import utcnow
from app.models.catalog import CatalogRelease, localized
from app.models.customers import Customer
from app.models.inventory import ONLINE_STATUSES, StockVehicle
from app.models.offers import Offer
from app.services import customers as customer_service
from app.services import dealer_settings, partner_banks
from app.services import offer_builder as builder
from app.services import offers as offer_service

VEHICLE_FIELDS = {"source", "model_code", "trim_code", "exterior_code", "interior_code", "option_codes", "accessory_codes",
                  "stock_q", "stock_id"}


def _locale() -> str:
    """Return the language the builder's reader sees: the UI locale (catalog and promotion names, reasons)."""
    locale = get_locale()
    return str(locale) if locale else g.dealer.locale


def _published_catalog() -> builder.CatalogData | None:
    release_id = db.session.scalar(select(func.max(CatalogRelease.id)))
    return builder.catalog_data(db.session, g.dealer.brand_id, release_id) if release_id else None


def _vehicle_choices(form: OfferBuilderForm, catalog: builder.CatalogData | None) -> None:
    """Fill the catalog selects for the chosen model and trim (from the cached release: no query)."""
    cur = g.dealer.currency
    locale = _locale()
    if catalog is None:
        return
    form.model_code.choices = [("", _("Choose a model"))] + [
        (m["code"], f"{localized(m.get('name_i18n'), locale, m['name'])} {m.get('model_year') or ''}".strip())
        for m in catalog.snapshot["models"]
    ]
    trims = catalog.trims_of(form.model_code.data or "")
    form.trim_code.choices = [("", _("Choose a trim"))] + [
        (t["code"], localized(t.get("name_i18n"), locale, t["name"])) for t in trims
    ]
    pair = catalog.trims.get(form.trim_code.data or "")
    trim = pair[1] if pair and pair[0]["code"] == form.model_code.data else None
    for select_field, key in ((form.exterior_code, "exterior_colors"), (form.interior_code, "interior_colors")):
        select_field.choices = [("", _("Choose a colour"))] + [
            (c["code"], localized(c.get("name_i18n"), locale, c["name"])) for c in (trim[key] if trim else [])
        ]
    form.option_codes.choices = [
        (o["code"], localized(o.get("name_i18n"), locale, o["name"])) for o in (catalog.options_for(trim["code"]) if trim else [])
    ]
    form.accessory_codes.choices = [
        (a["part_number"], localized(a.get("name_i18n"), locale, a["name"]))
        for a in (catalog.accessories_for(form.model_code.data) if form.model_code.data else [])
    ]
    form._prices = {  # noqa: SLF001 - per-request display data kept with the form
        "trims": {t["code"]: t["msrp"] for t in trims},
        "exterior": {c["code"]: c["surcharge"] for c in (trim["exterior_colors"] if trim else [])},
        "interior": {c["code"]: c["surcharge"] for c in (trim["interior_colors"] if trim else [])},
        "options": {o["code"]: o["price"] for o in (catalog.options_for(trim["code"]) if trim else [])},
        "accessories": {a["part_number"]: str(Decimal(a["price"]) + Decimal(a["labour"] or 0))
                        for a in catalog.accessories.values()},
        "currency": cur,
    }


def _page_choices(form: OfferBuilderForm) -> None:
    """Fill the choices that only the full page renders: presets and partner banks."""
    form.preset_ids.choices = [(p.id, p.name) for p in dealer_settings.presets(db.session, g.dealer) if p.active]
    banks = [("", _("Own APR"))] + [(str(b.id), b.name) for b in partner_banks.active_banks(db.session)]
    form.finance_bank_id.choices = banks
    form.lease_bank_id.choices = banks


def _stock_results(term: str) -> list[StockVehicle]:
    term = (term or "").strip()
    if not term:
        return []
    return list(db.session.scalars(
        select(StockVehicle)
        .where(StockVehicle.status.in_([s.value for s in ONLINE_STATUSES]), StockVehicle.price.is_not(None),
               or_(*(contains_text(column, term) for column in (
                   StockVehicle.vin, StockVehicle.stock_number, StockVehicle.model, StockVehicle.make))))
        .order_by(StockVehicle.model_year.desc(), StockVehicle.id).limit(8)
    ))


def _customer_results(term: str) -> list[Customer]:
    return customer_service.search(db.session, g.dealer, term, limit=8) if (term or "").strip() else []


def _apply_errors(form: OfferBuilderForm, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        if name in form._fields:
            field = form[name]
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)


def _build(form: OfferBuilderForm, locale: str | None = None) -> builder.Build:
    data = builder.BuilderInput.from_form(form.data)
    return builder.build(db.session, dealer=g.dealer, user=current_user, membership=g.membership, data=data,
                         now=utcnow(), locale=locale or _locale())


def _field_errors(form: OfferBuilderForm) -> list[tuple[str, str]]:
    """Return (label, message) for every field error, for the panel's summary."""
    rows = []
    for field in form:
        for message in field.errors:
            rows.append((str(field.label.text) if field.label else "", str(message)))
    rows.extend(("", str(m)) for m in form.form_errors)
    return rows


def _render_builder(form: OfferBuilderForm, result: builder.Build | None, *, offer: Offer | None, status: int = 200,
                    show_errors: bool = True, fragment: bool = False):
    catalog = (result.catalog if result and result.catalog else None) or _published_catalog()
    _vehicle_choices(form, catalog)
    _page_choices(form)
    customer = None
    if offer is not None:
        customer = offer.customer
    elif form.customer_id.data:
        customer = db.session.get(Customer, form.customer_id.data)
    stock = result.stock if result else None
    if stock is None and form.stock_id.data:
        stock = db.session.get(StockVehicle, form.stock_id.data)
    context = dict(
        form=form, result=result, offer=offer, customer=customer, customers=_customer_results(form.customer_q.data),
        stock=stock, stock_results=_stock_results(form.stock_q.data), show_errors=show_errors,
        errors=_field_errors(form) if show_errors else [], currency=g.dealer.currency, has_catalog=catalog is not None,
        save_url=url_for("offers.edit", offer_id=offer.id) if offer else url_for("offers.new"),
    )
    template = "offers/_builder.html" if fragment else "offers/builder.html"
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


@bp.route("/new", methods=["GET", "POST"])
@require_menu("offers")
def new():
    """The builder for a new offer; POST saves it (idempotent per the page's key) and opens it."""
    if request.method == "GET":
        # Open on what the dealer sells: a dealer whose brand has published no catalog (Toronto's used cars)
        # starts on its stock, not on an empty "New car" tab.
        source = "catalog" if _published_catalog() is not None else "stock"
        form = OfferBuilderForm(formdata=None, idempotency_key=secrets.token_urlsafe(16),
                                customer_id=request.args.get("customer_id", type=int), source=source)
        return _render_builder(form, None, offer=None, show_errors=False)
    return _save(None)


@bp.route("/<int:offer_id>/edit", methods=["GET", "POST"])
@require_menu("offers")
def edit(offer_id: int):
    """The builder on a saved offer; POST saves a new revision (voiding any approval)."""
    offer = _load(offer_id)
    if not _can_act_on(offer):
        abort(403)
    if offer.state not in EDITABLE:
        abort(409, _("This offer can no longer be changed."))
    if request.method == "GET":
        revision = offer_service.current_revision(offer)
        data = builder.BuilderInput.from_json(revision.inputs).to_form()
        form = OfferBuilderForm(formdata=None, data=data, base_revision_no=offer.current_revision_no,
                                customer_id=offer.customer_id)
        return _render_builder(form, _build(form), offer=offer)
    return _save(offer)


def _done(offer: Offer):
    url = url_for("offers.detail", offer_id=offer.id)
    if htmx:
        return "", 204, {"HX-Redirect": url}
    return redirect(url)


def _save(offer: Offer | None):
    form = OfferBuilderForm()
    status = 422 if htmx else 400
    fragment = bool(htmx)
    if not form.validate():
        return _render_builder(form, None, offer=offer, status=status, fragment=fragment)
    if offer is None:
        existing = builder.find_by_key(db.session, form.idempotency_key.data)
        if existing is not None:
            return _done(existing)  # a double tap or a retry after a dropped connection
    result = _build(form)
    if result.errors:
        _apply_errors(form, result.errors)
        return _render_builder(form, result, offer=offer, status=status, fragment=fragment)
    try:
        customer = None
        if offer is None:
            customer = builder.resolve_customer(
                db.session, g.dealer, customer_id=form.customer_id.data, name=form.new_customer_name.data or "",
                email=form.new_customer_email.data or "", phone=form.new_customer_phone.data or "", actor=current_user,
                privacy_accepted=form.new_customer_privacy.data, marketing_consent=form.new_customer_marketing.data,
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"])
        # The snapshot is what the customer reads: its catalog and promotion names are in the offer's language.
        reader = offer.locale if offer is not None else (customer.preferred_locale or g.dealer.locale)
        if reader != _locale():
            result = _build(form, reader)
        saved = builder.save(db.session, dealer=g.dealer, user=current_user, result=result, customer=customer, offer=offer,
                             base_revision_no=form.base_revision_no.data, idempotency_key=form.idempotency_key.data,
                             now=utcnow())
        db.session.commit()
    except builder.BuilderInvalid as exc:
        db.session.rollback()
        _apply_errors(form, exc.errors)
        return _render_builder(form, result, offer=offer, status=status, fragment=fragment)
    except offer_service.OfferError as exc:
        db.session.rollback()
        form.form_errors.append(error_message(exc))
        return _render_builder(form, result, offer=offer, status=409, fragment=fragment)
    except IntegrityError:
        # Two taps raced past the key lookup: the unique (dealer, key) index let one through.
        db.session.rollback()
        existing = builder.find_by_key(db.session, form.idempotency_key.data)
        if existing is None:
            raise
        return _done(existing)
    return _done(saved)


@bp.route("/reprice", methods=["POST"])
@require_menu("offers")
def reprice():
    """Price the posted builder form; answer the price panel (and changed choices out of band). Never a 500 for bad input."""
    form = OfferBuilderForm()
    valid = form.validate()
    result = _build(form) if valid else None
    if result is not None and result.errors:
        _apply_errors(form, result.errors)
    changed = (form.changed.data or "").split("-")[0]
    context = dict(form=form, result=result, errors=_field_errors(form), currency=g.dealer.currency, show_errors=True,
                   oob=True)
    if changed in VEHICLE_FIELDS:
        catalog = (result.catalog if result else None) or (_published_catalog() if form.source.data != "stock" else None)
        _vehicle_choices(form, catalog)
        context.update(stock=result.stock if result else None, stock_results=_stock_results(form.stock_q.data),
                       show_vehicle=True)
    if changed == "customer_q":
        context.update(customers=_customer_results(form.customer_q.data), show_customers=True,
                       customer=db.session.get(Customer, form.customer_id.data) if form.customer_id.data else None)
    priced = result is not None and result.priced is not None
    # Nothing could be priced (a rule conflict, colours not chosen yet, a bad number): keep the panel's last good
    # price on screen and swap only its message area (out of band), marked "for your last valid choice".
    context.update(keep_price=not priced, status_oob=not priced, stale=not priced)
    response = make_response(render_template("offers/_reprice.html", **context))
    if not priced:
        response.headers["HX-Reswap"] = "none"
    response.vary.add("HX-Request")
    return response
