"""Where a PDF paragraph may break its lines, by script.

reportlab's Paragraph breaks at white space (``wordWrap=None``) or between any two characters
(``wordWrap="CJK"``). That suits Latin, Cyrillic and Korean (Korean separates words with spaces and keeps them
whole) and Chinese (a line may break between any two hanzi, which ``CJK`` mode does with its kinsoku rules), but
not Thai, which writes no spaces between words: the whole run is one "word" to reportlab, split wherever the width
runs out -- inside a word, even before a following vowel or tone mark (``ราคา`` -> ``ร`` / ``าคา``).

Rule used here (``thai_paragraph`` / ``ThaiParagraph``): a Thai paragraph breaks only

* at white space, or
* at a word boundary inside Thai text found by PyThaiNLP's dictionary-based ``newmm`` segmenter (maximal
  matching over its Thai word list, constrained to Thai character clusters, so a boundary never falls before a
  following vowel or a mark), or at the edge between Thai and other text.

A piece that begins with a character in ``THAI_CANNOT_START`` is glued to the piece before it, as a second guard.
reportlab keeps a space between words it wraps itself, so the lines are measured here (``stringWidth`` per face,
at the style's font size) and joined with ``<br/>``; a single word wider than the line is left to reportlab, which
splits it. The segmenter loads its dictionary (~0.7 s) on the first Thai paragraph only.
"""

from __future__ import annotations

import re
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph

# Thai characters that never begin a line: following/above/below vowels SARA A .. PHINTHU (U+0E30-U+0E3A),
# LAKKHANGYAO and MAIYAMOK (U+0E45, U+0E46), the tone and other marks MAITAIKHU .. YAMAKKAN (U+0E47-U+0E4E),
# and PAIYANNOI (U+0E2F), the abbreviation mark that ends a word. Leading vowels (U+0E40-U+0E44) may.
THAI_CANNOT_START: frozenset[str] = frozenset(
    [chr(c) for c in range(0x0E30, 0x0E3B)] + [chr(c) for c in range(0x0E45, 0x0E4F)] + ["\u0e2f"]
)
_THAI = re.compile("[\u0e00-\u0e7f]+")
_SPACE = re.compile(r"\s+")


def wrap_mode(locale: str | None) -> str | None:
    """Return the ParagraphStyle ``wordWrap`` for a document language: ``"CJK"`` for Chinese, else None."""
    return "CJK" if (locale or "").replace("-", "_").lower().startswith("zh") else None


def has_thai(text: str) -> bool:
    """Return whether text holds a character of the Thai block (U+0E00-U+0E7F)."""
    return _THAI.search(text) is not None


@lru_cache(maxsize=4096)
def thai_words(text: str) -> tuple[str, ...]:
    """Split a Thai run (no spaces) into words with PyThaiNLP's ``newmm``; the words concatenate back to text."""
    from pythainlp.tokenize import word_tokenize  # deferred: loads the dictionary, only Thai documents pay

    return tuple(word_tokenize(text, engine="newmm", keep_whitespace=True))


def break_points(text: str) -> list[int]:
    """Return the offsets (0 < i < len(text)) where a line may break before ``text[i]`` without a space.

    A break lies at a ``newmm`` word boundary inside a Thai run, or where a Thai run meets other (non-space) text;
    never before a character of ``THAI_CANNOT_START``. White space is a break of its own (see ``pieces``).
    """
    points: set[int] = set()
    for match in _THAI.finditer(text):
        start, end = match.span()
        points.update((start, end))
        offset = start
        for word in thai_words(match.group()):
            offset += len(word)
            points.add(offset)
    return sorted(
        i for i in points
        if 0 < i < len(text) and text[i] not in THAI_CANNOT_START and not text[i].isspace() and not text[i - 1].isspace()
    )


def pieces(text: str) -> list[str]:
    """Split text into unbreakable pieces and white-space pieces; the pieces concatenate back to text."""
    out: list[str] = []
    for token in re.split(r"(\s+)", text):
        if not token:
            continue
        if token.isspace():
            out.append(token)
            continue
        last = 0
        for i in break_points(token):
            out.append(token[last:i])
            last = i
        out.append(token[last:])
    return out


