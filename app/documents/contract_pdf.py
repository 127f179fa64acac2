"""The sales contract PDF (reportlab): one contract version's frozen content and its signatures in, PDF bytes out.

Contents, in the customer's language: dealer, customer, vehicle (VIN and stock number), the price
lines of the accepted offer revision, the out-the-door price, the payment split (deposit, amount
financed, trade-in equity, balance at delivery), the loan or lease the bank approved (lender, APR,
term, amount financed, monthly payment, total of payments, conditions; when the content has
``loan``), the purchasing-condition texts, the signature
blocks (who signed and when, or "not signed yet"), the version and the content hash, and
"page X of Y" on every page. It shares the offer PDF's writer (``documents.offer_pdf``): the same
embedded Forecourt Sans faces, so Hangul, Thai and Chinese text is extractable.

Deterministic: the document is built with reportlab's ``invariant`` mode (fixed creation date and
document id), so the same contract row always renders to the same bytes — the PDF can be
generated on demand instead of stored.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer

from app.documents.fonts import paragraph_font, register_fonts
from app.documents.offer_pdf import BRAND_COLOUR, _NumberedCanvas, _Writer
from app.domain.contact import format_phone, region_of


@dataclass(frozen=True, slots=True)
class ContractDocument:
    """Everything printed on a contract PDF.

    ``content`` is the contract's frozen content (``services.contracts.build_content``);
    ``state`` the version's state value (a superseded or voided version says so on the PDF);
    signature times are aware datetimes in the dealer's time zone (None: not signed yet);
    ``gettext`` translates labels into the contract's language (identity by default).
    """

    content: dict
    version: int
    content_hash: str
    state: str
    generated_at: datetime
    customer_signed_name: str = ""
    customer_signed_at: datetime | None = None
    customer_ip: str = ""
    countersigned_name: str = ""
    countersigned_at: datetime | None = None
    gettext: Callable[[str], str] = field(default=lambda text: text)

    @property
    def locale(self) -> str:
        """Return the contract's language (the customer's)."""
        return self.content["deal"]["locale"]

    @property
    def snapshot(self) -> dict:
        """Return the priced part in the offer snapshot's shape (for the shared price-lines writer)."""
        priced = dict(self.content["priced"])
        priced.setdefault("currency", self.content["deal"]["currency"])
        return {"priced": priced}


