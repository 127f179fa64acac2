"""Dealer settings: fee/tax table (hand-computed), approval, authority, reservation secret, delivery slots, roles, O2O."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.approval import ApprovalPolicy, DiscountAuthority, UnknownCostRule, approval_check
from app.domain.delivery_slots import next_available_slots
from app.domain.taxes import apply_fee_tax_table
from app.extensions import db
from app.models.dealer_settings import (
    ApprovalSettings,
    DeliverySlotSetting,
    FeeSetting,
    PresetDiscount,
    ReservationSettings,
    TaxSetting,
)
from app.services import dealer_settings as svc
from app.services import field_crypto
from tests.dealer.helpers import as_dealer, post, url

D = Decimal
SETTINGS_PAGES = ["settings/purchasing", "settings/fees-taxes", "settings/preset-discounts/", "settings/preset-discounts/new",
                  "settings/approval", "settings/reservation", "settings/delivery"]
E2E_ONLY = [p for p in SETTINGS_PAGES if p != "settings/reservation"]


def _fee_tax_form(fees, taxes) -> dict:
    data = {}
    for i, (code, name, amount, taxable) in enumerate(fees):
        data.update({f"fees-{i}-code": code, f"fees-{i}-name": name, f"fees-{i}-amount": amount})
        if taxable:
            data[f"fees-{i}-taxable"] = "y"
    for i, (code, name, rate, bases, included, trade_in) in enumerate(taxes):
        data.update({f"taxes-{i}-code": code, f"taxes-{i}-name": name, f"taxes-{i}-rate": rate, f"taxes-{i}-bases": bases})
        if included:
            data[f"taxes-{i}-included_in_price"] = "y"
        if trade_in:
            data[f"taxes-{i}-trade_in_credit"] = "y"
    return data


KOREA = ([("REG", "등록비", "150000", True), ("DELIVERY", "탁송료", "250000", True), ("PLATE", "번호판", "20000", False), ("", "", "", False)],
         [("VAT", "부가가치세", "10", ["vehicle", "options", "accessories", "fees"], True, False)])


def test_korean_table_saved_and_applied_by_hand(client, login, app, world):
    login(world.emails["principal_a1"])
    page = url(world, "a1", "settings/fees-taxes")
    assert client.get(page).status_code == 200
    response = post(client, page, _fee_tax_form(*KOREA))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    with as_dealer(app, world) as dealer:
        table = svc.fee_tax_table_for(db.session, dealer)
        result = apply_fee_tax_table(table, {"vehicle": D(47_000_000)})
    # Taxable base = 47,000,000 + 150,000 + 250,000 = 47,400,000; VAT inside = 47,400,000 × 10/110 = 4,309,090.9… → 4,309,091
    assert result.tax_lines[0].amount == D(4_309_091)
    assert result.total_fees == D(420_000)
    assert result.total == D(47_420_000)  # VAT is included, not added
    assert "4,309,091" in client.get(page).get_data(as_text=True) or "₩" in client.get(page).get_data(as_text=True)


def test_ontario_hst_added_with_trade_in_credit(app, world):
    with as_dealer(app, world) as dealer:
        dealer.currency = "CAD"
        svc.replace_fee_tax_table(
            db.session, dealer,
            [svc.FeeInput("DOC", "Documentation", D("499.00")), svc.FeeInput("OMVIC", "OMVIC fee", D("12.50")),
             svc.FeeInput("LIC", "Licensing", D("59.00"), taxable=False)],
            [svc.TaxInput("HST", "HST", D(13), ("vehicle", "options", "accessories", "fees"), False, True)],
        )
        result = apply_fee_tax_table(svc.fee_tax_table_for(db.session, dealer), {"vehicle": D("30000.00")}, D("10000.00"))
        db.session.rollback()
    # HST base = 30,000 + 499 + 12.50 − 10,000 = 20,511.50; × 13 % = 2,666.495 → 2,666.50 (half-up)
    assert result.tax_lines[0].base_amount == D("20511.50")
    assert result.tax_lines[0].amount == D("2666.50")
    assert result.total == D("33237.00")  # 30,000 + 570.50 fees + 2,666.50 HST


@pytest.mark.parametrize(
    ("fees", "taxes", "message"),
    [
        ([("DOC", "Doc", "-5", True)], [], "A fee must not be negative."),
        ([], [("VAT", "VAT", "120", ["vehicle"], True, False)], "A tax rate must be between 0 and 100 percent."),
        ([("VAT", "Doc", "5", True)], [("VAT", "VAT", "10", ["vehicle"], True, False)], "This code is already used by another fee or tax."),
        ([], [("VAT", "VAT", "10", ["vehicle"], True, False), ("VAT2", "Other", "5", ["vehicle"], True, False)], "only one included tax per base"),
        ([], [("VAT", "VAT", "10", [], True, False)], "Choose what the tax applies to."),
        ([("DOC", "", "5", True)], [], "Required when the row is used."),
    ],
)
def test_invalid_fee_tax_rows_show_field_message_and_save_nothing(client, login, app, world, fees, taxes, message):
    with as_dealer(app, world) as dealer:
        svc.replace_fee_tax_table(db.session, dealer, [svc.FeeInput("KEEP", "Keep me", D(1000))], [])
        db.session.commit()
    login(world.emails["principal_a1"])
    response = post(client, url(world, "a1", "settings/fees-taxes"), _fee_tax_form(fees, taxes))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    assert 'class="field-error"' in body
    with as_dealer(app, world):
        assert [f.code for f in db.session.scalars(select(FeeSetting))] == ["KEEP"]
        assert db.session.scalar(select(func.count()).select_from(TaxSetting)) == 0


@pytest.mark.parametrize(
    ("discount", "price", "gross", "authority", "expected_kinds"),
    [
        # 500,000 of 40,000,000 = 1.25 %: within 600,000 / 2 % authority and 1,000,000 / 5 % threshold.
        (D(500_000), D(40_000_000), D(1_000_000), DiscountAuthority(D(600_000), D(2)), []),
        # 900,000 = 2.25 % > 2 % authority; still under the dealer threshold.
        (D(900_000), D(40_000_000), D(1_000_000), DiscountAuthority(D(1_000_000), D(2)), ["authority_percent"]),
        # 1,200,000 > 1,000,000 dealer threshold and > 600,000 authority; 3 % under 5 %.
        (D(1_200_000), D(40_000_000), D(1_000_000), DiscountAuthority(D(600_000), None), ["authority_amount", "threshold_amount"]),
        # No authority at all: any discount needs approval; gross −600,000 below the −500,000 floor.
        (D(100_000), D(40_000_000), D(-600_000), DiscountAuthority(), ["no_authority", "gross_below_floor"]),
        # Exactly at every limit: allowed (limits are inclusive).
        (D(800_000), D(40_000_000), D(-500_000), DiscountAuthority(D(800_000), D(2)), []),
    ],
)
def test_policy_from_settings_with_authority(app, world, discount, price, gross, authority, expected_kinds):
    with as_dealer(app, world) as dealer:
        svc.save_approval_settings(db.session, dealer, threshold_amount=D(1_000_000), threshold_percent=D(5),
                                   minimum_gross=D(-500_000), approver_roles=["sales_manager"])
        policy = svc.approval_policy_for(dealer)
        db.session.rollback()
    assert policy == ApprovalPolicy("KRW", D(1_000_000), D(5), D(-500_000), frozenset({"sales_manager"}))
    result = approval_check(discount, price, gross, authority, policy)
    assert [b.kind.value for b in result.breaches] == expected_kinds


def test_approval_settings_page(client, login, app, world):
    login(world.emails["principal_a1"])
    page = url(world, "a1", "settings/approval")
    assert client.get(page).status_code == 200
    bad = post(client, page, {"threshold_percent": "150", "approver_roles": ["sales_manager"]})
    assert bad.status_code == 400 and "between 0 and 100" in bad.get_data(as_text=True)
    none = post(client, page, {"threshold_amount": "1000"})
    assert none.status_code == 400 and "Choose at least one approver role." in none.get_data(as_text=True)
    ok = post(client, page, {"threshold_amount": "1000000", "minimum_gross": "-200000", "approver_roles": ["dealer_principal"]})
    assert ok.status_code == 303
    with as_dealer(app, world) as dealer:
        policy = svc.approval_policy_for(dealer)
    assert policy.threshold_amount == D(1_000_000) and policy.minimum_gross == D(-200_000)
    assert policy.unknown_cost is UnknownCostRule.REQUIRE_APPROVAL  # never chosen: fails closed


def test_unknown_cost_rule_setting(client, login, app, world):
    """Issue 11: the dealer says what a stock car without a cost means; a bad value is refused, nothing saved."""
    login(world.emails["principal_a1"])
    page = url(world, "a1", "settings/approval")
    assert _checked_rule(client.get(page).get_data(as_text=True)) == "require_approval"
    bad = post(client, page, {"minimum_gross": "250000", "approver_roles": ["dealer_principal"], "unknown_cost_rule": "ignore"})
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    with as_dealer(app, world) as dealer:
        assert db.session.scalar(select(ApprovalSettings)) is None  # nothing half-saved
    ok = post(client, page, {"minimum_gross": "250000", "approver_roles": ["dealer_principal"],
                             "unknown_cost_rule": "authority_only"})
    assert ok.status_code == 303
    with as_dealer(app, world) as dealer:
        policy = svc.approval_policy_for(dealer)
        # Saving other settings later without naming the rule keeps it.
        svc.save_approval_settings(db.session, dealer, threshold_amount=None, threshold_percent=None,
                                   minimum_gross=D(250_000), approver_roles=["dealer_principal"])
        kept = svc.approval_policy_for(dealer)
        with pytest.raises(svc.SettingsError) as info:
            svc.save_approval_settings(db.session, dealer, threshold_amount=None, threshold_percent=None,
                                       minimum_gross=None, approver_roles=["dealer_principal"], unknown_cost_rule="x")
        db.session.rollback()
    assert policy.unknown_cost is UnknownCostRule.AUTHORITY_ONLY and policy.minimum_gross == D(250_000)
    assert kept.unknown_cost is UnknownCostRule.AUTHORITY_ONLY
    assert info.value.field == "unknown_cost_rule"
    assert _checked_rule(client.get(page).get_data(as_text=True)) == "authority_only"


def _checked_rule(html: str) -> str | None:
    """Return the value of the ticked unknown-cost radio button on the approval settings page."""
    for tag in re.findall(r'<input[^>]*name="unknown_cost_rule"[^>]*>', html):
        if " checked" in tag:
            return re.search(r'value="([^"]+)"', tag).group(1)
    return None


def test_reservation_secret_encrypted_masked_and_kept(client, login, app, world):
    login(world.emails["principal_a1"])
    page = url(world, "a1", "settings/reservation")
    secret = "sk_live_abcdef1234567890"
    data = {"default_deposit": "1000000", "refundable": "y", "refundable_days": "7", "payment_methods": ["card"],
            "provider_name": "Toss Payments", "merchant_id": "m-1", "provider_secret": secret,
            "deposits-0-model_code": "ioniq5", "deposits-0-amount": "2000000"}
    assert post(client, page, data).status_code == 303
    html = client.get(page).get_data(as_text=True)
    assert secret not in html and "7890" in html
    assert post(client, page, {**data, "provider_secret": "", "merchant_id": "m-2"}).status_code == 303
    with as_dealer(app, world) as dealer:
        row = db.session.scalar(select(ReservationSettings))
        assert secret not in row.provider_secret_encrypted
        assert svc.provider_secret(db.session, dealer, app.config) == secret  # kept when left empty
        assert row.merchant_id == "m-2"
        assert svc.deposit_for(db.session, dealer, "IONIQ5") == D(2_000_000)
        assert svc.deposit_for(db.session, dealer, "KONA") == D(1_000_000)
    dup = post(client, page, {**data, "deposits-1-model_code": "IONIQ5", "deposits-1-amount": "5"})
    assert dup.status_code == 400 and "already has a deposit" in dup.get_data(as_text=True)
    negative = post(client, page, {**data, "default_deposit": "-1"})
    assert negative.status_code == 400 and "Must not be negative." in negative.get_data(as_text=True)


def test_field_crypto_keys():
    derived = field_crypto.derive_key("one-secret")
    assert derived == field_crypto.derive_key("one-secret") != field_crypto.derive_key("other")
    config = {"SECRET_KEY": "one-secret", "FIELD_ENCRYPTION_KEY": ""}
    assert field_crypto.decrypt(config, field_crypto.encrypt(config, "x")) == "x"
    with pytest.raises(field_crypto.SecretUnreadable):
        field_crypto.decrypt({"SECRET_KEY": "other"}, field_crypto.encrypt(config, "x"))
    with pytest.raises(field_crypto.FieldKeyMissing):
        field_crypto.fernet_for({"SECRET_KEY": "s", "REQUIRE_FIELD_ENCRYPTION_KEY": True})


def _delivery(slots=(), closures=(), lead="0", home=False) -> dict:
    data = {"showroom_pickup": "y", "lead_time_days": lead, "radius_km": "30", "home_delivery_fee": "100000"}
    if home:
        data["home_delivery"] = "y"
    for i, (weekday, start, end, cap) in enumerate(slots):
        data.update({f"slots-{i}-weekday": weekday, f"slots-{i}-start": start, f"slots-{i}-end": end, f"slots-{i}-capacity": cap})
    for i, (first, last, reason) in enumerate(closures):
        data.update({f"closures-{i}-first_day": first, f"closures-{i}-last_day": last, f"closures-{i}-reason": reason})
    return data


def test_overlapping_slots_refused_nothing_saved(client, login, app, world):
    login(world.emails["principal_a1"])
    page = url(world, "a1", "settings/delivery")
    response = post(client, page, _delivery([(0, "10:00", "12:00", 2), (0, "11:00", "13:00", 1)]))
    assert response.status_code == 400
    assert "This slot overlaps another slot on the same day." in response.get_data(as_text=True)
    with as_dealer(app, world):
        assert db.session.scalar(select(func.count()).select_from(DeliverySlotSetting)) == 0
    bad_end = post(client, page, _delivery([(1, "12:00", "10:00", 1)]))
    assert bad_end.status_code == 400 and "The slot must end after it starts." in bad_end.get_data(as_text=True)
    nothing = post(client, page, {**_delivery(), "showroom_pickup": ""})
    assert nothing.status_code == 400 and "Offer showroom pickup, home delivery, or both." in nothing.get_data(as_text=True)


def test_delivery_saved_and_next_slots_skip_closures_and_full_days(client, login, app, world):
    login(world.emails["principal_a1"])
    page = url(world, "a1", "settings/delivery")
    # Monday and Tuesday 10-12 (2 cars); Wednesday 1 Jul 2026... closed; lead time 1 day.
    form = _delivery([(0, "10:00", "12:00", 2), (1, "10:00", "12:00", 2), (2, "14:00", "16:00", 1)],
                     [("2026-06-02", "", "Company holiday")], lead="1", home=True)
    response = post(client, page, form)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert "Next available slots" in client.get(page).get_data(as_text=True)
    with as_dealer(app, world) as dealer:
        settings = svc.delivery_settings_for(db.session, dealer)
    # Now: Sunday 31 May 2026 09:00 KST (00:00 UTC). Earliest start: Monday 1 June 09:00 KST.
    now = datetime(2026, 5, 31, 0, 0, tzinfo=UTC)
    booked = {(date(2026, 6, 1), time(10)): 2}  # Monday full
    slots = next_available_slots(settings, now, booked, limit=3)
    # Monday full → skipped; Tuesday 2 June closed → skipped; Wednesday 3 June 14:00; then Monday 8, Tuesday 9.
    assert [(s.date, s.start, s.remaining) for s in slots] == [
        (date(2026, 6, 3), time(14), 1), (date(2026, 6, 8), time(10), 2), (date(2026, 6, 9), time(10), 2),
    ]
    assert settings.home_delivery is not None and settings.home_delivery.fee == D(100000)


def test_preset_discounts(client, login, app, world):
    login(world.emails["principal_a1"])
    new = url(world, "a1", "settings/preset-discounts/new")
    # Brand A has published no catalog: a free-text model code is refused, a stock condition is fine
    # (catalog codes: tests/dealer/test_preset_discounts.py).
    typo = post(client, new, {"name": "Loyalty", "kind": "amount", "value": "500000", "model_codes": "IONIQ5"})
    assert typo.status_code == 400 and "IONIQ5" in typo.get_data(as_text=True)
    ok = post(client, new, {"name": "Loyalty", "kind": "amount", "value": "500000", "conditions": ["used", "cpo"],
                            "valid_from": "2026-01-01", "valid_until": "2026-12-31", "stackable": "y", "active": "y"})
    assert ok.status_code == 303
    dup = post(client, new, {"name": "Loyalty", "kind": "amount", "value": "1"})
    assert dup.status_code == 400 and "already has this name" in dup.get_data(as_text=True)
    pct = post(client, new, {"name": "Big", "kind": "percent", "value": "150"})
    assert pct.status_code == 400 and "at most 100" in pct.get_data(as_text=True)
    dates = post(client, new, {"name": "Dates", "kind": "amount", "value": "5", "valid_from": "2026-02-01", "valid_until": "2026-01-01"})
    assert dates.status_code == 400 and "end date is before the start date" in dates.get_data(as_text=True)
    with as_dealer(app, world):
        presets = db.session.scalars(select(PresetDiscount)).all()
        assert [(p.name, p.model_codes, p.conditions, p.stackable) for p in presets] == [("Loyalty", [], ["used", "cpo"], True)]
        pid = presets[0].id
    edit = url(world, "a1", f"settings/preset-discounts/{pid}")
    assert client.get(edit).status_code == 200
    assert post(client, edit, {"name": "Loyalty", "kind": "percent", "value": "2"}).status_code == 303
    assert "Loyalty" in client.get(url(world, "a1", "settings/preset-discounts/")).get_data(as_text=True)


def test_purchasing_conditions(client, login, app, world):
    login(world.emails["principal_a1"])
    page = url(world, "a1", "settings/purchasing")
    assert post(client, page, {"offer_validity_days": "0"}).status_code == 400
    ok = post(client, page, {"offer_validity_days": "10", "required_documents": "ID card\n\nDriver licence",
                             "payment_methods": ["card", "financing"], "cancellation_ko": "7일 이내 취소 가능", "refund_en": "Within 5 days"})
    assert ok.status_code == 303
    with as_dealer(app, world) as dealer:
        row = svc.purchasing_conditions_for(db.session, dealer)
        assert row.offer_validity_days == 10 and row.required_documents == ["ID card", "Driver licence"]
        assert row.cancellation_policy == {"ko": "7일 이내 취소 가능"} and row.refund_policy == {"en": "Within 5 days"}
        assert row.payment_methods == ["card", "financing"]


@pytest.mark.parametrize("who", ["consultant_a1", "manager_a1"])
def test_consultant_and_manager_get_403_on_settings(client, login, world, who):
    login(world.emails[who])
    for path in SETTINGS_PAGES:
        response = client.get(url(world, "a1", path))
        assert response.status_code == 403, (who, path)
        if path != "settings/preset-discounts/":
            assert post(client, url(world, "a1", "customers/new"), {}, target=url(world, "a1", path)).status_code == 403


def test_o2o_dealer_sees_five_menus_and_404_elsewhere(client, login, world):
    login(world.emails["principal_a2"])
    html = client.get(url(world, "a2", "")).get_data(as_text=True)
    for path in ("customers/", "consultants/", "settings/reservation"):
        assert f'href="/d/{world.slugs["a2"]}/{path}"' in html
        assert client.get(url(world, "a2", path)).status_code == 200, path
    for path in E2E_ONLY:
        assert client.get(url(world, "a2", path)).status_code == 404, path
        assert f'/d/{world.slugs["a2"]}/{path}"' not in html


def test_dashboard_counts(client, login, app, world):
    from app.services import customers as customer_service

    with as_dealer(app, world) as dealer:
        customer_service.create_customer(db.session, dealer, customer_service.CustomerInput(
            full_name="A", phone="010-2345-0001", assigned_consultant_id=world.ids["user_consultant_a1"]))
        customer_service.create_customer(db.session, dealer, customer_service.CustomerInput(full_name="B", phone="010-2345-0002"))
        db.session.commit()
    login(world.emails["principal_a1"])
    html = client.get(url(world, "a1", "")).get_data(as_text=True)
    assert "Customers by consultant" in html and "consultant_a1" in html and "Unassigned" in html


def test_saved_radius_is_shown_as_a_plain_number(client, login, world):
    """Decimal('50.00').normalize() is 5E+1; the form must show 50 (was a bug on the delivery page)."""
    login(world.emails["principal_a1"])
    page = url(world, "a1", "settings/delivery")
    data = _delivery([(0, "10:00", "12:00", 2)], home=True)
    data["radius_km"] = "50"
    assert post(client, page, data).status_code == 303
    body = client.get(page).get_data(as_text=True)
    assert 'value="50"' in body and "5E+1" not in body
