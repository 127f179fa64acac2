"""Forms of the dealer blueprint: server-side validation with field-level messages.

Row editors (fees, taxes, slots, closures, deposits) are ``FieldList``s of sub-forms rendered with
a few blank rows; a row left completely blank is ignored, a partly filled row must be complete.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.fields import DecimalField, IntegerField, coerce_int
from app.forms.fields import AmountField, MoneyField
from config import Config

LOCALES = tuple(Config.LANGUAGES)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (touch friendly)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def _nonneg(message=None):
    return NumberRange(min=0, message=message or _l("Must not be negative."))


def _row_is_blank(form: Form, names: list[str]) -> bool:
    return all(form[name].raw_data in (None, [], [""]) or not "".join(form[name].raw_data).strip() for name in names)


# --- customers -------------------------------------------------------------------------------------


class CustomerForm(FlaskForm):
    """A customer record: identity, contact, consents, consultant, notes."""

    full_name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter the customer's name.")), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    preferred_locale = SelectField(_l("Preferred language"), choices=[], validate_choice=True)
    assigned_consultant_id = SelectField(_l("Assigned consultant"), coerce=coerce_int, choices=[])
    marketing_consent = BooleanField(_l("Agrees to receive marketing messages"))
    privacy_notice_version = StringField(_l("Privacy notice version"), validators=[Optional(), Length(max=20)])
    privacy_accepted = BooleanField(_l("Has accepted this privacy notice"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    allow_duplicate = BooleanField(_l("Save anyway: this is a different person"))

    def validate_privacy_accepted(self, field):
        if field.data and not (self.privacy_notice_version.data or "").strip():
            raise ValidationError(_l("Enter the version of the privacy notice the customer accepted."))


class NoteForm(FlaskForm):
    """A note for the customer's timeline."""

    text = TextAreaField(_l("Note"), validators=[DataRequired(message=_l("Write a note first.")), Length(max=2000)])


class MergeForm(FlaskForm):
    """Merge another record into this one (the older record is kept)."""

    other_id = HiddenField(validators=[DataRequired()])


# --- consultants -----------------------------------------------------------------------------------


class _AuthorityMixin:
    discount_max_amount = MoneyField(
        _l("Discount authority: amount"), places=None, validators=[Optional(), _nonneg()]
    )
    discount_max_percent = DecimalField(
        _l("Discount authority: percent of price"),
        places=None,
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("Enter a percentage between 0 and 100."))],
    )
    languages = MultiCheckboxField(_l("Languages spoken"), choices=[])


