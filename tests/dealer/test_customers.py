"""Customer search and record: typed search, create with consents, duplicates and merge, notes, roles."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.customers import Customer, CustomerEvent
from app.services import customers as service
from tests.dealer.helpers import as_dealer, post, url


def _customer_count(app, world, key="a1") -> int:
    with as_dealer(app, world, key):
        return db.session.scalar(select(func.count()).select_from(Customer))


def _make(app, world, **values):
    with as_dealer(app, world) as dealer:
        data = service.CustomerInput(**{"full_name": "김민준", "phone": "010-2345-6789", **values})
        customer = service.create_customer(db.session, dealer, data, allow_duplicate=True)
        db.session.commit()
        return customer.id


def test_search_page_and_typed_fragment(client, login, app, world):
    _make(app, world, full_name="박서연", email="seoyeon@example.kr", phone="010-9876-5432")
    _make(app, world, full_name="이도윤", email="doyoon@example.kr", phone="010-1111-2222")
    login(world.emails["consultant_a1"])
    page = client.get(url(world, "a1", "customers/"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'hx-trigger="input changed delay:300ms' in html and "<html" in html
    cases = {"서연": "박서연", "DOYOON@": "이도윤", "010-9876-5432": "박서연", "98765432": "박서연", "+82 10 1111 2222": "이도윤"}
    for term, expected in cases.items():
        fragment = client.get(url(world, "a1", "customers/"), query_string={"q": term}, headers={"HX-Request": "true"})
        body = fragment.get_data(as_text=True)
        assert fragment.status_code == 200 and "<html" not in body, term
        assert "HX-Request" in fragment.headers["Vary"]
        assert expected in body, term
        other = "이도윤" if expected == "박서연" else "박서연"
        assert other not in body, term
    none = client.get(url(world, "a1", "customers/"), query_string={"q": "nobody-here"}, headers={"HX-Request": "true"})
    assert "No customer matches" in none.get_data(as_text=True)


def test_consultant_creates_customer_with_consents(client, login, app, world):
    login(world.emails["consultant_a1"])
    page = url(world, "a1", "customers/new")
    response = post(client, page, {
        "full_name": "정하은", "email": "Haeun@Example.kr", "phone": "010 3333 4444", "preferred_locale": "ko",
        "assigned_consultant_id": world.ids["user_consultant_a1"], "marketing_consent": "y",
        "privacy_notice_version": "2026-01", "privacy_accepted": "y", "notes": "Wants an IONIQ 5",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with as_dealer(app, world):
        customer = db.session.scalar(select(Customer).where(Customer.full_name == "정하은"))
        assert customer.email == "haeun@example.kr"
        assert customer.phone_e164 == "+821033334444"
        assert customer.marketing_consent and customer.marketing_consent_at is not None
        assert customer.privacy_accepted_at is not None and customer.privacy_notice_version == "2026-01"
        assert [e.kind for e in customer.events] == ["created"]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "customer.create")) == 1
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "정하은" in detail and "010-3333-4444" in detail


def test_malformed_phone_for_country_is_refused(client, login, app, world):
    login(world.emails["consultant_a1"])
    before = _customer_count(app, world)
    response = post(client, url(world, "a1", "customers/new"), {
        "full_name": "Bad Phone", "phone": "081-234-5678", "assigned_consultant_id": 0, "preferred_locale": "",
    })
    assert response.status_code == 400
    assert "not a valid phone number for KR" in response.get_data(as_text=True)
    assert _customer_count(app, world) == before


def test_htmx_form_error_is_422_fragment(client, login, world):
    login(world.emails["consultant_a1"])
    response = post(client, url(world, "a1", "customers/new"), {"full_name": "", "assigned_consultant_id": 0, "preferred_locale": ""},
                    headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert "Enter the customer&#39;s name." in body or "Enter the customer's name." in body


def test_duplicate_email_refused_then_saved_anyway_then_merged(client, login, app, world):
    older = _make(app, world, full_name="최지호", email="jiho@example.kr", phone="010-5555-6666")
    with as_dealer(app, world):
        service.add_note(db.session, db.session.get(Customer, older), "First visit")
        db.session.commit()
    login(world.emails["consultant_a1"])
    page = url(world, "a1", "customers/new")
    data = {"full_name": "최 지호", "email": "JIHO@example.kr", "phone": "", "assigned_consultant_id": 0, "preferred_locale": ""}
    before = _customer_count(app, world)
    refused = post(client, page, data)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "A customer with this e-mail already exists: 최지호." in body
    assert f"customers/{older}" in body  # offered: open the existing record
    assert _customer_count(app, world) == before
    saved = post(client, page, {**data, "allow_duplicate": "y"})
    assert saved.status_code == 302
    newer = int(saved.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    detail = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Possible duplicates" in detail and "최지호" in detail
    merged = post(client, saved.headers["Location"], {"other_id": older}, target=url(world, "a1", f"customers/{newer}/merge"))
    assert merged.status_code == 303
    assert merged.headers["Location"].endswith(f"customers/{older}")
    with as_dealer(app, world):
        kept, gone = db.session.get(Customer, older), db.session.get(Customer, newer)
        assert gone.merged_into_id == older and kept.merged_into_id is None
        kinds = sorted(e.kind for e in kept.events)
        assert kinds == ["created", "created", "merged", "note"]
        assert db.session.scalar(select(func.count()).select_from(CustomerEvent).where(CustomerEvent.customer_id == newer)) == 0
    results = client.get(url(world, "a1", "customers/"), query_string={"q": "jiho"}, headers={"HX-Request": "true"})
    assert results.get_data(as_text=True).count("jiho@example.kr") == 1  # the merged record is no longer listed


def test_edit_and_note_and_timeline_fragment(client, login, app, world):
    cid = _make(app, world)
    login(world.emails["manager_a1"])
    edit = url(world, "a1", f"customers/{cid}/edit")
    assert client.get(edit).status_code == 200
    response = post(client, edit, {"full_name": "김민준", "email": "minjun@example.kr", "phone": "010-2345-6789",
                                   "assigned_consultant_id": world.ids["user_manager_a1"], "preferred_locale": ""})
    assert response.status_code == 302
    note = post(client, url(world, "a1", f"customers/{cid}"), {"text": "Called back"},
                target=url(world, "a1", f"customers/{cid}/notes"), headers={"HX-Request": "true"})
    assert note.status_code == 200 and "Called back" in note.get_data(as_text=True)
    empty = post(client, url(world, "a1", f"customers/{cid}"), {"text": ""},
                 target=url(world, "a1", f"customers/{cid}/notes"), headers={"HX-Request": "true"})
    assert empty.status_code == 422
    with as_dealer(app, world):
        customer = db.session.get(Customer, cid)
        assert customer.assigned_consultant_id == world.ids["user_manager_a1"]
        assert sorted(e.kind for e in customer.events) == ["created", "note", "updated"]


def test_csrf_missing_and_unknown_customer(client, login, world):
    login(world.emails["consultant_a1"])
    response = client.post(url(world, "a1", "customers/new"), data={"full_name": "X", "phone": "010-2345-6789"})
    assert response.status_code == 400
    assert client.get(url(world, "a1", "customers/999999")).status_code == 404


def test_consultant_of_another_dealer_cannot_be_assigned(client, login, app, world):
    login(world.emails["principal_a1"])
    response = post(client, url(world, "a1", "customers/new"), {
        "full_name": "X", "phone": "010-2345-6789", "assigned_consultant_id": world.ids["user_consultant_b1"], "preferred_locale": "",
    })
    assert response.status_code == 400  # not among the choices: WTForms refuses it


def test_o2o_dealer_has_customer_search(client, login, world):
    login(world.emails["principal_a2"])
    assert client.get(url(world, "a2", "customers/")).status_code == 200


def test_quick_create_assigns_the_creator_and_requires_privacy_consent(app, world):
    """Issue 11 item 15: the offer builder's quick customer (service level)."""
    import pytest

    from app.models.accounts import User

    with as_dealer(app, world) as dealer:
        manager = db.session.get(User, world.ids["user_manager_a1"])
        for accepted, version in ((False, "2026-01"), (True, "")):
            with pytest.raises(service.CustomerError) as caught:
                service.quick_create(db.session, dealer, name="최지우", phone="010-5555-0101", privacy_accepted=accepted,
                                     privacy_notice_version=version, actor=manager)
            assert caught.value.field == "privacy_accepted"
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
        customer = service.quick_create(db.session, dealer, name="최지우", phone="010-5555-0101", privacy_accepted=True,
                                        privacy_notice_version="2026-01", actor=manager)
        assert customer.assigned_consultant_id == manager.id and customer.privacy_recorded_by_id == manager.id
        assert not customer.marketing_consent and customer.marketing_consent_at is None
        assert customer.marketing_consent_recorded_by_id is None
        # A user of another dealer is recorded as having taken the consent but is not assigned.
        other = db.session.get(User, world.ids["user_consultant_b1"])
        stranger = service.quick_create(db.session, dealer, name="한유진", phone="010-5555-0102", privacy_accepted=True,
                                        privacy_notice_version="2026-01", marketing_consent=True, actor=other)
        assert stranger.assigned_consultant_id is None and stranger.marketing_consent_recorded_by_id == other.id
        db.session.rollback()
