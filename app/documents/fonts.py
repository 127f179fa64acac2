"""Register Forecourt's vendored PDF fonts with reportlab and pick the face for a text and locale.

The faces (built by ``scripts/build_fonts.py`` from Noto fonts, OFL-1.1; see ``fonts/README.md``):

========================  =============================================================  ===================
reportlab face name       covers                                                         default for locale
========================  =============================================================  ===================
``ForecourtSans``         Latin, Latin-1/Ext-A, Cyrillic, punctuation, ₩ ฿ $ € ₽ ¥       en, ru, any other
``ForecourtSansThai``     Thai, Basic Latin, ฿                                           th
``ForecourtSansKR``       Hangul syllables + compatibility jamo, Latin-1, CJK punct., ₩   ko
``ForecourtSansSC``       GB2312 (hanzi, kana, Greek, Cyrillic), ASCII, CJK punct., ¥    zh (any zh_*)
========================  =============================================================  ===================

Each has a ``-Bold`` face (e.g. ``ForecourtSansKR-Bold``) and is registered as a font family, so ``<b>`` works in
Paragraph markup. Every face is embedded (and subset) by reportlab in the PDF, and text stays extractable.
Start documents with ``SimpleDocTemplate(..., initialFontName=paragraph_font(locale))`` (or
``Canvas(..., initialFontName=...)``): otherwise reportlab opens each page in Helvetica, a base-14 font that is
listed in the page resources but not embedded.

Thai shaping: when ``uharfbuzz`` is importable, reportlab (4.x) shapes a Paragraph whose style has
``shaping=1`` and whose font is *shapable*. Only the Thai faces are registered shapable (harfbuzz applies their
GSUB/GPOS so a tone mark over an upper vowel, as in "ที่" or "ซื้อ", is raised above it instead of overprinting it).
Setting ``shaping=1`` on every ParagraphStyle is therefore safe: other faces ignore it. ``canvas.drawString(...,
shaping=True)`` additionally needs reportlab's ``rlbidi`` package (not on PyPI) and is silently unshaped without it,
so draw Thai through Paragraphs. ``ShapedTTFont`` keeps shaped text extractable. Without uharfbuzz, Thai still
renders and extracts, with tone marks at their default (overprinting) position.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont, makeToUnicodeCMap

FONT_DIR = Path(__file__).resolve().parent / "fonts"

LATIN = "ForecourtSans"
THAI = "ForecourtSansThai"
KOREAN = "ForecourtSansKR"
CHINESE = "ForecourtSansSC"
FAMILIES: tuple[str, ...] = (LATIN, THAI, KOREAN, CHINESE)
SHAPED_FAMILIES: frozenset[str] = frozenset({THAI})

# Primary language subtag -> the family used for body text in that language.
LOCALE_FAMILY: dict[str, str] = {"ko": KOREAN, "th": THAI, "zh": CHINESE, "ru": LATIN, "en": LATIN}

_lock = threading.Lock()
_registered = False
_coverage: dict[str, frozenset[int]] = {}


class UnknownFontError(ValueError):
    """Raised when a face name is not one of the vendored Forecourt faces."""


class ShapedTTFont(TTFont):
    """A reportlab TTFont whose shaped alternate glyphs extract as the character they draw.

    harfbuzz substitutes context forms that have no cmap entry (Noto Sans Thai: ``uni0E49.small``, a tone mark
    above an upper vowel; ``uni0E35.narrow``); reportlab gives each a private-use code (U+E000 up) and writes that
    code into the ToUnicode CMap, so copy/paste and pypdf would read U+E000 for the tone mark. This class rewrites
    each subset's ToUnicode CMap after reportlab builds it, mapping such a code to the code point in the glyph's
    name (``uni<hex>.suffix`` -> U+<hex>). Remaining limit: harfbuzz decomposes SARA AM (U+0E33) into NIKHAHIT +
    SARA AA glyphs, so "น้ำ" extracts as the look-alike "นํ้า".
    """

    def addObjects(self, doc: Any) -> None:
        """Add the font's PDF objects as reportlab does, then map private-use codes back in the ToUnicode CMaps."""
        state = self.state.get(doc)
        subsets = [list(subset) for subset in state.subsets] if state is not None else []
        super().addObjects(doc)
        private = {cp for subset in subsets for cp in subset if 0xE000 <= cp <= 0xF8FF}
        if not private:
            return
        remap = _private_to_unicode(self, private)
        for n, subset in enumerate(subsets):
            if remap.keys().isdisjoint(subset):
                continue
            base_font_name = b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX)).decode("pdfdoc")
            stream = doc.idToObject.get("toUnicodeCMap:" + base_font_name)
            if stream is not None:
                stream.content = makeToUnicodeCMap(base_font_name, [remap.get(cp, cp) for cp in subset])