class InviteForm(_AuthorityMixin, FlaskForm):
    """Invite a new staff member by e-mail."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[])


class StaffForm(_AuthorityMixin, FlaskForm):
    """Edit a staff member's role, photo, languages and discount authority (the person's name is theirs)."""

    role = SelectField(_l("Role"), choices=[])
    photo = FileField(_l("Photo (JPEG, PNG or WebP)"))


class DeactivateForm(FlaskForm):
    """Deactivate a staff member; their open customers go to the colleague chosen."""

    reassign_to = SelectField(_l("Give their open customers to"), coerce=_optional_int, choices=[])


class ReactivateForm(FlaskForm):
    """Reactivate a staff member (CSRF only)."""


class AcceptInvitationForm(FlaskForm):
    """Choose a password to accept an invitation."""

    password = PasswordField(
        _l("Choose a password"), validators=[DataRequired(), Length(min=10, max=200, message=_l("Use at least 10 characters."))]
    )
    confirm = PasswordField(_l("Repeat the password"), validators=[DataRequired()])

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError(_l("The two passwords do not match."))


# --- purchasing conditions, fees and taxes --------------------------------------------------------


class PurchasingConditionsForm(FlaskForm):
    """Offer validity, required documents, policies per locale, payment methods."""

    offer_validity_days = IntegerField(
        _l("Offers are valid for (days)"),
        validators=[InputRequired(), NumberRange(min=1, max=365, message=_l("Enter between 1 and 365 days."))],
    )
    required_documents = TextAreaField(_l("Required documents (one per line)"), validators=[Optional(), Length(max=4000)],
                                       render_kw={"rows": 5})
    payment_methods = MultiCheckboxField(_l("Accepted payment methods"), choices=[])


for _locale in LOCALES:
    setattr(PurchasingConditionsForm, f"cancellation_{_locale}", TextAreaField(validators=[Optional(), Length(max=8000)]))
    setattr(PurchasingConditionsForm, f"refund_{_locale}", TextAreaField(validators=[Optional(), Length(max=8000)]))


class FeeRowForm(Form):
    """One fee row."""

    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    amount = MoneyField(_l("Amount"), places=None, validators=[Optional(), _nonneg(_l("A fee must not be negative."))])
    taxable = BooleanField(_l("Taxable"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not _row_is_blank(self, ["code", "name", "amount"]):
            for name in ("code", "name", "amount"):
                if self[name].data in (None, ""):
                    self[name].errors.append(_l("Required when the row is used."))
                    ok = False
        return ok


TAX_BASE_CHOICES = [
    ("vehicle", _l("Vehicle")),
    ("options", _l("Options")),
    ("accessories", _l("Accessories")),
    ("fees", _l("Taxable fees")),
]


class TaxRowForm(Form):
    """One tax row."""

    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    rate = DecimalField(
        _l("Rate %"),
        places=None,
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("A tax rate must be between 0 and 100 percent."))],
    )
    bases = MultiCheckboxField(_l("Applies to"))
    included_in_price = BooleanField(_l("Included in prices"))
    trade_in_credit = BooleanField(_l("Trade-in reduces the taxable amount"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are set per instance: WTForms 3.3 deprecates tuple choices in field declarations.
        self.bases.choices = TAX_BASE_CHOICES

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not _row_is_blank(self, ["code", "name", "rate"]):
            for name in ("code", "name", "rate"):
                if self[name].data in (None, ""):
                    self[name].errors.append(_l("Required when the row is used."))
                    ok = False
            if not self.bases.data:
                self.bases.errors.append(_l("Choose what the tax applies to."))
                ok = False
        return ok


def _rows(subform, min_entries: int) -> FieldList:
    return FieldList(FormField(subform), min_entries=min_entries)


class FeeTaxTableForm(FlaskForm):
    """The fee and tax table editor (rows of fees and taxes)."""

    fees = _rows(FeeRowForm, 1)
    taxes = _rows(TaxRowForm, 1)


# --- preset discounts and approval -----------------------------------------------------------------


class CatalogChoiceField(MultiCheckboxField):
    """Checkboxes fed by the published catalog (or a fixed list); a value not offered is refused, naming it."""

    def pre_validate(self, form):
        offered = {str(choice[0]) for choice in self.choices}
        unknown = [value for value in self.data or [] if value not in offered]
        if unknown:
            raise ValidationError(_l("Not one of the choices offered (the brand's published catalog): %(codes)s.",
                                     codes=", ".join(unknown)))


class PresetDiscountForm(FlaskForm):
    """A preset additional discount; the view fills the model, trim and condition choices."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = RadioField(_l("Type"), default="amount")
    value = AmountField(
        _l("Discount"), places=None, validators=[InputRequired(), NumberRange(min=0, message=_l("Must not be negative."))]
    )
    model_codes = CatalogChoiceField(_l("Models (none ticked = every model)"), choices=[])
    trim_codes = CatalogChoiceField(_l("Trims (none ticked = every trim)"), choices=[])
    conditions = CatalogChoiceField(_l("Stock conditions (none ticked = any)"), choices=[])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    stackable = BooleanField(_l("Can be combined with brand promotions"))
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("amount", _l("Amount")), ("percent", _l("Percentage"))]


