"""Staff retry a failed exchange from the sync page.

What a retry is depends on where the run came from (`RETRIES`, by `ExchangeRun.source`): a
file run is imported again from the same file, as a new run pointing at the failed one
(`retry_of`, unique: a double click or two people at once make one retry). A failed pull
from 1C's web service is retried by pulling its entity now. A push to 1C is retried with
its outbox event: the events still owed to 1C's handlers are put back in the queue.
"""
from __future__ import annotations

import glob
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import outbox
from core.errors import DomainError
from core.files.models import StoredFile
from core.files.services import read_file
from core.outbox import OutboxEvent
from onec.cli import options_from_config
from onec.exchange.sessions import exchange_root
from onec.importer import import_file
from onec.models import ExchangeRun
from onec.pull.run import pull
from onec.soap.client import service_client
from onec.sync import HANDLER_PREFIX


@dataclass(frozen=True)
class Retried:
    run: ExchangeRun
    # True when the run had been retried already: this is that retry, nothing new ran.
    earlier: bool = False


def _retry_of(session: Session, run: ExchangeRun) -> ExchangeRun | None:
    return session.scalar(select(ExchangeRun).where(ExchangeRun.retry_of == run.id))


def _in_exchange_dir(run: ExchangeRun) -> Path | None:
    """The file of the run's name in the exchange folder, the latest if 1C left several.
    Not necessarily the bytes the run read: a file imported while 1C was still sending
    it failed as truncated, and the whole one is what a retry should read (the new run
    keeps its SHA-256)."""
    folder = exchange_root()
    if not run.file_name or not folder.is_dir():
        return None
    found = [path for path in folder.rglob(glob.escape(run.file_name)) if path.is_file()]
    return max(found, key=lambda path: path.stat().st_mtime, default=None)


def _retry_file(session: Session, run: ExchangeRun) -> ExchangeRun:
    found = _in_exchange_dir(run)
    if found is not None:
        # Images lie beside the package's files, as for the first import.
        return import_file(session, found, source=run.source, options=options_from_config(found.parent),
                           retry_of=run.id)
    stored = session.scalar(select(StoredFile).where(StoredFile.sha256 == run.file_sha256).limit(1)) \
        if run.file_sha256 else None
    if stored is None:
        raise DomainError(gettext(
            "Файлу «%(name)s» уже немає ні в папці обміну, ні у сховищі файлів: "
            "повторити можна, лише коли 1С надішле його знову.", name=run.file_name or "—"))
    with tempfile.TemporaryDirectory() as folder:
        # Under its own name: the name says which part of a package it is (offers___…).
        path = Path(folder) / Path(run.file_name or stored.name).name
        path.write_bytes(read_file(stored))
        return import_file(session, path, source=run.source, options=options_from_config(None), retry_of=run.id)


def _retry_pull(session: Session, run: ExchangeRun) -> ExchangeRun:
    """The entity pulled now from its cursor: what the failed run did not take, and since."""
    client = service_client(current_app)
    if client is None:
        raise DomainError(gettext("Веб-сервіс 1С не налаштовано (ONEC_SERVICE_URL): отримати зміни нема звідки."))
    runs = pull(session, client, [run.entity], limit=current_app.config["ONEC_PULL_LIMIT"],
                options=options_from_config(None))
    if runs is None:
        raise DomainError(gettext("Зміни з 1С саме отримуються: спробуйте за хвилину."))
    [again] = runs
    again.retry_of = run.id
    session.commit()
    return again


RETRIES: dict[str, Callable[[Session, ExchangeRun], ExchangeRun]] = {
    "commerceml": _retry_file,
    "cli": _retry_file,
    "soap": _retry_pull,
}


def can_retry(run: ExchangeRun) -> bool:
    """A push to 1C (direction out) is its outbox event's to retry: the backlog's button."""
    return run.status == "failed" and run.source in RETRIES and not (run.source == "soap" and run.direction == "out")


def retry_run(session: Session, run_id: int) -> Retried:
    """Run a failed run again; commits (the importer does). DomainError when it cannot be."""
    query = select(ExchangeRun).where(ExchangeRun.id == run_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # a second click waits here for the first retry
    run = session.scalars(query).first()
    if run is None:
        raise LookupError(run_id)
    if run.status != "failed":
        raise DomainError(gettext("Обмін №%(id)s не завершився помилкою — повторювати нічого.", id=run.id))
    earlier = _retry_of(session, run)
    if earlier is not None:
        return Retried(earlier, earlier=True)
    retry = RETRIES.get(run.source) if can_retry(run) else None
    if retry is None:
        raise DomainError(gettext("Надсилання №%(id)s до 1С повторює його подія в черзі до 1С "
                                  "(«Повторити невдалі»).", id=run.id))
    try:
        return Retried(retry(session, run))
    except IntegrityError:
        # Another retry of the same run committed first (its unique retry_of): that one stands.
        session.rollback()
        return Retried(_retry_of(session, run), earlier=True)  # type: ignore[arg-type]


def retry_failed_events(session: Session) -> int:
    """Put every failed event that 1C's handlers still owe back in the queue; flushes.
    Handlers that delivered it already skip it (core.outbox.deliver)."""
    ids = list(session.scalars(
        select(OutboxEvent.id).where(outbox.owed_to(session, HANDLER_PREFIX), OutboxEvent.status == outbox.FAILED)
    ))
    for event_id in ids:
        outbox.retry_failed(session, event_id)
    return len(ids)
