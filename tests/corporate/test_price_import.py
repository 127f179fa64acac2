"""Price-list import pages: preview without saving, row-level errors, signed confirm, all-or-nothing apply."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.catalog import Accessory, CatalogRelease, Option, Trim
from tests.conftest import csrf_token
from tests.corporate import factories as cf


def _token(html: str) -> str | None:
    match = re.search(r'name="token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="token"', html)
    return match.group(1) if match else None


@pytest.fixture
def catalog(make, world):
    """Brand A draft: model CN7 with trim CN7-SMART (19,940,000), option SUNRF, accessory 99110-AA000; model DN8."""
    brand = world.ids["brand_a"]
    ids: dict[str, int] = {}

    def build():
        cn7 = cf.model(brand, code="CN7", name="Avante")
        dn8 = cf.model(brand, code="DN8", name="Sonata")
        smart = cf.trim(brand, code="CN7-SMART", name="1.6 Smart", model=cn7, msrp=Decimal("19940000"))
        opt = cf.option(brand, code="SUNRF", name="Sunroof", price=Decimal("450000"))
        acc = Accessory(brand_id=brand, part_number="99110-AA000", name="Floor mats", price=Decimal("120000"),
                        labour=Decimal("0"))
        db.session.add(acc)
        db.session.flush()
        ids.update(cn7=cn7.id, dn8=dn8.id, smart=smart.id, option=opt.id, accessory=acc.id)
        return smart

    make(build)
    return ids


def upload(client, base, token, data: bytes, filename: str, **extra):
    return client.post(f"{base}/catalog/price-import", data={
        "csrf_token": token, "file": (io.BytesIO(data), filename), **extra}, content_type="multipart/form-data",
        headers=extra.pop("headers", None) or {})


def _files(app) -> set[Path]:
    root = Path(app.config["UPLOAD_DIR"]) / "imports"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def stored_imports(app):
    """``stored_imports()`` lists the price lists stored since the test started (the upload dir is shared)."""
    before = _files(app)
    return lambda: sorted(_files(app) - before)


GOOD_CSV = (
    "type,code,name,model,trims,price,labour\n"
    'trim,CN7-SMART,,,,"20,340,000",\n'          # price change 19,940,000 → 20,340,000
    "trim,CN7-MOD,1.6 Modern,CN7,,23550000,\n"    # new trim
    "option,SUNRF,,,CN7-SMART CN7-MOD,450000,\n"  # trims fit changes, price unchanged
    "accessory,99110-AA000,,,,120000,\n"          # unchanged
    "accessory,99120-BB000,Cargo tray,CN7 DN8,,85000,15000\n"  # new
)


def test_page_lists_the_menu_entry_and_columns(client, corp):
    base, _ = corp
    html = client.get(f"{base}/catalog/price-import").get_data(as_text=True)
    assert 'href="/c/' in html and "Price-list import" in html and "<code>labour</code>" in html
    assert html.count(f'href="{base}/catalog/price-import"') == 1  # the sidebar entry


def test_exact_successful_import_previews_then_applies_all(stored_imports, app, client, corp, catalog, read):
    base, token = corp
    preview = upload(client, base, token, GOOD_CSV.encode(), "prices.csv")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "2 new, 2 changed, 1 unchanged" in html
    assert "₩19,940,000" in html and "₩20,340,000" in html
    # Nothing saved by the preview; the file waits on the server.
    assert read(lambda: db.session.get(Trim, catalog["smart"]).msrp) == Decimal("19940000")
    assert read(lambda: db.session.scalar(select(func.count()).select_from(Trim))) == 1
    assert len(stored_imports()) == 1
    signed = _token(html)
    assert signed
    applied = client.post(f"{base}/catalog/price-import/confirm", data={"csrf_token": token, "token": signed})
    assert applied.status_code == 302 and applied.headers["Location"].endswith("/catalog/publish")

    def state():
        trims = {t.code: (t.name, t.msrp, t.model.code) for t in db.session.scalars(select(Trim))}
        option = db.session.get(Option, catalog["option"])
        accessories = {a.part_number: (a.name, a.price, a.labour, [m.code for m in a.models])
                       for a in db.session.scalars(select(Accessory))}
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "price_list_imported")).all()
        releases = db.session.scalar(select(func.count()).select_from(CatalogRelease))
        return trims, (option.price, [t.code for t in option.trims]), accessories, events, releases

    trims, option, accessories, events, releases = read(state)
    assert trims == {"CN7-SMART": ("1.6 Smart", Decimal("20340000"), "CN7"),
                     "CN7-MOD": ("1.6 Modern", Decimal("23550000"), "CN7")}
    assert option == (Decimal("450000"), ["CN7-MOD", "CN7-SMART"])
    assert accessories == {"99110-AA000": ("Floor mats", Decimal("120000"), Decimal("0"), []),
                           "99120-BB000": ("Cargo tray", Decimal("85000"), Decimal("15000"), ["CN7", "DN8"])}
    assert len(events) == 1 and events[0].after["new"] == 2 and events[0].after["changed"] == 2
    assert releases == 0  # publishing stays a separate step
    assert stored_imports() == []
    # The same token cannot be applied twice: its file is gone.
    again = client.post(f"{base}/catalog/price-import/confirm", data={"csrf_token": token, "token": signed})
    assert again.status_code == 302 and again.headers["Location"].endswith("/catalog/price-import")


def test_xlsx_import_with_numbers(client, corp, catalog, read):
    base, token = corp
    book = openpyxl.Workbook()
    for row in [["Type", "Code", "Price"], ["trim", "CN7-SMART", 20140000.0], ["option", "SUNRF", 500000]]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    preview = upload(client, base, token, out.getvalue(), "prices.xlsx")
    assert preview.status_code == 200
    client.post(f"{base}/catalog/price-import/confirm", data={"csrf_token": token,
                                                               "token": _token(preview.get_data(as_text=True))})
    assert read(lambda: (db.session.get(Trim, catalog["smart"]).msrp, db.session.get(Option, catalog["option"]).price)) \
        == (Decimal("20140000"), Decimal("500000"))


def _xlsx_with_formula() -> bytes:
    book = openpyxl.Workbook()
    for row in [["type", "code", "price"], ["trim", "CN7-SMART", 20000000], ["trim", "CN7-X", "=C2*1.1"]]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BAD_FILES = [
    ("formula in xlsx", _xlsx_with_formula(), "p.xlsx", "3", "Formulas are not accepted"),
    ("formula in csv", b"type,code,price\ntrim,CN7-SMART,=1+2\n", "p.csv", "2", "Formulas are not accepted"),
    ("unknown model", b"type,code,name,model,price\ntrim,NX4-X,Tucson,NX4,30000000\n", "p.csv", "2",
     "No model with the code NX4 in your catalog."),
    ("unknown trim", b"type,code,trims,price\noption,SUNRF,CN7-SMART GHOST,450000\n", "p.csv", "2",
     "No trim with the code GHOST in your catalog."),
    ("new trim without model", b"type,code,name,price\ntrim,CN7-NEW,New,30000000\n", "p.csv", "2",
     "A new trim needs the code of its model."),
    ("new row without name", b"type,code,price\naccessory,99999-ZZ,1000\n", "p.csv", "2", "A new row needs a name."),
    ("negative", b"type,code,price\ntrim,CN7-SMART,-19940000\n", "p.csv", "2", "Prices must not be negative."),
    ("non-numeric", b"type,code,price\ntrim,CN7-SMART,about 20M\n", "p.csv", "2", "This is not a price"),
    ("krw decimals", b"type,code,price\ntrim,CN7-SMART,19940000.50\n", "p.csv", "2",
     "KRW prices are whole amounts: remove the decimals."),
    ("option as package", b"type,code,price\npackage,SUNRF,1\n", "p.csv", "2", "SUNRF is a option in your catalog."),
]


@pytest.mark.parametrize(("label", "data", "filename", "row", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_rows_give_row_level_messages_and_save_nothing(stored_imports, app, client, corp, catalog, read, label, data, filename,
                                                            row, message):
    base, token = corp
    response = upload(client, base, token, data, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html
    assert message in html
    assert re.search(rf'<td class="num">{row}</td>', html)
    assert "Nothing was saved" in html and _token(html) is None
    assert read(lambda: db.session.get(Trim, catalog["smart"]).msrp) == Decimal("19940000")
    assert read(lambda: db.session.scalar(select(func.count()).select_from(Trim))) == 1
    assert stored_imports() == []


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"not a workbook", "p.xlsx", "named .xlsx but is not an Excel workbook"),
    (b'type,code,price\ntrim,"CN7,1\n', "p.csv", "cannot be read as CSV"),
    (b"type,code\ntrim,CN7-SMART\n", "p.csv", "needs the columns price"),
    (b"", "p.csv", "The file is empty."),
    (b"<?xml version='1.0'?><rows><row><type>trim</type></row></rows>", "p.xml", "Upload the price list as CSV or XLSX."),
])
def test_malformed_files_are_refused_whole(stored_imports, app, client, corp, catalog, data, filename, message):
    base, token = corp
    response = upload(client, base, token, data, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and "cannot be read" in html
    assert stored_imports() == []


def test_missing_file_csrf_and_fragment(client, corp, catalog):
    base, token = corp
    assert client.post(f"{base}/catalog/price-import", data={"csrf_token": token}).status_code == 400
    no_csrf = client.post(f"{base}/catalog/price-import", data={"file": (io.BytesIO(b"x"), "p.csv")},
                          content_type="multipart/form-data")
    assert no_csrf.status_code == 400
    frag = client.post(f"{base}/catalog/price-import", data={"csrf_token": token, "file": (
        io.BytesIO(b"type,code,price\ntrim,CN7-SMART,-1\n"), "p.csv")}, content_type="multipart/form-data",
        headers={"HX-Request": "true"})
    assert frag.status_code == 422 and "<html" not in frag.get_data(as_text=True)
    assert "HX-Request" in frag.headers["Vary"]


def test_tampered_or_foreign_tokens_apply_nothing(app, client, corp, catalog, read, login, world):
    base, token = corp
    preview = upload(client, base, token, b"type,code,price\ntrim,CN7-SMART,21000000\n", "p.csv")
    signed = _token(preview.get_data(as_text=True))
    for bad in [signed[:-2] + "xx", "garbage"]:
        response = client.post(f"{base}/catalog/price-import/confirm", data={"csrf_token": token, "token": bad})
        assert response.status_code == 302 and response.headers["Location"].endswith("/catalog/price-import")
    htmx = client.post(f"{base}/catalog/price-import/confirm", data={"csrf_token": token, "token": "garbage"},
                       headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].endswith("/catalog/price-import")
    # Another user of the same brand cannot apply this user's preview.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspaces")})
    login(world.emails["marketer_a"])
    other = csrf_token(client, f"{base}/catalog/price-import")
    response = client.post(f"{base}/catalog/price-import/confirm", data={"csrf_token": other, "token": signed})
    assert response.status_code == 302
    assert read(lambda: db.session.get(Trim, catalog["smart"]).msrp) == Decimal("19940000")
    assert client.post(f"{base}/catalog/price-import/confirm", data={"token": signed}).status_code == 400  # no CSRF


def test_draft_changed_between_preview_and_confirm_is_shown_again(client, corp, catalog, read, app):
    base, token = corp
    preview = upload(client, base, token, b"type,code,price\ntrim,CN7-SMART,21000000\n", "p.csv")
    signed = _token(preview.get_data(as_text=True))
    client.post(f"{base}/catalog/trims/{catalog['smart']}/price", data={"csrf_token": token, "price": "20500000"},
                headers={"HX-Request": "true"})
    response = client.post(f"{base}/catalog/price-import/confirm", data={"csrf_token": token, "token": signed})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "The catalog changed since the preview" in html
    assert "₩20,500,000" in html  # the new "old" price
    assert read(lambda: db.session.get(Trim, catalog["smart"]).msrp) == Decimal("20500000")
    fresh = _token(html)
    assert fresh and fresh != signed
    client.post(f"{base}/catalog/price-import/confirm", data={"csrf_token": token, "token": fresh})
    assert read(lambda: db.session.get(Trim, catalog["smart"]).msrp) == Decimal("21000000")


def test_downloaded_prices_round_trip_unchanged(stored_imports, client, corp, catalog, app):
    base, token = corp
    download = client.get(f"{base}/catalog/price-import/prices.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    body = download.get_data()
    assert body.startswith("\ufeff".encode()) and b"trim,CN7-SMART,1.6 Smart,CN7,,19940000," in body
    response = upload(client, base, token, body, "prices.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "0 new, 0 changed, 3 unchanged" in html
    assert _token(html) is None and "nothing to apply" in html
    assert stored_imports() == []


def test_dealer_users_cannot_reach_the_import(client, login, world):
    login(world.emails["principal_a1"])
    for path in ["/catalog/price-import", "/catalog/price-import/prices.csv"]:
        assert client.get(f"/c/{world.slugs['brand_a']}{path}").status_code == 404
