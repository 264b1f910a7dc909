"""The relay: what a request or task committed to the outbox goes on to its handlers.

Inline in the embedded default (after the request, in the same process), as Celery tasks
when a broker is configured; the sweep task delivers what was missed and retries failures.
"""
from __future__ import annotations

import logging
from typing import Any

from core import outbox
from core.celery import celery_app, publish
from core.db import db_session

log = logging.getLogger(__name__)

# Inline relay: events raised by handlers of events raised by handlers ... stop somewhere;
# what is left, the sweep delivers.
MAX_INLINE_ROUNDS = 5


@celery_app.task(name="outbox.deliver")
def deliver_event(event_id: int) -> None:
    outbox.deliver(db_session(), event_id, celery_app.flask_app.config["OUTBOX_MAX_ATTEMPTS"])
    # What the handlers raised (a LiqPay notice raises payment.received ...) goes on at once.
    dispatch_committed(celery_app.flask_app)


@celery_app.task(name="outbox.sweep")
def sweep_outbox() -> None:
    outbox.sweep(db_session(), celery_app.flask_app.config["OUTBOX_MAX_ATTEMPTS"])
    dispatch_committed(celery_app.flask_app)


def dispatch_committed(app: Any) -> None:
    """Hand the events this session committed to the relay (request/task boundary).
    Inline, the events their handlers raise in turn are delivered too, until none are new."""
    session = db_session()
    for _round in range(MAX_INLINE_ROUNDS):
        committed = session.info.pop("outbox_committed", None)
        if not committed:
            return
        # Nobody listens to some topics yet (their packages are still to come): such events
        # are settled in one statement instead of a transaction each.
        ids = [event_id for event_id, topic in committed if outbox.handlers_for(topic)]
        unheard = [event_id for event_id, topic in committed if not outbox.handlers_for(topic)]
        if unheard:
            outbox.settle_unheard(session, unheard)
        if app.config["OUTBOX_DISPATCH"] == "celery":
            for event_id in ids:
                if not publish(deliver_event, event_id):
                    break  # the broker is away for the rest too; they stay pending for the sweep
            return
        for event_id in ids:
            try:
                outbox.deliver(session, event_id, app.config["OUTBOX_MAX_ATTEMPTS"])
            except Exception:  # the sweep retries; the user's request already succeeded
                log.exception("inline delivery of event %s failed", event_id)
                session.rollback()


def init_relay(app: Any) -> None:
    @app.teardown_request
    def _dispatch(_exc: BaseException | None) -> None:
        # The answer is decided and the events are committed: a failure here (the
        # database gone since) is the sweep's to repair, never the visitor's error page.
        try:
            dispatch_committed(app)
        except Exception:
            log.exception("dispatching committed events failed; the sweep delivers them")