class ApprovalSettingsForm(FlaskForm):
    """When an offer needs approval, and who approves."""

    threshold_amount = MoneyField(_l("Discount above this amount"), places=None, validators=[Optional(), _nonneg()])
    threshold_percent = DecimalField(
        _l("Discount above this percent of the price"),
        places=None,
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("Enter a percentage between 0 and 100."))],
    )
    minimum_gross = MoneyField(_l("Gross below this amount"), places=None, validators=[Optional()])
    unknown_cost_rule = RadioField(
        _l("When a stock car has no acquisition cost"), default="require_approval",
        validators=[DataRequired(message=_l("Choose what a stock car without a cost means."))],
    )
    approver_roles = MultiCheckboxField(
        _l("Who approves"), validators=[DataRequired(message=_l("Choose at least one approver role."))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.approver_roles.choices = [("dealer_principal", _l("Dealer principal")), ("sales_manager", _l("Sales manager"))]
        self.unknown_cost_rule.choices = [
            ("require_approval", _l("Require approval: the gross floor cannot be checked")),
            ("authority_only", _l("Check only the discount authority and the discount limits above")),
        ]


# --- reservation payment and delivery ---------------------------------------------------------------


class DepositRowForm(Form):
    """A deposit for one model code."""

    model_code = StringField(_l("Model code"), validators=[Optional(), Length(max=40)])
    amount = MoneyField(_l("Deposit"), places=None, validators=[Optional(), _nonneg()])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not _row_is_blank(self, ["model_code", "amount"]):
            for name in ("model_code", "amount"):
                if self[name].data in (None, ""):
                    self[name].errors.append(_l("Required when the row is used."))
                    ok = False
        return ok


class ReservationSettingsForm(FlaskForm):
    """Reservation deposit, refund terms, payment methods, payment-provider account."""

    default_deposit = MoneyField(_l("Default deposit"), places=None, validators=[InputRequired(), _nonneg()])
    refundable = BooleanField(_l("Deposit is refundable"))
    refundable_days = IntegerField(_l("Refundable until (days after payment; empty = until delivery)"), validators=[Optional(), _nonneg()])
    payment_methods = MultiCheckboxField(_l("Payment methods"), choices=[])
    provider_name = StringField(_l("Payment provider"), validators=[Optional(), Length(max=60)])
    merchant_id = StringField(_l("Merchant ID"), validators=[Optional(), Length(max=120)])
    provider_secret = PasswordField(_l("Secret key (leave empty to keep the stored key)"), validators=[Optional(), Length(min=8, max=500)])
    clear_secret = BooleanField(_l("Remove the stored secret key"))
    deposits = _rows(DepositRowForm, 1)


WEEKDAY_CHOICES = [
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
    (5, _l("Saturday")),
    (6, _l("Sunday")),
]


class SlotRowForm(Form):
    """A weekly delivery slot."""

    weekday = SelectField(_l("Day"), coerce=coerce_int, default=0)
    # Not "From"/"To": those msgids are translated as e-mail sender/recipient in the catalogs.
    start = TimeField(_l("Start time"), validators=[Optional()])
    end = TimeField(_l("End time"), validators=[Optional()])
    capacity = IntegerField(_l("Cars"), validators=[Optional(), NumberRange(min=1, message=_l("At least 1."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday.choices = WEEKDAY_CHOICES

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not _row_is_blank(self, ["start", "end", "capacity"]):
            for name in ("start", "end", "capacity"):
                if self[name].data is None:
                    self[name].errors.append(_l("Required when the row is used."))
                    ok = False
        return ok


class ClosureRowForm(Form):
    """Days without deliveries."""

    first_day = DateField(_l("First day"), validators=[Optional()])
    last_day = DateField(_l("Last day"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and self.first_day.data is None and (self.last_day.data or (self.reason.data or "").strip()):
            self.first_day.errors.append(_l("Required when the row is used."))
            ok = False
        return ok


class DeliverySettingsForm(FlaskForm):
    """Delivery methods, radius and fee, lead time, weekly slots, closures."""

    showroom_pickup = BooleanField(_l("Showroom pickup"))
    home_delivery = BooleanField(_l("Home delivery"))
    radius_km = DecimalField(_l("Home delivery radius (km)"), places=None, max_digits=8, validators=[Optional(), _nonneg()])
    home_delivery_fee = MoneyField(_l("Home delivery fee"), places=None, validators=[Optional(), _nonneg()])
    lead_time_days = IntegerField(_l("Lead time (days)"), validators=[InputRequired(), _nonneg()])
    slots = _rows(SlotRowForm, 1)
    closures = _rows(ClosureRowForm, 1)


# --- vehicle display -------------------------------------------------------------------------------


class DisplayToggleForm(FlaskForm):
    """Show (``1``) or hide (``0``) a model, trim or color online."""

    shown = HiddenField(validators=[AnyOf(["1", "0"])])


class DisplayMoveForm(FlaskForm):
    """Move a shown model one place up or down in the display order."""

    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class TrimPriceForm(FlaskForm):
    """The dealer's selling price of one trim; empty = sell at MSRP."""

    price = MoneyField(_l("Selling price"), validators=[Optional()])
