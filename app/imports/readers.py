"""Read an uploaded stock file (CSV, XLSX or XML) into a header and numbered rows.

``read_table(data, filename)`` returns an ``ImportTable``: the column names and a
re-iterable ``rows()`` of ``SourceRow`` (row number as the user sees it + a dict of cell
values). Anything that stops the whole file from being read raises ``ImportFileError``
with a short English message the dealer can act on.

Formats and the rules behind them:

* CSV (RFC 4180 quoting, any of ``, ; TAB |`` as delimiter, sniffed with
  ``csv.Sniffer`` and checked for a consistent column count). Text encoding: a BOM
  (UTF-8/UTF-16) wins, then strict UTF-8, then the encoding the user chose, then a
  guess among Windows-1251, EUC-KR (read as its superset CP949) and TIS-620 (read as
  its superset Windows-874) by ``charset-normalizer``; ``ImportTable.encoding_guessed``
  tells the UI to offer ``SUPPORTED_ENCODINGS`` when it guessed.
* XLSX with openpyxl in read-only mode, ``data_only=True``: values are what Excel last
  saved (numbers, dates as ``datetime``); cells holding formulas are reported per row.
  The ZIP container is checked first (``open_zip_safely``) and every entry is inflated
  once, streamed under a hard byte limit (``iter_member``), before openpyxl sees it.
* XML with defusedxml: DTDs, entities and external references are refused (billion
  laughs, XXE). Records are the repeated child elements; fields are their attributes
  and child elements.

Spreadsheet floats are turned into ``Decimal`` through their shortest repr
(``2.675`` → ``Decimal("2.675")``) so no float leaves this module.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import charset_normalizer
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from app.domain.messages import N_

CellValue = str | int | Decimal | bool | datetime | date | time | None

MIB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 20 * MIB
DEFAULT_MAX_ROWS = 50_000
CSV_SNIFF_BYTES = 64 * 1024
CSV_DELIMITERS = ",;\t|"

#: Encodings a dealer can choose for a CSV file: key → label (a msgid: forms show it translated). Keys are accepted by
#: ``read_table(encoding=...)``.
SUPPORTED_ENCODINGS: dict[str, str] = {
    "utf-8": N_("Unicode (UTF-8)"),
    "utf-16": N_("Unicode (UTF-16, Excel \"Unicode text\")"),
    "cp1251": N_("Cyrillic (Windows-1251)"),
    "euc-kr": N_("Korean (EUC-KR / CP949)"),
    "tis-620": N_("Thai (TIS-620 / Windows-874)"),
    "cp1252": N_("Western European (Windows-1252)"),
}
# The codec actually used for each key: Windows' supersets read every file the strict
# standard would, plus the extra characters Windows writes (extended Hangul, € in Thai).
_DECODERS: dict[str, str] = {
    "utf-8": "utf-8",
    "utf-16": "utf-16",
    "cp1251": "cp1251",
    "euc-kr": "cp949",
    "tis-620": "cp874",
    "cp1252": "cp1252",
}
_GUESS_CANDIDATES: dict[str, str] = {"cp1251": "cp1251", "cp949": "euc-kr", "cp874": "tis-620"}


class ImportFileError(ValueError):
    """Raised when an uploaded file cannot be read at all (format, encoding, size, safety)."""


class FileFormat(StrEnum):
    """Formats ``read_table`` understands."""

    CSV = "csv"
    XLSX = "xlsx"
    XML = "xml"


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row of an uploaded file.

    ``number`` is 1-based as the user sees it: the spreadsheet row for CSV and XLSX
    (header = row 1 in a plain file, so the first vehicle is row 2), the record position
    for XML (first vehicle = 1). ``values`` maps each header name to its cell (``None``
    when the row is short). ``formula_columns`` names XLSX cells that held a formula;
    ``extra_values`` are non-empty cells beyond the last named column.
    """

    number: int
    values: dict[str, CellValue]
    formula_columns: tuple[str, ...] = ()
    extra_values: tuple[CellValue, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportTable:
    """The header of an uploaded file and a way to walk its rows.

    ``rows()`` parses lazily and may be called again; it raises ``ImportFileError`` part
    way through for a damaged CSV record or more than ``max_rows`` rows.
    ``encoding`` is a ``SUPPORTED_ENCODINGS`` key (CSV only); ``encoding_guessed`` is True
    when neither a BOM, valid UTF-8 nor the user's choice decided it.
    """

    format: FileFormat
    header: tuple[str, ...]
    encoding: str | None = None
    encoding_guessed: bool = False
    delimiter: str | None = None
    #: XLSX only: the workbook's date system (``openpyxl`` ``workbook.epoch``: 1899-12-30 for the
    #: 1900 system, 1904-01-01 for the Mac 1904 system) to read date serial numbers with.
    date_epoch: datetime | None = None
    sheet: str | None = None
    sheet_names: tuple[str, ...] = ()
    _rows: Callable[[], Iterator[SourceRow]] = field(default=lambda: iter(()), repr=False, compare=False)
    _count: Callable[[], int] | None = field(default=None, repr=False, compare=False)

    def rows(self) -> Iterator[SourceRow]:
        """Return a fresh iterator over the data rows (blank rows skipped)."""
        return self._rows()

    def count_rows(self) -> int:
        """Return how many data rows ``rows()`` will yield, by a cheaper pass where the format allows.

        For an import's progress bar ("1,200 of 3,145 rows"). Exact for CSV and XML; for XLSX a row
        whose cells are all blank but hold formulas is not counted (``rows()`` yields it). Raises
        ``ImportFileError`` for a damaged CSV record, like ``rows()``.
        """
        if self._count is not None:
            return self._count()
        return sum(1 for _row in self.rows())


# --- entry point -------------------------------------------------------------------------


def read_table(
    data: bytes,
    filename: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> ImportTable:
    """Read the uploaded file ``data`` named ``filename`` into an ``ImportTable``.

    ``encoding`` (a ``SUPPORTED_ENCODINGS`` key) and ``delimiter`` apply to CSV,
    ``sheet`` (a sheet name; default the first) to XLSX. Raises ``ImportFileError`` for an
    empty or too large file, an unsupported or disguised format, undecodable text, a
    damaged or unsafe workbook or XML document, or a header with duplicate names.
    """
    if len(data) == 0:
        raise ImportFileError("The file is empty.")
    if len(data) > max_bytes:
        raise ImportFileError(f"The file is {_size(len(data))}; the limit is {_size(max_bytes)}.")
    file_format = detect_format(data, filename)
    if file_format is FileFormat.XLSX:
        return _read_xlsx(data, sheet=sheet, max_rows=max_rows)
    if file_format is FileFormat.XML:
        return _read_xml(data, max_rows=max_rows)
    return _read_csv(data, encoding=encoding, delimiter=delimiter, max_rows=max_rows)


def detect_format(data: bytes, filename: str) -> FileFormat:
    """Return the format of ``data`` from its first bytes, checked against ``filename``'s extension.

    Raises ``ImportFileError`` for old binary Excel (``.xls``), ODS/Numbers/PDF and other
    types, a ZIP that is not a workbook, and a ``.xlsx`` that is not a ZIP.
    """
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.casefold()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("This is an old Excel (.xls) file. Save it as .xlsx or CSV and upload it again.")
    if suffix in {".xls", ".ods", ".numbers", ".pdf", ".doc", ".docx", ".json"}:
        raise ImportFileError(f"Files of type {suffix!r} are not supported. Upload CSV, XLSX or XML.")
    if data.startswith(b"PK\x03\x04"):
        if suffix == ".zip":
            raise ImportFileError("This is a ZIP archive. Upload photos as a ZIP in the photos field, stock as CSV or XLSX.")
        return FileFormat.XLSX
    if suffix in {".xlsx", ".xlsm"}:
        raise ImportFileError("This file is named .xlsx but is not an Excel workbook.")
    if suffix == ".xml" or _starts_like_xml(data):
        return FileFormat.XML
    if suffix in {".csv", ".txt", ".tsv", ""}:
        return FileFormat.CSV
    raise ImportFileError(f"Files of type {suffix!r} are not supported. Upload CSV, XLSX or XML.")


def _starts_like_xml(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") or head.startswith(b"\xff\xfe<\x00") or head.startswith(b"\xfe\xff\x00<")


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MB" if n >= MIB else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


# --- header and rows (shared) ------------------------------------------------------------


def _is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _make_header(cells: Iterable[CellValue], row_number: int) -> tuple[str, ...]:
    names = [("" if cell is None else str(cell)).replace("\ufeff", "").strip() for cell in cells]
    while names and names[-1] == "":
        names.pop()
    if not names:
        raise ImportFileError(f"Row {row_number} (the header) is empty.")
    header = [name or f"column_{index}" for index, name in enumerate(names, start=1)]
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        key = name.casefold()
        if key in seen:
            raise ImportFileError(
                f"The column name {name!r} appears twice (columns {seen[key]} and {index}). Rename one and upload again."
            )
        seen[key] = index
    return tuple(header)


def _build_row(
    header: tuple[str, ...], number: int, cells: list[CellValue], formulas: tuple[str, ...] = ()
) -> SourceRow:
    values: dict[str, CellValue] = {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(header)}
    extra = tuple(cell for cell in cells[len(header) :] if not _is_blank(cell))
    return SourceRow(number=number, values=values, formula_columns=formulas, extra_values=extra)


def _too_many_rows(max_rows: int) -> ImportFileError:
    return ImportFileError(f"The file has more than {max_rows:,} rows. Split it and upload the parts.")


# --- CSV ---------------------------------------------------------------------------------


def decode_text(data: bytes, encoding: str | None = None) -> tuple[str, str, bool]:
    """Decode CSV bytes; return ``(text, encoding key, guessed)``.

    Order: BOM (UTF-8, UTF-16), strict UTF-8, the user's ``encoding`` (a
    ``SUPPORTED_ENCODINGS`` key), then charset-normalizer among Windows-1251, CP949 and
    Windows-874 (``guessed=True``). Raises ``ImportFileError`` for an unknown encoding
    key, text invalid in the chosen encoding (with its line number), or no fit at all.
    """
    if encoding is not None and encoding not in SUPPORTED_ENCODINGS:
        choices = ", ".join(SUPPORTED_ENCODINGS)
        raise ImportFileError(f"Unknown text encoding {encoding!r}. Choose one of: {choices}.")
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8) :], "utf-8"), "utf-8", False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16"), "utf-16", False
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    if encoding is not None:
        return _decode(data, encoding), encoding, False
    best = charset_normalizer.from_bytes(data, cp_isolation=list(_GUESS_CANDIDATES)).best()
    if best is not None and best.encoding in _GUESS_CANDIDATES:
        key = _GUESS_CANDIDATES[best.encoding]
        return _decode(data, key), key, True
    choices = ", ".join(label for key, label in SUPPORTED_ENCODINGS.items())
    raise ImportFileError(f"The text encoding of this file could not be recognised. Choose one of: {choices}.")


