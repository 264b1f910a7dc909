"""Quiet hours: an SMS that would arrive at night waits for the morning, never dropped."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from core.clock import kyiv_moment, kyiv_now


def parse_window(spec: str) -> tuple[time, time]:
    """"21:00-08:00" -> (21:00, 08:00); an empty spec means no quiet hours."""
    start, end = (part.strip() for part in spec.split("-"))
    return time.fromisoformat(start), time.fromisoformat(end)


def next_allowed(moment: datetime, spec: str) -> datetime:
    """`moment` itself when it is outside the window, otherwise the window's end (aware, UTC)."""
    if not spec.strip():
        return moment
    start, end = parse_window(spec)
    local = kyiv_now(moment)
    now = local.time()
    inside = (start <= now or now < end) if start > end else (start <= now < end)
    if not inside:
        return moment
    end_day = local.date() if now < end else local.date() + timedelta(days=1)
    return kyiv_moment(end_day, end).astimezone(moment.tzinfo)
