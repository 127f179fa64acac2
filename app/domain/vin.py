"""Vehicle Identification Numbers (VIN): normalise, validate, verify, decode.

Rules and sources:

* ISO 3779 / 49 CFR 565: a VIN has 17 characters from ``A-Z`` and ``0-9`` without
  ``I``, ``O`` and ``Q`` (they read like ``1`` and ``0``).
* Position 9 is the check digit (SAE J853 / 49 CFR 565.15): a weighted sum modulo 11,
  ``X`` for 10. It is mandatory for vehicles built for North America (WMI starting
  ``1``-``5``) and China (``L``, GB 16735); elsewhere manufacturers may use position 9
  for other data, so a mismatch there is only a warning (``check_digit_required``),
  unless the maker code is unknown too.
* The market overrides the region: a vehicle sold in the United States or Canada must carry
  a valid check digit whatever its maker or place of build (49 CFR 565.15 binds every vehicle
  offered for sale there, and CMVSS 115 adopts it in Canada), so an imported Subaru ``JF…``,
  Audi ``WAU…`` or Land Rover ``SAL…`` with a wrong position 9 is refused for a US or Canadian
  dealer (``check_vin(..., market="US")``) and only warned about elsewhere. For those markets
  the SAE J853 sum is computed even where vininfo says the maker uses position 9 otherwise.
* Position 10 is the model-year code (30-year cycle, no ``U``, ``Z``, ``0``).

Manufacturer (WMI), model-year and country decoding come from the ``vininfo`` library
(``.manufacturer``, ``.years``, ``.country``); the check digit is the SAE J853 sum
(``sae_check_digit``, the same as vininfo's ``verify_checksum``). Only the region and market
policy and the grouping of badge-engineered makes (a Jeep built under a Dodge WMI is fine)
are ours.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from vininfo import Vin, VininfoException

VIN_LENGTH = 17

#: Cell values that mean "no VIN" (compared case-insensitively after stripping).
MISSING_TOKENS: frozenset[str] = frozenset({"", "null", "none", "n/a", "na", "-"})

_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
# A stock number is a dealer's short code such as "1CPC3900" or "A-1234": 3-12 letters,
# digits, dashes or slashes with at least one digit.
_STOCK_NUMBER_RE = re.compile(r"(?=.*[0-9])[A-Z0-9][A-Z0-9/-]{1,10}[A-Z0-9]")


class VinError(ValueError):
    """Raised by ``require_vin`` for a value that is not a usable VIN."""


class VinRegion(StrEnum):
    """Region of manufacture from the first WMI character (ISO 3780; China split out of Asia)."""

    AFRICA = "africa"
    ASIA = "asia"
    CHINA = "china"
    EUROPE = "europe"
    NORTH_AMERICA = "north_america"
    OCEANIA = "oceania"
    SOUTH_AMERICA = "south_america"
    UNASSIGNED = "unassigned"


class IssueCode(StrEnum):
    """Machine-readable reason attached to each VIN error or warning."""

    MISSING = "missing"
    STOCK_NUMBER_LIKE = "stock_number_like"
    LENGTH = "length"
    ALPHABET = "alphabet"
    CHECK_DIGIT = "check_digit"
    YEAR_CODE = "year_code"
    UNKNOWN_MANUFACTURER = "unknown_manufacturer"
    MAKE_MISMATCH = "make_mismatch"
    YEAR_MISMATCH = "year_mismatch"


@dataclass(frozen=True, slots=True)
class VinIssue:
    """One finding about a VIN: a code for programs and a plain-English message for people."""

    code: IssueCode
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class VinCheck:
    """Result of ``check_vin``.

    ``vin`` is the normalised VIN when there are no errors, else ``None``;
    ``normalized`` is the cleaned text even when invalid (for display), ``None`` when missing.
    ``check_digit_ok`` is ``None`` when it could not or need not be computed.
    ``decoded_make`` is our make name for the WMI (``"Chevrolet"`` for ``"Chevrolet Canada"``),
    or vininfo's manufacturer text for joint ventures; ``decoded_years`` is newest first.
    """

    raw: str | None
    normalized: str | None
    vin: str | None
    errors: tuple[VinIssue, ...] = ()
    warnings: tuple[VinIssue, ...] = ()
    looks_like_stock_number: bool = False
    region: VinRegion | None = None
    country: str | None = None
    manufacturer: str | None = None
    decoded_make: str | None = None
    decoded_years: tuple[int, ...] = ()
    check_digit_ok: bool | None = None

    @property
    def is_missing(self) -> bool:
        """Return True when the cell held no VIN at all (empty, ``null``, ``n/a`` ...)."""
        return self.normalized is None

    @property
    def is_valid(self) -> bool:
        """Return True when the value is a usable VIN (warnings allowed)."""
        return self.vin is not None

    def has(self, code: IssueCode) -> bool:
        """Return True when an error or warning with ``code`` was found."""
        return any(issue.code == code for issue in (*self.errors, *self.warnings))


def normalize_vin(raw: str | None) -> str | None:
    """Strip and upper-case ``raw``; return ``None`` for a missing value.

    Missing means ``None`` or one of ``MISSING_TOKENS`` ("", "null", "none", "n/a", "na",
    "-"), case-insensitive. No other change is made: an invalid value stays visible.
    """
    if raw is None:
        return None
    text = raw.strip()
    if text.casefold() in MISSING_TOKENS:
        return None
    return text.upper()


def looks_like_stock_number(value: str | None) -> bool:
    """Return True when ``value`` looks like a dealer stock number typed into the VIN column.

    Shape: after ``normalize_vin``, 3-12 characters of letters, digits, ``-`` or ``/``,
    at least one digit, and not 17 characters long (e.g. ``"1CPC3900"``, ``"A-1234"``).
    """
    text = normalize_vin(value)
    return text is not None and len(text) != VIN_LENGTH and bool(_STOCK_NUMBER_RE.fullmatch(text))


def vin_region(vin: str) -> VinRegion:
    """Return the region of manufacture from the first character of ``vin``.

    ISO 3780 first-character ranges: A-H Africa, J-R Asia (L is China), S-Z Europe,
    1-5 North America, 6-7 Oceania, 8-9 South America; 0 is unassigned.
    """
    first = vin[:1].upper()
    if first == "L":
        return VinRegion.CHINA
    if first in "12345" and first:
        return VinRegion.NORTH_AMERICA
    if first in "67" and first:
        return VinRegion.OCEANIA
    if first in "89" and first:
        return VinRegion.SOUTH_AMERICA
    if "A" <= first <= "H":
        return VinRegion.AFRICA
    if "J" <= first <= "R":
        return VinRegion.ASIA
    if "S" <= first <= "Z":
        return VinRegion.EUROPE
    return VinRegion.UNASSIGNED


#: Markets (ISO 3166 alpha-2 dealer countries) where every VIN sold needs a valid check digit.
CHECK_DIGIT_MARKETS: frozenset[str] = frozenset({"US", "CA"})


def check_digit_required(region: VinRegion, market: str | None = None) -> bool:
    """Return True when a wrong check digit makes the VIN invalid for ``region`` sold in ``market``.

    ``market`` is the dealer's ISO 3166 alpha-2 country (``"US"``, ``"CA"``…) or ``None``.
    Policy: required for every vehicle sold in the United States or Canada (49 CFR 565.15,
    CMVSS 115), and for vehicles built for North America (WMI ``1``-``5``) or China (``L``,
    GB 16735) anywhere; elsewhere position 9 may carry manufacturer data (ISO 3779 leaves it
    free), so only warn.
    """
    if market is not None and market.upper() in CHECK_DIGIT_MARKETS:
        return True
    return region in (VinRegion.NORTH_AMERICA, VinRegion.CHINA)


_TRANSLITERATION = {
    **{ch: i + 1 for i, ch in enumerate("ABCDEFGH")},
    **{ch: i + 1 for i, ch in enumerate("JKLMN")},
    "P": 7,
    "R": 9,
    **{ch: i + 2 for i, ch in enumerate("STUVWXYZ")},
    **{str(d): d for d in range(10)},
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def sae_check_digit(vin: str) -> str:
    """Return the SAE J853 check digit of the 17-character ``vin`` (``"0"``-``"9"`` or ``"X"``).

    Letters transliterate A-H → 1-8, J-N → 1-5, P → 7, R → 9, S-Z → 2-9; each value is
    multiplied by the weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2, the sum taken modulo 11,
    10 written ``X``. Whatever the maker: this is the rule North America applies to all.
    Raises ``VinError`` when ``vin`` is not 17 valid characters.
    """
    text = normalize_vin(vin) or ""
    if not _VIN_RE.fullmatch(text):
        raise VinError(f"Not a 17-character VIN: {vin!r}")
    remainder = sum(_TRANSLITERATION[ch] * weight for ch, weight in zip(text, _WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


# --- make names --------------------------------------------------------------------------

# Makes that share WMIs or badge-engineer each other's vehicles; a row's make and the
# make decoded from its VIN agree when they fall in the same group.
_MAKE_GROUPS: dict[str, tuple[str, ...]] = {
    "General Motors": (
        "Chevrolet", "GMC", "Buick", "Cadillac", "Pontiac", "Oldsmobile", "Saturn", "Hummer",
        "Holden", "Daewoo", "Geo",
    ),
    "Stellantis (FCA)": (
        "Chrysler", "Dodge", "Jeep", "Ram", "Plymouth", "Eagle", "Fiat", "Abarth", "Alfa Romeo",
        "Lancia", "Maserati",
    ),
    "Ford": ("Ford", "Lincoln", "Mercury"),
    "Toyota": ("Toyota", "Lexus", "Scion"),
    "Honda": ("Honda", "Acura"),
    "Nissan": ("Nissan", "Infiniti", "Datsun"),
    "Hyundai": ("Hyundai", "Kia", "Genesis"),
    "Volkswagen": (
        "Volkswagen", "Audi", "Porsche", "Bentley", "Lamborghini", "Bugatti", "Skoda", "SEAT", "Cupra",
    ),
    "BMW": ("BMW", "MINI", "Rolls-Royce", "Alpina"),
    "Mercedes-Benz": ("Mercedes-Benz", "Smart", "Maybach", "Freightliner"),
    "Jaguar Land Rover": ("Jaguar", "Land Rover"),
    "Volvo": ("Volvo", "Polestar"),
}
_STANDALONE_MAKES: tuple[str, ...] = (
    "Mazda", "Subaru", "Mitsubishi", "Tesla", "Suzuki", "Saab", "Isuzu", "Ferrari", "McLaren",
    "Lotus", "Aston Martin", "Renault", "Peugeot", "Citroen", "Opel", "Vauxhall", "Dacia",
    "SsangYong", "Tata", "Mahindra", "BYD", "Geely", "Chery", "Great Wall", "Haval", "MG",
    "Proton", "Perodua", "Rivian", "Lucid", "Fisker", "Daihatsu",
)
# Other spellings, in rows and in vininfo's manufacturer titles.
_MAKE_ALIASES: dict[str, tuple[str, ...]] = {
    "chevy": ("Chevrolet",),
    "gm": ("Chevrolet",),
    "vw": ("Volkswagen",),
    "mercedes": ("Mercedes-Benz",),
    "benz": ("Mercedes-Benz",),
    "daimler": ("Mercedes-Benz",),
    "quattro": ("Audi",),
    "alfa": ("Alfa Romeo",),
    "range rover": ("Land Rover",),
    "jlr": ("Jaguar", "Land Rover"),
    "fca": ("Chrysler",),
    "cami": ("Chevrolet", "Suzuki"),  # GM-Suzuki plant, Ingersoll, Ontario
    "nummi": ("Chevrolet", "Toyota"),  # GM-Toyota plant, Fremont, California
    "auto alliance international": ("Ford", "Mazda"),  # Ford-Mazda plant, Flat Rock, Michigan
    "fuji heavy industries": ("Subaru",),
    "fords": ("Ford",),
    "kg mobility": ("SsangYong",),
}
# WMIs that vininfo files under another maker: 3N6 is Nissan Mexicana's, also used on
# the Chevrolet City Express that Nissan built (vininfo says only "Chevrolet").
_WMI_MAKES: dict[str, tuple[str, ...]] = {"3N6": ("Nissan", "Chevrolet")}


def _fold(text: str) -> str:
    """Lower-case ``text`` without accents, with ``-``, ``/`` and ``_`` as spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[-/_,.()]", " ", plain.casefold()).split())


