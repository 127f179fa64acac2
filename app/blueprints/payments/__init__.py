"""Public payment pages: the online reservation page of a stock car, the test provider's hosted checkout,
and the providers' webhook endpoint. No sign-in; each view resolves its dealer itself."""

from flask import Blueprint

bp = Blueprint("payments", __name__, cli_group="payments")

from app.blueprints.payments import cli, routes  # noqa: E402,F401
