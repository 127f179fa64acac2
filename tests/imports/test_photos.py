import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from app.imports.photos import (
    PhotoKeyKind,
    PhotoLimits,
    PhotoMatch,
    PhotoRejected,
    match_photo_name,
    read_photo_zip,
    verify_image,
)
from app.imports.readers import ImportFileError, ZipLimits

HONDA = "1HGCM82633A004352"
TOYOTA = "2T1KY32E65C906081"


def image_bytes(fmt, size=(32, 24), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, "white" if mode != "1" else 1).save(buffer, format=fmt)
    return buffer.getvalue()


JPEG = image_bytes("JPEG")
PNG = image_bytes("PNG", (20, 20))


def make_zip(entries, method=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, payload in entries:
            archive.writestr(name, payload)
    return buffer.getvalue()


def png_claiming_size(width, height):
    """Return a PNG whose IHDR claims ``width`` x ``height`` (the pixel data stays tiny)."""
    data = bytearray(image_bytes("PNG", (16, 16), mode="1"))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (f"{HONDA}_2.jpg", PhotoMatch(PhotoKeyKind.VIN, HONDA, 2)),
        (f"photos/{HONDA.lower()}.JPG", PhotoMatch(PhotoKeyKind.VIN, HONDA, 1)),
        (f"photos\\{HONDA}-10.png", PhotoMatch(PhotoKeyKind.VIN, HONDA, 10)),
        (f"{TOYOTA} (3).jpeg", PhotoMatch(PhotoKeyKind.VIN, TOYOTA, 3)),
        ("A-123.jpg", PhotoMatch(PhotoKeyKind.STOCK_NUMBER, "A-123", 1)),  # whole stem before "A" + position 123
        ("A-123-3.png", PhotoMatch(PhotoKeyKind.STOCK_NUMBER, "A-123", 3)),
        ("a-123_4.png", PhotoMatch(PhotoKeyKind.STOCK_NUMBER, "A-123", 4)),  # key returned as the import spells it
        ("1CPC3900_1.jpg", PhotoMatch(PhotoKeyKind.STOCK_NUMBER, "1CPC3900", 1)),
        ("1CPC3900_0.jpg", PhotoMatch(PhotoKeyKind.STOCK_NUMBER, "1CPC3900", 0)),
        ("unknown_2.jpg", None),
        (f"{HONDA}_1234.jpg", None),  # a position has at most 3 digits
        (".jpg", None),
    ],
)
def test_match_photo_name_with_import_keys(filename, expected):
    assert match_photo_name(filename, vins=[HONDA, TOYOTA], stock_numbers=["A-123", "1CPC3900"]) == expected


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (f"{HONDA}_2.jpg", PhotoMatch(PhotoKeyKind.VIN, HONDA, 2)),
        (f"{HONDA.lower()}.jpg", PhotoMatch(PhotoKeyKind.VIN, HONDA, 1)),
        ("A-1234_2.jpg", PhotoMatch(PhotoKeyKind.STOCK_NUMBER, "A-1234", 2)),
        ("STK77.png", PhotoMatch(PhotoKeyKind.STOCK_NUMBER, "STK77", 1)),
        # 17 characters with a wrong check digit: not a VIN, so taken as a stock number.
        ("1HGCM82643A004352.jpg", PhotoMatch(PhotoKeyKind.STOCK_NUMBER, "1HGCM82643A004352", 1)),
    ],
)
def test_match_photo_name_without_keys(filename, expected):
    assert match_photo_name(filename) == expected


# --- images ------------------------------------------------------------------------------


def test_verify_image_accepts_real_jpeg_and_png():
    assert verify_image(JPEG) == ("JPEG", 32, 24)
    assert verify_image(PNG) == ("PNG", 20, 20)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (image_bytes("GIF"), "is not a JPEG or PNG image"),
        (b"MZ\x90\x00 this is an executable", "is not a JPEG or PNG image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "is not a JPEG or PNG image"),
        (JPEG[: len(JPEG) // 2], "is damaged or truncated"),
        (PNG[:60], "is damaged or truncated"),
        (image_bytes("PNG", (12_001, 16), mode="1"), "no side may exceed 12000"),
        (image_bytes("PNG", (8, 8)), "too small for a vehicle photo"),
        # 10,000 x 10,000 = 100 MP: over Pillow's 89.5 MP warning threshold.
        (png_claiming_size(10_000, 10_000), "has too many pixels"),
        # 20,000 x 20,000 = 400 MP: over twice the threshold, where Pillow raises.
        (png_claiming_size(20_000, 20_000), "has too many pixels"),
    ],
)
def test_verify_image_rejects(data, reason):
    with pytest.raises(PhotoRejected, match=reason):
        verify_image(data)


def test_verify_image_treats_camera_mpo_as_jpeg():
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (32, 24)), Image.new("RGB", (32, 24))]
    frames[0].save(buffer, format="MPO", save_all=True, append_images=frames[1:])
    assert verify_image(buffer.getvalue()) == ("JPEG", 32, 24)


