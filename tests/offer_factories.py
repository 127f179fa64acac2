"""Offer factories: a priced stock-vehicle offer in KRW, created through the real services."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from app.domain.approval import ApprovalPolicy, DiscountAuthority
from app.domain.pricing import ManualDiscount, PricingInput, StockVehicle, price_offer
from app.domain.taxes import FeeRule, FeeTaxTable, TaxRule
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.offers import Offer
from app.services import offers as svc

D = Decimal
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
KRW_TABLE = FeeTaxTable(
    currency="KRW",
    fees=(FeeRule("REG", "Registration", D("150000"), taxable=False),),
    taxes=(TaxRule("VAT", "VAT", D("10"), frozenset({"vehicle", "options", "accessories"}), included_in_price=True),),
)
AUTHORITY = DiscountAuthority(max_amount=D("500000"))
POLICY = ApprovalPolicy(currency="KRW", threshold_percent=D("5"))
LABEL = "Tucson 1.6T Inspiration"


def priced(discount: str = "0", dealer_id: int = 1, currency: str = "KRW", table: FeeTaxTable = KRW_TABLE):
    """Return ``(PricedOffer, ApprovalResult)`` for a 35,000,000 KRW stock Tucson with ``discount`` off."""
    vehicle = StockVehicle(
        stock_number="S1", label=LABEL, model_code="TUC", trim_code="TUC-INS",
        list_price=D("35000000"), acquisition_cost=D("31000000"),
    )
    pricing = PricingInput(
        currency=currency, brand_id=1, dealer_id=dealer_id, now_utc=NOW, vehicle=vehicle, fee_tax_table=table,
        manual_discount=ManualDiscount(amount=D(discount)) if D(discount) else None,
    )
    result = price_offer(pricing)
    return result, result.approval.check(AUTHORITY, POLICY)


def offer(dealer: Dealer, customer: Customer, consultant: User | None, *, discount: str = "0", key: str | None = None,
          valid_until: date = date(2026, 6, 22), locale: str = "ko", now: datetime = NOW) -> Offer:
    """Create an offer through ``services.offers.create_offer`` (caller sets the tenant scope)."""
    result, approval = priced(discount, dealer.id)
    return svc.create_offer(
        db.session, dealer=dealer, customer=customer, consultant=consultant, inputs={"discount": discount},
        priced=result, approval=approval, vehicle={"label": LABEL}, texts={"conditions": "Deposit refundable within 7 days."},
        valid_until=valid_until, locale=locale, now=now, idempotency_key=key,
    )
