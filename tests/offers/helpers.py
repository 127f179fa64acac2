"""Helpers of the offer builder tests: dealer settings, a small published catalog, builder posts."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from pypdf import PdfReader

from app.extensions import db
from app.models.accounts import Dealer
from app.models.dealer_settings import ConsultantProfile
from app.services import catalog as catalog_service
from app.services import dealer_settings
from app.tenancy import scoped
from tests.conftest import csrf_token
from tests.corporate import factories as cf

D = Decimal
KEY_RE = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')


def settings(dealer: Dealer, *, fees, taxes, authority: tuple[Decimal | None, Decimal | None] = (None, None),
             consultant_ids=(), threshold_amount: Decimal | None = None) -> None:
    """Store the dealer's fee/tax table, consultants' authority and approval threshold (commit is the caller's)."""
    with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
        dealer_settings.replace_fee_tax_table(db.session, dealer, fees, taxes)
        for user_id in consultant_ids:
            db.session.add(ConsultantProfile(dealer_id=dealer.id, user_id=user_id, discount_max_amount=authority[0],
                                             discount_max_percent=authority[1]))
        if threshold_amount is not None:
            dealer_settings.save_approval_settings(db.session, dealer, threshold_amount=threshold_amount,
                                                   threshold_percent=None, minimum_gross=None,
                                                   approver_roles=["dealer_principal", "sales_manager"])
        db.session.flush()


def publish_catalog(brand_id: int, *, model_code: str, model_name: str, trim_code: str, trim_name: str, msrp: Decimal,
                    exterior: list[tuple[str, str, Decimal]], interior: list[tuple[str, str, Decimal]],
                    options: list[tuple[str, str, Decimal, list[str]]] = (), accessories=()) -> int:
    """Create a one-model catalog for ``brand_id`` and publish it; return the release id.

    ``options``: (code, name, price, excludes codes); ``accessories``: (part number, name, price).
    """
    from app.models.catalog import Accessory

    with scoped(brand_id=brand_id):
        model = cf.model(brand_id, code=model_code, name=model_name)
        trim = cf.trim(brand_id, code=trim_code, name=trim_name, model=model, msrp=msrp)
        for kind, colours in (("exterior", exterior), ("interior", interior)):
            for code, name, surcharge in colours:
                cf.offer_color(trim, cf.color(brand_id, kind=kind, code=code, name=name), surcharge)
        rows = {}
        for code, name, price, _excludes in options:
            rows[code] = cf.option(brand_id, code=code, name=name, price=price)
        for code, _name, _price, excludes in options:
            rows[code].excludes = [rows[x] for x in excludes]
        for part, name, price in accessories:
            db.session.add(Accessory(brand_id=brand_id, part_number=part, name=name, price=price))
        db.session.flush()
        release = catalog_service.publish_catalog(db.session, user_id=None)
        return release.id


def open_builder(client, slug: str, path: str = "new") -> tuple[str, str]:
    """GET the builder; return (csrf token, idempotency key)."""
    url = f"/d/{slug}/offers/{path}"
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    match = KEY_RE.search(html)
    return csrf_token(client, url), (match.group(1) if match else "")


def post(client, slug: str, endpoint: str, data: dict, *, htmx: bool = True):
    """POST builder form ``data`` to ``/d/<slug>/offers/<endpoint>`` (as htmx unless told otherwise)."""
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/d/{slug}/offers/{endpoint}", data=data, headers=headers)


def pdf_text(data: bytes) -> str:
    """Return the extracted text of every page of a PDF."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
