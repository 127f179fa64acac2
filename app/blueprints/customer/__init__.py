"""The customer's side of an offer, reached through a signed, expiring, revocable link (no sign-in)."""

from flask import Blueprint

bp = Blueprint("customer", __name__, url_prefix="/o")

from app.blueprints.customer import routes  # noqa: E402,F401