def _decode(data: bytes, key: str) -> str:
    try:
        return data.decode(_DECODERS[key])
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"Line {line} is not valid {SUPPORTED_ENCODINGS[key]} text. Choose another encoding."
        ) from exc


def sniff_delimiter(text: str) -> str:
    """Return the CSV delimiter of ``text``: one of ``, ; TAB |``, comma when unsure.

    ``csv.Sniffer`` guesses from the first 64 KiB; its guess is kept when it splits the
    header into several columns and at least 90% of sample rows into the same number.
    Otherwise the candidate with the most consistent rows (then most columns) wins.
    """
    sample = text[:CSV_SNIFF_BYTES]
    if len(text) > CSV_SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","

    def score(delimiter: str) -> tuple[float, int]:
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r]
        except csv.Error:
            return (0.0, 0)
        if not records or len(records[0]) < 2:
            return (0.0, len(records[0]) if records else 0)
        width = len(records[0])
        same = sum(1 for r in records if len(r) == width)
        return (same / len(records), width)

    sniffed_score = score(sniffed)
    if sniffed_score[1] >= 2 and sniffed_score[0] >= 0.9:
        return sniffed
    best = max(CSV_DELIMITERS, key=score)
    return best if score(best)[1] >= 2 else ","


def _read_csv(data: bytes, *, encoding: str | None, delimiter: str | None, max_rows: int) -> ImportTable:
    text, used, guessed = decode_text(data, encoding)
    text = text.removeprefix("\ufeff")
    if delimiter is not None and (len(delimiter) != 1 or delimiter in "\"\r\n"):
        raise ImportFileError(f"{delimiter!r} cannot be a column delimiter.")
    chosen = delimiter or sniff_delimiter(text)

    def records() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=chosen, strict=True)
        number = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(f"Row {number + 1} cannot be read as CSV: {exc}.") from exc
            number += 1
            yield number, record

    header: tuple[str, ...] | None = None
    for number, record in records():
        if any(not _is_blank(cell) for cell in record):
            header = _make_header(record, number)
            break
    if header is None:
        raise ImportFileError("The file has no header row.")
    final_header = header

    def rows() -> Iterator[SourceRow]:
        count = 0
        started = False
        for number, record in records():
            if not started:
                started = any(not _is_blank(cell) for cell in record)
                continue
            if all(_is_blank(cell) for cell in record):
                continue
            count += 1
            if count > max_rows:
                raise _too_many_rows(max_rows)
            yield _build_row(final_header, number, list(record))

    def count() -> int:
        # The same walk as rows() without building the rows: about a quarter of its time.
        started, total = False, 0
        for _number, record in records():
            filled = any(not _is_blank(cell) for cell in record)
            if not started:
                started = filled
            elif filled:
                total += 1
        return total

    return ImportTable(
        format=FileFormat.CSV,
        header=final_header,
        encoding=used,
        encoding_guessed=guessed,
        delimiter=chosen,
        _rows=rows,
        _count=count,
    )


