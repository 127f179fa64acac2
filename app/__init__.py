"""Forecourt application factory."""

from __future__ import annotations

import os

from flask import Flask

from config import CONFIGS, INSTANCE_DIR


class ConfigurationError(RuntimeError):
    """The production configuration is missing a required setting."""


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Create the Flask app: configure, init extensions, tenancy, blueprints, errors, CLI — nothing else.

    ``config_name`` is ``development`` (default, or ``FORECOURT_CONFIG``), ``testing`` or
    ``production``; ``overrides`` (tests) update the config last. Production refuses to start
    without ``SECRET_KEY``, ``DATABASE_URL`` and ``EXTERNAL_BASE_URL`` in the environment. With
    ``TRUSTED_PROXY_COUNT`` > 0 the WSGI app is wrapped in werkzeug's ``ProxyFix``.
    """
    name = config_name or os.environ.get("FORECOURT_CONFIG", "development")
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(CONFIGS[name])
    if overrides:
        app.config.update(overrides)
    if name == "production":
        for key in ("SECRET_KEY", "DATABASE_URL", "EXTERNAL_BASE_URL"):
            if not os.environ.get(key):
                raise ConfigurationError(f"{key} must be set in production")

    from app import access, cli, database, errors, i18n, input, rls, security
    from app.extensions import csrf, db, htmx, limiter, login_manager, migrate
    from app.tenancy import install_listeners

    database.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    input.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    install_listeners()
    rls.install()
    i18n.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    security.trust_proxies(app)

    from app.blueprints.api import bp as api_bp
    from app.blueprints.auth import bp as auth_bp
    from app.blueprints.corporate import bp as corporate_bp
    from app.blueprints.customer import bp as customer_bp
    from app.blueprints.dealer import bp as dealer_bp
    from app.blueprints.deals import bp as deals_bp
    from app.blueprints.inventory import bp as inventory_bp
    from app.blueprints.notifications import bp as notifications_bp
    from app.blueprints.offers import bp as offers_bp
    from app.blueprints.payments import bp as payments_bp
    from app.blueprints.platform import bp as platform_bp
    from app.blueprints.purchase import bp as purchase_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(platform_bp)
    app.register_blueprint(corporate_bp)
    app.register_blueprint(dealer_bp)
    app.register_blueprint(offers_bp)
    app.register_blueprint(deals_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(purchase_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(customer_bp)
    app.register_blueprint(inventory_bp)
    app.register_blueprint(api_bp)

    cli.init_app(app)
    return app
