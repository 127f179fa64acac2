"""Offer workflow forms."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from app.fields import IntegerField, coerce_int
from app.forms.fields import AmountField  # noqa: F401 - the builder's amounts and percents (re-exported)


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


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multiple choice (choices are set per request)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Range(NumberRange):
    """``NumberRange`` that leaves an unreadable value to the field's own message (no second error)."""

    def __call__(self, form, field):
        if field.data is None:
            return
        super().__call__(form, field)


def _opts(*pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


_NOT_NEGATIVE = Range(min=0, message=_l("Must not be negative."))
_PERCENT = Range(min=0, max=100, message=_l("Enter a percentage from 0 to 100."))
_TERM = Range(min=1, max=120, message=_l("Enter a term from 1 to 120 months."))
_NUMBER = _l("Enter a whole number.")


class OfferBuilderForm(FlaskForm):
    """The offer builder: customer, vehicle, discounts, trade-in and payment scenarios (re-priced on every change)."""

    idempotency_key = HiddenField(validators=[Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9_-]*$")])
    base_revision_no = IntegerField(widget=HiddenInput(), validators=[Optional(), Range(min=1)])
    changed = HiddenField(validators=[Optional(), Length(max=60)])

    customer_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    customer_q = StringField(_l("Find customer"), validators=[Optional(), Length(max=100)])
    new_customer_name = StringField(_l("Or a new customer: name"), validators=[Optional(), Length(max=200)])
    new_customer_email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    new_customer_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    new_customer_privacy = BooleanField(_l("The customer has read the privacy notice and agrees that we keep their details "
                                           "for this purchase (required)"))
    new_customer_marketing = BooleanField(_l("The customer agrees to receive marketing messages (optional)"))

    source = RadioField(_l("Vehicle"), choices=_opts(("catalog", _l("New car")), ("stock", _l("From stock"))), default="catalog")
    model_code = SelectField(_l("Model"), choices=[], validate_choice=False)
    trim_code = SelectField(_l("Trim"), choices=[], validate_choice=False)
    exterior_code = SelectField(_l("Exterior colour"), choices=[], validate_choice=False)
    interior_code = SelectField(_l("Interior colour"), choices=[], validate_choice=False)
    option_codes = MultiCheckboxField(_l("Options and packages"), choices=[], validate_choice=False)
    accessory_codes = MultiCheckboxField(_l("Accessories"), choices=[], validate_choice=False)
    stock_q = StringField(_l("Find in stock (VIN, stock number, model)"), validators=[Optional(), Length(max=60)])
    stock_id = IntegerField(widget=HiddenInput(), validators=[Optional()])

    preset_ids = MultiCheckboxField(_l("Dealer discounts"), choices=[], coerce=coerce_int, validate_choice=False)
    manual_kind = SelectField(_l("Discount type"), choices=_opts(("amount", _l("Amount")), ("percent", _l("Percent"))),
                              default="amount")
    manual_value = AmountField(_l("Additional discount"), validators=[Optional(), _NOT_NEGATIVE])
    manual_reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])
    coupon_code = StringField(_l("Coupon code"), validators=[Optional(), Length(max=40)])

    trade_vin = StringField(_l("Trade-in VIN"), validators=[Optional(), Length(max=17)])
    trade_year = IntegerField(_l("Year"), validators=[Optional(), Range(min=1950, max=2100, message=_l("Enter a model year."))])
    trade_make = StringField(_l("Make"), validators=[Optional(), Length(max=60)])
    trade_model = StringField(_l("Model"), validators=[Optional(), Length(max=80)])
    trade_odometer = IntegerField(_l("Odometer"), validators=[Optional(), _NOT_NEGATIVE])
    trade_condition = SelectField(_l("Condition"), choices=_opts(("", "—"), ("excellent", _l("Excellent")), ("good", _l("Good")),
                                                                ("fair", _l("Fair")), ("poor", _l("Poor"))), default="")
    trade_allowance = AmountField(_l("Allowance"), validators=[Optional(), _NOT_NEGATIVE])
    trade_payoff = AmountField(_l("Payoff owed"), validators=[Optional(), _NOT_NEGATIVE])

    finance_enabled = BooleanField(_l("Finance"))
    finance_bank_id = SelectField(_l("Partner bank"), choices=[], validate_choice=False)
    finance_apr = AmountField(_l("APR %"), validators=[Optional(), Range(min=0, max=100, message=_l("APR must be between 0 and 100."))])
    finance_term = IntegerField(_l("Term (months)"), validators=[Optional(), _TERM])
    finance_down = AmountField(_l("Down payment"), validators=[Optional(), _NOT_NEGATIVE])
    # Optional balloon (final payment): an amount, or a percent of the net price; empty = none.
    finance_balloon = AmountField(_l("Balloon (final payment)"), validators=[Optional(), _NOT_NEGATIVE])
    finance_balloon_kind = SelectField(_l("Balloon as"), choices=_opts(("amount", _l("Amount")),
                                                                       ("percent", _l("Percent of the price"))),
                                       default="amount")

    lease_enabled = BooleanField(_l("Lease"))
    lease_bank_id = SelectField(_l("Partner bank"), choices=[], validate_choice=False)
    lease_apr = AmountField(_l("APR %"), validators=[Optional(), Range(min=0, max=100, message=_l("APR must be between 0 and 100."))])
    lease_term = IntegerField(_l("Term (months)"), validators=[Optional(), _TERM])
    lease_down = AmountField(_l("Down payment"), validators=[Optional(), _NOT_NEGATIVE])
    lease_residual = AmountField(_l("Residual %"), validators=[Optional(), _PERCENT])
