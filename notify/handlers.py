"""Every topic some message listens to gets one outbox handler that plans its messages."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.outbox import OutboxEvent, handler
from notify import price_digest, tasks  # noqa: F401  their jobs, task and commit hook register on import
from notify.events import SPECS
from notify.planning import plan_messages


def _plan(session: Session, outbox_event: OutboxEvent) -> None:
    plan_messages(session, outbox_event)


for _topic in sorted({spec.topic for spec in SPECS}):
    handler(_topic)(_plan)
