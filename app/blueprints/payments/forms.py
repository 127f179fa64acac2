"""Forms of the payment pages (public reservation, test checkout, purchase page, staff refund)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.fields import DecimalField


class ReservationForm(FlaskForm):
    """The customer's details and the acceptance of the reservation terms."""

    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    terms = BooleanField(_l("I accept the reservation terms and the refund policy above."), validators=[DataRequired()])


class CardForm(FlaskForm):
    """A card number typed on the test provider's checkout page."""

    card_number = StringField(_l("Card number"), validators=[DataRequired(), Length(max=30)])


class PayDepositForm(FlaskForm):
    """The purchase page's "Pay the reservation deposit" button (CSRF only)."""


class RefundForm(FlaskForm):
    """A staff refund of (part of) a deposit."""

    amount = DecimalField(_l("Amount to refund"), validators=[InputRequired(), NumberRange(min=0)], places=None)
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
