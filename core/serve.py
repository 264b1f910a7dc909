"""`flask serve-demo`: the embedded default in one process.

Werkzeug's threaded server for the portal and the backoffice, plus a background
sweep that delivers outbox events the inline relay could not (retries with backoff)
and runs the periodic jobs (core/jobs.py) that Celery beat runs in production.
Production runs gunicorn, a Celery worker and beat instead (see README).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from core import jobs, outbox
from core.db import db_session

log = logging.getLogger(__name__)


def _sweep_forever(app: Any, interval: float) -> None:
    last_run: dict[str, float] = {}
    while True:
        time.sleep(interval)
        with app.app_context():
            try:
                outbox.sweep(db_session(), app.config["OUTBOX_MAX_ATTEMPTS"])
            except Exception:  # keep sweeping; the next round retries
                log.exception("outbox sweep failed")
        jobs.run_due(app, last_run)


@click.command("serve-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--sweep-interval", default=5.0, show_default=True, type=float)
@with_appcontext
def serve_demo(host: str, port: int, sweep_interval: float) -> None:
    """Serve the portal (/) and the backoffice (/staff) with the outbox relay."""
    app = current_app._get_current_object()
    threading.Thread(target=_sweep_forever, args=(app, sweep_interval), daemon=True, name="outbox-sweep").start()
    click.echo(f"portal:     http://{host}:{port}/")
    click.echo(f"backoffice: http://{host}:{port}/staff/")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
