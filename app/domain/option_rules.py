"""Option rules engine for the vehicle catalog a brand's corporate team publishes to its dealers.

Two entry points:

* ``validate_configuration(configuration, catalog)`` checks one build (trim + exterior color +
  interior color + chosen options) against the trim×color matrix, the excluded color pairs and
  the option rules, resolves packages into the options they include, and returns every conflict
  with a message built from catalog NAMES ("Sunroof requires Premium package").
* ``check_rule_set(options)`` is what corporate runs when saving rules: it finds unknown
  references, cycles in ``requires`` and in package containment, and contradictions that make an
  option impossible to build ("A requires B, B requires C, A excludes C").

Rules (the brand's ordering-guide conventions, stated here because there is no external standard):

* ``requires`` is an AND: every listed option must be in the build. A requirement is satisfied
  when the required option is chosen OR included in a chosen package (packages nest).
* ``excludes`` is symmetric: "A excludes B" forbids A with B whichever side declared it.
* A package's contents are added automatically at price 0, marked "included in <package>".
  An option both chosen and included in a chosen package is charged once (as included) and
  reported as a REDUNDANT warning, not an error.
* Warnings never make a build invalid; errors always do.

Prices and surcharges are ``Decimal`` amounts in the catalog's currency; nothing is rounded
here because catalog prices are already whole minor units and only sums are formed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from app.domain.messages import N_, Text
from app.domain.money import ZERO, to_decimal

ARROW = " → "


class OptionRuleError(ValueError):
    """Raised for catalog data that cannot describe a rule at all (negative price, duplicate code, ...)."""


class OptionKind(StrEnum):
    """Whether an option is a single item or a package that includes other options."""

    SINGLE = "single"
    PACKAGE = "package"


class ColorKind(StrEnum):
    """Whether a color is a paint (exterior) or an upholstery/trim color (interior)."""

    EXTERIOR = "exterior"
    INTERIOR = "interior"


class Severity(StrEnum):
    """How bad a conflict is: an ERROR makes the build invalid, a WARNING does not."""

    ERROR = "error"
    WARNING = "warning"


class ConflictKind(StrEnum):
    """Machine-readable kind of a configuration conflict, in the order conflicts are reported."""

    UNKNOWN_TRIM = "unknown_trim"
    MISSING_EXTERIOR = "missing_exterior"
    EXTERIOR_NOT_OFFERED = "exterior_not_offered"
    MISSING_INTERIOR = "missing_interior"
    INTERIOR_NOT_OFFERED = "interior_not_offered"
    COLOR_PAIR_EXCLUDED = "color_pair_excluded"
    UNKNOWN_OPTION = "unknown_option"
    OPTION_NOT_ON_TRIM = "option_not_on_trim"
    MISSING_REQUIREMENT = "missing_requirement"
    EXCLUDED_COMBINATION = "excluded_combination"
    REDUNDANT_OPTION = "redundant_option"
    OVERLAPPING_PACKAGES = "overlapping_packages"


_WARNING_KINDS = frozenset({ConflictKind.REDUNDANT_OPTION, ConflictKind.OVERLAPPING_PACKAGES})


class RuleProblemCode(StrEnum):
    """Machine-readable kind of a problem found by ``check_rule_set``, in reporting order."""

    DUPLICATE_CODE = "duplicate_code"
    UNKNOWN_REFERENCE = "unknown_reference"
    SELF_EXCLUSION = "self_exclusion"
    REQUIRES_CYCLE = "requires_cycle"
    PACKAGE_CYCLE = "package_cycle"
    REQUIRES_AND_EXCLUDES = "requires_and_excludes"
    REQUIRED_OPTION_EXCLUDES = "required_option_excludes"
    PACKAGE_CONTENT_EXCLUDED = "package_content_excluded"
    PACKAGE_CONTAINS_EXCLUSIVE = "package_contains_exclusive"
    TRANSITIVE_CONTRADICTION = "transitive_contradiction"
    CONTENT_NOT_ON_TRIM = "content_not_on_trim"
    REQUIREMENT_NOT_ON_TRIM = "requirement_not_on_trim"


def _code_set(value: Iterable[str], what: str) -> frozenset[str]:
    # A bare string is iterable too: frozenset("SUNRF") would silently become five one-letter codes.
    if isinstance(value, str):
        raise OptionRuleError(f"{what} must be a collection of codes, not the string {value!r}")
    return frozenset(value)


def _price(value: Decimal | int | str, what: str) -> Decimal:
    amount = to_decimal(value)
    if amount < ZERO:
        raise OptionRuleError(f"{what} must not be negative: {amount}")
    return amount


def _require_code(code: str, what: str) -> None:
    if not isinstance(code, str) or not code.strip():
        raise OptionRuleError(f"{what} needs a non-empty code")


@dataclass(frozen=True, slots=True)
class Color:
    """A paint or interior color of the brand's palette, e.g. ``Color("MGRY", "Matte Grey", ColorKind.EXTERIOR)``."""

    code: str
    name: str
    kind: ColorKind

    def __post_init__(self) -> None:
        _require_code(self.code, "A color")


