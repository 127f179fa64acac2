"""Customer link views: load the offer from the signed token → check link version and state → act.

How long a customer link works follows the offer, not the token's age:

- The link opens while the offer is valid: until the end of its ``valid_until`` day in the
  dealer's time zone (``offer_states.expires_at``), or for good once accepted or declined.
- Past that, or once the dealer withdrew the offer (which also bumps ``link_version``), the link
  answers **410 Gone** with a page saying the offer expired or was withdrawn.
- A link issued for an earlier revision (the token's ``"r"``) does not silently show the new
  figures: it shows that the offer was revised, with a button to the current revision's page
  (a fresh token), and its accept/decline buttons lead back to that notice.

The time comes from ``config["CLOCK"]`` when a test set one, else ``utcnow()``.
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.blueprints.customer import bp
from app.blueprints.customer.forms import AcceptForm, DeclineForm
from app.domain.deal_states import DealState
from app.domain.offer_states import OfferState
from app.extensions import db, limiter
from app.i18n import error_message, money, tr
from app.models.accounts import Dealer
from app.models.base import utcnow
from app.models.offers import Offer
from app.services import deals as deal_service
from app.services import offers as offer_service
from app.services.offer_builder import reprice_used_up
from app.services.offer_pdf_response import pdf_response
from app.services.promotion_redemptions import PromotionUsedUp
from app.services.storage import get_storage
from app.services.vehicle_photos import external_photo_url, offer_photo
from app.tenancy import TenantScope, all_tenants, set_scope

#: No age limit on the token: the offer's validity and state decide (see the module docstring).
LINK_MAX_AGE = None


def _now():
    clock = current_app.config.get("CLOCK")
    return clock() if clock else utcnow()


def _gone(offer: Offer):
    """Answer 410 with why the offer's link no longer works."""
    if offer.state is OfferState.WITHDRAWN:
        abort(410, description=_("This offer was withdrawn by the dealer."))
    abort(410, description=_("This offer has expired. Please ask your sales consultant for a new one."))


def _revised(token: str, offer: Offer) -> bool:
    """Return True when ``token`` was issued for an earlier revision than the offer's current one."""
    try:
        issued = offer_service.link_token_revision(token, current_app.config["SECRET_KEY"])
    except offer_service.OfferError as exc:
        abort(404, description=str(exc))
    return issued is not None and issued < offer.current_revision_no


def _load(token: str) -> Offer:
    """Resolve the token to an offer inside its dealer's scope, or show why it cannot be opened."""
    try:
        offer_id, dealer_id, version = offer_service.load_link_token(token, current_app.config["SECRET_KEY"], LINK_MAX_AGE)
    except offer_service.OfferError as exc:
        abort(404, description=str(exc))
    with all_tenants():
        dealer = db.session.get(Dealer, dealer_id)
    if dealer is None:
        abort(404)
    g.dealer, g.brand = dealer, dealer.brand
    g._tenant_token = set_scope(TenantScope(dealer_id=dealer.id, brand_id=dealer.brand_id))
    offer = db.session.scalar(select(Offer).where(Offer.id == offer_id))
    if offer is not None:
        g.offer_locale = offer.locale
    if offer is not None and offer.state is OfferState.WITHDRAWN:
        _gone(offer)
    if offer is None or offer.link_version != version:
        abort(404, description=_("This offer link has been replaced or withdrawn. Please ask your sales consultant."))
    g.offer_locale = offer.locale
    if offer_service.expire_if_due(db.session, offer, dealer.timezone, _now()):
        db.session.commit()
    if offer.state in (OfferState.EXPIRED, OfferState.WITHDRAWN):
        _gone(offer)
    return offer


@bp.route("/<token>")
@limiter.limit("60 per minute")
def view(token: str):
    """The customer's mobile page with the offer, its PDF link, and accept/decline."""
    offer = _load(token)
    if offer.state not in (OfferState.SENT, OfferState.VIEWED, OfferState.ACCEPTED, OfferState.DECLINED):
        abort(404)  # drafts and offers waiting for approval are not the customer's to see yet
    if _revised(token, offer):
        current = url_for("customer.view", token=offer_service.make_link_token(offer, current_app.config["SECRET_KEY"]))
        return render_template("customer/revised.html", offer=offer, current_link=current)
    offer_service.record_view(db.session, offer, _now())
    db.session.commit()
    revision = offer_service.current_revision(offer)
    deal = deal_service.deal_for_offer(db.session, offer.id) if offer.state is OfferState.ACCEPTED else None
    if deal is not None and deal.state is DealState.CANCELLED:
        deal = None  # a cancelled sale has no purchase page any more (its links were revoked)
    vehicle = revision.snapshot.get("vehicle", {})
    stored = offer_photo(db.session, vehicle, get_storage(current_app.config)) is not None
    return render_template(
        "customer/offer.html",
        photo_url=url_for("customer.photo", token=token) if stored else external_photo_url(vehicle),
        purchase_link=url_for("purchase.view", token=deal_service.make_link_token(deal, current_app.config["SECRET_KEY"])) if deal else None,
        offer=offer,
        deal=deal,
        revision=revision,
        snapshot=revision.snapshot,
        token=token,
        accept_form=AcceptForm(),
        decline_form=DeclineForm(),
    )


