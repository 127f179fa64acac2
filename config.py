"""Configuration classes; every setting comes from an environment variable.

``create_app(config_name)`` picks one of ``development``, ``testing``, ``production``
(default: ``FORECOURT_CONFIG`` or ``development``).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def trusted_hosts(environ) -> list[str]:
    """Return the host names production answers to: ``TRUSTED_HOSTS`` (comma-separated), else ``EXTERNAL_BASE_URL``'s.

    ``environ`` is a mapping like ``os.environ``; an empty result is impossible (``localhost`` at worst),
    so a mistyped setting refuses every request instead of trusting every Host.
    """
    listed = [h.strip().lower() for h in environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    return listed or [urlsplit(environ.get("EXTERNAL_BASE_URL", "")).hostname or "localhost"]


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'forecourt.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # PostgreSQL: the application connects (DATABASE_URL) as a role that neither owns the tables nor is a
    # superuser, so row-level security applies to it; migrations run as the tables' owner. Empty: the
    # application's URL is used for migrations too (SQLite, development).
    MIGRATION_DATABASE_URI = os.environ.get("MIGRATION_DATABASE_URL", "")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Flask-Limiter: in-memory by default, Redis when REDIS_URL is set.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins per client address (Flask-Limiter; successes are not counted). The address is the
    # client's only behind ``TRUSTED_PROXY_COUNT`` proxies: see below.
    LOGIN_RATE_LIMIT_PER_IP = os.environ.get("LOGIN_RATE_LIMIT_PER_IP", "20 per minute")
    # Failed sign-ins per account (app.services.sessions): free failures, then a wait doubling from 1 s
    # up to LOGIN_THROTTLE_MAX_DELAY seconds; counts older than LOGIN_THROTTLE_RESET seconds are forgotten.
    LOGIN_THROTTLE_FREE_FAILURES = int(os.environ.get("LOGIN_THROTTLE_FREE_FAILURES", "5"))
    LOGIN_THROTTLE_MAX_DELAY = int(os.environ.get("LOGIN_THROTTLE_MAX_DELAY", "900"))
    LOGIN_THROTTLE_RESET = int(os.environ.get("LOGIN_THROTTLE_RESET", "86400"))
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (werkzeug ProxyFix);
    # 0 = none: the peer address is the client. Set it to exactly the number of proxies, never more,
    # or a client can pick its own address by sending the header.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")  # per API key

    # Mail: "outbox" stores messages in the database (development); "smtp" sends them.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "outbox")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Forecourt <no-reply@forecourt.local>")

    # The public address links in e-mails and QR codes are built on (``app.urls.external_url``), never
    # the request's Host header. Production refuses to start without it.
    EXTERNAL_BASE_URL = os.environ.get("EXTERNAL_BASE_URL", "http://127.0.0.1:5000")

    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))  # seconds
    # Server-side sign-in sessions (app.services.sessions): a remembered one lasts REMEMBER_COOKIE_DURATION,
    # any other one LOGIN_SESSION_HOURS after sign-in (a tablet left open all day keeps working).
    REMEMBER_COOKIE_DURATION = int(os.environ.get("REMEMBER_COOKIE_DAYS", "14")) * 86400
    LOGIN_SESSION_HOURS = int(os.environ.get("LOGIN_SESSION_HOURS", "24"))
    SESSION_PROTECTION = "strong"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # token valid for the session; a tablet left open all day keeps working

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ["en", "ko", "ru", "th", "zh_Hans"]

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Object storage shared by every web server and worker: STORAGE_BACKEND=s3 (app.services.storage).
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # empty for AWS; MinIO/Ceph/… otherwise
    S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")  # empty: boto3's own chain (env, profile, role)
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "25")) * 1024 * 1024
    # The inventory API takes JSON only: 4 MiB holds an upsert of 1,000 vehicles with room to spare.
    API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_KB", "4096")) * 1024
    # Fernet key for secrets stored in fields (payment-provider keys). Development and tests derive a
    # stable key from SECRET_KEY when unset (app.services.field_crypto); production requires it.
    FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
    REQUIRE_FIELD_ENCRYPTION_KEY = False
    # Reservation deposits (app.services.payments): provider when the dealer names none, minutes a
    # checkout may stay unanswered, webhook signature age limit (seconds), the built-in test provider.
    PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "test")
    PAYMENT_EXPIRY_MINUTES = int(os.environ.get("PAYMENT_EXPIRY_MINUTES", "30"))
    PAYMENT_WEBHOOK_TOLERANCE = int(os.environ.get("PAYMENT_WEBHOOK_TOLERANCE", "300"))
    PAYMENT_TEST_PROVIDER_ENABLED = _bool("PAYMENT_TEST_PROVIDER_ENABLED", True)
    PAYMENT_TEST_WEBHOOK_SECRET = os.environ.get("PAYMENT_TEST_WEBHOOK_SECRET", "")
    PAYMENT_TEST_AUTODELIVER = _bool("PAYMENT_TEST_AUTODELIVER", True)
    # The privacy notice customers accept when staff create them on the spot (the offer builder's quick form);
    # stored on the customer with the time and who recorded it. Change it when the notice's text changes.
    PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-01")
    # Seconds an invitation link (dealer principal, dealer staff) stays valid; CONSULTANT_INVITATION_MAX_AGE is
    # the older name of the same setting.
    INVITATION_MAX_AGE = int(os.environ.get("INVITATION_MAX_AGE") or os.environ.get("CONSULTANT_INVITATION_MAX_AGE")
                             or str(7 * 86400))


class DevelopmentConfig(Config):
    """Local development: SQLite under instance/, outbox mail."""

    DEBUG = False


class TestingConfig(Config):
    """Test suite: ``TEST_DATABASE_URL`` (PostgreSQL in CI) or a temporary SQLite file set by the fixtures."""

    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105 - test only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "outbox"
    SESSION_PROTECTION = "basic"
    EXTERNAL_BASE_URL = "http://localhost"


class ProductionConfig(Config):
    """Production: PostgreSQL, Redis, SMTP; refuses to start without a real SECRET_KEY and DATABASE_URL."""

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    REQUIRE_FIELD_ENCRYPTION_KEY = True
    PAYMENT_TEST_PROVIDER_ENABLED = _bool("PAYMENT_TEST_PROVIDER_ENABLED", False)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    #: Host names the portal answers to (Flask refuses any other ``Host`` with 400): ``TRUSTED_HOSTS``
    #: (comma-separated), else the host of ``EXTERNAL_BASE_URL``.
    TRUSTED_HOSTS = trusted_hosts(os.environ)
    #: Strict-Transport-Security on every response (the portal is only served over TLS in production).
    HSTS_ENABLED = True

CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
