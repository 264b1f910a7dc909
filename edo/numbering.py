"""Contract numbers: EDO_CONTRACT_NUMBER_FORMAT with a counter per calendar year (Kyiv).

Unique, not gap-free: a number taken by a generation that rolled back is simply skipped.
Two generations at once must not take the same number: on PostgreSQL a transaction-scoped
advisory lock makes them take turns (the second reads the first's number once it has
committed); SQLite lets one writer at a time anyway. The unique index on the number is the
last guard either way.
"""
from __future__ import annotations

import re
import zlib
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.clock import kyiv_today
from edo.models import Contract

# pg_advisory_xact_lock takes a bigint: this one stands for "contract numbering".
_LOCK_KEY = zlib.crc32(b"edo.contract_number")


def take_turn(session: Session) -> None:
    """Wait for any other generation to commit: held until this transaction ends. Taken
    before a company's unsigned contracts are read, so two generations for one company
    cannot both leave the other's contract in place either."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def next_number(session: Session, now: datetime) -> str:
    number_format = current_app.config["EDO_CONTRACT_NUMBER_FORMAT"]
    year = kyiv_today(now).year
    prefix = number_format[: number_format.index("{seq")].format(year=year)
    last = session.scalar(select(func.max(Contract.number)).where(Contract.number.startswith(prefix, autoescape=True)))
    counted = re.match(r"\d+", last[len(prefix):]) if last else None
    return number_format.format(year=year, seq=int(counted.group()) + 1 if counted else 1)
