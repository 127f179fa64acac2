"""The S3 storage backend against a real S3 API server on loopback (moto in server mode), issue 12 item 12."""

from __future__ import annotations

import pytest

from app.services.storage import LocalStorage, S3Storage, StorageError, get_storage


def test_get_storage_chooses_the_backend(app, s3_storage, tmp_path):
    assert isinstance(get_storage(app.config), S3Storage)
    assert isinstance(get_storage({"UPLOAD_DIR": str(tmp_path)}), LocalStorage)
    with pytest.raises(StorageError, match="S3_BUCKET"):
        get_storage({"STORAGE_BACKEND": "s3"})
    with pytest.raises(StorageError, match="Unknown STORAGE_BACKEND"):
        get_storage({"STORAGE_BACKEND": "ftp"})


def test_save_read_exists_delete_round_trip_under_the_prefix(app, s3_storage):
    client, bucket = s3_storage
    storage = get_storage(app.config)
    key = storage.save(b"\x89PNG data", area="banners", extension=".PNG")
    assert key.startswith("banners/") and key.endswith(".png")
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == [f"media/{key}"]  # the configured prefix, nothing else in the bucket
    assert storage.exists(key) and storage.read(key) == b"\x89PNG data"
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(StorageError, match="No stored file"):
        storage.read(key)
    storage.delete(key)  # deleting twice is harmless, as on disk


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside", "a/../../b", "a\\b"])
def test_unsafe_keys_are_refused_before_any_request(app, s3_storage, key):
    storage = get_storage(app.config)
    with pytest.raises(StorageError):
        storage.read(key)
    assert not storage.exists(key)


@pytest.mark.parametrize(("area", "extension"), [("../x", "png"), ("ok", "p/ng"), ("", "png")])
def test_unsafe_areas_and_extensions_are_refused(app, s3_storage, area, extension):
    with pytest.raises(StorageError):
        get_storage(app.config).save(b"x", area=area, extension=extension)
