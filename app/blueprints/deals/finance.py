"""Finance application views for staff: the queue, filling one in on a deal, review, decision, documents, unmasking, PDF.

E2E only: every route carries ``require_menu("finance_applications")`` (O2O dealers get 404 and
record financing offline on the deal). Handlers load (tenant-scoped) → check who may act → call
``services.finance_applications`` → commit once.
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.access import require_menu
from app.blueprints.deals import bp
from app.blueprints.deals.finance_forms import (
    DOCUMENT_KIND_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    DecisionForm,
    DocumentForm,
    FinanceApplicationForm,
    FinanceFilterForm,
    RevealForm,
)
from app.blueprints.deals.forms import ActionForm
from app.blueprints.deals.routes import DEAL_PANELS, EVENT_LABELS, can_act_on, load_deal, purchase_link
from app.documents.finance_application_pdf import FinanceApplicationDocument, render_finance_application_pdf
from app.domain.finance_application import MASK, MAX_DOCUMENT_BYTES, FinanceStatus
from app.domain.money import quantum
from app.domain.roles import Role, menu_available
from app.extensions import db, htmx
from app.i18n import error_message, money
from app.models.accounts import Dealer
from app.models.deals import Deal
from app.models.finance import FinanceApplication, FinanceDocument
from app.services import finance_applications as finance
from app.services import partner_banks
from app.services.storage import StorageError

DEAL_PANELS.append("deals/_finance_panel.html")
EVENT_LABELS.update({
    "finance_in_review": _l("Finance application in review at the bank"),
    "finance_approved": _l("Finance approved"),
    "finance_document": _l("Finance document added"),
})

MENU = "finance_applications"


# --- shared with the purchase page ------------------------------------------------------------------------


@bp.app_template_global()
def finance_panel(deal: Deal) -> dict | None:
    """Return what the finance cards show for ``deal`` (None for dealers without online finance)."""
    if not menu_available(MENU, g.dealer.business_model):
        return None
    applications = finance.applications_of(db.session, deal)
    active = next((a for a in applications if a.active_deal_id == deal.id), None)
    return {
        "active": active,
        "latest": applications[0] if applications else None,
        "history": applications,
        "reason": finance.can_apply_reason(db.session, deal),
        "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "mask": finance.masked_national_id,
        "income_mask": MASK,
    }


@bp.app_template_global()
def finance_document_form() -> DocumentForm:
    """Return an empty document-upload form (the purchase page's finance card)."""
    return DocumentForm()


def application_form(deal: Deal, formdata=None) -> FinanceApplicationForm:
    """Return the application form for ``deal`` with its bank and scenario choices (pre-selecting the offer's bank)."""
    form = FinanceApplicationForm(formdata=formdata, currency=deal.currency) if formdata is not None else \
        FinanceApplicationForm(currency=deal.currency)
    banks = partner_banks.active_banks(db.session)
    scenarios = finance.scenarios(db.session, deal)
    form.partner_bank_id.choices = [SelectChoice(b.id, b.name) for b in banks]
    form.scenario_index.choices = [
        SelectChoice(s.index, _("%(label)s · APR %(apr)s %%", label=s.label, apr=s.apr_percent.normalize()))
        for s in scenarios
    ]
    if request.method == "GET":
        quoted = {s.bank_name for s in scenarios}
        form.partner_bank_id.data = next((b.id for b in banks if b.name in quoted), banks[0].id if banks else None)
        form.applicant_name.data = form.applicant_name.data or deal.customer.full_name
    return form


def applicant_input(form: FinanceApplicationForm) -> finance.ApplicantInput:
    """Return the service input from a validated form."""
    return finance.ApplicantInput(
        applicant_name=form.applicant_name.data, date_of_birth=form.date_of_birth.data, national_id=form.national_id.data,
        address_line=form.address_line.data, city=form.city.data, postal_code=form.postal_code.data or "",
        employer=form.employer.data, position=form.position.data, employment_years=form.employment_years.data,
        monthly_income=form.monthly_income.data, partner_bank_id=form.partner_bank_id.data,
        scenario_index=form.scenario_index.data,
    )


def upload(application: FinanceApplication, form: DocumentForm, actor) -> bool:
    """Store the uploaded document of a validated ``form``; put the reason on the form and return False when refused."""
    storage = form.file.data
    limit = int(current_app.config.get("FINANCE_DOCUMENT_MAX_BYTES") or MAX_DOCUMENT_BYTES)
    try:
        data = storage.stream.read(limit + 1)  # one byte more than allowed is enough to refuse it
    finally:
        storage.close()  # large uploads are spooled to a temporary file
    try:
        finance.add_document(
            db.session, application, data=data, file_name=storage.filename or "", kind=form.kind.data,
            config=current_app.config, actor=actor,
        )
    except (finance.DocumentRejected, finance.FinanceApplicationError) as exc:
        db.session.rollback()
        form.file.errors = [*form.file.errors, error_message(exc)]
        return False
    db.session.commit()
    return True


def pdf_response(application: FinanceApplication, dealer: Dealer, *, locale: str) -> Response:
    """Return the application PDF in ``locale`` (identity number and income masked)."""
    deal = application.deal
    with force_locale(locale):
        doc = FinanceApplicationDocument(
            dealer_name=dealer.name, dealer_address=dealer.address_lines, dealer_phone=dealer.phone, brand_name=dealer.brand.name,
            deal_number=deal.number, vehicle_label=deal.vehicle_label, submitted_on=application.submitted_at.date(),
            locale=locale, status_label=str(STATUS_LABELS[application.status.value]), applicant_name=application.applicant_name,
            date_of_birth=application.date_of_birth, national_id_masked=finance.masked_national_id(application),
            address_lines=[application.address_line, " ".join(x for x in (application.postal_code, application.city) if x)],
            employer=application.employer, position=application.position, employment_years=application.employment_years,
            monthly_income_masked=MASK, currency=application.currency, bank_name=application.bank_name,
            scenario_label=application.scenario_label, payment_kind_label=str(KIND_LABELS.get(application.payment_kind, "")),
            term_months=application.term_months, down_payment=application.down_payment,
            amount_financed=application.amount_financed, apr_percent=application.apr_percent,
            monthly_payment=application.monthly_payment, consultant_name=deal.consultant.name if deal.consultant else "",
            approved_apr_percent=application.approved_apr_percent, approved_term_months=application.approved_term_months,
            approved_amount_financed=application.approved_amount_financed, conditions=application.conditions,
            decline_reason=application.decline_reason, documents=[d.file_name for d in application.documents], gettext=gettext,
        )
        data = render_finance_application_pdf(doc)
    filename = f"{deal.number}-finance-{application.id}.pdf"
    response = Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})
    response.headers["Cache-Control"] = "no-store"
    return response


