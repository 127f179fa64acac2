"""Idempotent demo data: brand organisations, dealers (tenants) and one user per role.

Running it twice changes nothing: every row is looked up by its natural key (brand slug,
dealer slug, user e-mail) and updated in place.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.roles import BusinessModel, Role
from app.models.accounts import Brand, Dealer
from app.services import accounts
from app.tenancy import all_tenants

DEMO_PASSWORD = "forecourt-demo"  # noqa: S105 - published demo credential, README lists it

BRANDS = [
    dict(slug="hyundai-kr", name="Hyundai Motor Korea", country="KR", default_locale="ko", currency="KRW", timezone="Asia/Seoul"),
    dict(slug="hyundai-th", name="Hyundai Mobility Thailand", country="TH", default_locale="th", currency="THB", timezone="Asia/Bangkok"),
    dict(slug="hyundai-ca", name="Hyundai Auto Canada", country="CA", default_locale="en", currency="CAD", timezone="America/Toronto"),
    # A European market (issue 13): 19 % VAT included and rounded per line, net and VAT printed per line.
    # German is not a UI language: screens fall back to English, offers (locale "de") format numbers in German.
    dict(slug="hyundai-de", name="Hyundai Motor Deutschland", country="DE", default_locale="en", currency="EUR", timezone="Europe/Berlin"),
]

DEALERS = [
    dict(brand="hyundai-kr", code="SEOUL1", slug="seoul-gangnam", name="Gangnam Motors Seoul", street="테헤란로 123",
         city="Seoul", region="Gangnam-gu", postal_code="06133", country="KR", phone="+82 2-555-0123",
         email="sales@gangnam-motors.example", latitude=Decimal("37.500622"), longitude=Decimal("127.036456"),
         locale="ko", currency="KRW", timezone="Asia/Seoul", business_model=BusinessModel.E2E),
    dict(brand="hyundai-kr", code="BUSAN1", slug="busan-haeundae", name="Haeundae Auto Busan", street="해운대로 570",
         city="Busan", region="Haeundae-gu", postal_code="48095", country="KR", phone="+82 51-740-0100",
         email="sales@haeundae-auto.example", latitude=Decimal("35.163177"), longitude=Decimal("129.163620"),
         locale="ko", currency="KRW", timezone="Asia/Seoul", business_model=BusinessModel.O2O),
    dict(brand="hyundai-th", code="BKK1", slug="bangkok-rama9", name="Rama 9 Motors Bangkok", street="ถนนพระราม 9",
         city="Bangkok", region="Huai Khwang", postal_code="10310", country="TH", phone="+66 2-248-0100",
         email="sales@rama9-motors.example", latitude=Decimal("13.757888"), longitude=Decimal("100.565206"),
         locale="th", currency="THB", timezone="Asia/Bangkok", business_model=BusinessModel.E2E),
    dict(brand="hyundai-ca", code="TOR1", slug="toronto-north", name="North York Pre-Owned Toronto",
         street="5000 Yonge St", city="Toronto", region="ON", postal_code="M2N 7E9", country="CA",
         phone="+1 416-555-0142", email="sales@northyork-preowned.example", latitude=Decimal("43.767690"),
         longitude=Decimal("-79.413930"), locale="en", currency="CAD", timezone="America/Toronto",
         business_model=BusinessModel.E2E),
    dict(brand="hyundai-de", code="MUC1", slug="munich-schwabing", name="Autohaus Schwabing München",
         street="Leopoldstraße 170", city="München", region="BY", postal_code="80804", country="DE",
         phone="+49 89 5550 1420", email="verkauf@autohaus-schwabing.example", latitude=Decimal("48.173245"),
         longitude=Decimal("11.586512"), locale="de", currency="EUR", timezone="Europe/Berlin",
         business_model=BusinessModel.O2O),
]

# (email, name, locale, [(role, brand slug or None, dealer slug or None)])
USERS = [
    ("admin@forecourt.example", "Platform Admin", "en", [(Role.PLATFORM_ADMIN, None, None)]),
    ("corporate.kr@forecourt.example", "김민준 (Corporate admin KR)", "ko", [(Role.CORPORATE_ADMIN, "hyundai-kr", None)]),
    ("marketing.kr@forecourt.example", "이서연 (Marketer KR)", "ko", [(Role.CORPORATE_MARKETER, "hyundai-kr", None)]),
    ("corporate.th@forecourt.example", "Somchai Wongsakul (Corporate admin TH)", "th", [(Role.CORPORATE_ADMIN, "hyundai-th", None)]),
    ("corporate.ca@forecourt.example", "Olivia Tremblay (Corporate admin CA)", "en", [(Role.CORPORATE_ADMIN, "hyundai-ca", None)]),
    ("principal.seoul@forecourt.example", "박지훈 (Principal Seoul)", "ko", [(Role.DEALER_PRINCIPAL, None, "seoul-gangnam")]),
    ("manager.seoul@forecourt.example", "최수아 (Sales manager Seoul)", "ko", [(Role.SALES_MANAGER, None, "seoul-gangnam")]),
    ("consultant.seoul@forecourt.example", "정우진 (Consultant Seoul)", "ko", [(Role.SALES_CONSULTANT, None, "seoul-gangnam")]),
    ("principal.busan@forecourt.example", "강하늘 (Principal Busan)", "ko", [(Role.DEALER_PRINCIPAL, None, "busan-haeundae")]),
    ("consultant.busan@forecourt.example", "윤서준 (Consultant Busan)", "ko", [(Role.SALES_CONSULTANT, None, "busan-haeundae")]),
    ("group.consultant@forecourt.example", "한지민 (Consultant Seoul + Busan)", "ko",
     [(Role.SALES_CONSULTANT, None, "seoul-gangnam"), (Role.SALES_CONSULTANT, None, "busan-haeundae")]),
    ("principal.bangkok@forecourt.example", "Anan Charoenpong (Principal Bangkok)", "th", [(Role.DEALER_PRINCIPAL, None, "bangkok-rama9")]),
    ("consultant.bangkok@forecourt.example", "Kanya Srisuk (Consultant Bangkok)", "th", [(Role.SALES_CONSULTANT, None, "bangkok-rama9")]),
    ("principal.toronto@forecourt.example", "Daniel Murphy (Principal Toronto)", "en", [(Role.DEALER_PRINCIPAL, None, "toronto-north")]),
    ("consultant.toronto@forecourt.example", "Priya Sharma (Consultant Toronto)", "en", [(Role.SALES_CONSULTANT, None, "toronto-north")]),
    ("principal.munich@forecourt.example", "Katrin Bauer (Principal Munich)", "en", [(Role.DEALER_PRINCIPAL, None, "munich-schwabing")]),
    ("consultant.munich@forecourt.example", "Jonas Weber (Consultant Munich)", "en", [(Role.SALES_CONSULTANT, None, "munich-schwabing")]),
]


def _upsert(session: Session, model, key: dict, values: dict):
    obj = session.scalar(select(model).filter_by(**key))
    if obj is None:
        obj = model(**key, **values)
        session.add(obj)
    else:
        for field, value in values.items():
            setattr(obj, field, value)
    return obj


def seed_demo(session: Session) -> list[tuple[str, str, str, str]]:
    """Create or update the demo tenants and users; return ``(email, password, role, where)`` rows to print."""
    printed: list[tuple[str, str, str, str]] = []
    with all_tenants():
        brands = {}
        for data in BRANDS:
            values = {k: v for k, v in data.items() if k != "slug"}
            brands[data["slug"]] = _upsert(session, Brand, {"slug": data["slug"]}, values)
        session.flush()
        dealers = {}
        for data in DEALERS:
            values = {k: v for k, v in data.items() if k not in {"slug", "brand"}}
            values["brand_id"] = brands[data["brand"]].id
            dealers[data["slug"]] = _upsert(session, Dealer, {"slug": data["slug"]}, values)
        session.flush()
        for email, name, locale, grants in USERS:
            user = accounts.find_user_by_email(session, email)
            if user is None:
                user = accounts.create_user(session, email=email, name=name, password=DEMO_PASSWORD, preferred_locale=locale)
            elif not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
            for role, brand_slug, dealer_slug in grants:
                accounts.grant(
                    session,
                    user,
                    role,
                    brand=brands[brand_slug] if brand_slug else None,
                    dealer=dealers[dealer_slug] if dealer_slug else None,
                )
                printed.append((email, DEMO_PASSWORD, role.value, brand_slug or dealer_slug or "platform"))
        session.flush()
        _seed_extensions(session, brands, dealers)
    return printed


def _seed_extensions(session: Session, brands: dict, dealers: dict) -> None:
    """Let later areas (catalog, dealer settings, inventory) add their demo data."""
    from app.demo import extensions

    for step in extensions.steps():
        step(session, brands, dealers)
