"""The offer PDF: Hangul, Thai and exact totals are extractable; long offers repeat headers and number pages."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from app.documents.offer_pdf import OfferDocument, render_offer_pdf
from app.domain.pricing import AccessoryChoice, StockVehicle
from app.services.offers import build_snapshot
from tests.offer_factories import priced, priced_eur

D = Decimal


def _document(locale="ko", name="김민준", label="투싼 1.6T 인스퍼레이션", snapshot=None, **extra) -> OfferDocument:
    result, _approval = priced("300000")
    snapshot = snapshot or build_snapshot(result, vehicle={"label": label, "vin": "KMHJ381ABPU123456"}, texts={})
    return OfferDocument(
        dealer_name="Gangnam Motors Seoul", dealer_address=["테헤란로 123", "06133 Seoul"], dealer_phone="+82 2-555-0123",
        dealer_email="sales@gangnam-motors.example", brand_name="Hyundai", number="SEOUL1-2026-000042", revision_no=2,
        issued_on=date(2026, 11, 29), valid_until=date(2026, 12, 6), locale=locale, customer_name=name,
        customer_contact="minjun@example.com", consultant_name="정우진", snapshot=snapshot,
        conditions="Deposit refundable within 7 days.\nPrices include VAT.", qr_url="https://forecourt.example/o/abc", **extra,
    )


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_korean_offer_has_hangul_name_and_exact_total():
    pdf = render_offer_pdf(_document())
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert "김민준" in text
    assert "SEOUL1-2026-000042" in text
    # 35,000,000 − 300,000 + 150,000 registration = 34,850,000 (VAT included)
    assert "₩34,850,000" in text
    assert "Page 1 of 1" in text


def test_thai_offer_has_thai_vehicle_text():
    pdf = render_offer_pdf(_document(locale="th", name="สมชาย ใจดี", label="ฮุนได ไอออนิค 5"))
    text = _text(pdf)
    assert "ฮุนได ไอออนิค 5" in text
    assert "สมชาย ใจดี" in text


def test_fonts_are_embedded():
    reader = PdfReader(io.BytesIO(render_offer_pdf(_document())))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font).get("/FontDescriptor")
            fonts[font["/BaseFont"]] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    assert fonts and all(fonts.values()), fonts


def test_long_offer_spans_pages_with_repeated_header():
    from app.domain.pricing import PricingInput, price_offer
    from tests.offer_factories import KRW_TABLE, NOW

    accessories = tuple(AccessoryChoice(code=f"ACC{i}", name=f"Accessory {i}", unit_price=D("10000")) for i in range(70))
    vehicle = StockVehicle(stock_number="S1", label="Tucson", model_code="TUC", trim_code="T", list_price=D("35000000"),
                           acquisition_cost=D("30000000"), accessories=accessories)
    result = price_offer(PricingInput(currency="KRW", brand_id=1, dealer_id=1, now_utc=NOW, vehicle=vehicle, fee_tax_table=KRW_TABLE))
    snapshot = build_snapshot(result, vehicle={"label": "Tucson"}, texts={})
    pdf = render_offer_pdf(_document(locale="en", snapshot=snapshot))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    second = reader.pages[1].extract_text()
    assert "Item" in second and "Amount" in second  # the table header repeats
    assert f"Page 2 of {len(reader.pages)}" in second
    # 35,000,000 + 70 × 10,000 + 150,000 = 35,850,000
    assert "₩35,850,000" in _text(pdf)


# --- what the customer reads (issue 11) ---------------------------------------------------------------------


def _stock_snapshot():
    """A snapshot of a Kijiji-imported stock car: raw listing title, an APR subvention listed twice (as saved
    before the engine listed it once) and a manual discount line."""
    result, _approval = priced("300000")
    snapshot = build_snapshot(result, vehicle={
        "source": "stock", "label": "2019 Hyundai Tucson Limited|NAVI|LEATHER|ROOF|EXT. WARR|AWD", "model_year": 2019,
        "make": "Hyundai", "model": "Tucson", "trim": "Limited|NAVI|LEATHER|ROOF|EXT. WARR|AWD", "odometer": 84000,
        "odometer_unit": "km", "exterior": "Grey", "vin": "KM8J3CAL5KU000001", "stock_number": "NY-1907"}, texts={})
    snapshot["priced"]["item_lines"][0]["label"] = snapshot["vehicle"]["label"]
    twice = {"promotion_id": 9, "code": "IONIQ5-APR", "name": "IONIQ 5 low-rate finance", "kind": "apr_subvention",
             "stage": "order", "amount": "0"}
    snapshot["priced"]["applied_promotions"] = [twice, dict(twice)]
    return snapshot


def test_pdf_names_the_car_cleanly_with_its_facts_and_customer_line_labels():
    text = _text(render_offer_pdf(_document(locale="en", snapshot=_stock_snapshot())))
    assert "2019 Hyundai Tucson Limited" in text
    assert "NAVI" not in text and "|" not in text  # the raw listing title is never printed
    assert "84,000 km" in text and "Odometer" in text and "Model year" in text
    assert "Manual discount" not in text and "Additional discount" in text
    assert text.count("IONIQ 5 low-rate finance") == 1


def test_pdf_payment_headers_are_aligned_with_their_figures():
    from reportlab.lib.enums import TA_LEFT, TA_RIGHT

    from app.documents.offer_pdf import _Writer

    _heading, table = _Writer(_document(locale="th", name="สมชาย ใจดี")).payments()
    header, cash = table._cellvalues[0], table._cellvalues[1]
    # Scenario reads left; down payment, term, APR and monthly are figures: header and figures right-aligned.
    assert [cell.style.alignment for cell in header] == [TA_LEFT, TA_RIGHT, TA_RIGHT, TA_RIGHT, TA_RIGHT]
    assert [cell.style.alignment for cell in cash] == [cell.style.alignment for cell in header]


def test_german_offer_prints_net_vat_and_gross_per_line_that_add_up():
    snapshot = build_snapshot(priced_eur(), vehicle={"label": "Aurora Limited", "source": "stock"}, texts={})
    breakdown = snapshot["priced"]["tax_breakdown"]
    # The stored snapshot holds the rounded lines: nets add up, net + VAT = gross on every line and in total.
    assert [(r["net"], r["tax"], r["gross"]) for r in breakdown["lines"]] == [
        ("29159.66", "5540.34", "34700.00"), *[("8.40", "1.60", "10.00")] * 3, ("839.50", "159.50", "999.00"),
        ("30.00", "0.00", "30.00"),
    ]
    assert (breakdown["total_net"], breakdown["total_tax"], breakdown["total_gross"]) == ("30054.36", "5704.64", "35759.00")
    text = _text(render_offer_pdf(_document(locale="en", snapshot=snapshot)))
    assert "Net and gross per line" in text
    assert "MwSt. 19 %" in text
    assert text.count("€8.40") == 3 and text.count("€1.60") == 3
    assert "€29,159.66" in text and "€5,540.34" in text
    assert "€30,054.36" in text and "€5,704.64" in text and "€35,759.00" in text


def test_korean_offer_has_no_per_line_table():
    text = _text(render_offer_pdf(_document(locale="en")))
    assert "Net and gross per line" not in text


def test_german_offer_in_de_formats_numbers_the_german_way():
    # German is no UI language: the labels fall back to English, the numbers follow the offer's locale.
    snapshot = build_snapshot(priced_eur(), vehicle={"label": "Aurora Limited", "source": "stock"}, texts={})
    text = _text(render_offer_pdf(_document(locale="de", snapshot=snapshot)))
    assert "30.054,36 €" in text and "5.704,64 €" in text and "35.759,00 €" in text
    assert text.count("8,40 €") == 3
