"""Celery app: tasks run in a Flask app context, take ids, and own their commit."""
from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task

from core.db import db_session

log = logging.getLogger(__name__)

celery_app = Celery("portal")
# How long publishing waits for a broker that does not answer. A task is published after
# the work it follows was committed, so a request must not hang on a dead broker: the
# sweep (or the periodic job) picks up what was not sent.
BROKER_CONNECT_TIMEOUT_SECONDS = 2


def init_celery(app: Any) -> Celery:
    broker = app.config["REDIS_URL"] or "memory://"

    class AppContextTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db_session.remove()

    celery_app.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        # A worker killed mid-task leaves the message unacknowledged, so another takes it.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=4,
        broker_connection_retry_on_startup=True,
        # Publishing tries once and gives up at once (no retry loop on the request's time).
        task_publish_retry=False,
        broker_connection_timeout=BROKER_CONNECT_TIMEOUT_SECONDS,
        broker_transport_options={
            "socket_connect_timeout": BROKER_CONNECT_TIMEOUT_SECONDS,
            "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2,
        },
    )
    celery_app.Task = AppContextTask
    celery_app.flask_app = app
    app.extensions["celery"] = celery_app
    return celery_app


def publish(task: Task, *args: Any) -> bool:
    """Send a task after a commit; False when the broker is away.

    What the task would do is already committed and found again by a sweep or a periodic
    job, so nothing the broker answers may turn the caller's success into an error.
    """
    try:
        task.delay(*args)
    except Exception as exc:  # kombu's OperationalError, or whatever the transport raises
        log.error("broker unavailable, %s%r left to the sweep: %s: %s", task.name, args, type(exc).__name__, exc)
        return False
    return True
