"""Sales consultant setup: invite by e-mail, edit role/photo/languages/discount authority, deactivate."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import require_menu
from app.blueprints.dealer import bp
from app.blueprints.dealer.forms import DeactivateForm, InviteForm, ReactivateForm, StaffForm
from app.blueprints.dealer.routes import attach_error, invalid_status, render
from app.domain.roles import Role
from app.extensions import db
from app.i18n import available_locales, error_message, language_name
from app.services import consultants as service
from app.services import invitations
from app.services.images import ImageRejected, process_image
from app.services.mail import MailSettings, send_mail
from app.services.storage import StorageError, get_storage
from app.urls import external_url


def role_label(role: Role | str) -> str:
    """Return the translated name of a dealer role."""
    labels = {
        Role.DEALER_PRINCIPAL: _("Dealer principal"),
        Role.SALES_MANAGER: _("Sales manager"),
        Role.SALES_CONSULTANT: _("Sales consultant"),
    }
    return labels.get(Role(role), str(role))


@bp.app_context_processor
def _role_label_context():
    return {"role_label": role_label}


def _load(user_id: int) -> service.StaffMember:
    member = service.staff_member(db.session, g.dealer, user_id)
    if member is None:
        abort(404)
    return member


def _language_choices():
    return [(code, language_name(code)) for code in available_locales()]


def _role_choices():
    return [(r.value, role_label(r)) for r in service.assignable_roles(g.role)]


def _send_invitation(member: service.StaffMember) -> None:
    token = invitations.make_token(member.membership, current_app.config["SECRET_KEY"])
    link = external_url("auth.accept_invitation", token=token)  # never the request's Host
    days = current_app.config["INVITATION_MAX_AGE"] // 86400
    send_mail(
        db.session,
        MailSettings.from_config(current_app.config),
        to=[member.user.email],
        subject=_("You are invited to %(dealer)s on Forecourt", dealer=g.dealer.name),
        body_text=render_template(
            "dealer/consultants/email/invitation.txt",
            user=member.user,
            dealer=g.dealer,
            inviter=current_user,
            link=link,
            needs_password=not member.user.password_hash,
            days=days,
        ),
    )


@bp.route("/consultants/")
@require_menu("consultants")
def consultants():
    """Staff of the dealership with role, languages and discount authority."""
    return render("dealer/consultants/index.html", staff=service.staff(db.session, g.dealer))


@bp.route("/consultants/invite", methods=["GET", "POST"])
@require_menu("consultants")
def consultant_invite():
    """Invite a person by e-mail: a signed, expiring link to accept (and choose a password if new).

    The answer is the same whether the address has an account or not; the membership stays pending
    until the person accepts.
    """
    form = InviteForm()
    form.role.choices = _role_choices()
    form.languages.choices = _language_choices()
    if form.validate_on_submit():
        try:
            member, _invitation = service.invite(
                db.session,
                g.dealer,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                actor_role=g.role,
                languages=form.languages.data,
                discount_max_amount=form.discount_max_amount.data,
                discount_max_percent=form.discount_max_percent.data,
            )
        except service.ConsultantError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            _send_invitation(member)
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=member.user.email), "success")
            return redirect(url_for("dealer.consultants"))
    status = invalid_status() if request.method == "POST" else 200
    return render("dealer/consultants/invite.html", "dealer/consultants/_invite_form.html", status, form=form)


@bp.route("/consultants/<int:user_id>", methods=["GET", "POST"])
@require_menu("consultants")
def consultant_edit(user_id: int):
    """Edit a staff member's role, photo, languages and discount authority (never their name or e-mail)."""
    member = _load(user_id)
    form = StaffForm()
    form.role.choices = [(r.value, role_label(r)) for r in Role if r in {Role.DEALER_PRINCIPAL, Role.SALES_MANAGER, Role.SALES_CONSULTANT}]
    form.languages.choices = _language_choices()
    if request.method == "GET":
        form.role.data = member.membership.role.value
        form.languages.data = list(member.profile.languages or [])
        form.discount_max_amount.data = member.profile.discount_max_amount
        form.discount_max_percent.data = member.profile.discount_max_percent
    if form.validate_on_submit():
        photo_key = None
        upload = form.photo.data
        try:
            if upload and getattr(upload, "filename", ""):
                try:
                    image = process_image(upload.read(), display_box=(600, 600))
                except ImageRejected as exc:
                    raise service.ConsultantError(exc.args[0], "photo") from exc
                photo_key = get_storage(current_app.config).save(image.data, area="consultants", extension=image.extension)
            service.update_staff(
                db.session,
                g.dealer,
                member,
                actor=current_user,
                actor_role=g.role,
                role=Role(form.role.data),
                languages=form.languages.data,
                discount_max_amount=form.discount_max_amount.data,
                discount_max_percent=form.discount_max_percent.data,
                photo_key=photo_key,
            )
        except service.ConsultantError as exc:
            db.session.rollback()
            if photo_key:
                get_storage(current_app.config).delete(photo_key)
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=member.user.name), "success")
            return redirect(url_for("dealer.consultants"))
    deactivate_form = DeactivateForm()
    deactivate_form.reassign_to.choices = [(None, "—")] + [
        (m.user_id, m.user.name) for m in service.memberships(db.session, g.dealer, active_only=True) if m.user_id != user_id
    ]
    status = invalid_status() if request.method == "POST" else 200
    return render(
        "dealer/consultants/edit.html",
        status=status,
        form=form,
        member=member,
        deactivate_form=deactivate_form,
        reactivate_form=ReactivateForm(),
        open_count=len(service.open_customers(db.session, g.dealer, user_id)),
    )


