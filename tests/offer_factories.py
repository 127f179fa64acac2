"""Offer factories: a priced stock-vehicle offer in KRW, created through the real services."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from app.domain.approval import ApprovalPolicy, DiscountAuthority
from app.domain.pricing import AccessoryChoice, ManualDiscount, PricingInput, StockVehicle, price_offer
from app.domain.taxes import TAX_BASES, FeeRule, FeeTaxTable, TaxRounding, TaxRule
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
#: A German dealer: 19 % VAT included, rounded per line (``taxes.tax_rounding_for("DE")``).
EUR_TABLE = FeeTaxTable(
    currency="EUR",
    fees=(FeeRule("UEB", "Überführung", D("999.00")), FeeRule("ZUL", "Zulassung", D("30.00"), taxable=False)),
    taxes=(TaxRule("MWST", "MwSt. 19 %", D("19"), frozenset(TAX_BASES), included_in_price=True),),
    rounding=TaxRounding.PER_LINE,
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


def priced_eur(discount: str = "1000.00", table: FeeTaxTable = EUR_TABLE):
    """Return a German ``PricedOffer``: a 35,700.00 EUR stock car, three 10.00 floor mats, ``discount`` off.

    Per line (see ``tests/domain/pricing/test_vat_per_line.py``): car 34,700.00 = 29,159.66 + 5,540.34;
    each mat 10.00 = 8.40 + 1.60; Überführung 999.00 = 839.50 + 159.50; Zulassung 30.00 untaxed;
    total 35,759.00 = 30,054.36 net + 5,704.64 VAT.
    """
    mats = tuple(AccessoryChoice(f"MAT{i}", f"Floor mat {i}", D("10.00")) for i in (1, 2, 3))
    vehicle = StockVehicle(
        stock_number="M-1", label="Aurora Limited", model_code="AUR", trim_code="LTD",
        list_price=D("35700.00"), acquisition_cost=D("28000.00"), accessories=mats,
    )
    return price_offer(PricingInput(
        currency="EUR", brand_id=1, dealer_id=1, now_utc=NOW, vehicle=vehicle, fee_tax_table=table,
        manual_discount=ManualDiscount(amount=D(discount)) if D(discount) else None,
    ))


def offer(dealer: Dealer, customer: Customer, consultant: User | None, *, discount: str = "0", key: str | None = None,
          valid_until: date = date(2026, 6, 22), locale: str = "ko", now: datetime = NOW) -> Offer:
    """Create an offer through ``services.offers.create_offer`` (caller sets the tenant scope)."""
    result, approval = priced(discount, dealer.id)
    return svc.create_offer(
        db.session, dealer=dealer, customer=customer, consultant=consultant, inputs={"discount": discount},
        priced=result, approval=approval, vehicle={"label": LABEL}, texts={"conditions": "Deposit refundable within 7 days."},
        valid_until=valid_until, locale=locale, now=now, idempotency_key=key,
    )
