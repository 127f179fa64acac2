"""A dealership's settings: purchasing conditions, fee and tax table, preset discounts, approval policy,
reservation payment and delivery.

Writers validate everything first (through the pure domain classes in ``app.domain.taxes``,
``app.domain.approval`` and ``app.domain.delivery_slots``) and only then change rows, so a refused
change leaves nothing half-saved. Errors carry the form field (and, for table rows, the row index) so
the view can show them next to the input. Readers (``fee_tax_table_for``, ``approval_policy_for``,
``delivery_settings_for``) turn rows back into those domain values for the offer and deal workflows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.approval import ApprovalError, ApprovalPolicy, ApproverRole, UnknownCostRule
from app.domain.delivery_slots import (
    Closure,
    DeliverySettings,
    DeliverySettingsError,
    GeoPoint,
    HomeDeliveryTerms,
    SlotTemplate,
)
from app.domain.money import quantum
from app.domain.preset_discounts import CatalogIndex, PresetScope, ScopeProblems
from app.domain.taxes import FeeRule, FeeTaxError, FeeTaxTable, TaxRounding, TaxRule, tax_rounding_for
from app.imports.values import VehicleCondition
from app.models.accounts import Dealer
from app.models.catalog import localized
from app.models.dealer_settings import (
    ApprovalSettings,
    DeliveryClosure,
    DeliveryConfig,
    DeliverySlotSetting,
    FeeSetting,
    ModelDeposit,
    PresetDiscount,
    PurchasingConditions,
    ReservationSettings,
    TaxSetting,
)
from app.models.inventory import ONLINE_STATUSES, StockVehicle
from app.services import audit, field_crypto
from app.services.catalog import published_catalog

#: Payment methods a dealer can accept (stored values; labels are translated in the forms).
PAYMENT_METHODS = ("card", "bank_transfer", "virtual_account", "cash", "financing", "promptpay")
#: Preset discount kinds.
DISCOUNT_KINDS = ("amount", "percent")
#: Stock conditions a preset discount can be limited to (``VehicleCondition`` values, display order).
STOCK_CONDITIONS = tuple(c.value for c in VehicleCondition)


class SettingsError(ValueError):
    """A settings change refused.

    ``field`` names the form field; ``group`` and ``row`` locate a row of a table editor
    (``group="fees"``, ``row=2`` is the third fee row); both None for a top-level field.
    """

    def __init__(self, message: str, field: str | None = None, *, group: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.group = group
        self.row = row


def _singleton(session: Session, model, dealer: Dealer, **defaults):
    row = session.scalar(select(model).where(model.dealer_id == dealer.id))
    return row or model(dealer_id=dealer.id, **defaults)


def _check_money(value: Decimal | None, dealer: Dealer, field_name: str, *, allow_negative: bool = False) -> None:
    if value is None:
        return
    if value < 0 and not allow_negative:
        raise SettingsError(_l("The amount must not be negative."), field_name)
    if value != value.quantize(quantum(dealer.currency)):
        raise SettingsError(_l("Too many decimals for %(currency)s.", currency=dealer.currency), field_name)


# --- purchasing conditions -------------------------------------------------------------------------


def purchasing_conditions_for(session: Session, dealer: Dealer) -> PurchasingConditions:
    """Return the dealer's purchasing conditions (an unsaved default when never set)."""
    return _singleton(
        session, PurchasingConditions, dealer, offer_validity_days=7, required_documents=[], cancellation_policy={},
        refund_policy={}, payment_methods=[],
    )


