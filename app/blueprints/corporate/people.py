"""Dealers, dealer staff (sales consultants) and brand-wide customers, including membership withdrawal."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.access import require
from app.blueprints.corporate import bp
from app.blueprints.corporate import forms as f
from app.blueprints.corporate.common import form_error_status, get_or_404, render
from app.blueprints.offers.routes import STATE_LABELS
from app.database import contains_text
from app.domain.contact import phone_search_key
from app.domain.roles import BusinessModel, Permission
from app.extensions import db
from app.i18n import available_locales, language_name
from app.models.accounts import Dealer, Membership, User
from app.models.customers import Customer
from app.services import dealers as dealer_service
from app.services import invitations, offer_queries, withdrawal
from app.services.mail import MailSettings, send_mail
from app.urls import external_url

PAGE_SIZE = 50


@bp.route("/dealers/")
@require(Permission.MANAGE_DEALERS)
def dealers():
    """The brand's dealers, active first."""
    rows = db.session.scalars(select(Dealer).order_by(Dealer.active.desc(), Dealer.name)).all()
    return render("corporate/people/dealers.html", rows=rows, action_form=f.ActionForm())


def _edit_dealer(dealer: Dealer):
    form = f.DealerForm(obj=dealer if dealer.id is not None else None)
    form.locale.choices = [(code, language_name(code)) for code in available_locales()]
    if request.method == "GET" and dealer.id is None:
        form.currency.data, form.timezone.data = g.brand.currency, g.brand.timezone
        form.locale.data = g.brand.default_locale
    if request.method == "GET" and dealer.id is not None:
        form.business_model.data = dealer.business_model.value
    status = 200
    if request.method == "POST":
        status = form_error_status()
        if form.validate_on_submit():
            values = {name: form[name].data for name in dealer_service.DEALER_FIELDS}
            values["business_model"] = BusinessModel(values["business_model"])
            for key in ("street", "city", "region", "postal_code", "phone", "email"):
                values[key] = (values[key] or "").strip()
            try:
                dealer_service.save_dealer(db.session, dealer, values, country=g.brand.country)
            except dealer_service.DealerError as exc:
                db.session.rollback()
                messages = {"code": _("Another dealer of the brand has this code."),
                            "slug": _("This web address name is taken.")}
                form[exc.field].errors = [*form[exc.field].errors, messages.get(exc.field, str(exc))]
            else:
                db.session.commit()
                flash(_("Dealer saved."), "success")
                return redirect(url_for("corporate.dealer_edit", dealer_id=dealer.id))
    return render("corporate/people/dealer_form.html", form=form, obj=dealer, status=status,
                  invite_form=f.InviteForm(formdata=None), action_form=f.ActionForm())


@bp.route("/dealers/new", methods=["GET", "POST"])
@require(Permission.MANAGE_DEALERS)
def dealer_new():
    """Create a dealer of the brand."""
    return _edit_dealer(Dealer())


