"""Line breaks in PDF paragraphs: Thai only between words, Korean words whole, Chinese between characters."""

import pytest
from reportlab.lib.styles import ParagraphStyle

from app.documents.fonts import font_runs, register_fonts
from app.documents.linebreaks import (
    THAI_CANNOT_START,
    ThaiParagraph,
    break_points,
    paragraph,
    thai_words,
    wrap_mode,
    wrap_runs,
)


def _lines(para, width):
    """Return the text of each line reportlab laid out for a paragraph wrapped at width points."""
    para.wrap(width, 10_000)
    out = []
    for line in para.blPara.lines:
        if hasattr(line, "words"):
            text = "".join(getattr(f, "text", "") for f in line.words)
        else:
            text = " ".join(line[1])
        out.append(text)
    return out


def _style(font, wrap=None):
    register_fonts()
    return ParagraphStyle("t", fontName=font, fontSize=9, leading=12, shaping=1, wordWrap=wrap)


# Hand-segmented: the words a Thai reader sees (and newmm's dictionary finds).
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ราคารถยนต์รวมภาษีมูลค่าเพิ่มแล้ว", ("ราคา", "รถยนต์", "รวม", "ภาษีมูลค่าเพิ่ม", "แล้ว")),
        ("ค่าธรรมเนียมจดทะเบียน", ("ค่าธรรมเนียม", "จดทะเบียน")),
        ("ลูกค้าลงนามในสัญญา", ("ลูกค้า", "ลงนาม", "ใน", "สัญญา")),
    ],
)
def test_thai_words_are_the_dictionary_words(text, words):
    assert thai_words(text) == words


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("ราคารถยนต์", [4]),  # ราคา|รถยนต์
        ("BMW X5ราคา", [6]),  # Thai meets Latin without a space: a break; inside "BMW" and "X5" none
        ("A-1 100%", []),  # no Thai: only white space breaks (handled as pieces)
        ("กรุงเทพฯ", []),  # PAIYANNOI never starts a line
    ],
)
def test_break_points(text, points):
    assert break_points(text) == points


SENTENCES = [
    "ราคารถยนต์รวมภาษีมูลค่าเพิ่มแล้วและค่าธรรมเนียมจดทะเบียน",
    "ข้อเสนอนี้มีผลภายในสามสิบวันนับจากวันที่ออกเอกสาร ราคาอาจเปลี่ยนแปลงได้",
    "ลูกค้าลงนามในสัญญาซื้อขายรถยนต์ที่โชว์รูมกรุงเทพฯ เมื่อวันจันทร์",
]


@pytest.mark.parametrize("text", SENTENCES)
@pytest.mark.parametrize("width", [60, 90, 140])  # the longest word, ภาษีมูลค่าเพิ่ม, is 58 pt at 9 pt
def test_thai_lines_break_only_between_words(text, width):
    style = _style("ForecourtSansThai")
    runs = font_runs(text, "th")
    para = paragraph(runs, style)
    assert isinstance(para, ThaiParagraph)
    lines = _lines(para, width)
    assert len(lines) > 1
    # Every break falls on a word boundary: the lines, joined, are the text minus the spaces at the breaks, and
    # each line's end offset is a segmenter boundary or a space.
    allowed = set(break_points(text)) | {i for i, c in enumerate(text) if c.isspace()} | {
        i + 1 for i, c in enumerate(text) if c.isspace()
    }
    offset = 0
    for line in lines:
        while text[offset].isspace():
            offset += 1
        assert text[offset] not in THAI_CANNOT_START, line
        # Shaped lines carry a private-use code for a context form of a mark: one code per character still.
        offset += len(line.strip())
        assert offset in allowed | {len(text)}, (line, offset)
    assert offset == len(text)


def test_thai_line_fits_the_width():
    style = _style("ForecourtSansThai")
    para = paragraph(font_runs(SENTENCES[0], "th"), style)
    _, height = para.wrap(60, 10_000)
    # reportlab broke no line of its own: every line we laid out fits (no negative spare width) and stays one line.
    assert len(para.blPara.lines) == len(wrap_runs(font_runs(SENTENCES[0], "th"), 60 - ThaiParagraph._SLACK, 9))
    assert min(line.extraSpace for line in para.blPara.lines) >= 0
    assert height == len(para.blPara.lines) * 12


def test_korean_keeps_words_whole():
    text = "차량 가격에는 부가가치세가 포함되어 있습니다"
    lines = _lines(paragraph(font_runs(text, "ko"), _style("ForecourtSansKR", wrap_mode("ko"))), 60)
    assert wrap_mode("ko") is None
    assert all(word in text.split() for line in lines for word in line.split())


def test_chinese_breaks_between_characters():
    text = "车辆价格已包含增值税和登记费用"
    para = paragraph(font_runs(text, "zh_Hans"), _style("ForecourtSansSC", wrap_mode("zh_Hans")))
    lines = _lines(para, 40)
    assert wrap_mode("zh-Hans") == "CJK"
    assert len(lines) > 1
    assert "".join(lines) == text
