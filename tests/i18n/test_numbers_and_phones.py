"""Amounts grouped per locale and read back, phones per country, refused steps in the reader's language (issue 11 items 7, 8)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.domain.contact import format_phone, region_of
from app.domain.trade_ins import TradeInError, check_payoff
from app.forms.fields import format_amount, parse_amount
from app.i18n import error_message

D = Decimal


@pytest.mark.parametrize(("value", "places", "locale", "shown"), [
    (D("9000000.00"), 0, "ko", "9,000,000"),
    (D("10000000"), 0, "th", "10,000,000"),
    (D("9000000.00"), 2, "th", "9,000,000.00"),
    (D("9000000"), 0, "ru", "9\u00a0000\u00a0000"),
    (D("1500.5"), 2, "ru", "1\u00a0500,50"),
])
def test_amounts_are_grouped_at_the_currency_minor_units(value, places, locale, shown):
    assert format_amount(value, places, locale) == shown
    assert parse_amount(shown, locale) == value


@pytest.mark.parametrize(("text", "locale", "value"), [
    ("9,000,000", "ko", D(9000000)), ("10000000", "ko", D(10000000)), ("9 000 000", "ru", D(9000000)),
    ("1 500 000,50", "ru", D("1500000.50")), ("1_500", "en", D(1500)), ("", "en", None),
])
def test_grouped_input_is_read_back(text, locale, value):
    assert parse_amount(text, locale) == value


@pytest.mark.parametrize("text", ["1,5", "abc", "NaN", "Infinity", "1e9", "1,500.50.1", ","])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text, "en")


def test_phone_numbers_print_per_country():
    assert format_phone("+821043218765", "KR") == "010-4321-8765"
    assert format_phone("+821043218765", "CA") == "+82 10-4321-8765"
    assert format_phone("+66812345678", "TH") == "081 234 5678"
    assert format_phone("not a phone", "KR") == "not a phone"
    assert region_of("+82 2-555-0123") == "KR" and region_of("") == ""


def test_refused_steps_are_worded_in_the_reader_language(app):
    with pytest.raises(TradeInError) as caught:
        check_payoff(D("-1"), "KRW")
    with app.test_request_context():
        with force_locale("ko"):
            worded = error_message(caught.value)
            assert worded != str(caught.value) and "음수" in worded
        with force_locale("ru"):
            assert "Offer" not in error_message(ValueError("This offer link is not valid."))
            assert error_message(ValueError("This offer link is not valid.")) == "Ссылка на предложение недействительна."


def test_money_field_prefills_krw_grouped_and_parses_it_back(app):
    from flask import g
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict

    from app.forms.fields import MoneyField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        price = MoneyField("Price", currency="KRW")

    with app.test_request_context(), force_locale("ko"):
        g.dealer = None
        form = Form(data={"price": D("9000000.00")})
        assert 'value="9,000,000"' in form.price()
        assert 'inputmode="decimal"' in form.price()
        posted = Form(formdata=MultiDict({"price": "9,500,000"}))
        assert posted.validate() and posted.price.data == D(9500000)
        bad = Form(formdata=MultiDict({"price": "9.5.0"}))
        assert not bad.validate() and bad.price.errors


def test_counts_use_plural_forms(app):
    from flask import render_template_string

    with app.test_request_context():
        assert render_template_string("{{ ngettext('%(num)s application', '%(num)s applications', 1) }}") == "1 application"
        with force_locale("ru"):
            rendered = [render_template_string("{{ ngettext('%(num)s application', '%(num)s applications', n) }}", n=n)
                        for n in (1, 3, 5)]
    assert rendered == ["1 заявка", "3 заявки", "5 заявок"]
