"""Sign-in, sign-out, password reset, workspace choice and language switch."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.blueprints.auth import routes  # noqa: E402,F401  (routes register on bp)
