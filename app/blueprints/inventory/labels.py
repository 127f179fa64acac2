"""Translated labels for inventory enums and import fields (lazy: resolved at render time)."""

from flask_babel import lazy_gettext as _l

from app.imports.mapping import CanonicalField
from app.imports.values import VehicleCondition
from app.models.inventory import ImportMode, ImportStatus, VehicleStatus

STATUS_LABELS = {
    VehicleStatus.IN_TRANSIT: _l("In transit"),
    VehicleStatus.IN_STOCK: _l("In stock"),
    VehicleStatus.RESERVED: _l("Reserved"),
    VehicleStatus.SOLD: _l("Sold"),
    VehicleStatus.WITHDRAWN: _l("Withdrawn"),
}
CONDITION_LABELS = {
    VehicleCondition.NEW: _l("New"),
    VehicleCondition.USED: _l("Used"),
    VehicleCondition.CPO: _l("Certified pre-owned"),
    VehicleCondition.DEMO: _l("Demo"),
    VehicleCondition.LEASE_TAKEOVER: _l("Lease takeover"),
}
IMPORT_STATUS_LABELS = {
    ImportStatus.UPLOADED: _l("Uploaded"),
    ImportStatus.QUEUED: _l("Queued"),
    ImportStatus.RUNNING: _l("Running"),
    ImportStatus.PREVIEWED: _l("Dry run done"),
    ImportStatus.COMMITTED: _l("Saved"),
    ImportStatus.FAILED: _l("Failed"),
    ImportStatus.DISCARDED: _l("Discarded"),
}
MODE_LABELS = {
    ImportMode.VALID_ROWS: _l("Save the valid rows, skip the rejected ones"),
    ImportMode.ALL_OR_NOTHING: _l("All or nothing: save nothing if any row is rejected"),
}
FIELD_LABELS = {
    CanonicalField.VIN: _l("VIN"),
    CanonicalField.STOCK_NUMBER: _l("Stock number"),
    CanonicalField.MODEL_YEAR: _l("Model year"),
    CanonicalField.MAKE: _l("Make"),
    CanonicalField.MODEL: _l("Model"),
    CanonicalField.TRIM: _l("Trim"),
    CanonicalField.PRICE: _l("List price"),
    CanonicalField.MSRP: _l("MSRP"),
    CanonicalField.COST: _l("Acquisition cost (internal)"),
    CanonicalField.ODOMETER: _l("Odometer"),
    CanonicalField.CONDITION: _l("Condition"),
    CanonicalField.BODY_TYPE: _l("Body style"),
    CanonicalField.DRIVETRAIN: _l("Drivetrain"),
    CanonicalField.TRANSMISSION: _l("Transmission"),
    CanonicalField.FUEL_TYPE: _l("Fuel"),
    CanonicalField.EXTERIOR_COLOR: _l("Exterior color"),
    CanonicalField.INTERIOR_COLOR: _l("Interior color"),
    CanonicalField.ENGINE: _l("Engine"),
    CanonicalField.DOORS: _l("Doors"),
    CanonicalField.DESCRIPTION: _l("Equipment and description"),
    CanonicalField.IMAGE_URL: _l("Image link"),
    CanonicalField.HISTORY_REPORT_URL: _l("History report link"),
    CanonicalField.DEALER_ADDRESS: _l("Location"),
    CanonicalField.ARRIVAL_DATE: _l("Arrived"),
}
