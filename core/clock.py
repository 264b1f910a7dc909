"""The one clock: UTC now, and the Kyiv calendar every due date, quiet hour and report
counts in. The demo sets it to a past moment to build history through the services."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")

_frozen: ContextVar[datetime | None] = ContextVar("frozen_clock", default=None)


def utcnow() -> datetime:
    moment = _frozen.get()
    return moment if moment is not None else datetime.now(timezone.utc)


def kyiv_now(now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(KYIV)


def kyiv_today(now: datetime | None = None) -> date:
    return kyiv_now(now).date()


def kyiv_moment(day: date, at: time = time.min) -> datetime:
    """The UTC moment a Kyiv wall clock shows `at` on `day` (by default the day's start,
    what "created on this day" is compared with). Built from the local date and time, so
    a DST change lands on the wall-clock hour."""
    return datetime.combine(day, at, tzinfo=KYIV).astimezone(timezone.utc)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block, `utcnow()` answers `moment` (timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError("the clock is set to an aware moment")
    token = _frozen.set(moment.astimezone(timezone.utc))
    try:
        yield
    finally:
        _frozen.reset(token)
