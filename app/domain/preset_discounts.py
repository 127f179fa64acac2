"""Where a dealer's preset discount applies: catalog models and trims, stock conditions, stock cars.

Rules (issue 11, item 4 — a preset naming "IONIQ5" while the catalog code is NE1 never applied):

* A preset names models and trims by the **codes of the brand's published catalog** (``NE1``,
  ``NE1-LR-PRES``); both empty = every model. A trim code must belong to one of the chosen models
  when models are chosen: with models *and* trims the preset needs both to match, so a trim of
  another model would never apply. Codes, not ids, so a re-published catalog keeps the preset.
* ``conditions`` are the stock conditions it is for (``new``, ``used``, ``cpo``, ``demo``,
  ``lease_takeover`` — ``app.imports.values.VehicleCondition``); empty = any condition. A car
  configured from the catalog (a factory order) is ``new``.
* A **stock car** carries free text (``model="Ioniq 5"``, ``trim="Long Range Prestige"``), not codes.
  It matches a catalog model when its folded model text equals the folded code, name or a
  translated name of the model (fold: Unicode NFKC, case-folded, letters and digits only, so
  "Ioniq 5", "IONIQ-5" and "ioniq5" agree), and a trim of that model the same way. A stock car
  that matches no model has no codes: a preset limited to models or trims never applies to it.

Pure Python: the service layer reads the published release and the stock rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: The condition of a car configured from the catalog (a factory order).
CATALOG_CONDITION = "new"


def fold(text: str | None) -> str:
    """Return ``text`` folded for matching: NFKC, case-folded, only letters and digits ("Ioniq 5" → "ioniq5")."""
    normal = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in normal if ch.isalnum())


@dataclass(frozen=True, slots=True)
class CatalogTrim:
    """A published trim: its ``code``, its model's code and the names it is known by (any language)."""

    code: str
    model_code: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogModel:
    """A published model: ``code``, names (any language) and its trim codes in catalog order."""

    code: str
    names: tuple[str, ...] = ()
    trim_codes: tuple[str, ...] = ()


def _names(item: Mapping) -> tuple[str, ...]:
    i18n = item.get("name_i18n") or {}
    return tuple(n for n in (item.get("name"), *i18n.values()) if n)


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    """The published models and trims by code, with folded names for matching stock cars.

    Build it with ``from_models`` from a release snapshot's ``models`` list (each
    ``{"code", "name", "name_i18n", "trims": [{"code", "name", "name_i18n"}, …]}``).
    """

    models: Mapping[str, CatalogModel] = field(default_factory=dict)
    trims: Mapping[str, CatalogTrim] = field(default_factory=dict)

    @classmethod
    def from_models(cls, models: Iterable[Mapping]) -> CatalogIndex:
        """Return the index of a snapshot's ``models`` list (empty list: nothing published)."""
        by_model: dict[str, CatalogModel] = {}
        by_trim: dict[str, CatalogTrim] = {}
        for m in models:
            trims = [t for t in m.get("trims", ()) if t.get("code")]
            by_model[m["code"]] = CatalogModel(m["code"], _names(m), tuple(t["code"] for t in trims))
            for t in trims:
                by_trim[t["code"]] = CatalogTrim(t["code"], m["code"], _names(t))
        return cls(by_model, by_trim)

    @property
    def published(self) -> bool:
        """Return True when the brand has published at least one model."""
        return bool(self.models)

    def match_stock(self, model_text: str | None, trim_text: str | None) -> tuple[str | None, str | None]:
        """Return the ``(model code, trim code)`` a stock car's model and trim text name, None where nothing matches.

        The trim is looked for only among the matched model's trims.
        """
        wanted = fold(model_text)
        if not wanted:
            return None, None
        model = next((m for m in self.models.values() if wanted in {fold(m.code), *map(fold, m.names)}), None)
        if model is None:
            return None, None
        trim_key = fold(trim_text)
        if not trim_key:
            return model.code, None
        for code in model.trim_codes:
            trim = self.trims[code]
            if trim_key in {fold(trim.code), *map(fold, trim.names)}:
                return model.code, code
        return model.code, None


@dataclass(frozen=True, slots=True)
class ScopeProblems:
    """What is wrong with a preset's scope: codes the catalog does not have, trims outside the chosen models.

    Each field is a tuple of the offending codes, in the preset's order; empty everywhere = fine.
    """

    unknown_models: tuple[str, ...] = ()
    unknown_trims: tuple[str, ...] = ()
    foreign_trims: tuple[str, ...] = ()
    unknown_conditions: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.unknown_models or self.unknown_trims or self.foreign_trims or self.unknown_conditions)


@dataclass(frozen=True, slots=True)
class PresetScope:
    """The vehicles a preset is for: catalog ``model_codes``, ``trim_codes`` and stock ``conditions`` (empty = any)."""

    model_codes: tuple[str, ...] = ()
    trim_codes: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()

    @property
    def every_vehicle(self) -> bool:
        """Return True when the preset is limited to no model, trim or condition."""
        return not (self.model_codes or self.trim_codes or self.conditions)

    def applies(self, model_code: str | None, trim_code: str | None, condition: str | None) -> bool:
        """Return True when a vehicle of these catalog codes and stock condition is in scope.

        ``model_code`` / ``trim_code`` None: the vehicle matches no catalog model or trim (a stock
        car of another make, say), so it is outside any preset limited to models or trims.
        """
        if self.model_codes and model_code not in self.model_codes:
            return False
        if self.trim_codes and trim_code not in self.trim_codes:
            return False
        return not (self.conditions and condition not in self.conditions)

    def problems(self, index: CatalogIndex, known_conditions: Sequence[str]) -> ScopeProblems:
        """Return the codes of this scope that ``index`` (the published catalog) and ``known_conditions`` refuse."""
        unknown_models = tuple(c for c in self.model_codes if c not in index.models)
        unknown_trims = tuple(c for c in self.trim_codes if c not in index.trims)
        foreign = ()
        if self.model_codes:
            foreign = tuple(c for c in self.trim_codes if c in index.trims and index.trims[c].model_code not in self.model_codes)
        unknown_conditions = tuple(c for c in self.conditions if c not in known_conditions)
        return ScopeProblems(unknown_models, unknown_trims, foreign, unknown_conditions)
