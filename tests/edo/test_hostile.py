"""A hostile review of the contracts feature: each test names a problem found, and failed
before its fix."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from core.clock import utcnow
from core.customers.models import Company
from edo.models import Contract
from edo.vchasno.client import retry_after_seconds
from tests.edo.conftest import approve, events, fail_next, relay


def test_a_429_with_an_absurd_retry_after_waits_an_hour_at_most(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    """A Retry-After of centuries (or NaN) overflowed the relay's date arithmetic: the event
    was neither retried later nor failed, and was taken again on every sweep."""
    contract = make_contract(buyer_company)
    fail_next(vchasno_emulator, "rate_limited", retry_after="99999999999999")
    approve(db, contract)
    relay(db, rounds=1)
    [event] = events(db, "contract.approved")
    assert event.status == "pending" and event.attempts == 1 and "rate_limited" in event.last_error
    assert utcnow() < event.next_attempt_at <= utcnow() + timedelta(hours=1, seconds=5)


@pytest.mark.parametrize(("header", "seconds"), [("nan", None), ("inf", 3600.0), ("1e300", 3600.0), ("-5", 0.0),
                                                 ("120", 120.0), ("Fri, 31 Dec 9999 23:59:59 GMT", 3600.0)])
def test_retry_after_is_a_finite_wait_of_an_hour_at_most(header: str, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds
