"""Read a dealer's ZIP of vehicle photos safely and match each photo to a vehicle.

A photo is named after the vehicle's VIN or stock number, optionally followed by its
position: ``1HGCM82633A004352.jpg`` (first photo), ``1HGCM82633A004352_2.jpg``,
``A-1234-3.png``, ``A-1234 (4).jpeg``.

Safety (OWASP "File Upload" and "Zip bomb" guidance): the archive is checked by
``open_zip_safely`` before anything is inflated (no ``..``, absolute paths or drive
letters, capped entry count, per-entry and total declared size); each entry is then
streamed by ``read_member`` under a hard limit of its declared size, so an entry that
claims 1 KB and inflates to 300 MB is refused after 1 KB, not after 300 MB. Bombs are
judged by absolute inflated size and by decoding the image, not by compression ratio:
a real 2720 x 1824 photo of a uniform colour deflates 133:1 and is a fine photo. Each
image is decoded in full by Pillow, restricted to its JPEG and PNG decoders, within pixel
and side limits. Nothing is written to disk. A hostile archive raises ``ImportFileError``;
a single bad photo is listed in ``PhotoArchive.rejected`` and the rest are kept.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

from app.domain.vin import check_vin
from app.imports.readers import MIB, ImportFileError, ZipLimits, open_zip_safely, read_member

PHOTO_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".jpe", ".png"})
CONTENT_TYPES: dict[str, str] = {"JPEG": "image/jpeg", "PNG": "image/png"}
DEFAULT_MAX_ZIP_BYTES = 200 * MIB

# Files that operating systems add to archives by themselves; skipped without a word.
_SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


@dataclass(frozen=True, slots=True)
class PhotoLimits:
    """Limits for a photo ZIP and its images.

    No ratio test: a JPEG of a plain surface deflates 100:1 or more, so a ratio says nothing
    about a photo. What bounds memory is absolute: 30 MB per entry (a 50 MP camera JPEG is
    about 20 MB) and 400 MB per archive, enforced while inflating; a crafted entry of zeros
    within those sizes is refused by the image decoder.
    ``max_pixels`` (width x height) bounds the memory a decoded image takes:
    50 MP x 4 bytes = 200 MB at most.
    """

    zip: ZipLimits = field(
        default_factory=lambda: ZipLimits(
            max_entries=2_000, max_total_bytes=400 * MIB, max_entry_bytes=30 * MIB, max_ratio=None,
        )
    )
    max_zip_bytes: int = DEFAULT_MAX_ZIP_BYTES
    max_pixels: int = 50_000_000
    max_side: int = 12_000
    min_side: int = 16


class PhotoKeyKind(StrEnum):
    """What a photo's file name identifies."""

    VIN = "vin"
    STOCK_NUMBER = "stock_number"


@dataclass(frozen=True, slots=True)
class PhotoMatch:
    """The vehicle a photo name points to and the photo's position (1 = first)."""

    kind: PhotoKeyKind
    key: str
    order: int


@dataclass(frozen=True, slots=True)
class Photo:
    """A verified photo: its archive path, vehicle match, real format and size in pixels."""

    name: str
    match: PhotoMatch
    image_format: str
    width: int
    height: int
    data: bytes = field(repr=False)

    @property
    def content_type(self) -> str:
        """Return the MIME type of the decoded format (``image/jpeg`` or ``image/png``)."""
        return CONTENT_TYPES[self.image_format]


