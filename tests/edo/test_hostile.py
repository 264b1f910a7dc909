"""A hostile review of the contracts feature: each test names a problem found, and failed
before its fix."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.customers.models import Company
from core.db import make_engine
from core.errors import DomainError
from core.outbox import OutboxEvent
from edo.generate import generate_contract
from edo.handlers import send_approved_contract
from edo.models import Contract
from edo.template_versions import install_template
from edo.vchasno.client import retry_after_seconds
from tests.edo.conftest import IBAN, approve, documents, events, fail_next, register, relay
from tests.own_database import own_database, seed_customers  # noqa: F401  the fixture


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


def test_a_contract_superseded_while_its_upload_is_in_flight_is_not_sent(
    edo: Flask, vchasno_emulator: str, own_database: str,  # noqa: F811
) -> None:
    """The upload handler read "approved", then talked to Vchasno; a new contract generated
    meanwhile superseded it, and the handler wrote "sent" over "superseded" (PostgreSQL):
    the customer got a contract we had replaced, beside its replacement. Now the handler
    holds the contract's row and generation waits for it, then finds it with the customer."""
    seed_customers(own_database, 1, Decimal("1"))
    engine = make_engine(own_database)
    with Session(engine) as session:
        install_template(session)
        company = session.scalar(select(Company))
        for name, value in {"email": "office@race.example", "legal_address": "м. Київ", "iban": IBAN,
                            "signer_name": "Петренко Іван", "signer_position": "директор",
                            "signing_basis": "Статуту"}.items():
            setattr(company, name, value)
        contract = generate_contract(session, company, None)
        contract.status = "approved"
        session.commit()
        company_id, contract_id = company.id, contract.id
    register(vchasno_emulator, company.tax_id)
    fail_next(vchasno_emulator, "slow", seconds="2")  # the handler's first call to Vchasno
    problems: list[BaseException] = []

    def upload() -> None:
        try:
            with edo.app_context(), Session(engine) as session:  # as a worker runs it: no request
                send_approved_contract(session, OutboxEvent(topic="contract.approved", attempts=0,
                                                            payload={"contract_id": contract_id}))
                session.commit()
        except BaseException as exc:  # surfaced below, not lost in the thread
            problems.append(exc)

    handler = threading.Thread(target=upload)
    handler.start()
    time.sleep(0.7)  # the handler is waiting for Vchasno's answer now
    refused = False
    with edo.test_request_context(method="POST"), Session(engine) as session:  # the company card's button
        try:
            generate_contract(session, session.get(Company, company_id), None)
            session.commit()
        except DomainError:
            refused = True
    handler.join(timeout=30)
    with Session(engine) as session:
        statuses = dict(session.execute(select(Contract.id, Contract.status)).all())
    engine.dispose()
    assert problems == []
    # Either one happened, never both: the old one went to the customer and no new one was
    # made, or it was superseded and never sent.
    if statuses[contract_id] == "sent":
        assert refused and list(statuses) == [contract_id]
    else:
        assert statuses[contract_id] == "superseded" and documents(vchasno_emulator) == []
