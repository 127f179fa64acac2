"""Payment-scenario labels are stored without a language and worded in the offer's language when shown.

A consultant working in English builds an offer for a Thai customer: the customer page and the PDF
say "Cash", "Finance 48 months", "Lease 36 months" as gettext words them in Thai (compared with
``force_locale("th")``, so the test holds whatever the Thai catalog says today).
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.domain.pricing.labels import CASH_LABEL, FINANCE_LABEL, LEASE_LABEL
from app.extensions import db
from app.models.accounts import Dealer, User
from app.models.offers import Offer
from app.services import dealer_settings as ds
from app.services import offers as offer_service
from app.tenancy import all_tenants, scoped
from tests.conftest import csrf_token
from tests.corporate import factories as cf
from tests.offers.helpers import open_builder, pdf_text, post, publish_catalog, settings

D = Decimal


def _words(app, locale: str) -> list[str]:
    with app.test_request_context(), force_locale(locale):
        return [gettext("Cash"), gettext("Finance %(n)s months") % {"n": 48}, gettext("Lease %(n)s months") % {"n": 36}]


def test_thai_offer_by_english_consultant_shows_thai_payment_labels(app, client, login, world):
    with app.app_context(), all_tenants():
        dealer = db.session.get(Dealer, world.ids["b1"])
        db.session.get(User, world.ids["user_consultant_b1"]).preferred_locale = "en"  # English UI
        settings(dealer, fees=[], taxes=[ds.TaxInput("VAT", "VAT 7%", D(7), ("vehicle",), True, False)],
                 consultant_ids=[world.ids["user_consultant_b1"]])
        publish_catalog(world.ids["brand_b"], model_code="CRETA", model_name="Creta", trim_code="CRETA-SEL",
                        trim_name="1.5 SEL", msrp=D("899000.00"), exterior=[("WAW", "Atlas White", D(0))],
                        interior=[("BLK", "Black", D(0))])
        customer = cf.customer(world.ids["b1"], full_name="สมชาย ใจดี", preferred_locale="th", phone_e164="+66812345670")
        db.session.commit()
        customer_id = customer.id
    slug = world.slugs["b1"]
    login(world.emails["consultant_b1"])
    csrf, key = open_builder(client, slug)
    form = {"csrf_token": csrf, "idempotency_key": key, "customer_id": customer_id, "source": "catalog",
            "model_code": "CRETA", "trim_code": "CRETA-SEL", "exterior_code": "WAW", "interior_code": "BLK",
            "finance_enabled": "y", "finance_apr": "5.5", "finance_term": "48", "finance_down": "200000.00",
            "lease_enabled": "y", "lease_apr": "4.9", "lease_term": "36", "lease_residual": "50"}
    english = _words(app, "en")
    panel = post(client, slug, "reprice", form).get_data(as_text=True)
    assert all(word in panel for word in english[1:])  # the consultant's own screen stays in English (no cash row)
    assert post(client, slug, "new", form).status_code == 204

    with app.app_context(), scoped(dealer_id=world.ids["b1"], brand_id=world.ids["brand_b"]):
        offer = db.session.scalar(select(Offer).order_by(Offer.id.desc()))
        assert offer.locale == "th"
        payments = offer_service.current_revision(offer).snapshot["priced"]["payments"]
        token = offer_service.make_link_token(offer, app.config["SECRET_KEY"])
        offer_id = offer.id
    # The snapshot carries codes and parameters, not the consultant's words.
    assert [(p["label_code"], p["label_params"]) for p in payments] == [
        (CASH_LABEL, {}), (FINANCE_LABEL, {"months": 48}), (LEASE_LABEL, {"months": 36})]
    send = client.post(f"/d/{slug}/offers/{offer_id}/send",
                       data={"csrf_token": csrf_token(client, f"/d/{slug}/offers/{offer_id}"), "revision_no": 1})
    assert send.status_code in (200, 302, 303)

    thai = _words(app, "th")
    untranslated = [en for en, th in zip(english, thai, strict=True) if en == th]
    dealer_pdf = pdf_text(client.get(f"/d/{slug}/offers/{offer_id}/pdf").data)
    customer = app.test_client()  # the customer, not signed in
    page = customer.get(f"/o/{token}").get_data(as_text=True)
    customer_pdf = pdf_text(customer.get(f"/o/{token}/pdf").data)
    for text in (dealer_pdf, customer_pdf, page):
        for word in thai:
            assert word in text
        for word in english:
            if word not in untranslated:
                assert word not in text  # nothing left in the consultant's language
