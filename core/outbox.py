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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    event,
    exists,
    false,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.bulk import insert_rows
from core.clock import utcnow
from core.config import ConfigError
from core.db import Base, app_of, reserve_ids
from core.providers import ProviderError

log = logging.getLogger(__name__)

PENDING, DONE, FAILED = "pending", "done", "failed"

Handler = Callable[[Session, "OutboxEvent"], None]


@dataclass(frozen=True)
class Topic:
    """A topic its publisher declares (core/topics.py, `<feature>/topics.py`). An
    announcement is raised for whoever may listen and may have no handler; any other
    declared topic needs one among the enabled features, or the app does not start."""

    name: str
    description: str
    announcement: bool = False


class UndeclaredTopic(Exception):
    def __init__(self, topic: str) -> None:
        super().__init__(f"the outbox topic {topic!r} is declared by neither the kernel nor an enabled feature")
        self.topic = topic


@dataclass(frozen=True)
class Subscription:
    topic: str
    # The delivery key in outbox_delivery.handler: moving or renaming the function keeps it.
    name: str
    fn: Handler
    # Calls an outside service: never run inside a request (core/relay.py).
    outward: bool

    @property
    def module(self) -> str:
        return self.fn.__module__


_subscriptions: dict[tuple[str, str], Subscription] = {}


def handler(topics: str | Iterable[str], *, name: str, outward: bool = False) -> Callable[[Handler], Handler]:
    """Subscribe a function to one topic or several under a declared name."""
    topics = (topics,) if isinstance(topics, str) else tuple(topics)

    def register(fn: Handler) -> Handler:
        for topic in topics:
            taken = _subscriptions.get((topic, name))
            if taken is not None and (taken.module, taken.fn.__qualname__) != (fn.__module__, fn.__qualname__):
                raise ValueError(f"two outbox handlers of {topic!r} are named {name!r}")
            _subscriptions[(topic, name)] = Subscription(topic, name, fn, outward)
        return fn

    return register


@dataclass(frozen=True)
class Routing:
    """One app's topics and the handlers that act in it (the kernel's, its enabled
    features', and any outside a feature package, such as the suite's)."""

    topics: dict[str, Topic]
    subscribers: dict[str, list[Subscription]] = field(default_factory=dict)

    def check(self, topic: str) -> None:
        if topic not in self.topics:
            raise UndeclaredTopic(topic)

    def handlers_for(self, topic: str) -> list[Subscription]:
        return self.subscribers.get(topic, [])


def route(topics: Iterable[Topic], owns: Callable[[str], bool], awaited: Iterable[str] = ()) -> Routing:
    """The routing of an app, or ConfigError naming each topic left without a handler and
    each handler of a topic nobody declares (unless a feature awaits that topic from a
    package not built or not enabled: its handler waits, inactive)."""
    declared: dict[str, Topic] = {}
    problems = []
    for topic in topics:
        if topic.name in declared:
            problems.append(f"the outbox topic {topic.name!r} is declared twice")
        declared[topic.name] = topic
    awaited = set(awaited)
    subscribers: dict[str, list[Subscription]] = {}
    for subscription in _subscriptions.values():
        if not owns(subscription.module):
            continue
        if subscription.topic in declared:
            subscribers.setdefault(subscription.topic, []).append(subscription)
        elif subscription.topic not in awaited:
            problems.append(f"the outbox handler {subscription.name!r} listens to {subscription.topic!r}, "
                            "which neither the kernel nor an enabled feature declares")
    problems += [f"nothing handles the outbox topic {name!r} (declared, not an announcement)"
                 for name, topic in declared.items() if not topic.announcement and name not in subscribers]
    if problems:
        raise ConfigError("Refusing to start: " + "; ".join(problems) + ".")
    return Routing(declared, subscribers)


def routing_of(session: Session) -> Routing:
    return app_of(session).extensions["outbox"]


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


