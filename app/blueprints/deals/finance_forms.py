"""Forms of the finance application (shared by the staff pages and the customer's purchase page)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.domain.finance_application import FinanceStatus
from app.domain.money import quantum
from app.fields import DecimalField, IntegerField, coerce_int
from app.forms.fields import MoneyField

STATUS_LABELS = {
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "approved": _l("Approved"),
    "approved_with_conditions": _l("Approved with conditions"),
    "declined": _l("Declined"),
}
KIND_LABELS = {"finance": _l("Loan"), "lease": _l("Lease")}
DOCUMENT_KIND_LABELS = {"identity": _l("Identity document"), "income": _l("Proof of income"), "other": _l("Other")}


class FinanceApplicationForm(FlaskForm):
    """The applicant's identity, address, employment and income, the bank and the offer's scenario.

    The identity number is a password-style input: it is never rendered back into the page.
    """

    applicant_name = StringField(_l("Full name (as on the identity document)"), validators=[DataRequired(), Length(max=200)])
    date_of_birth = DateField(_l("Date of birth"), validators=[DataRequired()])
    national_id = PasswordField(
        _l("Identity / national ID number"),
        validators=[DataRequired(), Length(min=5, max=40),
                    Regexp(r"^[A-Za-z0-9][A-Za-z0-9 \-]*[A-Za-z0-9]$", message=_l("Use letters, digits, spaces or dashes only."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    address_line = StringField(_l("Street address"), validators=[DataRequired(), Length(max=300)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=120)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    employer = StringField(_l("Employer"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Position"), validators=[DataRequired(), Length(max=120)])
    employment_years = IntegerField(_l("Years with the employer"), validators=[InputRequired(), NumberRange(min=0, max=70)])
    monthly_income = MoneyField(_l("Monthly net income"), validators=[InputRequired(), NumberRange(min=0)], places=None)
    partner_bank_id = SelectField(_l("Partner bank"), coerce=coerce_int, validators=[InputRequired()])
    scenario_index = SelectField(_l("Payment scenario from your offer"), coerce=coerce_int, validators=[InputRequired()])
    consent = BooleanField(
        _l("I confirm these details are true and agree that the dealer passes them to the bank."), validators=[DataRequired()]
    )

    def __init__(self, *args, currency: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def validate_monthly_income(self, field) -> None:
        """Refuse more decimals than the deal currency has (KRW: none)."""
        if field.data is not None and self.currency and field.data != field.data.quantize(quantum(self.currency)):
            raise ValidationError(_l("Too many decimals for this currency."))


class DecisionForm(FlaskForm):
    """The bank's decision: approved (APR, term, amount), with conditions (+ conditions), or declined (reason)."""

    outcome = RadioField(
        _l("Decision"),
        choices=[SelectChoice(s.value, STATUS_LABELS[s.value]) for s in
                 (FinanceStatus.APPROVED, FinanceStatus.APPROVED_WITH_CONDITIONS, FinanceStatus.DECLINED)],
        validators=[InputRequired(message=_l("Choose the bank's decision."))],
    )
    apr_percent = DecimalField(_l("Final APR (%)"), max_digits=6, scale=3, validators=[Optional(), NumberRange(min=0, max=100)], places=None)
    term_months = IntegerField(_l("Term (months)"), validators=[Optional(), NumberRange(min=1, max=120)])
    amount_financed = MoneyField(_l("Amount financed"), validators=[Optional()], places=None)
    conditions = TextAreaField(_l("Conditions"), validators=[Optional(), Length(max=4000)])
    reason = TextAreaField(_l("Reason for the decline"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args, max_amount: Decimal | None = None, currency: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_amount, self.currency = max_amount, currency

    def validate(self, extra_validators=None) -> bool:
        """Check the fields, then what the chosen outcome requires."""
        ok = super().validate(extra_validators)
        if self.outcome.data == FinanceStatus.DECLINED.value:
            if not (self.reason.data or "").strip():
                self.reason.errors = [*self.reason.errors, _l("Give the bank's reason for the decline.")]
                ok = False
            return ok
        if self.outcome.data not in (FinanceStatus.APPROVED.value, FinanceStatus.APPROVED_WITH_CONDITIONS.value):
            return ok
        for field in (self.apr_percent, self.term_months, self.amount_financed):
            if field.data is None and not field.errors:
                field.errors = [*field.errors, _l("Required for an approval.")]
                ok = False
        amount = self.amount_financed.data
        if amount is not None and not self.amount_financed.errors:
            if amount <= 0:
                self.amount_financed.errors = [_l("The amount financed must be more than zero.")]
                ok = False
            elif self.currency and amount != amount.quantize(quantum(self.currency)):
                self.amount_financed.errors = [_l("Too many decimals for this currency.")]
                ok = False
            elif self.max_amount is not None and amount > self.max_amount:
                self.amount_financed.errors = [_l("The amount financed cannot exceed what is left to pay on the vehicle.")]
                ok = False
        if self.outcome.data == FinanceStatus.APPROVED_WITH_CONDITIONS.value and not (self.conditions.data or "").strip():
            self.conditions.errors = [*self.conditions.errors, _l("Enter the bank's conditions.")]
            ok = False
        return ok


class DocumentForm(FlaskForm):
    """One supporting document (PDF, JPG or PNG) and what it shows."""

    kind = SelectField(_l("Document"), choices=[SelectChoice(k, v) for k, v in DOCUMENT_KIND_LABELS.items()], validators=[InputRequired()])
    file = FileField(_l("File (PDF, JPG or PNG)"), validators=[FileRequired(message=_l("Choose a file."))])


class RevealForm(FlaskForm):
    """Open (unmask) one encrypted field; audit-logged."""

    what = HiddenField(validators=[AnyOf(["national_id", "monthly_income"])])


class FinanceFilterForm(FlaskForm):
    """Queue filter (GET): status, page."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[SelectChoice("", ""), *(SelectChoice(k, v) for k, v in STATUS_LABELS.items())], validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)])