# --- ZIP containers (XLSX; photo archives use it too) ------------------------------------


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Bounds for a ZIP container: entry count, sizes (bytes) and compression ratio.

    ``max_entry_bytes`` and ``max_total_bytes`` bound what the entries *declare*; reading an
    entry (``iter_member``) enforces the declared size as a hard limit on what it *inflates to*,
    so a lying header cannot make it use more memory. A ratio above ``max_ratio``
    (uncompressed / compressed, for entries over ``ratio_floor_bytes``) is treated as a zip
    bomb (OWASP "File Upload" guidance); ``None`` turns the ratio test off (photo archives:
    a uniform-colour JPEG legitimately deflates 100:1, the absolute sizes and the image
    decoder judge those).
    """

    max_entries: int = 5_000
    max_total_bytes: int = 200 * MIB
    max_entry_bytes: int = 100 * MIB
    max_ratio: int | None = 200
    ratio_floor_bytes: int = 64 * 1024


_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_member_name(name: str) -> bool:
    """Return True for a ZIP entry name that could escape an extraction folder.

    Unsafe: absolute paths (``/x``, ``\\x``), drive letters (``C:``), ``..`` components
    with either slash, NUL characters. (Entries are never written to disk here; the check
    refuses archives crafted to attack tools that do.)
    """
    if not name or "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return any(part.strip() == ".." for part in re.split(r"[\\/]", name))


def open_zip_safely(data: bytes, limits: ZipLimits = ZipLimits(), *, what: str = "ZIP file") -> zipfile.ZipFile:
    """Open ``data`` as a ZIP after checking every entry against ``limits``.

    Checks the central directory before anything is decompressed: entry count, unsafe
    names (``unsafe_member_name``), encrypted entries, per-entry and total uncompressed
    size, compression ratio. It inflates nothing: read entries with ``iter_member`` /
    ``read_member``, which hold each one to its declared size. Raises ``ImportFileError``.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ImportFileError(f"The {what} is damaged or not a ZIP archive.") from exc
    try:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise ImportFileError(f"The {what} has {len(infos):,} entries; the limit is {limits.max_entries:,}.")
        total = 0
        for info in infos:
            if unsafe_member_name(info.filename):
                raise ImportFileError(f"The {what} contains an unsafe path {info.filename!r}.")
            if info.flag_bits & 0x1:
                raise ImportFileError(f"The {what} contains a password-protected entry {info.filename!r}.")
            if info.file_size > limits.max_entry_bytes:
                raise ImportFileError(
                    f"{info.filename!r} in the {what} unpacks to {_size(info.file_size)}; "
                    f"the limit is {_size(limits.max_entry_bytes)}."
                )
            if (
                limits.max_ratio is not None
                and info.file_size > limits.ratio_floor_bytes
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)
            ):
                raise ImportFileError(
                    f"{info.filename!r} in the {what} is compressed suspiciously well (possible zip bomb)."
                )
            total += info.file_size
            if total > limits.max_total_bytes:
                raise ImportFileError(
                    f"The {what} unpacks to more than {_size(limits.max_total_bytes)} (possible zip bomb)."
                )
    except BaseException:
        archive.close()
        raise
    return archive


