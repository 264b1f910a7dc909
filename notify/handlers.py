"""Every topic some message listens to gets one outbox handler that plans its messages;
the messages' own topic kicks the sender."""
from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from core.celery import publish
from core.outbox import OutboxEvent, handler
from notify import price_digest  # noqa: F401  its job registers on import
from notify.events import SPECS
from notify.planning import plan_messages
from notify.tasks import send_due_task


@handler(sorted({spec.topic for spec in SPECS}), name="notify.plan_messages")
def _plan(session: Session, outbox_event: OutboxEvent) -> None:
    plan_messages(session, outbox_event)


@handler("messages.queued", name="notify.kick_sender")
def _kick_sender(session: Session, outbox_event: OutboxEvent) -> None:
    if current_app.config["OUTBOX_DISPATCH"] == "celery":
        publish(send_due_task)  # inline, the periodic job sends them
