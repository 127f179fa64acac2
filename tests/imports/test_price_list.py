"""Price-list rows: each bad cell gives one row-level message; good rows are typed exactly (no app needed)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from app.imports.price_list import PriceRow, parse_price_list, resolve_columns
from app.imports.readers import ImportFileError, read_table

HEADER = "type,code,name,model,trims,price,labour\n"


def parse(body: str, currency: str = "KRW"):
    return parse_price_list(read_table((HEADER + body).encode(), "prices.csv"), currency)


def test_good_rows_are_typed_exactly():
    rows, errors = parse(
        'trim,CN7-SMART,Smart,CN7,,"19,940,000",\n'
        "option,SUNRF,Sunroof,,CN7-SMART;CN7-MOD,₩450000,\n"
        "package,CONV,,,,900000,\n"
        "accessory,99110-AA000,Mats,CN7 DN8,,120000,20000\n"
        "트림,CN7-INSP,,,,2750만원,\n"
    )
    assert errors == []
    assert rows == [
        PriceRow(2, "trim", "CN7-SMART", Decimal("19940000"), "Smart", model="CN7"),
        PriceRow(3, "option", "SUNRF", Decimal("450000"), "Sunroof", trims=("CN7-SMART", "CN7-MOD")),
        PriceRow(4, "package", "CONV", Decimal("900000")),
        PriceRow(5, "accessory", "99110-AA000", Decimal("120000"), "Mats", Decimal("20000"), models=("CN7", "DN8")),
        PriceRow(6, "trim", "CN7-INSP", Decimal("27500000")),
    ]


@pytest.mark.parametrize(("cells", "column", "message"), [
    ("trim,T1,,,,-5,", "price", "Prices must not be negative."),
    ("trim,T1,,,,abc,", "price", "This is not a price: type the amount as a number."),
    ("trim,T1,,,,19990000.5,", "price", "KRW prices are whole amounts: remove the decimals."),
    ("trim,T1,,,,$100,", "price", "This price is not in KRW."),
    ("trim,T1,,,,=1+2,", "price", "Formulas are not accepted: type the amount itself."),
    ("trim,T1,,,,0,", "price", "The MSRP must be more than zero."),
    ("trim,T1,,,,,", "price", "The price is missing."),
    ("trim,T1,=HYPERLINK(\"x\"),,,100,", "name", "Formulas are not accepted: type the value itself."),
    ("car,T1,,,,100,", "type", "Unknown type: use trim, option, package or accessory."),
    (",T1,,,,100,", "type", "Say what the row is: trim, option, package or accessory."),
    ("trim,,,,,100,", "code", "The code is missing."),
    ("trim,bad code,,,,100,", "code", "Codes have at most 40 letters, digits, dots, dashes or underscores."),
    ("trim,T1,,A B,,100,", "model", "A trim belongs to one model: give one model code."),
    ("option,O1,,,,100,5", "labour", "Only accessories have a labour charge."),
    ("accessory,P1,,,T1,100,", "trims", "Only options and packages list the trims they fit."),
    ("option,O1,,CN7,,100,", "model", "Options fit trims, not models: use the trims column."),
    ("accessory,P1,,,,100,-1", "labour", "Prices must not be negative."),
])
def test_each_bad_cell_has_a_row_level_message(cells, column, message):
    rows, errors = parse(cells + "\n")
    assert rows == []
    assert [(e.row, e.column, e.message) for e in errors] == [(2, column, message)]


def test_thb_allows_satang_but_not_more():
    rows, errors = parse("trim,T1,,,,899000.50,\ntrim,T2,,,,100.005,\n", "THB")
    assert [r.price for r in rows] == [Decimal("899000.50")]
    assert [(e.row, e.message) for e in errors] == [(3, "THB prices may have at most 2 decimal places.")]


def test_duplicate_codes_name_the_first_row_and_options_share_codes_with_packages():
    rows, errors = parse("option,X1,,,,100,\npackage,x1,,,,200,\naccessory,X1,,,,300,\n")
    assert [(r.kind, r.code) for r in rows] == [("option", "X1"), ("accessory", "X1")]
    assert [(e.row, e.column, e.message) for e in errors] == [(3, "code", "This code is already on row 2.")]


def test_values_beyond_the_header_are_refused():
    rows, errors = parse("trim,T1,,,,100,,surprise\n")
    assert rows == [] and errors[0].message == "This row has values beyond the last named column."


def test_missing_columns_and_empty_files_stop_the_whole_file():
    with pytest.raises(ImportFileError, match="needs the columns price"):
        parse_price_list(read_table(b"type,code,name\ntrim,T1,x\n", "p.csv"), "KRW")
    with pytest.raises(ImportFileError, match="no price rows"):
        parse_price_list(read_table(HEADER.encode(), "p.csv"), "KRW")


def test_korean_headers_are_recognised():
    assert resolve_columns(("구분", "코드", "가격", "이름")) == {"type": "구분", "code": "코드", "price": "가격", "name": "이름"}


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_numbers_and_formulas():
    data = _xlsx([["type", "code", "price"], ["trim", "T1", 19990000], ["trim", "T2", 23550000.0],
                  ["trim", "T3", "=B2*2"]])
    rows, errors = parse_price_list(read_table(data, "prices.xlsx"), "KRW")
    assert [(r.code, r.price) for r in rows] == [("T1", Decimal("19990000")), ("T2", Decimal("23550000"))]
    assert [(e.row, e.column, e.message) for e in errors] == [(4, "price", "Formulas are not accepted: type the value itself.")]
