"""Finance application PDF: built from plain data, text extractable in the customer's language, secrets masked."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.documents.finance_application_pdf import FinanceApplicationDocument, render_finance_application_pdf

D = Decimal
DOC = FinanceApplicationDocument(
    dealer_name="Dealer A1", dealer_address=["1 Gangnam-daero", "06000 Seoul"], dealer_phone="+82 2 123 4567",
    brand_name="Hyundai", deal_number="A1-2026-000123", vehicle_label="Tucson 1.6T Inspiration",
    submitted_on=date(2026, 6, 15), locale="en", status_label="Approved", applicant_name="Minjun Kim",
    date_of_birth=date(1990, 3, 4), national_id_masked="••••••4567", address_lines=["12 Teheran-ro", "06234 Seoul"],
    employer="Samsung", position="Engineer", employment_years=6, monthly_income_masked="••••••", currency="KRW",
    bank_name="Hyundai Capital", scenario_label="Finance 60 months", payment_kind_label="Loan", term_months=60,
    down_payment=D("5000000"), amount_financed=D("30150000"), apr_percent=D("5.900"), monthly_payment=D("581234"),
    consultant_name="Lee Ji-eun", approved_apr_percent=D("6.250"), approved_term_months=48,
    approved_amount_financed=D("30000000"), conditions="Proof of income within 14 days", documents=["payslip.pdf"],
)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_english_application_lists_every_section_and_masks_the_secrets():
    text = _text(render_finance_application_pdf(DOC))
    for expected in ("Finance application — Hyundai", "A1-2026-000123", "Minjun Kim", "March 4, 1990", "••••••4567",
                     "Samsung", "Hyundai Capital", "₩5,000,000", "₩30,150,000", "5.9 %", "60 months", "₩581,234",
                     "Bank decision", "6.25 %", "48 months", "₩30,000,000", "Proof of income within 14 days",
                     "payslip.pdf", "Applicant signature and date", "Page 1"):
        assert expected in text, expected
    assert "4567" in text and "1234567" not in text


def test_labels_follow_the_customers_language():
    labels = {"Finance application": "금융 신청서", "Applicant": "신청인", "Page %(page)s": "%(page)s 페이지"}
    doc = replace(DOC, locale="ko", applicant_name="김민준", gettext=lambda s: labels.get(s, s), approved_amount_financed=None,
                  decline_reason="소득 부족", status_label="거절")
    text = _text(render_finance_application_pdf(doc))
    assert "금융 신청서 — Hyundai" in text and "신청인" in text and "김민준" in text and "1 페이지" in text
    assert "1990년 3월 4일" in text and "소득 부족" in text and "₩30,150,000" in text


@pytest.mark.parametrize("locale", ["th", "zh_Hans", "ru"])
def test_other_scripts_render(locale):
    names = {"th": "สมชาย ใจดี", "zh_Hans": "王小明", "ru": "Иван Петров"}
    text = _text(render_finance_application_pdf(replace(DOC, locale=locale, applicant_name=names[locale])))
    assert names[locale].replace(" ", "") in text.replace(" ", "")
