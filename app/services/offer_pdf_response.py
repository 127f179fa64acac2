"""Render an offer's PDF in the offer's language as a Flask response (shared by dealer and customer views)."""

from __future__ import annotations

from flask import Response
from flask_babel import force_locale, gettext

from app.documents.offer_pdf import render_offer_pdf
from app.models.accounts import Dealer
from app.models.offers import Offer
from app.services.offers import offer_document


def pdf_response(offer: Offer, dealer: Dealer, link: str, *, download: bool = False) -> Response:
    """Return ``application/pdf`` for the offer's current revision, labels translated into ``offer.locale``."""
    with force_locale(offer.locale):
        data = render_offer_pdf(offer_document(offer, dealer, link=link, gettext=gettext))
    filename = f"{offer.number}-v{offer.current_revision_no}.pdf"
    disposition = "attachment" if download else "inline"
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})
