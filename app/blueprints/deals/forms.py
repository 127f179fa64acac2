"""Forms of the deal pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.fields import IntegerField
from app.forms.fields import MoneyField


class DealFilterForm(FlaskForm):
    """Pipeline filters (GET): free text, state, consultant, page."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    state = SelectField(_l("State"), validators=[Optional()], validate_choice=False)
    consultant = IntegerField(_l("Consultant"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)])


class OfflineStepForm(FlaskForm):
    """A step done in the showroom of an O2O dealer, recorded after the fact."""

    action = SelectField(_l("Step"), validators=[InputRequired()], validate_choice=True)
    performed_by = StringField(_l("Done by"), validators=[DataRequired(), Length(max=200)])
    occurred_at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    amount_financed = MoneyField(_l("Amount financed"), validators=[Optional(), NumberRange(min=0)], places=None)
    balance_paid = MoneyField(_l("Balance paid"), validators=[Optional(), NumberRange(min=0)], places=None)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class CancelForm(FlaskForm):
    """Cancel a deal, with the reason."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ActionForm(FlaskForm):
    """A bare CSRF-protected action button."""
