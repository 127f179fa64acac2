"""Forms of the corporate blueprint (server-side validation; choices are filled by the views from scoped queries)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.domain.money import minor_units, round_money
from app.fields import DecimalField, IntegerField, coerce_int
from app.forms.fields import MoneyField as SharedMoneyField
from app.i18n import tenant_currency

LOCALES = ("en", "ko", "ru", "th", "zh_Hans")


class FiniteDecimalField(DecimalField):
    """A decimal that refuses ``NaN``, ``sNaN``, ``Infinity`` and oversized numbers (``app.fields.DecimalField``)."""


class MoneyField(SharedMoneyField):
    """An amount in the brand's currency: shown grouped at its minor unit (KRW 0, THB 2 places), refused with more."""

    def post_validate(self, form, validation_stopped) -> None:
        """Refuse an amount with more decimals than the currency has (a KRW price of 19,990,000.5)."""
        currency = tenant_currency()
        if validation_stopped or not isinstance(self.data, Decimal) or not currency:
            return
        if round_money(self.data, currency) != self.data:
            places = minor_units(currency)
            raise ValidationError(
                gettext("%(currency)s amounts are whole numbers.", currency=currency) if places == 0
                else gettext("%(currency)s amounts have at most %(places)s decimal places.", currency=currency,
                             places=places))
CODE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", message=_l("Use letters, digits, dot, dash or underscore."))
MONEY = [DataRequired(), NumberRange(min=0, message=_l("Must be 0 or more."))]


def opts(*pairs) -> list[SelectChoice]:
    """Return static select choices as ``SelectChoice`` objects (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def coerce_id(value) -> int:
    """Coerce a posted id; junk or a number past ``INTEGER`` becomes 0, which no choice has ("not a valid choice")."""
    try:
        return coerce_int(value)
    except (TypeError, ValueError):
        return 0


def add_translations(form_cls, attr: str, label, *, textarea: bool = False, include_en: bool = False) -> None:
    """Add ``<attr>_<locale>`` fields for each UI locale (except English unless ``include_en``)."""
    field_cls = TextAreaField if textarea else StringField
    for locale in LOCALES:
        if locale == "en" and not include_en:
            continue
        setattr(form_cls, f"{attr}_{locale}", field_cls(label, validators=[Optional(), Length(max=2000)],
                                                        render_kw={"lang": locale.replace("_", "-")}))


def translation_fields(form, attr: str) -> list:
    """Return the translation fields of ``attr`` on a form instance, in locale order."""
    return [form[f"{attr}_{loc}"] for loc in LOCALES if f"{attr}_{loc}" in form]


def translations_data(form, attr: str) -> dict[str, str]:
    """Collect ``{locale: text}`` from a form's translation fields (blank ones left out)."""
    result = {}
    for loc in LOCALES:
        key = f"{attr}_{loc}"
        if key in form and (form[key].data or "").strip():
            result[loc] = form[key].data.strip()
    return result


def fill_translations(form, attr: str, texts: dict | None) -> None:
    """Put ``texts`` into the translation fields (GET of an edit form)."""
    for loc, text in (texts or {}).items():
        key = f"{attr}_{loc}"
        if key in form:
            form[key].data = text


# --- catalog ---------------------------------------------------------------------------------------


class CategoryForm(FlaskForm):
    """A body category."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30), CODE])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional()])


add_translations(CategoryForm, "name", _l("Name"))


class VehicleModelForm(FlaskForm):
    """A model line."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30), CODE])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    category_id = SelectField(_l("Category"), coerce=coerce_id, validators=[DataRequired()])
    model_year = IntegerField(_l("Model year"), validators=[DataRequired(), NumberRange(min=1990, max=2100)])
    body_style = StringField(_l("Body style"), validators=[Optional(), Length(max=40)])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional()])
    hero_image = FileField(_l("Hero image (JPEG, PNG or WebP)"))


add_translations(VehicleModelForm, "name", _l("Name"))
add_translations(VehicleModelForm, "description", _l("Description"), textarea=True, include_en=True)


