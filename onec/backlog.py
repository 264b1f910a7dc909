"""What waits to go to 1C: the outbox events whose 1C push has not been delivered; pushing
them now (`flask onec-push`), and the periodic job that keeps trying while 1C is away."""
from __future__ import annotations

import re
from collections import Counter
from flask import current_app
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.jobs import periodic
from core.outbox import FAILED, PENDING, OutboxEvent
from onec.sync import HANDLER_PREFIX

# While 1C is away a push backs off and, after OUTBOX_MAX_ATTEMPTS (about an hour and a
# half), its event fails; from then on it is tried once every this long until 1C takes it
# (onec/WEBSERVICE.md: "then every 15 min"). A refusal is not tried again.
AWAY_RETRY_SECONDS = 15 * 60
# The codes of onec/soap/client.py that say "1C is away or busy", as the relay writes the
# last error ("<handler>: onec <code>: <detail>", core/outbox.py deliver).
AWAY = re.compile(r"^onec\.push_\w+: onec (timeout|unreachable|http_5\d\d|http_408|http_425|http_429|BUSY|INTERNAL): ")


def waiting(session: Session, limit: int = 10_000) -> list[int]:
    """Ids of the pending or failed events whose 1C push is not delivered, oldest first."""
    return list(session.scalars(
        select(OutboxEvent.id)
        .where(outbox.owed_to(session, HANDLER_PREFIX))
        .order_by(OutboxEvent.id)
        .limit(limit)
    ))


@periodic("onec.retry_away", every_seconds=AWAY_RETRY_SECONDS)
def retry_away(session: Session) -> int:
    """Pushes that failed because 1C stayed away past every retry: one more try each, in
    their order. Returns how many were tried."""
    failed = session.execute(
        select(OutboxEvent.id, OutboxEvent.last_error)
        .where(outbox.owed_to(session, HANDLER_PREFIX), OutboxEvent.status == FAILED)
        .order_by(OutboxEvent.id)
    ).all()
    away = [event_id for event_id, error in failed if AWAY.match(error)]
    session.rollback()
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    for event_id in away:
        # One attempt left: a failure fails it again until the next round.
        session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id, OutboxEvent.status == FAILED)
                        .values(status=PENDING, attempts=max_attempts - 1, next_attempt_at=utcnow()))
        session.commit()
        outbox.deliver(session, event_id, max_attempts)
    return len(away)


def push_now(session: Session, max_attempts: int) -> Counter[str]:
    """Deliver the waiting events now, past their backoff; a failed one gets its attempts
    back, as staff's retry does. Their other handlers not yet delivered run too (the
    outbox delivers an event as a whole). Counts by the status each event ended in."""
    ids = waiting(session)
    if not ids:
        session.rollback()
        return Counter()
    session.execute(
        update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(
            attempts=case((OutboxEvent.status == FAILED, 0), else_=OutboxEvent.attempts),
            status=PENDING, next_attempt_at=utcnow(),
        )
    )
    session.commit()
    return Counter(outbox.deliver(session, event_id, max_attempts) or "busy" for event_id in ids)
