"""The offer builder: turn what a consultant typed into a priced, approval-checked offer, fast.

``BuilderInput`` is the builder form's state as plain values (``Decimal`` money, ``int`` ids and
terms); ``build`` loads what pricing needs from the database, builds the ``PricingInput``, prices it
with ``domain.pricing.price_offer``, runs the approval check with the consultant's authority and the
dealer's policy, and returns a ``Build``: the priced offer, the approval result, the snapshot's
``vehicle`` dict, and field-level ``errors`` (form field name → messages) for anything it could not
price. ``save`` creates or revises the offer through ``services.offers`` (idempotent per key).

Speed (issue #6: re-price p95 ≤ 30 ms with ≤ 8 SQL statements per request, the 2 of every dealer
request — the user; the dealer with its brand and the user's membership — included). A re-price reads:

1. ONE settings row set: the dealer's approval settings, the consultant's profile (authority), the
   latest published catalog release id, the chosen stock car, and the fee and tax rows — outer
   joins from the dealer row (fees × taxes rows, a handful);
2. the brand's promotions with their dealers and coupons (one joined query);
3. the ticked preset discounts (only when some are ticked; a stock car is then matched to the
   published catalog through the cached release below, to check the presets' model and trim codes);
4. the chosen partner banks (only when a scenario names one).

A published ``CatalogRelease`` never changes, so its parsed snapshot and ``OptionCatalog`` are
cached in-process by release id (``catalog_data``); only a cold cache reads the release row.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from app.domain.approval import ApprovalPolicy, ApprovalResult, ApproverRole, DiscountAuthority, UnknownCostRule
from app.domain.finance import (
    BalloonError,
    DownPaymentBelowMinimumError,
    DownPaymentExceedsPriceError,
    FinanceError,
    NoAPRForTermError,
    PartnerBankTerms,
)
from app.domain.messages import Text
from app.domain.money import quantum
from app.domain.offer_states import OfferState, valid_until_for
from app.domain.option_rules import (
    Configuration,
    Conflict,
    ConflictKind,
    OptionCatalog,
    Severity,
    validate_configuration,
)
from app.domain.preset_discounts import CATALOG_CONDITION, CatalogIndex
from app.domain.pricing import (
    AccessoryChoice,
    CashPayment,
    CatalogVehicle,
    DealerDiscount,
    FinancePayment,
    InvalidConfigurationError,
    LeasePayment,
    ManualDiscount,
    PricedOffer,
    PricingError,
    PricingInput,
    StockVehicle,
    TradeIn,
    price_offer,
)
from app.domain.taxes import FeeTaxTable, tax_rounding_for
from app.domain.vehicle_names import clean_title
from app.i18n import money, tr
from app.models.accounts import Dealer, Membership, User
from app.models.catalog import CatalogRelease, localized
from app.models.customers import Customer
from app.models.dealer_settings import ApprovalSettings, ConsultantProfile, FeeSetting, PresetDiscount, TaxSetting
from app.models.inventory import ONLINE_STATUSES, VehicleStatus
from app.models.inventory import StockVehicle as StockRow
from app.models.offers import Offer, OfferRevision
from app.models.partner_banks import PartnerBank
from app.services import customers as customer_service
from app.services import dealer_settings, partner_banks, promotion_redemptions, promotions
from app.services import offers as offer_service
from app.services.catalog import catalog_from_snapshot

SOURCES = ("catalog", "stock")
TRADE_CONDITIONS = ("excellent", "good", "fair", "poor")


# --- the form state ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TradeInInput:
    """The customer's car taken in trade, as typed (all optional but the allowance)."""

    vin: str = ""
    year: int | None = None
    make: str = ""
    model: str = ""
    odometer: int | None = None
    condition: str = ""
    allowance: Decimal | None = None
    payoff: Decimal | None = None

    @property
    def description(self) -> str:
        """Return "2017 Honda Civic" from the typed year, make and model."""
        return " ".join(str(p) for p in (self.year, self.make, self.model) if p)


@dataclass(frozen=True, slots=True)
class ScenarioInput:
    """A finance or lease scenario as typed: partner bank or own APR, term, down payment, lease residual %.

    ``balloon`` (finance only, optional): the final payment, an amount in the dealer's currency
    (``balloon_kind`` "amount") or a percent of the net price ("percent"); None = no balloon.
    """

    bank_id: int | None = None
    apr: Decimal | None = None
    term: int | None = None
    down: Decimal | None = None
    residual: Decimal | None = None
    balloon: Decimal | None = None
    balloon_kind: str = "amount"


