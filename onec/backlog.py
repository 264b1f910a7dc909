"""What waits to go to 1C: the outbox events whose 1C push has not been delivered."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import case, exists, select, update
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.outbox import FAILED, PENDING, OutboxDelivery, OutboxEvent

# The onec handler of each topic (onec/handlers.py).
PUSHES = {
    "order.submitted": "onec.push_order",
    "order.cancelled": "onec.push_cancellation",
    "payment.received": "onec.push_payment",
}


def waiting(session: Session, limit: int = 10_000) -> list[int]:
    """Ids of the pending or failed events whose 1C push is not delivered, oldest first."""
    delivered = exists().where(
        OutboxDelivery.event_id == OutboxEvent.id, OutboxDelivery.handler.in_(PUSHES.values())
    )
    return list(session.scalars(
        select(OutboxEvent.id)
        .where(OutboxEvent.topic.in_(PUSHES), OutboxEvent.status.in_((PENDING, FAILED)), ~delivered)
        .order_by(OutboxEvent.id)
        .limit(limit)
    ))


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
