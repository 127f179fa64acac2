"""Inventory API views: list, bulk upsert (idempotent), patch status/price, OpenAPI document."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

from flask import current_app, g, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from app.access import _enter_scope
from app.blueprints.api import bp
from app.blueprints.api.openapi import ITEM_FIELDS, MAX_ITEMS, document
from app.domain.vin import normalize_vin
from app.extensions import csrf, db, limiter
from app.imports.values import ValueParseError, parse_price
from app.input import InputError, JsonNumberRefused, has_control_chars, load_json
from app.models.accounts import Dealer
from app.models.base import utcnow
from app.models.inventory import IdempotencyRecord, ImportBatch, ImportMode, ImportStatus, StockVehicle, VehicleStatus
from app.services import api_keys
from app.services.inventory_import import change_price, change_status, check_amount, import_items
from app.services.inventory_jobs import store_report
from app.tenancy import TenantScope, all_tenants

csrf.exempt(bp)

_NUMERIC_FIELDS = frozenset(name for name, schema in ITEM_FIELDS.items() if "number" in json.dumps(schema))


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return jsonify(error=error.message), error.status, error.headers


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    message = "Rate limit exceeded for this key." if error.code == 429 else (error.description or error.name)
    allow = {"Allow": ", ".join(sorted(error.valid_methods))} if getattr(error, "valid_methods", None) else {}
    return jsonify(error=message), error.code, allow


def _rate_key() -> str:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    prefix = api_keys.prefix_of(token)
    return f"api-key:{prefix}" if prefix else f"api-ip:{request.remote_addr}"


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300 per minute")


_limited = limiter.limit(_rate_limit, key_func=_rate_key)


@bp.before_request
def _limit_body():
    """Bound the body of every API request (an upsert of ``MAX_ITEMS`` vehicles fits); larger answers 413."""
    request.max_content_length = current_app.config.get("API_MAX_BODY_BYTES", 4 * 1024 * 1024)


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return
    header = request.headers.get("Authorization", "")
    unauthorized = {"WWW-Authenticate": 'Bearer realm="forecourt"'}
    if not header.startswith("Bearer "):
        raise ApiError(401, "Send your API key as 'Authorization: Bearer <key>'.", unauthorized)
    key = api_keys.authenticate(db.session, header.removeprefix("Bearer ").strip())
    if key is None:
        raise ApiError(401, "The API key is unknown or revoked.", unauthorized)
    with all_tenants():  # the key names its dealer; nothing else is loaded before the scope exists
        dealer = db.session.get(Dealer, key.dealer_id)
    if dealer is None or not dealer.active:
        raise ApiError(401, "The API key's dealer is not active.", unauthorized)
    # ``g.api_dealer``, not ``g.dealer``: the page machinery (menus, roles) must not think this is a dealer page.
    g.api_dealer, g.api_key_id = dealer, key.id
    _enter_scope(TenantScope(dealer_id=dealer.id, brand_id=dealer.brand_id))
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        with all_tenants():
            key.last_used_at = now
            db.session.commit()


def vehicle_json(vehicle: StockVehicle) -> dict:
    """Return the API form of ``vehicle``; acquisition cost is never included."""
    return {
        "id": vehicle.id,
        "vin": vehicle.vin,
        "stock_number": vehicle.stock_number,
        "condition": vehicle.condition.value,
        "model_year": vehicle.model_year,
        "make": vehicle.make,
        "model": vehicle.model,
        "trim": vehicle.trim,
        "body_style": vehicle.body_style,
        "drivetrain": vehicle.drivetrain,
        "transmission": vehicle.transmission,
        "fuel_type": vehicle.fuel_type,
        "exterior_color": vehicle.exterior_color,
        "interior_color": vehicle.interior_color,
        "odometer": vehicle.odometer,
        "odometer_unit": vehicle.odometer_unit.value,
        "price": None if vehicle.price is None else str(vehicle.price),
        "currency": vehicle.currency,
        "status": vehicle.status.value,
        "status_changed_at": vehicle.status_changed_at.isoformat(),
        "arrival_date": vehicle.arrival_date.isoformat() if vehicle.arrival_date else None,
        "online": vehicle.is_online,
        "photos": len(vehicle.photos),
    }


def _json_body() -> dict:
    if not request.is_json:
        raise ApiError(400, "Send a JSON body with Content-Type: application/json.")
    try:
        body = load_json(request.get_data(as_text=True))
    except JsonNumberRefused as exc:
        raise ApiError(422, str(exc)) from exc
    except (InputError, UnicodeDecodeError) as exc:
        raise ApiError(400, str(exc) if isinstance(exc, InputError) else "The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body


def _scalar_ok(value, text_only: bool) -> bool:
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, int) and not isinstance(value, bool):
        return not text_only and abs(value) < 10**12  # wider than any price or odometer; INTEGER-safe later checks
    return not text_only and isinstance(value, Decimal)


def _check_items(body: dict) -> tuple[list[dict], ImportMode]:
    unknown = set(body) - {"items", "mode"}
    if unknown:
        raise ApiError(400, f"Unknown properties: {', '.join(sorted(unknown))}.")
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise ApiError(400, f"'items' must be a list of 1 to {MAX_ITEMS} vehicles.")
    mode = body.get("mode", ImportMode.VALID_ROWS.value)
    if not isinstance(mode, str) or mode not in {m.value for m in ImportMode}:
        raise ApiError(400, "'mode' must be valid_rows or all_or_nothing.")
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ApiError(400, f"Item {index} must be an object.")
        for name, value in item.items():
            if isinstance(value, str) and has_control_chars(value):  # NUL, other C0 controls, lone surrogates
                raise ApiError(422, f"Item {index}: {name!r} holds control characters or is not valid Unicode text.")
            if name not in ITEM_FIELDS:
                raise ApiError(400, f"Item {index}: unknown property {name!r}.")
            text_only = name not in _NUMERIC_FIELDS
            if not _scalar_ok(value, text_only) or (isinstance(value, str) and len(value) > 20000):
                raise ApiError(400, f"Item {index}: {name!r} has the wrong type.")
    return items, ImportMode(mode)


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API (no key needed)."""
    return jsonify(document(request.host_url.rstrip("/")))