@bp.route("/dealers/<int:dealer_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_DEALERS)
def dealer_edit(dealer_id: int):
    """Edit a dealer."""
    return _edit_dealer(get_or_404(Dealer, dealer_id))


@bp.route("/dealers/<int:dealer_id>/active", methods=["POST"])
@require(Permission.MANAGE_DEALERS)
def dealer_toggle(dealer_id: int):
    """Deactivate (or reactivate) a dealer."""
    dealer = get_or_404(Dealer, dealer_id)
    if f.ActionForm().validate_on_submit():
        dealer_service.set_dealer_active(db.session, dealer, not dealer.active)
        db.session.commit()
        flash(_("Dealer activated.") if dealer.active else _("Dealer deactivated."), "success")
    return redirect(url_for("corporate.dealers"))


@bp.route("/dealers/<int:dealer_id>/invite", methods=["POST"])
@require(Permission.MANAGE_DEALERS)
def dealer_invite(dealer_id: int):
    """Invite the dealer principal by e-mail (``app.services.invitations``): pending until the person accepts.

    The answer is the same whether the address has an account or not.
    """
    dealer = get_or_404(Dealer, dealer_id)
    form = f.InviteForm()
    if not form.validate_on_submit():
        edit_form = f.DealerForm(obj=dealer, formdata=None)
        edit_form.locale.choices = [(code, language_name(code)) for code in available_locales()]
        edit_form.business_model.data = dealer.business_model.value
        return render("corporate/people/dealer_form.html", form=edit_form, obj=dealer, invite_form=form,
                      action_form=f.ActionForm(), status=form_error_status())
    try:
        invitation = dealer_service.invite_principal(db.session, dealer, name=form.name.data.strip(),
                                                     email=form.email.data, locale=dealer.locale)
    except invitations.InvitationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("corporate.dealer_edit", dealer_id=dealer.id))
    user = invitation.user
    link = external_url("auth.accept_invitation",
                        token=invitations.make_token(invitation.membership, current_app.config["SECRET_KEY"]))
    send_mail(db.session, MailSettings.from_config(current_app.config), to=[user.email],
              subject=_("You are invited to manage %(dealer)s on Forecourt", dealer=dealer.name),
              body_text=render_template("corporate/people/invite_email.txt", user=user, dealer=dealer, link=link,
                                        brand=g.brand, needs_password=invitation.needs_password,
                                        days=current_app.config["INVITATION_MAX_AGE"] // 86400))
    db.session.commit()
    flash(_("Invitation sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("corporate.dealer_edit", dealer_id=dealer.id))


# --- consultants -----------------------------------------------------------------------------------


@bp.route("/consultants/")
@require(Permission.MANAGE_DEALERS)
def consultants():
    """Every staff member of every dealer of the brand; search by name or e-mail, filter by dealer."""
    query = dealer_service.staff_query().join(User, User.id == Membership.user_id).join(
        Dealer, Dealer.id == Membership.dealer_id)
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(or_(contains_text(User.name, q), contains_text(User.email, q)))
    dealer_filter = request.args.get("dealer", type=int)
    if dealer_filter:
        query = query.where(Membership.dealer_id == dealer_filter)
    rows = db.session.scalars(query.order_by(Dealer.name, User.name).limit(500)).all()
    dealer_rows = db.session.scalars(select(Dealer).order_by(Dealer.name)).all()
    return render("corporate/people/consultants.html", "corporate/people/_consultants.html", rows=rows, q=q,
                  dealer_filter=dealer_filter, dealer_rows=dealer_rows, action_form=f.ActionForm())


@bp.route("/consultants/<int:membership_id>/deactivate", methods=["POST"])
@require(Permission.MANAGE_DEALERS)
def consultant_deactivate(membership_id: int):
    """Deactivate one staff membership (the only write allowed on consultants here)."""
    membership = db.session.scalar(dealer_service.staff_query().where(Membership.id == membership_id))
    if membership is None:
        from flask import abort

        abort(404)
    if f.ActionForm().validate_on_submit():
        dealer_service.deactivate_membership(db.session, membership)
        db.session.commit()
        flash(_("%(name)s can no longer open %(dealer)s.", name=membership.user.name, dealer=membership.dealer.name),
              "success")
    return redirect(url_for("corporate.consultants"))


# --- customers ---------------------------------------------------------------------------------------


@bp.route("/customers/")
@require(Permission.MANAGE_BRAND_CUSTOMERS)
def customers():
    """Search the customers of every dealer of the brand by name, e-mail or phone (normalised)."""
    q = (request.args.get("q") or "").strip()
    rows = []
    if q:
        phone = phone_search_key(q, g.brand.country)
        conditions = [contains_text(Customer.full_name, q), Customer.email == q.lower()]
        if phone:
            conditions.append(Customer.phone_e164 == phone)
        # Scope: the corporate brand scope limits Customer rows to this brand's dealers.
        rows = db.session.scalars(
            select(Customer).where(or_(*conditions), Customer.withdrawn_at.is_(None))
            .order_by(Customer.full_name).limit(PAGE_SIZE)
        ).all()
    dealers_by_id = {d.id: d for d in db.session.scalars(select(Dealer))}
    return render("corporate/people/customers.html", "corporate/people/_customers.html", rows=rows, q=q,
                  dealers_by_id=dealers_by_id)


@bp.route("/customers/<int:customer_id>")
@require(Permission.MANAGE_BRAND_CUSTOMERS)
def customer_detail(customer_id: int):
    """A customer with their dealer and timeline."""
    customer = get_or_404(Customer, customer_id)
    dealer = db.session.get(Dealer, customer.dealer_id)
    offers = offer_queries.offers_of_person(db.session, customer)
    dealers = {d.id: d for d in db.session.scalars(db.select(Dealer))}
    return render(
        "corporate/people/customer.html", customer=customer, dealer=dealer, offers=offers, dealers=dealers,
        state_labels=STATE_LABELS,
        action_form=f.ActionForm(),
    )


@bp.route("/customers/<int:customer_id>/withdraw", methods=["POST"])
@require(Permission.MANAGE_BRAND_CUSTOMERS)
def customer_withdraw(customer_id: int):
    """Membership withdrawal: anonymise the customer's personal data everywhere, irreversibly."""
    customer = get_or_404(Customer, customer_id)
    form = f.ActionForm()
    if not form.validate_on_submit() or form.confirm.data != "WITHDRAW":
        flash(_("Type WITHDRAW to confirm the withdrawal."), "error")
        return redirect(url_for("corporate.customer_detail", customer_id=customer.id))
    try:
        withdrawal.withdraw_customer(db.session, customer)
    except withdrawal.AlreadyWithdrawn:
        flash(_("This customer has already withdrawn."), "error")
    else:
        db.session.commit()
        flash(_("The customer’s personal data is erased. Amounts of their offers and contracts are kept."), "success")
    return redirect(url_for("corporate.customer_detail", customer_id=customer.id))
