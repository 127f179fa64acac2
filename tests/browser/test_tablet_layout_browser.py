"""The tablet layout in a real browser (issue 11, items 9–12), in both tablet orientations and on a phone.

Seoul (Korean, KRW): the consultant builds a catalog offer on a tablet held either way — options ticked before
the colours, a sunroof without the package it needs (explained in place, the last good price kept), finance,
an additional discount above their authority — with the total and the approval state in view at every scroll
position; the principal approves from the approval list; the customer opens the link (in Korean on a tablet,
in Thai on a phone) and reads the dealer's identity, the car and its payment table, and the PDF. Toronto
(no catalog, used cars): the builder opens on stock, the Kijiji-style listing title is shown cleaned, with the
car's photo and mileage, to an English and a Thai-reading customer.

Layout checks are measurements, not pixels: a table cell never has more lines than words (a Korean or Thai
cell broken one character per line has), ``word-break: keep-all`` holds on Korean pages, amounts keep
``white-space: nowrap``, and the monthly payment is never clipped (``scrollWidth <= clientWidth``, its table
not scrolled sideways). Screenshots of builder, offer page, customer page and PDF (``pdftoppm``) are written
under the test's tmp dir for a person to look at.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from decimal import Decimal

import pytest
from PIL import Image

from app.domain.roles import Role
from app.extensions import db
from app.imports.values import VehicleCondition
from app.models.inventory import VehiclePhoto
from app.services import catalog as catalog_service
from app.services import dealer_settings as ds
from app.services import partner_banks
from app.services.storage import LocalStorage
from app.tenancy import all_tenants, scoped
from tests import factories
from tests.corporate import factories as cf
from tests.deal_factories import stock_vehicle
from tests.offers.helpers import pdf_text, settings

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [
    pytest.mark.no_db,
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                       reason="runs once, in the SQLite pass: its live server always uses its own SQLite file"),
]

D = Decimal
LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
KIJIJI_TRIM = "Limited|NAVI|LEATHER|ROOF|EXT. WARR|AWD"


def _seed(app):
    """Seoul (ko, KRW, catalog with a sunroof that needs a package, a partner bank) and Toronto (en, CAD, no
    catalog, one Kijiji-style stock car with a stored photo). Returns the world and the ids the tests use."""
    world = factories.World()
    with app.app_context(), all_tenants():
        kr = factories.brand(name="현대자동차", default_locale="ko")
        ca = factories.brand(name="Hyundai Auto Canada", country="CA", default_locale="en", currency="CAD",
                             timezone="America/Toronto")
        seoul = factories.dealer(kr, name="강남 모터스", slug="gangnam", street="테헤란로 123", city="서울",
                                 phone="+82 2-555-0123")
        toronto = factories.dealer(ca, name="North York Pre-Owned", slug="north-york", street="7200 Yonge Street",
                                   city="Toronto", phone="+1 416-555-0100")
        people = {"consultant_seoul": (Role.SALES_CONSULTANT, seoul, "ko", "정우진"),
                  "principal_seoul": (Role.DEALER_PRINCIPAL, seoul, "ko", "박지성"),
                  "consultant_toronto": (Role.SALES_CONSULTANT, toronto, "en", "Alex Martin")}
        for key, (role, dealer, locale, name) in people.items():
            user = factories.user(role, dealer_obj=dealer, name=name, preferred_locale=locale)
            world.emails[key], world.ids[f"user_{key}"] = user.email, user.id
        world.slugs.update(seoul=seoul.slug, toronto=toronto.slug)
        settings(seoul, fees=[ds.FeeInput("DELIVERY", "탁송료", D(250000), True)],
                 taxes=[ds.TaxInput("VAT", "부가가치세 10%", D(10), ("vehicle", "options", "accessories", "fees"), True, False)],
                 authority=(D(500000), None), consultant_ids=[world.ids["user_consultant_seoul"]])
        settings(toronto, fees=[ds.FeeInput("DOC", "Documentation fee", D("499.00"), True)],
                 taxes=[ds.TaxInput("HST", "HST 13%", D(13), ("vehicle", "options", "accessories", "fees"), False, True)],
                 authority=(D("1000.00"), None), consultant_ids=[world.ids["user_consultant_toronto"]])
        with scoped(brand_id=kr.id):
            model = cf.model(kr.id, code="NE1", name="아이오닉 5")
            trim = cf.trim(kr.id, code="NE1-LR", name="롱레인지 프레스티지", model=model, msrp=D(58550000))
            cf.offer_color(trim, cf.color(kr.id, kind="exterior", code="A2B", name="어비스 블랙 펄"), D(0))
            cf.offer_color(trim, cf.color(kr.id, kind="interior", code="NNB", name="다크 틸"), D(0))
            package = cf.option(kr.id, code="CONV", name="컨비니언스 패키지", price=D(890000))
            sunroof = cf.option(kr.id, code="SUNRF", name="파노라마 선루프", price=D(1190000))
            sunroof.requires = [package]
            db.session.flush()
            catalog_service.publish_catalog(db.session, user_id=None)
            bank = partner_banks.save_bank(db.session, None, brand_id=kr.id, name="현대캐피탈",
                                           bands=[partner_banks.AprBand(1, 60, D("4.5"))],
                                           min_down_payment_percent=D(0), max_term=60)
        with scoped(dealer_id=seoul.id, brand_id=kr.id):
            ds.save_purchasing_conditions(db.session, seoul, offer_validity_days=14, required_documents=[],
                                          cancellation_policy={"ko": "계약 후 7일 이내 취소 가능합니다."},
                                          refund_policy={}, payment_methods=[])
        korean = cf.customer(seoul.id, full_name="김민준", preferred_locale="ko")
        thai = cf.customer(seoul.id, full_name="สมชาย ใจดี", preferred_locale="th", phone_e164="+66812345679")
        with scoped(dealer_id=toronto.id, brand_id=ca.id):
            car = stock_vehicle(toronto, vin="KM8J3CAL5KU000001", stock_number="NY-1907", price="23995.00")
            car.currency, car.model_year, car.make, car.model, car.trim = "CAD", 2019, "Hyundai", "Tucson", KIJIJI_TRIM
            car.odometer, car.exterior_color, car.fuel_type, car.transmission = 84000, "Grey", "Gasoline", "Automatic"
            car.acquisition_cost, car.condition = D("20000.00"), VehicleCondition.USED
            car.image_url = "https://i.ebayimg.com/not-fetched.jpg"  # the stored photo wins: nothing leaves loopback
            buffer = io.BytesIO()
            Image.new("RGB", (640, 480), (40, 90, 140)).save(buffer, format="PNG")
            key = LocalStorage(app.config["UPLOAD_DIR"]).save(buffer.getvalue(), area="vehicles", extension="png")
            db.session.add(VehiclePhoto(dealer_id=toronto.id, vehicle_id=car.id, position=1, storage_key=key,
                                        content_type="image/png", width=640, height=480, sha256="0" * 64))
            db.session.flush()
        en = cf.customer(toronto.id, full_name="Jordan Lee", preferred_locale="en", phone_e164="+14165550199")
        th_ca = cf.customer(toronto.id, full_name="สุดา รักดี", preferred_locale="th", phone_e164="+14165550198")
        ids = {"bank": bank.id, "korean": korean.id, "thai": thai.id, "car": car.id, "en": en.id, "th_ca": th_ca.id}
        db.session.commit()
    return world, ids


@pytest.fixture
def live_seed():
    return _seed


# --- measuring the layout ---------------------------------------------------------------------------------

# Cells (and other text boxes) broken into more lines than they have words: a word split across lines, as a
# Korean or Thai word broken one character per line is. Lines = the text's height over the line height.
_BROKEN_CELLS = """(selector) => Array.from(document.querySelectorAll(selector)).filter(el => {
  const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && el.innerText.trim();
}).map(el => {
  const text = el.innerText.trim();
  const words = text.split(/\\s+/).length;
  const range = document.createRange(); range.selectNodeContents(el);
  const style = getComputedStyle(el);
  const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
  const lines = Math.round(range.getBoundingClientRect().height / lineHeight);
  return {text, words, lines, width: Math.round(el.getBoundingClientRect().width)};
}).filter(c => c.lines > c.words)"""

# Amounts whose box is narrower than their text (clipped), or whose right edge is off the screen.
_CLIPPED = """(selector) => Array.from(document.querySelectorAll(selector)).filter(el => el.getBoundingClientRect().width > 0)
  .map(el => ({text: el.innerText.trim(), scroll: el.scrollWidth, client: el.clientWidth,
               right: el.getBoundingClientRect().right, screen: document.documentElement.clientWidth,
               nowrap: getComputedStyle(el).whiteSpace}))
  .filter(c => c.scroll > c.client || c.right > c.screen + 0.5 || c.nowrap !== 'nowrap')"""

_SIDEWAYS = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.className)"""


