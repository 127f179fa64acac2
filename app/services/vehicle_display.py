"""Vehicle display: which published models, trims and colors a dealer shows online, in which order,
and at which price.

Everything is read from the brand's latest published release (``services.catalog.published_catalog``),
never from the draft catalog tables, so a half-edited or unpublished model is never visible here.
The dealer's choices are stored by catalog code (``DealerDisplayModel``, ``DealerDisplayTrim``,
``DealerHiddenColor``): codes survive re-publishing. A model is shown only once the dealer opts in;
the trims and colors of a shown model are shown unless the dealer hides them, so a trim added in a
later release appears at MSRP without any action. Prices follow ``app.domain.dealer_pricing``.

Writers validate first, change rows, audit-log and flush; the view commits. ``UnknownCode`` (the code
is not in the published release) becomes a 404 in the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.dealer_pricing import PriceProblem, PriceRange, effective_price, price_problem
from app.domain.money import quantum
from app.i18n import money
from app.models.accounts import Dealer
from app.models.catalog import localized
from app.models.dealer_settings import DealerDisplayModel, DealerDisplayTrim, DealerHiddenColor
from app.services import audit
from app.services.catalog import published_catalog
from app.services.dealer_settings import SettingsError


class UnknownCode(LookupError):
    """A model, trim or color code that the brand's published catalog does not contain."""


@dataclass(frozen=True, slots=True)
class DisplayColor:
    """A color offered on a model (exterior or interior) and whether the dealer shows it."""

    code: str
    name: str
    name_i18n: dict
    kind: str
    swatch_hex: str
    shown: bool

    def label(self, locale: str | None) -> str:
        """Return the color name in ``locale``."""
        return localized(self.name_i18n, locale, self.name)


@dataclass(frozen=True, slots=True)
class DisplayTrim:
    """A published trim with the dealer's choices and its effective selling ``price``.

    ``data`` is the trim's release snapshot dict (specs, colors with surcharges, features).
    ``stored_price`` is the dealer's saved price (None = MSRP); ``dealer_priced`` is True when
    ``price`` is that stored price; ``stored_price_ignored`` flags a saved price the release no
    longer allows (MSRP applies).
    """

    code: str
    name: str
    name_i18n: dict
    msrp: Decimal
    price_range: PriceRange
    stored_price: Decimal | None
    price: Decimal
    dealer_priced: bool
    shown: bool
    data: dict

    @property
    def stored_price_ignored(self) -> bool:
        """Return True when the dealer saved a price that the current release does not allow."""
        return self.stored_price is not None and not self.dealer_priced

    def label(self, locale: str | None) -> str:
        """Return the trim name in ``locale``."""
        return localized(self.name_i18n, locale, self.name)


@dataclass(frozen=True, slots=True)
class DisplayModel:
    """A published model with the dealer's choices: shown, position, its trims and colors."""

    code: str
    name: str
    name_i18n: dict
    model_year: int
    category: str
    shown: bool
    position: int
    trims: tuple[DisplayTrim, ...]
    colors: tuple[DisplayColor, ...]
    data: dict

    def label(self, locale: str | None) -> str:
        """Return the model name in ``locale``."""
        return localized(self.name_i18n, locale, self.name)


@dataclass(frozen=True, slots=True)
class DisplayCatalog:
    """What a dealer shows (or could show): the release version and the models in display order."""

    release_version: int | None
    models: tuple[DisplayModel, ...]


