"""Locale choice, translated UI text, and money/date formatting per tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po
from flask import g
from flask_babel import refresh

from app.extensions import db
from app.i18n import money, negotiate
from app.models.accounts import Dealer, User
from app.tenancy import all_tenants
from tests.conftest import csrf_token

LANGS = ["ko", "ru", "th", "zh_Hans"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (["ko-KR", "en"], "ko"),
        (["zh-CN"], "zh_Hans"),
        (["zh-Hans-CN"], "zh_Hans"),
        (["zh-TW", "en-US"], "en"),
        (["th"], "th"),
        (["de-DE", "ru"], "ru"),
        (["de-DE"], None),
    ],
)
def test_accept_language_negotiation(accept, expected):
    assert negotiate(accept, ["en", "ko", "ru", "th", "zh_Hans"]) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_catalogs_translate_every_message(lang):
    """Every UI string has a translation in every language (a new string without one fails here)."""
    with open(f"translations/{lang}/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"{lang}: {len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{lang}: fuzzy entries {fuzzy[:5]}"


@pytest.mark.parametrize(
    ("locale", "expected"), [("ko", "로그인"), ("th", "เข้าสู่ระบบ"), ("ru", "Войти"), ("zh_Hans", "登录")]
)
def test_login_page_in_each_language(client, locale, expected):
    token = csrf_token(client)
    client.post("/locale", data={"locale": locale, "next": "/login", "csrf_token": token})
    page = client.get("/login").get_data(as_text=True)
    assert expected in page
    assert f'lang="{locale.replace("_", "-")}"' in page


def test_accept_language_header_picks_the_language(client):
    page = client.get("/login", headers={"Accept-Language": "th-TH,th;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert "เข้าสู่ระบบ" in page


def test_user_preference_beats_dealer_locale(app, client, login, world):
    with app.app_context(), all_tenants():
        db.session.get(User, world.ids["user_principal_a1"]).preferred_locale = "ru"
        db.session.commit()
    login(world.emails["principal_a1"])
    page = client.get(f"/d/{world.slugs['a1']}/").get_data(as_text=True)
    assert 'lang="ru"' in page


def test_dealer_locale_applies_without_user_preference(client, login, world):
    login(world.emails["principal_b1"])  # no preference; dealer B1 is Thai
    page = client.get(f"/d/{world.slugs['b1']}/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="th"' in page


def test_switching_language_is_saved_for_the_user(app, client, login, world):
    login(world.emails["consultant_a1"])
    token = csrf_token(client, "/workspaces")
    response = client.post("/locale", data={"locale": "ko", "next": "/workspaces", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/workspaces"
    with app.app_context(), all_tenants():
        assert db.session.get(User, world.ids["user_consultant_a1"]).preferred_locale == "ko"
    bad = client.post("/locale", data={"locale": "xx", "csrf_token": token})
    assert bad.status_code == 400


def _format_in(app, dealer_id: int, locale: str, amount: Decimal, currency: str | None = None) -> str:
    with app.test_request_context("/"), all_tenants():
        g.dealer = db.session.get(Dealer, dealer_id)
        from flask import session

        session["locale"] = locale
        refresh()
        return money(amount, currency)


def test_korean_won_has_no_decimals_and_thai_baht_has_two(app, world):
    assert _format_in(app, world.ids["a1"], "ko", Decimal("45000000")) == "₩45,000,000"
    assert _format_in(app, world.ids["b1"], "th", Decimal("1234567.5")) == "฿1,234,567.50"
    assert _format_in(app, world.ids["b1"], "ru", Decimal("1234567.5")).replace("\xa0", " ").replace("\u202f", " ") == "1 234 567,50 ฿"


def test_datetimes_are_shown_in_the_dealer_time_zone(app, world):
    from app.i18n import _dt

    moment = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)  # 00:30 on 1 January in Seoul
    with app.test_request_context("/"), all_tenants():
        from flask import session

        session["locale"] = "en"
        g.dealer = db.session.get(Dealer, world.ids["a1"])  # Asia/Seoul
        refresh()
        assert _dt(moment, "short") == "1/1/27, 12:30\u202fAM"
        g.dealer = db.session.get(Dealer, world.ids["b1"])  # Asia/Bangkok, UTC+7
        refresh()
        assert _dt(moment, "short") == "12/31/26, 10:30\u202fPM"
