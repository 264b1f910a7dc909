"""The stalled-exchange alarm: no successful exchange from 1C for ONEC_STALE_AFTER_MINUTES
raises `onec.exchange_stalled`, once per stall.

The outbox remembers: the last stalled event names the success it counted from, so the
job raises again only after a new success and a new silence, however often it runs.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.jobs import periodic
from core.outbox import OutboxEvent
from onec.sync import last_inbound_success

TOPIC = "onec.exchange_stalled"
# Any fixed number, the same in every process: two overlapping runs of the job on
# PostgreSQL take turns (SQLite's background transactions are serialized already).
_LOCK_KEY = 120012


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def check_stalled(session: Session, now: datetime | None = None) -> OutboxEvent | None:
    """Raise the event if the exchange stalls and this stall has not been told; flushes."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    now = now or utcnow()
    minutes = current_app.config["ONEC_STALE_AFTER_MINUTES"]
    last = last_inbound_success(session)
    if last is not None and now - last < timedelta(minutes=minutes):
        return None
    told = session.scalar(select(OutboxEvent).where(OutboxEvent.topic == TOPIC).order_by(OutboxEvent.id.desc()).limit(1))
    if told is not None and told.payload.get("last_success_at") == _moment(last):
        return None
    payload: dict[str, Any] = {"last_success_at": _moment(last), "stale_after_minutes": minutes, "noticed_at": now.isoformat()}
    return outbox.emit(session, TOPIC, payload)


@periodic("onec.stalled_exchange", every_seconds=300)
def stalled_exchange_job(session: Session) -> None:
    check_stalled(session)
    session.commit()
