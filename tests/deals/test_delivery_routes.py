"""Delivery pages: the customer books through their purchase link, staff run checklist and handover, the schedule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.domain.deal_states import DealState
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal
from app.models.deliveries import BookingStatus, DeliveryBooking
from app.models.inventory import VehicleStatus
from app.models.mail import OutboxMessage
from app.services import deals as deal_service
from app.services import deliveries as svc
from app.tenancy import all_tenants, scoped
from tests.conftest import csrf_token
from tests.deals.delivery_setup import contracted_deal, delivery_settings

SLOT_RE = re.compile(r'name="slot" value="([0-9T:-]+)"')
ALL_ITEMS = ["pdi", "registration", "insurance", "accessories", "fuel_charge", "cleaned", "documents"]


def _local_today():
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Seoul")).date()


def _setup(app, world, *, n_deals=1, **settings) -> list[int]:
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        delivery_settings(dealer, **settings)
        ids = []
        for n in range(n_deals):
            customer = Customer(dealer_id=dealer.id, full_name=f"Minjun Kim {n}", email=f"minjun{n}@example.com", preferred_locale="en")
            db.session.add(customer)
            db.session.flush()
            ids.append(contracted_deal(dealer, customer, consultant, stock_number=f"S{n}", vin=f"KMHJ381ABNU12345{n}").id)
        db.session.commit()
        return ids


def _link(app, world, deal_id) -> str:
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        return f"/p/{deal_service.make_link_token(db.session.get(Deal, deal_id), app.config['SECRET_KEY'])}"


def _deal(app, world, deal_id, key="a1"):
    with app.app_context(), scoped(dealer_id=world.ids[key]):
        deal = db.session.get(Deal, deal_id)
        booking = svc.latest_booking(db.session, deal)
        return {"state": deal.state, "vehicle": deal.stock_vehicle.status if deal.stock_vehicle else None,
                "booking": (booking.slot_date.isoformat(), booking.slot_start.strftime("%H:%M"), booking.status) if booking else None}


def test_customer_books_and_reschedules_through_the_purchase_link(app, client, world):
    (deal_id,) = _setup(app, world)
    link = _link(app, world, deal_id)
    page = client.get(link).get_data(as_text=True)
    slots = SLOT_RE.findall(page)
    assert len(slots) == 8 and "places left" in page
    token = csrf_token(client, link)
    assert client.post(f"{link}/delivery", data={"slot": slots[0], "method": "showroom_pickup"}).status_code == 400  # no CSRF
    response = client.post(f"{link}/delivery", data={"csrf_token": token, "slot": slots[0], "method": "showroom_pickup"})
    assert response.status_code == 302
    day, start = slots[0].split("T")
    assert _deal(app, world, deal_id)["booking"] == (day, start, BookingStatus.BOOKED)
    assert _deal(app, world, deal_id)["state"] is DealState.DELIVERY_SCHEDULED
    page = client.get(link).get_data(as_text=True)
    assert 'data-testid="delivery-booking"' in page and "Your delivery time is booked." in page
    response = client.post(f"{link}/delivery", data={"csrf_token": token, "slot": slots[3], "method": "showroom_pickup"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("#delivery")
    day, start = slots[3].split("T")
    assert _deal(app, world, deal_id)["booking"] == (day, start, BookingStatus.BOOKED)
    with app.app_context(), all_tenants():
        subjects = db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.recipients.contains("minjun0@"))).all()
    assert subjects.count("Your delivery appointment at Dealer A1") == 2


def test_full_slot_is_refused_with_a_clear_message(app, client, world):
    first, second = _setup(app, world, n_deals=2, capacity_morning=1)
    link_a, link_b = _link(app, world, first), _link(app, world, second)
    slot = SLOT_RE.findall(client.get(link_a).get_data(as_text=True))[0]
    token = csrf_token(client, link_a)
    assert client.post(f"{link_a}/delivery", data={"csrf_token": token, "slot": slot, "method": "showroom_pickup"}).status_code == 302
    assert slot not in SLOT_RE.findall(client.get(link_b).get_data(as_text=True))
    refused = client.post(f"{link_b}/delivery", data={"csrf_token": token, "slot": slot, "method": "showroom_pickup"})
    assert refused.status_code == 422
    assert "This slot is fully booked. Please choose another time." in refused.get_data(as_text=True)
    assert _deal(app, world, second) == {"state": DealState.CONTRACTED, "vehicle": VehicleStatus.IN_STOCK, "booking": None}


def test_closure_day_is_not_offered(app, client, world):
    closed = _local_today() + timedelta(days=2)
    (deal_id,) = _setup(app, world, closures=(closed,))
    link = _link(app, world, deal_id)
    slots = SLOT_RE.findall(client.get(link).get_data(as_text=True))
    days = {s.split("T")[0] for s in slots}
    assert closed.isoformat() not in days and (closed + timedelta(days=1)).isoformat() in days
    token = csrf_token(client, link)
    refused = client.post(f"{link}/delivery", data={"csrf_token": token, "slot": f"{closed.isoformat()}T10:00", "method": "showroom_pickup"})
    assert refused.status_code == 422 and "The dealership makes no deliveries on that day." in refused.get_data(as_text=True)


def test_home_delivery_outside_the_radius_is_refused(app, client, world):
    (deal_id,) = _setup(app, world)
    link = _link(app, world, deal_id)
    slot = SLOT_RE.findall(client.get(link).get_data(as_text=True))[0]
    token = csrf_token(client, link)
    data = {"csrf_token": token, "slot": slot, "method": "home_delivery", "address": "Incheon Airport",
            "latitude": "37.4602", "longitude": "126.4407"}
    refused = client.post(f"{link}/delivery", data=data)
    assert refused.status_code == 422 and "beyond the 30 km delivery radius" in refused.get_data(as_text=True)
    ok = client.post(f"{link}/delivery", data={**data, "address": "Gangnam-daero 396", "latitude": "37.4979", "longitude": "127.0276"})
    assert ok.status_code == 302
    assert "Gangnam-daero 396" in client.get(link).get_data(as_text=True)


def test_staff_book_checklist_balance_and_handover(app, client, login, world):
    (deal_id,) = _setup(app, world)
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    page = client.get(base).get_data(as_text=True)
    assert 'id="delivery"' in page and "Book a delivery time" in page
    slot = SLOT_RE.findall(page)[0]
    token = csrf_token(client, base)
    assert client.post(f"{base}/delivery/book", data={"csrf_token": token, "slot": slot, "method": "showroom_pickup"}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Booked by consultant_a1" in page and "Confirm handover" in page

    # Issue 11 item 5: the slot is on a later day, so the handover waits for it — or for a rebooking to today.
    day = slot.split("T")[0]
    assert 'data-testid="handover-early"' in page
    early = client.post(f"{base}/delivery/handover", data={"csrf_token": token, "odometer": "20", "signed_name": "Minjun Kim", "consent": "y"})
    assert early.status_code == 422 and f"The delivery is booked for {day}." in early.get_data(as_text=True)
    assert client.post(f"{base}/delivery/rebook-today", data={"slot_start": "10:00"}).status_code == 400  # no CSRF
    bad = client.post(f"{base}/delivery/rebook-today", data={"csrf_token": token, "slot_start": "09:00"})
    assert bad.status_code == 422 and "This delivery slot is not offered today." in bad.get_data(as_text=True)
    today_slots = re.findall(r'name="slot_start" value="([0-9:]+)"', page)
    assert today_slots == ["10:00", "14:00"]
    moved = client.post(f"{base}/delivery/rebook-today", data={"csrf_token": token, "slot_start": today_slots[-1]})
    assert moved.status_code == 302
    assert _deal(app, world, deal_id)["booking"] == (_local_today().isoformat(), "14:00", BookingStatus.BOOKED)
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="handover-early"' not in page and "Delivery rebooked to today for the handover" in page

    # Handover refused while the checklist is incomplete: message, nothing changes.
    refused = client.post(f"{base}/delivery/handover", data={"csrf_token": token, "odometer": "20", "signed_name": "Minjun Kim", "consent": "y"})
    assert refused.status_code == 422 and "Complete the pre-delivery checklist first." in refused.get_data(as_text=True)

    fragment = client.post(f"{base}/delivery/checklist", data={"csrf_token": token, "items": ALL_ITEMS[:3]}, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and '3 / 7' in body and "consultant_a1" in body
    assert "KMHJ381ABNU123450" in body and "S0" in body  # the checklist names the car to check
    assert client.post(f"{base}/delivery/checklist", data={"csrf_token": token, "items": ALL_ITEMS}).status_code == 302
    assert client.post(f"{base}/delivery/checklist", data={"csrf_token": token, "items": ["wax"]}).status_code == 422

    # Balance not settled yet.
    refused = client.post(f"{base}/delivery/handover", data={"csrf_token": token, "odometer": "20", "signed_name": "Minjun Kim", "consent": "y"})
    assert refused.status_code == 422 and "The payments do not add up to the out-the-door price yet." in refused.get_data(as_text=True)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        due = deal_service.settlement_of(db.session.get(Deal, deal_id)).balance_due
    too_much = client.post(f"{base}/delivery/balance", data={"csrf_token": token, "amount": str(due + 1)})
    assert too_much.status_code == 422 and "more than the balance due" in too_much.get_data(as_text=True)
    assert client.post(f"{base}/delivery/balance", data={"csrf_token": token, "amount": str(due)}).status_code == 302

    low = client.post(f"{base}/delivery/handover", data={"csrf_token": token, "odometer": "5", "signed_name": "Minjun Kim", "consent": "y"})
    assert low.status_code == 422 and "cannot be lower than the 12 recorded for this vehicle" in low.get_data(as_text=True)
    unsigned = client.post(f"{base}/delivery/handover", data={"csrf_token": token, "odometer": "20", "signed_name": "Minjun Kim"})
    assert unsigned.status_code == 422 and "must confirm they received the vehicle" in unsigned.get_data(as_text=True)
    assert _deal(app, world, deal_id)["state"] is DealState.DELIVERY_SCHEDULED

    done = client.post(f"{base}/delivery/handover", data={"csrf_token": token, "odometer": "20", "signed_name": "Minjun Kim", "consent": "y"})
    assert done.status_code == 302
    state = _deal(app, world, deal_id)
    assert (state["state"], state["vehicle"], state["booking"][2]) == (DealState.DELIVERED, VehicleStatus.SOLD, BookingStatus.COMPLETED)
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="handover-record"' in page and "Signed by Minjun Kim" in page
    with app.app_context(), all_tenants():
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients.contains("minjun0@")).order_by(OutboxMessage.id.desc())).first()
        assert mail.subject == "Your Tucson 1.6T Inspiration has been handed over"
        assert db.session.scalar(select(DeliveryBooking.signed_ip).where(DeliveryBooking.deal_id == deal_id,
                                                                 DeliveryBooking.status == BookingStatus.COMPLETED)) == "127.0.0.1"


def test_other_consultant_cannot_act_on_the_delivery(app, client, login, world):
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        delivery_settings(dealer)
        customer = Customer(dealer_id=dealer.id, full_name="Principal's customer")
        db.session.add(customer)
        db.session.flush()
        deal_id = contracted_deal(dealer, customer, db.session.get(User, world.ids["user_principal_a1"])).id
        db.session.commit()
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    token = csrf_token(client, base)
    assert client.post(f"{base}/delivery/checklist", data={"csrf_token": token, "items": ALL_ITEMS}).status_code == 403
    assert "Book a delivery time" not in client.get(base).get_data(as_text=True)


def test_deliveries_page_shows_slot_usage_by_day(app, client, login, world):
    first, _second = _setup(app, world, n_deals=2)
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        day = _local_today() + timedelta(days=3)
        from datetime import time

        svc.book(db.session, db.session.get(Deal, first), dealer=dealer, slot_date=day, slot_start=time(10), method="showroom_pickup")
        db.session.commit()
    login(world.emails["manager_a1"])
    url = f"/d/{world.slugs['a1']}/deals/deliveries"
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and "Minjun Kim 0" in page
    section = page[page.index(f'data-day="{day.isoformat()}"'):]
    usage = re.findall(r'data-testid="slot-usage">([^<]+)<', section)[:2]
    assert usage == ["1 / 2", "0 / 1"]
    fragment = client.get(f"{url}?from={(day + timedelta(days=14)).isoformat()}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert "Minjun Kim 0" not in fragment.get_data(as_text=True)
    assert client.get(f"{url}?from=garbage").status_code == 200


def test_o2o_dealer_has_no_delivery_routes(app, client, login, world):
    with app.app_context(), scoped(dealer_id=world.ids["a2"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a2"])
        customer = Customer(dealer_id=dealer.id, full_name="Jane Roe", email="jane@example.com")
        db.session.add(customer)
        db.session.flush()
        from tests import deal_factories

        deal = deal_service.open_reservation(db.session, dealer, customer=customer, vehicle=deal_factories.stock_vehicle(dealer), locale="en")
        deal.state = DealState.CONTRACTED
        db.session.commit()
        deal_id, link = deal.id, f"/p/{deal_service.make_link_token(deal, app.config['SECRET_KEY'])}"
    login(world.emails["principal_a2"])
    base = f"/d/{world.slugs['a2']}/deals"
    token = csrf_token(client, f"{base}/{deal_id}")
    assert client.get(f"{base}/deliveries").status_code == 404
    for action in ("book", "checklist", "balance", "handover"):
        assert client.post(f"{base}/{deal_id}/delivery/{action}", data={"csrf_token": token}).status_code == 404
    assert 'id="delivery"' not in client.get(f"{base}/{deal_id}").get_data(as_text=True)
    assert 'id="delivery"' not in client.get(link).get_data(as_text=True)
    assert client.post(f"{link}/delivery", data={"csrf_token": token}).status_code == 404


def test_typed_address_without_location_waits_for_staff_to_confirm_the_distance(app, client, login, world):
    """Issue 11 item 13: the customer types the address only; staff enter the km and the fee follows."""
    (deal_id,) = _setup(app, world)
    link = _link(app, world, deal_id)
    slot = SLOT_RE.findall(client.get(link).get_data(as_text=True))[0]
    token = csrf_token(client, link)
    booked = client.post(f"{link}/delivery", data={"csrf_token": token, "slot": slot, "method": "home_delivery",
                                                   "address": "Teheran-ro 152, Gangnam-gu"})
    assert booked.status_code == 302
    assert 'data-testid="distance-to-confirm"' in client.get(link).get_data(as_text=True)

    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{deal_id}"
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="distance-to-confirm"' in page and f"{base}/delivery/distance" in page
    schedule = client.get(f"/d/{world.slugs['a1']}/deals/deliveries").get_data(as_text=True)
    assert "Distance to confirm" in schedule
    staff_token = csrf_token(client, base)
    far = client.post(f"{base}/delivery/distance", data={"csrf_token": staff_token, "distance_km": "31"})
    assert far.status_code == 422 and "beyond the 30 km delivery radius" in far.get_data(as_text=True)
    empty = client.post(f"{base}/delivery/distance", data={"csrf_token": staff_token, "distance_km": ""})
    assert empty.status_code == 422 and "Enter the distance in km" in empty.get_data(as_text=True)
    ok = client.post(f"{base}/delivery/distance", data={"csrf_token": staff_token, "distance_km": "9.2"})
    assert ok.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="distance-to-confirm"' not in page and "distance confirmed by consultant_a1" in page
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        booking = db.session.scalar(select(DeliveryBooking).where(DeliveryBooking.deal_id == deal_id))
        assert (booking.distance_km, booking.fee) == (Decimal("9.20"), Decimal(50000))