@dataclass(frozen=True, slots=True)
class RejectedPhoto:
    """An archive entry that was not accepted, with the reason in plain English."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class PhotoArchive:
    """Result of ``read_photo_zip``: accepted photos (by key, then order, then name) and rejects."""

    photos: tuple[Photo, ...]
    rejected: tuple[RejectedPhoto, ...]

    def for_key(self, key: str) -> tuple[Photo, ...]:
        """Return the photos of the vehicle whose VIN or stock number is ``key``, in order."""
        return tuple(photo for photo in self.photos if photo.match.key == key)


class PhotoRejected(ValueError):
    """Raised by ``verify_image`` for bytes that are not an acceptable JPEG or PNG photo."""


# --- names -------------------------------------------------------------------------------

# key, then a separator (_ - space or "(") and a 1-3 digit position: "X_2", "X-2", "X (2)".
_ORDER_SUFFIX = re.compile(r"^(?P<key>.+?)(?:[ _-]+\(?|\s*\()(?P<order>\d{1,3})\)?$")


def match_photo_name(
    filename: str,
    *,
    vins: Collection[str] | None = None,
    stock_numbers: Collection[str] | None = None,
) -> PhotoMatch | None:
    """Match a photo file name to a vehicle by VIN or stock number.

    ``filename`` may include folders (``photos/1HGCM82633A004352_2.jpg``). The whole stem
    is tried first, then the stem without a position suffix. With ``vins`` and
    ``stock_numbers`` (the import's keys), only those match (VIN case-insensitively,
    stock numbers case-insensitively, the key returned as given); VINs win over stock
    numbers. Without them, a valid VIN stem matches as a VIN and anything else as a
    stock number. Returns ``None`` when nothing matches.
    """
    stem = PurePosixPath(filename.replace("\\", "/")).stem.strip()
    if not stem:
        return None
    candidates = [(stem, 1)]
    split = _ORDER_SUFFIX.match(stem)
    if split:
        candidates.append((split.group("key").strip(), int(split.group("order"))))
    known = vins is not None or stock_numbers is not None
    vin_keys = {vin.strip().upper(): vin for vin in vins or ()}
    stock_keys = {stock.strip().casefold(): stock for stock in stock_numbers or ()}
    for key, order in candidates:
        if known:
            if key.upper() in vin_keys:
                return PhotoMatch(PhotoKeyKind.VIN, vin_keys[key.upper()], order)
            if key.casefold() in stock_keys:
                return PhotoMatch(PhotoKeyKind.STOCK_NUMBER, stock_keys[key.casefold()], order)
        elif check_vin(key).is_valid:
            return PhotoMatch(PhotoKeyKind.VIN, key.upper(), order)
    if known:
        return None
    key, order = candidates[-1]
    return PhotoMatch(PhotoKeyKind.STOCK_NUMBER, key, order)


# --- images ------------------------------------------------------------------------------


def verify_image(data: bytes, limits: PhotoLimits = PhotoLimits()) -> tuple[str, int, int]:
    """Check that ``data`` is a whole JPEG or PNG image within ``limits``; return (format, width, height).

    Only Pillow's JPEG and PNG decoders are tried (a GIF, SVG, HTML or executable renamed
    ``.jpg`` is refused), the size is checked from the header before decoding, then the
    image is decoded in full so a truncated or corrupt file is caught.
    Raises ``PhotoRejected`` with the reason.
    """
    # Pillow warns (DecompressionBombWarning) before it errors; make the warning an error
    # here so an oversized image is refused, not merely logged.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as image:
                image_format, (width, height) = str(image.format), image.size
                # Cameras write MPO: a plain JPEG first frame plus extra frames; serve it as JPEG.
                image_format = "JPEG" if image_format == "MPO" else image_format
                _check_size(width, height, limits)
                image.load()
        except PhotoRejected:
            raise
        except UnidentifiedImageError as exc:
            raise PhotoRejected("is not a JPEG or PNG image") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoRejected("has too many pixels") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise PhotoRejected("is damaged or truncated") from exc
    return image_format, width, height


def _check_size(width: int, height: int, limits: PhotoLimits) -> None:
    if width * height > limits.max_pixels:
        raise PhotoRejected(f"is {width} x {height} pixels; the limit is {limits.max_pixels:,} pixels")
    if max(width, height) > limits.max_side:
        raise PhotoRejected(f"is {width} x {height} pixels; no side may exceed {limits.max_side}")
    if min(width, height) < limits.min_side:
        raise PhotoRejected(f"is {width} x {height} pixels; too small for a vehicle photo")


# --- the archive -------------------------------------------------------------------------


def _is_system_file(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.parts[0] == "__MACOSX" or path.name.startswith("._") or path.name.casefold() in _SYSTEM_FILES


def read_photo_zip(
    data: bytes,
    *,
    vins: Collection[str] | None = None,
    stock_numbers: Collection[str] | None = None,
    limits: PhotoLimits = PhotoLimits(),
) -> PhotoArchive:
    """Read the photo ZIP ``data``: verify every image and match it to a vehicle.

    ``vins`` and ``stock_numbers`` are the keys of the vehicles being imported (see
    ``match_photo_name``). Folders, ``__MACOSX`` and ``.DS_Store``-style entries are
    skipped. Rejected (kept in ``rejected``): other extensions, images that fail
    ``verify_image``, names that match no vehicle.
    Raises ``ImportFileError`` for an archive that is too large, damaged or hostile
    (unsafe paths, zip bomb, encrypted entries).
    """
    if len(data) > limits.max_zip_bytes:
        raise ImportFileError(
            f"The photo ZIP is {len(data) / MIB:.1f} MB; the limit is {limits.max_zip_bytes / MIB:.0f} MB."
        )
    photos: list[Photo] = []
    rejected: list[RejectedPhoto] = []
    with open_zip_safely(data, limits.zip, what="photo ZIP") as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or _is_system_file(name):
                continue
            if PurePosixPath(name.replace("\\", "/")).suffix.casefold() not in PHOTO_EXTENSIONS:
                rejected.append(RejectedPhoto(name, "is not a .jpg or .png file"))
                continue
            match = match_photo_name(name, vins=vins, stock_numbers=stock_numbers)
            if match is None:
                rejected.append(RejectedPhoto(name, "matches no VIN or stock number in this import"))
                continue
            blob = read_member(data, info, what="photo ZIP")
            try:
                image_format, width, height = verify_image(blob, limits)
            except PhotoRejected as exc:
                rejected.append(RejectedPhoto(name, str(exc)))
                continue
            photos.append(Photo(name, match, image_format, width, height, blob))
    photos.sort(key=lambda photo: (photo.match.key, photo.match.order, photo.name))
    return PhotoArchive(photos=tuple(photos), rejected=tuple(rejected))


__all__ = [
    "CONTENT_TYPES",
    "PHOTO_EXTENSIONS",
    "Photo",
    "PhotoArchive",
    "PhotoKeyKind",
    "PhotoLimits",
    "PhotoMatch",
    "PhotoRejected",
    "RejectedPhoto",
    "match_photo_name",
    "read_photo_zip",
    "verify_image",
]
