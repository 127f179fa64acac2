"""Offer builder test fixtures."""

import pytest

from app.services import offer_builder


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """Each test rolls its catalog releases back, so SQLite may hand the same id out again: start cold."""
    offer_builder.clear_catalog_cache()
    yield
    offer_builder.clear_catalog_cache()
