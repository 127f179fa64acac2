"""Uploaded images: validated with Pillow, re-encoded, resized for display.

An upload is accepted only when Pillow decodes it as JPEG, PNG or WebP (the file name and the
browser's content type are ignored), it is no larger than ``max_bytes``, and its dimensions are
within ``max_pixels`` (Pillow's decompression-bomb guard is applied too). The stored display copy
is re-encoded, which drops metadata such as GPS EXIF tags.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from app.domain.messages import N_, Text

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class ImageRejected(ValueError):
    """The upload is not an acceptable image; the message (a ``Text``) says why."""


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """A validated image: display bytes, extension, and the original's size in pixels."""

    data: bytes
    extension: str
    width: int
    height: int


def process_image(
    data: bytes,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    max_pixels: int = 40_000_000,
    min_side: int = 16,
    display_box: tuple[int, int] = (1600, 1600),
) -> ProcessedImage:
    """Validate ``data`` and return a display copy no larger than ``display_box``.

    Raises ``ImageRejected`` for empty, oversized, undecodable, non-JPEG/PNG/WebP, too small or
    too large (in pixels) images.
    """
    if not data:
        message = Text(N_("The file is empty."))
        raise ImageRejected(message)
    if len(data) > max_bytes:
        message = Text(N_("The image is %(size)s KB; the limit is %(limit)s KB."), size=len(data) // 1024, limit=max_bytes // 1024)
        raise ImageRejected(message)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                width, height = probe.size
                if fmt not in ALLOWED_FORMATS:
                    message = (Text(N_("%(format)s files are not accepted; upload a JPEG, PNG or WebP image."), format=fmt)
                               if fmt else Text(N_("This file is not accepted; upload a JPEG, PNG or WebP image.")))
                    raise ImageRejected(message)
                if width * height > max_pixels:
                    message = Text(N_("The image is %(width)s×%(height)s pixels; that is too large."), width=width, height=height)
                    raise ImageRejected(message)
                if min(width, height) < min_side:
                    message = Text(N_("The image is %(width)s×%(height)s pixels; that is too small."), width=width, height=height)
                    raise ImageRejected(message)
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                image.thumbnail(display_box)
                out = io.BytesIO()
                if fmt == "JPEG":
                    image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                else:
                    image.save(out, fmt)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, SyntaxError) as exc:
        message = Text(N_("The file is not a readable JPEG, PNG or WebP image."))
        raise ImageRejected(message) from exc
    return ProcessedImage(data=out.getvalue(), extension=ALLOWED_FORMATS[fmt], width=width, height=height)