#: Bytes inflated (and compressed bytes fed) per step when streaming a ZIP entry.
ZIP_CHUNK_BYTES = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s5HI2I2H")  # APPNOTE 4.3.7: signature ... name and extra lengths


def iter_member(data: bytes, info: zipfile.ZipInfo, *, what: str = "ZIP file") -> Iterator[bytes]:
    """Yield the inflated bytes of entry ``info`` of the ZIP ``data`` in chunks of at most 64 KB.

    ``info`` comes from ``open_zip_safely(data).infolist()`` (its declared sizes are checked
    there). The raw stream is inflated with ``zlib`` in ``ZIP_CHUNK_BYTES`` steps, so memory
    stays bounded whatever the headers claim; inflating one byte more than the declared
    ``file_size`` stops at once ("possible zip bomb"). ``zipfile.read()`` would inflate the
    whole stream first and cut it afterwards (300 MB for an entry that claims 1 KB).
    Only stored and deflated entries are read (what Excel and every OS zip tool write).
    Raises ``ImportFileError``: over the declared size, a stream that ends early or does not
    end, a wrong CRC-32, another compression method, a damaged local header.
    """
    name = info.filename
    damaged = ImportFileError(f"{name!r} in the {what} is damaged.")
    view = memoryview(data)
    header = bytes(view[info.header_offset : info.header_offset + _LOCAL_HEADER.size])
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise damaged
    *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        raise damaged
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ImportFileError(f"{name!r} in the {what} uses a compression method that is not supported.")

    total, crc = 0, 0

    def checked(chunk: bytes) -> bytes:
        nonlocal total, crc
        total += len(chunk)
        if total > info.file_size:
            raise ImportFileError(
                f"{name!r} in the {what} unpacks to more than the {_size(info.file_size)} it declares (possible zip bomb)."
            )
        crc = zlib.crc32(chunk, crc)
        return chunk

    if info.compress_type == zipfile.ZIP_STORED:
        for position in range(start, end, ZIP_CHUNK_BYTES):
            yield checked(bytes(view[position : min(position + ZIP_CHUNK_BYTES, end)]))
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as ZIP stores it
        position, pending = start, b""
        try:
            while not inflater.eof:
                if not pending:
                    if position >= end:
                        # Input used up: what zlib still holds is at most one match (258 bytes).
                        yield checked(inflater.flush())
                        break
                    pending = bytes(view[position : min(position + ZIP_CHUNK_BYTES, end)])
                    position += ZIP_CHUNK_BYTES
                chunk = inflater.decompress(pending, ZIP_CHUNK_BYTES)
                pending = inflater.unconsumed_tail
                if chunk:
                    yield checked(chunk)
        except zlib.error as exc:
            raise damaged from exc
        if not inflater.eof:
            raise damaged
    if total != info.file_size or crc != info.CRC:
        raise damaged