@dataclass(frozen=True, slots=True)
class ColorOffer:
    """One cell of the trim×color matrix: ``color`` is offered on the trim for ``surcharge`` (Decimal, >= 0).

    Raises ``OptionRuleError`` for a negative surcharge and ``TypeError`` for a float one.
    """

    color: Color
    surcharge: Decimal = ZERO

    def __post_init__(self) -> None:
        object.__setattr__(self, "surcharge", _price(self.surcharge, f"Surcharge of color {self.color.name}"))


@dataclass(frozen=True, slots=True)
class Trim:
    """A trim with its offered exterior and interior colors (its row of the trim×color matrix).

    Raises ``OptionRuleError`` when an exterior color is offered as interior (or the reverse) or
    when a color appears twice in the same list.
    """

    code: str
    name: str
    exterior_colors: tuple[ColorOffer, ...] = ()
    interior_colors: tuple[ColorOffer, ...] = ()

    def __post_init__(self) -> None:
        _require_code(self.code, "A trim")
        object.__setattr__(self, "exterior_colors", tuple(self.exterior_colors))
        object.__setattr__(self, "interior_colors", tuple(self.interior_colors))
        for offers, kind in ((self.exterior_colors, ColorKind.EXTERIOR), (self.interior_colors, ColorKind.INTERIOR)):
            seen: set[str] = set()
            for offer in offers:
                if offer.color.kind is not kind:
                    raise OptionRuleError(
                        f"Color {offer.color.name} is {offer.color.kind} but listed as {kind} on trim {self.name}"
                    )
                if offer.color.code in seen:
                    raise OptionRuleError(f"Color {offer.color.name} is listed twice on trim {self.name}")
                seen.add(offer.color.code)

    def exterior_offer(self, code: str) -> ColorOffer | None:
        """Return the offer of exterior color ``code`` on this trim, or None when it is not offered."""
        return next((o for o in self.exterior_colors if o.color.code == code), None)

    def interior_offer(self, code: str) -> ColorOffer | None:
        """Return the offer of interior color ``code`` on this trim, or None when it is not offered."""
        return next((o for o in self.interior_colors if o.color.code == code), None)


@dataclass(frozen=True, slots=True)
class ColorPairExclusion:
    """Forbid exterior ``exterior_code`` with interior ``interior_code`` on ``trim_codes`` (None = every trim).

    Example: Matte Grey paint excludes Black interior.
    """

    exterior_code: str
    interior_code: str
    trim_codes: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.trim_codes is not None:
            object.__setattr__(self, "trim_codes", _code_set(self.trim_codes, "trim_codes"))

    def applies_to(self, trim_code: str) -> bool:
        """Return True when this exclusion holds on trim ``trim_code``."""
        return self.trim_codes is None or trim_code in self.trim_codes


