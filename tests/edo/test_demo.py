"""The demo's contracts: the built-in template, requisites on the cards (one without its
signer), a contract waiting for the lawyer, one returned with a comment, and one in each
state Vchasno gives (with the customer, signed, rejected, its customer not registered)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

import demo
from core.customers.models import Company
from core.ids import iban_is_valid
from core.outbox import OutboxEvent
from edo.generate import missing_requisites
from edo.models import Contract, ContractTemplate

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)


def test_the_demo_shows_contracts_in_the_lawyers_hands(app, db):
    with app.test_request_context():
        demo.seed_demo(db, products=120, companies=12, orders=30, seed=5, now=NOW)
    assert db.scalar(select(ContractTemplate.version)) == 1
    companies = list(db.scalars(select(Company).order_by(Company.id)))
    assert all(iban_is_valid(company.iban) for company in companies)
    assert missing_requisites(companies[2]) == ["Підписант (ПІБ)"]
    assert [company.id for company in companies if missing_requisites(company)] == [companies[2].id]
    by_status = {contract.status: contract for contract in db.scalars(select(Contract))}
    assert set(by_status) == {"review", "returned", "sent", "signed", "rejected", "approved"}
    assert [by_status[state].company_id for state in ("sent", "signed", "rejected", "approved")] == [
        company.id for company in companies[5:9]]
    assert by_status["signed"].signed_file is not None and by_status["approved"].last_error == "waiting_registration"
    # Sent by the seed itself: nothing left for a process without the demo's Vchasno to try.
    assert db.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.topic == "contract.approved", OutboxEvent.status != "done")) == 0
    assert by_status["review"].company_id == companies[3].id
    assert by_status["returned"].history[-1].comment.startswith("Уточніть підставу підпису")
    assert db.scalar(select(Contract.id).where(Contract.company_id == companies[0].id)) is None  # the walk-through's cafe
