"""Document tests build PDFs from plain data: no application, no database."""

import pytest


@pytest.fixture(autouse=True)
def db():
    """Override the database fixture: fonts and PDF builders need no app."""
    yield None
