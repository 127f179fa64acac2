"""The customer's offer PDF (reportlab): data in, PDF bytes out.

Contents, in the customer's language: dealer name and address, offer number and revision, issue
date and validity, customer, consultant, vehicle (with image when given), every configuration
line, promotions and discounts, trade-in, fees, taxes, the out-the-door price, payment scenarios
with monthly payments, the purchasing conditions, signature lines, "page X of Y" on every page, a
table header repeated across pages, and a QR code of the online offer. Fonts are the vendored
Forecourt Sans faces (``documents.fonts``), embedded and subset, so the text is extractable.
Amounts come from the offer snapshot as exact Decimal strings and are only formatted here (Babel),
never re-rounded.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

import segno
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.documents.fonts import font_runs, needs_shaping, paragraph_font, register_fonts
from app.documents.linebreaks import paragraph, wrap_mode
from app.domain.messages import babel_formatter
from app.domain.messages import render as render_text
from app.domain.pricing.labels import customer_line_label, payment_label, unique_promotions
from app.domain.vehicle_names import vehicle_title

BRAND_COLOUR = colors.HexColor("#0b5394")
MUTED = colors.HexColor("#666666")


@dataclass(frozen=True, slots=True)
class OfferDocument:
    """Everything printed on an offer PDF.

    ``snapshot`` is the offer revision's snapshot (``services.offers.build_snapshot``); ``locale``
    the customer's language (``ko``, ``th``, ``zh_Hans``, ``ru``, ``en``); ``gettext`` translates
    labels into that language (identity by default); ``vehicle_image`` JPEG/PNG bytes or None.
    """

    dealer_name: str
    dealer_address: list[str]
    dealer_phone: str
    dealer_email: str
    brand_name: str
    number: str
    revision_no: int
    issued_on: date
    valid_until: date | None
    locale: str
    customer_name: str
    customer_contact: str
    consultant_name: str
    snapshot: dict
    conditions: str = ""
    qr_url: str = ""
    vehicle_image: bytes | None = None
    gettext: Callable[[str], str] = field(default=lambda text: text)


class _NumberedCanvas(rl_canvas.Canvas):
    """Canvas that writes "page X of Y" once the total is known (reportlab's two-pass pattern)."""

    footer_text = ""
    footer_locale = "en"
    page_label = "Page %(page)s of %(pages)s"

    def __init__(self, *args, **kwargs):
        kwargs["initialFontName"] = paragraph_font(self.footer_locale)  # never the unembedded Helvetica
        super().__init__(*args, **kwargs)
        self._saved_states: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab API
        self._saved_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_states)
        for state in self._saved_states:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_runs(self, x: float, text: str, *, align_right: bool = False) -> None:
        runs = font_runs(text, self.footer_locale)
        if align_right:
            x -= sum(stringWidth(run, face, 8) for face, run in runs)
        for face, run in runs:
            self.setFont(face, 8)
            self.drawString(x, 10 * mm, run)
            x += stringWidth(run, face, 8)

    def _draw_footer(self, total: int) -> None:
        self.setFillColor(MUTED)
        self._draw_runs(18 * mm, self.footer_text)
        self._draw_runs(A4[0] - 18 * mm, self.page_label % {"page": self._pageNumber, "pages": total}, align_right=True)


def _markup(text: str, locale: str, bold: bool = False) -> str:
    """Return Paragraph markup drawing each script run in a face that has its glyphs."""
    return "".join(f'<font name="{face}">{escape(run)}</font>' for face, run in font_runs(text, locale, bold))


