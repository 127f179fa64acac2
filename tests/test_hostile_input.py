"""Hostile input never gives a 500: a generated walk over every registered form and JSON endpoint.

Every URL rule is built with real ids of brand B / dealer B1 (the factories of ``tests/test_tenancy``)
and requested by the role that owns it (dealer principal, corporate admin, platform admin, or a
customer through a real signed link). Each form field found on the page — or, for a bare action, every
field name any form of the portal declares — gets NUL bytes, ``Infinity``, ``1e400``, a 40-digit
number, 2**31 and 2**63. The answer is never a 500; a refused NUL saves nothing; the JSON API
answers 400/413/422 with a message for deep, huge, non-finite and control-character bodies.
Runs on SQLite and, with ``TEST_DATABASE_URL``, on PostgreSQL (which refuses NUL in text).
"""

from __future__ import annotations

import functools
import json
from html.parser import HTMLParser

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import Form
from wtforms.fields import DecimalField as WTDecimalField
from wtforms.fields import IntegerField as WTIntegerField

from app import fields as bounded
from app.extensions import db
from app.input import INT32_MAX, InputError, json_depth, load_json, parse_decimal, parse_int
from app.services import api_keys
from app.tenancy import all_tenants, scoped
from tests import factories
from tests import test_tenancy as walk
from tests.conftest import csrf_token

NUMBERS = {"infinity": "Infinity", "exponent": "1e400", "digits40": "1" * 40, "int31": str(2**31),
           "int63": str(2**63)}
# No column of the schema holds these (2**31 is a fine price, so it is only refused by integer fields).
UNSTORABLE = {"infinity", "exponent", "digits40", "int63"}
NUL = "x\x00y"
# Log out / locale would end or change the session the walk runs in; nothing there takes numbers.
SKIP_ENDPOINTS = {"auth.logout", "auth.set_locale", "static"}


