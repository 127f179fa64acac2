"""File storage behind one interface; local disk under ``UPLOAD_DIR`` by default.

Keys are generated (``<area>/<yyyy>/<uuid>.<ext>``), never taken from user file names, so an
upload cannot choose where it lands. ``LocalStorage`` refuses any key that resolves outside its
root. ``S3Storage`` keeps the same keys in a bucket of an S3-compatible object store (AWS S3, MinIO,
Ceph, …) through boto3, so several web servers behind a load balancer share uploads, photos,
banners and documents. ``STORAGE_BACKEND`` chooses: ``local`` (default) or ``s3`` with ``S3_BUCKET``,
``S3_ENDPOINT_URL`` (empty for AWS), ``S3_REGION``, ``S3_PREFIX`` and the usual AWS credentials
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` in the environment or ``S3_ACCESS_KEY_ID``/
``S3_SECRET_ACCESS_KEY`` in the config).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class StorageError(ValueError):
    """A key that is malformed, escapes the storage root, or names no stored file.

    ``args``: (reason, the offending value). For logs and operators only: callers answer a
    reader with a 404 or their own translated message, never with this text.
    """


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
        check_key(key)
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError("Invalid storage key", key)
        return path

    def save(self, data: bytes, *, area: str, extension: str) -> str:
        """Store ``data`` and return its new key, e.g. ``catalog/2026/3f2c….jpg``."""
        key = new_key(area, extension)
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
            raise StorageError("No stored file for key", key)
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


def new_key(area: str, extension: str) -> str:
    """Return a fresh key ``<area>/<yyyy>/<uuid>.<ext>``; ``StorageError`` for an unsafe area or extension."""
    if not area or not area.replace("-", "").replace("_", "").replace("/", "").isalnum():
        raise StorageError("Invalid storage area", area)
    ext = extension.lower().lstrip(".")
    if not ext.isalnum():
        raise StorageError("Invalid extension", extension)
    return f"{area}/{datetime.now(UTC):%Y}/{uuid.uuid4().hex}.{ext}"


def check_key(key: str) -> str:
    """Return ``key`` when it is a relative key without ``..``/backslashes; ``StorageError`` otherwise."""
    if not key or key.startswith(("/", "\\")) or "\\" in key or ".." in key.split("/"):
        raise StorageError("Invalid storage key", key)
    return key


class S3Storage:
    """Objects in an S3-compatible bucket, under ``prefix``; the same keys as ``LocalStorage``.

    ``client`` is a boto3 S3 client. A PUT is atomic in S3 (a reader sees the whole object or none),
    so no temporary object is needed. Missing objects raise ``StorageError`` like a missing file.
    """

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _object(self, key: str) -> str:
        return self.prefix + check_key(key)

    def save(self, data: bytes, *, area: str, extension: str) -> str:
        """Store ``data`` as a new object and return its key."""
        key = new_key(area, extension)
        self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data)
        return key

    def read(self, key: str) -> bytes:
        """Return the object's bytes; ``StorageError`` when it does not exist."""
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise StorageError("No stored file for key", key) from exc
            raise
        with answer["Body"] as body:
            return body.read()

    def delete(self, key: str) -> None:
        """Remove the object if present (S3 answers a delete of a missing key with success)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def exists(self, key: str) -> bool:
        """Return True when an object is stored under ``key``."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except StorageError:
            return False
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True


_S3_CLIENTS: dict[tuple, object] = {}


def s3_client(config):
    """Return a boto3 S3 client for the app's settings, built once per distinct setting (clients are thread-safe)."""
    settings = (config.get("S3_ENDPOINT_URL") or None, config.get("S3_REGION") or "us-east-1",
                config.get("S3_ACCESS_KEY_ID") or None, config.get("S3_SECRET_ACCESS_KEY") or None)
    client = _S3_CLIENTS.get(settings)
    if client is None:
        import boto3
        from botocore.config import Config

        endpoint, region, key_id, secret = settings
        client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}))
        _S3_CLIENTS[settings] = client
    return client


def get_storage(config) -> Storage:
    """Return the storage backend configured for the app.

    ``STORAGE_BACKEND`` ``local`` (default): files under ``UPLOAD_DIR``; ``s3``: objects in ``S3_BUCKET``
    (see the module docstring). Raises ``StorageError`` for an unknown backend or ``s3`` without a bucket.
    """
    backend = (config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStorage(config["UPLOAD_DIR"])
    if backend == "s3":
        if not config.get("S3_BUCKET"):
            raise StorageError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        return S3Storage(s3_client(config), config["S3_BUCKET"], config.get("S3_PREFIX") or "")
    raise StorageError("Unknown STORAGE_BACKEND", backend)