def save_purchasing_conditions(
    session: Session,
    dealer: Dealer,
    *,
    offer_validity_days: int,
    required_documents: Sequence[str],
    cancellation_policy: dict[str, str],
    refund_policy: dict[str, str],
    payment_methods: Sequence[str],
) -> PurchasingConditions:
    """Store the purchasing conditions; raises ``SettingsError`` for a validity outside 1–365 days or an unknown method."""
    if not 1 <= offer_validity_days <= 365:
        raise SettingsError(_l("Offers must be valid between 1 and 365 days."), "offer_validity_days")
    unknown = set(payment_methods) - set(PAYMENT_METHODS)
    if unknown:
        raise SettingsError(_l("Unknown payment method."), "payment_methods")
    row = purchasing_conditions_for(session, dealer)
    before = {"validity": row.offer_validity_days, "documents": row.required_documents, "methods": row.payment_methods}
    row.offer_validity_days = offer_validity_days
    row.required_documents = [d.strip() for d in required_documents if d.strip()]
    row.cancellation_policy = {k: v.strip() for k, v in cancellation_policy.items() if v and v.strip()}
    row.refund_policy = {k: v.strip() for k, v in refund_policy.items() if v and v.strip()}
    row.payment_methods = [m for m in PAYMENT_METHODS if m in payment_methods]
    session.add(row)
    session.flush()
    after = {"validity": row.offer_validity_days, "documents": row.required_documents, "methods": row.payment_methods}
    audit.record(session, "settings.purchasing_conditions", row, before=before, after=after)
    return row


# --- fee and tax table -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeeInput:
    """One fee row as entered: ``amount`` a Decimal in the dealer currency."""

    code: str
    name: str
    amount: Decimal
    taxable: bool = True


@dataclass(frozen=True, slots=True)
class TaxInput:
    """One tax row as entered: ``rate`` in percent, ``bases`` a list of ``app.domain.taxes.TAX_BASES``."""

    code: str
    name: str
    rate: Decimal
    bases: tuple[str, ...] = ()
    included_in_price: bool = True
    trade_in_credit: bool = False


def _fee_tax_message(exc: FeeTaxError) -> str:
    text = str(exc)
    if "Duplicate code" in text:
        return _l("This code is already used by another fee or tax.")
    if "Included taxes" in text:
        return _l("Another included tax already covers one of these bases; only one included tax per base.")
    if exc.field == "rounding":
        return _l("Taxes are rounded per line in this market, so a trade-in cannot reduce the taxable amount.")
    if exc.field == "amount" and "decimals" in text:
        return _l("Too many decimals for the currency.")
    return text


def build_fee_tax_table(
    currency: str, fees: Sequence[FeeInput], taxes: Sequence[TaxInput], rounding: TaxRounding = TaxRounding.PER_TOTAL
) -> FeeTaxTable:
    """Return the ``FeeTaxTable`` for the rows, or raise ``SettingsError`` on the first bad row.

    The table is grown one row at a time, so a table-wide rule (duplicate code, two included taxes on
    one base, a trade-in credit under per-line ``rounding``) is reported on the row that breaks it.
    ``rounding``: the market's (``app.domain.taxes.tax_rounding_for(dealer.country)``).
    """
    fee_rules: list[FeeRule] = []
    tax_rules: list[TaxRule] = []
    for index, fee in enumerate(fees):
        try:
            fee_rules.append(FeeRule(fee.code.strip(), fee.name.strip(), fee.amount, fee.taxable))
            FeeTaxTable(currency, tuple(fee_rules))
        except FeeTaxError as exc:
            raise SettingsError(_fee_tax_message(exc), exc.field, group="fees", row=index) from exc
    for index, tax in enumerate(taxes):
        try:
            tax_rules.append(
                TaxRule(tax.code.strip(), tax.name.strip(), tax.rate, frozenset(tax.bases), tax.included_in_price, tax.trade_in_credit)
            )
            FeeTaxTable(currency, tuple(fee_rules), tuple(tax_rules), rounding)
        except FeeTaxError as exc:
            # The per-line refusal is about the row's trade-in box: attach the message there.
            field = "trade_in_credit" if exc.field == "rounding" else exc.field
            raise SettingsError(_fee_tax_message(exc), field, group="taxes", row=index) from exc
    return FeeTaxTable(currency, tuple(fee_rules), tuple(tax_rules), rounding)


def fee_rows(session: Session, dealer: Dealer) -> list[FeeSetting]:
    """Return the dealer's fee rows in order."""
    return list(session.scalars(select(FeeSetting).where(FeeSetting.dealer_id == dealer.id).order_by(FeeSetting.position, FeeSetting.id)))


def tax_rows(session: Session, dealer: Dealer) -> list[TaxSetting]:
    """Return the dealer's tax rows in order."""
    return list(session.scalars(select(TaxSetting).where(TaxSetting.dealer_id == dealer.id).order_by(TaxSetting.position, TaxSetting.id)))