def _private_to_unicode(font: TTFont, private: set[int]) -> dict[int, int]:
    """Map reportlab's private-use codes of font to the code point named by each glyph (uni<hex>[.suffix])."""
    import uharfbuzz  # present whenever reportlab shaped text, the only way private codes arise

    hb_font = uharfbuzz.Font(font.hbFace)
    remap = {}
    for cp in private:
        gid = font.face.charToGlyph.get(cp)
        name = hb_font.glyph_to_string(gid).split(".", 1)[0] if gid is not None else ""
        if len(name) == 7 and name.startswith("uni"):
            try:
                remap[cp] = int(name[3:], 16)
            except ValueError:
                continue
    return remap


def face_name(family: str, bold: bool = False) -> str:
    """Return the reportlab face name of family (one of ``FAMILIES``) in bold or regular weight.

    Raises UnknownFontError for any other family.
    """
    if family not in FAMILIES:
        raise UnknownFontError(f"Unknown font family {family!r}; expected one of {', '.join(FAMILIES)}")
    return f"{family}-Bold" if bold else family


def register_fonts() -> None:
    """Register the eight vendored faces and their bold/regular family mappings with reportlab, once.

    Idempotent and thread-safe: later calls return at once. Raises FileNotFoundError if a vendored file is
    missing (rebuild with ``scripts/build_fonts.py``).
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for family in FAMILIES:
            regular, bold = face_name(family), face_name(family, bold=True)
            for name, style in ((regular, "Regular"), (bold, "Bold")):
                path = FONT_DIR / f"{family}-{style}.ttf"
                font_class = ShapedTTFont if family in SHAPED_FAMILIES else TTFont
                font = font_class(name, str(path), shapable=family in SHAPED_FAMILIES)
                pdfmetrics.registerFont(font)
                _coverage[name] = frozenset(font.face.charToGlyph)
            pdfmetrics.registerFontFamily(family, normal=regular, bold=bold, italic=regular, boldItalic=bold)
            # registerFontFamily maps the family name; map the regular face name too so <b> inside a
            # Paragraph whose fontName is the face (the usual case) switches to the bold face.
            addMapping(regular, 1, 0, bold)
            addMapping(regular, 1, 1, bold)
        _registered = True


def locale_family(locale: str | None) -> str:
    """Return the font family for a locale tag ("ko", "ko_KR", "th-TH", "zh_Hans", "ru", "en"; None -> Latin).

    Only the primary language subtag counts: any ``zh`` (Traditional too) maps to the Simplified Chinese face,
    the only Chinese face vendored; unknown languages map to the Latin/Cyrillic face.
    """
    if not locale:
        return LATIN
    primary = str(locale).replace("-", "_").split("_", 1)[0].lower()
    return LOCALE_FAMILY.get(primary, LATIN)


def paragraph_font(locale: str | None, bold: bool = False) -> str:
    """Return the registered face name for body text in locale (registering the fonts if needed).

    Example: ``paragraph_font("th")`` -> ``"ForecourtSansThai"``; ``paragraph_font("ko", bold=True)`` ->
    ``"ForecourtSansKR-Bold"``.
    """
    register_fonts()
    return face_name(locale_family(locale), bold)


def needs_shaping(font_name: str) -> bool:
    """Return True when text in font_name should be drawn with reportlab shaping (Thai faces, uharfbuzz present)."""
    register_fonts()
    return bool(pdfmetrics.getFont(font_name).shapable) if font_name in _coverage else False


def _script_family(char: str) -> str | None:
    """Return the family a character's script demands, or None for script-neutral characters."""
    cp = ord(char)
    if 0xAC00 <= cp <= 0xD7A3 or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
        return KOREAN
    if 0x0E01 <= cp <= 0x0E5B and cp != 0x0E3F:  # Thai letters, vowels, marks, digits; ฿ is neutral
        return THAI
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x3040 <= cp <= 0x30FF:
        return CHINESE
    if 0x0400 <= cp <= 0x04FF:
        return LATIN
    return None


