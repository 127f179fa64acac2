"""Render an offer's PDF in the offer's language as a Flask response (shared by dealer and customer views)."""

from __future__ import annotations

from flask import Response, current_app
from flask_babel import force_locale, gettext

from app.documents.offer_pdf import render_offer_pdf
from app.extensions import db
from app.models.accounts import Dealer
from app.models.offers import Offer
from app.services.offers import current_revision, offer_document
from app.services.storage import get_storage
from app.services.vehicle_photos import PDF_TYPES, offer_photo


def pdf_response(offer: Offer, dealer: Dealer, link: str, *, download: bool = False) -> Response:
    """Return ``application/pdf`` for the offer's current revision, labels translated into ``offer.locale``.

    The car's stored photo (``services.vehicle_photos``) is printed beside its name when it is a JPEG or PNG.
    """
    photo = offer_photo(db.session, current_revision(offer).snapshot.get("vehicle"), get_storage(current_app.config))
    image = photo.data if photo is not None and photo.content_type in PDF_TYPES else None
    with force_locale(offer.locale):
        data = render_offer_pdf(offer_document(offer, dealer, link=link, gettext=gettext, vehicle_image=image))
    filename = f"{offer.number}-v{offer.current_revision_no}.pdf"
    disposition = "attachment" if download else "inline"
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})
