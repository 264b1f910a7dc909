"""mode=import: the named file imported beside the request, its end told to every request
that asks (1C's retry of a call a proxy cut off hears the same end) until a POST or init
starts something new.

A file commits whole or not at all (onec/importer), so its import is not cut into steps
over several requests; a large one (50,000 products: about a minute) outlasts a request's
timeout (gunicorn's 30 s), and a killed request would roll it all back for 1C to retry
into the same wall. So the first import call of a file starts it in a thread of the
process and waits up to ONEC_EXCHANGE_IMPORT_WAIT_SECONDS; until it ends each call
answers `progress`. The session row says which file runs and, once it ended, its run: any
process (gunicorn workers, the embedded server) answers from the database, no broker
needed. An import whose process died never ends: after ONEC_EXCHANGE_IMPORT_LOST_MINUTES
it is answered failure (a retry imports the same again, changing nothing twice).
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from core.clock import utcnow
from core.db import db_session
from onec.cli import options_from_config
from onec.importer import import_file
from onec.models import ExchangeRun, ExchangeSession

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2


def import_step(session: ExchangeSession, filename: str, path: Path, folder: Path, config: Any) -> ExchangeRun | None:
    """The file's run once its import ended, or None: still running."""
    if session.import_name != filename:
        started = utcnow()
        session.import_name, session.import_started_at, session.import_run_id = filename, started, None
        db_session.commit()
        worker = threading.Thread(target=_import_in_thread, name=f"onec-import-{session.id}", daemon=True,
                                  args=(current_app._get_current_object(), session.id, started, path, folder))
        worker.start()
        worker.join(config["ONEC_EXCHANGE_IMPORT_WAIT_SECONDS"])
    else:
        db_session.commit()  # the session row's lock is not held while waiting
        _wait(session.id, config["ONEC_EXCHANGE_IMPORT_WAIT_SECONDS"])
    current = db_session.scalar(select(ExchangeSession).where(ExchangeSession.id == session.id).with_for_update())
    db_session.refresh(current)
    if current.import_name != filename:
        # A call beside this one heard the import lost and freed the slot: the next call starts it anew.
        db_session.commit()
        return None
    if current.import_run_id is not None:
        run = db_session.get_one(ExchangeRun, current.import_run_id)
        db_session.commit()
        return run
    if _lost(current, config):
        run = _failed_run(filename, "import_lost: the import did not end; its process may have stopped")
        db_session.add(run)
        current.import_name = current.import_started_at = current.import_run_id = None
        db_session.commit()
        return run
    db_session.commit()
    return None


def running(session: ExchangeSession, config: Any) -> str | None:
    """The file this session is importing now: its import neither ended nor lost."""
    if session.import_name is None or session.import_run_id is not None or session.import_started_at is None:
        return None
    return None if _lost(session, config) else session.import_name


def _lost(session: ExchangeSession, config: Any) -> bool:
    return session.import_started_at + timedelta(minutes=config["ONEC_EXCHANGE_IMPORT_LOST_MINUTES"]) < utcnow()


def _wait(session_id: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if db_session.scalar(select(ExchangeSession.import_run_id).where(ExchangeSession.id == session_id)):
            return
        db_session.commit()  # a fresh snapshot for the next look
        time.sleep(POLL_SECONDS)


def _import_in_thread(app: Flask, session_id: int, started: datetime, path: Path, folder: Path) -> None:
    with app.app_context():
        try:
            try:
                run = import_file(db_session, path, source="commerceml", options=options_from_config(folder))
            except Exception as error:  # a bug or a lost database: still an end 1C must hear of
                log.exception("CommerceML import of %s failed", path)
                db_session.rollback()
                run = _failed_run(path.name, f"import_error: {type(error).__name__}")
                db_session.add(run)
                db_session.flush()
            slot = db_session.get(ExchangeSession, session_id, with_for_update=True)
            # Told only to the slot that still waits for this import: one that hung past
            # ONEC_EXCHANGE_IMPORT_LOST_MINUTES was answered lost and may have been retried
            # since (its end would be taken for the retry's); a swept session has no slot.
            if slot is not None and slot.import_started_at == started:
                slot.import_run_id = run.id
            db_session.commit()
        finally:
            db_session.remove()


def _failed_run(filename: str, error: str) -> ExchangeRun:
    now = utcnow()
    return ExchangeRun(direction="in", entity="catalog", source="commerceml", status="failed", started_at=now,
                       finished_at=now, error=error, file_name=filename[-255:])