class TrimForm(FlaskForm):
    """A trim with its MSRP and powertrain."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    model_id = SelectField(_l("Model"), coerce=coerce_id, validators=[DataRequired()])
    msrp = MoneyField(_l("MSRP"), validators=MONEY)
    dealer_price_min = MoneyField(
        _l("Lowest dealer price (empty: no dealer pricing)"),
        validators=[Optional(), NumberRange(min=0, message=_l("Must be 0 or more."))],
    )
    dealer_price_max = MoneyField(
        _l("Highest dealer price (empty: no dealer pricing)"),
        validators=[Optional(), NumberRange(min=0, message=_l("Must be 0 or more."))],
    )
    powertrain = StringField(_l("Powertrain"), validators=[Optional(), Length(max=80)])
    drivetrain = SelectField(_l("Drivetrain"), choices=opts(("FWD", "FWD"), ("RWD", "RWD"), ("AWD", "AWD"), ("4WD", "4WD")))
    transmission = StringField(_l("Transmission"), validators=[Optional(), Length(max=40)])
    fuel_type = SelectField(
        _l("Fuel type"),
        choices=opts(("gasoline", _l("Gasoline")), ("diesel", _l("Diesel")), ("hybrid", _l("Hybrid")),
                 ("phev", _l("Plug-in hybrid")), ("ev", _l("Electric")), ("lpg", _l("LPG")), ("fcev", _l("Hydrogen"))),
    )
    key_specs = TextAreaField(_l("Key specs (one “name: value” per line)"), validators=[Optional(), Length(max=2000)])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional()])
    feature_ids = SelectMultipleField(_l("Standard features"), coerce=coerce_id)

    def validate_dealer_price_max(self, field):
        low = self.dealer_price_min.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_l("The highest dealer price must not be below the lowest."))

    def validate_key_specs(self, field):
        for line in (field.data or "").splitlines():
            if line.strip() and ":" not in line:
                raise ValidationError(_l("Write each spec as “name: value”."))


add_translations(TrimForm, "name", _l("Name"))


class ColorForm(FlaskForm):
    """A paint or interior color."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20), CODE])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=opts(("exterior", _l("Exterior")), ("interior", _l("Interior"))))
    paint_type = SelectField(
        _l("Paint / material"),
        choices=opts(("solid", _l("Solid")), ("metallic", _l("Metallic")), ("pearl", _l("Pearl")), ("matte", _l("Matte")),
                 ("cloth", _l("Cloth")), ("leather", _l("Leather")), ("leatherette", _l("Leatherette"))),
    )
    swatch_hex = StringField(_l("Swatch"), default="#888888",
                             validators=[DataRequired(), Regexp(r"^#[0-9A-Fa-f]{6}$", message=_l("Use #RRGGBB."))],
                             render_kw={"type": "color"})
    surcharge = MoneyField(_l("Default surcharge"), default=0, validators=MONEY)


add_translations(ColorForm, "name", _l("Name"))


FEATURE_GROUPS = (("safety", _l("Safety")), ("comfort", _l("Comfort")), ("multimedia", _l("Multimedia")),
                  ("exterior", _l("Exterior")), ("interior", _l("Interior")), ("performance", _l("Performance")))


def feature_group_label(group: str) -> str:
    """Return the reader's label of a feature group code (``safety`` → "Safety" in the UI language)."""
    return str(dict(FEATURE_GROUPS).get(group, group))


class FeatureForm(FlaskForm):
    """A standard-equipment item."""

    group = SelectField(
        _l("Group"),
        choices=opts(*FEATURE_GROUPS),
    )
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    trim_ids = SelectMultipleField(_l("Trims that have it"), coerce=coerce_id)


add_translations(FeatureForm, "name", _l("Name"))