def fee_tax_table_for(session: Session, dealer: Dealer) -> FeeTaxTable:
    """Return the dealer's stored fee and tax table as an ``app.domain.taxes.FeeTaxTable``."""
    fees = [FeeInput(f.code, f.name, f.amount.quantize(quantum(dealer.currency)), f.taxable) for f in fee_rows(session, dealer)]
    taxes = [
        TaxInput(t.code, t.name, t.rate.normalize(), tuple(t.bases), t.included_in_price, t.trade_in_credit)
        for t in tax_rows(session, dealer)
    ]
    return build_fee_tax_table(dealer.currency, fees, taxes, tax_rounding_for(dealer.country))


def replace_fee_tax_table(session: Session, dealer: Dealer, fees: Sequence[FeeInput], taxes: Sequence[TaxInput]) -> FeeTaxTable:
    """Validate the rows as a whole table and replace the stored table with them; return the domain table.

    Raises ``SettingsError`` (with ``group``/``row``) before anything changes.
    """
    table = build_fee_tax_table(dealer.currency, fees, taxes, tax_rounding_for(dealer.country))
    before = {"fees": ",".join(f"{f.code}={f.amount}" for f in fee_rows(session, dealer)),
              "taxes": ",".join(f"{t.code}={t.rate}" for t in tax_rows(session, dealer))}
    # Delete first and flush: the unit of work would otherwise insert before deleting and trip the
    # (dealer_id, code) unique constraint when a code is kept.
    session.execute(delete(FeeSetting).where(FeeSetting.dealer_id == dealer.id))
    session.execute(delete(TaxSetting).where(TaxSetting.dealer_id == dealer.id))
    session.flush()
    for position, fee in enumerate(table.fees):
        session.add(FeeSetting(dealer_id=dealer.id, position=position, code=fee.code, name=fee.name, amount=fee.amount, taxable=fee.taxable))
    for position, tax in enumerate(table.taxes):
        session.add(
            TaxSetting(
                dealer_id=dealer.id, position=position, code=tax.code, name=tax.name, rate=tax.rate, bases=sorted(tax.bases),
                included_in_price=tax.included_in_price, trade_in_credit=tax.trade_in_credit,
            )
        )
    session.flush()
    after = {"fees": ",".join(f"{f.code}={f.amount}" for f in table.fees), "taxes": ",".join(f"{t.code}={t.rate}" for t in table.taxes)}
    audit.record(session, "settings.fee_tax_table", object_type="FeeTaxTable", object_id=dealer.id, before=before, after=after)
    return table


# --- preset additional discounts -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PresetInput:
    """A preset discount as entered; codes are published catalog model/trim codes, ``conditions`` stock conditions."""

    name: str
    kind: str
    value: Decimal
    model_codes: tuple[str, ...] = ()
    trim_codes: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    stackable: bool = False
    active: bool = True
    conditions: tuple[str, ...] = ()


def presets(session: Session, dealer: Dealer) -> list[PresetDiscount]:
    """Return the dealer's preset discounts, active first, by name."""
    query = select(PresetDiscount).where(PresetDiscount.dealer_id == dealer.id)
    return list(session.scalars(query.order_by(PresetDiscount.active.desc(), PresetDiscount.name)))


def _published_models(session: Session) -> list[dict]:
    release = published_catalog(session)
    return list(release.snapshot.get("models", [])) if release is not None else []


def preset_catalog_index(session: Session) -> CatalogIndex:
    """Return the brand's published models and trims (``domain.preset_discounts.CatalogIndex``); empty when none."""
    return CatalogIndex.from_models(_published_models(session))


@dataclass(frozen=True, slots=True)
class TrimChoice:
    """A published trim as a preset form offers it: ``code`` and its name in the reader's language."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """A published model as a preset form offers it: ``code``, name in the reader's language, its trims."""

    code: str
    label: str
    trims: tuple[TrimChoice, ...]


def preset_choices(session: Session, locale: str | None) -> list[ModelChoice]:
    """Return the published models with their trims, in catalog order, named in ``locale`` (for the preset form)."""
    return [
        ModelChoice(m["code"], localized(m.get("name_i18n"), locale, m["name"]),
                    tuple(TrimChoice(t["code"], localized(t.get("name_i18n"), locale, t["name"])) for t in m.get("trims", [])))
        for m in _published_models(session)
    ]


