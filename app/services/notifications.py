"""The one notification service: in-app messages with an unread badge for staff, e-mail for staff and customers.

Every deal step calls ``notify_staff`` (deal's consultant, or everyone in some roles) and/or
``notify_customer``. Texts are gettext message ids with ``%(name)s`` parameters, rendered in each
recipient's language (the user's preferred locale, else the dealer's; the customer's, else the
deal's) when the notification is created, so the in-app list and the e-mail read the same.
E-mail goes through ``services.mail`` (the outbox keeps it even when SMTP is down).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.domain.roles import Role
from app.models.accounts import Dealer, Membership, User
from app.models.notifications import Notification  # noqa: F401 - re-exported for views
from app.services.mail import Attachment, MailSettings, send_mail


@dataclass(frozen=True, slots=True)
class Message:
    """A translatable text: gettext ``msgid`` (with ``%(name)s`` placeholders) and its ``params``."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, locale: str) -> str:
        """Return the text in ``locale`` (falls back to the msgid when no catalog has it)."""
        with force_locale(locale):
            return gettext(self.msgid, **dict(self.params))


def _mail_settings() -> MailSettings:
    return MailSettings.from_config(current_app.config) if has_app_context() else MailSettings()


def staff_of(session: Session, dealer_id: int, roles: Iterable[Role]) -> list[User]:
    """Return the active staff of ``dealer_id`` holding any of ``roles`` (ordered by name)."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.dealer_id == dealer_id, Membership.active.is_(True), Membership.role.in_(list(roles)))
            .order_by(User.name)
        ).unique()
    )


def notify_staff(
    session: Session,
    *,
    dealer: Dealer,
    users: Iterable[User],
    kind: str,
    title: Message,
    body: Message | None = None,
    url: str = "",
    deal_id: int | None = None,
    email: bool = True,
) -> list[Notification]:
    """Add one in-app notification per distinct user (and e-mail them unless ``email`` is False).

    Returns the flushed ``Notification`` rows. ``url`` should be absolute for the e-mail to work
    outside the portal. Users are de-duplicated by id; ``None`` entries are skipped.
    """
    rows: list[Notification] = []
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        locale = user.preferred_locale or dealer.locale
        title_text = title.render(locale)[:200]
        body_text = body.render(locale) if body else ""
        row = Notification(
            dealer_id=dealer.id, user_id=user.id, kind=kind, title=title_text, body=body_text, url=url[:500], deal_id=deal_id
        )
        session.add(row)
        rows.append(row)
        if email and user.email:
            text = "\n\n".join(part for part in (body_text, url) if part)
            send_mail(session, _mail_settings(), to=[user.email], subject=title_text, body_text=text or title_text)
    session.flush()
    return rows


def notify_roles(session: Session, *, dealer: Dealer, roles: Iterable[Role], extra: Iterable[User | None] = (), **kwargs) -> list[Notification]:
    """Notify every active staff member of ``dealer`` in ``roles`` plus ``extra`` users (see ``notify_staff``)."""
    users = [*staff_of(session, dealer.id, roles), *extra]
    return notify_staff(session, dealer=dealer, users=users, **kwargs)


def notify_customer(
    session: Session,
    *,
    email: str | None,
    locale: str,
    subject: Message,
    body: Message,
    attachments: list[Attachment] | None = None,
) -> bool:
    """E-mail a customer in ``locale``; returns False (and sends nothing) when there is no address."""
    if not email:
        return False
    send_mail(
        session, _mail_settings(), to=[email], subject=subject.render(locale)[:200], body_text=body.render(locale),
        attachments=attachments,
    )
    return True


def unread_count(session: Session, user_id: int) -> int:
    """Return how many notifications of ``user_id`` at the current dealer are unread."""
    return session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0


def recent(session: Session, user_id: int, *, limit: int = 50, unread_only: bool = False) -> list[Notification]:
    """Return the user's latest notifications at the current dealer, newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user_id: int, now: datetime, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread notification of ``user_id`` read; returns how many changed."""
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    result = session.execute(statement.values(read_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0
