"""Demo settings for every demo dealer: fee and tax tables, purchasing conditions, approval limits,
preset discounts, reservation payment, delivery, and consultant profiles.

Korea (Seoul, Busan): 10 % VAT included in prices, KRW fees such as 등록비 and 탁송료. Thailand
(Bangkok): 7 % VAT included, THB. Ontario (Toronto): 13 % HST added on top, reduced by the trade-in,
with the OMVIC transaction fee and the licensing fee, CAD. Germany (Munich): 19 % MwSt. included,
rounded per line (``taxes.tax_rounding_for("DE")``), Überführung (taxable) and Zulassung (an
official fee, not taxed), EUR. A dealer that already has purchasing
conditions is left alone, so running the seed again changes nothing.

Vehicle display: every demo dealer shows every model of its brand's published catalog (whatever
release exists — the catalog demo, when present, runs first), in catalog order; Seoul also sets its
own price on trims where the brand allows dealer pricing. A dealer with display choices already, or
a brand with nothing published, is left alone.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, time
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import quantum
from app.domain.roles import BusinessModel, Role
from app.models.accounts import Membership
from app.models.base import utcnow
from app.models.dealer_settings import DealerDisplayModel, PurchasingConditions
from app.services import consultants, vehicle_display
from app.services import dealer_settings as svc
from app.tenancy import scoped

D = Decimal
ALL_BASES = ("vehicle", "options", "accessories", "fees")

TABLES = {
    "KR": (
        [
            svc.FeeInput("REG", "등록비 (등록 대행)", D(150000), True),
            svc.FeeInput("DELIVERY", "탁송료", D(250000), True),
            svc.FeeInput("PLATE", "번호판 발급비", D(20000), False),
        ],
        [svc.TaxInput("VAT", "부가가치세 10%", D(10), ALL_BASES, True, False)],
    ),
    "TH": (
        [
            svc.FeeInput("REG", "ค่าจดทะเบียนรถ", D("2500.00"), False),
            svc.FeeInput("DELIVERY", "ค่าขนส่ง", D("3500.00"), True),
        ],
        [svc.TaxInput("VAT", "ภาษีมูลค่าเพิ่ม 7%", D(7), ALL_BASES, True, False)],
    ),
    "CA": (
        [
            svc.FeeInput("DOC", "Documentation fee", D("499.00"), True),
            svc.FeeInput("OMVIC", "OMVIC transaction fee", D("12.50"), True),
            svc.FeeInput("LICENSING", "Licensing fee", D("59.00"), False),
        ],
        [svc.TaxInput("HST", "HST 13% (Ontario)", D(13), ALL_BASES, False, True)],
    ),
    "DE": (
        [
            svc.FeeInput("TRANSFER", "Überführung", D("999.00"), True),
            svc.FeeInput("REG", "Zulassung", D("30.00"), False),
        ],
        [svc.TaxInput("VAT", "MwSt. 19 %", D(19), ALL_BASES, True, False)],
    ),
}

TEXTS = {
    "KR": {
        "documents": ["신분증 사본", "운전면허증 사본", "주민등록등본"],
        "cancel": {"ko": "계약 후 7일 이내 취소 시 위약금 없이 취소할 수 있습니다. 차량 출고 후에는 취소할 수 없습니다.",
                   "en": "You may cancel without penalty within 7 days of signing. No cancellation after the car is released."},
        "refund": {"ko": "계약금은 취소 접수 후 5영업일 이내에 환불됩니다.",
                   "en": "Deposits are refunded within 5 business days of the cancellation."},
        "methods": ["card", "bank_transfer", "virtual_account", "financing"],
        "approval": (D(1000000), D(5), D(-500000)),
        # Catalog codes, not names: the IONIQ 5 is NE1 in the published catalog (app/demo/catalog.py).
        "presets": [("재구매 고객 할인", "amount", D(500000), [], True, []),
                    # Stackable: the Seoul showroom special (a brand promotion) would otherwise always win.
                    ("아이오닉 5 시승 고객 할인", "amount", D(300000), ["NE1"], True, []),
                    ("임직원 가족 할인", "percent", D(3), [], False, [])],
        "deposit": D(1000000), "deposits": [("NE1", D(1000000)), ("PALISADE", D(2000000))],
        "provider": "Toss Payments",
        "closures": [(date(2026, 9, 24), date(2026, 9, 27), "추석 연휴"), (date(2026, 12, 25), None, "성탄절")],
        "languages": ["ko", "en"],
        "authority": (D(500000), D(2)),
    },
    "TH": {
        "documents": ["สำเนาบัตรประชาชน", "สำเนาทะเบียนบ้าน", "สำเนาใบขับขี่"],
        "cancel": {"th": "ยกเลิกได้โดยไม่มีค่าปรับภายใน 7 วันหลังทำสัญญา", "en": "Cancel without penalty within 7 days of signing."},
        "refund": {"th": "คืนเงินมัดจำภายใน 7 วันทำการ", "en": "Deposits are refunded within 7 business days."},
        "methods": ["card", "bank_transfer", "promptpay", "financing"],
        "approval": (D("30000.00"), D(4), D("-10000.00")),
        "presets": [("ส่วนลดลูกค้าเก่า", "amount", D("10000.00"), [], True, []),
                    ("ส่วนลด Creta", "percent", D(2), ["SU2"], False, [])],
        "deposit": D("20000.00"), "deposits": [("STARIA", D("50000.00"))],
        "provider": "Omise",
        "closures": [(date(2026, 4, 13), date(2026, 4, 15), "สงกรานต์")],
        "languages": ["th", "en"],
        "authority": (D("15000.00"), D(2)),
    },
    "CA": {
        "documents": ["Driver's licence", "Proof of insurance", "Void cheque for financing"],
        "cancel": {"en": "Deposits on vehicles not yet delivered may be cancelled in writing before the bill of sale is signed."},
        "refund": {"en": "Refundable deposits are returned to the original payment method within 10 business days."},
        "methods": ["card", "bank_transfer", "financing"],
        "approval": (D("1500.00"), D(5), D("250.00")),
        # The Canadian brand publishes no catalog (Toronto sells used imports): a stock-condition preset.
        "presets": [("Loyalty rebate", "amount", D("500.00"), [], True, []),
                    ("Winter tire package credit", "amount", D("750.00"), [], False, ["used", "cpo"])],
        "deposit": D("1000.00"), "deposits": [("IONIQ6", D("1500.00"))],
        "provider": "Moneris",
        "closures": [(date(2026, 12, 25), date(2026, 12, 26), "Christmas and Boxing Day"), (date(2026, 7, 1), None, "Canada Day")],
        "languages": ["en", "fr"],
        "authority": (D("1000.00"), D(3)),
    },
    "DE": {
        "documents": ["Personalausweis", "Führerschein", "eVB-Nummer der Versicherung"],
        "cancel": {"en": "You may withdraw within 14 days of signing a distance contract (BGB s. 355)."},
        "refund": {"en": "Deposits are refunded to the original payment method within 14 days."},
        "methods": ["card", "bank_transfer", "financing"],
        "approval": (D("1500.00"), D(5), D("250.00")),
        "presets": [("Treuebonus", "amount", D("500.00"), [], True, [])],
        "deposit": D("1000.00"), "deposits": [],
        "provider": "Stripe",
        "closures": [(date(2026, 12, 25), date(2026, 12, 26), "Weihnachten"), (date(2026, 10, 3), None, "Tag der Deutschen Einheit")],
        "languages": ["de", "en"],
        "authority": (D("1000.00"), D(3)),
    },
}


def demo_merchant(slug: str, secret_key: str) -> tuple[str, str]:
    """Return the demo ``(merchant id, webhook secret)`` of the dealer ``slug``.

    Every dealer is its own merchant at its provider, with its own secret (two dealers sharing one
    secret could forge each other's payment events). The secret is an HMAC-SHA256 of the slug under
    the app's ``SECRET_KEY``, so it is stable across re-seeds and never printed in the source.
    """
    merchant = slug.replace("-", "_") + "_01"
    secret = "demo_whsec_" + hmac.new(secret_key.encode(), slug.encode(), hashlib.sha256).hexdigest()[:32]
    return merchant, secret


def _seed_dealer(session: Session, dealer) -> None:
    data = TEXTS[dealer.country]
    fees, taxes = TABLES[dealer.country]
    svc.replace_fee_tax_table(session, dealer, fees, taxes)
    svc.save_purchasing_conditions(
        session, dealer, offer_validity_days=7, required_documents=data["documents"],
        cancellation_policy=data["cancel"], refund_policy=data["refund"], payment_methods=data["methods"],
    )
    amount, percent, gross = data["approval"]
    svc.save_approval_settings(session, dealer, threshold_amount=amount, threshold_percent=percent, minimum_gross=gross,
                               approver_roles=["dealer_principal", "sales_manager"])
    year = utcnow().year
    for name, kind, value, models, stackable, conditions in data["presets"]:
        svc.save_preset(session, dealer, None, svc.PresetInput(name, kind, value, tuple(models), (), date(year, 1, 1), date(year, 12, 31),
                                                               stackable, True, tuple(conditions)))
    provider, merchant, secret = data["provider"], *demo_merchant(dealer.slug, current_app.config["SECRET_KEY"])
    svc.save_reservation_settings(
        session, dealer, current_app.config,
        svc.ReservationInput(
            default_deposit=data["deposit"], refundable=True, refundable_days=7, payment_methods=tuple(data["methods"][:2]),
            provider_name=provider, merchant_id=merchant, provider_secret=secret,
            deposits=tuple(data["deposits"]),
        ),
    )
    if dealer.business_model is BusinessModel.E2E:
        slots = [svc.SlotInput(day, time(10), time(12), 2) for day in range(6)]
        slots += [svc.SlotInput(day, time(14), time(17), 3) for day in range(5)]
        svc.save_delivery_settings(
            session, dealer,
            svc.DeliveryInput(
                showroom_pickup=True, home_delivery=True, radius_km=D(50),
                home_delivery_fee=fees[1].amount if dealer.country != "CA" else D("199.00"), lead_time_days=2,
                slots=tuple(slots), closures=tuple(svc.ClosureInput(*c) for c in data["closures"]),
            ),
        )
    # Membership is not tenant-owned: the dealer filter is explicit.
    members = session.scalars(select(Membership).where(Membership.dealer_id == dealer.id, Membership.active.is_(True)))
    for membership in members:
        profile = consultants.profile_for(session, dealer, membership.user_id)
        if profile.id is None:
            amount, percent = data["authority"]
            if membership.role is not Role.SALES_CONSULTANT:
                amount, percent = amount * 4, percent * 2
            profile.languages = list(data["languages"])
            profile.discount_max_amount, profile.discount_max_percent = amount, percent
            session.add(profile)
    session.flush()


def _seed_display(session: Session, dealer) -> None:
    """Show every published model (catalog order); Seoul prices its trims 1 % under MSRP where the brand allows."""
    if session.scalar(select(DealerDisplayModel.id).limit(1)) is not None:
        return  # the dealer has made display choices already
    catalog = vehicle_display.display_settings(session, dealer)
    for model in catalog.models:
        vehicle_display.set_model_shown(session, dealer, model.code, True)
        if dealer.slug != "seoul-gangnam":
            continue
        for trim in model.trims:
            allowed = trim.price_range
            if not allowed.allows_dealer_pricing:
                continue
            step = D(10000) if dealer.currency == "KRW" else D(100)
            price = (trim.msrp * D("0.99") / step).quantize(D(1)) * step
            price = max(price, allowed.low or price)
            price = min(price, allowed.high or price).quantize(quantum(dealer.currency))
            vehicle_display.set_trim_price(session, dealer, trim.code, price)


def _repair_presets(session: Session, dealer) -> None:
    """Give a demo preset saved by an older seed (free-text "IONIQ5", "CRETA") the seed's catalog codes.

    Only presets of the seed's names whose stored codes the published catalog refuses are touched, so a
    second run, or a dealer's own edits that are valid, change nothing.
    """
    wanted = {row[0]: row for row in TEXTS[dealer.country]["presets"]}
    index = svc.preset_catalog_index(session)
    for preset in svc.presets(session, dealer):
        row = wanted.get(preset.name)
        if row is None or not svc.scope_of(preset).problems(index, svc.STOCK_CONDITIONS):
            continue
        _name, _kind, _value, models, stackable, conditions = row
        svc.save_preset(session, dealer, preset, svc.PresetInput(
            preset.name, preset.kind, preset.value, tuple(models), (), preset.valid_from, preset.valid_until, stackable,
            preset.active, tuple(conditions)))


def seed(session: Session, brands: dict, dealers: dict) -> None:
    """Fill settings for every demo dealer that has none yet, and its vehicle display (idempotent)."""
    for dealer in dealers.values():
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
            if session.scalar(select(PurchasingConditions).where(PurchasingConditions.dealer_id == dealer.id)) is None:
                _seed_dealer(session, dealer)
            _repair_presets(session, dealer)
            _seed_display(session, dealer)
    session.flush()
