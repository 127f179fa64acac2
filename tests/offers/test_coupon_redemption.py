"""Coupons and promotion budgets are used up at acceptance, given back on cancel, and shown to the marketer (issue 11 item 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.offer_states import OfferState
from app.extensions import db
from app.models.accounts import Dealer, Membership, User
from app.models.base import utcnow
from app.models.offers import Offer
from app.models.promotions import Coupon, Promotion, PromotionRedemption
from app.services import deals as deal_service
from app.services import offer_builder as builder
from app.services import offers as offer_service
from app.services.promotion_redemptions import PromotionUsedUp, claims_of
from app.tenancy import all_tenants, scoped
from tests.corporate import factories as cf
from tests.offers.helpers import publish_catalog, settings

D = Decimal
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
LATER = datetime(2026, 6, 16, 3, 0, tzinfo=UTC)
# 35,000,000 Tucson + 80,000 Amazon Gray − 1,000,000 spring bonus − 100,000 coupon ONCE = 33,980,000
WITH_BOTH = D("33980000")


@pytest.fixture
def shop(app, world):
    """Dealer A1 with a published Tucson, a spring bonus with a 1,500,000 KRW budget, and single-use coupon ONCE."""
    with app.app_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["a1"])
        settings(dealer, fees=[], taxes=[])
        publish_catalog(world.ids["brand_a"], model_code="TUCSON", model_name="Tucson", trim_code="TUC-INS",
                        trim_name="Inspiration", msrp=D(35000000), exterior=[("A2B", "Amazon Gray", D(80000))],
                        interior=[("NNB", "Black", D(0))])
        with scoped(brand_id=world.ids["brand_a"]):
            spring = cf.promotion(world.ids["brand_a"], code="SPRING", name="Spring bonus", amount=D(1000000),
                                  published=True, budget_max_amount=D(1500000),
                                  valid_from=cf.local("2020-01-01 00:00"), valid_until=cf.local("2099-12-31 23:59"))
            coupon = cf.promotion(world.ids["brand_a"], code="CPN", name="Coupon 100k", kind="coupon", amount=D(100000),
                                  published=True, valid_from=cf.local("2020-01-01 00:00"),
                                  valid_until=cf.local("2099-12-31 23:59"))
            db.session.add(Coupon(brand_id=world.ids["brand_a"], promotion_id=coupon.id, code="ONCE", max_uses=1))
            db.session.flush()
        ids = {"spring": spring.id, "coupon": coupon.id,
               "customers": [cf.customer(world.ids["a1"], full_name=f"Buyer {n}").id for n in range(3)]}
        db.session.commit()
    return ids


@pytest.fixture
def dealer_scope(app, world):
    """Yield dealer A1 inside its scope (app context open)."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        yield db.session.get(Dealer, world.ids["a1"])


def _sent_offer(dealer: Dealer, world, customer_id: int, coupon: str = "once", now: datetime = NOW) -> Offer:
    """Build, save and send an offer for the Tucson with ``coupon`` entered (as the consultant would)."""
    consultant = db.session.get(User, world.ids["user_consultant_a1"])
    membership = db.session.scalar(select(Membership).where(Membership.user_id == consultant.id,
                                                            Membership.dealer_id == dealer.id))
    data = builder.BuilderInput(source="catalog", model_code="TUCSON", trim_code="TUC-INS", exterior_code="A2B",
                                interior_code="NNB", coupon_code=coupon)
    result = builder.build(db.session, dealer=dealer, user=consultant, membership=membership, data=data, now=now,
                           locale="en")
    assert result.ok, result.errors
    offer = builder.save(db.session, dealer=dealer, user=consultant, result=result,
                         customer=db.session.get(builder.Customer, customer_id), offer=None, base_revision_no=None,
                         idempotency_key=None, now=now)
    offer_service.send_offer(db.session, offer, actor=consultant, now=now)
    return offer


def _accept(offer: Offer, dealer: Dealer, now: datetime = LATER):
    offer_service.accept_offer(db.session, offer, typed_name="Buyer", conditions_accepted=True, now=now)
    return deal_service.open_from_offer(db.session, offer, dealer, now=now)


def _counters(shop) -> tuple[int, int, Decimal]:
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == "ONCE"))
    spring = db.session.get(Promotion, shop["spring"])
    db.session.refresh(coupon)
    db.session.refresh(spring)
    return coupon.used_count, spring.budget_used_count, spring.budget_used_amount


def test_the_snapshot_says_what_an_offer_uses(shop, dealer_scope, world):
    offer = _sent_offer(dealer_scope, world, shop["customers"][0])
    assert offer.out_the_door_price == WITH_BOTH
    claims = {c.promotion_id: c for c in claims_of(offer_service.current_revision(offer).snapshot)}
    assert claims[shop["coupon"]].coupon_code == "ONCE" and claims[shop["coupon"]].uses == 1
    assert claims[shop["spring"]].coupon_code is None and claims[shop["spring"]].discount == D(1000000)


