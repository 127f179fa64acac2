"""Forms of the inventory blueprint."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.blueprints.inventory.labels import CONDITION_LABELS, FIELD_LABELS, MODE_LABELS, STATUS_LABELS
from app.fields import IntegerField
from app.forms.fields import MoneyField
from app.imports.readers import SUPPORTED_ENCODINGS
from app.models.inventory import ImportMode
from app.services.inventory_import import IMPORTABLE_FIELDS


def _status_choices(blank: bool = False):
    choices = [(status.value, label) for status, label in STATUS_LABELS.items()]
    return ([("", _l("Any status"))] if blank else []) + choices


class FilterForm(FlaskForm):
    """Stock list filters (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validators=[Optional()])
    condition = SelectField(_l("Condition"), choices=[], validators=[Optional()])
    q = StringField(_l("Make or model"), validators=[Optional(), Length(max=80)])
    year_from = IntegerField(_l("Year from"), validators=[Optional(), NumberRange(1900, 2100)])
    year_to = IntegerField(_l("Year to"), validators=[Optional(), NumberRange(1900, 2100)])
    price_min = MoneyField(_l("Price from"), places=None, validators=[Optional(), NumberRange(min=0)])
    price_max = MoneyField(_l("Price to"), places=None, validators=[Optional(), NumberRange(min=0)])
    min_days = IntegerField(_l("At least days in stock"), validators=[Optional(), NumberRange(0, 10_000)])
    cost = SelectField(_l("Acquisition cost"), choices=[], validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Choices set after construction: WTForms 3.3 warns about tuple choices passed to the field class.
        self.status.choices = _status_choices(blank=True)
        self.condition.choices = [("", _l("Any condition"))] + [(c.value, label) for c, label in CONDITION_LABELS.items()]
        self.cost.choices = [("", _l("With or without a cost")), ("unknown", _l("Cost unknown")), ("known", _l("Cost entered"))]


class StatusForm(FlaskForm):
    """Change the status of one vehicle or of the ticked vehicles."""

    status = SelectField(_l("New status"), choices=[], validators=[DataRequired()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = _status_choices()


class CostForm(FlaskForm):
    """One car's acquisition cost (empty = unknown)."""

    cost = MoneyField(_l("Acquisition cost (internal)"), places=None,
                        validators=[Optional(), NumberRange(min=0, message=_l("Must not be negative."))])


class CostListForm(FlaskForm):
    """Costs of several cars at once: pasted lines or a CSV file of ``stock number or VIN, cost``."""

    lines = TextAreaField(_l("One car per line: stock number or VIN, then the cost"),
                          validators=[Optional(), Length(max=400_000)], render_kw={"rows": 10})
    file = FileField(_l("Or a CSV file with the same two columns"))


class UploadForm(FlaskForm):
    """Stock file (CSV, XLSX, XML), optional photo ZIP, and the CSV text encoding."""

    file = FileField(_l("Stock file (CSV, XLSX or XML)"), validators=[FileRequired(_l("Choose a file to import."))])
    photos = FileField(_l("Photos (ZIP of JPG/PNG named by VIN or stock number), optional"))
    encoding = SelectField(_l("Text encoding (CSV)"), choices=[], validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.encoding.choices = [("", _l("Detect automatically"))] + [(k, _l(v)) for k, v in SUPPORTED_ENCODINGS.items()]


def field_choices():
    """Choices for a column's target field: skip, then every importable field."""
    return [("", _l("— do not import —"))] + [(f.value, FIELD_LABELS[f]) for f in IMPORTABLE_FIELDS]


class MappingOptionsForm(FlaskForm):
    """The commit mode and whether to remember the mapping; the column selects are rendered beside it."""

    mode = RadioField(_l("When rows are rejected"), choices=[], default=ImportMode.VALID_ROWS.value,
                      validators=[DataRequired()])
    remember = BooleanField(_l("Remember these columns for my next import"), default=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mode.choices = [(m.value, label) for m, label in MODE_LABELS.items()]


class ApiKeyForm(FlaskForm):
    """Name a new API key (e.g. the dealer management system that will use it)."""

    name = StringField(_l("Key name"), validators=[DataRequired(), Length(max=80)])


class ConfirmForm(FlaskForm):
    """A bare form that carries only the CSRF token (commit, discard, revoke)."""
