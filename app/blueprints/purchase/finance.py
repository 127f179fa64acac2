"""The customer's finance application through their purchase link: fill it in, attach documents, print it.

E2E dealers only (O2O dealers finance in the showroom: these routes answer 404). The customer
types their identity number and income but never sees them back unmasked.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.blueprints.deals.finance import MENU, applicant_input, application_form, pdf_response, upload
from app.blueprints.deals.finance_forms import DocumentForm
from app.blueprints.purchase import bp
from app.blueprints.purchase.routes import PURCHASE_PANELS, load_deal
from app.domain.deal_states import STEP_ORDER, step_status
from app.domain.roles import menu_available
from app.extensions import db, limiter
from app.i18n import error_message
from app.models.deals import Deal
from app.services import deals as deal_service
from app.services import finance_applications as finance

PURCHASE_PANELS.append("purchase/_finance_panel.html")


def _load(token: str) -> Deal:
    deal = load_deal(token)
    if not menu_available(MENU, g.dealer.business_model):
        abort(404)
    return deal


@bp.route("/<token>/finance", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@limiter.limit("60 per minute")
def finance_apply(token: str):
    """The finance application form on the customer's phone."""
    deal = _load(token)
    reason = finance.can_apply_reason(db.session, deal)
    form = application_form(deal, request.form if request.method == "POST" else None)
    if request.method == "POST" and reason is None and form.validate_on_submit():
        try:
            finance.submit(db.session, deal, applicant_input(form), dealer=g.dealer, config=current_app.config, actor=None)
        except finance.FinanceApplicationError as exc:
            db.session.rollback()
            form.form_errors.append(error_message(exc))
        else:
            db.session.commit()
            flash(_("Thank you. Your finance application was sent to the bank."), "success")
            return redirect(url_for("purchase.view", token=token))
    status = 422 if request.method == "POST" else 200
    return render_template("purchase/finance.html", deal=deal, form=form, reason=reason, token=token), status


@bp.route("/<token>/finance/documents", methods=["POST"])
@limiter.limit("20 per minute")
def finance_upload(token: str):
    """Attach a PDF, JPG or PNG to the customer's live application."""
    deal = _load(token)
    application = finance.active_application(db.session, deal)
    if application is None:
        abort(404)
    form = DocumentForm()
    if form.validate_on_submit() and upload(application, form, None):
        flash(_("Thank you. The document was added to your application."), "success")
        return redirect(url_for("purchase.view", token=token) + "#finance")
    return _page(deal, token, document_form=form), 422


def _page(deal: Deal, token: str, **extra) -> str:
    """Render the purchase page (as ``purchase.view``) with the finance card's form carrying its errors."""
    from app.blueprints.deals.routes import STATE_LABELS

    steps = [(step.value, STATE_LABELS[step.value], step_status(deal.state, step)) for step in STEP_ORDER]
    return render_template(
        "purchase/view.html", deal=deal, token=token, steps=steps, state_labels=STATE_LABELS,
        settlement=deal_service.settlement_of(deal), purchase_panels=PURCHASE_PANELS, **extra,
    )


@bp.route("/<token>/finance/pdf")
@limiter.limit("30 per minute")
def finance_pdf(token: str):
    """The customer's printable application (identity number and income masked)."""
    deal = _load(token)
    applications = finance.applications_of(db.session, deal)
    if not applications:
        abort(404)
    return pdf_response(applications[0], g.dealer, locale=deal.customer.preferred_locale or deal.locale)
