"""The relay: what a request or task committed to the outbox goes on to its handlers.

Inline in the embedded default (after the request, in the same process), as Celery tasks
when a broker is configured; the sweep task delivers what was missed and retries failures.
A handler marked `outward` (it calls an outside service) never runs inside a request: the
inline relay leaves its event pending, and the relay thread (OUTBOX_RELAY_THREAD, the
embedded demo server's), the sweep or a worker delivers it.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from flask import has_request_context

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
    # What the handlers raised (a LiqPay notice raises payment.received, whose handler
    # pushes the payment to 1C) is delivered by this task, not queued behind every other
    # event: under load a payment then waits for the queue once, not once per step.
    dispatch_committed(celery_app.flask_app, here=True)


@celery_app.task(name="outbox.sweep")
def sweep_outbox() -> None:
    outbox.sweep(db_session(), celery_app.flask_app.config["OUTBOX_MAX_ATTEMPTS"])
    dispatch_committed(celery_app.flask_app)


def dispatch_committed(app: Any, *, here: bool = False) -> None:
    """Hand the events this session committed to the relay (request/task boundary).
    Inline, or `here` (a worker's task), they are delivered in this process, and the events
    their handlers raise in turn too, until none are new; a worker publishes what is left."""
    session = db_session()
    for _round in range(MAX_INLINE_ROUNDS):
        committed = session.info.pop("outbox_committed", None)
        if not committed:
            return
        # Nobody listens to some announcements (their packages are left out or still to
        # come): such events are settled in one statement instead of a transaction each.
        routing = app.extensions["outbox"]
        ids = [event_id for event_id, topic in committed if routing.handlers_for(topic)]
        unheard = [event_id for event_id, topic in committed if not routing.handlers_for(topic)]
        if unheard:
            outbox.settle_unheard(session, unheard)
        if app.config["OUTBOX_DISPATCH"] == "celery" and not here:
            _publish(ids)
            return
        outward = not has_request_context()
        for event_id in ids:
            try:
                status = outbox.deliver(session, event_id, app.config["OUTBOX_MAX_ATTEMPTS"], outward=outward)
            except Exception:  # the sweep retries; the user's request already succeeded
                log.exception("inline delivery of event %s failed", event_id)
                session.rollback()
                continue
            if status == outbox.PENDING and "outbox_relay_wake" in app.extensions:
                app.extensions["outbox_relay_wake"].set()
    if here and app.config["OUTBOX_DISPATCH"] == "celery":
        _publish([event_id for event_id, _topic in session.info.pop("outbox_committed", None) or ()])


def _publish(event_ids: list[int]) -> None:
    for event_id in event_ids:
        if not publish(deliver_event, event_id):
            break  # the broker is away for the rest too; they stay pending for the sweep


def relay_forever(app: Any, wake: threading.Event) -> None:
    """The embedded relay thread: delivers what requests left pending (outward handlers,
    failures due for a retry) when woken by a request, else every OUTBOX_RELAY_SECONDS;
    until `stop_relay_thread`."""
    while app.extensions.get("outbox_relay_wake") is wake:
        wake.wait(app.config["OUTBOX_RELAY_SECONDS"])
        wake.clear()
        if app.extensions.get("outbox_relay_wake") is not wake:
            return
        with app.app_context():
            try:
                outbox.sweep(db_session(), app.config["OUTBOX_MAX_ATTEMPTS"])
                dispatch_committed(app)
            except Exception:  # the next round tries again
                log.exception("outbox relay round failed")
                db_session.rollback()


def start_relay_thread(app: Any) -> threading.Thread:
    wake = app.extensions["outbox_relay_wake"] = threading.Event()
    thread = threading.Thread(target=relay_forever, args=(app, wake), daemon=True, name="outbox-relay")
    thread.start()
    return thread


def stop_relay_thread(app: Any) -> None:
    wake = app.extensions.pop("outbox_relay_wake", None)
    if wake is not None:
        wake.set()


def init_relay(app: Any) -> None:
    if app.config["OUTBOX_DISPATCH"] == "inline":
        starting = threading.Lock()

        # At the first request, not at create_app: a CLI command (a migration, the demo
        # seed) makes an app too, and must not get a thread delivering beside it.
        @app.before_request
        def _start_relay_thread() -> None:
            if app.config["OUTBOX_RELAY_THREAD"] and "outbox_relay_wake" not in app.extensions:
                with starting:
                    if "outbox_relay_wake" not in app.extensions:
                        start_relay_thread(app)

    @app.teardown_request
    def _dispatch(_exc: BaseException | None) -> None:
        # The answer is decided and the events are committed: a failure here (the
        # database gone since) is the sweep's to repair, never the visitor's error page.
        try:
            dispatch_committed(app)
        except Exception:
            log.exception("dispatching committed events failed; the sweep delivers them")
