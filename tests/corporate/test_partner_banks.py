"""Partner banks in the corporate area: CRUD, validation that keeps the input, audit trail, permissions, isolation."""

from __future__ import annotations

import html
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.partner_banks import PartnerBank
from app.services import partner_banks as service
from app.tenancy import scoped
from tests.conftest import csrf_token

D = Decimal


def _bank_data(token: str, **overrides) -> dict:
    """A valid rate sheet as the form posts it: two bands (1–36 at 4.5 %, 37–60 at 5.25 %) and a blank row."""
    data = {
        "csrf_token": token, "name": "Hyundai Capital", "max_term": "60", "min_down_payment_percent": "10",
        "bands-0-min_term": "37", "bands-0-max_term": "60", "bands-0-apr": "5.25",
        "bands-1-min_term": "1", "bands-1-max_term": "36", "bands-1-apr": "4.5",
        "bands-2-min_term": "", "bands-2-max_term": "", "bands-2-apr": "",
    }
    data.update(overrides)
    return data


def _banks(read) -> list[PartnerBank]:
    return read(lambda: db.session.scalars(select(PartnerBank).order_by(PartnerBank.id)).all())


def _events(read, action: str) -> list[AuditEvent]:
    return read(lambda: db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                           .order_by(AuditEvent.id)).all())


def test_create_list_edit_and_deactivate(client, corp, read, world):
    base, token = corp
    assert "Partner banks" in client.get(f"{base}/").get_data(as_text=True)  # in the corporate menu
    response = client.post(f"{base}/partner-banks/new", data=_bank_data(token))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    [bank] = _banks(read)
    assert bank.brand_id == world.ids["brand_a"] and bank.active and bank.max_term == 60
    assert bank.min_down_payment_percent == D(10)
    assert bank.apr_bands == [{"min_term": 1, "max_term": 36, "apr": "4.5"}, {"min_term": 37, "max_term": 60, "apr": "5.25"}]
    [created] = _events(read, "partner_bank.create")
    assert created.brand_id == world.ids["brand_a"] and created.object_id == str(bank.id)
    assert created.actor_user_id == world.ids["user_corp_a"]

    page = client.get(f"{base}/partner-banks/").get_data(as_text=True)
    assert "Hyundai Capital" in page and "1–36 months: 4.5 %" in page and "37–60 months: 5.25 %" in page
    form = client.get(f"{base}/partner-banks/{bank.id}").get_data(as_text=True)
    assert 'value="Hyundai Capital"' in form and 'value="5.25"' in form and 'value="10"' in form  # not 10.00 / 1E+1

    response = client.post(f"{base}/partner-banks/{bank.id}", data=_bank_data(
        token, **{"bands-0-apr": "5.49", "max_term": "72", "bands-0-max_term": "72"}))
    assert response.status_code == 302
    bank = _banks(read)[0]
    assert bank.apr_bands[1] == {"min_term": 37, "max_term": 72, "apr": "5.49"} and bank.max_term == 72
    [updated] = _events(read, "partner_bank.update")
    assert updated.after["max_term"] == "72" and updated.before["max_term"] == "60"

    assert client.post(f"{base}/partner-banks/{bank.id}/active", data={"csrf_token": token}).status_code == 302
    assert not _banks(read)[0].active
    assert len(_events(read, "partner_bank.deactivate")) == 1
    with scoped(brand_id=world.ids["brand_a"]):
        assert read(lambda: service.active_banks(db.session)) == []  # no longer offered in the builder
    # Editing an inactive bank keeps it inactive.
    assert client.post(f"{base}/partner-banks/{bank.id}", data=_bank_data(
        token, **{"name": "Hyundai Capital Korea"})).status_code == 302
    assert _banks(read)[0].name == "Hyundai Capital Korea" and not _banks(read)[0].active
    assert "Inactive" in client.get(f"{base}/partner-banks/").get_data(as_text=True)
    assert client.post(f"{base}/partner-banks/{bank.id}/active", data={"csrf_token": token}).status_code == 302
    assert _banks(read)[0].active and len(_events(read, "partner_bank.reactivate")) == 1


INVALID = [
    ({"bands-1-apr": "150"}, "Enter an APR between 0 and 100.", 'value="150"'),
    ({"bands-1-apr": "-1"}, "Enter an APR between 0 and 100.", 'value="-1"'),
    ({"bands-1-apr": "4.5555"}, "Use at most 3 decimal places.", 'value="4.5555"'),
    ({"bands-1-apr": "abc"}, "Not a valid decimal value.", 'value="abc"'),
    ({"bands-1-apr": "sNaN"}, "Not a valid decimal value.", 'value="sNaN"'),
    ({"min_down_payment_percent": "NaN"}, "Not a valid decimal value.", 'value="NaN"'),
    ({"bands-1-max_term": "40"}, "Overlaps the band 1–40 months.", 'value="40"'),
    ({"bands-1-max_term": "30"}, "Leaves months 31–36 without an APR.", 'value="30"'),
    ({"bands-1-min_term": "20", "bands-1-max_term": "10"}, "The band must end at or after the month it starts.",
     'value="20"'),
    ({"bands-0-max_term": "84"}, "Ends after the bank's longest term (60 months).", 'value="84"'),
    ({"max_term": "72"}, "The bands stop at 60 months", 'value="72"'),
    ({"bands-1-apr": ""}, "Required when the row is used.", 'value="36"'),
    ({"bands-1-min_term": "0"}, "Enter a term from 1 to 120 months.", 'value="0"'),
    ({"max_term": "121"}, "Enter a term from 1 to 120 months.", 'value="121"'),
    ({"min_down_payment_percent": "-5"}, "Enter a percentage between 0 and 100.", 'value="-5"'),
    ({"min_down_payment_percent": "100.5"}, "Enter a percentage between 0 and 100.", 'value="100.5"'),
    ({"min_down_payment_percent": "12.345"}, "Use at most 2 decimal places.", 'value="12.345"'),
    ({"name": "  "}, "Enter the bank's name.", 'value="5.25"'),
    ({"bands-0-min_term": "", "bands-0-max_term": "", "bands-0-apr": "",
      "bands-1-min_term": "", "bands-1-max_term": "", "bands-1-apr": ""}, "Give at least one APR band.",
     'value="Hyundai Capital"'),
]


