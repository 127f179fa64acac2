"""Every page and PDF a Korean, Thai or Russian reader opens is in their language (issue 11 item 7).

One demo dealer (``flask seed-demo``: Seoul's catalog, stock, customers, offers in every state and an
accepted offer's deal) is walked as its principal, its consultant and the brand's corporate admin, each
reading ``ko``, ``th`` and ``ru`` in turn: every parameterless staff page, the detail pages of each
offer, deal, customer and stock car, the customer's offer and purchase pages, the offer PDF and the
contract PDF. The visible text (tag bodies, ``title``/``placeholder``/``aria-label``/``alt``/``value`` of
buttons) is searched for English: a run of two or more English words of which one is a common English
word, or a lone UI word ("Save", "Cancel"). What may stay English is listed and explained in ``ALLOWED``
and the data the dealer and customers typed (names, addresses, banks) is taken from the database.
"""

from __future__ import annotations

import html
import io
import re
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.demo.seed import DEMO_PASSWORD
from app.extensions import db
from app.tenancy import all_tenants
from tests.conftest import csrf_token

#: Words that make a run of Latin-script words an English sentence (function words and the trade's words).
COMMON = set("""
a an the and or of to in on at by for with from as is are was were be been has have had not no this that
these those it its your you our we he she they their there here will can may must should would could
if then than when where which who what how all any each every more most less only also but so into
out up down over after before about per new open edit save cancel delete remove add back next send sent
offer offers price prices total discount deal deals customer customers vehicle vehicles car cars stock
payment payments deposit finance loan contract delivery trade option options color colour trim model
models status date time name phone email address note notes search filter show hide view details
approve approved approval reason reasons applied pending draft accepted declined expired withdrawn
valid until amount monthly term months days day year years rate fee fees tax taxes included excluded
none yes sign signed signature download print page link copy submit request requested reserved
reservation balance paid due items item list settings dealer dealers consultant consultants manager
principal corporate brand catalog promotion promotions coupon code warranty accessories accessory
review reviews video videos banner banners feature features category categories import imports export
cost costs gross net profit margin customer's dealer's applications application bank banks
""".split())

#: A text that is only one of these words is an untranslated UI label.
UI_WORDS = {"save", "cancel", "edit", "delete", "back", "next", "search", "filter", "total", "price", "status",
            "actions", "send", "submit", "approve", "return", "close", "menu", "details", "download", "print",
            "none", "yes", "no", "new", "open", "apply", "reset", "remove", "add", "view", "offers", "deals",
            "customers", "inventory", "settings", "dashboard", "notifications", "approvals", "logout", "sign out"}

