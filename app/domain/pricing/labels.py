"""Payment-scenario labels: stored as a language-neutral code + parameters, put into words when shown.

An offer is built in the consultant's UI language but read by the customer in the offer's language
(``Offer.locale``), on the customer page and in the PDF. The engine therefore records a standard
label as ``label_code`` (``cash``, ``finance_months``, ``lease_months``) with ``label_params``
(``{"months": 60}``) beside its English ``label``; ``payment_label`` translates the code with the
``gettext`` it is given — the reader's language. Snapshots saved before codes existed, and custom
labels, have no code: their stored ``label`` is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.domain.vehicle_names import clean_title, vehicle_title

CASH_LABEL = "cash"
FINANCE_LABEL = "finance_months"
LEASE_LABEL = "lease_months"


def _get(payment: Mapping[str, Any] | Any, name: str) -> Any:
    if isinstance(payment, Mapping):
        return payment.get(name)
    return getattr(payment, name, None)


def payment_label(payment: Mapping[str, Any] | Any, gettext: Callable[[str], str]) -> str:
    """Return the label of a priced payment scenario in ``gettext``'s language.

    ``payment``: a ``PaymentQuote`` or its snapshot dict. ``gettext``: a one-argument translator
    (``flask_babel.gettext`` under the wanted locale); placeholders are filled with ``%`` here.
    Unknown codes and missing parameters fall back to the stored ``label``.
    """
    code = _get(payment, "label_code") or ""
    params = _get(payment, "label_params") or {}
    stored = str(_get(payment, "label") or "")
    if code == CASH_LABEL:
        return gettext("Cash")
    months = params.get("months")
    if months is None:
        return stored
    if code == FINANCE_LABEL:
        return gettext("Finance %(n)s months") % {"n": months}
    if code == LEASE_LABEL:
        return gettext("Lease %(n)s months") % {"n": months}
    return stored


def customer_line_label(line: Mapping[str, Any] | Any, gettext: Callable[[str], str],
                        vehicle: Mapping[str, Any] | None = None) -> str:
    """Return the label of a priced offer line as the customer reads it (customer page and PDF).

    ``line``: a ``Line`` or its snapshot dict; ``vehicle``: the snapshot's vehicle dict. The engine's
    internal names give way to customer words: the consultant's "Manual discount" is an "Additional
    discount"; the vehicle line of a stock car is its cleaned name (``domain.vehicle_names``), not the
    listing's raw title. Every other line (colours, options, promotions, fees, taxes) keeps its own
    label, which is already the catalog's or the dealer's name for it.
    """
    kind = str(_get(line, "kind") or "")
    label = str(_get(line, "label") or "")
    if kind == "manual_discount":
        return gettext("Additional discount")
    if kind == "vehicle":
        if vehicle and vehicle.get("source") == "stock":
            return vehicle_title(vehicle) or clean_title(label)
        return clean_title(label)
    return label


def unique_promotions(applied: list[Mapping[str, Any]] | tuple) -> list[Mapping[str, Any]]:
    """Return the applied promotions of a snapshot once each (by promotion id, else code), in their order.

    Snapshots saved before the engine listed an APR subvention once carry it twice.
    """
    seen: set[Any] = set()
    result = []
    for promo in applied:
        key = _get(promo, "promotion_id") or _get(promo, "code") or _get(promo, "name")
        if key in seen:
            continue
        seen.add(key)
        result.append(promo)
    return result
