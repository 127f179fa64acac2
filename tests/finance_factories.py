"""Finance factories: a partner bank, an accepted offer with a loan scenario, a reserved deal, an applicant."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from app.domain.deal_states import DealAction
from app.domain.pricing import CashPayment, FinancePayment, PricingInput, StockVehicle, price_offer
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.partner_banks import PartnerBank
from app.services import deals as deal_service
from app.services import offers as offer_service
from app.services.finance_applications import ApplicantInput
from tests import deal_factories, offer_factories
from tests.offer_factories import AUTHORITY, NOW, POLICY

D = Decimal
#: The loan scenario of the factory offer: 60 months, 5,000,000 down, 5.9 % APR.
TERM, DOWN, APR = 60, D("5000000"), D("5.9")


def partner_bank(dealer: Dealer, name: str = "Hyundai Capital") -> PartnerBank:
    """Add an active partner bank to the dealer's brand (caller sets the tenant scope)."""
    bank = PartnerBank(brand_id=dealer.brand_id, name=name, apr_bands=[{"min_term": 1, "max_term": 72, "apr": "5.9"}],
                       min_down_payment_percent=D("0"), max_term=72)
    db.session.add(bank)
    db.session.flush()
    return bank


def financed_offer(dealer: Dealer, customer: Customer, consultant: User | None, *, locale: str = "en"):
    """Create, send and accept an offer whose snapshot has a cash and a 60-month loan scenario."""
    vehicle = StockVehicle(stock_number="S1", label=offer_factories.LABEL, model_code="TUC", trim_code="TUC-INS",
                           list_price=D("35000000"), acquisition_cost=D("31000000"))
    base = PricingInput(currency="KRW", brand_id=1, dealer_id=dealer.id, now_utc=NOW, vehicle=vehicle,
                        fee_tax_table=offer_factories.KRW_TABLE)
    priced = price_offer(replace(base, payments=(CashPayment(), FinancePayment(TERM, DOWN, APR, None, label="Finance 60 months"))))
    approval = priced.approval.check(AUTHORITY, POLICY)
    offer = offer_service.create_offer(
        db.session, dealer=dealer, customer=customer, consultant=consultant, inputs={}, priced=priced, approval=approval,
        vehicle={"label": offer_factories.LABEL, "model_code": "TUC"}, texts={"conditions": "Deposit refundable."},
        valid_until=date(2026, 6, 22), locale=locale, now=NOW, idempotency_key=None,
    )
    offer_service.send_offer(db.session, offer, actor=consultant, now=NOW)
    offer_service.accept_offer(db.session, offer, typed_name=customer.full_name, conditions_accepted=True, now=NOW)
    return offer


def factory_vin(serial: int) -> str:
    """Return a valid Hyundai VIN (right check digit) ending in the six-digit ``serial``."""
    from app.domain.vin import compute_check_digit

    body = f"KMHL341D0PA{serial % 1_000_000:06d}"
    return body[:8] + compute_check_digit(body) + body[9:]


def reserved_deal(dealer: Dealer, customer: Customer, consultant: User | None, *, allocate: bool = True) -> Deal:
    """Return a deal opened from ``financed_offer`` and reserved (the dealer asks no deposit).

    The offer names no stock car, so the deal is allocated to a factory VIN (``factory_vin`` of the
    deal id; ``allocate=False`` leaves it without a car) as staff do before the contract
    (``services.vehicle_allocation``).
    """
    from app.services import vehicle_allocation

    deal_factories.reservation_settings("0")
    offer = financed_offer(dealer, customer, consultant)
    deal = deal_service.open_from_offer(db.session, offer, dealer, now=NOW)
    deal_service.advance(db.session, deal, DealAction.RESERVE, dealer=dealer, actor=consultant)
    if allocate:
        vehicle_allocation.allocate_factory_vin(db.session, deal, factory_vin(deal.id), dealer=dealer, actor=consultant,
                                                now=NOW)
    return deal


def applicant(bank: PartnerBank, **changes) -> ApplicantInput:
    """Return a valid applicant for the factory offer's loan scenario (index 1 of its payments)."""
    data = ApplicantInput(
        applicant_name="Minjun Kim", date_of_birth=date(1990, 3, 4), national_id="900304-1234567",
        address_line="12 Teheran-ro", city="Seoul", postal_code="06234", employer="Samsung", position="Engineer",
        employment_years=6, monthly_income=D("4800000"), partner_bank_id=bank.id, scenario_index=1,
    )
    return replace(data, **changes)
