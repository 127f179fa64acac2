"""The printable finance application (reportlab): data in, PDF bytes out.

Contents, in the customer's language: dealer, deal number and date, the applicant (name, date of
birth, identity number *masked*, address), employment and income (income masked: the printout
leaves the portal), the partner bank and the offer's scenario (kind, term, down payment, amount
financed, APR, monthly payment), the bank's decision when there is one, the documents attached,
the applicant's declaration and signature lines, and the page number on every page. Fonts are
the vendored Forecourt Sans faces (``documents.fonts``), embedded and subset, so the text is
extractable. Amounts arrive as exact Decimals and are only formatted here (Babel).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.documents.fonts import font_runs, needs_shaping, paragraph_font, register_fonts
from app.documents.linebreaks import paragraph, wrap_mode

BRAND_COLOUR = colors.HexColor("#0b5394")
MUTED = colors.HexColor("#666666")


@dataclass(frozen=True, slots=True)
class FinanceApplicationDocument:
    """Everything printed on a finance application.

    ``national_id_masked`` / ``monthly_income_masked`` are already masked by the caller (the
    builder never sees the secrets). Money in ``currency``; ``apr_percent`` in percent.
    ``decision`` is ``None`` while the bank decides, else ``status_label`` with the approved
    figures or the decline reason. ``gettext`` translates labels into ``locale``.
    """

    dealer_name: str
    dealer_address: list[str]
    dealer_phone: str
    brand_name: str
    deal_number: str
    vehicle_label: str
    submitted_on: date
    locale: str
    status_label: str
    applicant_name: str
    date_of_birth: date
    national_id_masked: str
    address_lines: list[str]
    employer: str
    position: str
    employment_years: int
    monthly_income_masked: str
    currency: str
    bank_name: str
    scenario_label: str
    payment_kind_label: str
    term_months: int
    down_payment: Decimal
    amount_financed: Decimal
    apr_percent: Decimal
    monthly_payment: Decimal | None = None
    consultant_name: str = ""
    approved_apr_percent: Decimal | None = None
    approved_term_months: int | None = None
    approved_amount_financed: Decimal | None = None
    conditions: str = ""
    decline_reason: str = ""
    documents: list[str] = field(default_factory=list)
    gettext: Callable[[str], str] = field(default=lambda text: text)


class _Writer:
    """Builds the flowables in one language."""

    def __init__(self, doc: FinanceApplicationDocument) -> None:
        self.doc = doc
        self.locale = doc.locale.replace("-", "_")
        self._ = doc.gettext
        base = paragraph_font(self.locale)
        shaping = 1 if needs_shaping(base) or self.locale.startswith("th") else 0
        self.body = ParagraphStyle("body", fontName=base, fontSize=9.5, leading=13, shaping=shaping,
                                   wordWrap=wrap_mode(self.locale))
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7.5, leading=10, textColor=MUTED)
        self.title = ParagraphStyle("title", parent=self.body, fontSize=17, leading=22, textColor=BRAND_COLOUR)
        self.h2 = ParagraphStyle("h2", parent=self.body, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3, textColor=BRAND_COLOUR)

    def p(self, text: str, style: ParagraphStyle | None = None, bold: bool = False) -> Paragraph:
        # An empty Paragraph would fall back to the unembedded Times-Roman: draw a no-break space.
        # Line breaks follow the script's rules (``linebreaks``): Thai between words only, Chinese anywhere.
        return paragraph(font_runs(text or "\u00a0", self.locale, bold), style or self.body)

    def money(self, amount: Decimal | None) -> str:
        return "—" if amount is None else format_currency(amount, self.doc.currency, locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, "long", locale=self.locale)

    def facts(self, rows: list[tuple[str, str]]) -> Table:
        data = [[self.p(label, self.small), self.p(value)] for label, value in rows]
        table = Table(data, colWidths=[52 * mm, 122 * mm])
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), self.body.fontName),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dde3ea")),
        ]))
        return table

    def section(self, title: str, rows: list[tuple[str, str]]) -> list:
        return [self.p(title, self.h2, bold=True), self.facts(rows)]

    def story(self) -> list:
        d, _ = self.doc, self._
        dealer = " · ".join(x for x in [*d.dealer_address, d.dealer_phone] if x)
        flow: list = [
            self.p(_("Finance application") + " — " + d.brand_name, self.title),
            self.p(d.dealer_name, bold=True),
            self.p(dealer, self.small),
            Spacer(1, 3 * mm),
            self.facts([
                (_("Purchase"), d.deal_number),
                (_("Vehicle"), d.vehicle_label),
                (_("Submitted"), self.day(d.submitted_on)),
                (_("Status"), d.status_label),
                (_("Sales consultant"), d.consultant_name or "—"),
            ]),
        ]
        flow += self.section(_("Applicant"), [
            (_("Name"), d.applicant_name),
            (_("Date of birth"), self.day(d.date_of_birth)),
            (_("Identity number"), d.national_id_masked),
            (_("Address"), ", ".join(x for x in d.address_lines if x)),
        ])
        flow += self.section(_("Employment and income"), [
            (_("Employer"), d.employer),
            (_("Position"), d.position),
            (_("Years with the employer"), str(d.employment_years)),
            (_("Monthly income"), d.monthly_income_masked),
        ])
        apr = format_decimal(d.apr_percent, locale=self.locale) + " %"
        financing = [
            (_("Partner bank"), d.bank_name),
            (_("Scenario"), f"{d.scenario_label} ({d.payment_kind_label})"),
            (_("Term"), _("%(n)s months") % {"n": d.term_months}),
            (_("Down payment"), self.money(d.down_payment)),
            (_("Amount financed"), self.money(d.amount_financed)),
            (_("APR"), apr),
        ]
        if d.monthly_payment is not None:
            financing.append((_("Monthly payment"), self.money(d.monthly_payment)))
        flow += self.section(_("Financing requested"), financing)
        if d.approved_amount_financed is not None:
            decision = [
                (_("Decision"), d.status_label),
                (_("APR"), format_decimal(d.approved_apr_percent, locale=self.locale) + " %"),
                (_("Term"), _("%(n)s months") % {"n": d.approved_term_months}),
                (_("Amount financed"), self.money(d.approved_amount_financed)),
            ]
            if d.conditions:
                decision.append((_("Conditions"), d.conditions))
            flow += self.section(_("Bank decision"), decision)
        elif d.decline_reason:
            flow += self.section(_("Bank decision"), [(_("Decision"), d.status_label), (_("Reason"), d.decline_reason)])
        if d.documents:
            flow += [self.p(_("Documents attached"), self.h2, bold=True), *[self.p("• " + name, self.small) for name in d.documents]]
        cell = lambda label: [Spacer(1, 14 * mm), self.p("_" * 38, self.small), self.p(label, self.small)]  # noqa: E731
        signatures = Table([[cell(_("Applicant signature and date")), cell(_("Dealer signature and date"))]], colWidths=[87 * mm, 87 * mm])
        signatures.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), self.body.fontName)]))
        declaration = _("I confirm that the information in this application is true and complete, and I agree that "
                        "the dealer passes it to the partner bank named above to decide on the financing.")
        flow += [Spacer(1, 6 * mm), KeepTogether([self.p(declaration, self.small), signatures])]
        return flow


def render_finance_application_pdf(doc: FinanceApplicationDocument) -> bytes:
    """Return the finance application as PDF bytes (A4) in ``doc.locale``."""
    register_fonts()
    writer = _Writer(doc)
    base = paragraph_font(writer.locale)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=18 * mm,
        title=f"{doc.deal_number} — {doc.gettext('Finance application')}", author=doc.dealer_name, initialFontName=base,
    )
    footer = f"{doc.dealer_name} · {doc.deal_number}"
    page_label = doc.gettext("Page %(page)s")

    def on_page(canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFillColor(MUTED)
        for x, text, right in ((18 * mm, footer, False), (A4[0] - 18 * mm, page_label % {"page": canvas.getPageNumber()}, True)):
            runs = font_runs(text, writer.locale)
            if right:
                x -= sum(stringWidth(run, face, 8) for face, run in runs)
            for face, run in runs:
                canvas.setFont(face, 8)
                canvas.drawString(x, 10 * mm, run)
                x += stringWidth(run, face, 8)
        canvas.restoreState()

    template.build(writer.story(), onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
