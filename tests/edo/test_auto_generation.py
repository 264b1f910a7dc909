"""Contracts nobody asked for by hand: at a company's first order and when its payment
terms change; a redelivered event makes no second contract; a card lacking a requisite is
skipped, not failed."""
from __future__ import annotations

import time
from decimal import Decimal

from sqlalchemy import select

from core import outbox
from core.customers.services import save_company
from core.orders.services import Actor, submit_order
from core.outbox import OutboxEvent
from edo.auto_contracts import contract_at_first_order, contract_on_new_terms
from edo.models import Contract


def contracts(db, company) -> list[Contract]:
    return list(db.scalars(select(Contract).where(Contract.company_id == company.id).order_by(Contract.id)))


def latest_event(db, topic: str) -> OutboxEvent:
    return db.scalar(select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id.desc()))


def submit(app, db, user, make_product) -> OutboxEvent:
    product = make_product(prices={"wholesale": "100.00"})
    with app.test_request_context():
        submit_order(db, user.company, [(product.id, Decimal("2"))], actor=Actor.of(user),
                     idempotency_key=f"k{time.monotonic_ns()}", delivery_point_id=user.company.delivery_points[0].id)
        db.flush()
    return latest_event(db, "order.submitted")


def deliver(app, db, event: OutboxEvent) -> None:
    with app.app_context():
        assert outbox.deliver(db, event.id) == "done"


def test_the_first_order_generates_a_contract_once(app, db, ready_company, make_user, make_product, template):
    user = make_user(ready_company)
    first = submit(app, db, user, make_product)
    deliver(app, db, first)
    [contract] = contracts(db, ready_company)
    assert contract.reason == "first_order" and contract.status == "review" and contract.created_by_id is None
    assert contract.history[0].staff_user_id is None and contract.snapshot["manager_name"] == "Коваль Олена"
    # the same event again (a worker died before it recorded the delivery), then the next order
    with app.app_context():
        contract_at_first_order(db, first)
    deliver(app, db, submit(app, db, user, make_product))
    assert contracts(db, ready_company) == [contract]


def test_a_company_with_missing_requisites_is_skipped_not_failed(app, db, make_company, make_user, make_product, template):
    company = make_company(email="x@y.example")
    deliver(app, db, submit(app, db, make_user(company), make_product))  # "done", not failed
    assert contracts(db, company) == []


def test_a_change_of_terms_replaces_the_contract_once(app, db, ready_company, manager, generate):
    signed = generate(ready_company, manager)
    signed.status = "signed"
    db.flush()
    with app.test_request_context():
        save_company(db, ready_company, name=ready_company.name, kind="legal", tax_id=ready_company.tax_id,
                     price_type_id=ready_company.price_type_id, payment_terms="advance", advance_percent=30,
                     manager_id=manager.id, email=ready_company.email)
        db.flush()
    event = latest_event(db, "company.terms_changed")
    deliver(app, db, event)
    with app.app_context():
        contract_on_new_terms(db, event)  # redelivered: the newest contract already states these terms
    old, new = contracts(db, ready_company)
    assert old.status == "signed" and new.status == "review" and new.reason == "terms_changed"
    assert (new.snapshot["payment_terms_kind"], new.snapshot["advance_percent"]) == ("advance", 30)


def test_new_terms_supersede_a_contract_still_in_review(app, db, ready_company, manager, generate):
    first = generate(ready_company, manager)
    ready_company.payment_terms, ready_company.deferral_days = "prepayment", 0
    db.flush()
    with app.app_context():
        contract_on_new_terms(db, outbox.emit(db, "company.terms_changed", {"company_id": ready_company.id}))
    old, new = contracts(db, ready_company)
    assert old.id == first.id and old.status == "superseded" and new.snapshot["payment_terms_kind"] == "prepayment"


def test_new_terms_leave_a_contract_with_the_customer_alone(app, db, ready_company, manager, generate):
    sent = generate(ready_company, manager)
    sent.status = "sent"
    ready_company.payment_terms = "prepayment"
    db.flush()
    with app.app_context():
        contract_on_new_terms(db, outbox.emit(db, "company.terms_changed", {"company_id": ready_company.id}))
    assert contracts(db, ready_company) == [sent]
