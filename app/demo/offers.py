"""Demo data of the offer area: two partner banks per demo brand with realistic rate sheets.

True APRs (not the "flat" rates Thai showrooms often advertise): Korea ~4.5–6.9 %, Thailand ~5–7 %,
Canada ~6.49–8.99 %, Germany ~3.99–4.99 % (2026 captive/retail levels). Banks are looked up by name, so seeding twice
changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.partner_banks import PartnerBank
from app.services import partner_banks
from app.tenancy import scoped

D = Decimal
B = partner_banks.AprBand

#: brand country → [(bank name, bands, minimum down payment %, maximum term)]
BANKS = {
    "KR": [
        ("현대캐피탈", [B(1, 36, D("4.50")), B(37, 60, D("5.20")), B(61, 72, D("5.90"))], D(0), 72),
        ("KB국민카드 오토론", [B(1, 36, D("5.40")), B(37, 60, D("6.20")), B(61, 72, D("6.90"))], D(10), 72),
    ],
    "TH": [
        ("Hyundai Leasing Thailand", [B(1, 48, D("4.99")), B(49, 72, D("5.79")), B(73, 84, D("6.49"))], D(15), 84),
        ("Krungsri Auto", [B(1, 48, D("5.59")), B(49, 84, D("6.99"))], D(20), 84),
    ],
    "CA": [
        ("Hyundai Capital Canada", [B(1, 48, D("6.49")), B(49, 72, D("7.29")), B(73, 84, D("7.99"))], D(0), 84),
        ("TD Auto Finance", [B(1, 60, D("7.99")), B(61, 84, D("8.99"))], D(10), 84),
    ],
    "DE": [
        ("Hyundai Capital Bank Europe", [B(1, 48, D("3.99")), B(49, 72, D("4.99"))], D(0), 72),
    ],
}


def seed(session: Session, brands: dict, dealers: dict) -> None:
    """Create the demo partner banks of each brand that lacks them (idempotent)."""
    for brand in brands.values():
        with scoped(brand_id=brand.id):
            for name, bands, minimum, max_term in BANKS.get(brand.country, []):
                if session.scalar(select(PartnerBank).where(PartnerBank.name == name)) is not None:
                    continue
                partner_banks.save_bank(session, None, brand_id=brand.id, name=name, bands=bands,
                                        min_down_payment_percent=minimum, max_term=max_term)
