import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.imports.mapping import (
    SYNONYMS,
    CanonicalField,
    MappingError,
    match_header,
    normalize_header,
    suggest_mapping,
)

F = CanonicalField

KIJIJI_HEADER = (
    "brand,model,model_year,list_price,color,configration,condition,body_type,wheel_config,transmission,"
    "fuel_type,mileage,carfax_link,vin_number,image_link,dealer_address"
).split(",")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Stock #", "stocknumber"),
        ("stock_number", "stocknumber"),
        ("STOCK NO.", "stocknumber"),
        ("Stock Num", "stocknumber"),
        ("VIN No", "vinnumber"),
        ("  Model-Year ", "modelyear"),
        ("ＶＩＮ", "vin"),  # full-width letters
        ("ยี่ห้อ", "ยี่ห้อ"),  # Thai tone marks kept
        ("#", "number"),
    ],
)
def test_normalize_header(name, key):
    assert normalize_header(name) == key


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("vin", F.VIN),
        ("VIN_NUMBER", F.VIN),
        ("vin no", F.VIN),
        ("Vin #", F.VIN),
        ("stock", F.STOCK_NUMBER),
        ("Stock Number", F.STOCK_NUMBER),
        ("stock #", F.STOCK_NUMBER),
        ("year", F.MODEL_YEAR),
        ("Model Year", F.MODEL_YEAR),
        ("make", F.MAKE),
        ("Brand", F.MAKE),
        ("model", F.MODEL),
        ("trim", F.TRIM),
        ("configration", F.TRIM),  # Kijiji's spelling
        ("price", F.PRICE),
        ("List Price", F.PRICE),
        ("MSRP", F.MSRP),
        ("mileage", F.ODOMETER),
        ("Odometer", F.ODOMETER),
        ("condition", F.CONDITION),
        ("body_type", F.BODY_TYPE),
        ("wheel_config", F.DRIVETRAIN),
        ("Drivetrain", F.DRIVETRAIN),
        ("transmission", F.TRANSMISSION),
        ("fuel_type", F.FUEL_TYPE),
        ("color", F.EXTERIOR_COLOR),
        ("Exterior Colour", F.EXTERIOR_COLOR),
        ("image_link", F.IMAGE_URL),
        ("dealer_address", F.DEALER_ADDRESS),
        ("carfax_link", F.HISTORY_REPORT_URL),
        ("Vehicle Make", F.MAKE),  # leading "vehicle" ignored
        ("Model Name", F.MODEL),  # trailing "name" ignored
        ("차대번호", F.VIN),
        ("연식", F.MODEL_YEAR),
        ("ราคา", F.PRICE),
        ("ยี่ห้อ", F.MAKE),
        ("Марка", F.MAKE),
        ("Пробег", F.ODOMETER),
    ],
)
def test_match_header(name, expected):
    found = match_header(name)
    assert found is not None and found[0] is expected


@pytest.mark.parametrize("name", ["", "No", "row", "dealer id", "vehicle", "name", "Salesperson"])
def test_unrelated_headers_match_nothing(name):
    assert match_header(name) is None


def test_kijiji_header_maps_every_column():
    mapping = suggest_mapping(KIJIJI_HEADER)
    assert dict(mapping.columns) == {
        "brand": F.MAKE,
        "model": F.MODEL,
        "model_year": F.MODEL_YEAR,
        "list_price": F.PRICE,
        "color": F.EXTERIOR_COLOR,
        "configration": F.TRIM,
        "condition": F.CONDITION,
        "body_type": F.BODY_TYPE,
        "wheel_config": F.DRIVETRAIN,
        "transmission": F.TRANSMISSION,
        "fuel_type": F.FUEL_TYPE,
        "mileage": F.ODOMETER,
        "carfax_link": F.HISTORY_REPORT_URL,
        "vin_number": F.VIN,
        "image_link": F.IMAGE_URL,
        "dealer_address": F.DEALER_ADDRESS,
    }
    assert mapping.unmapped == ()
    assert mapping.missing_required() == ()  # a VIN column suffices without stock numbers


def test_one_column_per_field_strongest_name_wins():
    # "price" (rank 0) beats "List Price" (rank 1) although it comes later; "Year" beats "Vehicle Year".
    mapping = suggest_mapping(["Vehicle Year", "List Price", "Stock #", "price", "Year", "Notes"])
    assert mapping.column_for(F.PRICE) == "price"
    assert mapping.column_for(F.MODEL_YEAR) == "Year"
    assert mapping.column_for(F.STOCK_NUMBER) == "Stock #"
    assert mapping.alternatives == {F.PRICE: ("List Price",), F.MODEL_YEAR: ("Vehicle Year",)}
    assert mapping.unmapped == ("Vehicle Year", "List Price")
    assert mapping.column_for(F.DESCRIPTION) == "Notes"
    assert mapping.column_for(F.VIN) is None


