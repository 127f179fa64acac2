"""Brands (corporate organisations), dealers (the tenants), users, their memberships and sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Numeric, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.roles import BusinessModel, Role
from app.models.base import Base, TimestampMixin, enum_values, utcnow
from app.tenancy import BrandScoped


class Brand(TimestampMixin, Base):
    """A brand organisation: a national distributor such as a brand's Korean or Thai company."""

    __tablename__ = "brand"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    default_locale: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name

    dealers: Mapped[list[Dealer]] = relationship(back_populates="brand", order_by="Dealer.name")


class Dealer(BrandScoped, TimestampMixin, Base):
    """A dealership: the tenant. Every dealer-owned row carries its ``dealer_id``."""

    __tablename__ = "dealer"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    locale: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    business_model: Mapped[BusinessModel] = mapped_column(
        Enum(BusinessModel, native_enum=False, length=3, validate_strings=True, values_callable=enum_values)
    )
    active: Mapped[bool] = mapped_column(default=True)

    brand: Mapped[Brand] = relationship(back_populates="dealers")

    @property
    def address_lines(self) -> list[str]:
        """Return the postal address as display lines, skipping empty parts."""
        city_line = " ".join(p for p in (self.postal_code, self.city, self.region) if p)
        return [line for line in (self.street, city_line) if line]


class User(UserMixin, TimestampMixin, Base):
    """A person who signs in: corporate staff, dealer staff or a platform admin.

    ``email`` is stored lower-cased, so uniqueness is case-insensitive. Passwords are hashed
    with Werkzeug's current default (scrypt).
    """

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    preferred_locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @staticmethod
    def normalize_email(email: str) -> str:
        """Return ``email`` trimmed and lower-cased (the stored form)."""
        return (email or "").strip().lower()

    def set_password(self, password: str) -> None:
        """Hash and store ``password``."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return True when ``password`` matches; False for users without a password yet."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot sign in
        return self.active

    # UserMixin compares users by get_id(), which is now a session secret: compare by primary key instead.
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    #: The sign-in session this object was loaded through (set by ``app.services.sessions``), not a column.
    login_session = None  # UserSession | None

    def get_id(self) -> str:
        """Return the secret of the current sign-in session (Flask-Login's alternative id), never the user id.

        Flask-Login stores this in the session cookie and the remember cookie; ``app.services.sessions``
        loads the user back by it, so a revoked session makes both cookies worthless. Raises
        ``RuntimeError`` when the user was not signed in through ``sessions.start``.
        """
        if self.login_session is None or not getattr(self.login_session, "secret", None):
            raise RuntimeError("User.get_id() needs a sign-in session: use app.services.sessions.start()")
        return self.login_session.secret


class Membership(TimestampMixin, Base):
    """A user's role in one brand (corporate roles), one dealer (dealer roles), or the platform.

    Exactly one of ``brand_id`` / ``dealer_id`` is set, except for ``platform_admin`` (neither).
    A ``pending`` membership is an invitation waiting for the person's acceptance; it is never active.
    """

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(
            "(role = 'platform_admin' AND brand_id IS NULL AND dealer_id IS NULL)"
            " OR (role IN ('corporate_admin', 'corporate_marketer') AND brand_id IS NOT NULL AND dealer_id IS NULL)"
            " OR (role IN ('dealer_principal', 'sales_manager', 'sales_consultant')"
            " AND dealer_id IS NOT NULL AND brand_id IS NULL)",
            name="scope_matches_role",
        ),
        Index("uq_membership_user_dealer", "user_id", "dealer_id", unique=True),
        Index("uq_membership_user_brand", "user_id", "brand_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32, validate_strings=True, values_callable=enum_values))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id", ondelete="CASCADE"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: An invitation not accepted yet (``app.services.invitations``): inactive until the person accepts.
    pending: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="memberships")
    brand: Mapped[Brand | None] = relationship()
    dealer: Mapped[Dealer | None] = relationship()


class UserSession(Base):
    """One sign-in of one user on one browser, checked on every request (``app.services.sessions``).

    The browser holds a random secret (in the signed session cookie and, with "keep me signed in", the
    remember cookie); the table keeps only its SHA-256 (``token_hash``), so a copy of the database does not
    sign anyone in. A session is valid while ``revoked_at`` is empty and ``expires_at`` is in the future.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the browser's secret
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))  # logout, password, deactivated, …

    user: Mapped[User] = relationship()

    #: The plain secret, known only in the request that created the session (never stored).
    secret = None  # str | None


class LoginThrottle(Base):
    """Failed sign-ins of one e-mail address, for the growing per-account delay (``app.services.sessions``).

    Keyed by the SHA-256 of the normalised address, whether or not an account has it, so the throttle
    neither stores typed addresses nor tells which ones exist.
    """

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