class _Fields(HTMLParser):
    """Collect the form controls of a page: name → (kind, current value); kind is ``number`` or ``text``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, tuple[str, str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a and name in self.found:
                return
            if kind in {"file", "submit", "button", "image"}:
                return
            number = kind == "number" or a.get("inputmode") in {"decimal", "numeric"}
            self.found[name] = ("number" if number else "text", a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.found.setdefault(name, ("select", ""))
        elif tag == "option" and self._select:
            current = self.found[self._select]
            if not current[1] or "selected" in a:
                self.found[self._select] = ("select", a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.found[name] = ("text", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.found[self._textarea] = ("text", data)


def _page_fields(response) -> dict[str, tuple[str, str]]:
    parser = _Fields()
    if response.status_code == 200 and "html" in (response.content_type or ""):
        parser.feed(response.get_data(as_text=True))
    parser.found.pop("csrf_token", None)
    return parser.found


def _form_classes():
    seen, todo = set(), [FlaskForm, Form]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return [c for c in seen if c.__module__.startswith("app.")]


def _declared_fields():
    """``(form class, field name, unbound field class)`` of every form the portal declares."""
    for cls in _form_classes():
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            field_class = getattr(unbound, "field_class", None)
            if isinstance(field_class, type):
                yield cls, name, field_class, unbound


def _registry_names() -> dict[str, tuple[str, str]]:
    names = {}
    for _cls, name, field_class, _unbound in _declared_fields():
        kind = "number" if issubclass(field_class, (WTDecimalField, WTIntegerField)) else "text"
        names.setdefault(name, (kind, ""))
        for index in range(2):  # FieldList rows of row editors: fees-0-amount, bands-1-apr
            names.setdefault(f"rows-{index}-{name}", (kind, ""))
    return names


def _counts() -> dict[str, int]:
    """Row counts of every table, audit events and outbox included (one round trip): a refused request saves nothing."""
    tables = db.metadata.sorted_tables
    query = select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
    row = db.session.connection().execute(query).one()  # Core on the connection: no tenant criteria, all rows
    return dict(zip((t.name for t in tables), row, strict=True))


def _changed(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(name for name, count in after.items() if before.get(name) != count)


def _client_for(rule: str, clients: dict):
    if rule.startswith("/d/"):
        return clients["dealer"]
    if rule.startswith("/c/"):
        return clients["corporate"]
    if rule.startswith("/admin"):
        return clients["platform"]
    return clients["public"]


@pytest.fixture
def clients(app, world):
    """``role → (test client, its CSRF token)``: signed-in staff of brand B / dealer B1, and an anonymous customer."""
    result = {}
    for role, who in {"dealer": "principal_b1", "corporate": "corp_b", "platform": "platform", "public": None}.items():
        client = app.test_client()
        token = csrf_token(client, "/login")
        if who:
            response = client.post("/login", data={"email": world.emails[who], "password": factories.PASSWORD,
                                                   "csrf_token": token})
            assert response.status_code == 302
        result[role] = (client, token)
    return result


def _token_params(app, world) -> dict:
    """Real signed links of dealer B1: ``/o/<token>`` for an offer, ``/p/<token>`` for a deal."""
    from app.models.deals import Deal
    from app.models.offers import Offer
    from app.services import deals as deal_service
    from app.services import offers as offer_service

    with app.app_context(), all_tenants():
        offer = db.session.get(Offer, walk._offer_of_b1(world))
        deal = db.session.get(Deal, walk._other_deal(world))
        tokens = {"offer": offer_service.make_link_token(offer, app.config["SECRET_KEY"]),
                  "deal": deal_service.make_link_token(deal, app.config["SECRET_KEY"])}
        db.session.commit()
    return tokens


def _urls(app, world):
    tokens = _token_params(app, world)
    for rule in walk._rules(app):
        if rule.endpoint in SKIP_ENDPOINTS or rule.rule.startswith("/api/"):
            continue
        kind = "deal" if rule.rule.startswith("/p/") else "offer"
        extra = {"token": lambda w, k=kind: tokens[k], "version": lambda w: 1}
        yield rule, walk._build(app, rule, world, extra)


def _send(client, url: str, method: str, headers: dict, data: dict):
    return client.open(url, method=method, headers=headers, **({"query_string": data} if method == "GET" else {"data": data}))


def test_every_form_and_action_refuses_hostile_values_without_a_500(app, world, clients):
    names = _registry_names()
    failures, checked = [], 0
    for rule, url in _urls(app, world):
        client, token = _client_for(rule.rule, clients)
        headers = {"X-CSRFToken": token}
        page = _page_fields(client.get(url)) if "GET" in rule.methods else {}
        fields = page or names
        baseline = {name: value for name, (_kind, value) in fields.items()}
        numbers = [name for name, (kind, _value) in fields.items() if kind in {"number", "select"}]
        texts = [name for name, (kind, _value) in fields.items() if kind == "text"]
        for method in sorted(rule.methods & {"GET", "POST", "PATCH"}):
            send = functools.partial(_send, client, url, method, headers)
            with app.app_context():
                before = _counts() if method != "GET" else None
            response = send({**baseline, **{name: value + NUL for name, value in baseline.items() if name in texts}, "q": NUL})
            checked += 1
            if response.status_code != 400:
                failures.append(f"{method} {url} NUL → {response.status_code}")
            if before is not None:
                with app.app_context():
                    changed = _changed(before, _counts())
                if changed:
                    failures.append(f"{method} {url} NUL saved rows in {changed}")
            for label, value in NUMBERS.items():
                if method == "GET" and label != "int63":  # reads: one number past every column is enough
                    continue
                check = method != "GET" and bool(page) and bool(numbers) and label in UNSTORABLE
                if check:
                    with app.app_context():
                        before = _counts()
                response = send({**baseline, **dict.fromkeys(numbers, value)})
                checked += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {url} {label} → {response.status_code}")
                elif check and (response.status_code in {200, 400, 422} and "HX-Redirect" not in response.headers):
                    # The answer says "refused": nothing may have been written (an accepted 302 may have ignored the field).
                    with app.app_context():
                        changed = _changed(before, _counts())
                    if changed:
                        failures.append(f"{method} {url} {label} → {response.status_code} saved rows in {changed}")
    assert not failures, "\n".join(failures)
    assert checked > 500


def test_every_number_field_of_every_form_is_bounded():
    """No form declares WTForms' own unbounded ``DecimalField``/``IntegerField`` (subclasses of ours are fine)."""
    loose = [f"{cls.__module__}.{cls.__name__}.{name}" for cls, name, field_class, _u in _declared_fields()
             if issubclass(field_class, (WTDecimalField, WTIntegerField))
             and not issubclass(field_class, (bounded.DecimalField, bounded.IntegerField))]
    assert not loose
    coerced = [f"{cls.__name__}.{name}" for cls, name, _fc, unbound in _declared_fields()
               if unbound.kwargs.get("coerce") is int]
    assert not coerced, "use app.fields.coerce_int for select fields of ids"


@pytest.mark.parametrize("raw", ["Infinity", "-Infinity", "NaN", "sNaN", "1e400", "1E5", "1" * 40, "0x10", "1_000", "",
                                 "12345678901234.5", "1." + "1" * 40])
