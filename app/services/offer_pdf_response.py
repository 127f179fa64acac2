"""Render an offer's PDF in the offer's language as a Flask response (shared by dealer and customer views)."""

from __future__ import annotations

from flask import Response

from app.models.accounts import Dealer
from app.models.offers import Offer
from app.services.offers import render_pdf


def pdf_response(offer: Offer, dealer: Dealer, link: str, *, download: bool = False) -> Response:
    """Return ``application/pdf`` for the offer's current revision, labels translated into ``offer.locale``."""
    filename, data = render_pdf(offer, dealer, link)
    disposition = "attachment" if download else "inline"
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})
