"""Vendored PDF fonts: coverage, face choice by script and locale, embedding, extractable text, Thai shaping."""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess  # noqa: S404 - runs poppler's pdftoppm on a file this test wrote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, SimpleDocTemplate

from app.documents import fonts
from app.documents.fonts import (
    CHINESE,
    FAMILIES,
    KOREAN,
    LATIN,
    THAI,
    UnknownFontError,
    covers,
    face_name,
    font_for_text,
    font_runs,
    locale_family,
    needs_shaping,
    paragraph_font,
    register_fonts,
)

HAS_HARFBUZZ = importlib.util.find_spec("uharfbuzz") is not None

# The offer page of the brief: (text, locale of the document).
OFFER_LINES = [
    ("김민준", "ko"),
    ("ฮุนได ไอออนิค 5", "th"),
    ("现代 索纳塔", "zh_Hans"),
    ("Коммерческое предложение", "ru"),
    ("₩45,000,000", "ko"),
    ("฿1,234,567.50", "th"),
    ("Out-the-door price $38,950.00 / €1.234,50 / ₽2 500 000 / ¥199,800", "en"),
]


def build_pdf(lines: list[tuple[str, str]], *, shaping: bool = False) -> bytes:
    """Return a one-page A4 PDF with one Paragraph per (text, locale), each in font_for_text's face."""
    buffer = io.BytesIO()
    # initialFontName: else the canvas starts each page in Helvetica, a non-embedded base-14 font
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, topMargin=20 * mm, initialFontName=paragraph_font("en")
    )
    story = []
    for i, (text, locale) in enumerate(lines):
        face = font_for_text(text, locale)
        style = ParagraphStyle(f"line{i}", fontName=face, fontSize=14, leading=22, shaping=int(shaping))
        story.append(Paragraph(text, style))
    doc.build(story)
    return buffer.getvalue()


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Return BaseFont name -> whether its descriptor embeds a TrueType program (FontFile2), for page 1."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    result = {}
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        result[str(font["/BaseFont"])] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    return result


def page_text(pdf: bytes) -> str:
    """Return the text pypdf extracts from page 1."""
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


# --- the faces themselves -------------------------------------------------------------------------------------


def test_register_fonts_is_idempotent():
    register_fonts()
    before = dict(pdfmetrics._fonts)
    register_fonts()
    assert dict(pdfmetrics._fonts) == before
    for family in FAMILIES:
        for bold in (False, True):
            assert pdfmetrics.getFont(face_name(family, bold)).fontName == face_name(family, bold)


@pytest.mark.parametrize(
    ("face", "first", "last", "count"),
    [
        # Hangul Syllables U+AC00..U+D7A3: 0xD7A3 - 0xAC00 + 1 = 55203 - 44032 + 1 = 11,172
        (KOREAN, 0xAC00, 0xD7A3, 11172),
        # Thai consonants ก..ฮ: 0x0E2E - 0x0E01 + 1 = 46
        (THAI, 0x0E01, 0x0E2E, 46),
        # Basic Cyrillic А..я: 0x044F - 0x0410 + 1 = 64
        (LATIN, 0x0410, 0x044F, 64),
        # Basic Latin printable: 0x7E - 0x20 + 1 = 95, in every face
        (LATIN, 0x20, 0x7E, 95),
        (THAI, 0x20, 0x7E, 95),
        (KOREAN, 0x20, 0x7E, 95),
        (CHINESE, 0x20, 0x7E, 95),
    ],
)
def test_face_covers_its_ranges(face, first, last, count):
    text = "".join(chr(cp) for cp in range(first, last + 1))
    assert len(text) == count
    assert covers(face, text)
    assert covers(face_name(face.split("-")[0], bold=True), text)


def test_chinese_face_covers_all_of_gb2312():
    chars = []
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.append(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    # GB2312: 682 symbols + 3,755 level-1 + 3,008 level-2 hanzi = 7,445
    assert len(chars) == 7445
    assert covers(CHINESE, "".join(chars))
    assert covers(face_name(CHINESE, bold=True), "".join(chars))


@pytest.mark.parametrize(
    ("face", "signs", "expected"),
    [
        (LATIN, "₩฿$€₽¥", True),  # the Latin face prints every amount (฿ copied in from Noto Sans Thai)
        (KOREAN, "₩", True),
        (THAI, "฿", True),
        (CHINESE, "¥", True),
        (KOREAN, "฿", False),
        (CHINESE, "₩", False),
    ],
)
def test_currency_signs(face, signs, expected):
    assert covers(face, signs) is expected


def test_unknown_face_raises():
    with pytest.raises(UnknownFontError):
        face_name("Helvetica")
    with pytest.raises(UnknownFontError):
        covers("Helvetica", "x")


# --- choosing a face -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "family"),
    [
        ("ko", KOREAN),
        ("ko_KR", KOREAN),
        ("th-TH", THAI),
        ("zh_Hans", CHINESE),
        ("zh-CN", CHINESE),
        ("ru", LATIN),
        ("en", LATIN),
        ("de", LATIN),
        (None, LATIN),
        ("", LATIN),
    ],
)
def test_locale_family(locale, family):
    assert locale_family(locale) == family
    assert paragraph_font(locale) == family
    assert paragraph_font(locale, bold=True) == f"{family}-Bold"


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("김민준", "en", KOREAN),  # Hangul decides whatever the locale
        ("김민준", "th", KOREAN),
        ("ฮุนได ไอออนิค 5", "en", THAI),
        ("现代 索纳塔", "ko", CHINESE),  # the Korean face has no hanja
        ("Коммерческое предложение", "zh_Hans", LATIN),  # Cyrillic goes to the Latin/Cyrillic face
        ("Коммерческое предложение", "ru", LATIN),
        ("₩45,000,000", "ko", KOREAN),  # neutral text stays in the locale's face when it has the glyphs
        ("₩45,000,000", "th", LATIN),  # the Thai face has no ₩: Latin has every currency sign
        ("฿1,234,567.50", "th", THAI),
        ("฿1,234,567.50", "ko", LATIN),  # the Korean face has no ฿
        ("฿1,234,567.50", "zh_Hans", LATIN),
        ("IONIQ 5", "ko", KOREAN),
        ("IONIQ 5", "en", LATIN),
        ("", "th", THAI),
    ],
)
def test_font_for_text(text, locale, expected):
    assert font_for_text(text, locale) == expected
    assert font_for_text(text, locale, bold=True) == f"{expected}-Bold"