class OptionForm(FlaskForm):
    """An option or package with its rules."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30), CODE])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=opts(("single", _l("Single option")), ("package", _l("Package"))))
    price = MoneyField(_l("Price"), validators=MONEY)
    trim_ids = SelectMultipleField(_l("Trims (none = every trim)"), coerce=coerce_id)
    requires_ids = SelectMultipleField(_l("Requires"), coerce=coerce_id)
    excludes_ids = SelectMultipleField(_l("Excludes"), coerce=coerce_id)
    contents_ids = SelectMultipleField(_l("Package contents"), coerce=coerce_id)


add_translations(OptionForm, "name", _l("Name"))
add_translations(OptionForm, "description", _l("Description"), textarea=True, include_en=True)


class AccessoryForm(FlaskForm):
    """A dealer-fitted accessory."""

    part_number = StringField(_l("Part number"), validators=[DataRequired(), Length(max=40), CODE])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    price = MoneyField(_l("Price"), validators=MONEY)
    labour = MoneyField(_l("Fitting labour"), default=0, validators=MONEY)
    model_ids = SelectMultipleField(_l("Fits models"), coerce=coerce_id)


add_translations(AccessoryForm, "name", _l("Name"))


class WarrantyForm(FlaskForm):
    """A warranty."""

    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    years = IntegerField(_l("Years"), validators=[Optional(), NumberRange(min=1, max=30)])
    distance_km = IntegerField(_l("Distance (km)"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    model_ids = SelectMultipleField(_l("Models"), coerce=coerce_id)

    def validate_distance_km(self, field):
        if self.years.data is None and field.data is None:
            raise ValidationError(_l("Give the years, the distance, or both."))


add_translations(WarrantyForm, "name", _l("Name"))
add_translations(WarrantyForm, "terms", _l("Terms"), textarea=True, include_en=True)


class VideoForm(FlaskForm):
    """A video."""

    name = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=200)])
    url = URLField(_l("URL"), validators=[DataRequired(), Length(max=500),
                                          Regexp(r"^https://", message=_l("Use an https:// link."))])
    model_ids = SelectMultipleField(_l("Models"), coerce=coerce_id)


add_translations(VideoForm, "name", _l("Title"))


class ExpertReviewForm(FlaskForm):
    """A press review."""

    source = StringField(_l("Source"), validators=[DataRequired(), Length(max=120)])
    reviewer = StringField(_l("Reviewer"), validators=[Optional(), Length(max=120)])
    rating = DecimalField(_l("Rating (0–10)"), max_digits=3, scale=1, validators=[Optional(), NumberRange(min=0, max=10)])
    quote = TextAreaField(_l("Quote (English)"), validators=[DataRequired(), Length(max=2000)])
    url = URLField(_l("URL"), validators=[Optional(), Length(max=500),
                                          Regexp(r"^https://", message=_l("Use an https:// link."))])
    model_ids = SelectMultipleField(_l("Models"), coerce=coerce_id)


add_translations(ExpertReviewForm, "quote", _l("Quote"), textarea=True)


class PriceForm(FlaskForm):
    """Inline edit of one price."""

    price = MoneyField(_l("Price"), validators=MONEY)


class ColorExclusionForm(FlaskForm):
    """Forbid an exterior/interior pair."""

    exterior_id = SelectField(_l("Exterior"), coerce=coerce_id, validators=[DataRequired()])
    interior_id = SelectField(_l("Interior"), coerce=coerce_id, validators=[DataRequired()])
    trim_id = SelectField(_l("Trim"), coerce=coerce_id)


class ConfigurationForm(FlaskForm):
    """Try a build against the rules (nothing saved)."""

    class Meta:
        csrf = False

    exterior = SelectField(_l("Exterior"), validators=[Optional()])
    interior = SelectField(_l("Interior"), validators=[Optional()])
    options = SelectMultipleField(_l("Options"))


class ActionForm(FlaskForm):
    """A bare POST (publish, activate, withdraw…) protected by CSRF."""

    confirm = HiddenField()


# --- promotions --------------------------------------------------------------------------------------


class PromotionForm(FlaskForm):
    """A promotion; the domain module checks the combination of fields."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=opts(("cash_discount", _l("Cash discount")), ("percent_discount", _l("Percent discount")),
                 ("apr_subvention", _l("APR subvention")), ("free_accessory", _l("Free accessory")),
                 ("coupon", _l("Coupon"))),
    )
    scope = SelectField(_l("Scope"), choices=opts(("item", _l("Items (models, trims, options, accessories)")),
                                              ("order", _l("Whole offer"))))
    amount = MoneyField(_l("Discount amount"), validators=[Optional()])
    percent = DecimalField(_l("Discount percent"), max_digits=5, validators=[Optional()])
    apr = DecimalField(_l("Subvented APR (%)"), max_digits=5, validators=[Optional()])
    apr_term_min = IntegerField(_l("From term (months)"), validators=[Optional(), NumberRange(min=1, max=120)])
    apr_term_max = IntegerField(_l("To term (months)"), validators=[Optional(), NumberRange(min=1, max=120)])
    accessory_code = SelectField(_l("Free accessory"), validators=[Optional()])
    benefit_value = MoneyField(_l("Estimated customer benefit"), validators=[Optional()])
    min_order_amount = MoneyField(_l("Minimum offer amount"), validators=[Optional()])
    target_models = SelectMultipleField(_l("Target models"))
    target_trims = SelectMultipleField(_l("Target trims"))
    target_options = SelectMultipleField(_l("Target options"))
    target_accessories = SelectMultipleField(_l("Target accessories"))
    all_dealers = BooleanField(_l("Every dealer of the brand"), default=True)
    dealer_ids = SelectMultipleField(_l("Eligible dealers"), coerce=coerce_id)
    valid_from = DateTimeLocalField(_l("Valid from (brand time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    valid_until = DateTimeLocalField(_l("Valid until (brand time, exclusive)"), format="%Y-%m-%dT%H:%M",
                                     validators=[Optional()])
    priority = IntegerField(_l("Priority (higher wins)"), default=0, validators=[Optional()])
    exclusive = BooleanField(_l("Exclusive (not stackable)"))
    budget_max_count = IntegerField(_l("Budget: maximum uses"), validators=[Optional(), NumberRange(min=1)])
    budget_max_amount = MoneyField(_l("Budget: maximum amount"), validators=[Optional()])
    coupons = TextAreaField(_l("Coupon codes (one per line, “CODE” or “CODE,uses”; uses 0 = unlimited)"),
                            validators=[Optional(), Length(max=20000)])

    def validate_apr_term_max(self, field):
        if field.data is not None and self.apr_term_min.data is not None and field.data < self.apr_term_min.data:
            raise ValidationError(_l("The last term must not be shorter than the first."))


add_translations(PromotionForm, "name", _l("Name"))
add_translations(PromotionForm, "text", _l("Customer text"), textarea=True, include_en=True)


class BannerForm(FlaskForm):
    """A promotion banner."""

    image = FileField(_l("Image (JPEG, PNG or WebP)"))
    all_dealers = BooleanField(_l("Every dealer of the brand"), default=True)
    dealer_ids = SelectMultipleField(_l("Target dealers"), coerce=coerce_id)
    starts_at = DateTimeLocalField(_l("Starts (brand time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (brand time, exclusive)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional()])

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))


add_translations(BannerForm, "headline", _l("Headline"), include_en=True)
add_translations(BannerForm, "link", _l("Link"), include_en=True)


# --- dealers, consultants, customers -------------------------------------------------------------------


class DealerForm(FlaskForm):
    """A dealership of the brand."""

    code = StringField(_l("Dealer code"), validators=[DataRequired(), Length(max=20), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("Web address name"), validators=[DataRequired(), Length(max=60),
                                                           Regexp(r"^[a-z0-9][a-z0-9-]*$",
                                                                  message=_l("Use lower-case letters, digits and dashes."))])
    street = StringField(_l("Street"), validators=[Optional(), Length(max=200)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=100)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    latitude = DecimalField(_l("Latitude"), places=6, max_digits=9, scale=6, validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = DecimalField(_l("Longitude"), places=6, max_digits=9, scale=6, validators=[Optional(), NumberRange(min=-180, max=180)])
    business_model = SelectField(_l("Business model"), choices=opts(("E2E", _l("E2E: the whole sale online")),
                                                                ("O2O", _l("O2O: online up to the reservation"))))
    locale = SelectField(_l("Language"), choices=[])
    currency = StringField(_l("Currency"), validators=[DataRequired(), Regexp(r"^[A-Z]{3}$",
                                                                              message=_l("Use an ISO 4217 code."))])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])

    def validate_timezone(self, field):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(field.data)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(_l("Unknown time zone.")) from exc


class InviteForm(FlaskForm):
    """Invite the dealer principal."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class SearchForm(FlaskForm):
    """A GET search box."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


class PriceImportForm(FlaskForm):
    """Upload a price list (CSV or XLSX); the encoding matters for CSV files that are not UTF-8."""

    file = FileField(_l("Price list (CSV or XLSX)"))
    encoding = SelectField(_l("Text encoding (CSV)"), validators=[Optional()])


class PriceImportConfirmForm(FlaskForm):
    """Apply a previewed price list: the signed token names the stored file, never the preview itself."""

    token = HiddenField(validators=[DataRequired()])


# --- partner banks ------------------------------------------------------------------------------------


def _blank(field) -> bool:
    return not "".join(field.raw_data or []).strip()


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class AprBandRowForm(Form):
    """One band of a rate sheet: from/to months (inclusive) at an APR in percent; a blank row is ignored."""

    min_term = IntegerField(_l("From (months)"), validators=[
        Optional(), NumberRange(min=1, max=120, message=_l("Enter a term from 1 to 120 months."))])
    max_term = IntegerField(_l("To (months)"), validators=[
        Optional(), NumberRange(min=1, max=120, message=_l("Enter a term from 1 to 120 months."))])
    apr = FiniteDecimalField(_l("APR (%)"), places=None, validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("Enter an APR between 0 and 100."))])
    # Optional: the largest balloon (final payment) the bank writes on these terms; empty = none.
    max_balloon_percent = FiniteDecimalField(_l("Largest balloon (percent of the price)"), places=None, validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("Enter a percentage between 0 and 100."))])

    def is_blank(self) -> bool:
        """Return True when nothing was typed in the row (it is then left out)."""
        return all(_blank(self[name]) for name in ("min_term", "max_term", "apr"))

    def validate(self, extra_validators=None) -> bool:
        """Check the row alone: complete when used, from ≤ to, APR with at most 3 decimal places."""
        ok = super().validate(extra_validators)
        if not ok or self.is_blank():
            return ok
        for name in ("min_term", "max_term", "apr"):
            if self[name].data is None:
                self[name].errors.append(gettext("Required when the row is used."))
                ok = False
        if not ok:
            return False
        if self.min_term.data > self.max_term.data:
            self.max_term.errors.append(gettext("The band must end at or after the month it starts."))
            ok = False
        if _decimals(self.apr.data) > 3:
            self.apr.errors.append(gettext("Use at most 3 decimal places."))
            ok = False
        if self.max_balloon_percent.data is not None and _decimals(self.max_balloon_percent.data) > 2:
            self.max_balloon_percent.errors.append(gettext("Use at most 2 decimal places."))
            ok = False
        return ok


