"""Customer-facing vehicle names: a listing's raw title cleaned for display (the raw title stays stored).

Stock imported from classified-ad exports (the Kijiji 2019 file of the Toronto demo dealer) carries the
seller's equipment list in its trim column: ``Limited|NAVI|LEATHER|ROOF|EXT. WARR|AWD``,
``GL/ AUTO/ POWER GROUP/ LOADED!``, ``LE NO ACCIDENTS CLEAN CARPROOF``. A customer page or PDF shows
``2019 Hyundai Tucson Limited`` instead: the trim is cut at the first list separator (``|`` ``*`` ``/``
``,`` ``+`` ``!`` ``;`` `` - `` and `` w/``), then before the first selling word (equipment, history,
warranty: ``STOP_WORDS``), and a leading "New Car" is dropped. What remains is at most ``MAX_TRIM_CHARS``
characters and ``MAX_TRIM_WORDS`` words. A trim that is only selling words is left out. Pure functions, no Flask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAX_TRIM_CHARS = 30
MAX_TRIM_WORDS = 4

#: Cut the trim here: the seller's list of extras begins.
_SEPARATOR = re.compile(r"\s*(?:[|*/,+!;]|\s-\s|-\s|\sw/|\(|\[)")
_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"^(19|20)\d\d$")

#: Words that start the seller's pitch rather than name a trim (upper-cased; compared word by word).
STOP_WORDS = frozenset(
    """
    ACCIDENT ACCIDENTS ACCIDENT-FREE NO CLEAN CARFAX CARPROOF CERTIFIED CERTIFICATION SAFETY WARRANTY WARR
    LOADED FULLY ONE 1-OWNER OWNER OWNERS LOW KM KMS MILEAGE WELL MAINTAINED LIKE CONDITION MUST SEE
    NAV NAVI NAVIGATION GPS LEATHER SUNROOF ROOF MOONROOF PANO PANORAMIC BLUETOOTH CAMERA CAM BACKUP
    HEATED REMOTE KEYLESS PUSH PKG PACKAGE GROUP PWR POWER ALLOY ALLOYS AUTO AUTOMATIC MANUAL SERVICE
    RECORDS FINANCING FINANCE EXTENDED EXT. SPECIAL SALE PRICED DEAL AUT0 EXCELLENT BRAND BLOWOUT BEAUTIFUL
    COMPANY OWN 1OWNER MINT CLEAN
    """.split()
)
_LEADING = ("NEW CAR ", "USED CAR ")


def clean_trim(raw: str | None) -> str:
    """Return the trim of a listing as a customer should read it ("" when nothing trim-like is left).

    ``raw``: the stored trim (or any tail of a listing title). Examples (from the Kijiji file):
    ``"Limited |LEATHER|PANORAMIC SUNROOF|"`` → ``"Limited"``; ``"430 4MATIC/NAVIGATION"`` → ``"430 4MATIC"``;
    ``"LE NO ACCIDENTS CLEAN CARPROOF"`` → ``"LE"``; ``"New Car SLT|4x4"`` → ``"SLT"``;
    ``"Accident Free, All-Wheel Drive"`` → ``""``. Never raises.
    """
    text = _SPACES.sub(" ", raw or "").strip()
    upper = text.upper()
    for prefix in _LEADING:
        if upper.startswith(prefix):
            text = text[len(prefix):]
            break
    text = _SEPARATOR.split(text, maxsplit=1)[0]
    words: list[str] = []
    for word in text.split(" "):
        # "SE-NAVIGATION-REAR": a hyphen that joins a selling word ends the trim as well.
        pieces = word.split("-")
        keep = []
        for piece in pieces:
            if piece.upper().strip(".:") in STOP_WORDS:
                break
            keep.append(piece)
        if keep:
            words.append("-".join(keep))
        if len(keep) < len(pieces) or len(words) == MAX_TRIM_WORDS:
            break
    text = " ".join(words).strip(" -.:")
    if len(text) > MAX_TRIM_CHARS:
        text = text[:MAX_TRIM_CHARS].rsplit(" ", 1)[0].strip(" -.:")
    return text


def display_name(model_year: int | str | None, make: str | None, model: str | None, trim: str | None) -> str:
    """Return ``"2019 Hyundai Tucson Limited"`` from a vehicle's parts, the trim cleaned (``clean_trim``)."""
    parts = [str(model_year) if model_year else "", (make or "").strip(), (model or "").strip(), clean_trim(trim)]
    return " ".join(p for p in parts if p)


def clean_title(title: str | None) -> str:
    """Return a stored listing title (``StockVehicle.title``: year, make, model, trim) cleaned for display.

    Used where only the joined title was kept (offer lists, older offer snapshots): the year (when the
    first word is one), make and model words are kept as they are; the rest is cleaned as a trim. A title
    without listing noise (a catalog car's "Tucson Hybrid Inspiration") comes back unchanged.
    """
    words = _SPACES.sub(" ", title or "").strip().split(" ")
    if words == [""]:
        return ""
    head = 3 if _YEAR.match(words[0]) else 2
    kept, rest = words[:head], " ".join(words[head:])
    # The separators may already sit in the head ("Tucson|NAVI"): cut there too.
    joined = " ".join(kept)
    cut = _SEPARATOR.split(joined, maxsplit=1)
    if len(cut) > 1:
        return cut[0].strip()
    return " ".join(p for p in (joined, clean_trim(rest)) if p)


def vehicle_title(vehicle: Mapping[str, Any] | None) -> str:
    """Return the customer-facing name of an offer snapshot's ``vehicle`` dict.

    A stock car saved with its parts (``make``, ``trim``) is named from them; older snapshots and a catalog
    car's label go through ``clean_title`` (a catalog label, the brand's own name, has nothing to cut).
    """
    if not vehicle:
        return ""
    if vehicle.get("source") == "stock" and ("make" in vehicle or "trim" in vehicle):
        return display_name(vehicle.get("model_year"), vehicle.get("make"), vehicle.get("model"), vehicle.get("trim"))
    return clean_title(str(vehicle.get("label") or ""))