def read_member(data: bytes, info: zipfile.ZipInfo, *, what: str = "ZIP file") -> bytes:
    """Return the inflated bytes of entry ``info`` of ``data`` (``iter_member`` joined; same errors)."""
    return b"".join(iter_member(data, info, what=what))


def verify_zip(data: bytes, limits: ZipLimits = ZipLimits(), *, what: str = "ZIP file") -> None:
    """Check ``data`` with ``open_zip_safely`` and inflate every entry once, keeping nothing.

    Memory stays at one 64 KB chunk per step; afterwards every entry is known to inflate to
    exactly its declared size, so a reader that inflates an entry whole (openpyxl,
    ``zipfile.read``) cannot be made to use more. Raises ``ImportFileError`` (see ``iter_member``).
    """
    with open_zip_safely(data, limits, what=what) as archive:
        for info in archive.infolist():
            for _chunk in iter_member(data, info, what=what):
                pass


# --- XLSX --------------------------------------------------------------------------------


def _excel_value(value: Any) -> CellValue:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, datetime, date, time, Decimal)):
        return value
    return str(value)


def _load_workbook(data: bytes, *, data_only: bool) -> Any:
    # openpyxl imported lazily: it is heavy and only XLSX uploads need it.
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except DefusedXmlException as exc:
        raise ImportFileError("The workbook contains XML constructs that are not allowed (DTD or entities).") from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure on an untrusted upload is "damaged"
        raise ImportFileError("The Excel file is damaged or is not an .xlsx workbook.") from exc


