"""The one way Forecourt sends e-mail.

Backends (``MAIL_BACKEND``): ``outbox`` stores every message in ``OutboxMessage`` for a
platform admin to read (development and tests); ``smtp`` stores it and sends it through
``smtplib`` with STARTTLS. The message is always stored first, so nothing is lost when the
SMTP server is down: the row says ``failed`` with the error.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy.orm import Session

from app.models.mail import OutboxAttachment, OutboxMessage
from app.tenancy import current_scope


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Mail configuration, read from the Flask config by the caller."""

    backend: str = "outbox"
    sender: str = "Forecourt <no-reply@forecourt.local>"
    server: str = "localhost"
    port: int = 587
    username: str = ""
    password: str = ""
    use_tls: bool = True

    @classmethod
    def from_config(cls, config) -> MailSettings:
        """Build settings from a Flask ``config`` mapping (``MAIL_*`` keys)."""
        return cls(
            backend=config.get("MAIL_BACKEND", "outbox"),
            sender=config.get("MAIL_DEFAULT_SENDER", cls.sender),
            server=config.get("MAIL_SERVER", "localhost"),
            port=int(config.get("MAIL_PORT", 587)),
            username=config.get("MAIL_USERNAME", ""),
            password=config.get("MAIL_PASSWORD", ""),
            use_tls=bool(config.get("MAIL_USE_TLS", True)),
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to attach: name, MIME type (``application/pdf``) and bytes."""

    filename: str
    content_type: str
    content: bytes


def send_mail(
    session: Session,
    settings: MailSettings,
    *,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str | None = None,
    attachments: list[Attachment] | None = None,
) -> OutboxMessage:
    """Store the message in the outbox and, with the SMTP backend, send it.

    Returns the ``OutboxMessage`` (flushed). SMTP errors never raise: they are recorded on
    the message (``status='failed'``) so a request is not broken by a mail server.
    """
    scope = current_scope()
    message = OutboxMessage(
        sender=settings.sender,
        recipients=", ".join(to),
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        dealer_id=scope.dealer_id if scope else None,
        brand_id=scope.brand_id if scope else None,
    )
    for item in attachments or []:
        message.attachments.append(
            OutboxAttachment(filename=item.filename, content_type=item.content_type, content=item.content)
        )
    session.add(message)
    if settings.backend == "smtp":
        try:
            _send_smtp(settings, message, attachments or [])
            message.status = "sent"
        except (OSError, smtplib.SMTPException) as exc:
            message.status = "failed"
            message.error = str(exc)[:500]
    session.flush()
    return message


def _send_smtp(settings: MailSettings, message: OutboxMessage, attachments: list[Attachment]) -> None:
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = message.recipients
    email["Subject"] = message.subject
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for item in attachments:
        maintype, _, subtype = item.content_type.partition("/")
        email.add_attachment(item.content, maintype=maintype, subtype=subtype, filename=item.filename)
    with smtplib.SMTP(settings.server, settings.port, timeout=10) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(email)