def test_parse_decimal_refuses_what_no_column_holds(raw):
    with pytest.raises(InputError):
        parse_decimal(raw)


@pytest.mark.parametrize(("raw", "digits", "places", "expected"), [
    ("999999999999.99", 14, 2, "999999999999.99"), (" -3.25 ", 14, 2, "-3.25"), (".5", 5, 2, "0.5"), ("999.99", 5, 2, "999.99"),
    ("0.0000001", 9, 6, "1E-7"),
])
def test_parse_decimal_keeps_what_fits(raw, digits, places, expected):
    from decimal import Decimal

    assert parse_decimal(raw, max_digits=digits, places=places) == Decimal(expected)


def test_parse_decimal_refuses_a_percent_past_its_column():
    with pytest.raises(InputError):
        parse_decimal("1000", max_digits=5, places=2)


def test_parse_int_is_bounded_to_an_integer_column():
    assert parse_int(str(INT32_MAX)) == INT32_MAX
    for raw in (str(2**31), str(2**63), "1e3", "٣", "1" * 5000):
        with pytest.raises(InputError):
            parse_int(raw)


def test_json_depth_ignores_brackets_in_strings_and_load_json_refuses_deep_bodies():
    assert json_depth('{"a": ["[[[", {"b": "}}"}]}') == 3
    with pytest.raises(InputError):
        load_json("[" * 50_000 + "]" * 50_000)
    for body in ('{"a": NaN}', '{"a": Infinity}', '{"a": 1e400}'):
        with pytest.raises(InputError):
            load_json(body)


@pytest.fixture
def api_key(app, world) -> str:
    with app.app_context(), scoped(dealer_id=world.ids["b1"], brand_id=world.ids["brand_b"]):
        _obj, plain = api_keys.create_key(db.session, "DMS", user_id=None)
        db.session.commit()
    return plain


ITEM = {"vin": "1HGCM82633A004352", "make": "Honda", "model": "Accord", "model_year": 2003, "price": 12500,
        "odometer": "44,190 km", "condition": "Used"}


def _upsert(**changes) -> str:
    return json.dumps({"items": [{**ITEM, **changes}]})


HOSTILE_BODIES = {
    "nested-50000": ("[" * 50_000 + "]" * 50_000, 400),
    "nul-in-text": (_upsert(make="Hon\x00da"), 422),  # the body parses; a value is unprocessable
    "lone-surrogate": (_upsert(make="\ud800"), 422),
    "price-1e400": (_upsert(price=0).replace('"price": 0', '"price": 1e400'), 422),
    "price-infinity": (_upsert(price=0).replace('"price": 0', '"price": Infinity'), 400),
    "price-2**63": (_upsert(price=2**63), 400),
    "price-40-digits-text": (_upsert(price="9" * 40), None),
    "odometer-2**31": (_upsert(odometer=2**31), None),
    "year-2**63-text": (_upsert(model_year=str(2**63)), None),
}


@pytest.mark.parametrize(("body", "status"), list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
def test_api_upsert_answers_hostile_bodies_with_a_message(app, client, api_key, body, status):
    response = client.post("/api/v1/inventory", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code < 500
    if status:
        assert response.status_code == status
    payload = response.get_json()
    assert payload and "<class" not in json.dumps(payload)
    if response.status_code >= 400:
        assert payload["error"]


def test_api_refuses_a_body_past_the_size_limit(app, client, api_key, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_BODY_BYTES", 1024)
    body = json.dumps({"items": [{**ITEM, "make": "x" * 2000}]})
    response = client.post("/api/v1/inventory", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 413
    assert response.get_json()["error"]


@pytest.mark.parametrize("price", ["1e400", "Infinity", "9" * 40, 2**63, "-1" + "0" * 30])
def test_api_patch_price_never_prints_a_python_repr(app, client, world, api_key, price):
    from tests.inventory.factories import vehicle

    with app.app_context(), all_tenants():
        vin = vehicle(world.ids["b1"], currency="THB").vin
        db.session.commit()
    response = client.patch(f"/api/v1/inventory/{vin}", data=json.dumps({"price": price}), content_type="application/json",
                            headers={"Authorization": f"Bearer {api_key}"})
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"] and "<class" not in response.get_json()["error"]


def test_api_path_with_a_nul_byte_is_a_400(client, api_key):
    response = client.patch("/api/v1/inventory/ABC%00DEF", data="{}", content_type="application/json",
                            headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_a_nul_byte_on_a_public_form_is_a_400_with_the_message(client):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": "a\x00@example.com", "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
