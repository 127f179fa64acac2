"""Inventory views: stock list and vehicle page, file import (upload → mapping → dry run → commit), API keys.

Every query runs in the dealer's tenant scope set by ``tenant_blueprint``; ids of another dealer's
rows therefore do not resolve (404).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import PurePosixPath

from flask import Response, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.access import require, require_menu
from app.blueprints.inventory import bp
from app.blueprints.inventory.forms import (
    ApiKeyForm,
    ConfirmForm,
    CostForm,
    CostListForm,
    FilterForm,
    MappingOptionsForm,
    StatusForm,
    UploadForm,
    field_choices,
)
from app.blueprints.inventory.labels import (
    CONDITION_LABELS,
    FIELD_LABELS,
    IMPORT_STATUS_LABELS,
    MODE_LABELS,
    STATUS_LABELS,
)
from app.database import contains_text
from app.domain.roles import Permission
from app.extensions import db, htmx
from app.i18n import error_message
from app.imports.mapping import CanonicalField, ColumnMapping
from app.imports.photos import PhotoLimits
from app.imports.readers import ImportFileError, read_table, verify_zip
from app.imports.values import csv_safe
from app.input import parse_ids
from app.models.base import utcnow
from app.models.inventory import (
    ApiKey,
    ImportBatch,
    ImportMode,
    ImportStatus,
    StockVehicle,
    VehiclePhoto,
    VehicleStatus,
)
from app.services import api_keys, inventory_jobs, stock_costs
from app.services.inventory_import import change_status, mapping_to_dict, remember_mapping, remembered_mapping
from app.services.inventory_jobs import COMMIT, DRY_RUN, delete_stored, dispatch, release_upload
from app.services.storage import StorageError, get_storage

PAGE_SIZE = 25
ISSUES_SHOWN = 200


@bp.context_processor
def _labels():
    return {
        "status_labels": STATUS_LABELS,
        "condition_labels": CONDITION_LABELS,
        "import_status_labels": IMPORT_STATUS_LABELS,
        "mode_labels": MODE_LABELS,
        "field_labels": FIELD_LABELS,
    }


def _fragment_wanted() -> bool:
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _vary(response):
    response = make_response(response)
    response.headers["Vary"] = "HX-Request"
    return response


def _go(endpoint: str, **values):
    """Redirect after a write: ``HX-Redirect`` for HTMX (htmx ignores 3xx targets), 303 otherwise."""
    url = url_for(endpoint, **values)
    if htmx:
        return "", 204, {"HX-Redirect": url}
    return redirect(url, code=303)


# --- stock list ------------------------------------------------------------------------------


def _filtered(form: FilterForm):
    stmt = select(StockVehicle)
    if form.status.data:
        stmt = stmt.where(StockVehicle.status == VehicleStatus(form.status.data))
    if form.condition.data:
        stmt = stmt.where(StockVehicle.condition == form.condition.data)
    if form.q.data:
        term = form.q.data.strip()
        stmt = stmt.where(or_(contains_text(StockVehicle.make, term), contains_text(StockVehicle.model, term)))
    if form.year_from.data:
        stmt = stmt.where(StockVehicle.model_year >= form.year_from.data)
    if form.year_to.data:
        stmt = stmt.where(StockVehicle.model_year <= form.year_to.data)
    if form.price_min.data is not None:
        stmt = stmt.where(StockVehicle.price >= form.price_min.data)
    if form.price_max.data is not None:
        stmt = stmt.where(StockVehicle.price <= form.price_max.data)
    if form.min_days.data is not None:
        stmt = stmt.where(StockVehicle.arrival_date <= utcnow().date() - timedelta(days=form.min_days.data))
    if form.cost.data == "unknown":
        stmt = stmt.where(StockVehicle.acquisition_cost.is_(None))
    elif form.cost.data == "known":
        stmt = stmt.where(StockVehicle.acquisition_cost.is_not(None))
    return stmt


@bp.route("/")
@require_menu("inventory")
def index():
    """Stock list with filters and HTMX paging; the table alone for HTMX requests."""
    form = FilterForm(request.args)
    valid = form.validate()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stmt = _filtered(form) if valid else select(StockVehicle)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    vehicles = db.session.scalars(
        stmt.order_by(StockVehicle.arrival_date.desc(), StockVehicle.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    context = dict(
        form=form, vehicles=vehicles, total=total, page=page, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        args=args, today=utcnow().date(), status_form=StatusForm(),
    )
    template = "inventory/_table.html" if _fragment_wanted() else "inventory/index.html"
    return _vary(render_template(template, **context))


@bp.route("/bulk-status", methods=["POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def bulk_status():
    """Set the status of every ticked vehicle (audit-logged per vehicle)."""
    form = StatusForm()
    ids = parse_ids(request.form.getlist("vehicle_ids"))
    if not form.validate() or not ids:
        flash(_("Tick at least one vehicle and choose a status."), "error")
        return _go("inventory.index")
    vehicles = db.session.scalars(select(StockVehicle).where(StockVehicle.id.in_(ids))).all()
    if len(vehicles) != len(set(ids)):
        abort(404)
    changed = sum(change_status(db.session, v, VehicleStatus(form.status.data)) for v in vehicles)
    db.session.commit()
    flash(_("Status changed for %(count)d vehicles.", count=changed), "success")
    return _go("inventory.index")


def _vehicle_page(obj: StockVehicle, *, form: StatusForm | None = None, cost_form: CostForm | None = None):
    form = form or StatusForm(status=obj.status.value)
    cost_form = cost_form or CostForm(formdata=None, cost=obj.acquisition_cost)
    return render_template("inventory/vehicle.html", vehicle=obj, form=form, cost_form=cost_form, today=utcnow().date())


@bp.route("/vehicles/<int:vehicle_id>")
@require_menu("inventory")
def vehicle(vehicle_id: int):
    """One vehicle with its photos and status history stamps (and its cost form for inventory managers)."""
    return _vehicle_page(db.get_or_404(StockVehicle, vehicle_id))


@bp.route("/vehicles/<int:vehicle_id>/cost", methods=["POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def vehicle_cost(vehicle_id: int):
    """Set or clear (empty field) one vehicle's acquisition cost; bad input re-renders the page with the message."""
    obj = db.get_or_404(StockVehicle, vehicle_id)
    form = CostForm()
    if form.validate():
        try:
            changed = stock_costs.change_cost(db.session, obj, form.cost.data, g.dealer)
        except stock_costs.CostError as exc:
            db.session.rollback()
            form.cost.errors.append(exc.message)
        else:
            db.session.commit()
            if changed:
                flash(_("Acquisition cost saved.") if obj.acquisition_cost is not None
                      else _("Acquisition cost cleared: the car now follows your unknown-cost rule."), "success")
            return _go("inventory.vehicle", vehicle_id=obj.id)
    return _vehicle_page(obj, cost_form=form), 400


