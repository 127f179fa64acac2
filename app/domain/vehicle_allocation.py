"""Allocating a configured (catalog) car to a physical car: which stock car fits, which factory VIN is usable.

A deal opened from a catalog offer sells a configuration (model, trim, colours, options), not a car.
Before the contract and the handover the dealer allocates it (``services.vehicle_allocation``) either
to a car of its own stock or to a VIN the factory announced for the order. Rules (documented choices):

* **A stock car fits** when it is new and its model and trim are the configured ones. The stock
  row's free model/trim text is matched to catalog codes through the published catalog's index
  (``domain.preset_discounts.CatalogIndex.match_stock``: codes and every translated name, folded);
  without that index the folded texts are compared with the configured codes and names. A model
  without a matching trim does not fit: a different trim is a different car at a different price.
  Colours and options are shown to staff, not enforced (the customer may agree to another colour).
* **A factory VIN** passes ``domain.vin.check_vin`` (17 characters, the VIN alphabet, the check digit
  where the region requires it or the maker code is unknown); its warnings do not refuse it.
  Messages are gettext ids with parameters (``AllocationError``), so views word them in the reader's
  language; the VIN module's own English sentences are not shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.messages import N_
from app.domain.preset_discounts import CatalogIndex, fold
from app.domain.vin import IssueCode, check_vin


class AllocationError(ValueError):
    """An allocation the rules refuse: ``msgid`` (gettext id with ``%(name)s``), ``params``, the offending ``field``.

    ``str(exc)`` is the English text; views translate with ``_(exc.msgid, **exc.params)``.
    """

    def __init__(self, msgid: str, field: str | None = None, **params: Any) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.field = field
        self.params = params


@dataclass(frozen=True, slots=True)
class ConfiguredCar:
    """What the customer configured: catalog ``model_code``/``trim_code`` and the names the offer printed."""

    model_code: str
    trim_code: str
    model_name: str = ""
    trim_name: str = ""

    @classmethod
    def from_snapshot(cls, vehicle: Mapping[str, Any]) -> ConfiguredCar:
        """Return the configured car of an offer snapshot's ``vehicle`` dict (``offer_builder._catalog_vehicle``)."""
        return cls(
            model_code=str(vehicle.get("model_code") or ""), trim_code=str(vehicle.get("trim_code") or ""),
            model_name=str(vehicle.get("model") or ""), trim_name=str(vehicle.get("trim") or ""),
        )


def stock_fits(car: ConfiguredCar, *, model: str | None, trim: str | None, condition: str,
               index: CatalogIndex | None = None) -> bool:
    """Return True when a stock car (free ``model``/``trim`` text, ``condition`` value) is the configured car.

    Needs a new car (``condition == "new"``) whose model and trim match (module docstring); ``index``
    is the published catalog's ``CatalogIndex`` when one is at hand.
    """
    if condition != "new" or not fold(model) or not fold(trim):
        return False
    if index is not None and index.published:
        model_code, trim_code = index.match_stock(model, trim)
        if model_code is not None:
            return fold(model_code) == fold(car.model_code) and trim_code is not None and fold(trim_code) == fold(car.trim_code)
    models = {fold(car.model_code), fold(car.model_name)} - {""}
    trims = {fold(car.trim_code), fold(car.trim_name)} - {""}
    return fold(model) in models and fold(trim) in trims


_VIN_MESSAGES = {
    IssueCode.MISSING: N_("Enter the VIN the factory gave for this order."),
    IssueCode.STOCK_NUMBER_LIKE: N_("%(vin)s looks like a stock number, not a VIN (a VIN has 17 characters)."),
    IssueCode.LENGTH: N_("%(vin)s is not a VIN: a VIN has 17 characters, this has %(count)s."),
    IssueCode.ALPHABET: N_("%(vin)s is not a VIN: a VIN uses only A–Z and 0–9, without I, O and Q."),
    IssueCode.CHECK_DIGIT: N_("%(vin)s fails the VIN check digit (position 9): look for a typo."),
}


def check_factory_vin(raw: str | None) -> str:
    """Return the normalised VIN of ``raw`` (stripped, upper-case) or raise ``AllocationError`` (field ``vin``).

    Refused: missing, a stock number, not 17 characters, outside the VIN alphabet, a wrong check digit
    where ``domain.vin`` requires it. Warnings of ``check_vin`` (year code, unknown maker…) pass.
    """
    result = check_vin(raw)
    if result.vin is not None:
        return result.vin
    issue = result.errors[0]
    shown = (result.normalized or "")[:40]
    return _raise(issue.code, shown)


def _raise(code: IssueCode, shown: str) -> str:
    msgid = _VIN_MESSAGES.get(code, N_("%(vin)s is not a valid VIN."))
    params: dict[str, Any] = {"vin": shown} if "%(vin)s" in msgid else {}
    if "%(count)s" in msgid:
        params["count"] = len(shown)
    raise AllocationError(msgid, "vin", **params)
