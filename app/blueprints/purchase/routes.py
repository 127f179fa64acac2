"""Purchase page views: load the deal from the signed token → check the link version → show or act."""

from __future__ import annotations

from flask import abort, current_app, g, render_template
from flask_babel import gettext as _

from app.blueprints.purchase import bp
from app.domain.deal_states import STEP_ORDER, step_status
from app.extensions import db, limiter
from app.i18n import error_message
from app.models.accounts import Dealer
from app.models.deals import Deal
from app.services import deals as deal_service
from app.tenancy import TenantScope, all_tenants, set_scope

#: A purchase link works this long unless revoked earlier (``Deal.link_version``).
LINK_MAX_AGE = 60 * 60 * 24 * 120

#: Templates of the customer's step cards, in order; each step module appends its own.
PURCHASE_PANELS: list[str] = []


def load_deal(token: str) -> Deal:
    """Resolve ``token`` to its deal inside the deal's dealer scope, or abort 404 with the reason."""
    try:
        deal_id, dealer_id, version = deal_service.load_link_token(token, current_app.config["SECRET_KEY"], LINK_MAX_AGE)
    except deal_service.DealError as exc:
        abort(404, description=error_message(exc))
    with all_tenants():
        dealer = db.session.get(Dealer, dealer_id)
    if dealer is None:
        abort(404)
    g.dealer, g.brand = dealer, dealer.brand
    if g.get("_tenant_token") is None:  # a view may load twice (re-render after an error): one scope per request
        g._tenant_token = set_scope(TenantScope(dealer_id=dealer.id, brand_id=dealer.brand_id))
    deal = db.session.get(Deal, deal_id)
    if deal is None or deal.link_version != version:
        abort(404, description=_("This link has been replaced. Please ask your sales consultant."))
    g.offer_locale = deal.customer.preferred_locale or deal.locale
    return deal


@bp.route("/<token>")
@limiter.limit("60 per minute")
def view(token: str):
    """The customer's purchase page: where the deal stands and what they can do next."""
    deal = load_deal(token)
    from app.blueprints.deals.routes import STATE_LABELS, in_sale_order

    steps = [(step.value, STATE_LABELS[step.value], step_status(deal.state, step)) for step in STEP_ORDER]
    return render_template(
        "purchase/view.html", deal=deal, token=token, steps=steps, state_labels=STATE_LABELS,
        settlement=deal_service.settlement_of(deal), purchase_panels=in_sale_order(PURCHASE_PANELS),
    )
