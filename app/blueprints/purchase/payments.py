"""The customer's reservation-deposit card on the purchase page and the "pay" action (→ provider checkout)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from app.blueprints.payments.forms import PayDepositForm
from app.blueprints.payments.routes import purchase_url
from app.blueprints.purchase import bp
from app.blueprints.purchase.routes import PURCHASE_PANELS, load_deal
from app.extensions import db, htmx, limiter
from app.models.base import utcnow
from app.models.deals import Deal
from app.models.payments import Payment, PaymentKind
from app.services import payments as payment_service

PURCHASE_PANELS.append("purchase/_deposit.html")


@dataclass(frozen=True, slots=True)
class DepositCard:
    """What the customer's deposit card shows: amount asked, paid so far, the payments, why paying is blocked."""

    amount: Decimal
    paid: Decimal
    latest: Payment | None
    latest_status: str
    payments: list[Payment]
    blocker: str | None
    form: PayDepositForm


def deposit_card(deal: Deal) -> DepositCard:
    """Return the deposit card of ``deal`` (read-only: a stale pending payment shows as expired)."""
    now = utcnow()
    rows = payment_service.payments_of(db.session, deal)
    deposits = [p for p in rows if p.kind is PaymentKind.DEPOSIT]
    latest = deposits[-1] if deposits else None
    return DepositCard(
        amount=deal.deposit_amount, paid=deal.deposit_paid, latest=latest,
        latest_status=payment_service.effective_status(latest, now).value if latest else "",
        payments=rows, blocker=payment_service.checkout_blocker(db.session, deal), form=PayDepositForm(),
    )


@bp.context_processor
def _deposit_context() -> dict:
    return {"deposit_card": deposit_card}


@bp.route("/<token>/deposit", methods=["POST"])
@limiter.limit("10 per minute")
def pay_deposit(token: str):
    """Start (or resume) the deposit checkout and send the customer to the provider's page."""
    deal = load_deal(token)
    form = PayDepositForm()
    back = url_for("purchase.view", token=token)
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return _go(back)
    try:
        payment = payment_service.start_checkout(db.session, deal, return_url=purchase_url(deal))
    except payment_service.PaymentError as exc:
        db.session.rollback()
        flash(exc.text(), "error")
        return _go(back)
    db.session.commit()
    return _go(payment.checkout_url)


def _go(target: str):
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
