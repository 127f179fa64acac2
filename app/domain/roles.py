"""Roles, what each may do, and which menus a dealer's business model offers.

The menu table follows the manufacturer back offices this product models:
an O2O dealer (online up to the reservation, the rest in the showroom) has only
Dashboard, Customer search, Sales consultant, Vehicle display and Reservation payment
setting — plus Deals, where the showroom records the steps done offline; an E2E dealer
(the whole sale online) has every dealer menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A user's role in one brand or dealership (``Membership.role``)."""

    PLATFORM_ADMIN = "platform_admin"
    CORPORATE_ADMIN = "corporate_admin"
    CORPORATE_MARKETER = "corporate_marketer"
    DEALER_PRINCIPAL = "dealer_principal"
    SALES_MANAGER = "sales_manager"
    SALES_CONSULTANT = "sales_consultant"


CORPORATE_ROLES = frozenset({Role.CORPORATE_ADMIN, Role.CORPORATE_MARKETER})
DEALER_ROLES = frozenset({Role.DEALER_PRINCIPAL, Role.SALES_MANAGER, Role.SALES_CONSULTANT})


class BusinessModel(StrEnum):
    """How a dealer sells: E2E (whole sale online) or O2O (online up to reservation)."""

    E2E = "E2E"
    O2O = "O2O"


class Permission(StrEnum):
    """Actions guarded in views and services."""

    VIEW_DEALER = "view_dealer"
    MANAGE_CUSTOMERS = "manage_customers"
    MANAGE_DEALER_SETTINGS = "manage_dealer_settings"
    MANAGE_CONSULTANTS = "manage_consultants"
    BUILD_OFFERS = "build_offers"
    APPROVE_OFFERS = "approve_offers"
    MANAGE_INVENTORY = "manage_inventory"
    VIEW_CORPORATE = "view_corporate"
    MANAGE_CATALOG = "manage_catalog"
    MANAGE_PROMOTIONS = "manage_promotions"
    MANAGE_DEALERS = "manage_dealers"
    MANAGE_BRAND_CUSTOMERS = "manage_brand_customers"
    MANAGE_PARTNER_BANKS = "manage_partner_banks"
    PLATFORM = "platform"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset({Permission.PLATFORM}),
    Role.CORPORATE_ADMIN: frozenset(
        {
            Permission.VIEW_CORPORATE,
            Permission.MANAGE_CATALOG,
            Permission.MANAGE_PROMOTIONS,
            Permission.MANAGE_DEALERS,
            Permission.MANAGE_BRAND_CUSTOMERS,
            Permission.MANAGE_PARTNER_BANKS,  # lender rate sheets: admins only, not marketing
        }
    ),
    Role.CORPORATE_MARKETER: frozenset({Permission.VIEW_CORPORATE, Permission.MANAGE_CATALOG, Permission.MANAGE_PROMOTIONS}),
    Role.DEALER_PRINCIPAL: frozenset(
        {
            Permission.VIEW_DEALER,
            Permission.MANAGE_CUSTOMERS,
            Permission.MANAGE_DEALER_SETTINGS,
            Permission.MANAGE_CONSULTANTS,
            Permission.BUILD_OFFERS,
            Permission.APPROVE_OFFERS,
            Permission.MANAGE_INVENTORY,
        }
    ),
    Role.SALES_MANAGER: frozenset(
        {
            Permission.VIEW_DEALER,
            Permission.MANAGE_CUSTOMERS,
            Permission.MANAGE_CONSULTANTS,
            Permission.BUILD_OFFERS,
            Permission.APPROVE_OFFERS,
            Permission.MANAGE_INVENTORY,
        }
    ),
    Role.SALES_CONSULTANT: frozenset({Permission.VIEW_DEALER, Permission.MANAGE_CUSTOMERS, Permission.BUILD_OFFERS}),
}


def has_permission(role: Role | str, permission: Permission) -> bool:
    """Return True when ``role`` grants ``permission``; unknown roles grant nothing."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Menu:
    """One dealer menu: its key, the endpoint it opens, its group, and who may see it."""

    key: str
    endpoint: str
    group: str
    permission: Permission
    models: frozenset[BusinessModel]


_BOTH = frozenset({BusinessModel.E2E, BusinessModel.O2O})
_E2E = frozenset({BusinessModel.E2E})

# Endpoints that later issues add are listed here already so that the table is the one
# source of truth; ``navigation`` only shows menus whose endpoint is registered.
DEALER_MENUS: tuple[Menu, ...] = (
    Menu("dashboard", "dealer.dashboard", "home", Permission.VIEW_DEALER, _BOTH),
    Menu("customers", "dealer.customers", "customers", Permission.MANAGE_CUSTOMERS, _BOTH),
    Menu("offers", "offers.index", "click_to_buy", Permission.BUILD_OFFERS, _E2E),
    Menu("offer_approval", "offers.approvals", "click_to_buy", Permission.APPROVE_OFFERS, _E2E),
    # Every sale becomes a deal: E2E dealers run its steps online, O2O dealers record them here.
    Menu("deals", "deals.index", "click_to_buy", Permission.BUILD_OFFERS, _BOTH),
    Menu("finance_applications", "deals.finance_applications", "click_to_buy", Permission.BUILD_OFFERS, _E2E),
    Menu("trade_ins", "deals.trade_ins", "click_to_buy", Permission.BUILD_OFFERS, _E2E),
    Menu("contracts", "deals.contracts", "click_to_buy", Permission.BUILD_OFFERS, _E2E),
    Menu("deliveries", "deals.deliveries", "click_to_buy", Permission.BUILD_OFFERS, _E2E),
    Menu("purchasing_conditions", "dealer.purchasing_conditions", "click_to_buy", Permission.MANAGE_DEALER_SETTINGS, _E2E),
    Menu("preset_discounts", "dealer.preset_discounts", "click_to_buy", Permission.MANAGE_DEALER_SETTINGS, _E2E),
    Menu("approval_settings", "dealer.approval_settings", "click_to_buy", Permission.MANAGE_DEALER_SETTINGS, _E2E),
    Menu("inventory", "inventory.index", "administration", Permission.VIEW_DEALER, _E2E),
    Menu("consultants", "dealer.consultants", "administration", Permission.MANAGE_CONSULTANTS, _BOTH),
    Menu("vehicle_display", "dealer.vehicle_display", "administration", Permission.MANAGE_DEALER_SETTINGS, _BOTH),
    Menu("reservation_settings", "dealer.reservation_settings", "administration", Permission.MANAGE_DEALER_SETTINGS, _BOTH),
    Menu("delivery_settings", "dealer.delivery_settings", "administration", Permission.MANAGE_DEALER_SETTINGS, _E2E),
)

MENUS_BY_KEY = {menu.key: menu for menu in DEALER_MENUS}


def menu_available(key: str, model: BusinessModel | str) -> bool:
    """Return True when the dealer's business model offers menu ``key`` (unknown key → False)."""
    menu = MENUS_BY_KEY.get(key)
    return menu is not None and BusinessModel(model) in menu.models


def visible_menus(role: Role | str, model: BusinessModel | str) -> list[Menu]:
    """Return the menus a user with ``role`` sees at a dealer running ``model``, in display order."""
    return [m for m in DEALER_MENUS if BusinessModel(model) in m.models and has_permission(role, m.permission)]
