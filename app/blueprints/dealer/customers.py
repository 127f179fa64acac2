"""Customer search and customer record: load → check access → act; services write, the view commits."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import require_menu
from app.blueprints.dealer import bp
from app.blueprints.dealer.forms import CustomerForm, MergeForm, NoteForm
from app.blueprints.dealer.routes import attach_error, invalid_status, render, wants_fragment
from app.extensions import db
from app.i18n import available_locales, language_name, phone
from app.models.customers import Customer
from app.services import customers as service


def _load(customer_id: int) -> Customer:
    # The tenant listener limits get() to the current dealer: another dealer's id is simply not found.
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.is_withdrawn:
        abort(404)
    return customer


def _fill_choices(form: CustomerForm) -> None:
    form.preferred_locale.choices = [("", _("Same as the dealership"))] + [(c, language_name(c)) for c in available_locales()]
    form.assigned_consultant_id.choices = [(0, _("Nobody yet"))] + [
        (u.id, u.name) for u in service.consultants(db.session, g.dealer)
    ]


def _input(form: CustomerForm) -> service.CustomerInput:
    return service.CustomerInput(
        full_name=form.full_name.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        preferred_locale=form.preferred_locale.data or None,
        assigned_consultant_id=form.assigned_consultant_id.data or None,
        marketing_consent=form.marketing_consent.data,
        privacy_notice_version=form.privacy_notice_version.data or "",
        privacy_accepted=form.privacy_accepted.data,
        notes=form.notes.data or "",
    )


_phone_filter = phone  # the form shows the stored number as the dealer would type it


@bp.route("/customers/")
@require_menu("customers")
def customers():
    """Search customers by name, e-mail or phone; HTMX requests get only the result list (typed search)."""
    term = request.args.get("q", "").strip()[:100]
    results = service.search(db.session, g.dealer, term)
    return render("dealer/customers/index.html", "dealer/customers/_results.html", q=term, results=results)


@bp.route("/customers/new", methods=["GET", "POST"])
@require_menu("customers")
def customer_new():
    """Create a customer; a same e-mail or phone is refused with the matches offered (open, or save anyway)."""
    form = CustomerForm()
    _fill_choices(form)
    if request.method == "GET":
        form.assigned_consultant_id.data = current_user.id
        form.phone.data = request.args.get("phone", "")[:40]
    duplicates = []
    if form.validate_on_submit():
        data = _input(form)
        try:
            customer = service.create_customer(
                db.session, g.dealer, data, actor=current_user, allow_duplicate=form.allow_duplicate.data
            )
        except service.CustomerError as exc:
            db.session.rollback()
            attach_error(form, exc)
            if exc.field in ("email", "phone"):
                try:
                    values = service.normalise_input(db.session, g.dealer, data)
                    duplicates = service.find_duplicates(
                        db.session, g.dealer, email=values["email"], phone_e164=values["phone_e164"]
                    )
                except service.CustomerError:
                    duplicates = []
        else:
            db.session.commit()
            flash(_("Customer %(name)s saved.", name=customer.full_name), "success")
            return redirect(url_for("dealer.customer_detail", customer_id=customer.id))
    status = invalid_status() if request.method == "POST" else 200
    return render(
        "dealer/customers/form.html", "dealer/customers/_form.html", status, form=form, customer=None, duplicates=duplicates
    )


@bp.route("/customers/<int:customer_id>")
@require_menu("customers")
def customer_detail(customer_id: int):
    """The customer record: contact, consents, consultant, notes, timeline and possible duplicates."""
    customer = _load(customer_id)
    merged_into = db.session.get(Customer, customer.merged_into_id) if customer.merged_into_id else None
    duplicates = []
    if merged_into is None:
        duplicates = service.find_duplicates(
            db.session, g.dealer, email=customer.email, phone_e164=customer.phone_e164, exclude_id=customer.id
        )
    return render(
        "dealer/customers/detail.html",
        customer=customer,
        merged_into=merged_into,
        duplicates=duplicates,
        note_form=NoteForm(),
        merge_form=MergeForm(),
    )


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@require_menu("customers")
def customer_edit(customer_id: int):
    """Edit a customer record."""
    customer = _load(customer_id)
    if customer.merged_into_id:
        abort(404)
    form = CustomerForm(obj=customer)
    _fill_choices(form)
    if request.method == "GET":
        form.phone.data = _phone_filter(customer.phone_e164)
        form.assigned_consultant_id.data = customer.assigned_consultant_id or 0
        form.preferred_locale.data = customer.preferred_locale or ""
        form.privacy_accepted.data = customer.privacy_accepted_at is not None
    if form.validate_on_submit():
        try:
            service.update_customer(db.session, g.dealer, customer, _input(form), actor=current_user)
        except service.CustomerError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Customer %(name)s saved.", name=customer.full_name), "success")
            return redirect(url_for("dealer.customer_detail", customer_id=customer.id))
    status = invalid_status() if request.method == "POST" else 200
    return render(
        "dealer/customers/form.html", "dealer/customers/_form.html", status, form=form, customer=customer, duplicates=[]
    )


@bp.route("/customers/<int:customer_id>/notes", methods=["POST"])
@require_menu("customers")
def customer_note(customer_id: int):
    """Add a note to the customer's timeline; HTMX swaps the timeline."""
    customer = _load(customer_id)
    form = NoteForm()
    if form.validate_on_submit():
        service.add_note(db.session, customer, form.text.data, actor=current_user)
        db.session.commit()
        form = NoteForm(formdata=None)
        status = 200
    else:
        status = invalid_status()
    if wants_fragment():
        return render("dealer/customers/_timeline.html", "dealer/customers/_timeline.html", status, customer=customer, note_form=form)
    if status == 200:
        flash(_("Note added."), "success")
        return redirect(url_for("dealer.customer_detail", customer_id=customer.id))
    flash(_("Write a note first."), "error")
    return redirect(url_for("dealer.customer_detail", customer_id=customer.id))


@bp.route("/customers/<int:customer_id>/merge", methods=["POST"])
@require_menu("customers")
def customer_merge(customer_id: int):
    """Merge a duplicate into this record (the older of the two is kept)."""
    customer = _load(customer_id)
    form = MergeForm()
    if not form.validate_on_submit() or not str(form.other_id.data).isdigit():
        abort(400)
    other = _load(int(form.other_id.data))
    try:
        kept = service.merge_customers(db.session, g.dealer, customer, other, actor=current_user)
    except service.CustomerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("dealer.customer_detail", customer_id=customer.id), 303)
    db.session.commit()
    flash(_("The two records are merged into %(name)s.", name=kept.full_name), "success")
    target = url_for("dealer.customer_detail", customer_id=kept.id)
    if wants_fragment():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, 303)