def _codes(values: Sequence[str], known: Sequence[str] = ()) -> list[str]:
    """Return the trimmed, de-duplicated codes; a code the catalog has in another case takes the catalog's spelling."""
    spelling = {code.casefold(): code for code in known}
    seen: list[str] = []
    for value in values:
        code = value.strip()
        code = spelling.get(code.casefold(), code.upper())
        if code and code not in seen:
            seen.append(code)
    return seen


def scope_of(preset: PresetDiscount) -> PresetScope:
    """Return the stored preset's ``domain.preset_discounts.PresetScope``."""
    return PresetScope(tuple(preset.model_codes or ()), tuple(preset.trim_codes or ()), tuple(preset.conditions or ()))


def _scope_error(problems: ScopeProblems) -> SettingsError:
    if problems.unknown_models:
        return SettingsError(_l("Not in the brand's published catalog: %(codes)s. Choose the models from the list.",
                                codes=", ".join(problems.unknown_models)), "model_codes")
    if problems.unknown_trims:
        return SettingsError(_l("Not in the brand's published catalog: %(codes)s. Choose the trims from the list.",
                                codes=", ".join(problems.unknown_trims)), "trim_codes")
    if problems.foreign_trims:
        return SettingsError(_l("Not a trim of the chosen models: %(codes)s.", codes=", ".join(problems.foreign_trims)), "trim_codes")
    return SettingsError(_l("Unknown stock condition: %(codes)s.", codes=", ".join(problems.unknown_conditions)), "conditions")


def save_preset(session: Session, dealer: Dealer, preset: PresetDiscount | None, data: PresetInput) -> PresetDiscount:
    """Create (``preset`` None) or update a preset discount.

    Raises ``SettingsError`` for an empty or duplicate name, an unknown kind, a value ≤ 0, a percent
    over 100, an amount with too many decimals, a validity that ends before it starts, a model or
    trim code the brand's published catalog does not have (field ``model_codes`` / ``trim_codes``),
    a trim outside the chosen models, or an unknown stock condition (``conditions``) —
    ``domain.preset_discounts`` rules. Nothing is changed when it raises.
    """
    name = data.name.strip()
    if not name:
        raise SettingsError(_l("Enter a name."), "name")
    duplicate = session.scalar(select(PresetDiscount).where(PresetDiscount.dealer_id == dealer.id, PresetDiscount.name == name))
    if duplicate is not None and duplicate is not preset:
        raise SettingsError(_l("Another preset discount already has this name."), "name")
    if data.kind not in DISCOUNT_KINDS:
        raise SettingsError(_l("Choose amount or percent."), "kind")
    if data.value <= 0:
        raise SettingsError(_l("The discount must be greater than 0."), "value")
    if data.kind == "percent" and data.value > 100:
        raise SettingsError(_l("A percentage discount must be at most 100."), "value")
    if data.kind == "amount":
        _check_money(data.value, dealer, "value")
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        raise SettingsError(_l("The end date is before the start date."), "valid_until")
    index = preset_catalog_index(session)
    conditions = [v.strip().lower() for v in data.conditions if v.strip()]
    scope = PresetScope(
        tuple(_codes(data.model_codes, list(index.models))), tuple(_codes(data.trim_codes, list(index.trims))),
        # Known conditions in display order, then any unknown ones (refused just below).
        tuple(c for c in STOCK_CONDITIONS if c in conditions) + tuple(dict.fromkeys(c for c in conditions if c not in STOCK_CONDITIONS)),
    )
    problems = scope.problems(index, STOCK_CONDITIONS)
    if problems:
        raise _scope_error(problems)
    values = {
        "name": name,
        "kind": data.kind,
        "value": data.value,
        "model_codes": list(scope.model_codes),
        "trim_codes": list(scope.trim_codes),
        "conditions": list(scope.conditions),
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "stackable": data.stackable,
        "active": data.active,
    }
    if preset is None:
        preset = PresetDiscount(dealer_id=dealer.id, **values)
        session.add(preset)
        session.flush()
        audit.record(session, "settings.preset_discount.create", preset, after=values)
    else:
        before, after = audit.changes(preset, list(values), values)
        for key, value in values.items():
            setattr(preset, key, value)
        session.flush()
        if after:
            audit.record(session, "settings.preset_discount.update", preset, before=before, after=after)
    return preset


