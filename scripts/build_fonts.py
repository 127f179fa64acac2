"""Build the TrueType fonts that Forecourt's PDF offers embed, into app/documents/fonts/.

A developer tool, not part of `make`: its outputs are committed, so a fresh clone has the fonts with nothing but
Python. Rerun it only to change a subset or move to a newer upstream release, then commit the new files and update
the versions, ranges and sizes in app/documents/fonts/README.md from what it prints.

reportlab's TTFont embeds only TrueType-outline (glyf) fonts, so the sources become:

- Forecourt Sans (Latin, Cyrillic, currency): Noto Sans variable TTF from the PyPI wheel `fontpkg-noto-sans`,
  instantiated at wght 400 / 700 and wdth 100 with fontTools.varLib.instancer, subset, plus the Baht sign U+0E3F
  copied from Noto Sans Thai at the same weight (Noto Sans has no U+0E3F), so one face prints every amount
  (₩ ฿ $ € ₽ ¥).
- Forecourt Sans Thai: Noto Sans Thai variable TTF from the PyPI wheel `fontpkg-noto-sans-thai`, instantiated
  likewise; not subset (GSUB/GPOS kept whole for harfbuzz shaping of vowels and tone marks).
- Forecourt Sans KR: Noto Sans KR CFF OTF from the npm package @embedpdf/fonts-kr, subset, then CFF cubic outlines
  converted to TrueType quadratics (fontTools' Snippets/otf2ttf.py approach: Cu2QuPen, max error 1 unit).
- Forecourt Sans SC: Noto Sans SC (Hans) CFF OTF from the npm package @embedpdf/fonts-sc, subset to GB2312,
  converted likewise.

Every output is renamed (name table IDs 1-4, 6, 16, 17) because the CJK sources' licence reserves the font name
"Noto Sans" and OFL-1.1 condition 3 forbids a Modified Version (subset/converted) from using a Reserved Font Name;
the copyright and licence records (IDs 0, 13, 14) are kept.

Usage:
    .venv/bin/pip install fonttools fontpkg-noto-sans fontpkg-noto-sans-thai
    (cd /tmp/npmv && npm install @embedpdf/fonts-kr @embedpdf/fonts-sc)
    .venv/bin/python scripts/build_fonts.py [--npm-dir /tmp/npmv/node_modules] [--out app/documents/fonts]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import sys
import time
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.varLib import instancer

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "app" / "documents" / "fonts"
DEFAULT_NPM = Path("/tmp/npmv/node_modules")  # noqa: S108 - where the npm install above puts them; see --npm-dir

WEIGHTS = {"Regular": 400, "Bold": 700}
# fontTools' otf2ttf snippet: 1 font unit of maximum approximation error, reverse contour direction (CFF is
# counter-clockwise, TrueType clockwise).
CU2QU_MAX_ERR = 1.0

CURRENCY = [0x0024, 0x00A2, 0x00A3, 0x00A5, 0x20A9, 0x0E3F, 0x20AC, 0x20BD]  # $ ¢ £ ¥ ₩ ฿ € ₽

# Inclusive code point ranges per output family; README.md lists the same ones (generated from these).
LATIN_RANGES = [
    (0x0020, 0x007E, "Basic Latin"),
    (0x00A0, 0x00FF, "Latin-1 Supplement"),
    (0x0100, 0x017F, "Latin Extended-A"),
    (0x0400, 0x045F, "Cyrillic (basic)"),
    (0x2000, 0x206F, "General Punctuation"),
    (0x20A0, 0x20CF, "Currency Symbols"),
    (0x2100, 0x2122, "Letterlike (numero, trade mark)"),
    (0x0E3F, 0x0E3F, "Thai Baht sign, copied from Noto Sans Thai"),
]
KR_RANGES = [
    (0x0020, 0x007E, "Basic Latin"),
    (0x00A0, 0x00FF, "Latin-1 Supplement"),
    (0x20A9, 0x20A9, "Won sign"),
    (0x3000, 0x303F, "CJK Symbols and Punctuation"),
    (0x3130, 0x318F, "Hangul Compatibility Jamo"),
    (0xAC00, 0xD7A3, "Hangul Syllables"),
    (0xFF00, 0xFFEF, "Halfwidth and Fullwidth Forms"),
]
SC_RANGES = [
    (0x0020, 0x007E, "Basic Latin"),
    (0x00A5, 0x00A5, "Yen/Yuan sign"),
    (0x3000, 0x303F, "CJK Symbols and Punctuation"),
    (0xFF00, 0xFFEF, "Halfwidth and Fullwidth Forms"),
]


def gb2312_code_points() -> list[int]:
    """Return every code point of GB2312: each two-byte code 0xA1A1-0xF7FE that decodes as 'gb2312' (7,445)."""
    points = []
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                char = bytes((lead, trail)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            points.append(ord(char))
    return points


def expand(ranges: list[tuple[int, int, str]]) -> list[int]:
    """Return the code points of inclusive (first, last, label) ranges."""
    return [cp for first, last, _ in ranges for cp in range(first, last + 1)]


def rename(font: TTFont, family: str, style: str) -> None:
    """Give font a new family name on every platform, keeping copyright and licence records."""
    name = font["name"]
    ps_family = family.replace(" ", "")
    records = {
        1: family if style in ("Regular", "Bold") else f"{family} {style}",
        2: style,
        3: f"{ps_family}-{style};forecourt-build",
        4: f"{family} {style}" if style != "Regular" else family,
        6: f"{ps_family}-{style}",
    }
    name.names = [rec for rec in name.names if rec.nameID not in (1, 2, 3, 4, 6, 16, 17, 21, 22)]
    for name_id, text in records.items():
        name.setName(text, name_id, 3, 1, 0x409)
        name.setName(text, name_id, 1, 0, 0)
    if "CFF " in font:
        font["CFF "].cff.fontNames = [records[6]]


def subset_font(font: TTFont, unicodes: list[int], *, keep_layout_all: bool = False) -> None:
    """Subset font in place to unicodes, dropping hinting (reportlab ignores it) and glyph-name bloat."""
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.drop_tables += ["DSIG", "VORG", "BASE", "vhea", "vmtx"]
    if keep_layout_all:
        options.layout_features = ["*"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)


def otf_to_ttf(font: TTFont) -> None:
    """Convert a CFF-outline font to TrueType glyf outlines in place (fontTools Snippets/otf2ttf.py)."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    quad = {}
    for glyph_name in glyph_order:
        tt_pen = TTGlyphPen(glyph_set)
        glyph_set[glyph_name].draw(Cu2QuPen(tt_pen, CU2QU_MAX_ERR, reverse_direction=True))
        quad[glyph_name] = tt_pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = quad
    del font["CFF "]
    for tag in ("VORG", "CFF2"):
        if tag in font:
            del font[tag]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for glyph_name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[glyph_name] = (hmtx[glyph_name][0], glyph.xMin)
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
    ):
        setattr(maxp, attr, 0)
    maxp.maxComponentElements = max(len(getattr(g, "components", [])) for g in glyf.glyphs.values())
    maxp.compile(font)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: 11k CID names would only cost bytes; reportlab does not read them
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def static_instance(variable_path: Path, weight: int) -> TTFont:
    """Instantiate a static font at weight (wght) and normal width (wdth 100) from a variable TTF."""
    variable = TTFont(variable_path)
    limits = {"wght": weight}
    if any(axis.axisTag == "wdth" for axis in variable["fvar"].axes):
        limits["wdth"] = 100
    return instancer.instantiateVariableFont(variable, limits, inplace=False)


