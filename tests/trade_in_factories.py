"""Trade-in factories: a builder-made offer on a stock car (so it can be re-priced), accepted into a deal; images.

The dealer's table (set by ``tax_table``): registration fee 150,000 KRW (not taxed) and a 5 % sales tax
ADDED on the vehicle WITH trade-in credit, so a trade-in lowers the out-the-door price:

    no trade-in: 35,000,000 + 150,000 + 5 % × 35,000,000 (1,750,000) = 36,900,000 KRW
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models.accounts import Dealer, Membership, User
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.offers import Offer
from app.services import dealer_settings as ds
from app.services import deals as deal_service
from app.services import offer_builder
from app.services import offers as offer_service
from app.services import trade_ins as svc
from tests import deal_factories
from tests.offer_factories import NOW

D = Decimal
#: A real, check-digit-valid North American VIN (2003 Honda Accord).
VIN = "1HGCM82633A004352"
CONDITION = {"accidents": "none", "damage": "cosmetic", "service_history": "full", "keys": "two_or_more",
             "tyres": "good", "warning_lights": "no"}


def tax_table(dealer: Dealer) -> None:
    """Registration 150,000 (untaxed) + 5 % sales tax added on the vehicle with trade-in credit."""
    ds.replace_fee_tax_table(
        db.session, dealer, [ds.FeeInput("REG", "Registration", D(150000), False)],
        [ds.TaxInput("ST", "Sales tax 5%", D(5), ("vehicle",), False, True)],
    )


def builder_offer(dealer: Dealer, customer: Customer, consultant: User, *, discount: str | None = None,
                  vin: str = "KMHJ381ABNU123456", stock_number: str = "S1", now: datetime = NOW,
                  trade_in: offer_builder.TradeInInput | None = None) -> Offer:
    """Create a draft offer through the builder on a new 35,000,000 KRW stock Tucson (optional discount, trade-in)."""
    car = deal_factories.stock_vehicle(dealer, vin=vin, stock_number=stock_number)
    data = offer_builder.BuilderInput(
        source="stock", stock_id=car.id, manual_value=D(discount) if discount else None,
        manual_reason="Loyal customer" if discount else "", trade_in=trade_in,
    )
    membership = db.session.scalar(select(Membership).where(Membership.user_id == consultant.id,
                                                            Membership.dealer_id == dealer.id))
    result = offer_builder.build(db.session, dealer=dealer, user=consultant, membership=membership, data=data,
                                 now=now, locale="en")
    assert result.ok, result.errors
    return offer_builder.save(db.session, dealer=dealer, user=consultant, result=result, customer=customer, offer=None,
                              base_revision_no=None, idempotency_key=None, now=now)


def accept(offer: Offer, customer: Customer, consultant: User, *, approver: User | None = None, now: datetime = NOW) -> None:
    """Send (after approval when needed) and accept ``offer``."""
    if offer_service.current_revision(offer).needs_approval:
        offer_service.submit_for_approval(db.session, offer, consultant)
        offer_service.decide(db.session, offer, approve=True, comment="ok", approver=approver,
                             revision_no=offer.current_revision_no)
    offer_service.send_offer(db.session, offer, actor=consultant, now=now)
    offer_service.accept_offer(db.session, offer, typed_name=customer.full_name, conditions_accepted=True, now=now)


def builder_deal(dealer: Dealer, customer: Customer, consultant: User, *, discount: str | None = None,
                 approver: User | None = None, trade_in: offer_builder.TradeInInput | None = None) -> Deal:
    """Return the deal of an accepted builder offer (the dealer's tax table set by ``tax_table``)."""
    tax_table(dealer)
    offer = builder_offer(dealer, customer, consultant, discount=discount, trade_in=trade_in)
    accept(offer, customer, consultant, approver=approver)
    return deal_service.open_from_offer(db.session, offer, dealer, now=NOW)


def request(**overrides) -> svc.TradeInRequest:
    """A valid trade-in request (2003 Honda Accord, 182,000 km, payoff 4,500,000) with ``overrides``."""
    values = dict(vin=VIN, year=2003, make="Honda", model="Accord", odometer=182000, odometer_unit="km",
                  condition=dict(CONDITION), payoff=D(4500000), note="Winter tyres included")
    values.update(overrides)
    return svc.TradeInRequest(**values)


def image(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "navy") -> bytes:
    """Return a small real image encoded as ``fmt`` (PNG, JPEG, GIF, WEBP…)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()
