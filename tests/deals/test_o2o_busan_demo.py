"""Issue #7 "Done when": an O2O deal on the Busan demo dealer reaches reservation online and is completed offline.

The customer reserves a Busan showroom car on its public page, pays the deposit on the test provider's hosted
checkout (the signed webhook is delivered right after the payment), and the car is held. The rest happens in the
showroom and is recorded on the deal by the principal: contract, delivery date, handover with the balance paid.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.domain.deal_states import DealState
from app.extensions import db
from app.models.accounts import Dealer
from app.models.deals import Deal
from app.models.inventory import StockVehicle, VehicleStatus
from app.models.payments import Payment, PaymentStatus
from app.services.payments.test_provider import SUCCESS_CARD
from app.tenancy import all_tenants, scoped
from tests.conftest import csrf_token


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_busan_o2o_deal_reserved_online_then_completed_offline(app, client, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context(), all_tenants():
        busan = db.session.scalar(select(Dealer).where(Dealer.slug == "busan-haeundae"))
        car = db.session.scalar(select(StockVehicle).where(StockVehicle.dealer_id == busan.id,
                                                           StockVehicle.status == VehicleStatus.IN_STOCK,
                                                           StockVehicle.price.is_not(None)).order_by(StockVehicle.id))
        busan_id, car_id, price = busan.id, car.id, car.price
    assert busan.business_model.value == "O2O"

    # Online: the public reservation page → the test checkout → back to the purchase page.
    page = client.get(f"/r/busan-haeundae/{car_id}")
    assert page.status_code == 200
    missing = client.post(f"/r/busan-haeundae/{car_id}", data={"csrf_token": _token(page.get_data(as_text=True))})
    assert missing.status_code == 422  # no name, no e-mail, terms not accepted: nothing saved
    with app.app_context(), scoped(dealer_id=busan_id):
        assert db.session.scalar(select(Deal)) is None
    reserved = client.post(f"/r/busan-haeundae/{car_id}", data={
        "csrf_token": _token(page.get_data(as_text=True)), "full_name": "박서연", "email": "seoyeon@example.com",
        "phone": "010-2345-6789", "terms": "y"})
    assert reserved.status_code == 302 and "/pay/test/" in reserved.headers["Location"]
    checkout = client.get(reserved.headers["Location"])
    paid = client.post(reserved.headers["Location"], data={"csrf_token": _token(checkout.get_data(as_text=True)),
                                                           "card_number": SUCCESS_CARD})
    assert paid.status_code == 302 and "/p/" in paid.headers["Location"]
    with app.app_context(), scoped(dealer_id=busan_id):
        deal = db.session.scalar(select(Deal))
        payment = db.session.scalar(select(Payment).where(Payment.deal_id == deal.id))
        assert deal.business_model == "O2O" and deal.state is DealState.RESERVED
        assert payment.status is PaymentStatus.SUCCEEDED and deal.deposit_paid == payment.amount > 0
        assert db.session.get(StockVehicle, car_id).status is VehicleStatus.RESERVED
        deal_id, deposit = deal.id, deal.deposit_paid
    assert "박서연" in client.get(paid.headers["Location"]).get_data(as_text=True)

    # Offline: the principal records what the showroom did, with who and when.
    login = client.get("/login")
    client.post("/login", data={"email": "principal.busan@forecourt.example", "password": "forecourt-demo",
                                "csrf_token": _token(login.get_data(as_text=True))})
    base = f"/d/busan-haeundae/deals/{deal_id}"
    token = csrf_token(client, base)
    when = (datetime.now(UTC) - timedelta(minutes=30)).astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%dT%H:%M")
    steps = [("contract", {}), ("schedule_delivery", {}), ("deliver", {"balance_paid": str(price - deposit)})]
    for action, extra in steps:
        response = client.post(f"{base}/offline", data={"csrf_token": token, "action": action, "performed_by": "윤서준",
                                                        "occurred_at": when, **extra})
        assert response.status_code == 302, (action, response.get_data(as_text=True)[:2000])
    with app.app_context(), scoped(dealer_id=busan_id):
        deal = db.session.get(Deal, deal_id)
        assert deal.state is DealState.DELIVERED
        assert db.session.get(StockVehicle, car_id).status is VehicleStatus.SOLD
        assert deal.deposit_paid + deal.balance_paid == deal.out_the_door_price == price
        offline = [e for e in deal.events if e.channel == "offline"]
        assert [e.kind for e in offline] == ["contract", "schedule_delivery", "deliver"]
        assert all(e.performed_by == "윤서준" for e in offline)
    # The contract, delivery and finance menus do not exist for an O2O dealer.
    for path in ("contracts", "deliveries", "finance-applications", "trade-ins/"):
        assert client.get(f"/d/busan-haeundae/deals/{path}").status_code == 404
