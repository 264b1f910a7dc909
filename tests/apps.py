"""An app of its own configuration beside the suite's one (a dead broker, a dead
database, a trusted proxy, a real server on a database of its own)."""
from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from core.app import create_app
from core.celery import celery_app, init_celery
from core.jobs import init_jobs
from core.db import db_session
from tests.config import TestConfig

# A process started by a test runs the production config, which refuses to start
# without real keys: it gets the suite's own.
SIGNING_ENV = {name: getattr(TestConfig, name) for name in ("SECRET_KEY", "LIQPAY_PUBLIC_KEY", "LIQPAY_PRIVATE_KEY", "ONEC_EXCHANGE_PASSWORD")}


def _forget_broker_connections() -> None:
    # Celery keeps the connection and producer pools of the first broker it published
    # to; an app with another broker must not publish through them.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def separate_app(suite_app: Flask, config: Any, *, own_sessions: bool = True) -> Iterator[Flask]:
    """`create_app` binds the shared scoped session and the Celery app to the new app;
    both go back to the suite's app afterwards, so later tests find them as they were.

    `own_sessions=False`: requests keep the session binding the test had (the `db`
    fixture's rolled-back transaction), only the configuration differs.
    """
    bound_before = db_session.session_factory.kw.get("bind")
    with warnings.catch_warnings():
        # The test's own session (the `db` fixture) stays as it is, on purpose.
        warnings.filterwarnings("ignore", message="At least one scoped session is already present")
        app = create_app(config)
    _forget_broker_connections()
    if not own_sessions:
        db_session.remove()
        db_session.configure(bind=bound_before)
    try:
        yield app
    finally:
        db_session.remove()
        db_session.configure(bind=bound_before)
        init_celery(suite_app)
        init_jobs(suite_app)
        _forget_broker_connections()
        app.extensions["db_engine"].dispose()