@bp.route("/<token>/accept", methods=["POST"])
@limiter.limit("10 per minute")
def accept(token: str):
    """Accept the offer (typed name + conditions ticked)."""
    offer = _load(token)
    if _revised(token, offer):
        return redirect(url_for("customer.view", token=token))  # the notice: never accept figures not shown
    form = AcceptForm()
    if not form.validate_on_submit():
        flash(_("Please type your full name and tick the box to accept."), "error")
        return redirect(url_for("customer.view", token=token))
    try:
        offer_service.accept_offer(db.session, offer, typed_name=form.full_name.data, conditions_accepted=form.conditions.data, now=utcnow())
        deal = deal_service.open_from_offer(db.session, offer, g.dealer)
    except PromotionUsedUp as used_up:
        # Nothing of the acceptance is kept; the re-priced revision (or the consultant's note) is.
        db.session.rollback()
        offer = db.session.get(Offer, offer.id)
        if offer.state not in (OfferState.SENT, OfferState.VIEWED):
            return redirect(url_for("customer.view", token=token))  # a parallel tap of this customer won
        revision = reprice_used_up(db.session, offer, g.dealer, used_up, now=utcnow())
        db.session.commit()
        reasons = "; ".join(tr(u.message) for u in used_up.used_up)
        if revision is not None:
            flash(_("%(reasons)s. Your offer was updated without it: the new out-the-door price is %(price)s. "
                    "Please review it and accept again if it suits you.", reasons=reasons,
                    price=money(offer.out_the_door_price, offer.currency)), "warning")
        else:
            flash(_("%(reasons)s. Your offer has to be updated; your sales consultant will send you the new offer.",
                    reasons=reasons), "warning")
        # The customer's own tap made the new revision: lead them to it, not to the "revised" notice.
        return redirect(url_for("customer.view", token=offer_service.make_link_token(offer, current_app.config["SECRET_KEY"])))
    except (offer_service.OfferError, deal_service.DealError) as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
        return redirect(url_for("customer.view", token=token))
    db.session.commit()
    flash(_("Thank you. You accepted the offer; your sales consultant will contact you."), "success")
    return redirect(url_for("purchase.view", token=deal_service.make_link_token(deal, current_app.config["SECRET_KEY"])))


@bp.route("/<token>/decline", methods=["POST"])
@limiter.limit("10 per minute")
def decline(token: str):
    """Decline the offer with an optional reason."""
    offer = _load(token)
    if _revised(token, offer):
        return redirect(url_for("customer.view", token=token))
    form = DeclineForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        offer_service.decline_offer(db.session, offer, reason=form.reason.data or "", now=utcnow())
    except offer_service.OfferError as exc:
        flash(error_message(exc), "error")
        return redirect(url_for("customer.view", token=token))
    db.session.commit()
    flash(_("You declined the offer. Thank you for letting us know."), "info")
    return redirect(url_for("customer.view", token=token))


@bp.route("/<token>/photo")
@limiter.limit("60 per minute")
def photo(token: str):
    """The photo of the offer's car (its stock photo or the model's catalog image), for the customer's page."""
    offer = _load(token)
    if offer.state in (OfferState.DRAFT, OfferState.PENDING_APPROVAL, OfferState.APPROVED, OfferState.RETURNED):
        abort(404)
    image = offer_photo(db.session, offer_service.current_revision(offer).snapshot.get("vehicle"),
                        get_storage(current_app.config))
    if image is None:
        abort(404)
    response = Response(image.data, mimetype=image.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<token>/pdf")
@limiter.limit("30 per minute")
def pdf(token: str):
    """The offer PDF for the customer (only once it was sent to them)."""
    offer = _load(token)
    if offer.state in (OfferState.DRAFT, OfferState.PENDING_APPROVAL, OfferState.APPROVED, OfferState.RETURNED):
        abort(404)
    return pdf_response(offer, g.dealer, url_for("customer.view", token=token, _external=True))
