"""Auth views: load → check → act; services do the work, the view commits."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import ChangePasswordForm, ForgotPasswordForm, LocaleForm, LoginForm, ResetPasswordForm
from app.extensions import db, limiter
from app.i18n import available_locales, error_message, language_name
from app.models.accounts import User
from app.services import accounts, sessions
from app.services.mail import MailSettings, send_mail
from app.tenancy import all_tenants
from app.urls import external_url


def _safe_next(target: str | None) -> str | None:
    """Accept only same-site relative paths as a post-login destination."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _failed_login(response) -> bool:
    """Flask-Limiter ``deduct_when``: only failed sign-ins count towards the per-address limit."""
    return response.status_code == 401


def _start_session(user: User, remember: bool) -> None:
    """Open a server-side session for ``user`` and sign the browser in with it (Flask-Login)."""
    config = current_app.config
    lifetime = timedelta(seconds=config["REMEMBER_COOKIE_DURATION"] if remember else config["LOGIN_SESSION_HOURS"] * 3600)
    sessions.start(db.session, user, remember=remember, now=sessions.current_time(), lifetime=lifetime)
    login_user(user, remember=remember)


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
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"], scope="login-ip", deduct_when=_failed_login
)
def login():
    """Sign in with e-mail and password; wrong credentials get one message that does not say which part was wrong.

    Failed attempts are throttled per address (Flask-Limiter, failures only) and per account (a growing
    wait, ``app.services.sessions``): inside the wait the attempt is refused with 429 before the password
    is even checked; after it, the right password works.
    """
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        config, now = current_app.config, sessions.current_time()
        throttle = {"reset": config["LOGIN_THROTTLE_RESET"]}
        with all_tenants():
            wait = sessions.wait_seconds(db.session, form.email.data, now, free=config["LOGIN_THROTTLE_FREE_FAILURES"],
                                         max_delay=config["LOGIN_THROTTLE_MAX_DELAY"], **throttle)
            if wait:
                flash(ngettext("Too many failed sign-ins for this account. Please try again in %(num)d second.",
                               "Too many failed sign-ins for this account. Please try again in %(num)d seconds.",
                               wait), "error")
                return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
            user = accounts.authenticate(db.session, form.email.data, form.password.data)
            if user is None:
                sessions.record_failure(db.session, form.email.data, now, **throttle)
                db.session.commit()
                flash(_("The e-mail or password is not correct."), "error")
                return render_template("auth/login.html", form=form), 401
            sessions.clear_failures(db.session, form.email.data)
            _start_session(user, bool(form.remember.data))
            accounts.record_login(db.session, user)
            db.session.commit()
        return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


def _sign_out(everywhere: bool) -> None:
    if current_user.is_authenticated:
        now = sessions.current_time()
        with all_tenants():
            if everywhere:
                sessions.end_all(db.session, current_user, now=now, reason="everywhere")
            else:
                sessions.end(db.session, current_user.login_session, now=now)
            db.session.commit()
    logout_user()


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, so a link or image cannot sign a user out); the session ends on the server too."""
    _sign_out(everywhere=False)
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout/everywhere", methods=["POST"])
def logout_everywhere():
    """Sign out on every device: end all of the user's sessions, remembered ones included."""
    _sign_out(everywhere=True)
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/change", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"], scope="password-change")
def change_password():
    """Change the password; every other session of the user ends, this one stays signed in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with all_tenants():
            try:
                ended = accounts.change_password(db.session, current_user, form.current.data, form.password.data,
                                                 now=sessions.current_time())
            except accounts.AccountError as exc:
                form.current.errors.append(error_message(exc))
            else:
                db.session.commit()
                flash(ngettext("Your password is changed. %(num)d other session was signed out.",
                               "Your password is changed. %(num)d other sessions were signed out.", ended), "success")
                return redirect(url_for("auth.choose_workspace"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status


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
                # On the configured public address, never the request's Host (reset-link poisoning).
                link = external_url("auth.reset_password", token=token)
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
            accounts.reset_password(db.session, user, form.password.data, now=sessions.current_time())
            db.session.commit()
            logout_user()
            flash(_("Your password is changed. Please sign in."), "success")
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


@bp.route("/invite/<token>", methods=["GET", "POST"])  # the corporate invitation's former address
@bp.route("/invitation/<token>", methods=["GET", "POST"])  # registered first: the address links are built with
@limiter.limit("10 per minute", methods=["POST"], scope="invitation")
def accept_invitation(token: str):
    """Accept an invitation to a dealership (``app.services.invitations``) from its signed, expiring link.

    A new person chooses a password here. A person who already has an account signs in as that account
    and confirms; signed in as anyone else, the link is refused. Until then the invitation gives nothing.
    """
    from app.blueprints.auth.forms import ConfirmInvitationForm
    from app.blueprints.dealer.forms import AcceptInvitationForm
    from app.services import invitations

    with all_tenants():
        try:
            invitation = invitations.verify_token(
                db.session, token, current_app.config["SECRET_KEY"], current_app.config["INVITATION_MAX_AGE"]
            )
        except invitations.InvalidInvitation as exc:
            flash(error_message(exc), "error")
            return render_template("auth/invitation_invalid.html"), 400
        dealer = invitation.membership.dealer
        if invitation.needs_password:
            form = AcceptInvitationForm()
            if form.validate_on_submit():
                try:
                    invitations.accept(db.session, invitation, signed_in=None, password=form.password.data)
                except invitations.InvitationError as exc:
                    db.session.rollback()
                    flash(error_message(exc), "error")
                    return render_template("auth/invitation_invalid.html"), 400
                db.session.commit()
                logout_user()
                flash(_("Welcome! Your password is set. Please sign in."), "success")
                return redirect(url_for("auth.login"))
            status = 400 if request.method == "POST" else 200
            return render_template("auth/accept_invitation.html", form=form, user=invitation.user, dealer=dealer), status
        if not current_user.is_authenticated:
            flash(_("Sign in to accept the invitation to %(dealer)s.", dealer=dealer.name), "info")
            return redirect(url_for("auth.login", next=request.path))
        if current_user.id != invitation.user.id:
            flash(_("This invitation is for another account. Sign in as the invited person to accept it."), "error")
            return render_template("auth/invitation_invalid.html"), 403
        form = ConfirmInvitationForm()
        if form.validate_on_submit():
            try:
                invitations.accept(db.session, invitation, signed_in=current_user)
            except invitations.InvitationError as exc:
                db.session.rollback()
                flash(error_message(exc), "error")
                return render_template("auth/invitation_invalid.html"), 400
            db.session.commit()
            flash(_("You now work at %(dealer)s.", dealer=dealer.name), "success")
            return redirect(url_for("dealer.dashboard", dealer_slug=dealer.slug))
        status = 400 if request.method == "POST" else 200
        return render_template("auth/confirm_invitation.html", form=form, dealer=dealer,
                               role=invitation.membership.role), status