@dataclass(frozen=True, slots=True)
class PresetReach:
    """Where one preset applies today, for the preset page.

    ``models`` / ``trims``: the names (reader's language) of the catalog models and trims it is
    limited to (empty = all); ``conditions``: its stock conditions (values, empty = any);
    ``stock_count``: how many cars in stock or in transit it matches (``domain.preset_discounts``
    stock matching); ``problems``: codes the published catalog no longer (or never) had — such a
    preset never applies to those codes and the page flags it.
    """

    models: tuple[str, ...]
    trims: tuple[str, ...]
    conditions: tuple[str, ...]
    stock_count: int
    problems: ScopeProblems

    @property
    def broken(self) -> bool:
        """Return True when the preset names a code the catalog does not have."""
        return bool(self.problems)


def preset_reach(session: Session, dealer: Dealer, rows: Sequence[PresetDiscount], locale: str | None) -> dict[int, PresetReach]:
    """Return ``{preset id: PresetReach}`` for ``rows``: catalog names, stock cars matched now, bad codes.

    Two reads: the published release and the dealer's cars in stock or in transit (model, trim,
    condition only).
    """
    choices = preset_choices(session, locale)
    index = preset_catalog_index(session)
    model_labels = {m.code: m.label for m in choices}
    trim_labels = {t.code: f"{m.label} {t.label}" for m in choices for t in m.trims}
    cars = session.execute(
        select(StockVehicle.model, StockVehicle.trim, StockVehicle.condition)
        .where(StockVehicle.dealer_id == dealer.id, StockVehicle.status.in_(list(ONLINE_STATUSES)))
    ).all()
    matched = [(*index.match_stock(model, trim), condition.value) for model, trim, condition in cars]
    result = {}
    for row in rows:
        scope = scope_of(row)
        result[row.id] = PresetReach(
            models=tuple(model_labels[c] for c in scope.model_codes if c in model_labels),
            trims=tuple(trim_labels[c] for c in scope.trim_codes if c in trim_labels),
            conditions=scope.conditions,
            stock_count=sum(1 for car in matched if scope.applies(*car)),
            problems=scope.problems(index, STOCK_CONDITIONS),
        )
    return result


# --- offer approval --------------------------------------------------------------------------------


def approval_settings_for(session: Session, dealer: Dealer) -> ApprovalSettings:
    """Return the dealer's approval settings row (an unsaved default: both approver roles, no thresholds)."""
    return _singleton(session, ApprovalSettings, dealer, approver_roles=[r.value for r in ApproverRole])


def approval_policy_for(dealer: Dealer, session: Session | None = None) -> ApprovalPolicy:
    """Return the dealer's ``app.domain.approval.ApprovalPolicy`` for the offer workflow.

    ``session`` defaults to the dealer's own session; run inside the dealer's tenant scope. A dealer that
    never saved settings gets no thresholds and both approver roles.
    """
    session = session or Session.object_session(dealer)
    row = approval_settings_for(session, dealer)
    return ApprovalPolicy(
        currency=dealer.currency,
        threshold_amount=row.threshold_amount,
        threshold_percent=row.threshold_percent,
        minimum_gross=row.minimum_gross,
        approver_roles=frozenset(row.approver_roles or [r.value for r in ApproverRole]),
        unknown_cost=row.unknown_cost_rule or UnknownCostRule.REQUIRE_APPROVAL,
    )


