import io

import pytest
from PIL import Image

from app.services.images import ImageRejected, process_image
from app.services.storage import LocalStorage, StorageError


def _png(w=64, h=48, fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


def test_storage_round_trip_and_traversal(tmp_path):
    storage = LocalStorage(tmp_path)
    key = storage.save(b"abc", area="catalog", extension="PNG")
    assert key.startswith("catalog/") and key.endswith(".png")
    assert storage.read(key) == b"abc" and storage.exists(key)
    for bad in ["../x", "/etc/passwd", "a/../../x", "a\\b"]:
        with pytest.raises(StorageError):
            storage.read(bad)
    with pytest.raises(StorageError):
        storage.save(b"x", area="../up", extension="png")
    storage.delete(key)
    assert not storage.exists(key)


def test_image_is_validated_and_resized():
    result = process_image(_png(3200, 1600), display_box=(800, 800))
    assert (result.width, result.height) == (3200, 1600)
    with Image.open(io.BytesIO(result.data)) as img:
        assert img.size == (800, 400)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"GIF89a-not-really" * 10, "not a readable"),
        (b"%PDF-1.4 fake pdf renamed to .jpg", "not a readable"),
        (_png(8, 8), "too small"),
    ],
)
def test_bad_images_are_rejected(data, message):
    with pytest.raises(ImageRejected, match=message):
        process_image(data)


def test_gif_and_oversize_rejected():
    buf = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buf, "GIF")
    with pytest.raises(ImageRejected, match="GIF files are not accepted"):
        process_image(buf.getvalue())
    with pytest.raises(ImageRejected, match="limit"):
        process_image(_png(), max_bytes=10)
    with pytest.raises(ImageRejected, match="too large"):
        process_image(_png(400, 400), max_pixels=1000)