@bp.route("/costs", methods=["GET", "POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def costs():
    """Set the acquisition costs of several cars at once, all or nothing.

    GET with ``vehicle_ids`` (the cars ticked on the stock list) fills the box with their stock
    numbers and current costs. POST takes the pasted lines or a CSV file of ``stock number or VIN,
    cost``; any bad line (unknown car, not an amount, 0, a car twice) saves nothing and is listed.
    """
    if request.method == "GET" and _fragment_wanted():
        # The stock list's "enter costs of ticked cars" button goes through htmx: load the page itself.
        return "", 204, {"HX-Redirect": request.full_path}
    form = CostListForm()
    errors: list[stock_costs.CostError] = []
    if request.method == "GET":
        ids = parse_ids(request.args.getlist("vehicle_ids"))
        if ids:
            ticked = db.session.scalars(
                select(StockVehicle).where(StockVehicle.id.in_(ids)).order_by(StockVehicle.stock_number, StockVehicle.vin)
            ).all()
            form.lines.data = stock_costs.cost_list_text(ticked)
    elif form.validate_on_submit():
        text, errors = _cost_list_text(form)
        lines: list[stock_costs.CostLine] = []
        if not errors:
            lines, errors = stock_costs.parse_cost_list(text, g.dealer)
        if not errors and not lines:
            errors = [stock_costs.CostError(_l("Enter at least one line: stock number or VIN, then the cost."))]
        if not errors:
            try:
                changed = stock_costs.apply_cost_list(db.session, g.dealer, lines)
            except stock_costs.CostListError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                flash(ngettext("Cost saved for %(num)d vehicle.", "Costs saved for %(num)d vehicles.", changed), "success")
                return _go("inventory.costs")
    unknown = db.session.scalar(
        select(func.count()).select_from(StockVehicle).where(StockVehicle.acquisition_cost.is_(None))
    )
    status = 400 if request.method == "POST" else 200
    return render_template("inventory/costs.html", form=form, errors=errors, unknown=unknown), status


def _cost_list_text(form: CostListForm) -> tuple[str, list[stock_costs.CostError]]:
    """Return the list to read: the uploaded CSV (UTF-8) when one is chosen, else the pasted lines."""
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        return form.lines.data or "", []
    data = upload.read(2_000_001)
    if len(data) > 2_000_000:
        return "", [stock_costs.CostError(_l("The file is larger than 2 MB."))]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return "", [stock_costs.CostError(_l("Save the file as CSV in UTF-8 and try again."))]


@bp.route("/vehicles/<int:vehicle_id>/status", methods=["POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def vehicle_status(vehicle_id: int):
    """Change one vehicle's status."""
    obj = db.get_or_404(StockVehicle, vehicle_id)
    form = StatusForm()
    if not form.validate():
        return _vehicle_page(obj, form=form), 400
    if change_status(db.session, obj, VehicleStatus(form.status.data)):
        db.session.commit()
        flash(_("Status changed to %(status)s.", status=STATUS_LABELS[obj.status]), "success")
    return _go("inventory.vehicle", vehicle_id=obj.id)


@bp.route("/photos/<int:photo_id>")
@require_menu("inventory")
def photo(photo_id: int):
    """Serve a stored vehicle photo."""
    obj = db.get_or_404(VehiclePhoto, photo_id)
    try:
        data = get_storage(current_app.config).read(obj.storage_key)
    except StorageError:
        abort(404)
    response = Response(data, mimetype=obj.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- import ----------------------------------------------------------------------------------


def _read_upload(storage_file) -> tuple[bytes, str]:
    name = PurePosixPath((storage_file.filename or "upload").replace("\\", "/")).name[:255]
    return storage_file.read(), name


@bp.route("/import", methods=["GET", "POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def import_upload():
    """Step 1: upload the stock file (and photos); unreadable or hostile files are refused, nothing kept."""
    form = UploadForm()
    if form.validate_on_submit():
        data, name = _read_upload(form.file.data)
        photos, photos_name = (b"", "")
        if form.photos.data and form.photos.data.filename:
            photos, photos_name = _read_upload(form.photos.data)
        table = None
        try:
            table = read_table(data, name, encoding=form.encoding.data or None)
        except ImportFileError as exc:
            form.file.errors.append(error_message(exc))
        if photos:
            try:
                limits = PhotoLimits()
                if len(photos) > limits.max_zip_bytes:
                    raise ImportFileError(_("The photo ZIP is larger than the limit."))
                verify_zip(photos, limits.zip, what="photo ZIP")  # inflates each entry under a hard limit
            except ImportFileError as exc:
                form.photos.errors.append(str(exc))
        if table is None or form.photos.errors:
            return render_template("inventory/import_upload.html", form=form), 400
        storage = get_storage(current_app.config)
        batch = ImportBatch(
            user_id=current_user.id, source="file", file_name=name, file_format=table.format.value,
            file_key=storage.save(data, area="imports", extension="bin"), encoding=table.encoding,
            photos_name=photos_name, photos_key=storage.save(photos, area="imports", extension="zip") if photos else None,
        )
        db.session.add(batch)
        db.session.flush()
        db.session.commit()
        return _go("inventory.import_mapping", batch_id=batch.id)
    status = 400 if request.method == "POST" else 200
    return render_template("inventory/import_upload.html", form=form), status


def _batch_table(batch: ImportBatch):
    data = get_storage(current_app.config).read(batch.file_key)
    return read_table(data, batch.file_name, encoding=batch.encoding)


def _editable(batch_id: int) -> ImportBatch:
    batch = db.get_or_404(ImportBatch, batch_id)
    if batch.file_key is None:
        abort(404)
    return batch


@bp.route("/import/<int:batch_id>/mapping", methods=["GET", "POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def import_mapping(batch_id: int):
    """Step 2: confirm which column feeds which field (suggested, remembered), then start the dry run."""
    batch = _editable(batch_id)
    if batch.status not in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED, ImportStatus.FAILED):
        return _go("inventory.import_batch", batch_id=batch.id)
    table = _batch_table(batch)
    header = list(table.header)
    samples = [row.values for _, row in zip(range(3), table.rows(), strict=False)]
    options = MappingOptionsForm()
    suggested = remembered_mapping(db.session, header)
    errors: dict[int, str] = {}
    general: list[str] = []
    if request.method == "POST":
        chosen: dict[str, CanonicalField | None] = {}
        used: dict[CanonicalField, int] = {}
        valid_values = {value for value, _label in field_choices()}
        for index, column in enumerate(header):
            value = request.form.get(f"col-{index}", "")
            if value not in valid_values:
                errors[index] = _("Choose a field from the list.")
                continue
            target = CanonicalField(value) if value else None
            if target is not None and target in used:
                errors[index] = _("%(field)s is already fed by column %(column)s.", field=FIELD_LABELS[target],
                                  column=header[used[target]])
            elif target is not None:
                used[target] = index
            chosen[column] = target
        mapping = ColumnMapping(columns=chosen, alternatives={})
        if options.validate() and not errors:
            missing = mapping.missing_required()
            if missing:
                general.append(_("Map a column to each of: %(fields)s.", fields=", ".join(
                    str(_("VIN or stock number")) if m is CanonicalField.VIN else str(FIELD_LABELS[m]) for m in missing
                )))
            else:
                if options.remember.data:
                    remember_mapping(db.session, mapping)
                batch.mapping = mapping_to_dict(mapping)
                batch.mode = ImportMode(options.mode.data)
                batch.status = ImportStatus.QUEUED
                batch.phase = DRY_RUN
                db.session.commit()
                dispatch(batch, DRY_RUN, brand_id=g.dealer.brand_id)
                return _go("inventory.import_batch", batch_id=batch.id)
        suggested = mapping
    elif batch.mapping:
        options.mode.data = batch.mode.value
    context = dict(batch=batch, header=header, samples=samples, mapping=suggested, options=options, errors=errors,
                   general=general, choices=field_choices())
    return render_template("inventory/import_mapping.html", **context), (400 if request.method == "POST" else 200)


@bp.route("/import/<int:batch_id>")
@require_menu("inventory")
def import_batch(batch_id: int):
    """Step 3: the job's progress (HTMX polling) and then its report; the panel alone for HTMX requests."""
    batch = db.get_or_404(ImportBatch, batch_id)
    if inventory_jobs.reap_stalled(db.session, utcnow(), config=current_app.config, batch_id=batch.id):
        db.session.commit()
    redis_url = current_app.config.get("REDIS_URL") or ""
    # Queued on RQ with nobody listening: say so instead of polling forever, and let it be cancelled.
    no_worker = bool(batch.status is ImportStatus.QUEUED and batch.job_id and redis_url
                     and inventory_jobs.import_workers(redis_url) == 0)
    context = dict(batch=batch, issues=(batch.issues or [])[:ISSUES_SHOWN], form=ConfirmForm(), no_worker=no_worker)
    template = "inventory/_batch_panel.html" if _fragment_wanted() else "inventory/import_batch.html"
    return _vary(render_template(template, **context))


@bp.route("/import/<int:batch_id>/commit", methods=["POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def import_commit(batch_id: int):
    """Step 4: save the previewed import (runs the same checks again against the current stock)."""
    batch = db.get_or_404(ImportBatch, batch_id)  # a batch already saved has no upload left: say so, no 404
    if not ConfirmForm().validate() or batch.status is not ImportStatus.PREVIEWED or batch.file_key is None:
        flash(_("This import cannot be saved now; run the dry run first."), "error")
        return _go("inventory.import_batch", batch_id=batch.id)
    batch.status = ImportStatus.QUEUED
    batch.phase = COMMIT
    db.session.commit()
    dispatch(batch, COMMIT, brand_id=g.dealer.brand_id)
    return _go("inventory.import_batch", batch_id=batch.id)


@bp.route("/import/<int:batch_id>/discard", methods=["POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def import_discard(batch_id: int):
    """Drop an import that was not saved; its uploaded files are deleted, its report kept in the history."""
    batch = _editable(batch_id)
    if not ConfirmForm().validate() or batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.COMMITTED):
        abort(400)
    dropped = release_upload(batch)
    batch.status = ImportStatus.DISCARDED
    db.session.commit()
    delete_stored(dropped)
    flash(_("The import was discarded; nothing was saved."), "info")
    return _go("inventory.imports")


@bp.route("/import/<int:batch_id>/cancel", methods=["POST"])
@require_menu("inventory")
@require(Permission.MANAGE_INVENTORY)
def import_cancel(batch_id: int):
    """Cancel an import still waiting for a worker; it can then be run again or discarded."""
    batch = db.get_or_404(ImportBatch, batch_id)
    if not ConfirmForm().validate():
        abort(400)
    try:
        inventory_jobs.cancel_queued(db.session, batch, utcnow(), redis_url=current_app.config.get("REDIS_URL") or "")
    except ValueError:
        db.session.rollback()
        flash(_("This import has already started and can no longer be cancelled."), "error")
        return _go("inventory.import_batch", batch_id=batch_id)
    db.session.commit()
    flash(_("The import was cancelled. Nothing was saved."), "info")
    return _go("inventory.import_batch", batch_id=batch.id)


@bp.route("/import/<int:batch_id>/errors.csv")
@require_menu("inventory")
def import_errors(batch_id: int):
    """Every error and warning of an import as CSV; cells neutralised against spreadsheet formulas."""
    batch = db.get_or_404(ImportBatch, batch_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Row"), _("Column"), _("Value"), _("Reason"), _("Severity")])
    for issue in batch.issues or []:
        writer.writerow([csv_safe(issue["row"]), csv_safe(issue["column"]), csv_safe(issue["value"]),
                         csv_safe(issue["reason"]), csv_safe(issue["severity"])])
    filename = f"import-{batch.id}-errors.csv"
    return Response(
        "\ufeff" + out.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/imports")
@require_menu("inventory")
def imports():
    """Import history with counts, errors and warnings per import."""
    if inventory_jobs.reap_stalled(db.session, utcnow(), config=current_app.config):
        db.session.commit()
    batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.created_at.desc()).limit(100)).all()
    return render_template("inventory/imports.html", batches=batches)


# --- API keys --------------------------------------------------------------------------------


@bp.route("/api-keys", methods=["GET", "POST"])
@require_menu("inventory")
@require(Permission.MANAGE_DEALER_SETTINGS)
def api_keys_page():
    """The dealer's API keys; a new key is shown once, right after it is created."""
    form = ApiKeyForm()
    new_key = None
    status = 200
    if request.method == "POST":
        if form.validate():
            _key, new_key = api_keys.create_key(db.session, form.name.data, user_id=current_user.id)
            db.session.commit()
            form = ApiKeyForm(formdata=None)
        else:
            status = 400
    keys = db.session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())).all()
    return render_template("inventory/api_keys.html", form=form, keys=keys, new_key=new_key,
                           revoke_form=ConfirmForm()), status


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@require_menu("inventory")
@require(Permission.MANAGE_DEALER_SETTINGS)
def revoke_api_key(key_id: int):
    """Revoke a key: the next request with it gets 401."""
    key = db.get_or_404(ApiKey, key_id)
    if not ConfirmForm().validate():
        abort(400)
    if api_keys.revoke_key(db.session, key):
        db.session.commit()
        flash(_("The key %(name)s was revoked.", name=key.name), "success")
    return _go("inventory.api_keys_page")