def save_approval_settings(
    session: Session,
    dealer: Dealer,
    *,
    threshold_amount: Decimal | None,
    threshold_percent: Decimal | None,
    minimum_gross: Decimal | None,
    approver_roles: Sequence[str],
    unknown_cost_rule: str | None = None,
) -> ApprovalSettings:
    """Validate through ``ApprovalPolicy`` and store; raises ``SettingsError`` naming the field.

    ``unknown_cost_rule``: an ``UnknownCostRule`` value for stock cars without a cost; None keeps the
    stored rule (``require_approval`` for a dealer that never chose).
    """
    row = approval_settings_for(session, dealer)
    rule = unknown_cost_rule if unknown_cost_rule is not None else (row.unknown_cost_rule or UnknownCostRule.REQUIRE_APPROVAL)
    try:
        policy = ApprovalPolicy(dealer.currency, threshold_amount, threshold_percent, minimum_gross, frozenset(approver_roles),
                                rule)
    except ApprovalError as exc:
        if exc.field == "unknown_cost":
            raise SettingsError(_l("Choose what a stock car without a cost means."), "unknown_cost_rule") from exc
        raise SettingsError(str(exc), exc.field) from exc
    values = {
        "threshold_amount": policy.threshold_amount,
        "threshold_percent": policy.threshold_percent,
        "minimum_gross": policy.minimum_gross,
        "approver_roles": sorted(r.value for r in policy.approver_roles),
        "unknown_cost_rule": policy.unknown_cost.value,
    }
    before, after = audit.changes(row, list(values), values)
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    audit.record(session, "settings.approval", row, before=before, after=after)
    return row


# --- reservation payment ---------------------------------------------------------------------------


def reservation_settings_for(session: Session, dealer: Dealer) -> ReservationSettings:
    """Return the dealer's reservation settings (an unsaved default when never set)."""
    return _singleton(session, ReservationSettings, dealer, default_deposit=Decimal(0), refundable=True, payment_methods=[])


def model_deposits(session: Session, dealer: Dealer) -> list[ModelDeposit]:
    """Return the per-model deposits by model code."""
    return list(session.scalars(select(ModelDeposit).where(ModelDeposit.dealer_id == dealer.id).order_by(ModelDeposit.model_code)))


def deposit_for(session: Session, dealer: Dealer, model_code: str) -> Decimal:
    """Return the reservation deposit for ``model_code``: its own amount, else the dealer default (0 when unset)."""
    row = session.scalar(select(ModelDeposit).where(ModelDeposit.dealer_id == dealer.id, ModelDeposit.model_code == model_code.upper()))
    if row is not None:
        return row.amount
    return reservation_settings_for(session, dealer).default_deposit or Decimal(0)


@dataclass(frozen=True, slots=True)
class ReservationInput:
    """Reservation settings as entered. ``provider_secret`` empty = keep the stored secret."""

    default_deposit: Decimal
    refundable: bool
    refundable_days: int | None
    payment_methods: tuple[str, ...]
    provider_name: str = ""
    merchant_id: str = ""
    provider_secret: str = ""
    clear_secret: bool = False
    deposits: tuple[tuple[str, Decimal], ...] = field(default_factory=tuple)


def save_reservation_settings(session: Session, dealer: Dealer, config, data: ReservationInput) -> ReservationSettings:
    """Validate and store the reservation settings and per-model deposits; encrypt a new provider secret.

    ``config`` is the Flask config (for ``field_crypto``). Raises ``SettingsError`` for a negative or
    over-precise deposit (field ``default_deposit`` or group ``deposits``), a model code twice, a
    negative refund window, or an unknown payment method.
    """
    _check_money(data.default_deposit, dealer, "default_deposit")
    if data.refundable_days is not None and data.refundable_days < 0:
        raise SettingsError(_l("Enter 0 or more days."), "refundable_days")
    if set(data.payment_methods) - set(PAYMENT_METHODS):
        raise SettingsError(_l("Unknown payment method."), "payment_methods")
    seen: set[str] = set()
    for index, (code, amount) in enumerate(data.deposits):
        code = code.strip().upper()
        if not code:
            raise SettingsError(_l("Enter the model code."), "model_code", group="deposits", row=index)
        if code in seen:
            raise SettingsError(_l("This model already has a deposit above."), "model_code", group="deposits", row=index)
        seen.add(code)
        try:
            _check_money(amount, dealer, "amount")
        except SettingsError as exc:
            raise SettingsError(str(exc), "amount", group="deposits", row=index) from exc
    row = reservation_settings_for(session, dealer)
    before = {
        "deposit": row.default_deposit, "refundable": row.refundable, "days": row.refundable_days,
        "methods": row.payment_methods, "provider": row.provider_name, "merchant": row.merchant_id,
    }
    row.default_deposit = data.default_deposit
    row.refundable = data.refundable
    row.refundable_days = data.refundable_days if data.refundable else None
    row.payment_methods = [m for m in PAYMENT_METHODS if m in data.payment_methods]
    row.provider_name = data.provider_name.strip()
    row.merchant_id = data.merchant_id.strip()
    secret_changed = False
    if data.clear_secret:
        row.provider_secret_encrypted, row.provider_secret_last4 = "", ""
        secret_changed = True
    elif data.provider_secret.strip():
        secret = data.provider_secret.strip()
        row.provider_secret_encrypted = field_crypto.encrypt(config, secret)
        row.provider_secret_last4 = secret[-4:] if len(secret) >= 12 else ""
        secret_changed = True
    session.add(row)
    session.execute(delete(ModelDeposit).where(ModelDeposit.dealer_id == dealer.id))
    session.flush()
    for code, amount in data.deposits:
        session.add(ModelDeposit(dealer_id=dealer.id, model_code=code.strip().upper(), amount=amount))
    session.flush()
    after = {
        "deposit": row.default_deposit, "refundable": row.refundable, "days": row.refundable_days,
        "methods": row.payment_methods, "provider": row.provider_name, "merchant": row.merchant_id,
        "deposits": ",".join(f"{c.strip().upper()}={a}" for c, a in data.deposits),
    }
    # The secret itself never reaches the audit trail; only that it changed.
    if secret_changed:
        after["secret"] = "changed" if row.provider_secret_encrypted else "removed"
    audit.record(session, "settings.reservation", row, before=before, after=after)
    return row


