"""The customer's trade-in on their purchase page: describe the car, answer the condition questions, add photos.

E2E dealers only (an O2O dealer appraises in the showroom): the route answers 404 for O2O deals.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.blueprints.deals.trade_in_forms import TradeInForm
from app.blueprints.deals.trade_ins import prefill, submit_form
from app.blueprints.purchase import bp
from app.blueprints.purchase.routes import PURCHASE_PANELS, load_deal
from app.domain.deal_states import TERMINAL
from app.domain.roles import menu_available
from app.extensions import db, limiter

PURCHASE_PANELS.append("purchase/_trade_in_panel.html")


def _staff_link(appraisal) -> str:
    return url_for("deals.trade_in", dealer_slug=g.dealer.slug, appraisal_id=appraisal.id, _external=True)


@bp.route("/<token>/trade-in", methods=["GET", "POST"])
@limiter.limit("60 per minute")
@limiter.limit("10 per minute", methods=["POST"])
def trade_in(token: str):
    """Ask the dealer to appraise the customer's car; it lands in the dealer's appraisal queue."""
    deal = load_deal(token)
    if not menu_available("trade_ins", deal.business_model) or deal.state in TERMINAL:
        abort(404)
    form = TradeInForm()
    if request.method == "POST":
        appraisal = submit_form(form, deal, actor=None, link=_staff_link)
        if appraisal is not None:
            db.session.commit()
            flash(_("Thank you! We will appraise your car and e-mail you the value."), "success")
            return redirect(url_for("purchase.view", token=token))
        return render_template("purchase/trade_in.html", deal=deal, form=form, token=token), 422
    prefill(form, deal)
    return render_template("purchase/trade_in.html", deal=deal, form=form, token=token)
