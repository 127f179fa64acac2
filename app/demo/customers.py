"""About thirty demo customers per demo dealer, with names in the dealer's language.

Names, phones and e-mails are generated deterministically from small lists (phones use each
country's mobile ranges; Canadian ones the fictional 555-01xx block). A dealer that already has
customers is left alone, so running the seed again changes nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.customers import Customer
from app.services import customers as service
from app.tenancy import scoped

PER_DEALER = 30

NAMES = {
    "KR": (["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"],
           ["민준", "서연", "도윤", "하은", "시우", "지유", "주원", "서윤", "지호", "수아", "예준", "지민"]),
    "TH": (["สมชาย", "สุดา", "ประเสริฐ", "วิไล", "อนันต์", "กนกพร", "ธนากร", "ปิยะนุช", "วีระ", "รัตนา"],
           ["ศรีสุข", "วงศ์สกุล", "เจริญผล", "บุญมา", "ทองดี", "แก้วมณี", "สุขสวัสดิ์", "พงษ์ไพร"]),
    "CA": (["Liam", "Olivia", "Noah", "Emma", "Ethan", "Ava", "Lucas", "Sophie", "Arjun", "Mei", "Mateo", "Chloé"],
           ["Smith", "Tremblay", "Wong", "Patel", "MacDonald", "Nguyen", "Roy", "Singh", "Campbell", "Li"]),
}
NAMES["DE"] = (["Lukas", "Anna", "Felix", "Lea", "Maximilian", "Sophie", "Paul", "Marie", "Jonas", "Emilia"],
               ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann"])
LATIN = {"KR": ["kim", "lee", "park", "choi", "jung", "kang", "cho", "yoon", "jang", "lim"]}


def _person(country: str, n: int) -> tuple[str, str, str]:
    first, second = NAMES[country]
    if country == "KR":
        surname = first[n % len(first)]
        name = f"{surname}{second[(n * 7) % len(second)]}"
        email = f"{LATIN['KR'][n % len(first)]}{1970 + n}@example.kr"
        phone = f"010-{2000 + n * 37:04d}-{3000 + n * 53:04d}"
    elif country == "TH":
        name = f"{first[n % len(first)]} {second[(n * 3) % len(second)]}"
        email = f"customer{n:02d}@example.co.th"
        phone = f"08{1 + n % 9}-{200 + n * 7:03d}-{4000 + n * 31:04d}"
    elif country == "DE":
        given, family = first[n % len(first)], second[(n * 7) % len(second)]
        name = f"{given} {family}"
        ascii_family = family.lower().replace("ü", "ue")
        email = f"{given.lower()}.{ascii_family}{n}@example.de"
        phone = f"+49 151 {23450000 + n * 137:08d}"
    else:
        given, family = first[n % len(first)], second[(n * 7) % len(second)]
        name = f"{given} {family}"
        email = f"{given.lower().replace('é', 'e')}.{family.lower()}{n}@example.ca"
        phone = f"{'416' if n % 2 else '647'}-555-01{n % 100:02d}"
    return name, email, phone


def seed(session: Session, brands: dict, dealers: dict) -> None:
    """Create the demo customers of every demo dealer that has none yet (idempotent)."""
    for dealer in dealers.values():
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
            if session.scalar(select(func.count()).select_from(Customer).where(Customer.dealer_id == dealer.id)):
                continue
            staff = service.consultants(session, dealer)
            for n in range(PER_DEALER):
                name, email, phone = _person(dealer.country, n)
                consultant = staff[n % len(staff)] if staff and n % 6 else None
                data = service.CustomerInput(
                    full_name=name,
                    email=email if n % 5 else "",
                    phone=phone,
                    preferred_locale=dealer.locale,
                    assigned_consultant_id=consultant.id if consultant else None,
                    marketing_consent=n % 3 == 0,
                    privacy_notice_version="2026-01",
                    privacy_accepted=True,
                )
                customer = service.create_customer(session, dealer, data, allow_duplicate=True)
                if n % 4 == 0:
                    service.add_note(session, customer, "Test drive booked / 시승 예약" if dealer.country == "KR" else "Test drive booked")