def assert_text_wraps_at_words(page, selector: str) -> None:
    """No box under ``selector`` breaks inside a word."""
    page.wait_for_load_state("load")
    broken = page.evaluate(_BROKEN_CELLS, selector)
    assert not broken, f"text broken inside words at {page.viewport_size}: {broken}"


def assert_amounts_whole(page, selector: str) -> None:
    """Every amount under ``selector`` is unwrapped, unclipped and on screen (measured once the page's CSS applies)."""
    page.wait_for_load_state("load")  # right after a navigation the DOM can be there before the stylesheet
    assert page.locator(selector).count() > 0, selector
    clipped = page.evaluate(_CLIPPED, selector)
    assert not clipped, f"amounts clipped or wrapping at {page.viewport_size}: {clipped}"


def assert_keep_all(page, selector: str) -> None:
    """Korean pages wrap between words: the computed ``word-break`` is ``keep-all``."""
    assert page.locator(selector).first.evaluate("el => getComputedStyle(el).wordBreak") == "keep-all"


def assert_bar_in_view(page) -> None:
    """The total and the approval state are on screen at the top, the middle and the end of the builder."""
    bar = page.get_by_test_id("price-bar")
    for position in ("0", "document.documentElement.scrollHeight / 2", "document.documentElement.scrollHeight"):
        page.evaluate(f"window.scrollTo(0, {position})")
        expect(bar.locator("[data-otd]")).to_be_in_viewport()
        expect(bar.get_by_test_id("approval-state")).to_be_in_viewport()


