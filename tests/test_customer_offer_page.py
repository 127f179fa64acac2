"""The customer's offer page and PDF as the customer sees them (issue 11, item 12): the dealer's and the brand's
identity (never the portal's name or the dealer's business model), the car's photo and key facts, clean names."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.customers import Customer
from app.models.inventory import VehiclePhoto
from app.services import offers as svc
from app.services.storage import get_storage
from app.tenancy import scoped
from tests import offer_factories
from tests.inventory.factories import vehicle

RAW_TRIM = "Limited|NAVI|LEATHER|ROOF|EXT. WARR|AWD"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 90, 140)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def stock_offer(app, world):
    """A sent offer of dealer A1 for a Kijiji-imported stock car with a stored cover photo; returns ids and tokens."""
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        dealer = db.session.get(Dealer, world.ids["a1"])
        car = vehicle(dealer.id, trim=RAW_TRIM, currency="KRW", exterior_color="Grey", odometer=84000,
                      image_url="https://example.invalid/listing.jpg")
        key = get_storage(app.config).save(_png(), area="vehicles", extension="png")
        db.session.add(VehiclePhoto(dealer_id=dealer.id, vehicle_id=car.id, position=1, storage_key=key,
                                    content_type="image/png", width=320, height=240, sha256="1" * 64))
        customer = Customer(dealer_id=dealer.id, full_name="Kim Minjun", email="minjun@example.com", preferred_locale="en",
                            phone_e164="+821043218765")
        db.session.add(customer)
        db.session.flush()
        consultant = db.session.get(User, world.ids["user_consultant_a1"])
        result, approval = offer_factories.priced("300000", dealer.id)
        snapshot_vehicle = {"source": "stock", "label": car.title, "stock_id": car.id, "stock_number": car.stock_number,
                            "vin": "", "model": car.model, "model_year": car.model_year, "make": car.make, "trim": car.trim,
                            "exterior": car.exterior_color, "odometer": car.odometer, "odometer_unit": "km",
                            "image_url": car.image_url}
        offer = svc.create_offer(
            db.session, dealer=dealer, customer=customer, consultant=consultant, inputs={}, priced=result,
            approval=approval, vehicle=snapshot_vehicle, texts={}, valid_until=date(2099, 12, 31), locale="en",
            now=offer_factories.NOW)
        draft = svc.create_offer(
            db.session, dealer=dealer, customer=customer, consultant=consultant, inputs={}, priced=result,
            approval=approval, vehicle=snapshot_vehicle, texts={}, valid_until=date(2099, 12, 31), locale="en",
            now=offer_factories.NOW)
        svc.send_offer(db.session, offer, actor=consultant, now=offer_factories.NOW)
        db.session.commit()
        secret = app.config["SECRET_KEY"]
        return {"token": svc.make_link_token(offer, secret), "draft_token": svc.make_link_token(draft, secret),
                "offer_id": offer.id}


def test_the_page_shows_the_dealer_and_the_brand_not_the_portal_or_the_business_model(client, stock_offer):
    page = client.get(f"/o/{stock_offer['token']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Dealer A1" in html and "Brand A" in html  # the dealer's and the brand's names on top
    assert "Forecourt" not in html  # no portal branding, in the title either
    assert ">E2E<" not in html and "E2E" not in html.split("<body", 1)[1]


def test_the_car_is_named_cleanly_with_its_photo_and_mileage(client, stock_offer):
    html = client.get(f"/o/{stock_offer['token']}").get_data(as_text=True)
    assert "<h1>2019 Hyundai Tucson Limited</h1>" in html
    assert "NAVI" not in html and "|" not in html.split('<article class="customer-offer">', 1)[1].split("</header>", 1)[0]
    assert f'src="/o/{stock_offer["token"]}/photo"' in html  # the stored photo, not the listing's remote address
    assert "84,000 km" in html
    assert "Manual discount" not in html and "Additional discount" in html
    photo = client.get(f"/o/{stock_offer['token']}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/png" and photo.data == _png()
    assert photo.headers["X-Content-Type-Options"] == "nosniff"


def test_a_draft_offer_shows_no_photo(client, stock_offer):
    assert client.get(f"/o/{stock_offer['draft_token']}/photo").status_code == 404
    assert client.get("/o/not-a-token/photo").status_code == 404


def test_the_pdf_prints_the_photo_and_the_clean_name(client, stock_offer):
    response = client.get(f"/o/{stock_offer['token']}/pdf")
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "2019 Hyundai Tucson Limited" in text and "NAVI" not in text and "84,000 km" in text
    assert "010-4321-8765" in text and "+821043218765" not in text  # the customer's phone as the dealer's country writes it
    images = sum(len(page.images) for page in reader.pages)
    assert images == 2  # the car's photo and the QR code of the link


def test_the_staff_offer_page_names_the_car_cleanly_too(client, login, world, stock_offer):
    login(world.emails["consultant_a1"])
    html = client.get(f"/d/{world.slugs['a1']}/offers/{stock_offer['offer_id']}").get_data(as_text=True)
    assert "2019 Hyundai Tucson Limited" in html and "NAVI" not in html and "LEATHER" not in html