class PartnerBankForm(FlaskForm):
    """A partner bank's rate sheet: name, longest term, minimum down payment and APR by term band.

    Rules checked across rows (messages on the row at fault): at least one band; bands neither
    overlap nor leave a gap; the last band ends at the bank's longest term, so every term the bank
    writes has exactly one APR (``domain.finance.PartnerBankTerms.apr_for``).
    """

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter the bank's name.")), Length(max=120)])
    max_term = IntegerField(_l("Longest term (months)"), validators=[
        InputRequired(message=_l("Enter a term from 1 to 120 months.")),
        NumberRange(min=1, max=120, message=_l("Enter a term from 1 to 120 months."))])
    min_down_payment_percent = FiniteDecimalField(_l("Minimum down payment (percent of the price)"), places=None, validators=[
        InputRequired(message=_l("Enter a percentage between 0 and 100.")),
        NumberRange(min=0, max=100, message=_l("Enter a percentage between 0 and 100."))])
    bands = FieldList(FormField(AprBandRowForm), min_entries=1)

    def validate_min_down_payment_percent(self, field) -> None:
        """At most two decimal places, as stored (``Numeric(5, 2)``)."""
        if field.data is not None and _decimals(field.data) > 2:
            raise ValidationError(gettext("Use at most 2 decimal places."))

    def filled_bands(self) -> list[AprBandRowForm]:
        """Return the band rows that are not blank, in the order typed."""
        return [entry.form for entry in self.bands.entries if not entry.form.is_blank()]

    def validate(self, extra_validators=None) -> bool:
        """Validate the fields, then the bands together (see the class docstring)."""
        ok = super().validate(extra_validators)
        rows = self.filled_bands()
        if not rows:
            self.form_errors.append(gettext("Give at least one APR band."))
            return False
        if not ok or self.max_term.data is None:
            return False
        ordered = sorted(rows, key=lambda r: r.min_term.data)
        previous = None
        for row in ordered:
            low, high = row.min_term.data, row.max_term.data
            if high > self.max_term.data:
                row.max_term.errors.append(gettext("Ends after the bank's longest term (%(n)s months).", n=self.max_term.data))
                ok = False
            if previous is not None:
                if low <= previous.max_term.data:
                    row.min_term.errors.append(gettext("Overlaps the band %(low)s–%(high)s months.",
                                                       low=previous.min_term.data, high=previous.max_term.data))
                    ok = False
                elif low > previous.max_term.data + 1:
                    row.min_term.errors.append(gettext("Leaves months %(low)s–%(high)s without an APR.",
                                                       low=previous.max_term.data + 1, high=low - 1))
                    ok = False
            previous = row
        last = ordered[-1].max_term.data
        if ok and last < self.max_term.data:
            self.max_term.errors.append(gettext("The bands stop at %(n)s months: extend the last band or shorten the "
                                                "longest term.", n=last))
            ok = False
        return ok