def test_acceptance_uses_the_coupon_and_the_budget_once(shop, dealer_scope, world):
    offer = _sent_offer(dealer_scope, world, shop["customers"][0])
    assert _counters(shop) == (0, 0, D(0))  # pricing and sending take nothing
    deal = _accept(offer, dealer_scope)
    assert _counters(shop) == (1, 1, D(1100000) - D(100000))  # coupon 1 use; spring 1 use worth 1,000,000
    rows = db.session.scalars(select(PromotionRedemption).order_by(PromotionRedemption.promotion_id)).all()
    assert [(r.promotion_id, r.uses, r.amount, r.deal_id, r.released_at) for r in rows] == [
        (shop["spring"], 1, D(1000000), deal.id, None), (shop["coupon"], 1, D(100000), deal.id, None)]
    assert rows[1].coupon_id is not None and rows[0].coupon_id is None
    # Accepting twice (a double tap that reached the service) takes nothing more.
    from app.services.promotion_redemptions import redeem
    assert len(redeem(db.session, offer)) == 2
    assert _counters(shop) == (1, 1, D(1000000))


def test_a_used_coupon_is_refused_by_the_pricing_engine(shop, dealer_scope, world):
    _accept(_sent_offer(dealer_scope, world, shop["customers"][0]), dealer_scope)
    consultant = db.session.get(User, world.ids["user_consultant_a1"])
    data = builder.BuilderInput(source="catalog", model_code="TUCSON", trim_code="TUC-INS", exterior_code="A2B",
                                interior_code="NNB", coupon_code="ONCE")
    result = builder.build(db.session, dealer=dealer_scope, user=consultant, membership=None, data=data, now=LATER,
                           locale="en")
    reasons = {n.code: (n.reason, n.message) for n in result.priced.not_applied}
    assert reasons["CPN"] == ("coupon_used", "Coupon ONCE has already been used")
    # 1,000,000 of the 1,500,000 budget is gone: another 1,000,000 bonus does not fit any more.
    assert reasons["SPRING"] == ("budget_exhausted",
                                 "Spring bonus has 500000 KRW of budget left, less than this benefit of 1000000 KRW")
    assert result.priced.out_the_door_price == D(35080000)


def test_an_offer_whose_coupon_ran_out_is_repriced_and_says_why(shop, dealer_scope, world):
    first = _sent_offer(dealer_scope, world, shop["customers"][0])
    second = _sent_offer(dealer_scope, world, shop["customers"][1])  # priced while ONCE was still free
    _accept(first, dealer_scope)
    db.session.flush()
    with pytest.raises(PromotionUsedUp) as refused:
        offer_service.accept_offer(db.session, second, typed_name="Buyer 1", conditions_accepted=True, now=LATER)
    assert [str(u.message) for u in refused.value.used_up] == [
        "Spring bonus has used up its budget", "Coupon ONCE has already been used"]
    # Nothing of the refused acceptance was taken or recorded.
    assert second.state is OfferState.SENT and not second.accepted_name and second.decided_at is None
    assert _counters(shop) == (1, 1, D(1000000))
    assert db.session.scalar(select(PromotionRedemption).where(PromotionRedemption.offer_id == second.id)) is None

    revision = builder.reprice_used_up(db.session, second, dealer_scope, refused.value, now=LATER)
    assert revision is not None and revision.revision_no == 2
    assert second.state is OfferState.SENT  # still with the customer, who can accept the new price
    assert second.out_the_door_price == D(35080000) == WITH_BOTH + D(1100000)
    assert revision.inputs["coupon_code"] == ""
    assert [r["msgid"] for r in revision.snapshot["texts"]["repriced_because"]] == [
        "%(promotion)s has used up its budget", "Coupon %(code)s has already been used"]
    assert revision.snapshot["texts"]["conditions"] == offer_service.current_revision(first).snapshot["texts"]["conditions"]
    deal = _accept(second, dealer_scope)
    assert deal.out_the_door_price == D(35080000)
    assert _counters(shop) == (1, 1, D(1000000))


def test_cancelling_the_deal_gives_the_coupon_and_budget_back(shop, dealer_scope, world):
    offer = _sent_offer(dealer_scope, world, shop["customers"][0])
    deal = _accept(offer, dealer_scope)
    principal = db.session.get(User, world.ids["user_principal_a1"])
    deal_service.cancel(db.session, deal, dealer=dealer_scope, reason="Changed their mind", actor=principal, now=LATER)
    assert _counters(shop) == (0, 0, D(0))
    row = db.session.scalar(select(PromotionRedemption).where(PromotionRedemption.promotion_id == shop["coupon"]))
    assert row.released_at == LATER
    # The next customer can use the coupon again; a second release of the same deal gives nothing more.
    from app.services.promotion_redemptions import release_for_deal
    assert release_for_deal(db.session, deal, LATER) == 0
    again = _sent_offer(dealer_scope, world, shop["customers"][2])
    assert again.out_the_door_price == WITH_BOTH
    _accept(again, dealer_scope)
    assert _counters(shop) == (1, 1, D(1000000))