def pdf_shot(page, url: str, shots, name: str) -> str:
    """Fetch the PDF at ``url`` with the page's cookies, render page 1 with pdftoppm into the shots folder; return its text."""
    data = page.context.request.get(url).body()
    assert data.startswith(b"%PDF"), data[:200]
    target = shots.folder / f"pdf-{name}.pdf"
    target.write_bytes(data)
    pdftoppm = shutil.which("pdftoppm")  # poppler-utils; without it the PDF is kept, not rendered
    if pdftoppm:
        subprocess.run([pdftoppm, "-r", "80", "-png", "-f", "1", "-l", "2", str(target), str(target.with_suffix(""))],  # noqa: S603 - our own file
                       check=True, timeout=60)
    return pdf_text(data)


def _context(browser, live_server, viewport, locale="ko-KR", timezone="Asia/Seoul"):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, has_touch=True, locale=locale,
                                  timezone_id=timezone)
    context.set_default_timeout(10_000)
    return context


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_be_visible()


def _reprice(page, action) -> None:
    """Run ``action`` and wait for the re-price it triggers to be answered."""
    with page.expect_response("**/offers/reprice"):
        action()


# --- Seoul: the Korean catalog offer --------------------------------------------------------------------------


@pytest.mark.parametrize(("viewport", "reader", "reader_viewport"), [
    pytest.param(LANDSCAPE, "korean", PORTRAIT, id="landscape-tablet-korean-customer-on-a-tablet"),
    pytest.param(PORTRAIT, "thai", PHONE, id="portrait-tablet-thai-customer-on-a-phone"),
])
def test_seoul_offer_in_korean_at_tablet_size(browser, live_server, shots, viewport, reader, reader_viewport):
    world, ids = live_server.world, live_server.ids
    slug = world.slugs["seoul"]
    name = "land" if viewport is LANDSCAPE else "port"
    consultant = _context(browser, live_server, viewport)
    page = consultant.new_page()
    _sign_in(page, world.emails["consultant_seoul"])

    # A tablet has no room for the menu column: it is a drawer behind the "Menu" button.
    expect(page.get_by_test_id("menu-toggle")).to_be_visible()
    expect(page.locator("#sidebar")).to_be_hidden()
    page.get_by_test_id("menu-toggle").click()
    expect(page.locator("#sidebar")).to_be_visible()
    expect(page.locator("#sidebar a[href$='/offers/']").first).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(page.locator("#sidebar")).to_be_hidden()

    page.goto(f"/d/{slug}/offers/new")
    assert page.evaluate("document.documentElement.lang") == "ko"
    expect(page.locator("input[name=source][value=catalog]")).to_be_checked()  # Seoul sells from the catalog
    panel = page.locator("#price-panel")
    page.locator("#customer_q").fill("ใจดี" if reader == "thai" else "김민준")
    pick = page.locator("#customer-results input[type=radio]").first
    _reprice(page, lambda: page.locator("#customer_q").blur())
    _reprice(page, pick.check)
    _reprice(page, lambda: page.locator("#model_code").select_option("NE1"))
    _reprice(page, lambda: page.locator("#trim_code").select_option("NE1-LR"))

    # Options before colours: the price waits, and the colour fields say why, right where they are.
    package = page.locator("#vehicle-choices label", has_text="컨비니언스 패키지").locator("input")
    _reprice(page, package.check)
    expect(page.locator("#vehicle-choices .field-error").first).to_be_visible()
    expect(panel.locator("[data-otd]")).to_have_count(0)
    expect(package).to_be_checked()
    _reprice(page, lambda: page.locator("#exterior_code").select_option("A2B"))
    _reprice(page, lambda: page.locator("#interior_code").select_option("NNB"))
    # 58,550,000 + 890,000 package + 250,000 delivery (VAT included) = 59,690,000
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", "59690000")

    # A sunroof without the package it needs: explained under the options, the last good price stays, dimmed.
    _reprice(page, package.uncheck)
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", "58800000")
    sunroof = page.locator("#vehicle-choices label", has_text="파노라마 선루프").locator("input")
    _reprice(page, sunroof.check)
    conflicts = page.get_by_test_id("option-conflicts")
    expect(conflicts).to_be_visible()
    expect(conflicts).to_contain_text("파노라마 선루프")
    expect(conflicts).to_contain_text("컨비니언스 패키지")
    expect(page.locator("#vehicle-choices label.in-conflict")).to_have_count(2)  # the sunroof and the package it needs
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", "58800000")  # the last good price, kept
    expect(panel.get_by_test_id("price-errors")).to_be_visible()
    expect(panel.locator(".is-stale")).to_have_count(1)
    shots(page, f"ko-builder-conflict-{name}", full_page=False)
    package = page.locator("#vehicle-choices label", has_text="컨비니언스 패키지").locator("input")
    _reprice(page, package.check)
    # 58,550,000 + 890,000 + 1,190,000 + 250,000 = 60,880,000; the conflict and the stale mark are gone
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", "60880000")
    expect(page.get_by_test_id("option-conflicts")).to_have_count(0)
    expect(panel.locator(".is-stale")).to_have_count(0)

    # A scenario's fields show once it is ticked.
    expect(page.locator("#finance_term")).to_be_hidden()
    _reprice(page, lambda: page.locator("#finance_enabled").check())
    expect(page.locator("#finance_term")).to_be_visible()
    page.locator("#finance_bank_id").select_option(str(ids["bank"]))
    page.locator("#finance_term").fill("36")
    _reprice(page, lambda: page.locator("#finance_down").fill("10000000"))
    expect(panel.locator("table.payments")).to_contain_text("현대캐피탈")

    # Over the consultant's 500,000 authority: the bar says so, at every scroll position.
    page.locator("#manual_value").fill("2000000")
    _reprice(page, lambda: page.locator("#manual_reason").fill("재구매 고객"))
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", "58880000")
    expect(page.get_by_test_id("approval-state")).to_contain_text("승인 필요")
    assert_bar_in_view(page)
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, f"ko-builder-{name}", full_page=False)
    if viewport is PORTRAIT:  # the lines are one tap away in the bottom sheet
        page.locator(".details-toggle").click()
        expect(panel.get_by_test_id("approval-needed")).to_be_visible()
        shots(page, f"ko-builder-details-{name}", full_page=False)
        page.locator(".details-toggle").click()
    else:
        expect(panel.get_by_test_id("approval-needed")).to_be_in_viewport()
    assert_amounts_whole(page, "#price-panel .num")
    assert_text_wraps_at_words(page, "#price-panel td, #price-panel th, #vehicle-choices label")

    page.locator("button.save").click()
    expect(page.get_by_test_id("offer-state")).to_be_visible()
    offer_url = page.url
    number = page.locator("h1").inner_text().split()[0]
    # The offer page: the payment table's monthly payments whole, Korean cells wrapped at words.
    assert_keep_all(page, ".offer-summary td")
    assert_amounts_whole(page, ".offer-summary td.num:not(.empty), .offer-head .otd strong")
    assert not page.evaluate(_SIDEWAYS, ".offer-summary .table-wrap"), "the payment table scrolls sideways"
    assert_text_wraps_at_words(page, ".offer-summary td, .offer-summary th, .offer-head p, .offer-grid aside li")
    shots(page, f"ko-offer-{name}")
    page.locator("form[action$='/submit'] button").click()
    expect(page.get_by_test_id("offer-state")).to_have_text("승인 대기")

    # The offer list: numbers, names, states and dates on one line each; Korean at words.
    page.goto(f"/d/{slug}/offers/")
    assert_keep_all(page, "table.offer-list td")
    assert_text_wraps_at_words(page, "table.offer-list td, table.offer-list th, .state-chips label")
    assert_amounts_whole(page, "table.offer-list td.num")
    assert page.locator("table.offer-list td.date").first.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"
    shots(page, f"ko-offer-list-{name}")

    # The principal approves from the approval list (same tablet).
    boss = _context(browser, live_server, viewport).new_page()
    _sign_in(boss, world.emails["principal_seoul"])
    expect(boss.locator(".menu-toggle")).to_be_visible()
    boss.goto(f"/d/{slug}/offers/approvals")
    row = boss.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("아이오닉 5")
    assert_text_wraps_at_words(boss, "table.approval-list td, table.approval-list th")
    shots(boss, f"ko-approvals-{name}")
    row.get_by_role("link", name=number).click()
    boss.locator("button[name=decision][value=approve]").click()
    expect(boss.get_by_test_id("offer-state")).to_have_text("승인됨")
    boss.context.close()

    page.goto(offer_url)
    page.locator("form[action$='/send'] button").click()
    link = page.get_by_test_id("customer-link").input_value()
    consultant.close()

    # The customer: the dealer's and the brand's identity, the car, whole figures — in their own language.
    locale = "th-TH" if reader == "thai" else "ko-KR"
    visitor = _context(browser, live_server, reader_viewport, locale=locale)
    customer = visitor.new_page()
    customer.goto(link)
    expect(customer.get_by_test_id("dealer-identity")).to_contain_text("강남 모터스")
    expect(customer.get_by_test_id("dealer-identity")).to_contain_text("현대자동차")
    body = customer.locator("body").inner_text()
    assert "Forecourt" not in body and "E2E" not in body and "Manual discount" not in body
    assert "Forecourt" not in customer.title()
    expect(customer.locator("h1")).to_have_text("아이오닉 5 롱레인지 프레스티지")
    expect(customer.get_by_test_id("key-facts")).to_contain_text("어비스 블랙 펄")
    additional = "ส่วนลดเพิ่มเติม" if reader == "thai" else "추가 할인"
    expect(customer.locator(".offer-summary")).to_contain_text(additional)
    assert customer.evaluate("document.documentElement.lang") == ("th" if reader == "thai" else "ko")
    assert_amounts_whole(customer, ".offer-summary td.num:not(.empty)")
    assert not customer.evaluate(_SIDEWAYS, ".offer-summary .table-wrap")
    assert_text_wraps_at_words(customer, ".offer-summary td, .offer-summary th, .key-facts dd, .key-facts dt")
    tag = "th" if reader == "thai" else "ko"
    shots(customer, f"{tag}-customer-{'phone' if reader_viewport is PHONE else 'tablet'}")
    text = pdf_shot(customer, customer.locator("a[href$='/pdf']").get_attribute("href"), shots, f"{tag}-seoul")
    assert "아이오닉 5 롱레인지 프레스티지" in text and "Manual discount" not in text and additional in text
    assert "58,880,000" in text
    visitor.close()


