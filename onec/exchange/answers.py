"""What the exchange answers 1C: plain-text lines; and its refusals, each logged as a failed run."""
from __future__ import annotations

import logging

from flask import Response, current_app
from limits import parse

from core.auth import limiter
from core.clock import utcnow
from core.db import db_session
from onec.models import ExchangeRun

log = logging.getLogger(__name__)
# The run's entity for each exchange type; a request of no known type is logged as "exchange".
ENTITY_OF_TYPE = {"catalog": "catalog", "sale": "orders"}


class Refused(Exception):
    """A request the exchange does not serve: answered `failure` and the reason with an HTTP
    status (401 for credentials and cookies, 4xx for bad input), and logged as a failed run
    with `code: detail`. The rate limit counts these answers, so a flood of them stops at
    the limit instead of filling the log."""

    def __init__(self, code: str, detail: str, status: int = 400, *, file_name: str | None = None) -> None:
        detail = printable(detail)
        super().__init__(f"{code}: {detail}")
        self.code, self.detail, self.status = code, detail, status
        self.file_name = printable(file_name) if file_name else None


def printable(text: str) -> str:
    """What a request sent, fit for the log and the answer: a NUL or a line break written
    out (PostgreSQL's text refuses NUL; 1C reads the answer line by line)."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def lines(*parts: str, status: int = 200) -> Response:
    """1C reads the body line by line: the first is success, progress or failure."""
    return Response("\n".join(parts), status=status, mimetype="text/plain")


def failure(reason: str, status: int = 200) -> Response:
    # One line: 1C shows the second line to its user, a line break inside would cut it.
    return lines("failure", " ".join(reason.split()), status=status)


def log_refusal(exchange_type: str | None, refused: Refused) -> None:
    """The refusal as a failed run of its own: whatever the request had begun is rolled back first."""
    db_session.rollback()
    if not _may_log_refusal():
        log.warning("1C exchange refusal not kept as a run (ONEC_EXCHANGE_REFUSAL_LOG_LIMIT): %s", refused)
        return
    now = utcnow()
    db_session.add(ExchangeRun(
        direction="in", entity=ENTITY_OF_TYPE.get(exchange_type or "", "exchange"), source="commerceml",
        status="failed", started_at=now, finished_at=now, error=f"{refused.code}: {refused.detail}"[:4000],
        file_name=(refused.file_name or None) and refused.file_name[-255:],
    ))
    db_session.commit()


def _may_log_refusal() -> bool:
    """The endpoint limits refusals per address; a flood from many addresses at once would
    still write a run each. Past ONEC_EXCHANGE_REFUSAL_LOG_LIMIT, all addresses together,
    refusals go to the process log only: answered the same, but the table stays small."""
    if not limiter.enabled:
        return True
    allowed = parse(current_app.config["ONEC_EXCHANGE_REFUSAL_LOG_LIMIT"])
    return limiter.limiter.hit(allowed, "onec-exchange-refusal-runs")
