"""What the exchange log says: when prices and stock last arrived, the last success of each
direction and entity, the runs, and the outbox events still owed to 1C's handlers."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core import outbox
from core.outbox import OutboxEvent
from onec.models import ExchangeRun

IN, OUT = "in", "out"
DIRECTIONS = (IN, OUT)
STATUSES = ("running", "success", "failed")
# The runs that bring prices or stock: offers.xml carries both, the split packages and the
# SOAP pulls one each.
PRICES_AND_STOCK = ("offers", "prices", "rests", "stock")
# Every handler the feature declares is named "onec.<what>" (the outbox delivery key).
HANDLER_PREFIX = "onec."


def _successes(direction: str) -> Select:
    return select(func.max(ExchangeRun.finished_at)).where(
        ExchangeRun.direction == direction, ExchangeRun.status == "success"
    )


def last_synced(session: Session) -> datetime | None:
    """`Feature.synced_at`: the end of the last successful inbound run of prices or stock."""
    return session.scalar(_successes(IN).where(ExchangeRun.entity.in_(PRICES_AND_STOCK)))


def last_inbound_success(session: Session) -> datetime | None:
    """Any entity: 1C is talking to us as long as something arrives."""
    return session.scalar(_successes(IN))


def last_success_per_entity(session: Session) -> list[tuple[str, str, datetime]]:
    """(direction, entity, finished_at) of the last success of each, inbound first."""
    rows = session.execute(
        select(ExchangeRun.direction, ExchangeRun.entity, func.max(ExchangeRun.finished_at))
        .where(ExchangeRun.status == "success")
        .group_by(ExchangeRun.direction, ExchangeRun.entity)
        .order_by(ExchangeRun.direction, ExchangeRun.entity)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def runs(direction: str | None = None, entity: str | None = None, status: str | None = None) -> Select:
    """Newest first, narrowed by whichever filter is given."""
    stmt = select(ExchangeRun).order_by(ExchangeRun.id.desc())
    if direction:
        stmt = stmt.where(ExchangeRun.direction == direction)
    if entity:
        stmt = stmt.where(ExchangeRun.entity == entity)
    if status:
        stmt = stmt.where(ExchangeRun.status == status)
    return stmt


def entities(session: Session) -> list[str]:
    return list(session.scalars(select(ExchangeRun.entity).distinct().order_by(ExchangeRun.entity)))


def backlog(session: Session) -> dict[str, Any]:
    """The outbox's backlog (core.outbox.backlog) of the events 1C's handlers still owe."""
    return outbox.backlog(session, outbox.owed_to(session, HANDLER_PREFIX))


def owed_events(session: Session, limit: int = 20) -> list[OutboxEvent]:
    """The first events still owed to 1C, failed ones first."""
    failed_first = (OutboxEvent.status != outbox.FAILED)
    return list(session.scalars(
        select(OutboxEvent).where(outbox.owed_to(session, HANDLER_PREFIX)).order_by(failed_first, OutboxEvent.id).limit(limit)
    ))