def covers(font_name: str, text: str) -> bool:
    """Return True when the registered face font_name has a glyph for every non-space character of text."""
    register_fonts()
    coverage = _coverage.get(font_name)
    if coverage is None:
        raise UnknownFontError(f"Unknown font face {font_name!r}")
    return all(ord(c) in coverage for c in text if not c.isspace() and unicodedata.category(c) != "Cc")


def _candidates(locale: str | None) -> list[str]:
    """Return families to try for neutral text in locale: the locale's own, then Latin (all currency signs), rest."""
    first = locale_family(locale)
    return [first, *(f for f in (LATIN, KOREAN, THAI, CHINESE) if f != first)]


def font_for_text(text: str, locale: str | None, bold: bool = False) -> str:
    """Return the registered face name that should draw text in a document of locale.

    Rule: a script in the text decides — Hangul -> KR, Thai -> Thai, Han/kana -> SC, Cyrillic -> Latin/Cyrillic
    (the first such script wins when several appear). Script-neutral text (digits, Latin letters, punctuation,
    currency signs) stays in the locale's face when that face has every glyph, so amounts and model names match
    the body text; otherwise the first face that covers it all (Latin covers ₩ ฿ $ € ₽ ¥). If no single face
    covers mixed-script text, the script's face is returned anyway — split it with ``font_runs``.

    Examples: ("김민준", "en") -> KR; ("฿1,234,567.50", "th") -> Thai; ("฿1,234,567.50", "ko") -> Latin;
    ("Коммерческое предложение", "zh") -> Latin.
    """
    register_fonts()
    for char in text:
        family = _script_family(char)
        if family is not None:
            return face_name(family, bold)
    for family in _candidates(locale):
        name = face_name(family, bold)
        if covers(name, text):
            return name
    return face_name(locale_family(locale), bold)


def font_runs(text: str, locale: str | None, bold: bool = False) -> list[tuple[str, str]]:
    """Split text into consecutive (face name, run) pairs so each run is drawn by a face that has its glyphs.

    Script characters (see ``font_for_text``) take their script's face; a neutral character (space, digit,
    punctuation, currency sign) joins the run before it when that face draws it, else the next script run's
    face, else the first face that draws it. Text with no script character is one run in ``font_for_text``'s
    face. Concatenating the runs gives back text; empty text gives [].
    """
    register_fonts()
    if not text:
        return []
    script_faces = [face_name(f, bold) if (f := _script_family(c)) else None for c in text]
    if not any(script_faces):
        return [(font_for_text(text, locale, bold), text)]
    upcoming: list[str | None] = [None] * len(text)
    following: str | None = None
    for i in range(len(text) - 1, -1, -1):
        following = script_faces[i] or following
        upcoming[i] = following
    runs: list[tuple[str, str]] = []
    previous: str | None = None
    for i, char in enumerate(text):
        name = script_faces[i]
        if name is None:
            name = next((f for f in (previous, upcoming[i]) if f is not None and covers(f, char)), None)
            name = name or font_for_text(char, locale, bold)
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + char)
        else:
            runs.append((name, char))
        previous = name
    return runs
