"""Forms of the trade-in appraisal: the request (customer link and consultant) and the appraisal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.domain.trade_ins import CONDITION_QUESTIONS, MAX_ODOMETER
from app.fields import IntegerField
from app.forms.fields import MoneyField

#: Labels of the condition questions and their choices (keys in ``domain.trade_ins.CONDITION_QUESTIONS``).
QUESTION_LABELS = {
    "accidents": _l("Has the car had an accident?"),
    "damage": _l("Visible damage"),
    "service_history": _l("Service history"),
    "keys": _l("Keys"),
    "tyres": _l("Tyres"),
    "warning_lights": _l("Warning lights on the dashboard"),
}
CHOICE_LABELS = {
    ("accidents", "none"): _l("No accident"),
    ("accidents", "minor"): _l("Minor (repaired)"),
    ("accidents", "major"): _l("Major"),
    ("damage", "none"): _l("None"),
    ("damage", "cosmetic"): _l("Scratches or dents"),
    ("damage", "mechanical"): _l("Mechanical"),
    ("service_history", "full"): _l("Complete"),
    ("service_history", "partial"): _l("Partial"),
    ("service_history", "none"): _l("None"),
    ("keys", "two_or_more"): _l("Two or more"),
    ("keys", "one"): _l("One"),
    ("tyres", "good"): _l("Good"),
    ("tyres", "worn"): _l("Worn"),
    ("tyres", "replace"): _l("Need replacing"),
    ("warning_lights", "no"): _l("No"),
    ("warning_lights", "yes"): _l("Yes"),
}
STATUS_LABELS = {
    "requested": _l("Waiting for appraisal"),
    "appraised": _l("Appraised"),
    "expired": _l("Expired"),
    "withdrawn": _l("Withdrawn"),
}


_CHOICES = {q.key: q.choices for q in CONDITION_QUESTIONS}


def _question(key: str, choices: tuple[str, ...]) -> RadioField:
    return RadioField(QUESTION_LABELS[key], choices=[SelectChoice(c, CHOICE_LABELS[(key, c)]) for c in choices],
                      validators=[InputRequired(message=_l("Please answer this question."))])


class TradeInForm(FlaskForm):
    """The trade-in car, its condition, the payoff still owed and photos (multipart)."""

    vin = StringField(_l("VIN (17 characters)"), validators=[DataRequired(), Length(max=40)])
    year = IntegerField(_l("Model year"), validators=[InputRequired(), NumberRange(min=1950, max=2100)])
    make = StringField(_l("Make"), validators=[DataRequired(), Length(max=60)])
    model = StringField(_l("Model"), validators=[DataRequired(), Length(max=80)])
    odometer = IntegerField(_l("Odometer"), validators=[InputRequired(), NumberRange(min=0, max=MAX_ODOMETER)])
    odometer_unit = SelectField(_l("Unit"), choices=[SelectChoice("km", "km"), SelectChoice("mi", "mi")], validators=[InputRequired()])
    payoff = MoneyField(
        _l("Loan still owed on the car (payoff)"), places=None,
        validators=[InputRequired(), NumberRange(min=0, message=_l("The payoff cannot be negative."))],
    )
    photos = MultipleFileField(_l("Photos (JPEG or PNG, up to 8)"))
    note = TextAreaField(_l("Anything else we should know?"), validators=[Optional(), Length(max=2000)])

    accidents = _question("accidents", _CHOICES["accidents"])
    damage = _question("damage", _CHOICES["damage"])
    service_history = _question("service_history", _CHOICES["service_history"])
    keys = _question("keys", _CHOICES["keys"])
    tyres = _question("tyres", _CHOICES["tyres"])
    warning_lights = _question("warning_lights", _CHOICES["warning_lights"])

    def condition_fields(self):
        """Return the condition question fields in questionnaire order."""
        return [self[q.key] for q in CONDITION_QUESTIONS]


class AppraiseForm(FlaskForm):
    """The appraiser's valuation: value (≥ 0), validity date (not in the past, checked by the service) and notes."""

    value = MoneyField(_l("Appraised value"), places=None,
                         validators=[InputRequired(), NumberRange(min=0, message=_l("The value cannot be negative."))])
    valid_until = DateField(_l("Valid until"), validators=[InputRequired()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])


class WithdrawForm(FlaskForm):
    """Withdraw a request (optional reason)."""

    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
