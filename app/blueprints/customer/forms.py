"""Customer decision forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class AcceptForm(FlaskForm):
    """Accept: type the full name and tick the conditions."""

    full_name = StringField(_l("Type your full name"), validators=[DataRequired(), Length(max=200)])
    conditions = BooleanField(_l("I have read and accept the purchasing conditions"), validators=[DataRequired()])


class DeclineForm(FlaskForm):
    """Decline with a reason."""

    reason = TextAreaField(_l("Why are you declining? (optional)"), validators=[Length(max=2000)])
