"""The customer's purchase page of a deal, reached through a signed, revocable link (no sign-in)."""

from flask import Blueprint

bp = Blueprint("purchase", __name__, url_prefix="/p")

from app.blueprints.purchase import changes, contract, delivery, finance, payments, routes, tradein  # noqa: E402,F401
