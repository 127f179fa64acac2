"""Price-list import: upload CSV/XLSX → preview (changes and row-level errors, nothing saved) → confirm.

Between preview and confirm the uploaded bytes stay on the server (storage area ``imports/``);
the confirm form carries only a signed, time-limited token naming that file, the brand, the user
and a digest of the previewed changes. Confirm reads the stored file again and re-plans it against
the current draft, so a re-posted or tampered preview can never be applied, and a draft edited in
between is shown again instead of being applied blindly. The write is one transaction.
"""

from __future__ import annotations

import csv
import io

from flask import Response, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.access import require
from app.blueprints.corporate import bp
from app.blueprints.corporate import forms as f
from app.blueprints.corporate.common import form_error_status, render
from app.domain.money import round_money
from app.domain.roles import Permission
from app.extensions import db, htmx
from app.imports.price_list import COLUMN_ALIASES, parse_price_list, resolve_columns
from app.imports.readers import SUPPORTED_ENCODINGS, FileFormat, ImportFileError, read_table
from app.imports.values import csv_safe
from app.models.catalog import Accessory, Option, Trim
from app.services import catalog as catalog_service
from app.services import price_import as service
from app.services.storage import StorageError, get_storage

TOKEN_SALT = "corporate-price-import"  # noqa: S105 - a signing namespace, not a secret
TOKEN_MAX_AGE = 3600  # seconds a preview stays confirmable
STORAGE_AREA = "imports"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=TOKEN_SALT)


def _upload_form() -> f.PriceImportForm:
    form = f.PriceImportForm()
    form.encoding.choices = [("", _("Recognise automatically"))] + [(k, _(v)) for k, v in SUPPORTED_ENCODINGS.items()]
    return form


def _plan(data: bytes, filename: str, encoding: str | None) -> tuple[service.PriceListPlan | None, str | None, str]:
    """Read and plan ``data``; return ``(plan, file error, format)`` — the plan is None when the file is unreadable."""
    try:
        table = read_table(data, filename, encoding=encoding or None,
                           max_bytes=current_app.config.get("PRICE_LIST_MAX_BYTES", 5 * 1024 * 1024),
                           max_rows=current_app.config.get("PRICE_LIST_MAX_ROWS", 5000))
        if table.format is FileFormat.XML:
            raise ImportFileError(_("Upload the price list as CSV or XLSX."))
        columns = resolve_columns(table.header)
        rows, errors = parse_price_list(table, g.brand.currency)
    except ImportFileError as exc:
        return None, str(exc), ""
    return service.plan_price_list(db.session, rows, errors, columns), None, table.format.value


def _result(form, *, plan=None, file_error=None, token=None, notice=None, problems=None, filename="", status=200):
    confirm_form = f.PriceImportConfirmForm(formdata=None, token=token) if token else None
    return render("corporate/catalog/price_import.html", "corporate/catalog/_price_import_result.html",
                  form=form, plan=plan, file_error=file_error, confirm_form=confirm_form, notice=notice,
                  problems=problems or [], filename=filename, aliases=COLUMN_ALIASES, status=status)


@bp.route("/catalog/price-import", methods=["GET", "POST"])
@require(Permission.MANAGE_CATALOG)
def price_import():
    """Show the upload form; on POST, preview the file's changes and errors without saving anything."""
    form = _upload_form()
    if request.method == "GET":
        return _result(form)
    if not form.validate_on_submit():
        return _result(form, status=form_error_status())
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        form.file.errors = [_("Choose a CSV or XLSX file.")]
        return _result(form, status=form_error_status())
    data = upload.read()
    plan, file_error, file_format = _plan(data, upload.filename, form.encoding.data)
    if plan is None or not plan.ok:
        return _result(form, plan=plan, file_error=file_error, filename=upload.filename, status=form_error_status())
    token = None
    if plan.count("new") or plan.count("changed"):
        key = get_storage(current_app.config).save(data, area=STORAGE_AREA, extension=file_format)
        token = _serializer().dumps({"key": key, "brand": g.brand.id, "user": current_user.id,
                                     "name": upload.filename[:200], "encoding": form.encoding.data or "",
                                     "digest": plan.digest()})
    return _result(form, plan=plan, token=token, filename=upload.filename)