def test_verify_image_pixel_limit():
    # 40 x 40 = 1,600 pixels > 1,000.
    with pytest.raises(PhotoRejected, match="is 40 x 40 pixels; the limit is 1,000 pixels"):
        verify_image(image_bytes("PNG", (40, 40)), PhotoLimits(max_pixels=1_000))


# --- archives ----------------------------------------------------------------------------


def test_read_photo_zip_matches_orders_and_rejects():
    data = make_zip(
        [
            (f"photos/{HONDA}_2.jpg", JPEG),
            (f"photos/{HONDA}.jpg", JPEG),
            (f"photos/{TOYOTA}_1.jpg", PNG),  # a PNG named .jpg: a real image, kept as PNG
            ("photos/A-123-1.png", PNG),
            ("photos/", b""),
            ("__MACOSX/photos/._A-123-1.png", b"\x00\x05\x16\x07"),
            ("photos/.DS_Store", b"\x00\x00\x00\x01Bud1"),
            ("photos/notes.txt", b"hello"),
            (f"photos/{TOYOTA}_2.jpg", b"GIF89a not really"),
            ("photos/NOPE_1.jpg", JPEG),
        ]
    )
    result = read_photo_zip(data, vins=[HONDA, TOYOTA], stock_numbers=["A-123"])
    assert [(p.match.key, p.match.order, p.name) for p in result.photos] == [
        (HONDA, 1, f"photos/{HONDA}.jpg"),
        (HONDA, 2, f"photos/{HONDA}_2.jpg"),
        (TOYOTA, 1, f"photos/{TOYOTA}_1.jpg"),
        ("A-123", 1, "photos/A-123-1.png"),
    ]
    toyota = result.for_key(TOYOTA)[0]
    assert (toyota.image_format, toyota.content_type, toyota.width, toyota.height) == ("PNG", "image/png", 20, 20)
    assert toyota.data == PNG
    assert result.for_key(HONDA)[0].content_type == "image/jpeg"
    assert [(r.name, r.reason) for r in result.rejected] == [
        ("photos/notes.txt", "is not a .jpg or .png file"),
        (f"photos/{TOYOTA}_2.jpg", "is not a JPEG or PNG image"),
        ("photos/NOPE_1.jpg", "matches no VIN or stock number in this import"),
    ]


@pytest.mark.parametrize(
    "name",
    ["../evil.jpg", "photos/../../evil.jpg", "/etc/cron.d/evil.jpg", "C:\\Windows\\evil.jpg", "..\\evil.jpg"],
)
def test_hostile_paths_refuse_the_whole_archive(name):
    data = make_zip([(f"{HONDA}.jpg", JPEG), (name, JPEG)])
    with pytest.raises(ImportFileError, match="unsafe path"):
        read_photo_zip(data, vins=[HONDA])


def test_zip_bomb_entry_is_refused():
    # 5 MB of zeros deflate to about 5 KB (ratio ~1,000); photos never compress past 20.
    data = make_zip([(f"{HONDA}.jpg", b"\0" * (5 * 1024 * 1024))], zipfile.ZIP_DEFLATED)
    with pytest.raises(ImportFileError, match="compressed suspiciously well"):
        read_photo_zip(data, vins=[HONDA])


def test_total_size_and_entry_count_caps():
    data = make_zip([(f"{HONDA}_{i}.jpg", JPEG) for i in range(1, 4)])
    small = PhotoLimits(zip=ZipLimits(max_total_bytes=2 * len(JPEG), max_ratio=20))
    with pytest.raises(ImportFileError, match="unpacks to more than"):
        read_photo_zip(data, vins=[HONDA], limits=small)
    few = PhotoLimits(zip=ZipLimits(max_entries=2))
    with pytest.raises(ImportFileError, match="has 3 entries; the limit is 2"):
        read_photo_zip(data, vins=[HONDA], limits=few)
    with pytest.raises(ImportFileError, match="the limit is 0 MB"):
        read_photo_zip(data, vins=[HONDA], limits=PhotoLimits(max_zip_bytes=100))


def test_lying_size_header_cannot_inflate_more():
    # Declared size 10 bytes, real content longer: zipfile stops at the declared size and
    # the CRC check fails, so the entry is reported damaged instead of read past the cap.
    data = bytearray(make_zip([(f"{HONDA}.jpg", JPEG)]))
    central = data.find(b"PK\x01\x02")
    local = data.find(b"PK\x03\x04")
    data[central + 24 : central + 28] = struct.pack("<I", 10)
    data[local + 22 : local + 26] = struct.pack("<I", 10)
    with pytest.raises(ImportFileError, match="is damaged"):
        read_photo_zip(bytes(data), vins=[HONDA])


def test_not_a_zip():
    with pytest.raises(ImportFileError, match="photo ZIP is damaged or not a ZIP archive"):
        read_photo_zip(JPEG)
