"""Auth views: load → check → act; services do the work, the view commits."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import ForgotPasswordForm, LocaleForm, LoginForm, ResetPasswordForm
from app.extensions import db, limiter
from app.i18n import available_locales, error_message, language_name
from app.models.accounts import User
from app.services import accounts
from app.services.mail import MailSettings, send_mail
from app.tenancy import all_tenants


def _safe_next(target: str | None) -> str | None:
    """Accept only same-site relative paths as a post-login destination."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_account_key() -> str:
    return "login-account:" + User.normalize_email(request.form.get("email", ""))


def _workspace_url(workspace: accounts.Workspace) -> str:
    if workspace.kind == "platform":
        return url_for("platform.index")
    if workspace.kind == "brand":
        return url_for("corporate.dashboard", brand_slug=workspace.slug)
    return url_for("dealer.dashboard", dealer_slug=workspace.slug)


@bp.route("/")
def home():
    """Send the user to their workspace: one → straight there; several → choose; none → sign in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    with all_tenants():
        spaces = accounts.workspaces(current_user)
    if len(spaces) == 1:
        return redirect(_workspace_url(spaces[0]))
    return redirect(url_for("auth.choose_workspace"))


@bp.route("/workspaces")
@login_required
def choose_workspace():
    """List the brands and dealers the user works for."""
    with all_tenants():
        spaces = accounts.workspaces(current_user)
    return render_template("auth/workspaces.html", spaces=[(w, _workspace_url(w)) for w in spaces])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"], scope="login-ip")
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_login_account_key,
    scope="login-account",
)
def login():
    """Sign in with e-mail and password; wrong credentials get one message that does not say which part was wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        with all_tenants():
            user = accounts.authenticate(db.session, form.email.data, form.password.data)
            if user is None:
                flash(_("The e-mail or password is not correct."), "error")
                return render_template("auth/login.html", form=form), 401
            login_user(user, remember=form.remember.data)
            accounts.record_login(db.session, user)
            db.session.commit()
        return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, so a link or image cannot sign a user out)."""
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"], scope="password-forgot")
def forgot_password():
    """Mail a reset link if the address is known; the answer is the same either way."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with all_tenants():
            user = accounts.find_user_by_email(db.session, form.email.data)
            if user is not None and user.active:
                token = accounts.make_reset_token(user, current_app.config["SECRET_KEY"])
                link = url_for("auth.reset_password", token=token, _external=True)
                minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
                send_mail(
                    db.session,
                    MailSettings.from_config(current_app.config),
                    to=[user.email],
                    subject=_("Reset your Forecourt password"),
                    body_text=render_template("auth/email/reset_password.txt", user=user, link=link, minutes=minutes),
                )
                db.session.commit()
        flash(_("If that e-mail belongs to an account, a reset link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password from a signed, expiring, single-use link."""
    with all_tenants():
        try:
            user = accounts.verify_reset_token(
                db.session, token, current_app.config["SECRET_KEY"], current_app.config["PASSWORD_RESET_MAX_AGE"]
            )
        except accounts.InvalidResetToken as exc:
            flash(error_message(exc), "error")
            return render_template("auth/reset_invalid.html"), 400
        form = ResetPasswordForm()
        if form.validate_on_submit():
            accounts.reset_password(db.session, user, form.password.data)
            db.session.commit()
            flash(_("Your password is changed. Please sign in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """Choose a password from a dealer invitation (signed, expiring after a week, single-use)."""
    from app.services import dealers

    with all_tenants():
        try:
            user = dealers.verify_invite_token(db.session, token, current_app.config["SECRET_KEY"])
        except accounts.InvalidResetToken as exc:
            flash(error_message(exc), "error")
            return render_template("auth/reset_invalid.html"), 400
        form = ResetPasswordForm()
        if form.validate_on_submit():
            accounts.reset_password(db.session, user, form.password.data)
            db.session.commit()
            flash(_("Your password is set. Please sign in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/locale", methods=["POST"])
def set_locale():
    """Switch the interface language for this user (saved) or this browser session."""
    form = LocaleForm()
    form.locale.choices = [(code, language_name(code)) for code in available_locales()]
    if not form.validate_on_submit():
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        with all_tenants():
            current_user.preferred_locale = form.locale.data
            db.session.commit()
    return redirect(_safe_next(form.next.data) or url_for("auth.home"))


def _build_locale_form() -> LocaleForm:
    form = LocaleForm(formdata=None)
    form.locale.choices = [(code, language_name(code)) for code in available_locales()]
    form.next.data = request.full_path if request else "/"
    return form


class _LazyForm:
    """Build the language form only when a template touches it (full pages do; HTMX fragments don't)."""

    def __init__(self) -> None:
        self._form: LocaleForm | None = None

    def __getattr__(self, name: str):
        if self._form is None:
            self._form = _build_locale_form()
        return getattr(self._form, name)


@bp.app_context_processor
def _locale_form():
    return {"locale_form": _LazyForm()}


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], scope="invitation")
def accept_invitation(token: str):
    """Accept a dealership's invitation from a signed, expiring, single-use link by choosing a password."""
    from app.blueprints.dealer.forms import AcceptInvitationForm
    from app.services import consultants

    with all_tenants():
        try:
            user, _dealer_id = consultants.verify_invitation_token(
                db.session, token, current_app.config["SECRET_KEY"], current_app.config["CONSULTANT_INVITATION_MAX_AGE"]
            )
        except consultants.InvalidInvitation as exc:
            flash(error_message(exc), "error")
            return render_template("auth/invitation_invalid.html"), 400
        form = AcceptInvitationForm()
        if form.validate_on_submit():
            consultants.accept_invitation(db.session, user, form.password.data)
            db.session.commit()
            logout_user()
            flash(_("Welcome! Your password is set. Please sign in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/accept_invitation.html", form=form, user=user), (400 if request.method == "POST" else 200)