def test_missing_required_fields():
    mapping = suggest_mapping(["Price", "Colour"])
    assert mapping.missing_required() == (F.VIN, F.MAKE, F.MODEL, F.MODEL_YEAR)
    with_stock = suggest_mapping(["Stock", "Make", "Model", "Year"])
    assert with_stock.missing_required() == ()


def test_with_choice_moves_a_field_and_apply():
    mapping = suggest_mapping(["VIN", "Brand", "Model", "Year", "Price", "Asking"])
    assert mapping.column_for(F.PRICE) == "Price"
    chosen = mapping.with_choice("Asking", F.PRICE)
    assert chosen.column_for(F.PRICE) == "Asking"
    assert chosen.columns["Price"] is None  # freed, not fed twice
    assert mapping.column_for(F.PRICE) == "Price"  # the original is unchanged
    skipped = chosen.with_choice("Brand", None)
    assert skipped.missing_required() == (F.MAKE,)
    row = {"VIN": "1HGCM82633A004352", "Brand": "Honda", "Model": "Accord", "Year": "2003", "Price": "1", "Asking": "2"}
    assert chosen.apply(row) == {
        F.VIN: "1HGCM82633A004352", F.MAKE: "Honda", F.MODEL: "Accord", F.MODEL_YEAR: "2003", F.PRICE: "2",
    }
    with pytest.raises(MappingError, match="no column named 'Cost'"):
        mapping.with_choice("Cost", F.PRICE)


def test_synonym_table_is_unambiguous():
    # Spellings of one field may share a key ("vin no", "vin #" -> "vinnumber"); two fields never do.
    fields_of: dict[str, set] = {}
    for field, names in SYNONYMS.items():
        for name in names:
            fields_of.setdefault(normalize_header(name), set()).add(field)
    assert all(len(fields) == 1 for fields in fields_of.values())
    # Every field's own value is a recognised name for it.
    for field in CanonicalField:
        assert match_header(field.value) is not None


_separators = st.sampled_from([" ", "_", "-", "  ", "."])


@given(st.sampled_from([name for names in SYNONYMS.values() for name in names if name.isascii()]), _separators,
       st.booleans())
def test_property_case_and_separators_do_not_matter(name, separator, upper):
    variant = name.replace(" ", separator).replace("_", separator)
    variant = variant.upper() if upper else variant.title()
    assert match_header(variant) == match_header(name)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (  # a German dealer's export
            ["FIN", "Marke", "Modell", "Baujahr", "Preis", "Kilometerstand", "Außenfarbe", "Getriebe", "Kraftstoff",
             "Zustand", "UVP", "Einkaufspreis"],
            [F.VIN, F.MAKE, F.MODEL, F.MODEL_YEAR, F.PRICE, F.ODOMETER, F.EXTERIOR_COLOR, F.TRANSMISSION,
             F.FUEL_TYPE, F.CONDITION, F.MSRP, F.COST],
        ),
        (["차대번호", "메이커", "모델명", "연식", "판매가격", "주행거리", "출고가"],
         [F.VIN, F.MAKE, F.MODEL, F.MODEL_YEAR, F.PRICE, F.ODOMETER, F.MSRP]),
        (["หมายเลขตัวถัง", "ยี่ห้อ", "รุ่นรถ", "ปีที่ผลิต", "ราคาขาย", "ระยะทางวิ่ง", "สภาพรถ"],
         [F.VIN, F.MAKE, F.MODEL, F.MODEL_YEAR, F.PRICE, F.ODOMETER, F.CONDITION]),
        (["VIN номер", "Марка", "Модель", "Год выпуска", "Цена", "Пробег", "Цвет кузова", "Тип кузова"],
         [F.VIN, F.MAKE, F.MODEL, F.MODEL_YEAR, F.PRICE, F.ODOMETER, F.EXTERIOR_COLOR, F.BODY_TYPE]),
    ],
    ids=["de", "ko", "th", "ru"],
)
def test_dealer_language_headers_map(header, expected):
    mapping = suggest_mapping(header)
    assert [mapping.columns[name] for name in header] == expected
