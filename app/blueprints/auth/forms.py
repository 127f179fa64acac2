"""Forms of the auth blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class LoginForm(FlaskForm):
    """E-mail, password and "remember me"."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ForgotPasswordForm(FlaskForm):
    """Ask for a password reset link."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    """Choose a new password (at least 10 characters)."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=10, max=200, message=_l("Use at least 10 characters."))],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))],
    )


class ChangePasswordForm(ResetPasswordForm):
    """The current password, then the new one twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class ConfirmInvitationForm(FlaskForm):
    """Accept an invitation with the account one is signed in with (CSRF token only)."""


class LocaleForm(FlaskForm):
    """Pick the interface language."""

    locale = SelectField(_l("Language"), choices=[], validators=[DataRequired()])
    next = StringField()
