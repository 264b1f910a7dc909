"""When the sender runs: right after a commit that queued messages (a Celery task when
a broker is configured, published by the handler of `messages.queued`), and on a
schedule that also picks up retries, messages held by quiet hours and batches a dead
worker left behind."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.celery import celery_app
from core.clock import utcnow
from core.db import db_session
from core.jobs import periodic
from core.providers import ProviderError
from notify import channels, delivery
from notify.models import QUEUED, SENT, Message

# A Celery task sends for at most this long, then hands over to a fresh task, so one
# long queue never pins a worker process.
TASK_BUDGET_SECONDS = 20.0
# Sending (an SMTP conversation, an invoice's PDF to attach) runs on a queue of its own:
# a burst of messages never holds up a payment on its way to 1C (README: the workers).
QUEUE = "notify"


def limits(app: Any) -> delivery.Limits:
    config = app.config
    return delivery.Limits(
        max_attempts=config["NOTIFY_MAX_ATTEMPTS"], lease_seconds=config["NOTIFY_LEASE_SECONDS"],
        batch=config["NOTIFY_BATCH"], quiet_hours=config["SMS_QUIET_HOURS"],
        send_seconds=config["NOTIFY_PROVIDER_TIMEOUT"],
    )


def send_now(session: Session, budget_seconds: float = TASK_BUDGET_SECONDS) -> int:
    return delivery.send_due(session, channels.prepare, limits(current_app), budget_seconds)


@celery_app.task(name="notify.send_due", queue=QUEUE)
def send_due_task() -> None:
    if send_now(db_session()) and _anything_due(db_session()):
        send_due_task.delay()


def _anything_due(session: Session) -> bool:
    found = session.scalar(
        select(Message.id).where(Message.status == QUEUED, Message.next_attempt_at <= utcnow()).limit(1)
    )
    session.rollback()
    return found is not None


@periodic("notify.send", every_seconds=5, queue=QUEUE)
def send_job(session: Session) -> int:
    delivery.recover_abandoned(session)
    delivery.resolve_unknown(session, channels.find_sent_sms)
    return send_now(session)


@periodic("notify.delivery_status", every_seconds=60, queue=QUEUE)
def delivery_status_job(session: Session) -> int:
    """Ask Atompark what became of SMS sent in the last three days."""
    now = utcnow()
    rows = session.execute(
        select(Message.id, Message.provider_id)
        .where(Message.channel == "sms", Message.status == SENT, Message.provider_id.is_not(None),
               Message.sent_at > now - timedelta(days=3), Message.sent_at < now - timedelta(seconds=30))
        .order_by(Message.id)
        .limit(500)
    ).all()
    session.rollback()
    client = channels.sms_client(current_app._get_current_object())
    # Atompark is asked with no transaction open (a write lock on SQLite, an idle
    # transaction on PostgreSQL, for up to 500 calls); the answers are written at the end.
    settled = []
    for message_id, campaign_id in rows:
        try:
            reports = client.delivery_stats(campaign_id)
        except ProviderError:
            continue  # asked again next round
        final = [r for r in reports if r.status in ("delivered", "undelivered")]
        if final:
            settled.append((message_id, final[0]))
    for message_id, report in settled:
        delivery.mark_delivery(session, message_id, report.status, report.done_at)
    session.commit()
    return len(settled)
