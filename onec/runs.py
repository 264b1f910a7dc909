"""Exchange runs that found nothing: a pull every minute or 1C asking for new orders every
few minutes keeps one row saying when it last looked, the newest, not 1,440 a day. The
sync page's "last success" and the stalled-exchange check read that row."""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from onec.models import ExchangeRun


def is_empty(run: ExchangeRun) -> bool:
    return run.status == "success" and not (run.created or run.updated or run.unchanged or run.skipped)


def keep_only_newest_empty(session: Session, run: ExchangeRun) -> None:
    """After an empty `run` is flushed: the earlier empty runs of its kind go."""
    if not is_empty(run):
        return
    session.execute(delete(ExchangeRun).where(
        ExchangeRun.entity == run.entity, ExchangeRun.source == run.source, ExchangeRun.direction == run.direction,
        ExchangeRun.status == "success", ExchangeRun.id < run.id, ExchangeRun.created == 0, ExchangeRun.updated == 0,
        ExchangeRun.unchanged == 0, ExchangeRun.skipped == 0, ExchangeRun.retry_of.is_(None),
    ))