def _read_xlsx(data: bytes, *, sheet: str | None, max_rows: int) -> ImportTable:
    verify_zip(data, what="Excel file")  # openpyxl reads some parts whole
    workbook = _load_workbook(data, data_only=True)
    try:
        names = tuple(workbook.sheetnames)
        worksheet_names = tuple(ws.title for ws in workbook.worksheets)
        if sheet is None:
            if not worksheet_names:
                raise ImportFileError("The workbook has no worksheet.")
            chosen = worksheet_names[0]
        elif sheet not in worksheet_names:
            raise ImportFileError(f"The workbook has no sheet named {sheet!r}. Sheets: {', '.join(names)}.")
        else:
            chosen = sheet
        header, header_row = _xlsx_header(workbook[chosen])
        date_epoch = workbook.epoch
    finally:
        workbook.close()

    def rows() -> Iterator[SourceRow]:
        values_book = _load_workbook(data, data_only=True)
        formulas_book = _load_workbook(data, data_only=False)
        try:
            values_sheet, formulas_sheet = values_book[chosen], formulas_book[chosen]
            values_sheet.reset_dimensions()
            formulas_sheet.reset_dimensions()
            count = 0
            paired = zip(values_sheet.iter_rows(), formulas_sheet.iter_rows(), strict=False)
            for number, (cells, raw_cells) in enumerate(paired, start=1):
                if number <= header_row:
                    continue
                values = [_excel_value(cell.value) for cell in cells]
                if all(_is_blank(value) for value in values) and not any(
                    getattr(cell, "data_type", None) == "f" for cell in raw_cells
                ):
                    continue
                formulas = tuple(
                    header[i]
                    for i, cell in enumerate(raw_cells)
                    if i < len(header) and getattr(cell, "data_type", None) == "f"
                )
                count += 1
                if count > max_rows:
                    raise _too_many_rows(max_rows)
                yield _build_row(header, number, values, formulas)
        finally:
            values_book.close()
            formulas_book.close()

    def count() -> int:
        # One workbook, values only (rows() opens two to find formulas).
        book = _load_workbook(data, data_only=True)
        try:
            worksheet = book[chosen]
            worksheet.reset_dimensions()
            return sum(
                1
                for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1)
                if number > header_row and any(not _is_blank(_excel_value(value)) for value in cells)
            )
        finally:
            book.close()

    return ImportTable(
        format=FileFormat.XLSX, header=header, sheet=chosen, sheet_names=worksheet_names, date_epoch=date_epoch,
        _rows=rows, _count=count,
    )


def _xlsx_header(worksheet: Any) -> tuple[tuple[str, ...], int]:
    worksheet.reset_dimensions()
    for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
        values = [_excel_value(value) for value in cells]
        if any(not _is_blank(value) for value in values):
            return _make_header(values, number), number
    raise ImportFileError(f"The sheet {worksheet.title!r} is empty.")


