"""The contract PDF: Hangul customer name, exact totals, payment split, signatures, version and hash, deterministic."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from app.documents.contract_pdf import ContractDocument, render_contract_pdf
from app.domain.contracts import content_hash
from app.domain.roles import Role
from app.extensions import db
from app.services import contracts as svc
from tests.deals.contract_helpers import pdf_text, reserved_deal
from tests.offer_factories import NOW

CONTENT = {
    "deal": {"number": "SEOUL1-2026-000042", "currency": "KRW", "locale": "ko", "payment_kind": "finance"},
    "dealer": {"name": "Gangnam Motors Seoul", "address": ["테헤란로 123", "06133 Seoul"], "phone": "+82 2-555-0123",
               "email": "sales@gangnam.example", "brand": "Hyundai", "timezone": "Asia/Seoul"},
    "customer": {"name": "김민준", "email": "minjun@example.com", "phone": "", "address": ""},
    "consultant": "정우진",
    "offer": None,
    "vehicle": {"label": "투싼 1.6T 인스퍼레이션", "vin": "KMHJ381ABNU123456", "stock_number": "S1"},
    "priced": {"currency": "KRW", "out_the_door_price": "35150000"},
    "conditions": {"offer": "", "cancellation_policy": "계약 후 7일 이내 취소 가능", "refund_policy": "", "required_documents": ["신분증"]},
    "payment": {"out_the_door_price": "35150000", "deposit": "500000", "amount_financed": "30000000",
                "trade_in_equity": "-200000", "balance": "4850000"},
}


def _doc(**extra) -> ContractDocument:
    return ContractDocument(content=CONTENT, version=2, content_hash=content_hash(CONTENT), state="awaiting_customer",
                            generated_at=datetime(2026, 11, 29, 10, 0, tzinfo=UTC), **extra)


def test_unsigned_contract_in_korean_without_an_offer():
    pdf = render_contract_pdf(_doc())
    text = pdf_text(pdf)
    assert "김민준" in text and "투싼 1.6T 인스퍼레이션" in text
    assert "KMHJ381ABNU123456" in text and "S1" in text
    assert "₩35,150,000" in text and "₩4,850,000" in text and "+₩200,000" in text  # negative equity adds to the balance
    assert "계약 후 7일 이내 취소 가능" in text and "신분증" in text
    assert "Not signed yet" in text
    assert content_hash(CONTENT) in text.replace("\n", "")
    assert "Page 1 of 1" in text


def test_same_contract_renders_to_the_same_bytes():
    assert render_contract_pdf(_doc()) == render_contract_pdf(_doc())


def test_fonts_are_embedded():
    reader = PdfReader(io.BytesIO(render_contract_pdf(_doc())))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font)["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]


def test_signed_contract_pdf_from_the_service(a1):
    deal = reserved_deal(a1)
    contract, _ = svc.generate(db.session, deal, dealer=a1.dealer, actor=a1.consultant, now=NOW)
    svc.sign_by_customer(db.session, contract, typed_name="김민준", consent=True, ip="203.0.113.7", user_agent="UA", now=NOW)
    svc.countersign(db.session, contract, principal=a1.principal, role=Role.DEALER_PRINCIPAL, ip="", dealer=a1.dealer, now=NOW)
    pdf = svc.contract_pdf(contract)
    assert pdf == svc.contract_pdf(contract)  # generated on demand, always the same bytes
    text = pdf_text(pdf)
    # Korean labels need the Korean catalog; names, amounts and numbers are exact whatever the labels' language.
    assert "김민준" in text and a1.principal.name in text
    assert "₩35,150,000" in text  # 35,000,000 + 150,000 registration (item lines from the offer snapshot)
    assert "₩34,650,000" in text  # balance at delivery after the 500,000 deposit
    assert "203.0.113.7" in text
    assert deal.number in text and contract.content_hash in text.replace("\n", "")
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    # "page X of Y" in the customer's language (English when the catalogs are not compiled, as in CI)
    assert f"1 / {pages} 페이지" in text or f"Page 1 of {pages}" in text