def _token_payload(token: str) -> dict | None:
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(payload, dict) or payload.get("brand") != g.brand.id or payload.get("user") != current_user.id:
        return None
    key = payload.get("key")
    if not isinstance(key, str) or not key.startswith(f"{STORAGE_AREA}/"):
        return None
    return payload


def _back_to_upload(message: str):
    flash(message, "error")
    target = url_for("corporate.price_import")
    if htmx:
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target)


@bp.route("/catalog/price-import/confirm", methods=["POST"])
@require(Permission.MANAGE_CATALOG)
def price_import_confirm():
    """Apply a previewed price list to the catalog draft, all or nothing; publishing stays separate."""
    confirm = f.PriceImportConfirmForm()
    if not confirm.validate_on_submit():
        return render("errors/error.html", code=400, title=_("Bad request"), message=_("Please try again."), status=400)
    payload = _token_payload(confirm.token.data)
    expired = _("This preview has expired or is not valid. Upload the file again.")
    if payload is None:
        return _back_to_upload(expired)
    storage = get_storage(current_app.config)
    try:
        data = storage.read(payload["key"])
    except StorageError:
        return _back_to_upload(expired)
    form = _upload_form()
    plan, file_error, _format = _plan(data, payload["name"], payload["encoding"])
    if plan is None or not plan.ok or plan.digest() != payload["digest"]:
        # The draft changed since the preview: show the new preview (with a new token if it is still valid).
        token = _serializer().dumps(dict(payload, digest=plan.digest())) if plan is not None and plan.ok else None
        return _result(form, plan=plan, file_error=file_error, token=token, filename=payload["name"], status=409,
                       notice=_("The catalog changed since the preview. Check the changes again before applying."))
    try:
        counts = service.apply_price_list(db.session, plan, filename=payload["name"])
    except catalog_service.CatalogError as exc:
        db.session.rollback()
        return _result(form, plan=plan, problems=exc.messages, filename=payload["name"], status=form_error_status())
    db.session.commit()
    storage.delete(payload["key"])
    flash(_("Price list applied to the draft: %(new)s new, %(changed)s changed, %(unchanged)s unchanged. "
            "Publish the catalog to show the prices to dealers.", **counts), "success")
    target = url_for("corporate.catalog_publish")
    if htmx:
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target)


@bp.route("/catalog/price-import/prices.csv")
@require(Permission.MANAGE_CATALOG)
def price_import_template():
    """Download the draft's current trims, options and accessories in the import format (a starting point)."""
    out = io.StringIO()
    writer = csv.writer(out)

    def amount(value):
        return "" if value is None else round_money(value, g.brand.currency)

    writer.writerow(["type", "code", "name", "model", "trims", "price", "labour"])
    for trim in db.session.scalars(select(Trim).where(Trim.active.is_(True)).order_by(Trim.code)):
        writer.writerow(["trim", csv_safe(trim.code), csv_safe(trim.name), csv_safe(trim.model.code), "",
                         amount(trim.msrp), ""])
    for option in db.session.scalars(select(Option).where(Option.active.is_(True)).order_by(Option.code)):
        writer.writerow(["package" if option.kind == "package" else "option", csv_safe(option.code),
                         csv_safe(option.name), "", " ".join(t.code for t in option.trims), amount(option.price), ""])
    for item in db.session.scalars(select(Accessory).where(Accessory.active.is_(True)).order_by(Accessory.part_number)):
        writer.writerow(["accessory", csv_safe(item.part_number), csv_safe(item.name),
                         " ".join(m.code for m in item.models), "", amount(item.price), amount(item.labour)])
    # UTF-8 with a BOM so Excel opens Korean and Thai names correctly.
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="price-list-{g.brand.slug}.csv"'
    return response