def provider_secret(session: Session, dealer: Dealer, config) -> str | None:
    """Return the decrypted payment-provider secret for the payment integration, or None when unset."""
    row = reservation_settings_for(session, dealer)
    if not row.provider_secret_encrypted:
        return None
    return field_crypto.decrypt(config, row.provider_secret_encrypted)


# --- delivery --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotInput:
    """A weekly slot as entered: weekday 0 = Monday, local times, capacity in cars."""

    weekday: int
    start: time
    end: time
    capacity: int


@dataclass(frozen=True, slots=True)
class ClosureInput:
    """A closure as entered: first day, optional last day, reason."""

    first_day: date
    last_day: date | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryInput:
    """Delivery settings as entered."""

    showroom_pickup: bool
    home_delivery: bool
    radius_km: Decimal
    home_delivery_fee: Decimal
    lead_time_days: int
    slots: tuple[SlotInput, ...] = ()
    closures: tuple[ClosureInput, ...] = ()


def _delivery_message(exc: DeliverySettingsError) -> str:
    text = str(exc)
    if "overlap" in text:
        return _l("This slot overlaps another slot on the same day.")
    if "end after it starts" in text:
        return _l("The slot must end after it starts.")
    if "before it starts" in text:
        return _l("The last day is before the first day.")
    if exc.field == "methods":
        return _l("Offer showroom pickup, home delivery, or both.")
    return text


def _origin(dealer: Dealer) -> GeoPoint:
    return GeoPoint(dealer.latitude if dealer.latitude is not None else Decimal(0), dealer.longitude if dealer.longitude is not None else Decimal(0))


def build_delivery_settings(dealer: Dealer, data: DeliveryInput) -> DeliverySettings:
    """Return the domain ``DeliverySettings`` for ``data``, or raise ``SettingsError`` on the first bad field or row.

    Slots are added one at a time so an overlap is reported on the slot that causes it.
    """
    try:
        terms = (
            HomeDeliveryTerms(_origin(dealer), data.radius_km, data.home_delivery_fee, dealer.currency) if data.home_delivery else None
        )
        base = DeliverySettings(dealer.timezone, data.lead_time_days, data.showroom_pickup, terms)
    except DeliverySettingsError as exc:
        name = {"fee": "home_delivery_fee"}.get(exc.field, exc.field)
        raise SettingsError(_delivery_message(exc), name) from exc
    slots: list[SlotTemplate] = []
    for index, slot in enumerate(data.slots):
        try:
            slots.append(SlotTemplate(slot.weekday, slot.start, slot.end, slot.capacity))
            DeliverySettings(dealer.timezone, data.lead_time_days, data.showroom_pickup, terms, tuple(slots))
        except DeliverySettingsError as exc:
            name = "start" if exc.field == "slots" else exc.field
            raise SettingsError(_delivery_message(exc), name, group="slots", row=index) from exc
    closures: list[Closure] = []
    for index, closure in enumerate(data.closures):
        try:
            closures.append(Closure(closure.first_day, closure.last_day, closure.reason.strip()))
        except DeliverySettingsError as exc:
            raise SettingsError(_delivery_message(exc), exc.field, group="closures", row=index) from exc
    return DeliverySettings(base.timezone, base.lead_time_days, base.showroom_pickup, terms, tuple(slots), tuple(closures))