@dataclass(frozen=True, slots=True)
class Option:
    """A factory option or package as corporate defines it.

    ``price`` is a Decimal >= 0 in the catalog currency. ``trims`` lists the trim codes it fits
    (None = every trim). ``contents`` are the codes a PACKAGE includes (a SINGLE option has none);
    ``requires`` must all be in the build; ``excludes`` may not be (symmetric).
    Raises ``OptionRuleError`` for a negative price, an empty code, a single option with contents,
    or a code collection given as a bare string; ``TypeError`` for a float price.
    """

    code: str
    name: str
    price: Decimal
    kind: OptionKind = OptionKind.SINGLE
    trims: frozenset[str] | None = None
    contents: frozenset[str] = frozenset()
    requires: frozenset[str] = frozenset()
    excludes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _require_code(self.code, "An option")
        object.__setattr__(self, "price", _price(self.price, f"Price of {self.name}"))
        object.__setattr__(self, "kind", OptionKind(self.kind))
        if self.trims is not None:
            object.__setattr__(self, "trims", _code_set(self.trims, "trims"))
        object.__setattr__(self, "contents", _code_set(self.contents, "contents"))
        object.__setattr__(self, "requires", _code_set(self.requires, "requires"))
        object.__setattr__(self, "excludes", _code_set(self.excludes, "excludes"))
        if self.kind is OptionKind.SINGLE and self.contents:
            raise OptionRuleError(f"{self.name} is a single option and cannot include other options")

    def fits(self, trim_code: str) -> bool:
        """Return True when this option is offered on trim ``trim_code``."""
        return self.trims is None or trim_code in self.trims


@dataclass(frozen=True)
class OptionCatalog:
    """The brand's trims (with their color matrix), options and excluded color pairs.

    Raises ``OptionRuleError`` when two trims or two options share a code.
    """

    trims: tuple[Trim, ...]
    options: tuple[Option, ...]
    color_exclusions: tuple[ColorPairExclusion, ...] = ()
    _trims: Mapping[str, Trim] = field(init=False, repr=False, compare=False)
    _options: Mapping[str, Option] = field(init=False, repr=False, compare=False)
    _colors: Mapping[str, Color] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trims", tuple(self.trims))
        object.__setattr__(self, "options", tuple(self.options))
        object.__setattr__(self, "color_exclusions", tuple(self.color_exclusions))
        trims: dict[str, Trim] = {}
        for trim in self.trims:
            if trim.code in trims:
                raise OptionRuleError(f"Trim code {trim.code!r} is used twice")
            trims[trim.code] = trim
        options: dict[str, Option] = {}
        for option in self.options:
            if option.code in options:
                raise OptionRuleError(f"Option code {option.code!r} is used twice")
            options[option.code] = option
        colors: dict[str, Color] = {}
        for trim in self.trims:
            for offer in (*trim.exterior_colors, *trim.interior_colors):
                colors.setdefault(offer.color.code, offer.color)
        object.__setattr__(self, "_trims", trims)
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_colors", colors)

    def trim(self, code: str) -> Trim | None:
        """Return the trim with ``code``, or None."""
        return self._trims.get(code)

    def option(self, code: str) -> Option | None:
        """Return the option with ``code``, or None."""
        return self._options.get(code)

    def require_option(self, code: str) -> Option:
        """Return the option with ``code``; raise ``OptionRuleError`` when the catalog has none."""
        option = self._options.get(code)
        if option is None:
            raise OptionRuleError(f"Option {code!r} is not in the catalog")
        return option

    def color_name(self, code: str) -> str:
        """Return the name of color ``code`` as offered on any trim, or the code itself when no trim offers it."""
        color = self._colors.get(code)
        return color.name if color is not None else code


@dataclass(frozen=True, slots=True)
class Configuration:
    """A build a dealer or customer chose: trim, exterior color, interior color (None = not chosen yet), options."""

    trim_code: str
    exterior_code: str | None
    interior_code: str | None
    option_codes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "option_codes", _code_set(self.option_codes, "option_codes"))