def test_invalid_rate_sheets_keep_the_input_and_save_nothing(client, corp, read):
    base, token = corp
    for overrides, message, kept in INVALID:  # one signed-in world for every case (set-up is the slow part)
        response = client.post(f"{base}/partner-banks/new", data=_bank_data(token, **overrides))
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 400, overrides
        assert message in page, overrides
        assert kept in page, overrides  # what was typed is shown again, wrong value included
        if "name" not in overrides:
            assert 'value="Hyundai Capital"' in page, overrides
    assert _banks(read) == [] and _events(read, "partner_bank.create") == []


def test_duplicate_name_and_htmx_errors(client, corp, read):
    base, token = corp
    assert client.post(f"{base}/partner-banks/new", data=_bank_data(token)).status_code == 302
    response = client.post(f"{base}/partner-banks/new", data=_bank_data(token, **{"bands-1-apr": "3.9"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Another partner bank already has this name." in page
    assert 'value="3.9"' in page and len(_banks(read)) == 1
    htmx = client.post(f"{base}/partner-banks/new", data=_bank_data(token, **{"bands-1-apr": "101"}),
                       headers={"HX-Request": "true"})
    assert htmx.status_code == 422 and "Enter an APR between 0 and 100." in htmx.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, corp, read):
    base, _token = corp
    data = _bank_data("")
    del data["csrf_token"]
    assert client.post(f"{base}/partner-banks/new", data=data).status_code == 400
    assert _banks(read) == []


def test_marketer_may_not_manage_partner_banks(app, client, login, world, make):
    bank_id = make(lambda: _bank(world.ids["brand_a"]))
    login(world.emails["marketer_a"])
    base = f"/c/{world.slugs['brand_a']}"
    token = csrf_token(client, f"{base}/")
    assert "Partner banks" not in client.get(f"{base}/").get_data(as_text=True)
    assert client.get(f"{base}/partner-banks/").status_code == 403
    assert client.get(f"{base}/partner-banks/new").status_code == 403
    assert client.post(f"{base}/partner-banks/new", data=_bank_data(token, name="Other")).status_code == 403
    assert client.post(f"{base}/partner-banks/{bank_id}/active", data={"csrf_token": token}).status_code == 403
    with app.app_context(), scoped(brand_id=world.ids["brand_a"]):
        assert db.session.scalar(select(func.count()).select_from(PartnerBank).where(PartnerBank.active)) == 1


def test_another_brands_bank_is_not_found(client, corp, make, read, world):
    base, token = corp
    other = make(lambda: _bank(world.ids["brand_b"], name="Krungsri Auto"))
    assert client.get(f"{base}/partner-banks/{other}").status_code == 404
    assert client.post(f"{base}/partner-banks/{other}", data=_bank_data(token)).status_code == 404
    assert client.post(f"{base}/partner-banks/{other}/active", data={"csrf_token": token}).status_code == 404
    assert "Krungsri Auto" not in client.get(f"{base}/partner-banks/").get_data(as_text=True)
    assert read(lambda: db.session.get(PartnerBank, other)).active


def _bank(brand_id: int, name: str = "KB Capital") -> PartnerBank:
    with scoped(brand_id=brand_id):
        return service.save_bank(db.session, None, brand_id=brand_id, name=name,
                                 bands=[service.AprBand(1, 60, D("5.9"))], min_down_payment_percent=D(0), max_term=60)


def test_balloon_per_term_band_is_saved_shown_and_quoted(client, corp, read, world):
    base, token = corp
    response = client.post(f"{base}/partner-banks/new", data=_bank_data(
        token, **{"bands-1-max_balloon_percent": "40", "bands-0-max_balloon_percent": ""}))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    [bank] = _banks(read)
    assert bank.apr_bands == [{"min_term": 1, "max_term": 36, "apr": "4.5", "max_balloon_percent": "40"},
                              {"min_term": 37, "max_term": 60, "apr": "5.25"}]
    terms = service.terms_for(bank)
    assert (terms.max_balloon_percent(36), terms.max_balloon_percent(48)) == (D(40), D(0))
    assert "balloon up to 40 %" in client.get(f"{base}/partner-banks/").get_data(as_text=True)
    assert 'value="40"' in client.get(f"{base}/partner-banks/{bank.id}").get_data(as_text=True)
    bad = client.post(f"{base}/partner-banks/{bank.id}", data=_bank_data(token, **{"bands-1-max_balloon_percent": "101"}))
    assert bad.status_code == 400 and "Enter a percentage between 0 and 100." in bad.get_data(as_text=True)
    assert _banks(read)[0].apr_bands[0]["max_balloon_percent"] == "40"  # nothing half-saved