def copy_glyph(source: TTFont, target: TTFont, code_point: int) -> None:
    """Copy the glyph for code_point from source into target (decomposed), mapping it in every Unicode cmap."""
    source_name = source.getBestCmap()[code_point]
    glyph_set = source.getGlyphSet()
    recording = DecomposingRecordingPen(glyph_set)
    glyph_set[source_name].draw(recording)
    pen = TTGlyphPen(None)
    recording.replay(pen)
    glyph = pen.glyph()
    new_name = f"uni{code_point:04X}"
    order = target.getGlyphOrder()
    if new_name in order:
        raise RuntimeError(f"{new_name} already in target font")
    glyf = target["glyf"]
    glyf.glyphs[new_name] = glyph
    target.setGlyphOrder([*order, new_name])
    glyf.glyphOrder = target.getGlyphOrder()
    glyph.recalcBounds(glyf)
    advance = source["hmtx"][source_name][0]
    target["hmtx"].metrics[new_name] = (advance, getattr(glyph, "xMin", 0))
    for table in target["cmap"].tables:
        if table.isUnicode():
            table.cmap[code_point] = new_name


def wheel_font(dist: str, module: str, filename: str) -> tuple[Path, str]:
    """Return (path, version) of a font file shipped in an installed fontpkg wheel."""
    version = importlib.metadata.version(dist)
    package = __import__(module)
    path = Path(package.__file__).parent / "files" / filename
    if not path.exists():
        raise SystemExit(f"{path} missing: pip install {dist}")
    return path, version