def test_font_runs_splits_mixed_text():
    runs = font_runs("고객: 김민준 (Ким) 现代 ฿5", "ko")
    assert runs == [
        (KOREAN, "고객: 김민준 ("),
        (LATIN, "Ким) "),
        (CHINESE, "现代 "),
        (LATIN, "฿5"),  # ฿ is neither in GB2312 nor in the Korean face
    ]
    assert font_runs("", "ko") == []


SAMPLE_CHARS = "김민준가힣ฮุนไดอิค่้现代索纳塔КоммерчскёABCxyz0123456789 ,.:()-₩฿$€₽¥"


@given(st.text(alphabet=SAMPLE_CHARS, max_size=40), st.sampled_from(["ko", "th", "zh_Hans", "ru", "en"]))
def test_font_runs_cover_and_rebuild_the_text(text, locale):
    runs = font_runs(text, locale)
    assert "".join(run for _, run in runs) == text
    for face, run in runs:
        assert covers(face, run), (face, run)
    for (face_a, _), (face_b, _) in zip(runs, runs[1:], strict=False):
        assert face_a != face_b  # adjacent runs are merged


def test_only_thai_is_shaped():
    assert needs_shaping(THAI) is HAS_HARFBUZZ
    assert needs_shaping(face_name(THAI, bold=True)) is HAS_HARFBUZZ
    for face in (LATIN, KOREAN, CHINESE, "Helvetica"):
        assert needs_shaping(face) is False


# --- a real PDF ------------------------------------------------------------------------------------------------


def test_offer_pdf_text_is_extractable():
    text = page_text(build_pdf(OFFER_LINES))
    for line, _ in OFFER_LINES:
        assert line in text


def test_offer_pdf_embeds_every_font():
    embedded = embedded_fonts(build_pdf(OFFER_LINES))
    # reportlab names an embedded subset "<6 letters>+<PostScript name>"
    families = {name.split("+", 1)[1] for name in embedded}
    assert families == {
        "ForecourtSansKR-Regular",
        "ForecourtSansThai-Regular",
        "ForecourtSansSC-Regular",
        "ForecourtSans-Regular",
    }
    assert all(embedded.values()), embedded


def test_bold_markup_switches_to_the_bold_face():
    buffer = io.BytesIO()
    style = ParagraphStyle("b", fontName=paragraph_font("ko"), fontSize=12)
    SimpleDocTemplate(buffer, pagesize=A4, initialFontName=style.fontName).build([Paragraph("고객 <b>김민준</b>", style)])
    families = {name.split("+", 1)[1] for name in embedded_fonts(buffer.getvalue())}
    assert families == {"ForecourtSansKR-Regular", "ForecourtSansKR-Bold"}
    assert "고객 김민준" in page_text(buffer.getvalue())


@pytest.mark.skipif(not HAS_HARFBUZZ, reason="uharfbuzz not installed: reportlab cannot shape")
def test_shaped_thai_stays_extractable():
    # ซื้อ and ที่นั่ง put a tone mark over an upper vowel: harfbuzz swaps in uni0E49.small / uni0E48.small,
    # glyphs with no cmap entry that reportlab codes as U+E000..; ShapedTTFont maps them back.
    lines = [("ผู้ซื้อ ที่นั่ง ฮุนได ไอออนิค 5", "th"), ("฿1,234,567.50", "th")]
    pdf = build_pdf(lines, shaping=True)
    text = page_text(pdf)
    assert not any(0xE000 <= ord(c) <= 0xF8FF for c in text), repr(text)
    for line, _ in lines:
        assert line in text
    assert pdf != build_pdf(lines, shaping=False)  # shaping moved the marks


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_offer_pdf_renders(tmp_path):
    from PIL import Image

    pdf_path = tmp_path / "offer.pdf"
    pdf_path.write_bytes(build_pdf(OFFER_LINES, shaping=True))
    subprocess.run(  # noqa: S603 - fixed argument list
        ["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "page")],  # noqa: S607
        check=True,
        capture_output=True,
    )
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        grey = image.convert("L")
        dark = sum(1 for value in grey.getdata() if value < 128)
    assert dark > 2000  # seven lines of 14 pt text; an empty page has 0


def test_module_constants_match_files():
    for family in FAMILIES:
        for style in ("Regular", "Bold"):
            assert (fonts.FONT_DIR / f"{family}-{style}.ttf").is_file()
    assert (fonts.FONT_DIR / "OFL.txt").is_file()
