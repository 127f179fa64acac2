"""Vehicle allocation on the staff deal page: the card, stock car or factory VIN, refusals, other tenants' cars."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.deals import Deal, DealEvent
from app.models.inventory import StockVehicle, VehicleStatus
from app.tenancy import scoped
from tests.conftest import csrf_token
from tests.deals.allocation_setup import BAD_CHECK_DIGIT_VIN, FACTORY_VIN, catalog_deal, stock_car


def _setup(app, world) -> dict:
    """Commit an A1 catalog deal (reserved, no car), a matching A1 stock car and a matching car of dealer A2."""
    with app.app_context():
        with scoped(dealer_id=world.ids["a2"], brand_id=world.ids["brand_a"]):
            foreign = stock_car(db.session.get(Dealer, world.ids["a2"]), stock_number="A2-7", vin="KMHJ381ABNU200007").id
            db.session.commit()
        with scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
            dealer = db.session.get(Dealer, world.ids["a1"])
            customer = Customer(dealer_id=dealer.id, full_name="Minjun Kim", email="minjun@example.com", preferred_locale="en")
            db.session.add(customer)
            db.session.flush()
            deal = catalog_deal(dealer, customer, db.session.get(User, world.ids["user_consultant_a1"]))
            car = stock_car(dealer, stock_number="T1", vin="KMHJ381ABNU100001").id
            db.session.commit()
            return {"deal": deal.id, "car": car, "foreign": foreign}


def _state(app, world, deal_id) -> dict:
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        deal = db.session.get(Deal, deal_id)
        events = db.session.scalars(select(DealEvent.note).where(DealEvent.deal_id == deal_id,
                                                                 DealEvent.kind == "vehicle_allocated")).all()
        return {"stock": deal.stock_vehicle_id, "vin": deal.factory_vin, "events": list(events)}


def test_deal_page_offers_matching_stock_and_allocates_it(app, client, login, world):
    ids = _setup(app, world)
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{ids['deal']}"
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="vehicle-not-allocated"' in page
    assert f'name="vehicle_id" value="{ids["car"]}"' in page and "A2-7" not in page
    token = csrf_token(client, base)
    refused = client.post(f"{base}/contract", data={"csrf_token": token}, follow_redirects=True)
    assert "Allocate a vehicle to this deal first" in refused.get_data(as_text=True)

    assert client.post(f"{base}/allocate/stock", data={"vehicle_id": ids["car"]}).status_code == 400  # no CSRF
    done = client.post(f"{base}/allocate/stock", data={"csrf_token": token, "vehicle_id": ids["car"]})
    assert done.status_code == 302
    assert _state(app, world, ids["deal"])["stock"] == ids["car"]
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="allocated-vehicle"' in page and "KMHJ381ABNU100001" in page and "Vehicle allocated" in page
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        assert db.session.get(StockVehicle, ids["car"]).status is VehicleStatus.RESERVED


def test_another_dealers_stock_car_is_404_and_nothing_changes(app, client, login, world):
    ids = _setup(app, world)
    login(world.emails["principal_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{ids['deal']}"
    token = csrf_token(client, base)
    assert client.post(f"{base}/allocate/stock", data={"csrf_token": token, "vehicle_id": ids["foreign"]}).status_code == 404
    assert _state(app, world, ids["deal"]) == {"stock": None, "vin": None, "events": []}
    with app.app_context(), scoped(dealer_id=world.ids["a2"]):
        assert db.session.get(StockVehicle, ids["foreign"]).status is VehicleStatus.IN_STOCK


def test_factory_vin_bad_then_good(app, client, login, world):
    ids = _setup(app, world)
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{ids['deal']}"
    token = csrf_token(client, base)
    bad = client.post(f"{base}/allocate/factory", data={"csrf_token": token, "vin": BAD_CHECK_DIGIT_VIN})
    assert bad.status_code == 422 and f"{BAD_CHECK_DIGIT_VIN} fails the VIN check digit" in bad.get_data(as_text=True)
    short = client.post(f"{base}/allocate/factory", data={"csrf_token": token, "vin": "KMHL341D4PA00001"})
    assert short.status_code == 422 and "a VIN has 17 characters, this has 16" in short.get_data(as_text=True)
    past = client.post(f"{base}/allocate/factory", data={"csrf_token": token, "vin": FACTORY_VIN, "arrival_date": "2020-01-01"})
    assert past.status_code == 422 and "cannot be in the past" in past.get_data(as_text=True)
    assert _state(app, world, ids["deal"]) == {"stock": None, "vin": None, "events": []}

    ok = client.post(f"{base}/allocate/factory", data={"csrf_token": token, "vin": FACTORY_VIN.lower(), "arrival_date": "2099-08-03"},
                     headers={"HX-Request": "true"})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"].endswith(f"/deals/{ids['deal']}")
    assert _state(app, world, ids["deal"]) == {"stock": None, "vin": FACTORY_VIN, "events": [f"{FACTORY_VIN} · 2099-08-03"]}
    page = client.get(base).get_data(as_text=True)
    assert "Factory order" in page and FACTORY_VIN in page


def test_other_consultant_cannot_allocate(app, client, login, world):
    ids = _setup(app, world)
    with app.app_context(), scoped(dealer_id=world.ids["a1"]):
        db.session.get(Deal, ids["deal"]).consultant_id = world.ids["user_principal_a1"]
        db.session.commit()
    login(world.emails["consultant_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{ids['deal']}"
    token = csrf_token(client, base)
    assert client.post(f"{base}/allocate/factory", data={"csrf_token": token, "vin": FACTORY_VIN}).status_code == 403
    assert client.post(f"{base}/allocate/stock", data={"csrf_token": token, "vehicle_id": ids["car"]}).status_code == 403
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="vehicle-not-allocated"' in page and "Allocate the factory VIN" not in page
    assert _state(app, world, ids["deal"]) == {"stock": None, "vin": None, "events": []}


def test_refusals_are_worded_in_the_users_language(app, client, login, world):
    from app.tenancy import all_tenants

    ids = _setup(app, world)
    with app.app_context(), all_tenants():
        db.session.get(User, world.ids["user_principal_a1"]).preferred_locale = "ko"
        db.session.commit()
    login(world.emails["principal_a1"])
    base = f"/d/{world.slugs['a1']}/deals/{ids['deal']}"
    token = csrf_token(client, base)
    page = client.get(base).get_data(as_text=True)
    assert "이 주문에 아직 배정된 차량이 없습니다." in page
    bad = client.post(f"{base}/allocate/factory", data={"csrf_token": token, "vin": BAD_CHECK_DIGIT_VIN})
    assert bad.status_code == 422 and f"{BAD_CHECK_DIGIT_VIN}의 VIN 검사 숫자(9번째 자리)가 맞지 않습니다" in bad.get_data(as_text=True)
    refused = client.post(f"{base}/contract", data={"csrf_token": token}, follow_redirects=True)
    assert "먼저 이 거래에 차량을 배정하세요" in refused.get_data(as_text=True)
