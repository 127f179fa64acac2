"""Partner banks of the brand: list, create, edit, deactivate (corporate admins; rate sheets the offer builder quotes)."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app.access import require
from app.blueprints.corporate import bp
from app.blueprints.corporate import forms as f
from app.blueprints.corporate.common import form_error_status, get_or_404, render
from app.domain.roles import Permission
from app.extensions import db
from app.i18n import error_message
from app.models.partner_banks import PartnerBank
from app.services import partner_banks as service

# Blank rows offered below the bands already filled in, for adding bands without JavaScript.
_EXTRA_ROWS = 2


@bp.route("/partner-banks/")
@require(Permission.MANAGE_PARTNER_BANKS)
def partner_banks():
    """The brand's partner banks, active first, with their APR bands, minimum down payment and longest term."""
    return render("corporate/finance/banks.html", rows=service.all_banks(db.session), action_form=f.ActionForm())


def _plain(value) -> Decimal:
    """``10.00`` → ``10``, ``12.50`` → ``12.5`` (never ``1E+1``): what a person would type."""
    return Decimal(format(Decimal(value).normalize(), "f"))


def _form_for(bank: PartnerBank) -> f.PartnerBankForm:
    if request.method == "POST":
        return f.PartnerBankForm()
    bands = [{"min_term": b["min_term"], "max_term": b["max_term"], "apr": Decimal(str(b["apr"])),
              "max_balloon_percent": _plain(b["max_balloon_percent"]) if b.get("max_balloon_percent") else None}
             for b in (bank.apr_bands or [])]
    data = {"bands": bands + [{}] * _EXTRA_ROWS}
    if bank.id is not None:
        data.update(name=bank.name, max_term=bank.max_term,
                    min_down_payment_percent=_plain(bank.min_down_payment_percent))
    return f.PartnerBankForm(data=data)


def _edit(bank: PartnerBank):
    form = _form_for(bank)
    status = 200
    if request.method == "POST":
        status = form_error_status()
        if form.validate_on_submit():
            bands = [service.AprBand(r.min_term.data, r.max_term.data, r.apr.data, r.max_balloon_percent.data)
                     for r in form.filled_bands()]
            try:
                service.save_bank(db.session, bank if bank.id is not None else None, brand_id=g.brand.id,
                                  name=form.name.data, bands=bands,
                                  min_down_payment_percent=form.min_down_payment_percent.data,
                                  max_term=form.max_term.data, active=bank.active if bank.id is not None else True)
            except service.PartnerBankError as exc:
                db.session.rollback()
                if exc.field == "name":
                    form.name.errors = [*form.name.errors, _("Another partner bank already has this name.")]
                else:  # the form checks the same rules first; this is the finance domain's last word
                    form.form_errors.append(error_message(exc))
            else:
                db.session.commit()
                flash(_("Partner bank saved."), "success")
                return redirect(url_for("corporate.partner_banks"))
        while len(form.bands.entries) < len(form.filled_bands()) + 1:
            form.bands.append_entry()
    return render("corporate/finance/bank_form.html", form=form, obj=bank, status=status, action_form=f.ActionForm())


@bp.route("/partner-banks/new", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNER_BANKS)
def partner_bank_new():
    """Create a partner bank with its rate sheet."""
    return _edit(PartnerBank())


@bp.route("/partner-banks/<int:bank_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNER_BANKS)
def partner_bank_edit(bank_id: int):
    """Edit a partner bank's name, rate sheet, minimum down payment and longest term."""
    return _edit(get_or_404(PartnerBank, bank_id))


@bp.route("/partner-banks/<int:bank_id>/active", methods=["POST"])
@require(Permission.MANAGE_PARTNER_BANKS)
def partner_bank_toggle(bank_id: int):
    """Deactivate a partner bank (no longer offered in new offers) or reactivate it."""
    bank = get_or_404(PartnerBank, bank_id)
    if f.ActionForm().validate_on_submit():
        service.set_bank_active(db.session, bank, not bank.active)
        db.session.commit()
        flash(_("Partner bank reactivated.") if bank.active else _("Partner bank deactivated."), "success")
    else:
        flash(_("Your session form expired or was tampered with. Please try again."), "error")
    return redirect(url_for("corporate.partner_banks"))
