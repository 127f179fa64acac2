"""The OpenAPI 3 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

Written by hand next to the views and checked against them by schemathesis in
tests/api/test_openapi_schemathesis.py, so the document cannot drift from the implementation.
"""

from __future__ import annotations

from app.imports.values import VehicleCondition
from app.models.inventory import VehicleStatus

MAX_ITEMS = 1000

_SCALAR = {"anyOf": [{"type": "string", "maxLength": 20000}, {"type": "number"}, {"type": "null"}]}
_TEXT = {"anyOf": [{"type": "string", "maxLength": 20000}, {"type": "null"}]}

#: Item fields: name → JSON schema (the same names as the file import's fields).
ITEM_FIELDS: dict[str, dict] = {
    "vin": _TEXT,
    "stock_number": _TEXT,
    "condition": _TEXT,
    "model_year": _SCALAR,
    "make": _TEXT,
    "model": _TEXT,
    "trim": _TEXT,
    "price": _SCALAR,
    "msrp": _SCALAR,
    "cost": _SCALAR,  # acquisition cost: written, never read back
    "odometer": _SCALAR,
    "body_type": _TEXT,
    "drivetrain": _TEXT,
    "transmission": _TEXT,
    "fuel_type": _TEXT,
    "engine": _TEXT,
    "exterior_color": _TEXT,
    "interior_color": _TEXT,
    "description": _TEXT,
    "image_url": _TEXT,
    "history_report_url": _TEXT,
    "dealer_address": _TEXT,
}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_COMMON_ERRORS = {
    "401": _error_response("Missing, unknown or revoked API key"),
    "429": _error_response("Rate limit exceeded for this key"),
}

_VEHICLE = {
    "type": "object",
    "required": ["id", "vin", "stock_number", "status", "price", "currency", "online"],
    "properties": {
        "id": {"type": "integer"},
        "vin": {"type": ["string", "null"]},
        "stock_number": {"type": ["string", "null"]},
        "condition": {"type": "string", "enum": [c.value for c in VehicleCondition]},
        "model_year": {"type": ["integer", "null"]},
        "make": {"type": "string"},
        "model": {"type": "string"},
        "trim": {"type": "string"},
        "body_style": {"type": "string"},
        "drivetrain": {"type": "string"},
        "transmission": {"type": "string"},
        "fuel_type": {"type": "string"},
        "exterior_color": {"type": "string"},
        "interior_color": {"type": "string"},
        "odometer": {"type": ["integer", "null"]},
        "odometer_unit": {"type": "string", "enum": ["km", "mi"]},
        "price": {"type": ["string", "null"], "description": "Decimal as text; null = not priced (not online)"},
        "currency": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in VehicleStatus]},
        "status_changed_at": {"type": "string", "format": "date-time"},
        "arrival_date": {"type": ["string", "null"], "format": "date"},
        "online": {"type": "boolean"},
        "photos": {"type": "integer"},
    },
}


def document(server_url: str = "/") -> dict:
    """Return the OpenAPI 3.1 document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Forecourt inventory API",
            "version": "1.0.0",
            "description": "Dealers' systems upsert and read stock vehicles. Authenticate with "
            "`Authorization: Bearer <key>`; a dealer principal creates keys under Inventory → API keys.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": _ERROR,
                "Vehicle": _VEHICLE,
                "Item": {"type": "object", "additionalProperties": False, "properties": ITEM_FIELDS},
                "ItemResult": {
                    "type": "object",
                    "required": ["index", "result", "errors", "warnings"],
                    "properties": {
                        "index": {"type": "integer", "minimum": 1},
                        "vin": {"type": ["string", "null"]},
                        "stock_number": {"type": ["string", "null"]},
                        "result": {"type": "string", "enum": ["created", "updated", "unchanged", "duplicate", "rejected"]},
                        "errors": {"type": "array", "items": {"type": "string"}},
                        "warnings": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
        "paths": {
            "/api/v1/inventory": {
                "get": {
                    "operationId": "listInventory",
                    "summary": "List the dealer's stock vehicles, newest first",
                    "parameters": [
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}},
                        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of vehicles",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "required": ["items", "page", "per_page", "total"],
                                "properties": {
                                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Vehicle"}},
                                    "page": {"type": "integer"},
                                    "per_page": {"type": "integer"},
                                    "total": {"type": "integer"},
                                },
                            }}},
                        },
                        "400": _error_response("Invalid query parameter"),
                        **_COMMON_ERRORS,
                    },
                },
                "post": {
                    "operationId": "upsertInventory",
                    "summary": "Create or update vehicles (upsert by VIN, else stock number); one result per item",
                    "parameters": [
                        {"name": "Idempotency-Key", "in": "header", "required": False,
                         "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"},
                         "description": "Replays the stored response for the same key and body; "
                                        "the same key with another body gets 422."},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["items"],
                            "properties": {
                                "items": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS,
                                          "items": {"$ref": "#/components/schemas/Item"}},
                                "mode": {"type": "string", "enum": ["valid_rows", "all_or_nothing"]},
                            },
                        }}},
                    },
                    "responses": {
                        "200": {
                            "description": "Per-item report; `saved` is false when nothing was written",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "required": ["saved", "summary", "items"],
                                "properties": {
                                    "saved": {"type": "boolean"},
                                    "summary": {"type": "object", "additionalProperties": {"type": "integer"}},
                                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/ItemResult"}},
                                },
                            }}},
                        },
                        "400": _error_response("The body is not JSON of the documented shape"),
                        "409": _error_response("A request with this Idempotency-Key is being processed"),
                        "422": _error_response("Idempotency-Key reused with a different body"),
                        **_COMMON_ERRORS,
                    },
                },
            },
            "/api/v1/inventory/{vin}": {
                "patch": {
                    "operationId": "updateVehicle",
                    "summary": "Change a vehicle's status and/or list price",
                    "parameters": [{"name": "vin", "in": "path", "required": True,
                                    "description": "The VIN (printable ASCII; anything else is refused with 400)",
                                    "schema": {"type": "string", "minLength": 1, "maxLength": 40,
                                               "pattern": "^[\\x21-\\x7e]+$"}}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "minProperties": 1,
                            "properties": {
                                "status": {"type": "string", "enum": [s.value for s in VehicleStatus]},
                                "price": {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "number"}, {"type": "null"}]},
                            },
                        }}},
                    },
                    "responses": {
                        "200": {"description": "The vehicle after the change",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Vehicle"}}}},
                        "400": _error_response("The body is not JSON of the documented shape"),
                        "422": _error_response("The price cannot be read in the dealer's currency"),
                        "404": _error_response("No vehicle with this VIN in the dealer's stock"),
                        **_COMMON_ERRORS,
                    },
                },
            },
        },
    }