@bp.route("/inventory", methods=["GET"])
@_limited
def inventory_list():
    """One page of the dealer's vehicles, newest first."""
    unknown = set(request.args) - {"page", "per_page"}
    if unknown:
        raise ApiError(400, f"Unknown query parameters: {', '.join(sorted(unknown))}.")
    try:
        page = int(request.args.get("page", "1"))
        per_page = int(request.args.get("per_page", "50"))
    except ValueError as exc:
        raise ApiError(400, "'page' and 'per_page' must be whole numbers.") from exc
    if not (1 <= page <= 100_000 and 1 <= per_page <= 200):
        raise ApiError(400, "'page' must be 1-100000 and 'per_page' 1-200.")
    total = db.session.scalar(select(func.count()).select_from(StockVehicle))
    vehicles = db.session.scalars(
        select(StockVehicle).order_by(StockVehicle.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return jsonify(items=[vehicle_json(v) for v in vehicles], page=page, per_page=per_page, total=total)


@bp.route("/inventory", methods=["POST"])
@_limited
def inventory_upsert():
    """Bulk upsert with the file import's validation; honours ``Idempotency-Key``."""
    raw = request.get_data()
    idem_key = request.headers.get("Idempotency-Key")
    request_hash = hashlib.sha256(raw).hexdigest()
    if idem_key is not None:
        if not 1 <= len(idem_key) <= 200 or not all(0x21 <= ord(ch) <= 0x7E for ch in idem_key):
            raise ApiError(400, "Idempotency-Key must be 1-200 visible ASCII characters.")
        record = db.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == g.api_key_id, IdempotencyRecord.key == idem_key)
        )
        if record is not None:
            if record.request_hash != request_hash:
                raise ApiError(422, "This Idempotency-Key was used with a different request body.")
            response = current_app.response_class(record.response_body, status=record.status_code, mimetype="application/json")
            response.headers["Idempotent-Replayed"] = "true"
            return response
    items, mode = _check_items(_json_body())
    started = utcnow()
    report = import_items(db.session, g.api_dealer, items, mode=mode)
    batch = ImportBatch(source="api", file_name=f"API ({len(items)} items)", file_format="json", mode=mode,
                        status=ImportStatus.COMMITTED if report.saved else ImportStatus.PREVIEWED, finished_at=utcnow())
    store_report(batch, report)
    batch.duration_ms = int((utcnow() - started).total_seconds() * 1000)
    db.session.add(batch)
    payload = {"saved": report.saved, "summary": report.counts(), "items": report.items}
    body = json.dumps(payload)
    if idem_key is not None:
        db.session.add(IdempotencyRecord(api_key_id=g.api_key_id, key=idem_key, request_hash=request_hash,
                                         status_code=200, response_body=body))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise ApiError(409, "A request with this Idempotency-Key is being processed; retry later.") from exc
    return current_app.response_class(body, status=200, mimetype="application/json")


@bp.route("/inventory/<path:vin>", methods=["PATCH"])
@_limited
def inventory_patch(vin: str):
    """Change status and/or price of the vehicle with ``vin`` (audit-logged)."""
    body = _json_body()
    unknown = set(body) - {"status", "price"}
    if unknown or not body:
        raise ApiError(400, "Send 'status' and/or 'price' only.")
    status = body.get("status")
    if "status" in body and (not isinstance(status, str) or status not in {s.value for s in VehicleStatus}):
        raise ApiError(400, f"'status' must be one of {', '.join(s.value for s in VehicleStatus)}.")
    normalized = normalize_vin(vin)
    vehicle = db.session.scalar(select(StockVehicle).where(StockVehicle.vin == normalized)) if normalized else None
    if vehicle is None:
        raise ApiError(404, "No vehicle with this VIN in your stock.")
    price = None
    if "price" in body:
        value = body["price"]
        if not _scalar_ok(value, text_only=False):
            raise ApiError(400, "'price' must be a number, a text or null.")
        try:
            price = check_amount(parse_price(value, currency=g.api_dealer.currency))
        except ValueParseError as exc:
            raise ApiError(422, str(exc)) from exc
        except ArithmeticError as exc:  # str() of a decimal error is a Python repr, never shown
            raise ApiError(422, "'price' is not a number the portal can store.") from exc
    if "status" in body:
        change_status(db.session, vehicle, VehicleStatus(status))
    if "price" in body:
        change_price(db.session, vehicle, price)
    db.session.commit()
    return jsonify(vehicle_json(vehicle))