def _decimal(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def _release_models(session: Session) -> tuple[int | None, list[dict]]:
    release = published_catalog(session)
    if release is None:
        return None, []
    return release.version, list(release.snapshot.get("models", []))


def display_settings(session: Session, dealer: Dealer) -> DisplayCatalog:
    """Return every published model with the dealer's display choices, for the settings page.

    Order: shown models by the dealer's position, then the others in catalog order. Trims keep
    the catalog order; a model's colors are the union over its trims (exterior first, by code).
    """
    version, models = _release_models(session)
    rows = {r.model_code: r for r in session.scalars(select(DealerDisplayModel))}
    trims = {r.trim_code: r for r in session.scalars(select(DealerDisplayTrim))}
    hidden = {(r.model_code, r.color_code) for r in session.scalars(select(DealerHiddenColor))}
    result = []
    for index, m in enumerate(models):
        row = rows.get(m["code"])
        display_trims = []
        colors: dict[str, DisplayColor] = {}
        for t in m.get("trims", []):
            setting = trims.get(t["code"])
            allowed = PriceRange(_decimal(t.get("dealer_price_min")), _decimal(t.get("dealer_price_max")))
            msrp = Decimal(t["msrp"])
            stored = setting.selling_price if setting else None
            price, dealer_priced = effective_price(msrp, allowed, stored)
            display_trims.append(DisplayTrim(
                code=t["code"], name=t["name"], name_i18n=t.get("name_i18n") or {}, msrp=msrp, price_range=allowed,
                stored_price=stored, price=price, dealer_priced=dealer_priced,
                shown=setting.shown if setting else True, data=t,
            ))
            for kind in ("exterior", "interior"):
                for c in t.get(f"{kind}_colors", []):
                    colors.setdefault(c["code"], DisplayColor(
                        code=c["code"], name=c["name"], name_i18n=c.get("name_i18n") or {}, kind=kind,
                        swatch_hex=c.get("swatch_hex") or "#888888", shown=(m["code"], c["code"]) not in hidden,
                    ))
        ordered_colors = sorted(colors.values(), key=lambda c: (c.kind != "exterior", c.code))
        result.append((
            (0, row.position, index) if row and row.shown else (1, 0, index),
            DisplayModel(
                code=m["code"], name=m["name"], name_i18n=m.get("name_i18n") or {}, model_year=m.get("model_year"),
                category=m.get("category", ""), shown=bool(row and row.shown), position=row.position if row else 0,
                trims=tuple(display_trims), colors=tuple(ordered_colors), data=m,
            ),
        ))
    result.sort(key=lambda pair: pair[0])
    return DisplayCatalog(version, tuple(model for _key, model in result))


def displayed_catalog(session: Session, dealer: Dealer) -> DisplayCatalog:
    """Return what ``dealer`` shows online: shown models in display order, their shown trims at effective prices.

    Each trim's ``data`` keeps only the colors the dealer shows; a shown model whose trims are all
    hidden is left out. For the offer builder and the customer-facing configurator. Empty (version
    None) when the brand has published nothing.
    """
    settings = display_settings(session, dealer)
    models = []
    for m in settings.models:
        if not m.shown:
            continue
        hidden_colors = {c.code for c in m.colors if not c.shown}
        trims = []
        for t in m.trims:
            if not t.shown:
                continue
            data = dict(t.data)
            for kind in ("exterior_colors", "interior_colors"):
                data[kind] = [c for c in t.data.get(kind, []) if c["code"] not in hidden_colors]
            trims.append(DisplayTrim(
                code=t.code, name=t.name, name_i18n=t.name_i18n, msrp=t.msrp, price_range=t.price_range,
                stored_price=t.stored_price, price=t.price, dealer_priced=t.dealer_priced, shown=True, data=data,
            ))
        if trims:
            models.append(DisplayModel(
                code=m.code, name=m.name, name_i18n=m.name_i18n, model_year=m.model_year, category=m.category,
                shown=True, position=m.position, trims=tuple(trims),
                colors=tuple(c for c in m.colors if c.shown), data=m.data,
            ))
    return DisplayCatalog(settings.release_version, tuple(models))


# --- writes ---------------------------------------------------------------------------------------


def _published_model(session: Session, model_code: str) -> dict:
    _version, models = _release_models(session)
    for m in models:
        if m["code"] == model_code:
            return m
    raise UnknownCode(model_code)


def _published_trim(session: Session, trim_code: str) -> dict:
    _version, models = _release_models(session)
    for m in models:
        for t in m.get("trims", []):
            if t["code"] == trim_code:
                return t
    raise UnknownCode(trim_code)


def _offered_colors(model: dict) -> set[str]:
    return {c["code"] for t in model.get("trims", []) for kind in ("exterior_colors", "interior_colors")
            for c in t.get(kind, [])}


def check_published(session: Session, *, model_code: str | None = None, trim_code: str | None = None,
                    color_code: str | None = None) -> None:
    """Raise ``UnknownCode`` unless the latest release has the model, the trim, and the color on that model."""
    if model_code is not None:
        model = _published_model(session, model_code)
        if color_code is not None and color_code not in _offered_colors(model):
            raise UnknownCode(color_code)
    if trim_code is not None:
        _published_trim(session, trim_code)


def _shown_rows(session: Session) -> list[DealerDisplayModel]:
    """Return the dealer's shown model rows whose code is in the release, in display order."""
    _version, models = _release_models(session)
    catalog_index = {m["code"]: i for i, m in enumerate(models)}
    rows = [r for r in session.scalars(select(DealerDisplayModel).where(DealerDisplayModel.shown.is_(True)))
            if r.model_code in catalog_index]
    return sorted(rows, key=lambda r: (r.position, catalog_index[r.model_code]))


def set_model_shown(session: Session, dealer: Dealer, model_code: str, shown: bool) -> DealerDisplayModel:
    """Show (at the end of the order) or hide a published model; raises ``UnknownCode``. Audit-logged."""
    _published_model(session, model_code)
    row = session.scalar(select(DealerDisplayModel).where(DealerDisplayModel.model_code == model_code))
    if row is not None and row.shown == shown:
        return row
    if row is None:
        row = DealerDisplayModel(dealer_id=dealer.id, model_code=model_code, shown=shown, position=0)
        session.add(row)
    if shown:
        row.position = max((r.position for r in _shown_rows(session) if r is not row), default=-1) + 1
    row.shown = shown
    session.flush()
    audit.record(session, "settings.vehicle_display.model", row, before={"model": model_code, "shown": not shown},
                 after={"model": model_code, "shown": shown})
    return row


def move_model(session: Session, dealer: Dealer, model_code: str, step: int) -> None:
    """Move a shown model ``step`` places (-1 = up, +1 = down) in the display order; audit-logged.

    Raises ``UnknownCode`` for a code not published or not shown. Moving past either end is a no-op.
    Positions are renumbered 0..n-1 in the process.
    """
    _published_model(session, model_code)
    rows = _shown_rows(session)
    index = next((i for i, r in enumerate(rows) if r.model_code == model_code), None)
    if index is None:
        raise UnknownCode(model_code)
    target = index + step
    if not 0 <= target < len(rows) or step == 0:
        return
    rows.insert(target, rows.pop(index))
    for position, row in enumerate(rows):
        row.position = position
    session.flush()
    audit.record(session, "settings.vehicle_display.order", rows[target], before={"model": model_code, "position": index},
                 after={"model": model_code, "position": target})


def _trim_row(session: Session, dealer: Dealer, trim_code: str) -> DealerDisplayTrim:
    row = session.scalar(select(DealerDisplayTrim).where(DealerDisplayTrim.trim_code == trim_code))
    if row is None:
        row = DealerDisplayTrim(dealer_id=dealer.id, trim_code=trim_code, shown=True, selling_price=None)
        session.add(row)
    return row


def set_trim_shown(session: Session, dealer: Dealer, trim_code: str, shown: bool) -> DealerDisplayTrim:
    """Show or hide a published trim; raises ``UnknownCode``. Audit-logged."""
    _published_trim(session, trim_code)
    row = _trim_row(session, dealer, trim_code)
    before = row.shown if row.id is not None else True
    row.shown = shown
    session.flush()
    if before != shown:
        audit.record(session, "settings.vehicle_display.trim", row, before={"trim": trim_code, "shown": before},
                     after={"trim": trim_code, "shown": shown})
    return row


def set_color_shown(session: Session, dealer: Dealer, model_code: str, color_code: str, shown: bool) -> None:
    """Show or hide a color on a published model; raises ``UnknownCode`` when the model does not offer it."""
    check_published(session, model_code=model_code, color_code=color_code)
    row = session.scalar(select(DealerHiddenColor).where(DealerHiddenColor.model_code == model_code,
                                                         DealerHiddenColor.color_code == color_code))
    if shown and row is not None:
        audit.record(session, "settings.vehicle_display.color", row, before={"model": model_code, "color": color_code,
                                                                            "shown": False},
                     after={"model": model_code, "color": color_code, "shown": True})
        session.delete(row)
    elif not shown and row is None:
        row = DealerHiddenColor(dealer_id=dealer.id, model_code=model_code, color_code=color_code)
        session.add(row)
        session.flush()
        audit.record(session, "settings.vehicle_display.color", row, before={"model": model_code, "color": color_code,
                                                                            "shown": True},
                     after={"model": model_code, "color": color_code, "shown": False})
    session.flush()


def set_trim_price(session: Session, dealer: Dealer, trim_code: str, price: Decimal | None) -> DealerDisplayTrim:
    """Set the dealer's selling price of a published trim (None = back to MSRP); audit-logged.

    Raises ``UnknownCode``, or ``SettingsError`` (field ``price``) when the brand does not allow dealer
    pricing on the trim, the price is not above 0, has too many decimals for the dealer's currency,
    or lies outside the brand's min/max (inclusive). Nothing is changed when it raises.
    """
    trim = _published_trim(session, trim_code)
    allowed = PriceRange(_decimal(trim.get("dealer_price_min")), _decimal(trim.get("dealer_price_max")))
    if price is not None:
        problem = price_problem(price, allowed)
        if problem is PriceProblem.NOT_ALLOWED:
            raise SettingsError(_l("The brand sets this trim's price; it is sold at MSRP."), "price")
        if problem is PriceProblem.NOT_POSITIVE:
            raise SettingsError(_l("The price must be above 0."), "price")
        if problem is PriceProblem.BELOW_MIN:
            raise SettingsError(_l("The brand's lowest price for this trim is %(amount)s.",
                                   amount=money(allowed.low, dealer.currency)), "price")
        if problem is PriceProblem.ABOVE_MAX:
            raise SettingsError(_l("The brand's highest price for this trim is %(amount)s.",
                                   amount=money(allowed.high, dealer.currency)), "price")
        if price != price.quantize(quantum(dealer.currency)):
            raise SettingsError(_l("Too many decimals for %(currency)s.", currency=dealer.currency), "price")
    row = _trim_row(session, dealer, trim_code)
    before = row.selling_price
    row.selling_price = price
    session.flush()
    if before != price:
        audit.record(session, "settings.vehicle_display.price", row, before={"trim": trim_code, "price": before},
                     after={"trim": trim_code, "price": price})
    return row
