"""Outbox: events written in the same transaction as the change, delivered after commit.

`emit()` adds an event to the caller's session. After the request (or task) commits,
`dispatch_committed()` hands the new event ids to the relay: inline in the embedded
default, as Celery tasks when a broker is configured (core/relay.py). A periodic sweep delivers
whatever was missed (a crash between commit and dispatch, a killed worker) and
retries failures with backoff.

Each handler's effect and its `OutboxDelivery` row commit together, so a redelivered
event skips the handlers that already ran.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.bulk import insert_rows
from core.clock import utcnow
from core.db import Base, db_session, reserve_ids

log = logging.getLogger(__name__)

PENDING, DONE, FAILED = "pending", "done", "failed"

Handler = Callable[[Session, "OutboxEvent"], None]
_handlers: dict[str, list[tuple[str, Handler]]] = {}


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class OutboxDelivery(Base):
    __tablename__ = "outbox_delivery"

    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id", ondelete="CASCADE"), primary_key=True)
    handler: Mapped[str] = mapped_column(String(120), primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Subscribe a function to a topic; its qualified name is its delivery key."""

    def register(fn: Handler) -> Handler:
        name = f"{fn.__module__}.{fn.__qualname__}"
        subscribers = _handlers.setdefault(topic, [])
        if name not in (existing for existing, _ in subscribers):
            subscribers.append((name, fn))
        return fn

    return register


def handlers_for(topic: str) -> list[tuple[str, Handler]]:
    return list(_handlers.get(topic, ()))


def emit(session: Session, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    return emit_many(session, topic, [payload])[0]


def emit_many(session: Session, topic: str, payloads: list[dict[str, Any]]) -> list[OutboxEvent]:
    """Events of one topic, written with the caller's next flush (no flush of their own:
    a callback or a statement import raises several, and each flush costs)."""
    events = [OutboxEvent(topic=topic, payload=payload) for payload in payloads]
    session.add_all(events)
    session.info.setdefault("outbox_new", []).extend((e, topic) for e in events)
    return events


def emit_one(session: Session, topic: str, payload: dict[str, Any]) -> int:
    """One event by one INSERT … RETURNING and no ORM object: for a hot view whose only
    write it is (a provider's callback), where the unit of work costs more than the SQL."""
    table = OutboxEvent.__table__
    event_id = session.execute(insert(table).values(topic=topic, payload=payload).returning(table.c.id)).scalar_one()
    session.info.setdefault("outbox_new", []).append((event_id, topic))
    return event_id


def emit_rows(session: Session, topic: str, payloads: list[dict[str, Any]]) -> None:
    """`emit_many` for thousands of events (a bank statement): rows with their ids
    reserved, inserted at once (COPY on PostgreSQL), never ORM objects."""
    if not payloads:
        return
    ids = reserve_ids(session, OutboxEvent.__table__.c.id, len(payloads))
    insert_rows(session, OutboxEvent, [{"id": i, "topic": topic, "payload": p} for i, p in zip(ids, payloads)])
    session.info.setdefault("outbox_new", []).extend((i, topic) for i in ids)


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    new = session.info.pop("outbox_new", None)
    if new:
        # Ids exist now (the commit flushed). Read from the identity, which emits no SQL
        # here; an event rolled back with a savepoint has none.
        committed = [(_committed_id(e), topic) for e, topic in new]
        session.info.setdefault("outbox_committed", []).extend(c for c in committed if c[0] is not None)


def _committed_id(outbox_event: OutboxEvent | int) -> int | None:
    if isinstance(outbox_event, int):
        return outbox_event
    key = inspect(outbox_event).key
    return key[1][0] if key else None


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop("outbox_new", None)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(10 * 2 ** (attempts - 1), 3600))


def deliver(session: Session, event_id: int, max_attempts: int = 10) -> str | None:
    """Run every handler not yet delivered for one event; commit the outcome.

    Returns the event status, or None when another worker holds the event.
    """
    query = select(OutboxEvent).where(OutboxEvent.id == event_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    outbox_event = session.scalars(query).first()
    if outbox_event is None or outbox_event.status == DONE:
        session.rollback()
        return outbox_event.status if outbox_event else None
    done = set(
        session.scalars(select(OutboxDelivery.handler).where(OutboxDelivery.event_id == event_id))
    )
    error = ""
    for name, fn in handlers_for(outbox_event.topic):
        if name in done:
            continue
        try:
            with session.begin_nested():
                fn(session, outbox_event)
                session.add(OutboxDelivery(event_id=event_id, handler=name))
        except Exception as exc:  # a handler's failure must not stop the others
            log.exception("outbox handler %s failed for event %s", name, event_id)
            error = f"{name}: {type(exc).__name__}: {exc}"[:2000]
    outbox_event.attempts += 1
    if error:
        outbox_event.last_error = error
        if outbox_event.attempts >= max_attempts:
            outbox_event.status = FAILED
        else:
            outbox_event.next_attempt_at = utcnow() + backoff(outbox_event.attempts)
    else:
        outbox_event.status = DONE
        outbox_event.processed_at = utcnow()
        outbox_event.last_error = ""
    session.commit()
    return outbox_event.status


def settle_unheard(session: Session, event_ids: list[int]) -> None:
    """Events whose topic has no handler: done at once (what deliver() would conclude)."""
    now = utcnow()
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(event_ids), OutboxEvent.status == PENDING)
        .values(status=DONE, attempts=OutboxEvent.attempts + 1, processed_at=now, last_error="")
    )
    session.commit()


def due_event_ids(session: Session, limit: int = 200) -> list[int]:
    return list(
        session.scalars(
            select(OutboxEvent.id)
            .where(OutboxEvent.status == PENDING, OutboxEvent.next_attempt_at <= utcnow())
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
    )


def sweep(session: Session, max_attempts: int = 10) -> int:
    """Deliver every event that is due; returns how many were attempted."""
    ids = due_event_ids(session)
    session.rollback()
    for event_id in ids:
        deliver(session, event_id, max_attempts)
    return len(ids)


def retry_failed(session: Session, event_id: int) -> None:
    """Staff asked for another try: put a failed event back in the queue."""
    outbox_event = session.get(OutboxEvent, event_id)
    if outbox_event is not None and outbox_event.status == FAILED:
        outbox_event.status = PENDING
        outbox_event.attempts = 0
        outbox_event.next_attempt_at = utcnow()
        session.flush()
        session.info.setdefault("outbox_new", []).append((event_id, outbox_event.topic))


def backlog(session: Session) -> dict[str, Any]:
    counts = dict(
        session.execute(
            select(OutboxEvent.status, func.count()).where(OutboxEvent.status != DONE).group_by(OutboxEvent.status)
        ).all()
    )
    oldest = session.scalar(select(func.min(OutboxEvent.created_at)).where(OutboxEvent.status == PENDING))
    age = None
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=utcnow().tzinfo)
        age = round((utcnow() - oldest).total_seconds(), 1)
    return {"pending": counts.get(PENDING, 0), "failed": counts.get(FAILED, 0), "oldest_pending_age_s": age}
