"""Forms of the delivery step (staff deal page and the customer's purchase page)."""

from __future__ import annotations

from datetime import date, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.domain.delivery_slots import DeliverySlot
from app.fields import DecimalField, IntegerField
from app.forms.fields import MoneyField


def slot_value(slot: DeliverySlot) -> str:
    """Return the form value of ``slot``: ``"YYYY-MM-DDTHH:MM"`` (local date and start)."""
    return f"{slot.date.isoformat()}T{slot.start:%H:%M}"


def parse_slot(value: str | None) -> tuple[date, time] | None:
    """Return ``(local date, start)`` from a ``slot_value`` string, or None when malformed."""
    try:
        day, start = (value or "").split("T", 1)
        return date.fromisoformat(day), time.fromisoformat(start)
    except ValueError:
        return None


class BookDeliveryForm(FlaskForm):
    """Pick a slot and a delivery method (home delivery: address and its location for the radius check)."""

    # The free slots change between showing and posting; the service re-checks, so any value is accepted here.
    slot = RadioField(_l("Delivery time"), validators=[InputRequired(_l("Choose a delivery time."))], validate_choice=False)
    method = RadioField(_l("How you receive the car"), validators=[InputRequired()], validate_choice=False,
                        default="showroom_pickup")
    address = TextAreaField(_l("Delivery address"), validators=[Optional(), Length(max=500)])
    # Optional: without a shared location the dealer confirms the distance (and the fee) by hand.
    latitude = DecimalField(_l("Latitude"), places=None, max_digits=9, scale=6, validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = DecimalField(_l("Longitude"), places=None, max_digits=9, scale=6, validators=[Optional(), NumberRange(min=-180, max=180)])


class DistanceForm(FlaskForm):
    """The km staff measured to a home-delivery address typed without a shared location."""

    distance_km = DecimalField(_l("Distance from the dealership (km)"), places=None, max_digits=8,
                               validators=[InputRequired(_l("Enter the distance in km (0 or more).")),
                                           NumberRange(min=0, message=_l("Enter the distance in km (0 or more)."))])


class ChecklistForm(FlaskForm):
    """The pre-delivery checklist: the ticked items (``domain.delivery_handover.CHECKLIST`` values)."""

    items = SelectMultipleField(_l("Pre-delivery checklist"), validate_choice=True)


class BalanceForm(FlaskForm):
    """Money received from the customer towards the balance due."""

    amount = MoneyField(_l("Amount received"), places=None, validators=[InputRequired(), NumberRange(min=0)])


class HandoverForm(FlaskForm):
    """Handover confirmation: odometer reading and the customer's typed-name signature with consent."""

    odometer = IntegerField(_l("Odometer reading"), validators=[InputRequired(), NumberRange(min=0, max=999_999)])
    signed_name = StringField(_l("Customer's full name (signature)"), validators=[DataRequired(), Length(max=200)])
    consent = BooleanField(
        _l("I confirm I have received the vehicle, its keys and documents in the condition described."),
        validators=[DataRequired(_l("The customer must confirm they received the vehicle."))],
    )


class RebookTodayForm(FlaskForm):
    """Move the booking to one of today's slots: the customer came before the booked day."""

    slot_start = RadioField(_l("Today's slot"), validators=[InputRequired(_l("Choose one of today's slots."))],
                            validate_choice=False)