def emit(session: Session, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    return emit_many(session, topic, [payload])[0]


def emit_many(session: Session, topic: str, payloads: list[dict[str, Any]]) -> list[OutboxEvent]:
    """Events of one topic, written with the caller's next flush (no flush of their own:
    a callback or a statement import raises several, and each flush costs)."""
    routing_of(session).check(topic)
    events = [OutboxEvent(topic=topic, payload=payload) for payload in payloads]
    session.add_all(events)
    session.info.setdefault("outbox_new", []).extend((e, topic) for e in events)
    return events


def emit_one(session: Session, topic: str, payload: dict[str, Any]) -> int:
    """One event by one INSERT … RETURNING and no ORM object: for a hot view whose only
    write it is (a provider's callback), where the unit of work costs more than the SQL."""
    routing_of(session).check(topic)
    table = OutboxEvent.__table__
    event_id = session.execute(insert(table).values(topic=topic, payload=payload).returning(table.c.id)).scalar_one()
    session.info.setdefault("outbox_new", []).append((event_id, topic))
    return event_id


def emit_rows(session: Session, topic: str, payloads: list[dict[str, Any]]) -> None:
    """`emit_many` for thousands of events (a bank statement): rows with their ids
    reserved, inserted at once (COPY on PostgreSQL), never ORM objects."""
    routing_of(session).check(topic)
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


# A handler runs in a savepoint that its failure rolls back (deliver). What must outlive that
# rollback, the record of the failure itself (1C's refusal in the exchange log, a contract's
# last error), is kept on the session and written just before its transaction commits.
_KEPT = "outbox_kept_after_rollback"


def keep_after_rollback(session: Session, write: Callable[[Session], None]) -> None:
    """`write(session)` just before the session's transaction commits, though the savepoint
    it was kept in rolls back; never, if the whole transaction rolls back."""
    session.info.setdefault(_KEPT, []).append(write)


@event.listens_for(Session, "before_commit")
def _write_kept(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's commit (fired for it too), which a rollback around it could undo
    for write in session.info.pop(_KEPT, ()):
        write(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_kept_on_full_rollback(session: Session, _previous_transaction: object) -> None:
    # A savepoint's rollback is the failure being kept; the whole transaction's is not.
    if session.get_transaction() is None:
        session.info.pop(_KEPT, None)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(10 * 2 ** (attempts - 1), 3600))


def deliver(session: Session, event_id: int, max_attempts: int = 10, *, outward: bool = True) -> str | None:
    """Run every handler not yet delivered for one event; commit the outcome.

    `outward=False` (inside a request) leaves the handlers that call an outside service
    for the relay thread, the sweep or a worker: the event stays pending for them.
    A permanent ProviderError fails the event at once; any other failure backs off, at
    least as long as a provider's Retry-After asked.
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
    error, permanent, left_outward = "", False, False
    wait = timedelta(0)  # the longest wait a provider asked for (Retry-After)
    for subscription in routing_of(session).handlers_for(outbox_event.topic):
        if subscription.name in done:
            continue
        if subscription.outward and not outward:
            left_outward = True
            continue
        try:
            with session.begin_nested():
                subscription.fn(session, outbox_event)
                session.add(OutboxDelivery(event_id=event_id, handler=subscription.name))
        except ProviderError as exc:
            log.warning("outbox handler %s failed for event %s: %s", subscription.name, event_id, exc)
            error = f"{subscription.name}: {exc.provider} {exc.code}: {exc.detail}"[:2000]
            permanent = permanent or exc.permanent
            if exc.retry_after:
                wait = max(wait, timedelta(seconds=exc.retry_after))
        except Exception as exc:  # a handler's failure must not stop the others
            log.exception("outbox handler %s failed for event %s", subscription.name, event_id)
            error = f"{subscription.name}: {type(exc).__name__}: {exc}"[:2000]
    if error:
        outbox_event.attempts += 1
        outbox_event.last_error = error
        if permanent or outbox_event.attempts >= max_attempts:
            outbox_event.status = FAILED
        else:
            outbox_event.next_attempt_at = utcnow() + max(backoff(outbox_event.attempts), wait)
    elif not left_outward:
        outbox_event.attempts += 1
        outbox_event.status = DONE
        outbox_event.processed_at = utcnow()
        outbox_event.last_error = ""
    session.commit()
    return outbox_event.status


def settle_unheard(session: Session, event_ids: list[int]) -> None:
    """Events of announcements nobody listens to: done at once (what deliver() would conclude)."""
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


def owed_to(session: Session, prefix: str) -> ColumnElement[bool]:
    """Condition on OutboxEvent: pending or failed and still waiting for one of the handlers
    whose declared name starts with `prefix` (a feature's: "onec."), that handler not yet
    delivered. For a feature's own view of the backlog (the 1C sync page)."""
    owed = [
        and_(OutboxEvent.topic == topic,
             ~exists().where(OutboxDelivery.event_id == OutboxEvent.id, OutboxDelivery.handler == subscription.name))
        for topic, subscriptions in routing_of(session).subscribers.items()
        for subscription in subscriptions if subscription.name.startswith(prefix)
    ]
    return and_(OutboxEvent.status.in_((PENDING, FAILED)), or_(*owed)) if owed else false()


def backlog(session: Session, where: ColumnElement[bool] | None = None) -> dict[str, Any]:
    """Pending and failed events, and how long the oldest pending one waits; `where`
    narrows it (`owed_to`)."""
    narrowed = (lambda stmt: stmt.where(where)) if where is not None else (lambda stmt: stmt)
    counts = dict(
        session.execute(
            narrowed(select(OutboxEvent.status, func.count()).where(OutboxEvent.status != DONE)).group_by(OutboxEvent.status)
        ).all()
    )
    oldest = session.scalar(narrowed(select(func.min(OutboxEvent.created_at)).where(OutboxEvent.status == PENDING)))
    age = None
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=utcnow().tzinfo)
        age = round((utcnow() - oldest).total_seconds(), 1)
    return {"pending": counts.get(PENDING, 0), "failed": counts.get(FAILED, 0), "oldest_pending_age_s": age}
