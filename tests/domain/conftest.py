"""Domain tests are pure: no application, no database."""

import pytest


@pytest.fixture(autouse=True)
def db():
    """Override the database fixture: domain rules need no app."""
    yield None
