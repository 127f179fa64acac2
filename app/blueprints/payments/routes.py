"""Public payment views: resolve the dealer from the URL (slug, checkout session or webhook reference) → act → commit once."""

from __future__ import annotations

from flask import abort, current_app, g, jsonify, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.blueprints.payments import bp
from app.blueprints.payments.forms import CardForm, ReservationForm
from app.extensions import csrf, db, limiter
from app.i18n import error_message
from app.models.accounts import Dealer
from app.models.base import utcnow
from app.models.payments import TestCheckoutSession
from app.services import deals as deal_service
from app.services import payments as payment_service
from app.services import reservations
from app.services.payments.test_provider import TEST_CARDS, CheckoutInputError
from app.tenancy import TenantScope, all_tenants, set_scope


def _enter_dealer(dealer: Dealer) -> None:
    g.dealer, g.brand = dealer, dealer.brand
    g._tenant_token = set_scope(TenantScope(dealer_id=dealer.id, brand_id=dealer.brand_id))


def purchase_url(deal) -> str:
    """Return the customer's purchase page of ``deal`` (absolute; the checkout returns there)."""
    from flask import url_for

    return url_for("purchase.view", token=deal_service.make_link_token(deal, current_app.config["SECRET_KEY"]), _external=True)


# --- online reservation ------------------------------------------------------------------------------


def _terms(dealer: Dealer, locale: str) -> dict:
    settings = payment_service.reservation_terms(db.session)
    return {"policy": payment_service.refund_policy_text(db.session, locale), "settings": settings}


@bp.route("/r/<shop_slug>/<int:car_id>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def reserve(shop_slug: str, car_id: int):
    """Public page of one stock car: the customer's details and the reservation terms → deposit checkout."""
    with all_tenants():
        dealer = db.session.scalar(select(Dealer).where(Dealer.slug == shop_slug, Dealer.active.is_(True)))
    if dealer is None:
        abort(404)
    _enter_dealer(dealer)
    vehicle = reservations.online_vehicle(db.session, car_id)
    if vehicle is None or not vehicle.is_priced:
        abort(404)
    locale = str(get_locale())
    form = ReservationForm()
    available = vehicle.is_online and vehicle.currency == dealer.currency
    deposit = deal_service.deposit_for(db.session, (vehicle.model or "").upper()[:40])
    error, status = None, 200
    if request.method == "POST":
        if not available:
            error, status = _("This vehicle is no longer available."), 409
        elif form.validate_on_submit():
            data = reservations.ReservationRequest(
                full_name=form.full_name.data or "", email=form.email.data or "", phone=form.phone.data or "",
                terms_accepted=bool(form.terms.data), locale=locale,
            )
            try:
                deal = reservations.reserve_online(db.session, dealer, vehicle, data)
                if deal.deposit_amount > 0:
                    payment = payment_service.start_checkout(db.session, deal, return_url=purchase_url(deal))
                    target = payment.checkout_url
                else:
                    reservations.reserve_without_deposit(db.session, deal, dealer)
                    target = purchase_url(deal)
            except reservations.ReservationError as exc:
                db.session.rollback()
                field = getattr(form, exc.field, None) if exc.field else None
                if field is not None:
                    field.errors = [*field.errors, error_message(exc)]
                else:
                    error = error_message(exc)
                status = 422
            except payment_service.PaymentError as exc:
                db.session.rollback()
                error, status = exc.text(), 409
            except deal_service.DealError as exc:
                db.session.rollback()
                error, status = error_message(exc), 409
            else:
                db.session.commit()
                return redirect(target)
        else:
            status = 422
    return render_template(
        "payments/reserve.html", dealer=dealer, vehicle=vehicle, form=form, available=available, deposit=deposit,
        terms=_terms(dealer, locale), error=error,
    ), status


# --- the test provider's hosted checkout -------------------------------------------------------------


@bp.route("/pay/test/<session_id>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def test_checkout(session_id: str):
    """The test provider's checkout page: the customer pays with a test card; the result goes out by webhook."""
    with all_tenants():  # the provider's page: its session id (unguessable) names the merchant
        checkout = db.session.scalar(select(TestCheckoutSession).where(TestCheckoutSession.session_id == session_id))
        dealer = db.session.get(Dealer, checkout.dealer_id) if checkout is not None else None
    provider_enabled = current_app.config.get("PAYMENT_TEST_PROVIDER_ENABLED", True)
    if checkout is None or dealer is None or not provider_enabled:
        abort(404)
    _enter_dealer(dealer)
    checkout = db.session.scalar(select(TestCheckoutSession).where(TestCheckoutSession.session_id == session_id))
    form = CardForm()
    error, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        provider = payment_service.provider_for(db.session, "test")
        try:
            outcome = provider.pay(checkout, form.card_number.data, now=utcnow())
        except CheckoutInputError as exc:
            db.session.commit()  # keeps an "expired" mark; nothing else was written
            error, status = error_message(exc), 422
        else:
            db.session.commit()  # the webhook is delivered right after this request (outbox auto-delivery)
            if outcome != "timeout":
                return redirect(checkout.return_url)
    elif request.method == "POST":
        status = 422
    return render_template("payments/test_checkout.html", checkout=checkout, dealer=dealer, form=form, error=error,
                           cards=TEST_CARDS, expired=checkout.expires_at <= utcnow()), status


# --- webhooks ----------------------------------------------------------------------------------------


@bp.route("/webhooks/payments/<provider>", methods=["POST"])
@csrf.exempt
@limiter.limit("600 per minute")
def webhook(provider: str):
    """Receive a provider's signed event: 200 handled (or duplicate/ignored), 400 forged or malformed,
    404 unknown payment or provider, 409 arrived before the event it depends on (the provider retries)."""
    status, message = payment_service.handle_webhook_delivery(db.session, provider, request.headers, request.get_data())
    return jsonify(ok=status == 200, result=message), status