def test_customer_who_accepts_a_used_up_offer_sees_the_new_price(app, client, login, shop, world):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        today = utcnow()  # the customer's link checks the offer's validity against the real clock
        first = _sent_offer(dealer, world, shop["customers"][0], now=today)
        second = _sent_offer(dealer, world, shop["customers"][1], now=today)
        _accept(first, dealer, now=today)
        token = offer_service.make_link_token(second, app.config["SECRET_KEY"])
        second_id = second.id
        db.session.commit()
    page = client.get(f"/o/{token}")
    csrf = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/o/{token}/accept", data={"csrf_token": csrf, "full_name": "Buyer 1", "conditions": "y"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Coupon ONCE has already been used" in html and "Spring bonus has used up its budget" in html
    assert "the new out-the-door price is ₩35,080,000" in html
    assert 'data-testid="repriced"' in html and "Accept the offer" in html
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        offer = db.session.get(Offer, second_id)
        assert offer.state is OfferState.VIEWED and offer.current_revision_no == 2 and offer.decided_at is None
        assert deal_service.deal_for_offer(db.session, offer.id) is None
        assert _counters(shop) == (1, 1, D(1000000))
    # The consultant sees the same reasons on the offer page.
    login(world.emails["consultant_a1"])
    staff = client.get(f"/d/{world.slugs['a1']}/offers/{second_id}").get_data(as_text=True)
    assert 'data-testid="repriced"' in staff and "Coupon ONCE has already been used" in staff


def test_marketer_sees_uses_and_budget_left(app, client, login, shop, world):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        _accept(_sent_offer(dealer, world, shop["customers"][0]), dealer)
        db.session.commit()
    login(world.emails["marketer_a"])
    base = f"/c/{world.slugs['brand_a']}/promotions"
    listing = client.get(f"{base}/").get_data(as_text=True)
    assert 'data-testid="uses-SPRING">1<' in listing
    assert 'data-testid="budget-SPRING">₩1,000,000 / ₩500,000<' in listing
    detail = client.get(f"{base}/{shop['spring']}").get_data(as_text=True)
    assert "₩1,000,000 of ₩1,500,000 (₩500,000 left)" in detail
    coupon = client.get(f"{base}/{shop['coupon']}").get_data(as_text=True)
    assert 'data-testid="coupon-usage"' in coupon
    assert "<td>ONCE</td>" in coupon and "1 of 1" in coupon


def test_an_offer_not_made_in_the_builder_is_refused_and_the_consultant_told(shop, dealer_scope, world):
    from app.domain.pricing import PricingInput, StockVehicle, price_offer
    from app.models.notifications import Notification
    from app.services import promotions as promotion_service
    from tests.offer_factories import AUTHORITY, KRW_TABLE, POLICY

    _accept(_sent_offer(dealer_scope, world, shop["customers"][0]), dealer_scope)
    consultant = db.session.get(User, world.ids["user_consultant_a1"])
    # Priced by hand (no builder inputs) with the coupon before it was used.
    row = db.session.get(Promotion, shop["coupon"])
    promo = promotion_service.to_domain(row, "Asia/Seoul", overrides={"coupons": [("ONCE", 1, 0)]})
    priced = price_offer(PricingInput(
        currency="KRW", brand_id=row.brand_id, dealer_id=dealer_scope.id, now_utc=NOW, fee_tax_table=KRW_TABLE,
        vehicle=StockVehicle(stock_number="S9", label="Tucson", model_code="TUC", trim_code="TUC-INS",
                             list_price=D(35000000), acquisition_cost=D(31000000)),
        promotions=(promo,), coupon_codes=("ONCE",)))
    offer = offer_service.create_offer(
        db.session, dealer=dealer_scope, customer=db.session.get(builder.Customer, shop["customers"][1]),
        consultant=consultant, inputs={}, priced=priced, approval=priced.approval.check(AUTHORITY, POLICY),
        vehicle={"label": "Tucson"}, texts={}, valid_until=NOW.date().replace(year=2099), locale="en", now=NOW)
    offer_service.send_offer(db.session, offer, actor=consultant, now=NOW)
    with pytest.raises(PromotionUsedUp) as refused:
        offer_service.accept_offer(db.session, offer, typed_name="Buyer 1", conditions_accepted=True, now=LATER)
    assert builder.reprice_used_up(db.session, offer, dealer_scope, refused.value, now=LATER) is None
    assert offer.current_revision_no == 1 and offer.state is OfferState.SENT
    told = db.session.scalars(select(Notification.title).where(Notification.user_id == consultant.id,
                                                               Notification.kind == "offer.repriced")).all()
    assert told == [f"Offer {offer.number}: a coupon or promotion ran out before Buyer 1 accepted"]
