"""Customer-facing vehicle names: listing titles of the Kijiji file cleaned, catalog names untouched (issue 11)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.domain.vehicle_names import (
    MAX_TRIM_CHARS,
    MAX_TRIM_WORDS,
    clean_title,
    clean_trim,
    display_name,
    vehicle_title,
)

KIJIJI = Path(__file__).resolve().parents[2] / "app" / "demo" / "data" / "kijiji_listings_2019.csv"


@pytest.mark.parametrize(("raw", "trim"), [
    # Rows of the Kijiji 2019 file, as imported into the trim column.
    ("Limited|NAVI|LEATHER|ROOF|EXT. WARR|AWD", "Limited"),
    ("Limited |LEATHER|PANORAMIC SUNROOF|NAVIGATION|", "Limited"),
    ("GL/ AUTO/ POWER GROUP/ LOADED!", "GL"),
    ("430 4MATIC/NAVIGATION/SUNROOF/CLEAN CAR PROOF", "430 4MATIC"),
    ("LE NO ACCIDENTS CLEAN CARPROOF", "LE"),
    ("New Car SLT|4x4|Diesel|Crew/8Box|Snow,LuxuryPkgs|S", "SLT"),
    ("LS*POWER GROUP*BLUETOOTH*A MUST SEE!!*", "LS"),
    ("SL MODEL, LEATHER SEATS, SUNROOF, NAVIGATION", "SL MODEL"),
    ("3.5L SH-AWD w/Tech Pkg 7yrs/130000KM Warranty Incl", "3.5L SH-AWD"),
    ("SE-NAVIGATION-REAR CAM-SPORT INTERIOR-ONLY 75KM", "SE"),
    ("XKR CONVERTIBLE- LIKE NEW CONDITION", "XKR CONVERTIBLE"),
    ("Accident Free, All-Wheel Drive, Push Button Start,", ""),
    ("PWR GROUP|KEYLESS ENTRY|1 OWNER", ""),
    ("V6 Premium 6 speed Sport Wheels", "V6 Premium 6 speed"),  # at most four words
    # A real trim name is left as it is.
    ("EX-L", "EX-L"), ("GS-L", "GS-L"), ("Touring AWD CVT", "Touring AWD CVT"), ("", ""), (None, ""),
])
def test_clean_trim(raw, trim):
    assert clean_trim(raw) == trim


def test_every_trim_of_the_kijiji_file_is_short_and_free_of_list_separators():
    with KIJIJI.open(encoding="utf-8") as handle:
        trims = {row["configration"] for row in csv.DictReader(handle)}
    for raw in trims:
        cleaned = clean_trim(raw)
        assert len(cleaned) <= MAX_TRIM_CHARS and len(cleaned.split()) <= MAX_TRIM_WORDS, raw
        assert not set(cleaned) & set("|*/,+!;"), (raw, cleaned)


@pytest.mark.parametrize(("title", "clean"), [
    ("2019 Hyundai Tucson Limited|NAVI|LEATHER|ROOF|EXT. WARR|AWD", "2019 Hyundai Tucson Limited"),
    ("2015 GMC Savana EXT. Loaded", "2015 GMC Savana EXT"),
    ("Hyundai Tucson GL/ AUTO/ POWER GROUP/ LOADED!", "Hyundai Tucson GL"),
    ("2018 Ram 3500|4x4", "2018 Ram 3500"),
    # Catalog and clean stock names pass unchanged, Hangul and Thai included.
    ("Tucson Hybrid Inspiration", "Tucson Hybrid Inspiration"),
    ("2025 Hyundai Ioniq 5 Long Range Prestige", "2025 Hyundai Ioniq 5 Long Range Prestige"),
    ("아이오닉 5 롱레인지 프레스티지", "아이오닉 5 롱레인지 프레스티지"),
    ("ฮุนได ไอออนิค 5", "ฮุนได ไอออนิค 5"),
    ("", ""),
])
def test_clean_title(title, clean):
    assert clean_title(title) == clean


def test_vehicle_title_uses_the_parts_of_a_stock_car_and_the_label_otherwise():
    raw = {"source": "stock", "label": "2019 Hyundai Tucson Limited|NAVI", "model_year": 2019, "make": "Hyundai",
           "model": "Tucson", "trim": "Limited|NAVI|LEATHER"}
    assert vehicle_title(raw) == "2019 Hyundai Tucson Limited" == display_name(2019, "Hyundai", "Tucson", "Limited|NAVI")
    old = {"source": "stock", "label": "2019 Hyundai Tucson Limited|NAVI|LEATHER"}  # saved before the parts were kept
    assert vehicle_title(old) == "2019 Hyundai Tucson Limited"
    assert vehicle_title({"source": "catalog", "label": "Tucson Inspiration"}) == "Tucson Inspiration"
    assert vehicle_title(None) == "" and vehicle_title({}) == ""
