"""The photo of the car an offer sells, for the customer's page and the offer PDF.

A stock car shows its cover photo (``VehiclePhoto`` position 1, stored by the photo import); a catalog car
its model's hero image (``image_key`` in the snapshot, uploaded by corporate). A stock car imported with only
an ``image_url`` (a classified-ad listing) has no stored photo: the customer's browser loads that address
itself (``external_photo_url``) and the PDF goes without a picture, since the server never fetches remote
files. Reads run in the caller's tenant scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.inventory import VehiclePhoto
from app.services.storage import Storage, StorageError

_MIME = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
#: What reportlab can draw (through Pillow) without surprises; WebP hero images are left out of the PDF.
PDF_TYPES = frozenset({"image/jpeg", "image/png"})


@dataclass(frozen=True, slots=True)
class Photo:
    """Stored image bytes and their MIME type."""

    data: bytes
    content_type: str


def offer_photo(session: Session, vehicle: Mapping[str, Any] | None, storage: Storage) -> Photo | None:
    """Return the stored photo of an offer snapshot's ``vehicle`` dict, or None when it has none (or it is gone).

    Stock (``source`` "stock", ``stock_id``): the car's lowest-position photo of this dealer. Catalog:
    the model's hero image under ``image_key``. A missing file is None, never an error.
    """
    if not vehicle:
        return None
    try:
        if vehicle.get("source") == "stock" and vehicle.get("stock_id"):
            photo = session.scalar(
                select(VehiclePhoto).where(VehiclePhoto.vehicle_id == int(vehicle["stock_id"]))
                .order_by(VehiclePhoto.position).limit(1))
            if photo is None:
                return None
            return Photo(storage.read(photo.storage_key), photo.content_type)
        key = vehicle.get("image_key")
        if key:
            mime = _MIME.get(str(key).rsplit(".", 1)[-1].lower())
            return Photo(storage.read(str(key)), mime) if mime else None
    except (StorageError, ValueError, TypeError):
        return None
    return None


def external_photo_url(vehicle: Mapping[str, Any] | None) -> str | None:
    """Return the listing's own ``image_url`` when it is a plain http(s) address, else None."""
    url = str((vehicle or {}).get("image_url") or "").strip()
    return url if url.startswith(("https://", "http://")) else None