class _ContractWriter(_Writer):
    """Builds the flowables of one contract version in one language."""

    doc: ContractDocument

    def when(self, value: datetime) -> str:
        zone = self.doc.content["dealer"]["timezone"]
        return f"{format_datetime(value, 'medium', tzinfo=ZoneInfo(zone), locale=self.locale)} ({zone})"

    def header(self) -> list:
        d, _ = self.doc, self._
        content = d.content
        dealer = content["dealer"]
        left = [self.p(dealer["name"], self.h2, bold=True)] + [self.p(line, self.small) for line in dealer["address"]]
        country = region_of(dealer["phone"])  # the contract content has no country: the showroom phone tells it
        left.append(self.p(" · ".join(x for x in (format_phone(dealer["phone"], country), dealer["email"]) if x), self.small))
        customer = content["customer"]
        facts = [
            [self.p(_("Contract"), self.small), self.p(f"{content['deal']['number']} (v{d.version})", bold=True)],
            [self.p(_("Date"), self.small), self.p(self.when(d.generated_at))],
        ]
        if content.get("offer"):
            offer = content["offer"]
            facts.append([self.p(_("Offer"), self.small), self.p(f"{offer['number']} (v{offer['revision_no']})")])
        facts.append([self.p(_("Customer"), self.small), self.p(customer["name"], bold=True)])
        for line in (customer.get("address"), " · ".join(x for x in (customer.get("email"), format_phone(customer.get("phone") or "", country)) if x)):
            if line:
                facts.append([self.p("", self.small), self.p(line, self.small)])
        if content.get("consultant"):
            facts.append([self.p(_("Sales consultant"), self.small), self.p(content["consultant"])])
        top_left = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        right = self.table(facts, [28 * mm, 60 * mm], top_left)
        flow = [self.p(_("Vehicle sales contract") + " — " + dealer["brand"], self.title), Spacer(1, 3 * mm)]
        if d.state in ("superseded", "voided"):
            notice = _("This version is no longer in force (superseded by a newer version).") if d.state == "superseded" \
                else _("This version is no longer in force (the purchase was cancelled).")
            flow.append(self.p(notice, self.h2, bold=True))
        return [*flow, self.table([[left, right]], [86 * mm, 88 * mm], top_left), Spacer(1, 4 * mm)]

    def vehicle(self) -> list:
        _ = self._
        vehicle = self.doc.content.get("vehicle", {})
        parts = [self.p(_("Vehicle"), self.h2, bold=True), self.p(vehicle.get("label", ""), bold=True)]
        rows = []
        for key, label in (("vin", _("VIN")), ("stock_number", _("Stock number")), ("exterior", _("Exterior")),
                           ("interior", _("Interior"))):
            if vehicle.get(key):
                rows.append([self.p(label, self.small), self.p(str(vehicle[key]))])
        if rows:
            parts.append(self.table(rows, [40 * mm, 134 * mm], [("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        return parts

    def lines(self) -> list:
        if "item_lines" in self.doc.snapshot["priced"]:
            return super().lines()
        priced = self.doc.snapshot["priced"]
        rows = [[self.p(self._("Out-the-door price"), bold=True), self.p(self.money(priced["out_the_door_price"]), self.total, bold=True)]]
        return [self.p(self._("Price"), self.h2, bold=True), self.table(rows, [130 * mm, 44 * mm])]

    def payment_split(self) -> list:
        _ = self._
        pay = self.doc.content["payment"]
        kinds = {"cash": _("Cash"), "finance": _("Loan"), "lease": _("Lease")}
        rows = [
            [self.p(_("Out-the-door price"), bold=True), self.p(self.money(pay["out_the_door_price"]), self.right, bold=True)],
            [self.p(_("Reservation deposit paid")), self.p("-" + self.money(pay["deposit"]), self.right)],
            [self.p(_("Amount financed")), self.p("-" + self.money(pay["amount_financed"]), self.right)],
        ]
        equity = Decimal(pay["trade_in_equity"])
        rows.append([self.p(_("Trade-in equity")), self.p(("-" if equity >= 0 else "+") + self.money(abs(equity)), self.right)])
        rows.append([self.p(_("Balance due at delivery"), bold=True), self.p(self.money(pay["balance"]), self.total, bold=True)])
        styles = [("LINEABOVE", (0, len(rows) - 1), (-1, len(rows) - 1), 0.6, colors.black),
                  ("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND_COLOUR)]
        kind = kinds.get(self.doc.content["deal"].get("payment_kind", "cash"), "")
        return [self.p(_("Payment") + (f" — {kind}" if kind else ""), self.h2, bold=True),
                self.table(rows, [130 * mm, 44 * mm], styles)]

    def loan(self) -> list:
        """Return the lender's terms (``content["loan"]``): nothing for a cash deal."""
        _ = self._
        loan = self.doc.content.get("loan")
        if not loan:
            return []
        title = _("Loan") if loan.get("kind") == "finance" else _("Lease")
        rows = [[self.p(_("Lender")), self.p(loan.get("lender") or "—", self.right, bold=True)],
                [self.p(_("Amount financed")), self.p(self.money(loan["amount_financed"]), self.right)],
                [self.p(_("APR")), self.p(f"{Decimal(loan['apr_percent']).normalize():f} %", self.right)],
                [self.p(_("Term")), self.p(_("%(n)s months") % {"n": loan["term_months"]}, self.right)]]
        if loan.get("monthly_payment"):
            rows.append([self.p(_("Monthly payment"), bold=True), self.p(self.money(loan["monthly_payment"]), self.total, bold=True)])
        if loan.get("final_payment") and loan["final_payment"] != loan.get("monthly_payment"):
            rows.append([self.p(_("Last payment")), self.p(self.money(loan["final_payment"]), self.right)])
        if loan.get("total_interest"):
            rows.append([self.p(_("Total interest")), self.p(self.money(loan["total_interest"]), self.right)])
        if loan.get("total_of_payments"):
            rows.append([self.p(_("Total of payments"), bold=True), self.p(self.money(loan["total_of_payments"]), self.right, bold=True)])
        flow = [self.p(title, self.h2, bold=True),
                self.table(rows, [130 * mm, 44 * mm], [("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND_COLOUR)])]
        if (loan.get("conditions") or "").strip():
            flow.append(self.p(_("Conditions of the lender: %(text)s") % {"text": loan["conditions"].strip()}, self.small))
        return flow

    def conditions(self) -> list:
        _ = self._
        texts = self.doc.content.get("conditions", {})
        flow: list = []
        for key, title in (("offer", _("Purchasing conditions")), ("cancellation_policy", _("Cancellation policy")),
                           ("refund_policy", _("Refund policy"))):
            text = texts.get(key) or ""
            if text.strip():
                flow.append(self.p(title, self.h2, bold=True))
                flow.extend(self.p(chunk, self.small) for chunk in text.split("\n") if chunk.strip())
        documents = texts.get("required_documents") or []
        if documents:
            flow.append(self.p(_("Documents to bring"), self.h2, bold=True))
            flow.extend(self.p("• " + str(item), self.small) for item in documents)
        return flow

    def signatures(self) -> list:
        _ = self._
        d = self.doc

        def block(title: str, name: str, at: datetime | None, extra: str = "") -> list:
            cell = [self.p(title, self.small, bold=True)]
            if at is None:
                cell += [Spacer(1, 8 * mm), self.p(_("Not signed yet"), self.small)]
            else:
                cell += [self.p(name, self.h2, bold=True),
                         self.p(_("Signed electronically on %(when)s") % {"when": self.when(at)}, self.small)]
                if extra:
                    cell.append(self.p(extra, self.small))
            return cell

        customer = block(_("Customer"), d.customer_signed_name, d.customer_signed_at,
                         _("Typed name, consent given, IP %(ip)s") % {"ip": d.customer_ip} if d.customer_ip else "")
        dealer = block(_("Dealer principal") + " — " + d.content["dealer"]["name"], d.countersigned_name, d.countersigned_at)
        table = self.table([[customer, dealer]], [87 * mm, 87 * mm],
                           [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (0, 0), 0.5, colors.grey),
                            ("BOX", (1, 0), (1, 0), 0.5, colors.grey)])
        proof = self.p(_("Contract version %(version)s · content SHA-256 %(hash)s") % {"version": d.version, "hash": d.content_hash},
                       self.small)
        return [Spacer(1, 6 * mm), KeepTogether([self.p(_("Signatures"), self.h2, bold=True), table, Spacer(1, 2 * mm), proof])]


def render_contract_pdf(doc: ContractDocument) -> bytes:
    """Return the contract version as PDF bytes (A4, deterministic). Raises ``KeyError`` for incomplete content."""
    register_fonts()
    writer = _ContractWriter(doc)  # type: ignore[arg-type] - duck-typed like OfferDocument
    buffer = io.BytesIO()
    number = doc.content["deal"]["number"]
    dealer = doc.content["dealer"]["name"]
    template = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=18 * mm,
        title=f"{number} contract v{doc.version}", author=dealer, initialFontName=paragraph_font(writer.locale),
        invariant=1,
    )
    story = writer.header() + writer.vehicle() + writer.lines() + writer.payment_split() + writer.loan() + writer.conditions()
    story += writer.signatures()

    class Canvas(_NumberedCanvas):
        footer_text = f"{dealer} · {number} · v{doc.version} · {doc.content_hash[:12]}"
        footer_locale = writer.locale
        page_label = doc.gettext("Page %(page)s of %(pages)s")

    template.build(story, canvasmaker=Canvas)
    return buffer.getvalue()