# --- staff views ------------------------------------------------------------------------------------------


def _is_manager() -> bool:
    return g.role in (Role.DEALER_PRINCIPAL, Role.SALES_MANAGER)


def _load_application(application_id: int) -> FinanceApplication:
    return db.get_or_404(FinanceApplication, application_id)


def _to_application(application: FinanceApplication):
    target = url_for("deals.finance_application", application_id=application.id)
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


@bp.route("/finance-applications")
@require_menu(MENU)
def finance_applications():
    """The dealer's finance applications, newest first, filtered by status."""
    form = FinanceFilterForm(request.args)
    if not form.validate():
        flash(_("Some filters were not valid and were ignored."), "warning")
    status = form.status.data if not form.status.errors else None
    page = form.page.data if not form.page.errors and form.page.data else 1
    rows, total = finance.list_applications(db.session, status=status or None, page=page)
    context = dict(
        form=form, applications=rows, total=total, page=page, pages=max(1, -(-total // 25)), status=status or "",
        status_labels=STATUS_LABELS, counts=finance.counts_by_status(db.session), mask=finance.masked_national_id,
    )
    template = "deals/_finance_table.html" if htmx and not htmx.boosted else "deals/finance_applications.html"
    response = current_app.make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


@bp.route("/<int:deal_id>/finance", methods=["GET", "POST"])
@require_menu(MENU)
def finance_new(deal_id: int):
    """Fill in the finance application with the customer (the deal's consultant, managers, principal)."""
    deal = load_deal(deal_id)
    if not can_act_on(deal):
        abort(403)
    reason = finance.can_apply_reason(db.session, deal)
    form = application_form(deal, request.form if request.method == "POST" else None)
    if request.method == "POST" and reason is None and form.validate_on_submit():
        try:
            application = finance.submit(
                db.session, deal, applicant_input(form), dealer=g.dealer, config=current_app.config, actor=current_user
            )
        except finance.FinanceApplicationError as exc:
            db.session.rollback()
            form.form_errors.append(error_message(exc))
        else:
            db.session.commit()
            flash(_("The finance application was submitted to %(bank)s.", bank=application.bank_name), "success")
            return _to_application(application)
    status = 422 if request.method == "POST" else 200
    return render_template("deals/finance_form.html", deal=deal, form=form, reason=reason), status


def _detail(application: FinanceApplication, *, revealed: dict | None = None, status: int = 200, **forms):
    deal = application.deal
    max_amount = finance.max_financeable(deal)
    decision_form = forms.get("decision_form") or DecisionForm(max_amount=max_amount, currency=deal.currency)
    if "decision_form" not in forms and request.method == "GET":
        # Start from what was asked; shown without the storage scale (5.9, not 5.900; KRW without cents).
        decision_form.apr_percent.data = application.apr_percent.normalize()
        decision_form.term_months.data = application.term_months
        decision_form.amount_financed.data = application.amount_financed.quantize(quantum(deal.currency))
    context = dict(
        application=application, deal=deal, status_labels=STATUS_LABELS, kind_labels=KIND_LABELS,
        document_labels=DOCUMENT_KIND_LABELS, masked_id=finance.masked_national_id(application), income_mask=MASK,
        revealed=revealed or {}, can_unmask=finance.can_unmask(deal, current_user, g.role), can_act=can_act_on(deal),
        is_manager=_is_manager(), max_amount=max_amount, decision_form=decision_form,
        document_form=forms.get("document_form") or DocumentForm(), reveal_form=RevealForm(),
        review_form=ActionForm(),
    )
    response = current_app.make_response((render_template("deals/finance_application.html", **context), status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/finance-applications/<int:application_id>")
@require_menu(MENU)
def finance_application(application_id: int):
    """One application: applicant (masked), scenario, bank decision, documents, actions."""
    return _detail(_load_application(application_id))


@bp.route("/finance-applications/<int:application_id>/reveal", methods=["POST"])
@require_menu(MENU)
def finance_reveal(application_id: int):
    """Open the identity number or the income (deal's consultant, managers, principal); audit-logged."""
    application = _load_application(application_id)
    form = RevealForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        plain = finance.reveal(db.session, application, form.what.data, config=current_app.config, user=current_user, role=g.role)
    except finance.FinanceAccessDenied:
        db.session.commit()  # keep the audit record of the refused attempt
        abort(403)
    db.session.commit()
    if form.what.data == "monthly_income":
        plain = money(plain, application.currency)
    if htmx:
        response = current_app.make_response(render_template("deals/_finance_revealed.html", value=plain, what=form.what.data))
        response.headers["Cache-Control"] = "no-store"
        return response
    return _detail(application, revealed={form.what.data: plain})


@bp.route("/finance-applications/<int:application_id>/review", methods=["POST"])
@require_menu(MENU)
def finance_review(application_id: int):
    """Mark the application as being reviewed by the bank (managers, principal)."""
    application = _load_application(application_id)
    if not _is_manager():
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        finance.start_review(db.session, application, actor=current_user)
    except finance.FinanceApplicationError as exc:
        db.session.rollback()
        flash(error_message(exc), "warning")
    else:
        db.session.commit()
        flash(_("The application is in review."), "info")
    return _to_application(application)


@bp.route("/finance-applications/<int:application_id>/decision", methods=["POST"])
@require_menu(MENU)
def finance_decision(application_id: int):
    """Record the bank's decision (managers, principal): approval figures or the decline reason."""
    application = _load_application(application_id)
    if not _is_manager():
        abort(403)
    deal = application.deal
    form = DecisionForm(max_amount=finance.max_financeable(deal), currency=deal.currency)
    if form.validate_on_submit():
        decision = finance.Decision(
            outcome=FinanceStatus(form.outcome.data), apr_percent=form.apr_percent.data, term_months=form.term_months.data,
            amount_financed=form.amount_financed.data, conditions=form.conditions.data or "", reason=form.reason.data or "",
        )
        try:
            finance.decide(db.session, application, decision, dealer=g.dealer, actor=current_user, link=purchase_link(deal))
        except finance.FinanceApplicationError as exc:
            db.session.rollback()
            form.outcome.errors = [*form.outcome.errors, error_message(exc)]
        else:
            db.session.commit()
            flash(_("Decision recorded: %(status)s.", status=STATUS_LABELS[decision.outcome.value]), "success")
            return _to_application(application)
    return _detail(application, status=422, decision_form=form)


@bp.route("/finance-applications/<int:application_id>/documents", methods=["POST"])
@require_menu(MENU)
def finance_upload(application_id: int):
    """Attach a PDF, JPG or PNG to the application (deal's consultant, managers, principal)."""
    application = _load_application(application_id)
    if not can_act_on(application.deal):
        abort(403)
    form = DocumentForm()
    if form.validate_on_submit() and upload(application, form, current_user):
        flash(_("The document was added."), "success")
        return _to_application(application)
    return _detail(application, status=422, document_form=form)


@bp.route("/finance-applications/<int:application_id>/documents/<int:document_id>")
@require_menu(MENU)
def finance_document(application_id: int, document_id: int):
    """Return one stored document (only staff of the dealer; never cached)."""
    application = _load_application(application_id)
    document = db.get_or_404(FinanceDocument, document_id)
    if document.application_id != application.id:
        abort(404)
    try:
        data = finance.read_document(current_app.config, document)
    except StorageError:
        abort(404)
    response = Response(data, mimetype=document.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="{document.file_name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/finance-applications/<int:application_id>/pdf")
@require_menu(MENU)
def finance_pdf(application_id: int):
    """The printable application in the customer's language (identity number and income masked)."""
    application = _load_application(application_id)
    deal = application.deal
    return pdf_response(application, g.dealer, locale=deal.customer.preferred_locale or deal.locale)
