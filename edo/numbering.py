"""Contract numbers: EDO_CONTRACT_NUMBER_FORMAT with a counter per calendar year (Kyiv).

Unique, not gap-free (the issue asks no more): on PostgreSQL the year's counter row moves
in a short transaction of its own, so two generations at once get two numbers without
either waiting for the other's render and commit; a generation that then rolls back leaves
a gap. SQLite has one writer at a time, so there the counter moves in the generation's own
transaction. The unique index on the number is the last guard either way. The first number
of a year, or after the counter table is new, continues from the largest number of that
year already given (which is why the format pads {seq}: the largest sorts last).
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.clock import kyiv_today
from core.db import app_of
from edo.models import Contract

_TAKE = text(
    "INSERT INTO contract_number_counter (year, last_seq) VALUES (:year, :first) "
    "ON CONFLICT (year) DO UPDATE SET last_seq = contract_number_counter.last_seq + 1 RETURNING last_seq"
)


def next_number(session: Session, now: datetime) -> str:
    number_format = current_app.config["EDO_CONTRACT_NUMBER_FORMAT"]
    year = kyiv_today(now).year
    prefix = number_format[: number_format.index("{seq")].format(year=year)
    values = {"year": year, "first": _largest_given(session, prefix) + 1}
    if session.get_bind().dialect.name == "postgresql":
        with app_of(session).extensions["db_engine"].connect() as own:
            seq = own.execute(_TAKE, values).scalar_one()
            own.commit()
    else:
        seq = session.execute(_TAKE, values).scalar_one()
    return number_format.format(year=year, seq=seq)


def _largest_given(session: Session, prefix: str) -> int:
    last = session.scalar(select(func.max(Contract.number)).where(Contract.number.startswith(prefix, autoescape=True)))
    counted = re.match(r"\d+", last[len(prefix):]) if last else None
    return int(counted.group()) if counted else 0
