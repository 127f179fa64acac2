"""Contract step, customer side: read the contract PDF and sign it through the purchase link.

Signing needs the full name typed as on the contract and the consent ticked; the service refuses
(with the reason, nothing saved) a cancelled purchase, a withdrawn or expired offer, a replaced
or changed version and a second signature. Post/redirect/get with a flashed message.
"""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from app.blueprints.purchase import bp
from app.blueprints.purchase.routes import PURCHASE_PANELS, load_deal
from app.domain.roles import menu_available
from app.extensions import db, limiter
from app.i18n import error_message
from app.models.contracts import Contract
from app.services import contracts as contract_service


class SignContractForm(FlaskForm):
    """The customer's signature: full name typed and consent ticked (checked by the service)."""

    full_name = StringField(_l("Type your full name"), validators=[Length(max=200)])
    consent = BooleanField(_l("I have read the contract and agree to sign it electronically"))


@bp.app_template_global("purchase_contract")
def purchase_contract(deal) -> dict | None:
    """Return what the purchase page's contract card shows, or None (O2O dealer, or no contract yet)."""
    if not menu_available("contracts", deal.business_model):
        return None
    versions = contract_service.contracts_of(db.session, deal)
    if not versions:
        return None
    current = contract_service.current_contract(db.session, deal)
    return dict(versions=versions, current=current, form=SignContractForm(),
                stale=bool(current and contract_service.is_stale(db.session, current)))


PURCHASE_PANELS.append("purchase/_contract_panel.html")


def _version(deal, version: int) -> Contract:
    contract = db.session.scalar(select(Contract).where(Contract.deal_id == deal.id, Contract.version == version))
    if contract is None or not menu_available("contracts", deal.business_model):
        abort(404)
    return contract


@bp.route("/<token>/contract/v<int:version>.pdf")
@limiter.limit("30 per minute")
def contract_pdf(token: str, version: int):
    """One contract version as PDF, in the customer's language (earlier versions stay readable)."""
    contract = _version(load_deal(token), version)
    return Response(
        contract_service.contract_pdf(contract), mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{contract_service.pdf_filename(contract)}"'},
    )


@bp.route("/<token>/contract/v<int:version>/sign", methods=["POST"])
@limiter.limit("10 per minute")
def sign_contract(token: str, version: int):
    """Sign contract version ``version``: typed full name + consent; IP address and browser are recorded."""
    deal = load_deal(token)
    contract = _version(deal, version)
    form = SignContractForm()
    if not form.validate_on_submit():
        flash(_("Please type your full name and tick the box to sign."), "error")
        return redirect(url_for("purchase.view", token=token) + "#contract")
    staff_url = url_for("deals.detail", dealer_slug=g.dealer.slug, deal_id=deal.id, _external=True)
    try:
        contract_service.sign_by_customer(
            db.session, contract, typed_name=form.full_name.data or "", consent=bool(form.consent.data),
            ip=request.remote_addr or "", user_agent=request.user_agent.string or "", staff_url=staff_url,
        )
    except contract_service.ContractError as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
    else:
        db.session.commit()
        flash(_("Thank you, you signed the contract. The dealership will countersign it and e-mail you the signed PDF."), "success")
    return redirect(url_for("purchase.view", token=token) + "#contract")