class _Writer:
    """Builds the flowables for one document in one language."""

    def __init__(self, doc: OfferDocument) -> None:
        self.doc = doc
        self.locale = doc.locale.replace("-", "_")
        self.currency = doc.snapshot["priced"]["currency"]
        self._ = doc.gettext
        base = paragraph_font(self.locale)
        shaping = 1 if needs_shaping(base) or self.locale.startswith("th") else 0
        self.body = ParagraphStyle("body", fontName=base, bulletFontName=base, fontSize=9, leading=12.5, shaping=shaping,
                                   wordWrap=wrap_mode(self.locale))
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7.5, leading=10, textColor=MUTED)
        self.title = ParagraphStyle("title", parent=self.body, fontSize=17, leading=22, textColor=BRAND_COLOUR)
        self.h2 = ParagraphStyle("h2", parent=self.body, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4, textColor=BRAND_COLOUR)
        self.right = ParagraphStyle("right", parent=self.body, alignment=TA_RIGHT)
        self.total = ParagraphStyle("total", parent=self.right, fontSize=11, leading=15)

    def table(self, rows, col_widths, styles=(), repeat_rows: int = 0) -> Table:
        """Return a Table whose own text (empty cells, span fillers) uses the embedded base font."""
        table = Table(rows, colWidths=col_widths, repeatRows=repeat_rows)
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), self.body.fontName), *styles]))
        return table

    def p(self, text: str, style: ParagraphStyle | None = None, bold: bool = False) -> Paragraph:
        # An empty Paragraph falls back to reportlab's Times-Roman (not embedded): draw a no-break space.
        # Line breaks follow the script's rules (``linebreaks``): Thai between words only, Chinese anywhere.
        return paragraph(font_runs(text or "\u00a0", self.locale, bold), style or self.body)

    def line_label(self, line, vehicle) -> str:
        """The customer's label of a priced line (``customer_line_label``) with its stored label worded here."""
        return customer_line_label({**line, "label": self.text(line["label"])}, self._, vehicle)

    def text(self, value) -> str:
        """Word a stored message (msgid + params), a ``Text`` or a plain string in the document's language."""
        return render_text(value, self._, babel_formatter(self.locale))

    def money(self, amount: str | Decimal | None) -> str:
        if amount is None or amount == "":
            return "—"
        return format_currency(Decimal(amount), self.currency, locale=self.locale)

    def header(self) -> list:
        d, _ = self.doc, self._
        dealer = [self.p(d.dealer_name, self.h2, bold=True)] + [self.p(line, self.small) for line in d.dealer_address]
        dealer.append(self.p(" · ".join(x for x in (d.dealer_phone, d.dealer_email) if x), self.small))
        facts = [
            [self.p(_("Offer"), self.small), self.p(f"{d.number} (v{d.revision_no})", bold=True)],
            [self.p(_("Date"), self.small), self.p(format_date(d.issued_on, "long", locale=self.locale))],
        ]
        if d.valid_until:
            facts.append([self.p(_("Valid until"), self.small), self.p(format_date(d.valid_until, "long", locale=self.locale))])
        facts.append([self.p(_("Customer"), self.small), self.p(d.customer_name, bold=True)])
        if d.customer_contact:
            facts.append([self.p("", self.small), self.p(d.customer_contact, self.small)])
        facts.append([self.p(_("Sales consultant"), self.small), self.p(d.consultant_name)])
        top_left = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        right = self.table(facts, [28 * mm, 60 * mm], top_left)
        table = self.table([[dealer, right]], [86 * mm, 88 * mm], top_left)
        return [self.p(_("Offer") + " — " + d.brand_name, self.title), Spacer(1, 3 * mm), table, Spacer(1, 4 * mm)]

    def vehicle(self) -> list:
        _ = self._
        vehicle = self.doc.snapshot.get("vehicle", {})
        # The customer-facing name: a listing's raw title ("Limited|NAVI|LEATHER|…") is cleaned, not printed.
        parts = [self.p(vehicle_title(vehicle), self.h2, bold=True)]
        facts = []
        if vehicle.get("model_year"):
            facts.append((_("Model year"), str(vehicle["model_year"])))
        if vehicle.get("source") == "stock" and vehicle.get("odometer") is not None:
            distance = format_decimal(vehicle["odometer"], locale=self.locale)
            facts.append((_("Odometer"), f"{distance} {vehicle.get('odometer_unit') or ''}".strip()))
        for key, label in (("exterior", _("Exterior colour")), ("interior", _("Interior colour")),
                           ("fuel_type", _("Fuel")), ("transmission", _("Transmission")),
                           ("stock_number", _("Stock number")), ("vin", _("VIN"))):
            if vehicle.get(key):
                facts.append((label, str(vehicle[key])))
        if facts:
            rows = [[self.p(label, self.small), self.p(value, self.small)] for label, value in facts]
            tight = [("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
                     ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("VALIGN", (0, 0), (-1, -1), "TOP")]
            facts_table = self.table(rows, [30 * mm, 66 * mm], tight)
            facts_table.hAlign = "LEFT"
            parts.append(facts_table)
        if self.doc.vehicle_image:
            image = Image(io.BytesIO(self.doc.vehicle_image))
            ratio = image.imageHeight / float(image.imageWidth or 1)
            image.drawWidth, image.drawHeight = 70 * mm, 70 * mm * ratio
            return [self.table([[parts, image]], [100 * mm, 74 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP")])]
        return parts

    def lines(self) -> list:
        _ = self._
        priced = self.doc.snapshot["priced"]
        rows = [[self.p(_("Item"), bold=True), self.p(_("Amount"), self.right, bold=True)]]
        styles = [
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND_COLOUR),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fb")]),
        ]

        def add(label: str, amount: str, *, minus: bool = False, strong: bool = False, note: str = "") -> None:
            text = label + (f" — {note}" if note else "")
            value = ("-" if minus else "") + self.money(amount)  # ASCII: no embedded face has U+2212
            rows.append([self.p(text, bold=strong), self.p(value, self.total if strong else self.right, bold=strong)])
            if strong:
                styles.append(("LINEABOVE", (0, len(rows) - 1), (-1, len(rows) - 1), 0.6, colors.black))

        vehicle = self.doc.snapshot.get("vehicle", {})
        for line in priced["item_lines"]:
            qty = f" × {line['quantity']}" if line["quantity"] > 1 else ""
            add(self.line_label(line, vehicle) + qty, line["amount"], note=self.text(line.get("note", "")))
        add(_("Subtotal"), priced["subtotal"], strong=True)
        for line in priced["discount_lines"]:
            add(self.line_label(line, vehicle), line["amount"], minus=True)
        if priced["discount_lines"]:
            add(_("Selling price"), priced["net_price"], strong=True)
        for line in priced["fee_lines"]:
            add(self.text(line["label"]), line["amount"])
        for line in priced["tax_lines"]:
            if line["kind"] == "added_tax":
                add(self.text(line["label"]), line["amount"])
        add(_("Out-the-door price"), priced["out_the_door_price"], strong=True)
        for line in priced["tax_lines"]:
            if line["kind"] == "included_tax":
                rows.append([self.p(_("of which %(tax)s") % {"tax": self.text(line["label"])}, self.small), self.p(self.money(line["amount"]), self.right)])
        if Decimal(priced["trade_in_allowance"]) or Decimal(priced["trade_in_payoff"]):
            add(_("Trade-in allowance"), priced["trade_in_allowance"], minus=True)
            add(_("Trade-in payoff"), priced["trade_in_payoff"])
            add(_("Balance due"), priced["balance_due"], strong=True)
        return [self.p(_("Price"), self.h2, bold=True), self.table(rows, [130 * mm, 44 * mm], styles, repeat_rows=1)]

    def tax_breakdown(self) -> list:
        """Net, tax and gross per line and in total, in markets that round taxes per line (else nothing).

        Figures come rounded from the snapshot's ``tax_breakdown`` (``pricing.TaxBreakdown``): line nets
        add up to the net total and net + tax = gross on every row, as on the screen.
        """
        _ = self._
        priced = self.doc.snapshot["priced"]
        breakdown = priced.get("tax_breakdown")
        if not breakdown:
            return []
        taxes = priced.get("tax_lines", [])
        tax_label = self.text(taxes[0]["label"]) if len(taxes) == 1 else _("Tax")
        head = (_("Item"), _("Net"), tax_label, _("Gross"))
        rows = [[self.p(head[0], bold=True)] + [self.p(x, self.right, bold=True) for x in head[1:]]]
        vehicle = self.doc.snapshot.get("vehicle", {})
        for line in breakdown["lines"]:
            rows.append([self.p(self.line_label(line, vehicle))]
                        + [self.p(self.money(line[k]), self.right) for k in ("net", "tax", "gross")])
        rows.append([self.p(_("Total"), bold=True)]
                    + [self.p(self.money(breakdown[k]), self.right, bold=True) for k in ("total_net", "total_tax", "total_gross")])
        styles = [
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND_COLOUR),
            ("LINEABOVE", (0, len(rows) - 1), (-1, len(rows) - 1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        table = self.table(rows, [86 * mm, 30 * mm, 28 * mm, 30 * mm], styles, repeat_rows=1)
        return [self.p(_("Net and gross per line"), self.h2, bold=True), table]

    def promotions(self) -> list:
        applied = unique_promotions(self.doc.snapshot["priced"].get("applied_promotions", []))
        if not applied:
            return []
        items = [self.p("• " + promo.get("name", promo.get("code", "")), self.small) for promo in applied]
        return [self.p(self._("Promotions applied"), self.h2, bold=True), *items]

    def payments(self) -> list:
        _ = self._
        payments = self.doc.snapshot["priced"].get("payments", [])
        if not payments:
            return []
        # Every figure column is right-aligned, its header with it (the headers used to sit left of their numbers).
        head = (_("Scenario"), _("Down payment"), _("Term"), _("APR"), _("Monthly"))
        rows = [[self.p(head[0], bold=True)] + [self.p(x, self.right, bold=True) for x in head[1:]]]
        for pay in payments:
            term = (_("%(n)s months") % {"n": pay["term_months"]}) if pay.get("term_months") else "—"
            apr = f"{pay['apr_percent']} %" if pay.get("apr_percent") is not None else "—"
            monthly = self.money(pay["monthly_payment"]) if pay.get("monthly_payment") else "—"
            label = payment_label(pay, _) + (f" — {pay['bank_name']}" if pay.get("bank_name") else "")
            rows.append([self.p(label), self.p(self.money(pay["down_payment"]), self.right), self.p(term, self.right),
                         self.p(apr, self.right), self.p(monthly, self.right, bold=True)])
            if pay.get("balloon_payment"):
                # Its own row with a figure, so the SPAN rule below (detail rows only) leaves it alone.
                rows.append([self.p(_("Final payment (balloon)")), self.p(""), "", "",
                             self.p(self.money(pay["balloon_payment"]), self.right, bold=True)])
            finance = pay.get("finance")
            if finance:
                detail = " · ".join(
                    [
                        f"{_('Total interest')} {self.money(finance['total_interest'])}",
                        f"{_('Total cost of credit')} {self.money(finance['total_cost_of_credit'])}",
                        f"{_('Effective annual rate')} {finance['effective_annual_rate_percent']} %",
                    ]
                )
                rows.append([self.p(detail, self.small), "", "", "", ""])
        style = [("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND_COLOUR), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        for index, row in enumerate(rows):
            if row[1] == "":
                style.append(("SPAN", (0, index), (-1, index)))
        # The APR column fits the longest translated header word ("อัตราดอกเบี้ยต่อปี"): a Thai word that
        # reportlab has to cut inside loses its shaped tone marks.
        table = self.table(rows, [50 * mm, 32 * mm, 26 * mm, 30 * mm, 36 * mm], style, repeat_rows=1)
        return [self.p(_("Payment"), self.h2, bold=True), table]

    def conditions(self) -> list:
        if not self.doc.conditions:
            return []
        paragraphs = [self.p(chunk, self.small) for chunk in self.doc.conditions.split("\n") if chunk.strip()]
        return [self.p(self._("Purchasing conditions"), self.h2, bold=True), *paragraphs]

    def signatures(self) -> list:
        _ = self._
        cell = lambda label: [Spacer(1, 14 * mm), self.p("_" * 38, self.small), self.p(label, self.small)]  # noqa: E731
        table = self.table([[cell(_("Customer signature and date")), cell(_("Dealer signature and date"))]], [87 * mm, 87 * mm])
        flow = [table]
        if self.doc.qr_url:
            # A bitmap QR (segno) rather than reportlab's vector widget, whose renderer sets the
            # unembedded Times-Roman as its initial font.
            png = io.BytesIO()
            segno.make(self.doc.qr_url, error="m").save(png, kind="png", scale=6, border=2)
            png.seek(0)
            drawing = Image(png, width=28 * mm, height=28 * mm)
            caption = self.p(_("Scan to open this offer online, accept it or ask questions."), self.small)
            flow.append(self.table([[drawing, caption]], [32 * mm, 142 * mm], [("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return [Spacer(1, 6 * mm), KeepTogether(flow)]


def render_offer_pdf(doc: OfferDocument) -> bytes:
    """Return the offer as PDF bytes (A4). Raises ``KeyError`` for a snapshot missing priced figures."""
    register_fonts()
    writer = _Writer(doc)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{doc.number} v{doc.revision_no}",
        author=doc.dealer_name,
        initialFontName=paragraph_font(writer.locale),
    )
    story = writer.header() + writer.vehicle() + writer.lines() + writer.tax_breakdown() + writer.promotions() + writer.payments()
    story += writer.conditions() + writer.signatures()

    class Canvas(_NumberedCanvas):
        footer_text = f"{doc.dealer_name} · {doc.number} v{doc.revision_no}"
        footer_locale = writer.locale
        page_label = doc.gettext("Page %(page)s of %(pages)s")

    template.build(story, canvasmaker=Canvas)
    return buffer.getvalue()