@dataclass(frozen=True, slots=True)
class Conflict:
    """One finding about a build: ``kind``, ``severity``, a ``message`` and the codes involved.

    ``message`` is a ``messages.Text`` (the English sentence as ``str``, translatable with its parameters).
    """

    kind: ConflictKind
    severity: Severity
    message: Text
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResolvedOption:
    """One line of the resolved option set: chosen (charged ``price``) or included in a package (price 0).

    ``included_in`` is the code of the package that directly contains the option, None for a chosen line.
    """

    code: str
    name: str
    price: Decimal
    included_in: str | None = None
    included_in_name: str | None = None

    @property
    def note(self) -> str:
        """Return "included in <package name>" (a translatable ``Text``) for an auto-added line, "" for a chosen one."""
        return Text(N_("included in %(package)s"), package=self.included_in_name) if self.included_in is not None else ""


@dataclass(frozen=True, slots=True)
class ConfigurationResult:
    """The outcome of ``validate_configuration``.

    ``options`` lists each resolved option once, every chosen top-level option followed by what
    its package includes (depth first). ``conflicts`` are ordered by ``ConflictKind`` order, then
    by code. Surcharges are 0 when the color is missing or not offered.
    """

    options: tuple[ResolvedOption, ...]
    conflicts: tuple[Conflict, ...]
    exterior_surcharge: Decimal = ZERO
    interior_surcharge: Decimal = ZERO

    @property
    def valid(self) -> bool:
        """Return True when no conflict is an error (warnings allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Conflict, ...]:
        """Return the conflicts of severity ERROR."""
        return tuple(c for c in self.conflicts if c.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Conflict, ...]:
        """Return the conflicts of severity WARNING."""
        return tuple(c for c in self.conflicts if c.severity is Severity.WARNING)

    @property
    def options_total(self) -> Decimal:
        """Return the sum of the resolved option prices (included options count 0)."""
        return sum((o.price for o in self.options), ZERO)

    @property
    def option_codes(self) -> frozenset[str]:
        """Return the codes of every resolved option, chosen or included."""
        return frozenset(o.code for o in self.options)


def _conflict(kind: ConflictKind, message: Text, *codes: str) -> Conflict:
    severity = Severity.WARNING if kind in _WARNING_KINDS else Severity.ERROR
    return Conflict(kind, severity, message, codes)


def _resolve_options(
    chosen: list[str], catalog: OptionCatalog
) -> tuple[list[ResolvedOption], list[Conflict], dict[str, str]]:
    """Expand chosen packages into their contents; return lines, package conflicts and included→top package."""
    lines: list[ResolvedOption] = []
    conflicts: list[Conflict] = []
    chosen_set = set(chosen)

    def contents_of(code: str) -> set[str]:
        # Every code reachable through package contents, cycles tolerated (check_rule_set reports them).
        found: set[str] = set()
        queue = deque([code])
        while queue:
            option = catalog.option(queue.popleft())
            if option is None:
                continue
            for child in option.contents:
                if child not in found:
                    found.add(child)
                    queue.append(child)
        return found

    included_by_other = {c for p in chosen for c in contents_of(p) if c != p}
    top_of: dict[str, str] = {}
    emitted: set[str] = set()
    overlaps: set[tuple[str, str, str]] = set()

    def emit_tree(top: str) -> None:
        option = catalog.require_option(top)
        lines.append(ResolvedOption(option.code, option.name, option.price))
        emitted.add(top)
        top_of[top] = top

        def walk(package: Option) -> None:
            for child_code in sorted(package.contents):
                child = catalog.option(child_code)
                if child is None:
                    conflicts.append(
                        _conflict(
                            ConflictKind.UNKNOWN_OPTION,
                            Text(N_("%(package)s includes unknown option '%(code)s'"), package=package.name,
                                 code=child_code),
                            package.code,
                            child_code,
                        )
                    )
                    continue
                if child_code in emitted:
                    other_top = top_of[child_code]
                    if other_top != top and other_top != child_code:
                        overlaps.add((child_code, other_top, top))
                    continue
                emitted.add(child_code)
                top_of[child_code] = top
                lines.append(ResolvedOption(child.code, child.name, ZERO, package.code, package.name))
                walk(child)

        walk(option)

    for code in chosen:
        if code not in included_by_other and code not in emitted:
            emit_tree(code)
    # Only a containment cycle among chosen packages leaves a chosen code unplaced; charge it then.
    for code in chosen:
        if code not in emitted:
            emit_tree(code)

    for child_code, first_top, second_top in sorted(overlaps):
        names = [catalog.require_option(c).name for c in (child_code, first_top, second_top)]
        conflicts.append(
            _conflict(
                ConflictKind.OVERLAPPING_PACKAGES,
                Text(N_("%(option)s is included in both %(first)s and %(second)s"), option=names[0],
                     first=names[1], second=names[2]),
                child_code,
                first_top,
                second_top,
            )
        )
    redundant = {c: top_of[c] for c in chosen_set if top_of.get(c, c) != c}
    return lines, conflicts, redundant


def validate_configuration(configuration: Configuration, catalog: OptionCatalog) -> ConfigurationResult:
    """Check a build against the catalog and resolve its packages.

    Input: a ``Configuration`` (trim code, exterior and interior color codes or None, chosen option
    codes) and the brand's ``OptionCatalog``. Output: a ``ConfigurationResult`` whose ``valid`` is
    False when any ERROR conflict exists. Checks, in reporting order: unknown trim; missing or not
    offered exterior / interior color; excluded exterior/interior pair; unknown option codes;
    options not available on the trim; unmet requirements; excluded combinations (symmetric, one
    conflict per pair); then warnings: options already included in a chosen package (charged once,
    as included at price 0) and options included by two chosen packages.
    Never raises for a bad build; bad catalog data raises when the catalog is constructed.
    """
    conflicts: list[Conflict] = []
    trim = catalog.trim(configuration.trim_code)
    exterior_surcharge = ZERO
    interior_surcharge = ZERO

    if trim is None:
        conflicts.append(
            _conflict(
                ConflictKind.UNKNOWN_TRIM,
                Text(N_("Trim '%(code)s' is not in the catalog"), code=configuration.trim_code),
                configuration.trim_code,
            )
        )
    else:
        ext, inn = configuration.exterior_code, configuration.interior_code
        if ext is None:
            conflicts.append(_conflict(ConflictKind.MISSING_EXTERIOR, Text(N_("Choose an exterior color"))))
        elif (offer := trim.exterior_offer(ext)) is None:
            conflicts.append(
                _conflict(
                    ConflictKind.EXTERIOR_NOT_OFFERED,
                    Text(N_("Color %(color)s is not offered on trim %(trim)s"), color=catalog.color_name(ext),
                         trim=trim.name),
                    ext,
                )
            )
        else:
            exterior_surcharge = offer.surcharge
        if inn is None:
            conflicts.append(_conflict(ConflictKind.MISSING_INTERIOR, Text(N_("Choose an interior color"))))
        elif (offer := trim.interior_offer(inn)) is None:
            conflicts.append(
                _conflict(
                    ConflictKind.INTERIOR_NOT_OFFERED,
                    Text(N_("Color %(color)s is not offered on trim %(trim)s"), color=catalog.color_name(inn),
                         trim=trim.name),
                    inn,
                )
            )
        else:
            interior_surcharge = offer.surcharge
        if ext is not None and inn is not None:
            if any(
                x.exterior_code == ext and x.interior_code == inn and x.applies_to(trim.code)
                for x in catalog.color_exclusions
            ):
                conflicts.append(
                    _conflict(
                        ConflictKind.COLOR_PAIR_EXCLUDED,
                        Text(N_("%(exterior)s paint excludes %(interior)s interior"),
                             exterior=catalog.color_name(ext), interior=catalog.color_name(inn)),
                        ext,
                        inn,
                    )
                )

    chosen_codes = sorted(configuration.option_codes)
    unknown = [c for c in chosen_codes if catalog.option(c) is None]
    for code in unknown:
        conflicts.append(_conflict(ConflictKind.UNKNOWN_OPTION,
                                   Text(N_("Option '%(code)s' is not in the catalog"), code=code), code))
    known = [c for c in chosen_codes if c not in unknown]

    lines, package_conflicts, redundant = _resolve_options(known, catalog)
    conflicts.extend(c for c in package_conflicts if c.kind is ConflictKind.UNKNOWN_OPTION)
    present = {line.code: line for line in lines}
    resolved = sorted(present)

    if trim is not None:
        for code in resolved:
            option = catalog.require_option(code)
            if not option.fits(trim.code):
                line = present[code]
                if line.included_in is not None:
                    message = Text(N_("Option %(option)s (included in %(package)s) is not available on trim %(trim)s"),
                                   option=option.name, package=line.included_in_name, trim=trim.name)
                else:
                    message = Text(N_("Option %(option)s is not available on trim %(trim)s"), option=option.name,
                                   trim=trim.name)
                conflicts.append(
                    _conflict(
                        ConflictKind.OPTION_NOT_ON_TRIM,
                        message,
                        code,
                        trim.code,
                    )
                )

    for code in resolved:
        option = catalog.require_option(code)
        for required in sorted(option.requires):
            if required in present:
                continue
            target = catalog.option(required)
            if target is not None:
                message = Text(N_("%(option)s requires %(required)s"), option=option.name, required=target.name)
            else:
                message = Text(N_("%(option)s requires unknown option '%(code)s'"), option=option.name, code=required)
            conflicts.append(_conflict(ConflictKind.MISSING_REQUIREMENT, message, code, required))

    reported_pairs: set[frozenset[str]] = set()
    for code in resolved:
        option = catalog.require_option(code)
        for excluded in sorted(option.excludes):
            pair = frozenset((code, excluded))
            if excluded in present and excluded != code and pair not in reported_pairs:
                reported_pairs.add(pair)
                conflicts.append(
                    _conflict(
                        ConflictKind.EXCLUDED_COMBINATION,
                        Text(N_("%(option)s excludes %(other)s"), option=option.name,
                             other=present[excluded].name),
                        code,
                        excluded,
                    )
                )

    for code in sorted(redundant):
        top = catalog.require_option(redundant[code])
        conflicts.append(
            _conflict(
                ConflictKind.REDUNDANT_OPTION,
                Text(N_("%(option)s is already included in %(package)s"), option=present[code].name,
                     package=top.name),
                code,
                top.code,
            )
        )
    conflicts.extend(c for c in package_conflicts if c.kind is ConflictKind.OVERLAPPING_PACKAGES)

    order = list(ConflictKind)
    conflicts.sort(key=lambda c: order.index(c.kind))  # stable: keeps the by-code order inside a kind
    return ConfigurationResult(tuple(lines), tuple(conflicts), exterior_surcharge, interior_surcharge)


# --- rule-set checks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """A problem in corporate's option rules: machine ``code``, English ``message``, option codes involved.

    For contradictions ``option_codes[0]`` is the option that cannot be built, followed by the
    two options that exclude each other (or the one it conflicts with).
    """

    code: RuleProblemCode
    message: str
    option_codes: tuple[str, ...] = ()


def _shortest_cycle(start: str, edges: Mapping[str, list[str]]) -> list[str] | None:
    """Return the shortest path start → … → start along ``edges`` (sorted adjacency), or None."""
    parent: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for nxt in edges.get(node, []):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = node
                queue.append(nxt)
    return None


def _cycles(edges: Mapping[str, list[str]]) -> list[list[str]]:
    """Return one shortest cycle through each node not already on a reported cycle, smallest code first."""
    found: list[list[str]] = []
    covered: set[str] = set()
    for node in sorted(edges):
        if node in covered:
            continue
        cycle = _shortest_cycle(node, edges)
        if cycle is not None:
            found.append(cycle)
            covered.update(cycle)
    return found


def _forced(start: str, edges: Mapping[str, list[str]]) -> dict[str, str | None]:
    """Return every option a build with ``start`` must contain, mapped to its predecessor on a shortest path."""
    parent: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in edges.get(node, []):
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return parent


def _path(target: str, parent: Mapping[str, str | None]) -> list[str]:
    path = [target]
    while (prev := parent[path[-1]]) is not None:
        path.append(prev)
    return list(reversed(path))


def _trim_list(trims: Iterable[str]) -> str:
    return ", ".join(sorted(trims))


def check_rule_set(options: Iterable[Option]) -> list[RuleProblem]:
    """Find every problem in a brand's option rules before corporate saves them.

    Input: all options of the catalog (``Option`` records). Output: a list of ``RuleProblem``
    ordered by ``RuleProblemCode`` order, then by option code; an empty list means the rules are
    consistent. Detects: duplicate codes; ``requires`` / ``excludes`` / package contents naming an
    unknown code; an option excluding itself; cycles in ``requires`` and in package containment
    (message gives the path, "Sunroof → Premium package → Sunroof"); contradictions that make an
    option impossible to build — A requires and excludes B, A requires B while B excludes A, a
    package containing two options that exclude each other or one that excludes the package, and
    the transitive forms (A requires B, B requires C, A excludes C), where a build containing an
    option must also contain everything it requires or includes, recursively. Each contradiction is
    reported once, on the option with the smallest set of forced options that already shows it
    (ties: lowest code). Finally: a package offered on a trim where its content is not, and an
    option offered on a trim where an option it requires is not (trim codes, as given).
    Never raises for inconsistent rules; that is what it reports.
    """
    problems: list[RuleProblem] = []
    by_code: dict[str, Option] = {}
    for option in options:
        if option.code in by_code:
            problems.append(
                RuleProblem(
                    RuleProblemCode.DUPLICATE_CODE,
                    f"Option code {option.code!r} is used by both {by_code[option.code].name} and {option.name}",
                    (option.code,),
                )
            )
            continue
        by_code[option.code] = option
    codes = sorted(by_code)

    def name(code: str) -> str:
        return by_code[code].name

    for code in codes:
        option = by_code[code]
        for verb, refs in (("requires", option.requires), ("excludes", option.excludes), ("contains", option.contents)):
            for ref in sorted(refs - by_code.keys()):
                problems.append(
                    RuleProblem(
                        RuleProblemCode.UNKNOWN_REFERENCE,
                        f"{option.name} {verb} unknown option {ref!r}",
                        (code, ref),
                    )
                )
        if code in option.excludes:
            problems.append(RuleProblem(RuleProblemCode.SELF_EXCLUSION, f"{option.name} excludes itself", (code,)))

    requires_edges = {c: sorted(by_code[c].requires & by_code.keys()) for c in codes}
    contents_edges = {c: sorted(by_code[c].contents & by_code.keys()) for c in codes}
    for cycle in _cycles(requires_edges):
        problems.append(
            RuleProblem(
                RuleProblemCode.REQUIRES_CYCLE,
                f"Requirement cycle: {ARROW.join(name(c) for c in cycle)}",
                tuple(cycle),
            )
        )
    for cycle in _cycles(contents_edges):
        problems.append(
            RuleProblem(
                RuleProblemCode.PACKAGE_CYCLE,
                f"Package cycle: {ARROW.join(name(c) for c in cycle)}",
                tuple(cycle),
            )
        )

    problems.extend(_contradictions(by_code, requires_edges, contents_edges))

    for code in codes:
        option = by_code[code]
        for relation, refs, problem_code in (
            ("contains", option.contents, RuleProblemCode.CONTENT_NOT_ON_TRIM),
            ("requires", option.requires, RuleProblemCode.REQUIREMENT_NOT_ON_TRIM),
        ):
            for ref in sorted(refs & by_code.keys()):
                other = by_code[ref]
                if other.trims is None:
                    continue
                if option.trims is None:
                    problems.append(
                        RuleProblem(
                            problem_code,
                            f"{option.name} is offered on every trim but {relation} {other.name}, "
                            f"which is only offered on {_trim_list(other.trims)}",
                            (code, ref),
                        )
                    )
                elif missing := option.trims - other.trims:
                    problems.append(
                        RuleProblem(
                            problem_code,
                            f"{option.name} is offered on {_trim_list(missing)} but {relation} {other.name}, "
                            "which is not",
                            (code, ref),
                        )
                    )
    order = list(RuleProblemCode)
    problems.sort(key=lambda p: order.index(p.code))  # stable: keeps the by-code order inside a kind
    return problems


def _contradictions(
    by_code: Mapping[str, Option],
    requires_edges: Mapping[str, list[str]],
    contents_edges: Mapping[str, list[str]],
) -> list[RuleProblem]:
    """Report options whose forced set (requires + contents, transitively) holds two options that exclude each other."""
    codes = sorted(by_code)
    forces = {c: sorted(set(requires_edges[c]) | set(contents_edges[c])) for c in codes}
    forced = {c: _forced(c, forces) for c in codes}
    forced_sets = {c: frozenset(forced[c]) for c in codes}
    # Each unordered pair once; remember who declared it so the message quotes the catalog's own rule.
    pairs: dict[frozenset[str], list[tuple[str, str]]] = {}
    for code in codes:
        for other in sorted(by_code[code].excludes & by_code.keys()):
            if other != code:
                pairs.setdefault(frozenset((code, other)), []).append((code, other))

    problems: list[RuleProblem] = []
    for root in codes:
        mine = forced_sets[root]
        for pair, declared in sorted(pairs.items(), key=lambda item: sorted(item[0])):
            if not pair <= mine:
                continue
            if any(
                b != root
                and pair <= forced_sets[b]
                and (forced_sets[b] < mine or (forced_sets[b] == mine and b < root))
                for b in mine
            ):
                continue  # a smaller option already shows this contradiction
            problems.append(_contradiction(root, pair, declared, by_code, forced[root]))
    return problems


def _contradiction(
    root: str,
    pair: frozenset[str],
    declared: list[tuple[str, str]],
    by_code: Mapping[str, Option],
    parent: Mapping[str, str | None],
) -> RuleProblem:
    """Build the message for one contradiction found at ``root``."""
    option = by_code[root]
    x, y = sorted(pair)
    # Quote the rule as declared, preferring the root's own declaration.
    first = next((d for d in declared if d[0] == root), declared[0])
    excl = f"{by_code[first[0]].name} excludes {by_code[first[1]].name}"
    # The root comes first so callers can tell which option is impossible to build.
    other = y if x == root else x
    codes = (root, other) if root in pair else (root, x, y)
    if root in pair:
        other_name = by_code[other].name
        if other in option.requires:
            if first[0] == root:
                return RuleProblem(
                    RuleProblemCode.REQUIRES_AND_EXCLUDES, f"{option.name} requires and excludes {other_name}", codes
                )
            return RuleProblem(
                RuleProblemCode.REQUIRED_OPTION_EXCLUDES,
                f"{option.name} requires {other_name}, but {other_name} excludes {option.name}",
                codes,
            )
        if other in option.contents:
            return RuleProblem(
                RuleProblemCode.PACKAGE_CONTENT_EXCLUDED, f"{option.name} contains {other_name}, but {excl}", codes
            )
    elif x in option.contents and y in option.contents:
        return RuleProblem(
            RuleProblemCode.PACKAGE_CONTAINS_EXCLUSIVE,
            f"{option.name} contains {by_code[x].name} and {by_code[y].name}, but {excl}",
            codes,
        )
    brought = [
        f"{by_code[c].name} ({ARROW.join(by_code[p].name for p in _path(c, parent))})" for c in (x, y) if c != root
    ]
    return RuleProblem(
        RuleProblemCode.TRANSITIVE_CONTRADICTION,
        f"{option.name} cannot be built: it brings in {' and '.join(brought)}, but {excl}",
        codes,
    )