@dataclass(frozen=True, slots=True)
class BuilderInput:
    """The whole builder form as plain values; ``to_json`` is what an offer revision stores as ``inputs``."""

    source: str = "catalog"
    model_code: str = ""
    trim_code: str = ""
    exterior_code: str = ""
    interior_code: str = ""
    option_codes: tuple[str, ...] = ()
    accessory_codes: tuple[str, ...] = ()
    stock_id: int | None = None
    preset_ids: tuple[int, ...] = ()
    manual_kind: str = "amount"
    manual_value: Decimal | None = None
    manual_reason: str = ""
    coupon_code: str = ""
    trade_in: TradeInInput | None = None
    finance: ScenarioInput | None = None
    lease: ScenarioInput | None = None

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> BuilderInput:
        """Return the input from a validated builder form's ``data`` (field name → converted value)."""

        def text(name: str) -> str:
            return (data.get(name) or "").strip()

        def bank(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value not in (None, "") and str(value).isdigit() else None

        trade = TradeInInput(
            vin=text("trade_vin").upper(), year=data.get("trade_year"), make=text("trade_make"), model=text("trade_model"),
            odometer=data.get("trade_odometer"), condition=text("trade_condition"),
            allowance=data.get("trade_allowance"), payoff=data.get("trade_payoff"),
        )
        finance = lease = None
        if data.get("finance_enabled"):
            finance = ScenarioInput(bank("finance_bank_id"), data.get("finance_apr"), data.get("finance_term"),
                                    data.get("finance_down"), balloon=data.get("finance_balloon") or None,
                                    balloon_kind="percent" if data.get("finance_balloon_kind") == "percent" else "amount")
        if data.get("lease_enabled"):
            lease = ScenarioInput(bank("lease_bank_id"), data.get("lease_apr"), data.get("lease_term"),
                                  data.get("lease_down"), data.get("lease_residual"))
        return cls(
            source=text("source") if text("source") in SOURCES else "catalog",
            model_code=text("model_code"), trim_code=text("trim_code"),
            exterior_code=text("exterior_code"), interior_code=text("interior_code"),
            option_codes=tuple(sorted({c for c in data.get("option_codes") or () if c})),
            accessory_codes=tuple(sorted({c for c in data.get("accessory_codes") or () if c})),
            stock_id=data.get("stock_id"),
            preset_ids=tuple(sorted({int(i) for i in data.get("preset_ids") or ()})),
            manual_kind="percent" if data.get("manual_kind") == "percent" else "amount",
            manual_value=data.get("manual_value"), manual_reason=text("manual_reason"),
            coupon_code=text("coupon_code").upper(),
            trade_in=trade if trade != TradeInInput() else None,
            finance=finance, lease=lease,
        )

    def to_form(self) -> dict[str, Any]:
        """Return the form field values that reproduce this input (for editing a saved offer)."""
        data: dict[str, Any] = {
            "source": self.source, "model_code": self.model_code, "trim_code": self.trim_code,
            "exterior_code": self.exterior_code, "interior_code": self.interior_code,
            "option_codes": list(self.option_codes), "accessory_codes": list(self.accessory_codes),
            "stock_id": self.stock_id, "preset_ids": list(self.preset_ids), "manual_kind": self.manual_kind,
            "manual_value": self.manual_value, "manual_reason": self.manual_reason, "coupon_code": self.coupon_code,
        }
        if self.trade_in:
            t = self.trade_in
            data.update(trade_vin=t.vin, trade_year=t.year, trade_make=t.make, trade_model=t.model,
                        trade_odometer=t.odometer, trade_condition=t.condition, trade_allowance=t.allowance,
                        trade_payoff=t.payoff)
        for kind, scenario in (("finance", self.finance), ("lease", self.lease)):
            if scenario:
                data.update({f"{kind}_enabled": True, f"{kind}_bank_id": str(scenario.bank_id or ""),
                             f"{kind}_apr": scenario.apr, f"{kind}_term": scenario.term, f"{kind}_down": scenario.down})
                if kind == "lease":
                    data["lease_residual"] = scenario.residual
                else:
                    data.update(finance_balloon=scenario.balloon, finance_balloon_kind=scenario.balloon_kind)
        return data

    def to_json(self) -> dict[str, Any]:
        """Return the input as JSON-ready values (Decimals as exact strings)."""
        return offer_service.to_jsonable(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BuilderInput:
        """Return the input stored by ``to_json`` (unknown or missing keys fall back to defaults)."""

        def dec(value: Any) -> Decimal | None:
            return None if value in (None, "") else Decimal(str(value))

        def scenario(value: Mapping[str, Any] | None) -> ScenarioInput | None:
            if not value:
                return None
            return ScenarioInput(value.get("bank_id"), dec(value.get("apr")), value.get("term"), dec(value.get("down")),
                                 dec(value.get("residual")), dec(value.get("balloon")),
                                 "percent" if value.get("balloon_kind") == "percent" else "amount")

        trade = data.get("trade_in")
        return cls(
            source=data.get("source", "catalog"), model_code=data.get("model_code", ""), trim_code=data.get("trim_code", ""),
            exterior_code=data.get("exterior_code", ""), interior_code=data.get("interior_code", ""),
            option_codes=tuple(data.get("option_codes") or ()), accessory_codes=tuple(data.get("accessory_codes") or ()),
            stock_id=data.get("stock_id"), preset_ids=tuple(data.get("preset_ids") or ()),
            manual_kind=data.get("manual_kind", "amount"), manual_value=dec(data.get("manual_value")),
            manual_reason=data.get("manual_reason", ""), coupon_code=data.get("coupon_code", ""),
            trade_in=None if not trade else TradeInInput(
                trade.get("vin", ""), trade.get("year"), trade.get("make", ""), trade.get("model", ""),
                trade.get("odometer"), trade.get("condition", ""), dec(trade.get("allowance")), dec(trade.get("payoff"))),
            finance=scenario(data.get("finance")), lease=scenario(data.get("lease")),
        )


# --- the published catalog, cached by release id ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogData:
    """A published release parsed once: its snapshot (read-only!), ``OptionCatalog`` and lookups by code."""

    release_id: int
    version: int
    snapshot: dict
    option_catalog: OptionCatalog
    models: dict[str, dict]
    trims: dict[str, tuple[dict, dict]]
    accessories: dict[str, dict]
    preset_index: CatalogIndex

    def trims_of(self, model_code: str) -> list[dict]:
        """Return the trims of model ``model_code`` (empty for an unknown model)."""
        model = self.models.get(model_code)
        return list(model["trims"]) if model else []

    def options_for(self, trim_code: str) -> list[dict]:
        """Return the options that fit ``trim_code`` (an option without trims fits every trim)."""
        return [o for o in self.snapshot["options"] if not o["trims"] or trim_code in o["trims"]]

    def accessories_for(self, model_code: str) -> list[dict]:
        """Return the accessories that fit ``model_code`` (one without models fits every model)."""
        return [a for a in self.snapshot["accessories"] if not a["models"] or model_code in a["models"]]


_CATALOG_CACHE: OrderedDict[tuple[int, int, str | None], CatalogData] = OrderedDict()
_CATALOG_LOCK = threading.Lock()
_CATALOG_CACHE_SIZE = 32


def catalog_data(session: Session, brand_id: int, release_id: int, locale: str | None = None) -> CatalogData:
    """Return the parsed release ``release_id`` of ``brand_id``, from the in-process cache when it is there.

    ``locale``: the option catalog's names (conflicts, option and colour lines) are in that language.

    The cache is shared by every tenant of the process, so it is keyed by brand as well; a miss
    reads the release through the caller's tenant scope. Raises ``LookupError`` for an unknown id.
    """
    key = (brand_id, release_id, locale)
    with _CATALOG_LOCK:
        cached = _CATALOG_CACHE.get(key)
        if cached is not None:
            _CATALOG_CACHE.move_to_end(key)
            return cached
    release = session.get(CatalogRelease, release_id)
    if release is None or release.brand_id != brand_id:
        raise LookupError(f"No catalog release {release_id}")
    snapshot = release.snapshot
    data = CatalogData(
        release_id=release.id,
        version=release.version,
        snapshot=snapshot,
        option_catalog=catalog_from_snapshot(snapshot, locale),
        models={m["code"]: m for m in snapshot["models"]},
        trims={t["code"]: (m, t) for m in snapshot["models"] for t in m["trims"]},
        accessories={a["part_number"]: a for a in snapshot["accessories"]},
        preset_index=CatalogIndex.from_models(snapshot["models"]),
    )
    with _CATALOG_LOCK:
        _CATALOG_CACHE[key] = data
        while len(_CATALOG_CACHE) > _CATALOG_CACHE_SIZE:
            _CATALOG_CACHE.popitem(last=False)
    return data


# --- loading what pricing needs ------------------------------------------------------------------------------


@dataclass(slots=True)
class DealerContext:
    """The dealer's rows a re-price needs, read in one statement (see the module docstring)."""

    approval: ApprovalSettings | None
    profile: ConsultantProfile | None
    release_id: int | None
    stock: StockRow | None
    fee_tax_table: FeeTaxTable


def clear_catalog_cache() -> None:
    """Forget every cached release (tests whose rolled-back ids get reused call it)."""
    with _CATALOG_LOCK:
        _CATALOG_CACHE.clear()


@functools.cache
def _context_statement(with_stock: bool):
    """Build the dealer-context statement once per shape (constructing it cost more than running it).

    A catalog re-price leaves the stock car out: its 36 always-NULL columns cost more to fetch than
    the rest of the row set.
    """
    latest_release = (
        select(func.max(CatalogRelease.id)).where(CatalogRelease.brand_id == Dealer.brand_id).correlate(Dealer).scalar_subquery()
    )
    statement = (
        select(ApprovalSettings, ConsultantProfile, latest_release, FeeSetting, TaxSetting)
        .select_from(Dealer)
        .outerjoin(ApprovalSettings, ApprovalSettings.dealer_id == Dealer.id)
        .outerjoin(ConsultantProfile, and_(ConsultantProfile.dealer_id == Dealer.id,
                                           ConsultantProfile.user_id == bindparam("user_id")))
        .outerjoin(FeeSetting, FeeSetting.dealer_id == Dealer.id)
        .outerjoin(TaxSetting, TaxSetting.dealer_id == Dealer.id)
        .where(Dealer.id == bindparam("dealer_id"))
    )
    if with_stock:
        statement = statement.add_columns(StockRow).outerjoin(
            StockRow, and_(StockRow.dealer_id == Dealer.id, StockRow.id == bindparam("stock_id")))
    return statement


def load_context(session: Session, dealer: Dealer, user_id: int, stock_id: int | None) -> DealerContext:
    """Read approval settings, the consultant's profile, the latest release id, the stock car and the fee/tax rows.

    One statement: outer joins from the dealer row (rows = fees × taxes, deduplicated here). Every
    joined entity gets the tenant criteria in its ON clause from ``app.tenancy``. ``stock_id`` None:
    no stock car is read (``DealerContext.stock`` is None).
    """
    parameters = {"dealer_id": dealer.id, "user_id": user_id}
    if stock_id is not None:
        parameters["stock_id"] = stock_id
    rows = session.execute(_context_statement(stock_id is not None), parameters).all()
    fees: dict[int, FeeSetting] = {}
    taxes: dict[int, TaxSetting] = {}
    first = rows[0] if rows else (None,) * 6
    for row in rows:
        if row[3] is not None:
            fees[row[3].id] = row[3]
        if row[4] is not None:
            taxes[row[4].id] = row[4]
    q = quantum(dealer.currency)
    table = dealer_settings.build_fee_tax_table(
        dealer.currency,
        [dealer_settings.FeeInput(f.code, f.name, f.amount.quantize(q), f.taxable)
         for f in sorted(fees.values(), key=lambda f: (f.position, f.id))],
        [dealer_settings.TaxInput(t.code, t.name, t.rate.normalize(), tuple(t.bases), t.included_in_price, t.trade_in_credit)
         for t in sorted(taxes.values(), key=lambda t: (t.position, t.id))],
        tax_rounding_for(dealer.country),
    )
    return DealerContext(first[0], first[1], first[2], first[5] if stock_id is not None else None, table)


def authority_of(membership: Membership | None, profile: ConsultantProfile | None, currency: str) -> DiscountAuthority:
    """Return the consultant's discount authority (no active membership or no profile → none), as ``consultants`` does."""
    if membership is None or not membership.active or profile is None:
        return DiscountAuthority()
    amount = None if profile.discount_max_amount is None else profile.discount_max_amount.quantize(quantum(currency))
    return DiscountAuthority(amount, profile.discount_max_percent)


def policy_of(row: ApprovalSettings | None, currency: str, *, stock: bool) -> ApprovalPolicy:
    """Return the dealer's approval policy; the minimum gross is a rule for stock cars only.

    A catalog car has no cost in the catalog, so a minimum-gross rule would fail closed on every
    new-car offer; the dealer's gross floor is enforced on stock cars (as the pricing floor too).
    A stock car without an acquisition cost follows the dealer's ``unknown_cost_rule``.
    """
    q = quantum(currency)
    roles = frozenset((row.approver_roles if row else None) or [r.value for r in ApproverRole])
    if row is None:
        return ApprovalPolicy(currency=currency, approver_roles=roles)
    return ApprovalPolicy(
        currency=currency,
        threshold_amount=None if row.threshold_amount is None else row.threshold_amount.quantize(q),
        threshold_percent=row.threshold_percent,
        minimum_gross=None if (row.minimum_gross is None or not stock) else row.minimum_gross.quantize(q),
        approver_roles=roles,
        unknown_cost=row.unknown_cost_rule or UnknownCostRule.REQUIRE_APPROVAL,
    )


# --- building -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Build:
    """The outcome of one re-price.

    ``errors``: form field → messages ("__all__" for the form as a whole); ``priced`` and ``approval``
    are None when something could not be priced. ``conflicts``: the option-rule findings of a catalog
    build (errors and warnings, with their English explanations); ``conflict_notes`` the same findings
    explained in the consultant's language and placed on the field they concern (``explain_conflicts``);
    ``notes``: presets or coupons that were left out, with the reason.
    """

    data: BuilderInput
    errors: dict[str, list[str]] = field(default_factory=dict)
    priced: PricedOffer | None = None
    approval: ApprovalResult | None = None
    conflicts: tuple[Conflict, ...] = ()
    conflict_notes: tuple[ConflictNote, ...] = ()
    notes: list[str] = field(default_factory=list)
    vehicle: dict[str, Any] = field(default_factory=dict)
    catalog: CatalogData | None = None
    stock: StockRow | None = None
    banks: dict[int, PartnerBank] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True when the offer priced without any field error (it may be saved)."""
        return self.priced is not None and not self.errors

    @property
    def conflict_codes(self) -> frozenset[str]:
        """Return the option codes named by an error conflict (the options to highlight in the builder)."""
        return frozenset(code for note in self.conflict_notes if note.is_error for code in note.codes)

    def error(self, name: str, message: str) -> None:
        """Attach ``message`` to form field ``name``."""
        self.errors.setdefault(name, []).append(message)


@dataclass(frozen=True, slots=True)
class ConflictNote:
    """One option-rule finding explained to the consultant: the form ``field`` it belongs beside
    (``exterior_code``, ``interior_code``, ``trim_code`` or ``option_codes``), ``is_error`` (False for a
    warning: the build is still priced), the translated ``message`` and the option/colour ``codes`` involved."""

    field: str
    is_error: bool
    message: str
    codes: tuple[str, ...] = ()


def _catalog_names(catalog: CatalogData, locale: str) -> dict[str, str]:
    """Return option and colour names by code in ``locale`` (the brand's name where no translation exists)."""
    names: dict[str, str] = {}
    for model in catalog.snapshot["models"]:
        for trim in model["trims"]:
            for colour in (*trim["exterior_colors"], *trim["interior_colors"]):
                names.setdefault(colour["code"], localized(colour.get("name_i18n"), locale, colour["name"]))
    for option in catalog.snapshot["options"]:
        names[option["code"]] = localized(option.get("name_i18n"), locale, option["name"])
    return names


def explain_conflicts(conflicts: tuple[Conflict, ...], catalog: CatalogData, locale: str) -> tuple[ConflictNote, ...]:
    """Return each conflict of ``validate_configuration`` as a translated ``ConflictNote`` placed on its field.

    The domain's messages are English (for logs and corporate's rule check); the builder shows these instead,
    in the UI language, with the catalog names in ``locale`` and what to do about it. Codes a catalog no
    longer knows are shown as they are. Source of the kinds: ``domain.option_rules.ConflictKind``.
    """
    names = _catalog_names(catalog, locale)

    def name(code: str) -> str:
        return names.get(code, code)

    notes = []
    for c in conflicts:
        codes, kind = c.codes, c.kind
        first = codes[0] if codes else ""
        second = codes[1] if len(codes) > 1 else ""
        field_name = "option_codes"
        if kind is ConflictKind.UNKNOWN_TRIM:
            field_name, message = "trim_code", _("This trim is no longer in the catalog; choose another one.")
        elif kind is ConflictKind.MISSING_EXTERIOR:
            field_name, message = "exterior_code", _("Choose an exterior colour to see the price.")
        elif kind is ConflictKind.MISSING_INTERIOR:
            field_name, message = "interior_code", _("Choose an interior colour to see the price.")
        elif kind in (ConflictKind.EXTERIOR_NOT_OFFERED, ConflictKind.INTERIOR_NOT_OFFERED):
            field_name = "exterior_code" if kind is ConflictKind.EXTERIOR_NOT_OFFERED else "interior_code"
            message = _("%(colour)s is not offered on this trim; choose another colour.", colour=name(first))
        elif kind is ConflictKind.COLOR_PAIR_EXCLUDED:
            field_name = "interior_code"
            message = _("%(exterior)s paint cannot be combined with the %(interior)s interior; choose another colour.",
                        exterior=name(first), interior=name(second))
        elif kind is ConflictKind.UNKNOWN_OPTION:
            message = _("Option %(option)s is no longer in the catalog; untick it.", option=second or first)
        elif kind is ConflictKind.OPTION_NOT_ON_TRIM:
            message = _("%(option)s is not available on this trim; untick it.", option=name(first))
        elif kind is ConflictKind.MISSING_REQUIREMENT:
            message = _("%(option)s needs %(required)s: tick %(required)s as well, or untick %(option)s.",
                        option=name(first), required=name(second))
        elif kind is ConflictKind.EXCLUDED_COMBINATION:
            message = _("%(option)s cannot be combined with %(other)s: untick one of them.",
                        option=name(first), other=name(second))
        elif kind is ConflictKind.REDUNDANT_OPTION:
            message = _("%(option)s is already included in %(package)s and is charged once.",
                        option=name(first), package=name(second))
        elif kind is ConflictKind.OVERLAPPING_PACKAGES:
            message = _("%(option)s is included in both %(first)s and %(second)s.", option=name(first),
                        first=name(second), second=name(codes[2] if len(codes) > 2 else ""))
        else:  # a kind added to the domain later: its English explanation rather than nothing
            message = tr(c.message) if isinstance(c.message, Text) else c.message
        notes.append(ConflictNote(field_name, c.severity is Severity.ERROR, message, tuple(codes)))
    return tuple(notes)


def _conflicts_to_errors(build: Build, conflicts: tuple[Conflict, ...], catalog: CatalogData, locale: str) -> None:
    """Record ``conflicts`` on ``build``: translated notes, and each error note as an error of its own field."""
    build.conflicts = conflicts
    build.conflict_notes = explain_conflicts(conflicts, catalog, locale)
    for note in build.conflict_notes:
        if note.is_error:
            build.error(note.field, note.message)


def _said(exc: Exception) -> str:
    """Word a domain error for the reader: its ``Text`` message in the current locale, else its text."""
    message = exc.args[0] if exc.args else ""
    return tr(message) if isinstance(message, Text) else str(exc)


def _exact(value: Decimal | None, currency: str) -> bool:
    return value is None or value == value.quantize(quantum(currency))


def _check_money(build: Build, currency: str, **fields: Decimal | None) -> None:
    for name, value in fields.items():
        if not _exact(value, currency):
            build.error(name, _("Too many decimals for %(currency)s.", currency=currency))


def _catalog_vehicle(build: Build, data: BuilderInput, catalog: CatalogData | None, locale: str) -> CatalogVehicle | None:
    if catalog is None:
        build.error("model_code", _("The brand has not published a catalog yet; choose a car from stock."))
        return None
    model = catalog.models.get(data.model_code)
    if model is None:
        build.error("model_code", _("Choose a model."))
        return None
    pair = catalog.trims.get(data.trim_code)
    if pair is None or pair[0]["code"] != model["code"]:
        build.error("trim_code", _("Choose a trim."))
        return None
    trim = pair[1]
    configuration = Configuration(data.trim_code, data.exterior_code or None, data.interior_code or None,
                                  frozenset(data.option_codes))
    result = validate_configuration(configuration, catalog.option_catalog)
    _conflicts_to_errors(build, result.conflicts, catalog, locale)
    if not result.valid:
        return None
    accessories = []
    for code in data.accessory_codes:
        row = catalog.accessories.get(code)
        if row is None or (row["models"] and model["code"] not in row["models"]):
            build.error("accessory_codes", _("Accessory %(code)s does not fit this model.", code=code))
            continue
        price = Decimal(row["price"]) + Decimal(row["labour"] or 0)
        accessories.append(AccessoryChoice(code, localized(row.get("name_i18n"), locale, row["name"]), price))
    model_name = localized(model.get("name_i18n"), locale, model["name"])
    trim_name = localized(trim.get("name_i18n"), locale, trim["name"])
    build.vehicle = {
        "source": "catalog", "label": f"{model_name} {trim_name}", "model_code": model["code"], "model": model_name,
        "model_year": model.get("model_year"), "trim_code": trim["code"], "trim": trim_name,
        "exterior": catalog.option_catalog.color_name(data.exterior_code) if data.exterior_code else "",
        "interior": catalog.option_catalog.color_name(data.interior_code) if data.interior_code else "",
        "options": list(data.option_codes), "accessories": list(data.accessory_codes),
        "image_key": model.get("hero_image_key"), "catalog_release_id": catalog.release_id,
        "catalog_version": catalog.version,
    }
    return CatalogVehicle(model["code"], model_name, Decimal(trim["msrp"]), configuration, catalog.option_catalog,
                          tuple(accessories))


def _stock_vehicle(build: Build, row: StockRow | None, currency: str, *, held_ok: bool = False) -> StockVehicle | None:
    if row is None:
        build.error("stock_id", _("Choose a vehicle from stock."))
        return None
    if row.status not in ONLINE_STATUSES and not (held_ok and row.status is VehicleStatus.RESERVED):
        build.error("stock_id", _("This vehicle is no longer available (%(status)s).", status=row.status.value))
        return None
    if not row.is_priced or row.currency != currency:
        build.error("stock_id", _("This vehicle has no list price in %(currency)s yet.", currency=currency))
        return None
    if not (_exact(row.price, currency) and _exact(row.acquisition_cost, currency)):
        build.error("stock_id", _("The vehicle's price has too many decimals for %(currency)s.", currency=currency))
        return None
    q = quantum(currency)
    build.vehicle = {
        "source": "stock", "label": clean_title(row.title), "stock_id": row.id, "stock_number": row.stock_number or "",
        "vin": row.vin or "", "model": row.model, "model_year": row.model_year, "exterior": row.exterior_color,
        "interior": row.interior_color, "odometer": row.odometer, "odometer_unit": row.odometer_unit.value,
        "image_url": row.image_url,
        # The parts of the title and the facts a customer reads (domain.vehicle_names cleans the trim for them).
        "make": row.make, "trim": row.trim, "condition": row.condition.value, "fuel_type": row.fuel_type,
        "transmission": row.transmission, "drivetrain": row.drivetrain, "body_style": row.body_style,
    }
    return StockVehicle(
        stock_number=row.stock_number or row.vin or str(row.id), label=row.title, model_code=(row.model or "STOCK").upper(),
        trim_code=(row.trim or row.model or "STOCK").upper()[:40], list_price=row.price.quantize(q),
        acquisition_cost=(row.acquisition_cost or Decimal(0)).quantize(q), vin=row.vin or "",
    )


def _preset_target(session: Session, dealer: Dealer, data: BuilderInput, context: DealerContext,
                   catalog: CatalogData | None) -> tuple[str | None, str | None, str]:
    """Return the ``(catalog model code, trim code, stock condition)`` a preset is checked against.

    A catalog car is its own codes and ``new``; a stock car is matched to the published catalog by
    its model and trim text (``domain.preset_discounts``), so a preset for NE1 fits a stock "Ioniq 5".
    """
    if data.source != "stock":
        return data.model_code, data.trim_code, CATALOG_CONDITION
    row = context.stock
    if row is None:
        return None, None, ""
    if catalog is None and context.release_id:
        catalog = catalog_data(session, dealer.brand_id, context.release_id)
    model_code, trim_code = catalog.preset_index.match_stock(row.model, row.trim) if catalog else (None, None)
    return model_code, trim_code, row.condition.value


def _presets(build: Build, session: Session, dealer: Dealer, data: BuilderInput,
             target: tuple[str | None, str | None, str], today) -> list[DealerDiscount]:
    if not data.preset_ids:
        return []
    rows = {p.id: p for p in session.scalars(select(PresetDiscount).where(PresetDiscount.id.in_(data.preset_ids)))}
    result = []
    for preset_id in data.preset_ids:
        row = rows.get(preset_id)
        if row is None or not row.active:
            build.error("preset_ids", _("This preset discount is not available."))
            continue
        if (row.valid_from and today < row.valid_from) or (row.valid_until and today > row.valid_until):
            build.notes.append(_("%(name)s is not valid today.", name=row.name))
            continue
        if not dealer_settings.scope_of(row).applies(*target):
            build.notes.append(_("%(name)s does not apply to this vehicle.", name=row.name))
            continue
        value = row.value.quantize(quantum(dealer.currency)) if row.kind == "amount" else row.value
        result.append(DealerDiscount(f"P{row.id}", row.name, amount=value if row.kind == "amount" else None,
                                     percent=value if row.kind == "percent" else None,
                                     stackable_with_promotions=row.stackable))
    return result


def _scenarios(build: Build, session: Session, data: BuilderInput, currency: str) -> list:
    wanted = {s.bank_id for s in (data.finance, data.lease) if s and s.bank_id}
    if wanted:
        build.banks = {b.id: b for b in session.scalars(
            select(PartnerBank).where(PartnerBank.id.in_(wanted), PartnerBank.active.is_(True)))}
    # No labels: the engine records the standard ones as codes, worded in the reader's language
    # when shown (domain.pricing.labels), not in the consultant's UI language.
    payments: list = [CashPayment()]
    for kind, scenario in (("finance", data.finance), ("lease", data.lease)):
        if scenario is None:
            continue
        before = len(build.errors)
        bank: PartnerBankTerms | None = None
        if scenario.bank_id:
            row = build.banks.get(scenario.bank_id)
            if row is None:
                build.error(f"{kind}_bank_id", _("Choose one of the partner banks."))
            else:
                try:
                    bank = partner_banks.terms_for(row)
                except FinanceError as exc:
                    build.error(f"{kind}_bank_id", str(exc))
        elif scenario.apr is None:
            build.error(f"{kind}_apr", _("Choose a partner bank or enter an APR."))
        if scenario.term is None:
            build.error(f"{kind}_term", _("Enter the term in months."))
        if kind == "lease" and scenario.residual is None:
            build.error("lease_residual", _("Enter the residual value in percent."))
        _check_money(build, currency, **{f"{kind}_down": scenario.down})
        if kind == "finance" and scenario.balloon is not None:
            if scenario.balloon_kind == "percent":
                if not 0 <= scenario.balloon < 100:
                    build.error("finance_balloon", _("A balloon percentage must be at least 0 and below 100."))
            else:
                _check_money(build, currency, finance_balloon=scenario.balloon)
        if len(build.errors) > before:
            continue
        down = (scenario.down or Decimal(0)).quantize(quantum(currency))
        apr = None if bank else scenario.apr
        if kind == "finance":
            balloon_amount = balloon_percent = None
            if scenario.balloon is not None and scenario.balloon_kind == "percent":
                balloon_percent = scenario.balloon
            elif scenario.balloon is not None:
                balloon_amount = scenario.balloon.quantize(quantum(currency))
            payments.append(FinancePayment(scenario.term, down, apr, bank, balloon_amount=balloon_amount,
                                           balloon_percent=balloon_percent))
        else:
            payments.append(LeasePayment(scenario.term, scenario.residual, down, apr, bank))
    return payments


def _payment_error(build: Build, kind: str, exc: Exception, currency: str, payment: Any = None) -> None:
    if isinstance(exc, BalloonError):
        bank = getattr(payment, "bank", None)
        term = getattr(payment, "term_months", 0)
        if bank is not None and exc.limit == 0:
            build.error("finance_balloon", _("%(bank)s offers no balloon payment for %(months)s months.",
                                             bank=bank.name, months=term))
        elif bank is not None and exc.limit is not None:
            build.error("finance_balloon", _("%(bank)s writes a balloon of at most %(percent)s%% of the price "
                                             "(%(limit)s) for %(months)s months.", bank=bank.name,
                                             percent=bank.max_balloon_percent(term),
                                             limit=money(exc.limit, currency), months=term))
        else:
            build.error("finance_balloon", _("The balloon must be less than the amount financed."))
    elif isinstance(exc, DownPaymentExceedsPriceError) or (isinstance(exc, PricingError) and exc.field == "down_payment"):
        build.error(f"{kind}_down", _("The down payment is larger than the balance due."))
    elif isinstance(exc, DownPaymentBelowMinimumError):
        build.error(f"{kind}_down", _("The bank needs a larger down payment: %(detail)s", detail=str(exc)))
    elif isinstance(exc, NoAPRForTermError):
        build.error(f"{kind}_term", _("The bank does not lend for this term: %(detail)s", detail=str(exc)))
    else:
        build.error(f"{kind}_term", _said(exc))


_FIELD_OF = {"allowance": "trade_allowance", "payoff": "trade_payoff", "amount": "manual_value",
             "list_price": "stock_id", "base_price": "trim_code", "unit_price": "accessory_codes"}


def build(
    session: Session,
    *,
    dealer: Dealer,
    user: User,
    membership: Membership | None,
    data: BuilderInput,
    now: datetime,
    locale: str,
    vehicle_held: bool = False,
) -> Build:
    """Price ``data`` for ``dealer`` as ``user`` would save it; never raises for bad input.

    Returns a ``Build`` whose ``errors`` map form fields to messages (unknown model, broken option
    rules, a vehicle sold meanwhile, a coupon of another brand, a down payment above the balance,
    a term the bank does not write, too many decimals…). Runs inside the dealer's tenant scope.
    ``vehicle_held``: re-pricing the offer of an open deal, whose stock car may already be
    ``reserved`` for that deal (the trade-in amendment); a reserved car is then accepted.
    """
    result = Build(data)
    currency = dealer.currency
    context = load_context(session, dealer, user.id, data.stock_id if data.source == "stock" else None)
    today = now.astimezone(ZoneInfo(dealer.timezone)).date()
    _check_money(result, currency, manual_value=data.manual_value if data.manual_kind == "amount" else None)

    vehicle: CatalogVehicle | StockVehicle | None
    if data.source == "stock":
        vehicle = _stock_vehicle(result, context.stock, currency, held_ok=vehicle_held)
        result.stock = context.stock
    else:
        result.catalog = catalog_data(session, dealer.brand_id, context.release_id, locale) if context.release_id else None
        vehicle = _catalog_vehicle(result, data, result.catalog, locale)

    target = _preset_target(session, dealer, data, context, result.catalog) if data.preset_ids else (None, None, "")
    presets = _presets(result, session, dealer, data, target, today)
    manual = None
    if data.manual_value:
        if data.manual_kind == "percent" and data.manual_value > 100:
            result.error("manual_value", _("A percentage discount must be at most 100."))
        elif data.manual_kind == "percent":
            manual = ManualDiscount(percent=data.manual_value, reason=data.manual_reason)
        else:
            manual = ManualDiscount(amount=data.manual_value, reason=data.manual_reason)
    trade = None
    if data.trade_in is not None:
        t = data.trade_in
        _check_money(result, currency, trade_allowance=t.allowance, trade_payoff=t.payoff)
        if t.allowance is None:
            result.error("trade_allowance", _("Enter the trade-in allowance (0 if none)."))
        elif _exact(t.allowance, currency) and _exact(t.payoff, currency):
            trade = TradeIn(t.allowance, t.payoff or Decimal(0), t.description, t.vin)
    payments = _scenarios(result, session, data, currency)
    if vehicle is None or result.errors:
        return result

    promos, apr_terms = promotions.promotions_for_pricing(session, dealer.brand, now, (data.coupon_code,) if data.coupon_code else (),
                                                         locale=locale)
    row = context.approval
    minimum_gross = row.minimum_gross.quantize(quantum(currency)) if row and row.minimum_gross is not None else Decimal(0)
    pricing = PricingInput(
        currency=currency, brand_id=dealer.brand_id, dealer_id=dealer.id, now_utc=now, vehicle=vehicle,
        fee_tax_table=context.fee_tax_table, promotions=promos,
        coupon_codes=(data.coupon_code,) if data.coupon_code else (), dealer_discounts=tuple(presets),
        manual_discount=manual, trade_in=trade, minimum_gross=minimum_gross, payments=tuple(payments),
        apr_subvention_terms=apr_terms,
    )
    try:
        priced = price_offer(pricing)
    except InvalidConfigurationError as exc:
        if result.catalog is not None:
            result.errors.pop("option_codes", None)  # replaced by the engine's own findings
            _conflicts_to_errors(result, exc.conflicts, result.catalog, locale)
        if not result.errors:
            result.error("option_codes", _("This configuration cannot be built; see the conflicts below."))
        return result
    except (PricingError, FinanceError) as exc:
        field_name = getattr(exc, "field", None)
        if len(payments) > 1 and (isinstance(exc, FinanceError) or field_name in ("down_payment", "term_months", "apr_percent")):
            # Find which scenario failed by pricing each one alone (error path only).
            for payment in payments[1:]:
                try:
                    price_offer(replace(pricing, payments=(payment,)))
                except (PricingError, FinanceError) as single:
                    _payment_error(result, "finance" if isinstance(payment, FinancePayment) else "lease", single, currency,
                                   payment)
            if not result.errors:
                result.error("__all__", _said(exc))
        else:
            result.error(_FIELD_OF.get(field_name or "", "__all__"), _said(exc))
        return result

    for rejected in (n for n in priced.not_applied if n.source == "coupon_code"):
        owner = promotions.coupon_brand_id(session, rejected.code)
        if owner is not None and owner != dealer.brand_id:
            result.error("coupon_code", _("Coupon %(code)s belongs to another brand and cannot be used here.", code=rejected.code))
        else:
            result.error("coupon_code", _("Coupon %(code)s is not valid.", code=rejected.code))
    if data.trade_in is not None:
        result.vehicle["trade_in"] = offer_service.to_jsonable(data.trade_in)
    approval_inputs = priced.approval
    if isinstance(vehicle, StockVehicle) and context.stock is not None and context.stock.acquisition_cost is None:
        approval_inputs = replace(approval_inputs, gross=None)  # cost unknown: the gross rule fails closed
    policy = policy_of(row, currency, stock=isinstance(vehicle, StockVehicle))
    authority = authority_of(membership, context.profile, currency)
    result.priced = priced
    result.approval = approval_inputs.check(authority, policy) if priced.subtotal > 0 else ApprovalResult(False, (), (), ())
    return result


# --- saving -------------------------------------------------------------------------------------------------


class BuilderInvalid(ValueError):
    """The builder form cannot be saved; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


def offer_texts(session: Session, dealer: Dealer, locale: str) -> tuple[dict[str, Any], int]:
    """Return the printed texts of a new revision (purchasing conditions in ``locale``) and the validity in days."""
    conditions = dealer_settings.purchasing_conditions_for(session, dealer)
    parts = [localized(conditions.cancellation_policy, locale), localized(conditions.refund_policy, locale)]
    texts = {
        "conditions": "\n\n".join(p for p in parts if p),
        "required_documents": list(conditions.required_documents or []),
    }
    return texts, conditions.offer_validity_days or 7


def find_by_key(session: Session, idempotency_key: str) -> Offer | None:
    """Return the offer already created with ``idempotency_key`` in this dealer, if any."""
    if not idempotency_key:
        return None
    return session.scalar(select(Offer).where(Offer.idempotency_key == idempotency_key))


def resolve_customer(session: Session, dealer: Dealer, *, customer_id: int | None, name: str, email: str, phone: str,
                     actor: User, privacy_accepted: bool = False, marketing_consent: bool = False,
                     privacy_notice_version: str = "") -> Customer:
    """Return the chosen customer, or create one quickly from name + e-mail/phone with consent.

    A quick-created customer is assigned to ``actor`` and must accept the privacy notice
    ``privacy_notice_version`` (``customers.quick_create``). Raises ``BuilderInvalid`` for no choice,
    a customer not of this dealer (or withdrawn/merged), and ``customers.CustomerError`` messages on
    the quick-create fields (``new_customer_name``/``_email``/``_phone``/``_privacy``).
    """
    if customer_id:
        customer = session.get(Customer, customer_id)
        if customer is None or customer.merged_into_id is not None or customer.is_withdrawn:
            raise BuilderInvalid({"customer_id": [_("Choose a customer from the search.")]})
        return customer
    if not name.strip():
        raise BuilderInvalid({"customer_id": [_("Choose a customer, or type a new customer's name.")]})
    try:
        return customer_service.quick_create(
            session, dealer, name=name, email=email, phone=phone, privacy_accepted=privacy_accepted,
            privacy_notice_version=privacy_notice_version, marketing_consent=marketing_consent, actor=actor)
    except customer_service.CustomerError as exc:
        field_name = {"full_name": "new_customer_name", "email": "new_customer_email", "phone": "new_customer_phone",
                      "privacy_accepted": "new_customer_privacy"}.get(exc.field or "", "new_customer_name")
        raise BuilderInvalid({field_name: [str(exc)]}) from exc


def save(
    session: Session,
    *,
    dealer: Dealer,
    user: User,
    result: Build,
    customer: Customer | None,
    offer: Offer | None,
    base_revision_no: int | None,
    idempotency_key: str | None,
    now: datetime,
) -> Offer:
    """Create the offer (``offer`` None) or save a new revision of it from a successful ``Build``.

    Raises ``BuilderInvalid`` when the build has errors, and ``offers.OfferError`` for a stale
    ``base_revision_no`` or a state that cannot be revised. Creating is idempotent per key.
    """
    if not result.ok or result.priced is None or result.approval is None:
        raise BuilderInvalid(result.errors or {"__all__": [_("The offer could not be priced.")]})
    if offer is None:
        assert customer is not None
        locale = customer.preferred_locale or dealer.locale
        texts, days = offer_texts(session, dealer, locale)
        return offer_service.create_offer(
            session, dealer=dealer, customer=customer, consultant=user, inputs=result.data.to_json(),
            priced=result.priced, approval=result.approval, vehicle=result.vehicle, texts=texts,
            valid_until=valid_until_for(now, days, dealer.timezone), locale=locale, now=now,
            idempotency_key=idempotency_key or None,
        )
    texts, _days = offer_texts(session, dealer, offer.locale)
    offer_service.revise_offer(
        session, offer, inputs=result.data.to_json(), priced=result.priced, approval=result.approval,
        vehicle=result.vehicle, texts=texts, actor=user, base_revision_no=base_revision_no or 0,
    )
    return offer


def reprice_used_up(
    session: Session, offer: Offer, dealer: Dealer, used_up: promotion_redemptions.PromotionUsedUp, *, now: datetime
) -> OfferRevision | None:
    """Re-price a sent offer whose coupon or promotion budget ran out as the customer accepted; return the new revision.

    Call it after rolling back the refused acceptance (``promotion_redemptions.PromotionUsedUp``).
    The offer is priced again from its builder inputs as of its current revision (the promotions
    and prices of that day, so only what ran out changes) with today's counters, so the exhausted
    promotion is left out by the engine ("budget exhausted") and the used-up coupon code is dropped.
    Saved through ``offers.reprice_for_customer`` (see there what the customer and consultant see).
    Returns None, with the consultant told, when the offer was not made in the builder or no longer
    prices (a car sold meanwhile…): the consultant then makes the new offer by hand. Returns None
    and does nothing when the offer is no longer with the customer (accepted meanwhile).
    """
    if offer.state not in (OfferState.SENT, OfferState.VIEWED):
        return None  # decided meanwhile (a parallel acceptance of the same offer won): nothing to re-price
    revision = offer_service.current_revision(offer)
    reasons = [u.message for u in used_up.used_up]
    data = BuilderInput.from_json(revision.inputs or {})
    result = None
    if data.model_code or data.stock_id is not None:
        gone = {u.coupon_code for u in used_up.used_up if u.coupon_code}
        if data.coupon_code and data.coupon_code.strip().upper() in gone:
            data = replace(data, coupon_code="")
        owner = session.get(User, offer.consultant_id) if offer.consultant_id else None
        if owner is not None:
            membership = session.scalar(select(Membership).where(Membership.user_id == owner.id,
                                                                 Membership.dealer_id == dealer.id))
            result = build(session, dealer=dealer, user=owner, membership=membership, data=data,
                           now=revision.created_at, locale=offer.locale)
    if result is None or not result.ok or result.priced is None or result.approval is None:
        offer_service.tell_used_up(session, offer, repriced=False)
        session.flush()
        return None
    return offer_service.reprice_for_customer(
        session, offer, inputs=data.to_json(), priced=result.priced, approval=result.approval, vehicle=result.vehicle,
        texts={k: v for k, v in (revision.snapshot.get("texts") or {}).items() if k != "repriced_because"},
        reasons=reasons,
    )