# --- XML ---------------------------------------------------------------------------------

_XML_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parse_xml(data: bytes) -> Element:
    """Parse ``data`` with defusedxml; DTDs, entities and external references raise ``ImportFileError``."""
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:  # DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
        raise ImportFileError(
            "XML files with a DOCTYPE, entity declarations or external references are not accepted. "
            "Export the file again without a DTD."
        ) from exc
    except (ParseError, ValueError) as exc:
        declared = _XML_DECLARED_ENCODING.match(data)
        # expat reads only single-byte encodings itself; decode EUC-KR, Shift-JIS & co. here.
        if declared and "encoding" in str(exc):
            name = declared.group(1).decode("ascii")
            try:
                text = data.decode(name)
            except (LookupError, UnicodeDecodeError) as decode_exc:
                raise ImportFileError(f"The XML file is not valid {name} text.") from decode_exc
            text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)  # now UTF-8, undeclared
            return _parse_xml(text.encode("utf-8"))
        line, column = getattr(exc, "position", (0, 0))
        raise ImportFileError(f"The XML file is not well-formed (line {line}, column {column + 1}).") from exc


def _record_elements(root: Element) -> list[Element]:
    container = root
    # Descend through wrappers such as <feed><vehicles><vehicle/>...</vehicles></feed>: a
    # wrapper has one child whose own children repeat one tag and are records (have fields).
    while True:
        children = [child for child in container if isinstance(child.tag, str)]
        if len(children) != 1:
            break
        grandchildren = [child for child in children[0] if isinstance(child.tag, str)]
        if not grandchildren or len({_local(g.tag) for g in grandchildren}) != 1:
            break
        if not any(len(g) > 0 or g.attrib for g in grandchildren):
            break
        container = children[0]
    children = [child for child in container if isinstance(child.tag, str)]
    if not children:
        return []
    tag, _ = Counter(_local(child.tag) for child in children).most_common(1)[0]
    return [child for child in children if _local(child.tag) == tag]


def _record_fields(record: Element) -> dict[str, str]:
    fields: dict[str, str] = {_local(name): value.strip() for name, value in record.attrib.items()}
    for child in record:
        if not isinstance(child.tag, str):
            continue
        if len(child) == 0:
            fields[_local(child.tag)] = (child.text or "").strip()
        else:
            # A list such as <photos><photo>url</photo>...</photos>: one value per line.
            leaves = [(leaf.text or "").strip() for leaf in child.iter() if len(leaf) == 0]
            fields[_local(child.tag)] = "\n".join(text for text in leaves if text)
    return fields


def _read_xml(data: bytes, *, max_rows: int) -> ImportTable:
    root = _parse_xml(data)
    records = _record_elements(root)
    if len(records) > max_rows:
        raise _too_many_rows(max_rows)
    parsed = [_record_fields(record) for record in records]
    names: dict[str, None] = {}
    for fields in parsed:
        for name in fields:
            names.setdefault(name, None)
    if not names:
        raise ImportFileError("The XML file has no vehicle records with fields.")
    header = _make_header(list(names), 1)

    def rows() -> Iterator[SourceRow]:
        for number, fields in enumerate(parsed, start=1):
            if all(_is_blank(value) for value in fields.values()):
                continue
            yield SourceRow(number=number, values={name: fields.get(name) for name in header})

    def count() -> int:
        return sum(1 for fields in parsed if not all(_is_blank(value) for value in fields.values()))

    return ImportTable(format=FileFormat.XML, header=header, encoding=None, _rows=rows, _count=count)


__all__ = [
    "CSV_DELIMITERS",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_ROWS",
    "SUPPORTED_ENCODINGS",
    "CellValue",
    "FileFormat",
    "ImportFileError",
    "ImportTable",
    "SourceRow",
    "ZipLimits",
    "decode_text",
    "detect_format",
    "iter_member",
    "open_zip_safely",
    "read_member",
    "verify_zip",
    "read_table",
    "sniff_delimiter",
    "unsafe_member_name",
]