def wrap_runs(runs: list[tuple[str, str]], width: float, font_size: float) -> list[list[tuple[str, str]]]:
    """Greedily fill lines of at most ``width`` points with the pieces of (face, text) runs.

    Returns the lines, each a list of (face, text) runs; spaces at a break are dropped. A piece wider than
    ``width`` gets a line of its own.
    """
    faces: list[str] = [face for face, run in runs for _ in run]
    text = "".join(run for _, run in runs)
    lines: list[list[tuple[int, int]]] = [[]]
    used = 0.0
    offset = 0

    def measure(start: int, end: int) -> float:
        total, i = 0.0, start
        while i < end:
            j = i
            while j < end and faces[j] == faces[i]:
                j += 1
            total += stringWidth(text[i:j], faces[i], font_size)
            i = j
        return total

    for piece in pieces(text):
        start, end = offset, offset + len(piece)
        offset = end
        w = measure(start, end)
        if piece.isspace():
            if lines[-1]:
                lines[-1].append((start, end))
                used += w
            continue
        if lines[-1] and used + w > width:
            while lines[-1] and text[lines[-1][-1][0]].isspace():
                lines[-1].pop()
            lines.append([])
            used = 0.0
        lines[-1].append((start, end))
        used += w
    while lines[-1] and text[lines[-1][-1][0]].isspace():
        lines[-1].pop()

    result: list[list[tuple[str, str]]] = []
    for line in lines:
        runs_out: list[tuple[str, str]] = []
        for start, end in line:
            for i in range(start, end):
                if runs_out and runs_out[-1][0] == faces[i]:
                    runs_out[-1] = (faces[i], runs_out[-1][1] + text[i])
                else:
                    runs_out.append((faces[i], text[i]))
        result.append(runs_out)
    return result


def runs_markup(runs: list[tuple[str, str]]) -> str:
    """Return Paragraph markup drawing each (face, text) run in its face."""
    return "".join(f'<font name="{face}">{escape(run)}</font>' for face, run in runs)


class ThaiParagraph(Paragraph):
    """A Paragraph that breaks Thai text only between words (see the module docstring).

    Built with ``runs`` (the (face, text) pairs of ``fonts.font_runs``); on each ``wrap`` to a new width it lays
    the lines out with ``wrap_runs`` and hands reportlab markup with a ``<br/>`` per line. Built by reportlab's
    own ``split`` (``runs`` None, ``frags`` given), it is a plain Paragraph of lines already broken.
    """

    # A hair under the width: harfbuzz-shaped advances may differ from stringWidth's by a fraction of a point.
    _SLACK = 0.5

    def __init__(self, text, style=None, bulletText=None, frags=None, *args, runs=None, **kwargs):
        self._runs = runs
        self._laid_for: float | None = None
        super().__init__(text if runs is None else runs_markup(runs), style, bulletText, frags, *args, **kwargs)

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab API
        """Lay the Thai lines out for this width, then let reportlab wrap the already broken lines."""
        if self._runs is not None and availWidth != self._laid_for:
            style = self.style
            width = availWidth - style.leftIndent - style.rightIndent - max(style.firstLineIndent, 0) - self._SLACK
            lines = wrap_runs(self._runs, width, style.fontSize)
            self._setup("<br/>".join(runs_markup(line) for line in lines), style, self.bulletText, None, _clean)
            self._laid_for = availWidth
        return super().wrap(availWidth, availHeight)


def _clean(text: str) -> str:
    from reportlab.platypus.paragraph import cleanBlockQuotedText

    return cleanBlockQuotedText(text)


def paragraph(runs: list[tuple[str, str]], style: ParagraphStyle) -> Paragraph:
    """Return the Paragraph for (face, text) runs: a ``ThaiParagraph`` when the text holds Thai, else a plain one."""
    if any(has_thai(run) for _, run in runs):
        return ThaiParagraph(None, style, runs=runs)
    return Paragraph(runs_markup(runs), style)
