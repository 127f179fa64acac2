"""Who the user is and where they are: sign-in wiring, tenant resolution, permission checks.

A dealer page's tenant is resolved once per request from ``/d/<dealer_slug>/`` and the
user's memberships; a corporate page's brand from ``/c/<brand_slug>/``. A user without a
membership there gets **404** (not 403), so slugs and ids of other tenants do not leak.
A member lacking a permission gets **403** with a clear page. A menu that the dealer's
business model does not offer answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from app.domain.roles import (
    CORPORATE_ROLES,
    DEALER_ROLES,
    Permission,
    Role,
    has_permission,
    menu_available,
    visible_menus,
)
from app.extensions import db, htmx, login_manager
from app.models.accounts import Brand, Dealer, Membership, User
from app.services import sessions
from app.services.audit import Actor, reset_actor, set_actor
from app.tenancy import TenantScope, all_tenants, reset_scope, set_scope


def _load_user(session_secret: str) -> User | None:
    # Flask-Login's id is the sign-in session's secret (User.get_id), checked against its row every request.
    return sessions.load(db.session, session_secret, sessions.current_time())


def _unauthorized():
    login_url = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if htmx:
        # htmx ignores redirects' targets; tell it to navigate instead of swapping the login page into a cell.
        return "", 204, {"HX-Redirect": login_url}
    return redirect(login_url)


def _enter_scope(scope: TenantScope) -> None:
    g._tenant_token = set_scope(scope)


def _leave_scope(exc=None) -> None:
    token = g.pop("_tenant_token", None)
    if token is not None:
        reset_scope(token)
    actor_token = g.pop("_actor_token", None)
    if actor_token is not None:
        reset_actor(actor_token)


def _set_actor() -> None:
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    g._actor_token = set_actor(Actor(user_id=user_id, ip_address=(request.remote_addr or "")[:45]))


def resolve_dealer(slug: str) -> None:
    """Make the dealer with ``slug`` the tenant of this request, or abort 404 for non-members."""
    with all_tenants():
        # Every dealer request reads these: the dealer, its brand and the user's membership there come
        # in ONE statement (a membership is unique per user and dealer).
        row = db.session.execute(
            select(Dealer, Membership)
            .options(joinedload(Dealer.brand))
            .join(
                Membership,
                and_(
                    Membership.dealer_id == Dealer.id,
                    Membership.user_id == current_user.id,
                    Membership.active.is_(True),
                    Membership.role.in_(list(DEALER_ROLES)),
                ),
            )
            .where(Dealer.slug == slug, Dealer.active.is_(True))
        ).first()
        if row is None:
            abort(404)
        dealer, membership = row
        brand = dealer.brand
    g.dealer, g.brand, g.membership, g.role = dealer, brand, membership, membership.role
    _enter_scope(TenantScope(dealer_id=dealer.id, brand_id=dealer.brand_id))


def resolve_brand(slug: str) -> None:
    """Make the brand with ``slug`` the scope of this corporate request, or abort 404 for non-members."""
    with all_tenants():
        brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
        membership = None
        if brand is not None:
            membership = db.session.scalar(
                select(Membership).where(
                    Membership.user_id == current_user.id,
                    Membership.brand_id == brand.id,
                    Membership.active.is_(True),
                    Membership.role.in_(list(CORPORATE_ROLES)),
                )
            )
        if membership is None:
            abort(404)
    g.brand, g.membership, g.role = brand, membership, membership.role
    _enter_scope(TenantScope(brand_id=brand.id))


def is_platform_admin(user) -> bool:
    """Return True when ``user`` holds an active platform_admin membership."""
    if not user or not user.is_authenticated:
        return False
    return any(m.active and m.role is Role.PLATFORM_ADMIN for m in user.memberships)


def tenant_blueprint(name: str, import_name: str, *, kind: str, url_prefix: str = "", **kwargs) -> Blueprint:
    """Create a blueprint whose every route is signed-in and tenant-scoped.

    ``kind="dealer"`` mounts it under ``/d/<dealer_slug>`` + ``url_prefix``; ``kind="brand"``
    under ``/c/<brand_slug>`` + ``url_prefix``. The slug is taken out of the view arguments
    and put back automatically by ``url_for`` inside the same tenant.
    """
    param = {"dealer": "dealer_slug", "brand": "brand_slug"}[kind]
    prefix = {"dealer": "/d/<dealer_slug>", "brand": "/c/<brand_slug>"}[kind] + url_prefix
    bp = Blueprint(name, import_name, url_prefix=prefix, **kwargs)

    @bp.url_value_preprocessor
    def _pull_slug(endpoint, values):
        g.tenant_slug = (values or {}).pop(param, None)

    @bp.url_defaults
    def _push_slug(endpoint, values):
        if param not in values and g.get(f"{kind}_slug_default"):
            values[param] = g.get(f"{kind}_slug_default")

    @bp.before_request
    def _resolve():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if kind == "dealer":
            resolve_dealer(g.tenant_slug)
            g.dealer_slug_default = g.dealer.slug
        else:
            resolve_brand(g.tenant_slug)
            g.brand_slug_default = g.brand.slug
        return None

    return bp


def require(permission: Permission) -> Callable:
    """Decorate a view so that members without ``permission`` get a 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not has_permission(g.get("role"), permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_menu(key: str) -> Callable:
    """Decorate a dealer view: 404 when the dealer's business model lacks menu ``key``, 403 without its permission."""
    from app.domain.roles import MENUS_BY_KEY

    menu = MENUS_BY_KEY[key]

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not menu_available(key, g.dealer.business_model):
                abort(404)
            if not has_permission(g.get("role"), menu.permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def navigation() -> list[dict]:
    """Return the dealer menus this user may see here, grouped, only for endpoints that exist."""
    dealer = g.get("dealer")
    if dealer is None or g.get("role") is None:
        return []
    endpoints = current_app.view_functions
    groups: dict[str, list] = {}
    for menu in visible_menus(g.role, dealer.business_model):
        if menu.endpoint in endpoints:
            groups.setdefault(menu.group, []).append(menu)
    return [{"group": group, "menus": menus} for group, menus in groups.items()]


class _Lazy:
    """A truth value computed on first use (``{% if is_platform_admin %}``), then remembered."""

    def __init__(self, compute: Callable[[], bool]) -> None:
        self._compute = compute
        self._value: bool | None = None

    def __bool__(self) -> bool:
        if self._value is None:
            self._value = bool(self._compute())
        return self._value


def init_app(app: Flask) -> None:
    """Wire Flask-Login, the audit actor and the scope teardown."""
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = app.config.get("SESSION_PROTECTION", "strong")
    app.before_request(_set_actor)
    app.teardown_request(_leave_scope)

    @app.context_processor
    def _access_context():
        return {
            "nav_groups": navigation(),
            "current_dealer": g.get("dealer"),
            "current_brand": g.get("brand"),
            "current_role": g.get("role"),
            # Lazy: evaluated (one query on the memberships) only by templates that ask.
            "is_platform_admin": _Lazy(lambda: is_platform_admin(current_user)),
            "Permission": Permission,
            "can": lambda permission: has_permission(g.get("role"), permission),
        }