def _build_make_index() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    names: dict[str, tuple[str, ...]] = {}
    group_of: dict[str, str] = {}
    for group, members in _MAKE_GROUPS.items():
        for make in members:
            names[_fold(make)] = (make,)
            group_of[make] = group
    for make in _STANDALONE_MAKES:
        names[_fold(make)] = (make,)
        group_of[make] = make
    for alias, makes in _MAKE_ALIASES.items():
        names[_fold(alias)] = makes
    return names, group_of


_MAKE_NAMES, _GROUP_OF = _build_make_index()
_LONGEST_NAME_WORDS = max(len(name.split()) for name in _MAKE_NAMES)


def canonical_makes(name: str | None) -> tuple[str, ...]:
    """Return the makes that ``name`` (a row's make or a WMI manufacturer title) stands for.

    Matching ignores case, accents and punctuation; an exact known name or alias wins,
    else every known make named as whole words inside the text is returned in order
    (``"Subaru / Scion"`` → ``("Subaru", "Scion")``, ``"Chevrolet Canada"`` →
    ``("Chevrolet",)``). Unknown text (``"Other"``) gives ``()``.
    """
    if not name:
        return ()
    folded = _fold(name)
    if folded in _MAKE_NAMES:
        return _MAKE_NAMES[folded]
    words = folded.split()
    found: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST_NAME_WORDS, len(words) - i), 0, -1):
            makes = _MAKE_NAMES.get(" ".join(words[i : i + size]))
            if makes:
                found.extend(make for make in makes if make not in found)
                i += size
                break
        else:
            i += 1
    return tuple(found)


