"""Helpers for contract tests: a reserved E2E deal ready for its contract, and a fact provider for finance."""

from __future__ import annotations

import io
from contextlib import contextmanager

from pypdf import PdfReader

from app.domain.deal_states import DealAction
from app.extensions import db
from app.models.deals import Deal
from app.services import deals as deal_service
from tests import deal_factories
from tests.offer_factories import NOW


def reserved_deal(setup, *, deposit: str = "500000") -> Deal:
    """Return a deal of ``setup`` (``DealSetup``) on a stock car, deposit paid and reserved."""
    deal_factories.reservation_settings(deposit)
    car = deal_factories.stock_vehicle(setup.dealer)
    deal = deal_factories.deal(setup.dealer, setup.customer, setup.consultant, vehicle=car)
    deal.deposit_paid = deal.deposit_amount
    deal_service.advance(db.session, deal, DealAction.RESERVE, dealer=setup.dealer, now=NOW)
    return deal


@contextmanager
def finance_status(approved: bool):
    """Register a fact provider saying the finance application is submitted and (not) approved, for the block."""

    def provider(session, deal):
        return {"finance_submitted": True, "finance_approved": approved}

    deal_service.FACT_PROVIDERS.append(provider)
    try:
        yield
    finally:
        deal_service.FACT_PROVIDERS.remove(provider)


def pdf_text(pdf: bytes) -> str:
    """Return the text of every page of ``pdf``."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)
