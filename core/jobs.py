"""Periodic jobs: registered by the package that owns them, run by Celery beat in
production and by the demo server's background thread in the embedded default.

A job is a function of a session that does its work and commits; it must be safe to
run again at any time (a second beat, an overlap with a slow previous run).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from core import relay
from core.celery import celery_app
from core.db import db_session

log = logging.getLogger(__name__)


# The default Celery queue: the outbox's deliveries and most jobs.
DEFAULT_QUEUE = "celery"


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[Session], Any]
    queue: str = DEFAULT_QUEUE


jobs: dict[str, Job] = {}


def periodic(name: str, every_seconds: float, queue: str = DEFAULT_QUEUE
             ) -> Callable[[Callable[[Session], Any]], Callable[[Session], Any]]:
    """`queue`: a job that may take long (sending a batch of messages) runs on its own
    queue, so its workers never hold up the outbox's deliveries."""
    def register(fn: Callable[[Session], Any]) -> Callable[[Session], Any]:
        jobs[name] = Job(name, every_seconds, fn, queue)
        return fn

    return register


def enabled_jobs(app: Any) -> list[Job]:
    """The kernel's jobs and the enabled features' (a disabled feature's module may have
    been imported by an earlier app of the same process)."""
    registry = app.extensions["features"]
    return [job for job in jobs.values() if registry.owns(job.run.__module__)]


def init_jobs(app: Any) -> None:
    """Celery beat's schedule: the outbox sweep and this app's jobs."""
    celery_app.conf.beat_schedule = {
        "outbox-sweep": {"task": "outbox.sweep", "schedule": 15.0},
        **{f"job:{job.name}": {"task": "jobs.run", "schedule": job.every_seconds, "args": (job.name,),
                               "options": {"queue": job.queue}}
           for job in enabled_jobs(app)},
    }


def run_job(name: str) -> Any:
    try:
        result = jobs[name].run(db_session())
    except Exception:
        db_session.rollback()
        raise
    # The events a job commits (reminders, digests) go to the relay now, not at the next sweep.
    relay.dispatch_committed(current_app._get_current_object())
    return result


@celery_app.task(name="jobs.run")
def run_job_task(name: str) -> None:
    run_job(name)


def run_due(app: Any, last_run: dict[str, float]) -> None:
    """One round of the demo server's loop: every job whose interval has passed."""
    now = time.monotonic()
    for job in enabled_jobs(app):
        if now - last_run.get(job.name, 0.0) < job.every_seconds:
            continue
        last_run[job.name] = now
        with app.app_context():
            try:
                run_job(job.name)
            except Exception:  # the next round tries again
                log.exception("job %s failed", job.name)