@bp.route("/consultants/<int:user_id>/photo")
@require_menu("consultants")
def consultant_photo(user_id: int):
    """Serve a staff member's photo."""
    member = _load(user_id)
    if not member.profile.photo_key:
        abort(404)
    try:
        data = get_storage(current_app.config).read(member.profile.photo_key)
    except StorageError:
        abort(404)
    ext = member.profile.photo_key.rsplit(".", 1)[-1]
    mime = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(ext, "application/octet-stream")
    return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=300"})


@bp.route("/consultants/<int:user_id>/deactivate", methods=["POST"])
@require_menu("consultants")
def consultant_deactivate(user_id: int):
    """Deactivate a staff member (history kept) and hand their open customers to a colleague."""
    member = _load(user_id)
    form = DeactivateForm()
    active_ids = [m.user_id for m in service.memberships(db.session, g.dealer, active_only=True) if m.user_id != user_id]
    form.reassign_to.choices = [(None, "—")] + [(i, str(i)) for i in active_ids]
    if not form.validate_on_submit():
        abort(400)
    if member.membership.role not in service.assignable_roles(g.role):
        abort(403)
    try:
        count = service.deactivate(db.session, g.dealer, member, actor=current_user, reassign_to_id=form.reassign_to.data)
    except service.ConsultantError as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
        return redirect(url_for("dealer.consultant_edit", user_id=user_id), 303)
    db.session.commit()
    flash(_("%(name)s is deactivated; %(count)d customers reassigned.", name=member.user.name, count=count), "success")
    return redirect(url_for("dealer.consultants"), 303)


@bp.route("/consultants/<int:user_id>/reactivate", methods=["POST"])
@require_menu("consultants")
def consultant_reactivate(user_id: int):
    """Make a deactivated staff member active again."""
    member = _load(user_id)
    if not ReactivateForm().validate_on_submit():
        abort(400)
    if member.membership.role not in service.assignable_roles(g.role):
        abort(403)
    try:
        service.reactivate(db.session, g.dealer, member)
    except service.ConsultantError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("dealer.consultant_edit", user_id=user_id), 303)
    db.session.commit()
    flash(_("%(name)s is active again.", name=member.user.name), "success")
    return redirect(url_for("dealer.consultants"), 303)


@bp.route("/consultants/<int:user_id>/resend", methods=["POST"])
@require_menu("consultants")
def consultant_resend(user_id: int):
    """Send a pending invitation's e-mail again (a new link; the old one keeps working until it expires)."""
    member = _load(user_id)
    if not ReactivateForm().validate_on_submit():
        abort(400)
    if not member.membership.pending:
        abort(404)
    _send_invitation(member)
    db.session.commit()
    flash(_("Invitation sent to %(email)s.", email=member.user.email), "success")
    return redirect(url_for("dealer.consultants"), 303)