#: What may stay in Latin script, and why.
ALLOWED = [
    r"\bHyundai\b", r"\bIONIQ\b", r"\bKona\b", r"\bTucson\b", r"\bSanta Fe\b", r"\bPalisade\b", r"\bAvante\b",
    r"\bSonata\b", r"\bGrandeur\b", r"\bCasper\b", r"\bStaria\b", r"\bCreta\b", r"\bElantra\b",  # brand and model names
    r"\b[A-HJ-NPR-Z0-9]{17}\b",  # VINs
    r"\b[A-Z]{2,}[-_A-Z0-9.]*\b",  # codes: KRW, VIN, PDF, HTMX, SKU-like codes (upper case)
    r"\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b",  # offer, deal and stock numbers (OF-2026-0001)
    r"\bForecourt\b",  # the product's name
    r"\bkm\b|\bkWh\b|\bcc\b|\bkg\b|\bmm\b",  # units
    r"\S+@\S+", r"https?://\S+",  # e-mail addresses and links
]

ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"')
BUTTON_VALUE = re.compile(r'<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"')
#: Not read as UI text: scripts, and what the reader typed or a code (form text areas, ``<code>`` column names).
DROP = re.compile(r"<(script|style|template|svg|textarea|code)\b.*?</\1>|<!--.*?-->", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
WORD_RUN = re.compile(r"[A-Za-z][A-Za-z']*(?:[ \t]+[A-Za-z][A-Za-z']*)+")

LOCALES = ("ko", "th", "ru")


def visible_text(page: str) -> list[str]:
    """Return the text pieces a reader sees on an HTML ``page``: tag bodies and readable attributes."""
    page = DROP.sub(" ", page)
    pieces = ATTRIBUTES.findall(page) + BUTTON_VALUE.findall(page)
    pieces += TAG.split(page)
    return [html.unescape(p).strip() for p in pieces if p.strip()]


def english_in(pieces: list[str], allowed: re.Pattern) -> list[str]:
    """Return the pieces that still hold English (see the module docstring)."""
    found = []
    for piece in pieces:
        text = allowed.sub(" ", piece)
        if text.strip().lower() in UI_WORDS:
            found.append(piece)
            continue
        for run in WORD_RUN.findall(text):
            words = [w.lower() for w in run.split()]
            if len(words) >= 2 and any(w in COMMON for w in words):
                found.append(piece)
                break
    return found


def pdf_pieces(pdf: bytes) -> list[str]:
    """Return the lines of text of every page of ``pdf``."""
    reader = PdfReader(io.BytesIO(pdf))
    return [line for page in reader.pages for line in (page.extract_text() or "").splitlines() if line.strip()]


def _brand_texts_without(locale: str, brand_id: int) -> list[str]:
    """Return the marketer's texts that have no ``locale`` version: their canonical (English) fallback is data.

    A catalog or promotion name, description or quote is shown in the reader's language when the marketer
    entered one (``name_i18n``…); otherwise the canonical name is the right thing to show.
    """
    from app.models import catalog, promotions

    texts: set[str] = set()
    classes = [catalog.Category, catalog.VehicleModel, catalog.Trim, catalog.Color, catalog.Feature, catalog.Option,
               catalog.Accessory, catalog.Warranty, catalog.Video, catalog.ExpertReview, promotions.Promotion,
               promotions.PromotionBanner]
    with all_tenants():
        for cls in classes:
            for row in db.session.scalars(select(cls).where(cls.brand_id == brand_id)):
                for column in cls.__table__.columns:
                    if not column.name.endswith("_i18n"):
                        continue
                    values = getattr(row, column.name) or {}
                    if values.get(locale):
                        continue
                    texts.update(v for v in values.values() if isinstance(v, str))
                    canonical = getattr(row, column.name.removesuffix("_i18n"), None)
                    if isinstance(canonical, str):
                        texts.add(canonical)
                if isinstance(row, catalog.ExpertReview):
                    texts.update([row.source, row.reviewer, row.name])
    return [re.escape(t) for t in texts if t]


def _data_allowed() -> list[str]:
    """Return patterns for what the dealer, brand and customers typed (names, addresses, banks, notes)."""
    from app.models.accounts import Brand, Dealer, User
    from app.models.customers import Customer
    from app.models.partner_banks import PartnerBank

    typed: set[str] = set()
    with all_tenants():
        for user in db.session.scalars(select(User)):
            typed.add(user.name)
        for dealer in db.session.scalars(select(Dealer)):
            typed.update(filter(None, [dealer.name, dealer.street, dealer.city, dealer.region]))
        for brand in db.session.scalars(select(Brand)):
            typed.add(brand.name)
        for customer in db.session.scalars(select(Customer)):
            typed.update(filter(None, [customer.full_name, getattr(customer, "address_line", None), getattr(customer, "city", None)]))
        for bank in db.session.scalars(select(PartnerBank)):
            typed.add(bank.name)
    typed.add("재구매 고객 감사 할인 / returning customer")  # the demo's manual discount reason, typed by the consultant
    return [re.escape(t) for t in sorted(typed, key=len, reverse=True) if t]


LINK = re.compile(r'href="(/[^"]*)"')
CUSTOMER_LINK = re.compile(r"/[op]/[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+")


@pytest.fixture
def demo(app, runner):
    """The demo data, with Seoul's accepted-offer deal reserved and its contract generated."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    from app.models.accounts import Dealer
    from app.models.deals import Deal
    from app.models.offers import Offer

    with app.app_context(), all_tenants():
        seoul = db.session.scalar(select(Dealer).where(Dealer.slug == "seoul-gangnam"))
        typed = _data_allowed()
        allowed = {locale: _pattern(typed + _brand_texts_without(locale, seoul.brand_id)) for locale in LOCALES}
        offers = list(db.session.scalars(select(Offer.id).where(Offer.dealer_id == seoul.id).order_by(Offer.id)))
        deals = list(db.session.scalars(select(Deal.id).where(Deal.dealer_id == seoul.id)))
        brand, slug, seoul_id = seoul.brand.slug, seoul.slug, seoul.id
    _reserve_and_contract(app, seoul_id)
    assert len(offers) == 4 and deals, "the demo has Seoul's four offers and a deal"
    base = f"/d/{slug}"
    details = [f"{base}/offers/{o}" for o in offers] + [f"{base}/offers/{o}/pdf" for o in offers]
    details += [f"{base}/deals/{d}" for d in deals]
    return {"dealer": base, "brand": f"/c/{brand}", "details": details, "allowed": allowed}


def _pattern(typed: list[str]) -> re.Pattern:
    """One alternation: the ``typed`` texts longest first (a full name wins over a part of it), then ``ALLOWED``."""
    return re.compile("|".join([*sorted(set(typed), key=len, reverse=True), *ALLOWED]))


def _reserve_and_contract(app, dealer_id: int) -> None:
    """Pay the deposit of Seoul's deal, reserve the car and generate its contract (as the showroom would)."""
    from app.domain.deal_states import DealAction
    from app.models.accounts import Dealer
    from app.models.deals import Deal
    from app.services import contracts
    from app.services import deals as deal_service
    from app.tenancy import scoped

    with app.test_request_context(), all_tenants():
        dealer = db.session.get(Dealer, dealer_id)
        with scoped(dealer_id=dealer.id, brand_id=dealer.brand_id):
            for deal in db.session.scalars(select(Deal)):
                deal.deposit_paid = deal.deposit_amount
                deal_service.advance(db.session, deal, DealAction.RESERVE, dealer=dealer)
                contracts.generate(db.session, deal, dealer=dealer, actor=None, link="")
        db.session.commit()


def _read_in(app, locale: str) -> None:
    """Make every user and customer read ``locale``."""
    from app.models.accounts import User
    from app.models.customers import Customer

    with app.app_context(), all_tenants():
        for person in [*db.session.scalars(select(User)), *db.session.scalars(select(Customer))]:
            person.preferred_locale = locale
        db.session.commit()


def _skip(path: str) -> bool:
    """Links that are downloads of data or images, sign-outs, badges and CSV templates."""
    return any(part in path for part in ("/photo", "/image", "/uploads/", ".csv", "/logout", "/static/",
                                         "/documents/", "/badge"))


def _walk(client, start: list[str], prefix: str | None) -> dict[str, str]:
    """GET ``start`` and the links under ``prefix`` on the way (one page per URL shape); return path → text.

    Text: the HTML of a page, the lines of a PDF. A 5xx fails the test.
    """
    pages: dict[str, str] = {}
    shapes: set[str] = set()
    queue = list(start)
    while queue:
        path = queue.pop(0)
        shape = re.sub(r"/\d+", "/N", path)
        if path in pages or (path not in start and shape in shapes):
            continue
        shapes.add(shape)
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        if response.mimetype == "application/pdf":
            pages[path] = "\n".join(pdf_pieces(response.data))
            continue
        text = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        pages[path] = text
        for href in LINK.findall(text):
            target = urlsplit(html.unescape(href)).path
            if prefix and target.startswith(prefix) and not _skip(target):
                queue.append(target)
    return pages


def _login(client, email: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _english_of(pages: dict[str, str], allowed: re.Pattern, who: str, findings: dict[str, list[str]]) -> None:
    for path, text in pages.items():
        pieces = visible_text(text) if text.lstrip().startswith("<") else text.splitlines()
        for piece in english_in(pieces, allowed):
            findings.setdefault(f"{who} {path[:60]}", []).append(piece[:160])


@pytest.mark.parametrize("locale", LOCALES)
def test_no_english_left_on_any_page_or_pdf(app, demo, locale):
    _read_in(app, locale)
    findings: dict[str, list[str]] = {}
    customer_pages: set[str] = set()
    dealer, brand = demo["dealer"], demo["brand"]
    for email, start, prefix in [
        ("principal.seoul@forecourt.example", [f"{dealer}/", *demo["details"]], dealer),
        ("consultant.seoul@forecourt.example", [f"{dealer}/", f"{dealer}/offers/", f"{dealer}/offers/new"], None),
        ("corporate.kr@forecourt.example", [f"{brand}/"], brand),
    ]:
        client = app.test_client()
        _login(client, email)
        pages = _walk(client, start, prefix)
        for text in pages.values():
            customer_pages.update(CUSTOMER_LINK.findall(text))
        _english_of(pages, demo["allowed"][locale], f"{locale} {email.split('@')[0]}", findings)
    # One link per offer and per deal (each page view signs a fresh token of the same payload).
    links = {link.split(".")[0]: link for link in sorted(customer_pages)}
    assert any(link.startswith("/o/") for link in links.values()) and any(link.startswith("/p/") for link in links.values())
    customer = [*links.values(), *(f"{link}/pdf" for link in links.values() if link.startswith("/o/"))]
    pages = _walk(app.test_client(), customer, "/p/")
    assert any(".pdf" in path or path.endswith("/pdf") for path in pages), "the customer's PDFs were read"
    _english_of(pages, demo["allowed"][locale], f"{locale} customer", findings)
    report = "\n".join(f"{where}:\n    " + "\n    ".join(dict.fromkeys(found)) for where, found in findings.items())
    assert not findings, f"English left:\n{report}"