def save(font: TTFont, path: Path) -> int:
    """Write font to path with recalculated bounds; return its size in bytes."""
    font.recalcBBoxes = True
    font.recalcTimestamp = False  # keep the source's head.modified so a rebuild gives identical bytes
    buffer = io.BytesIO()
    font.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path.stat().st_size


def build(npm_dir: Path, out: Path) -> dict[str, object]:
    """Build all eight faces into out; return a manifest of sources, versions, ranges and sizes."""
    out.mkdir(parents=True, exist_ok=True)
    noto_sans, noto_sans_version = wheel_font("fontpkg-noto-sans", "fontpkg_noto_sans", "NotoSans[wdth,wght].ttf")
    noto_thai, noto_thai_version = wheel_font(
        "fontpkg-noto-sans-thai", "fontpkg_noto_sans_thai", "NotoSansThai[wdth,wght].ttf"
    )
    kr_pkg = npm_dir / "@embedpdf" / "fonts-kr"
    sc_pkg = npm_dir / "@embedpdf" / "fonts-sc"
    for pkg in (kr_pkg, sc_pkg):
        if not (pkg / "package.json").exists():
            raise SystemExit(f"{pkg} missing: cd {npm_dir.parent} && npm install @embedpdf/{pkg.name}")
    kr_version = json.loads((kr_pkg / "package.json").read_text())["version"]
    sc_version = json.loads((sc_pkg / "package.json").read_text())["version"]
    gb2312 = gb2312_code_points()
    print(f"GB2312: {len(gb2312)} code points")

    files: list[dict[str, object]] = []

    def record(family: str, style: str, path: Path, size: int, source: str, glyphs: int) -> None:
        files.append({"family": family, "style": style, "file": path.name, "bytes": size, "source": source})
        print(f"  wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {size:,} bytes, "
              f"{glyphs} glyphs  <- {source}")

    for style, weight in WEIGHTS.items():
        started = time.monotonic()
        print(f"[{style}] Forecourt Sans from {noto_sans.name} wght={weight}")
        latin = static_instance(noto_sans, weight)
        subset_font(latin, [cp for cp in expand(LATIN_RANGES) if cp != 0x0E3F])
        thai = static_instance(noto_thai, weight)
        copy_glyph(thai, latin, 0x0E3F)
        rename(latin, "Forecourt Sans", style)
        path = out / f"ForecourtSans-{style}.ttf"
        record("Forecourt Sans", style, path, save(latin, path), f"fontpkg-noto-sans {noto_sans_version}: "
               f"{noto_sans.name} @ wght {weight}, wdth 100 (+U+0E3F from Noto Sans Thai)", len(latin.getGlyphOrder()))

        print(f"[{style}] Forecourt Sans Thai from {noto_thai.name} wght={weight}")
        thai = static_instance(noto_thai, weight)
        rename(thai, "Forecourt Sans Thai", style)
        path = out / f"ForecourtSansThai-{style}.ttf"
        record("Forecourt Sans Thai", style, path, save(thai, path), f"fontpkg-noto-sans-thai {noto_thai_version}: "
               f"{noto_thai.name} @ wght {weight}, wdth 100 (not subset)", len(thai.getGlyphOrder()))

        for family, pkg, version, src_name, unicodes, stem in (
            ("Forecourt Sans KR", kr_pkg, kr_version, f"NotoSansKR-{style}.otf", expand(KR_RANGES), "ForecourtSansKR"),
            ("Forecourt Sans SC", sc_pkg, sc_version, f"NotoSansHans-{style}.otf",
             sorted(set(expand(SC_RANGES)) | set(gb2312)), "ForecourtSansSC"),
        ):
            source = pkg / "fonts" / src_name
            if not source.exists():
                raise SystemExit(f"{source} missing: reinstall @embedpdf/{pkg.name}")
            print(f"[{style}] {family} from {source.name}: subset to {len(unicodes)} code points, CFF -> glyf")
            cjk = TTFont(source)
            subset_font(cjk, unicodes)
            otf_to_ttf(cjk)
            rename(cjk, family, style)
            path = out / f"{stem}-{style}.ttf"
            missing = [cp for cp in unicodes if cp not in cjk.getBestCmap() and unicodedata.category(chr(cp)) != "Cn"]
            record(family, style, path, save(cjk, path), f"@embedpdf/{pkg.name} {version}: fonts/{src_name}",
                   len(cjk.getGlyphOrder()))
            if missing:
                print(f"    note: {len(missing)} assigned code points not in the source (e.g. "
                      f"{', '.join(f'U+{cp:04X}' for cp in missing[:8])})")
        print(f"[{style}] done in {time.monotonic() - started:.1f} s")

    licence_parts = [
        ("Forecourt Sans (from Noto Sans, fontpkg-noto-sans)", noto_sans.parent.parent / "LICENSE"),
        ("Forecourt Sans Thai and the Baht sign in Forecourt Sans (from Noto Sans Thai, fontpkg-noto-sans-thai)",
         noto_thai.parent.parent / "LICENSE"),
        ("Forecourt Sans KR (from Noto Sans KR, @embedpdf/fonts-kr)", kr_pkg / "LICENSE"),
        ("Forecourt Sans SC (from Noto Sans SC, @embedpdf/fonts-sc)", sc_pkg / "LICENSE"),
    ]
    text = ["Licences of the fonts in this folder, copied verbatim from each source package.\n"
            "All are the SIL Open Font License 1.1; the files here are Modified Versions (instanced, subset,\n"
            "converted to TrueType outlines) and renamed \"Forecourt Sans ...\" per condition 3.\n"]
    for title, path in licence_parts:
        text.append(f"\n{'=' * 78}\n{title}\n{'=' * 78}\n\n{path.read_text(encoding='utf-8').strip()}\n")
    (out / "OFL.txt").write_text("".join(text), encoding="utf-8")
    print(f"  wrote OFL.txt ({len(licence_parts)} licences)")

    total = sum(int(f["bytes"]) for f in files)
    print(f"total font bytes: {total:,} ({total / 1024 / 1024:.2f} MiB)")
    return {
        "fonttools": importlib.metadata.version("fonttools"),
        "files": files,
        "total": total,
        "gb2312": len(gb2312),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the fonts and print a summary; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npm-dir", type=Path, default=DEFAULT_NPM, help="node_modules holding @embedpdf/fonts-*")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    manifest = build(args.npm_dir, args.out)
    print(json.dumps(manifest, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
