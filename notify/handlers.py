"""Event handlers that turn events into messages."""
from __future__ import annotations

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.outbox import OutboxEvent, handler
from notify.models import Message


def _already_written(session: Session, outbox_event: OutboxEvent, template: str) -> bool:
    return (
        session.scalar(
            select(Message.id).where(Message.event_id == outbox_event.id, Message.template == template)
        )
        is not None
    )


@handler("user.password_reset_requested")
def password_reset_link(session: Session, outbox_event: OutboxEvent) -> None:
    if _already_written(session, outbox_event, "password_reset"):
        return
    data = outbox_event.payload
    with force_locale(data.get("locale", "uk")):
        subject = gettext("Відновлення пароля")
        body = gettext(
            "Щоб встановити новий пароль, відкрийте посилання (діє %(hours)s год.): %(link)s",
            hours=data["valid_hours"],
            link=data["link"],
        )
    session.add(
        Message(
            event_id=outbox_event.id,
            channel="log",
            template="password_reset",
            recipient=data["recipient"],
            subject=subject,
            body=body,
            status="sent",
            attempts=1,
        )
    )
