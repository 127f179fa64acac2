"""Offer workflow forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ActionForm(FlaskForm):
    """A bare workflow action (submit, send, withdraw): CSRF and the revision the user saw."""

    revision_no = IntegerField(validators=[DataRequired(), NumberRange(min=1)])


class DecisionForm(FlaskForm):
    """Approve or return an offer, with a comment (required to return)."""

    revision_no = IntegerField(validators=[DataRequired(), NumberRange(min=1)])
    decision = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class OfferFilterForm(FlaskForm):
    """Filters of the offer list (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    state = SelectMultipleField(_l("State"), choices=[], validators=[Optional()])
    consultant = IntegerField(_l("Consultant"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