def make_group(make: str) -> str:
    """Return the group of a canonical make (``"Jeep"`` → ``"Stellantis (FCA)"``); unknown → itself."""
    return _GROUP_OF.get(make, make)


def makes_agree(row_make: str | None, decoded: Iterable[str]) -> bool | None:
    """Return whether ``row_make`` fits one of the ``decoded`` makes; ``None`` if either is unknown."""
    row = canonical_makes(row_make)
    decoded_groups = {make_group(make) for make in decoded}
    if not row or not decoded_groups:
        return None
    return any(make_group(make) in decoded_groups for make in row)


# --- the check ---------------------------------------------------------------------------


def check_vin(
    raw: str | None, *, make: str | None = None, model_year: int | None = None, market: str | None = None
) -> VinCheck:
    """Normalise, validate, verify and decode the VIN cell ``raw`` of a stock row.

    ``make`` and ``model_year`` are the row's own values; when the VIN decodes to a
    different make group or its year code cannot mean ``model_year``, a warning is added.
    ``market`` is the selling dealer's country (ISO 3166 alpha-2); ``"US"`` and ``"CA"``
    hold every VIN to the check digit (see ``check_digit_required``).
    Errors (the VIN is unusable): missing, wrong length, characters outside
    ``A-Z0-9`` or ``I``/``O``/``Q``, a wrong check digit where ``check_digit_required``
    or where the maker code (WMI) is unknown as well.
    Warnings: a wrong check digit elsewhere, an invalid year code, an unknown WMI,
    make or year disagreement. Never raises for bad input.
    """
    text = normalize_vin(raw)
    if text is None:
        return VinCheck(
            raw=raw,
            normalized=None,
            vin=None,
            errors=(VinIssue(IssueCode.MISSING, "VIN is missing."),),
        )
    if len(text) != VIN_LENGTH:
        stock_like = looks_like_stock_number(text)
        if stock_like:
            issue = VinIssue(
                IssueCode.STOCK_NUMBER_LIKE,
                f"{text!r} looks like a stock number, not a VIN (a VIN has 17 characters).",
            )
        else:
            issue = VinIssue(IssueCode.LENGTH, f"VIN {text!r} has {len(text)} characters; a VIN has 17.")
        return VinCheck(raw=raw, normalized=text, vin=None, errors=(issue,), looks_like_stock_number=stock_like)
    if not _VIN_RE.fullmatch(text):
        bad = sorted({ch for ch in text if not ("A" <= ch <= "Z" or "0" <= ch <= "9") or ch in "IOQ"})
        return VinCheck(
            raw=raw,
            normalized=text,
            vin=None,
            errors=(
                VinIssue(
                    IssueCode.ALPHABET,
                    f"VIN {text!r} contains {', '.join(repr(ch) for ch in bad)}; "
                    "a VIN uses only A-Z and 0-9 without I, O and Q.",
                ),
            ),
        )

    errors: list[VinIssue] = []
    warnings: list[VinIssue] = []
    region = vin_region(text)
    try:
        decoded = Vin(text)
    except VininfoException as exc:  # pragma: no cover - validated above; kept for library changes
        return VinCheck(
            raw=raw, normalized=text, vin=None, errors=(VinIssue(IssueCode.ALPHABET, str(exc)),), region=region
        )

    manufacturer: str | None = decoded.manufacturer
    if manufacturer == "UnsupportedBrand":
        manufacturer = None
    makes = _WMI_MAKES.get(text[:3]) or canonical_makes(manufacturer)
    decoded_make = makes[0] if len(makes) == 1 else manufacturer

    check_digit_ok: bool | None = None
    required = check_digit_required(region, market)
    if required or getattr(decoded.assembler, "uses_sae_checkdigit", True):
        check_digit_ok = sae_check_digit(text) == text[8]
        if not check_digit_ok:
            message = f"VIN {text!r} fails the check digit (position 9 is {text[8]!r})."
            # With an unregistered maker code too, nothing vouches for the value
            # ("NEW19JLWRANGLER4D"): refuse it in every region.
            if required or manufacturer is None:
                errors.append(VinIssue(IssueCode.CHECK_DIGIT, message))
            else:
                warnings.append(VinIssue(IssueCode.CHECK_DIGIT, message))

    years = tuple(decoded.years)
    if not years:
        warnings.append(
            VinIssue(IssueCode.YEAR_CODE, f"Position 10 of VIN {text!r} ({text[9]!r}) is not a model-year code.")
        )
    elif model_year is not None and model_year not in years:
        listed = " or ".join(str(year) for year in sorted(years))
        warnings.append(
            VinIssue(IssueCode.YEAR_MISMATCH, f"VIN {text!r} encodes model year {listed}, not {model_year}.")
        )

    if manufacturer is None and not makes:
        warnings.append(
            VinIssue(IssueCode.UNKNOWN_MANUFACTURER, f"The maker code {text[:3]!r} of VIN {text!r} is not known.")
        )
    elif makes_agree(make, makes) is False:
        warnings.append(
            VinIssue(
                IssueCode.MAKE_MISMATCH,
                f"VIN {text!r} belongs to {decoded_make}, but the make is {make}.",
            )
        )

    return VinCheck(
        raw=raw,
        normalized=text,
        vin=None if errors else text,
        errors=tuple(errors),
        warnings=tuple(warnings),
        region=region,
        country=decoded.country,
        manufacturer=manufacturer,
        decoded_make=decoded_make,
        decoded_years=years,
        check_digit_ok=check_digit_ok,
    )


def require_vin(raw: str | None) -> str:
    """Return the normalised VIN of ``raw`` or raise ``VinError`` with the first error message."""
    result = check_vin(raw)
    if result.vin is None:
        raise VinError(result.errors[0].message)
    return result.vin


def compute_check_digit(vin: str) -> str:
    """Return the check digit (``"0"``-``"9"`` or ``"X"``) that position 9 of ``vin`` should hold.

    Uses vininfo's SAE J853 computation: the digit that makes ``verify_checksum`` pass.
    Raises ``VinError`` when ``vin`` is not 17 valid characters.
    """
    text = normalize_vin(vin) or ""
    if not _VIN_RE.fullmatch(text):
        raise VinError(f"Not a 17-character VIN: {vin!r}")
    for digit in "0123456789X":
        if Vin(text[:8] + digit + text[9:]).verify_checksum(check_year=False):
            return digit
    # vininfo refuses the SAE rule for makers that use position 9 for other data.
    raise VinError(f"The maker of VIN {vin!r} does not use a check digit.")
