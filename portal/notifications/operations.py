"""Notifying people: an in-app notification and an outbox e-mail, in the caller's transaction.

Nothing is sent here. `flask outbox send` delivers the outbox later, so a change and
its mail commit together or not at all, and nothing is lost while SMTP is down.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale

from portal.core.clock import utcnow
from portal.db import db
from portal.notifications.models import Notification, OutboxMessage
from portal.users.models import User


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str
    link: str = ""
    ics: str | None = None
    # The training session the message is about, so its coordinators can see the mail.
    session_id: int | None = None


def notify(user: User, build) -> tuple[Notification, OutboxMessage]:
    """Record an in-app notification and queue an e-mail for the user, in their language.

    `build` is a callable returning a Message; it runs under the user's locale so
    gettext inside it produces the user's language.
    """
    with force_locale(user.locale or "ko"):
        message: Message = build()
    now = utcnow()
    note = Notification(
        user_id=user.id,
        kind=message.kind,
        title=message.title,
        body=message.body,
        link=message.link,
        created_at=now,
    )
    mail = OutboxMessage(
        user_id=user.id,
        kind=message.kind,
        session_id=message.session_id,
        to_address=user.email,
        subject=message.title,
        body_text=message.body,
        ics=message.ics,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add_all([note, mail])
    db.session.flush()
    return note, mail
