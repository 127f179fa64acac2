"""File storage behind one interface; local disk under ``UPLOAD_DIR`` by default.

Keys are generated (``<area>/<yyyy>/<uuid>.<ext>``), never taken from user file names, so an
upload cannot choose where it lands. ``LocalStorage`` refuses any key that resolves outside its
root. Another backend (S3-compatible object storage) only needs the same four methods.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class StorageError(ValueError):
    """A key that is malformed, escapes the storage root, or names no stored file."""


class Storage(Protocol):
    """What every storage backend offers."""

    def save(self, data: bytes, *, area: str, extension: str) -> str: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files on the local disk below ``root`` (``instance/uploads`` by default)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not key or key.startswith(("/", "\\")) or "\\" in key or ".." in Path(key).parts:
            raise StorageError(f"Invalid storage key: {key!r}")
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"Invalid storage key: {key!r}")
        return path

    def save(self, data: bytes, *, area: str, extension: str) -> str:
        """Store ``data`` and return its new key, e.g. ``catalog/2026/3f2c….jpg``."""
        if not area.replace("-", "").replace("_", "").replace("/", "").isalnum():
            raise StorageError(f"Invalid storage area: {area!r}")
        ext = extension.lower().lstrip(".")
        if not ext.isalnum():
            raise StorageError(f"Invalid extension: {extension!r}")
        key = f"{area}/{datetime.now(UTC):%Y}/{uuid.uuid4().hex}.{ext}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: readers never see half a file
        return key

    def read(self, key: str) -> bytes:
        """Return the bytes stored under ``key``; ``StorageError`` when missing."""
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"No stored file for key {key!r}")
        return path.read_bytes()

    def delete(self, key: str) -> None:
        """Remove the file under ``key`` if present."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Return True when a file is stored under ``key``."""
        try:
            return self._path(key).is_file()
        except StorageError:
            return False


def get_storage(config) -> Storage:
    """Return the storage backend configured for the app (``UPLOAD_DIR``)."""
    return LocalStorage(config["UPLOAD_DIR"])
