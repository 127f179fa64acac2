"""Trade-in appraisal: the customer's car, its condition answers, the appraisal's life cycle and validity.

Life cycle (``transition``; the service audit-logs every step)::

    requested ──appraise──▶ appraised ──expire──▶ expired
        │                       │
        └──withdraw──▶ withdrawn ◀──withdraw──┘

* ``expired`` and ``withdrawn`` are terminal. An appraisal expires at the end of the dealer's local
  business day of its ``valid_until`` date (``offer_states.expires_at``: the next local midnight in
  the dealer's IANA time zone), checked lazily on every read; an expired value is never applied.
* **Response time** (for the response-time reports) is ``appraised_at − requested_at`` in whole
  seconds (``response_seconds``), recorded once when the appraisal is made.

Input rules (``check_vehicle``, ``check_condition``, ``check_payoff``, ``check_appraisal``):

* VIN: ISO 3779 through ``domain.vin.check_vin`` (errors refuse it, warnings do not);
* model year 1950 … next calendar year; odometer a whole number 0 … 2,000,000 in km or mi;
* every condition question answered with one of its choices (``CONDITION_QUESTIONS``);
* payoff (the loan still owed on the car) and appraised value ≥ 0, with no more decimals than the
  currency has (``money.quantum``); the validity date not before the dealer's local today.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from app.domain.messages import N_, Text
from app.domain.money import ZERO, quantum
from app.domain.offer_states import expires_at
from app.domain.vin import check_vin

MIN_YEAR = 1950
MAX_ODOMETER = 2_000_000
ODOMETER_UNITS = ("km", "mi")


class TradeInStatus(StrEnum):
    """Where an appraisal request is."""

    REQUESTED = "requested"
    APPRAISED = "appraised"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


#: A status as a word inside a sentence ("… that is expired"), translated by the reader's locale.
STATUS_LABELS = {
    TradeInStatus.REQUESTED: N_("requested"),
    TradeInStatus.APPRAISED: N_("appraised"),
    TradeInStatus.EXPIRED: N_("expired"),
    TradeInStatus.WITHDRAWN: N_("withdrawn"),
}

class TradeInAction(StrEnum):
    """What can happen to an appraisal request."""

    APPRAISE = "appraise"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"


TERMINAL = frozenset({TradeInStatus.EXPIRED, TradeInStatus.WITHDRAWN})

_S, _A = TradeInStatus, TradeInAction
TRANSITIONS: dict[tuple[TradeInStatus, TradeInAction], TradeInStatus] = {
    (_S.REQUESTED, _A.APPRAISE): _S.APPRAISED,
    (_S.APPRAISED, _A.EXPIRE): _S.EXPIRED,
    (_S.REQUESTED, _A.WITHDRAW): _S.WITHDRAWN,
    (_S.APPRAISED, _A.WITHDRAW): _S.WITHDRAWN,
}


class TradeInError(ValueError):
    """Bad trade-in input or a step that is not allowed; ``field`` names the form field (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def transition(status: TradeInStatus, action: TradeInAction) -> TradeInStatus:
    """Return the status after ``action``; raises ``TradeInError`` for a move not in ``TRANSITIONS``."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        message = Text(N_("This step is not possible for a trade-in appraisal that is %(status)s."), status=Text(STATUS_LABELS.get(status, status.value)))
        raise TradeInError(message)
    return target


@dataclass(frozen=True, slots=True)
class Question:
    """One condition question: a stable ``key`` (stored), the English ``label`` and the allowed ``choices`` (keys)."""

    key: str
    label: str
    choices: tuple[str, ...]


#: The condition questionnaire, in display order. Answers are stored as ``{key: choice}``.
CONDITION_QUESTIONS: tuple[Question, ...] = (
    Question("accidents", "Accident history", ("none", "minor", "major")),
    Question("damage", "Visible damage", ("none", "cosmetic", "mechanical")),
    Question("service_history", "Service history", ("full", "partial", "none")),
    Question("keys", "Keys", ("two_or_more", "one")),
    Question("tyres", "Tyres", ("good", "worn", "replace")),
    Question("warning_lights", "Warning lights on the dashboard", ("no", "yes")),
)
QUESTIONS_BY_KEY = {q.key: q for q in CONDITION_QUESTIONS}


@dataclass(frozen=True, slots=True)
class VehicleFacts:
    """The trade-in car as validated: normalised VIN, model year, make, model, odometer and its unit."""

    vin: str
    year: int
    make: str
    model: str
    odometer: int
    odometer_unit: str

    @property
    def description(self) -> str:
        """Return "2019 Hyundai Elantra"."""
        return f"{self.year} {self.make} {self.model}"


def check_vehicle(*, vin: str | None, year: int | None, make: str | None, model: str | None, odometer: int | None,
                  odometer_unit: str | None, today: date) -> VehicleFacts:
    """Return the validated ``VehicleFacts``; raises ``TradeInError`` (with the field) on the first problem.

    ``today`` (the dealer's local date) bounds the model year: at most next year's models.
    """
    checked = check_vin(vin)
    if checked.vin is None:
        raise TradeInError(checked.errors[0].message, "vin")
    if year is None or not MIN_YEAR <= year <= today.year + 1:
        message = Text(N_("Enter a model year between %(low)s and %(high)s."), low=MIN_YEAR, high=today.year + 1)
        raise TradeInError(message, "year")
    make, model = (make or "").strip(), (model or "").strip()
    if not make:
        raise TradeInError("Enter the make.", "make")
    if not model:
        raise TradeInError("Enter the model.", "model")
    if len(make) > 60 or len(model) > 80:
        raise TradeInError("The make or model is too long.", "model")
    if odometer is None or not 0 <= odometer <= MAX_ODOMETER:
        message = Text(N_("Enter the odometer reading (0 to %(max)s)."), max=MAX_ODOMETER)
        raise TradeInError(message, "odometer")
    if odometer_unit not in ODOMETER_UNITS:
        raise TradeInError("Choose km or mi.", "odometer_unit")
    return VehicleFacts(checked.vin, year, make, model, odometer, odometer_unit)


def check_condition(answers: Mapping[str, str | None]) -> dict[str, str]:
    """Return the answers of every ``CONDITION_QUESTIONS`` key (unknown keys dropped).

    Raises ``TradeInError`` (field = the question key) for a missing or unknown choice.
    """
    result: dict[str, str] = {}
    for question in CONDITION_QUESTIONS:
        answer = answers.get(question.key)
        if answer not in question.choices:
            message = Text(N_("Answer the question: %(question)s."), question=Text(question.label))
            raise TradeInError(message, question.key)
        result[question.key] = answer
    return result


#: field → (missing, not a number, negative, too many decimals) messages of an amount.
_AMOUNT_TEXTS = {
    "payoff": (N_("Enter the payoff (0 if none)."), N_("The payoff is not a valid amount."),
               N_("The payoff cannot be negative."), N_("The payoff has too many decimals for %(currency)s.")),
    "value": (N_("Enter the appraised value (0 if none)."), N_("The appraised value is not a valid amount."),
              N_("The appraised value cannot be negative."),
              N_("The appraised value has too many decimals for %(currency)s.")),
}


def _amount(value: Decimal | None, currency: str, field: str) -> Decimal:
    missing, invalid, negative, inexact = _AMOUNT_TEXTS[field]
    if value is None:
        message = Text(missing)
        raise TradeInError(message, field)
    try:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidOperation
        exact = value.quantize(quantum(currency))
    except InvalidOperation as exc:
        message = Text(invalid)
        raise TradeInError(message, field) from exc
    if value < ZERO:
        message = Text(negative)
        raise TradeInError(message, field)
    if exact != value:
        message = Text(inexact, currency=currency)
        raise TradeInError(message, field)
    return exact


def check_payoff(payoff: Decimal | None, currency: str) -> Decimal:
    """Return the declared payoff (loan still owed on the car) at the currency's exponent; ``TradeInError`` if bad."""
    return _amount(payoff, currency, "payoff")


def check_appraisal(value: Decimal | None, valid_until: date | None, currency: str, today: date) -> tuple[Decimal, date]:
    """Return ``(value, valid_until)`` of an appraisal; raises ``TradeInError`` for a negative or inexact
    value, or a validity date missing or before ``today`` (the dealer's local date)."""
    amount = _amount(value, currency, "value")
    if valid_until is None:
        raise TradeInError("Enter the date the value is valid until.", "valid_until")
    if valid_until < today:
        raise TradeInError("The validity date cannot be in the past.", "valid_until")
    return amount, valid_until


def is_expired(status: TradeInStatus, valid_until: date | None, timezone: str, now: datetime) -> bool:
    """Return True when an appraised value must now be marked expired (end of the local ``valid_until`` day)."""
    return status is TradeInStatus.APPRAISED and valid_until is not None and now >= expires_at(valid_until, timezone)


def response_seconds(requested_at: datetime, appraised_at: datetime) -> int:
    """Return the response time in whole seconds (never negative) between request and appraisal (aware datetimes)."""
    return max(0, int((appraised_at - requested_at).total_seconds()))


def equity(value: Decimal, payoff: Decimal) -> Decimal:
    """Return the trade-in equity: appraised value − payoff (negative when more is owed than the car is worth)."""
    return value - payoff


#: Answers that make a car "poor" or "fair" for the offer builder's trade-in condition grade.
_POOR = {("accidents", "major"), ("damage", "mechanical"), ("warning_lights", "yes")}
_FAIR = {("accidents", "minor"), ("damage", "cosmetic"), ("service_history", "none"), ("tyres", "replace"),
         ("keys", "one")}


def grade(answers: Mapping[str, str]) -> str:
    """Return the builder's condition grade (``excellent``/``good``/``fair``/``poor``) for validated answers.

    A major accident, mechanical damage or a warning light → ``poor``; otherwise two or more "fair"
    answers (minor accident, cosmetic damage, no service history, tyres to replace, one key) →
    ``fair``, one → ``good``; none and a full service history with good tyres → ``excellent``, else ``good``.
    """
    pairs = set(answers.items())
    if pairs & _POOR:
        return "poor"
    fair = len(pairs & _FAIR)
    if fair >= 2:
        return "fair"
    if fair == 1:
        return "good"
    if answers.get("service_history") == "full" and answers.get("tyres") == "good":
        return "excellent"
    return "good"