# --- Toronto: a used car from stock -------------------------------------------------------------------------


@pytest.mark.parametrize(("viewport", "ui", "reader"), [
    pytest.param(LANDSCAPE, "en", "en", id="landscape-tablet-english"),
    pytest.param(PORTRAIT, "th", "th_ca", id="portrait-tablet-thai"),
])
def test_toronto_stock_offer_at_tablet_size(browser, live_server, shots, viewport, ui, reader):
    world = live_server.world
    slug = world.slugs["toronto"]
    name = f"{ui}-{'land' if viewport is LANDSCAPE else 'port'}"
    consultant = _context(browser, live_server, viewport, locale="en-CA", timezone="America/Toronto")
    page = consultant.new_page()
    _sign_in(page, world.emails["consultant_toronto"])
    if ui == "th":  # the consultant reads Thai: the language picker of the top bar
        page.locator("#locale-select").select_option("th")
        expect(page.locator("html")).to_have_attribute("lang", "th")
    page.goto(f"/d/{slug}/offers/new")
    # No catalog: the builder opens on stock, and there is no empty "New car" tab.
    expect(page.locator("input[name=source][value=stock]")).to_be_checked()
    expect(page.locator("input[name=source][value=catalog]")).to_have_count(0)
    expect(page.locator("#stock_q")).to_be_visible()
    page.locator("#customer_q").fill("Jordan" if reader == "en" else "รักดี")
    _reprice(page, lambda: page.locator("#customer_q").blur())
    _reprice(page, page.locator("#customer-results input[type=radio]").first.check)
    page.locator("#stock_q").fill("Tucson")
    _reprice(page, lambda: page.locator("#stock_q").blur())
    _reprice(page, page.locator("#vehicle-choices input[name=stock_id]").first.check)
    # 23,995.00 + 499.00 doc fee = 24,494.00 + HST 13 % 3,184.22 = 27,678.22
    panel = page.locator("#price-panel")
    expect(panel.locator("[data-otd]")).to_have_attribute("data-otd", "27678.22")
    expect(page.get_by_test_id("approval-state")).to_be_visible()
    assert_bar_in_view(page)
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, f"builder-toronto-{name}", full_page=False)
    assert_amounts_whole(page, "#price-panel .num")
    page.locator("button.save").click()
    expect(page.get_by_test_id("offer-state")).to_be_visible()
    assert_amounts_whole(page, ".offer-summary td.num:not(.empty)")
    assert_text_wraps_at_words(page, ".offer-summary td, .offer-summary th")
    shots(page, f"offer-toronto-{name}")
    page.locator("form[action$='/send'] button").click()
    link = page.get_by_test_id("customer-link").input_value()
    consultant.close()

    for reader_viewport in (viewport, PHONE):
        visitor = _context(browser, live_server, reader_viewport, locale="en-CA", timezone="America/Toronto")
        customer = visitor.new_page()
        customer.goto(link)
        expect(customer.locator("h1")).to_have_text("2019 Hyundai Tucson Limited")  # not the listing's raw title
        body = customer.locator("body").inner_text()
        assert "|" not in body and "NAVI" not in body and "E2E" not in body and "Forecourt" not in body
        photo = customer.get_by_test_id("vehicle-photo")
        expect(photo).to_be_visible()
        assert "/photo" in photo.get_attribute("src")  # the stored photo, not the listing's remote address
        assert photo.evaluate("img => img.complete && img.naturalWidth") == 640
        expect(customer.get_by_test_id("odometer")).to_have_text("84,000 km")
        expect(customer.get_by_test_id("dealer-identity")).to_contain_text("North York Pre-Owned")
        expect(customer.get_by_test_id("dealer-identity")).to_contain_text("Hyundai Auto Canada")
        assert_amounts_whole(customer, ".offer-summary td.num:not(.empty)")
        size = "phone" if reader_viewport is PHONE else "tablet"
        shots(customer, f"customer-toronto-{reader}-{size}")
        if reader_viewport is PHONE:
            text = pdf_shot(customer, customer.locator("a[href$='/pdf']").get_attribute("href"), shots,
                            f"toronto-{reader}")
            assert "2019 Hyundai Tucson Limited" in text and "NAVI" not in text and "27,678.22" in text
        visitor.close()


def test_builder_on_a_phone_keeps_the_total_in_view(browser, live_server, shots):
    """The consultant on a phone (390×844): the bottom sheet with the total, the approval state and the save button."""
    world = live_server.world
    context = _context(browser, live_server, PHONE)
    page = context.new_page()
    _sign_in(page, world.emails["consultant_seoul"])
    page.goto(f"/d/{world.slugs['seoul']}/offers/new")
    _reprice(page, lambda: page.locator("#model_code").select_option("NE1"))
    _reprice(page, lambda: page.locator("#trim_code").select_option("NE1-LR"))
    _reprice(page, lambda: page.locator("#exterior_code").select_option("A2B"))
    _reprice(page, lambda: page.locator("#interior_code").select_option("NNB"))
    expect(page.locator("#price-panel [data-otd]")).to_have_attribute("data-otd", "58800000")
    assert_bar_in_view(page)
    expect(page.locator("button.save")).to_be_in_viewport()
    assert_amounts_whole(page, ".price-bar [data-otd]")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")  # no sideways page
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "ko-builder-phone", full_page=False)
    context.close()