def delivery_config_for(session: Session, dealer: Dealer) -> DeliveryConfig:
    """Return the dealer's delivery configuration row (an unsaved default: pickup only)."""
    return _singleton(session, DeliveryConfig, dealer, showroom_pickup=True, home_delivery=False, radius_km=Decimal(0),
                      home_delivery_fee=Decimal(0), lead_time_days=0)


def slot_rows(session: Session, dealer: Dealer) -> list[DeliverySlotSetting]:
    """Return the weekly slots by weekday and start."""
    query = select(DeliverySlotSetting).where(DeliverySlotSetting.dealer_id == dealer.id)
    return list(session.scalars(query.order_by(DeliverySlotSetting.weekday, DeliverySlotSetting.start)))


def closure_rows(session: Session, dealer: Dealer) -> list[DeliveryClosure]:
    """Return the closures by first day."""
    query = select(DeliveryClosure).where(DeliveryClosure.dealer_id == dealer.id)
    return list(session.scalars(query.order_by(DeliveryClosure.first_day)))


def delivery_input_for(session: Session, dealer: Dealer) -> DeliveryInput:
    """Return the stored delivery settings as a ``DeliveryInput`` (what the form shows)."""
    config = delivery_config_for(session, dealer)
    return DeliveryInput(
        showroom_pickup=config.showroom_pickup,
        home_delivery=config.home_delivery,
        radius_km=config.radius_km,
        home_delivery_fee=config.home_delivery_fee,
        lead_time_days=config.lead_time_days,
        slots=tuple(SlotInput(s.weekday, s.start, s.end, s.capacity) for s in slot_rows(session, dealer)),
        closures=tuple(ClosureInput(c.first_day, c.last_day, c.reason) for c in closure_rows(session, dealer)),
    )


def delivery_settings_for(session: Session, dealer: Dealer) -> DeliverySettings:
    """Return the dealer's stored delivery settings as ``app.domain.delivery_slots.DeliverySettings``."""
    return build_delivery_settings(dealer, delivery_input_for(session, dealer))


def save_delivery_settings(session: Session, dealer: Dealer, data: DeliveryInput) -> DeliverySettings:
    """Validate the whole delivery setup through the domain, then replace the stored one; return the domain value."""
    settings = build_delivery_settings(dealer, data)
    config = delivery_config_for(session, dealer)
    before = {"pickup": config.showroom_pickup, "home": config.home_delivery, "radius": config.radius_km,
              "fee": config.home_delivery_fee, "lead": config.lead_time_days, "slots": len(slot_rows(session, dealer)),
              "closures": len(closure_rows(session, dealer))}
    config.showroom_pickup = data.showroom_pickup
    config.home_delivery = data.home_delivery
    config.radius_km = data.radius_km
    config.home_delivery_fee = data.home_delivery_fee
    config.lead_time_days = data.lead_time_days
    session.add(config)
    session.execute(delete(DeliverySlotSetting).where(DeliverySlotSetting.dealer_id == dealer.id))
    session.execute(delete(DeliveryClosure).where(DeliveryClosure.dealer_id == dealer.id))
    session.flush()
    for slot in settings.slots:
        session.add(DeliverySlotSetting(dealer_id=dealer.id, weekday=int(slot.weekday), start=slot.start, end=slot.end, capacity=slot.capacity))
    for closure in settings.closures:
        session.add(DeliveryClosure(dealer_id=dealer.id, first_day=closure.first_day, last_day=closure.last_day, reason=closure.reason))
    session.flush()
    after = {"pickup": data.showroom_pickup, "home": data.home_delivery, "radius": data.radius_km, "fee": data.home_delivery_fee,
             "lead": data.lead_time_days, "slots": len(settings.slots), "closures": len(settings.closures)}
    audit.record(session, "settings.delivery", config, before=before, after=after)
    return settings

