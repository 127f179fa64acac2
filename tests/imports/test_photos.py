import io
import struct
import tracemalloc
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
from app.imports.readers import ImportFileError, ZipLimits, read_member

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


def test_zeros_named_jpg_are_refused_by_the_decoder_not_the_ratio():
    # 5 MB of zeros deflate to about 5 KB (ratio ~1,000): within the absolute limits, so the
    # entry is inflated (bounded) and the image decoder refuses it.
    data = make_zip([(f"{HONDA}.jpg", b"\0" * (5 * 1024 * 1024))], zipfile.ZIP_DEFLATED)
    archive = read_photo_zip(data, vins=[HONDA])
    assert archive.photos == ()
    assert [(r.name, r.reason) for r in archive.rejected] == [(f"{HONDA}.jpg", "is not a JPEG or PNG image")]


def deflated_zeros(size, chunk=1024 * 1024):
    """Return a raw deflate stream of ``size`` zero bytes, built a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = bytes(chunk)
    parts = [packer.compress(zeros) for _ in range(size // chunk)]
    return b"".join([*parts, packer.flush()])


def zip_with_raw_entry(name, stream, claimed_size, crc=0):
    """Return a one-entry ZIP whose deflated ``stream`` claims ``claimed_size`` bytes (APPNOTE 4.3.7/4.3.12)."""
    raw_name = name.encode()
    local = struct.pack("<4s5HI2I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream), claimed_size, len(raw_name), 0)
    central = struct.pack(
        "<4s6HI2I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(stream), claimed_size, len(raw_name), 0, 0, 0, 0,
        0, 0,
    )
    body = local + raw_name + stream
    directory = central + raw_name
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), len(body), 0)
    return body + directory + end


@pytest.fixture(scope="module")
def zeros_300_mb():
    return deflated_zeros(300 * 1024 * 1024)  # about 300 KB of deflate


@pytest.mark.parametrize("claimed", [1024, 20 * 1024 * 1024])  # 1 KB, and under the 30 MB entry limit
def test_bomb_lying_about_its_size_is_refused_in_bounded_memory(zeros_300_mb, claimed):
    # 300 MB of zeros deflate to about 300 KB; the headers claim ``claimed`` bytes. zipfile.read()
    # inflates all 300 MB before noticing (peak about 600 MB, measured); streaming stops one
    # chunk past the claim.
    data = zip_with_raw_entry(f"{HONDA}.jpg", zeros_300_mb, claimed)
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match="unpacks to more than the .* it declares \\(possible zip bomb\\)"):
            read_photo_zip(data, vins=[HONDA])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The claim plus a few 64 KB chunks (the joined blob is never built): far below 300 MB.
    assert peak < claimed + 10 * 1024 * 1024


def test_uniform_colour_camera_photo_is_accepted():
    # A real 2720 x 1824 JPEG of one colour is about 76 KB and deflates more than 100:1 —
    # the old ratio test (20:1) called it a bomb.
    buffer = io.BytesIO()
    Image.new("RGB", (2720, 1824), (200, 30, 40)).save(buffer, format="JPEG", quality=95)
    jpeg = buffer.getvalue()
    data = make_zip([(f"{HONDA}.jpg", jpeg)], zipfile.ZIP_DEFLATED)
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert info.file_size > 100 * info.compress_size  # the ratio that used to be refused
    archive = read_photo_zip(data, vins=[HONDA])
    assert archive.rejected == ()
    assert [(p.width, p.height, p.data) for p in archive.photos] == [(2720, 1824, jpeg)]


def test_total_size_and_entry_count_caps():
    data = make_zip([(f"{HONDA}_{i}.jpg", JPEG) for i in range(1, 4)])
    small = PhotoLimits(zip=ZipLimits(max_total_bytes=2 * len(JPEG), max_ratio=None))
    with pytest.raises(ImportFileError, match="unpacks to more than"):
        read_photo_zip(data, vins=[HONDA], limits=small)
    few = PhotoLimits(zip=ZipLimits(max_entries=2))
    with pytest.raises(ImportFileError, match="has 3 entries; the limit is 2"):
        read_photo_zip(data, vins=[HONDA], limits=few)
    with pytest.raises(ImportFileError, match="the limit is 0 MB"):
        read_photo_zip(data, vins=[HONDA], limits=PhotoLimits(max_zip_bytes=100))


def test_lying_size_header_cannot_inflate_more():
    # Declared size 10 bytes, real content longer: reading stops at byte 11, the entry is
    # refused instead of read past the cap.
    data = bytearray(make_zip([(f"{HONDA}.jpg", JPEG)]))
    central = data.find(b"PK\x01\x02")
    local = data.find(b"PK\x03\x04")
    data[central + 24 : central + 28] = struct.pack("<I", 10)
    data[local + 22 : local + 26] = struct.pack("<I", 10)
    with pytest.raises(ImportFileError, match="unpacks to more than the 10 bytes it declares"):
        read_photo_zip(bytes(data), vins=[HONDA])


@pytest.mark.parametrize(
    ("stream", "claimed", "crc", "message"),
    [
        (zlib.compress(b"abc")[2:-4], 3, zlib.crc32(b"abc"), None),  # raw deflate of "abc": read back
        (zlib.compress(b"abc")[2:-4], 3, 0, "is damaged"),  # wrong CRC-32
        (zlib.compress(b"abc")[2:-4], 4, zlib.crc32(b"abc"), "is damaged"),  # ends before its size
        (zlib.compress(b"abcd")[2:-6], 4, zlib.crc32(b"abcd"), "is damaged"),  # stream cut short
        (b"\xff\xff\xff", 3, 0, "is damaged"),  # not deflate data
    ],
)
def test_read_member_checks_size_crc_and_stream(stream, claimed, crc, message):
    data = zip_with_raw_entry("a.bin", stream, claimed, crc)
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    if message is None:
        assert read_member(data, info) == b"abc"
    else:
        with pytest.raises(ImportFileError, match=message):
            read_member(data, info)


def test_not_a_zip():
    with pytest.raises(ImportFileError, match="photo ZIP is damaged or not a ZIP archive"):
        read_photo_zip(JPEG)
