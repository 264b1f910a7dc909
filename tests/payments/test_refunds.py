"""Refunds never return more than was paid: each is decided on what is already refunded
or on its way back, under a lock on the payment, and LiqPay is never asked twice for
one refund. A permanent refusal ends the refund (failed, with LiqPay's code for staff);
a LiqPay that is down leaves it to the outbox's next attempt."""
from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.clock import kyiv_today
from core.errors import DomainError
from core.outbox import OutboxEvent, deliver
from core.staff.models import StaffUser
from payments.models import Payment, PaymentStatusChange, Refund
from payments.refunds import carry_out, request_refund
from tests.conftest import login
from tests.payments.conftest import eventually, invoices_of, liqpay_form


@pytest.fixture
def paid(live: Any, db: Any, customer: Any, confirmed_order: Any, browser: Any) -> tuple[Payment, Any]:
    """A card payment of 300.00 made at the emulator and recorded by its callback."""
    (invoice,) = invoices_of(db, confirmed_order(customer))
    live.pay(liqpay_form(browser(customer).post("/invoices/pay", data={"invoice": [invoice.id]}).text))
    db.expire_all()
    return db.query(Payment).filter_by(source="liqpay").one(), invoice


def carried_out(db: Any, refund: Refund) -> None:
    """Commit the request (a savepoint here) and let the outbox carry it out."""
    event = db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "payment.refund_requested",
                                                 OutboxEvent.payload["refund_id"].as_integer() == refund.id)).one()
    db.commit()
    assert deliver(db, event.id) == "done"


def refunded_at_liqpay(live: Any, payment: Payment) -> Decimal:
    (state,) = live.payments(payment.checkout.reference)
    return Decimal(str(state.get("refunded") or state.get("refund_amount") or 0))


def test_a_partial_refund_then_a_full_one_returns_exactly_what_was_paid(app, live, db, paid, make_staff):
    payment, invoice = paid
    accountant = make_staff("accountant")
    with app.test_request_context():
        partial = request_refund(db, payment, Decimal("100.00"), "Частина товару повернена", accountant)
        carried_out(db, partial)
        eventually(lambda: len(live.payments(payment.checkout.reference)[0]["callbacks"]) == 2)
        rest = request_refund(db, payment, None, "Решта", accountant)
        assert rest.amount == Decimal("200.00")
        with pytest.raises(DomainError, match="уже повернено повністю або повернення чекає виконання"):
            request_refund(db, payment, None, "Ще раз", accountant)  # the rest is on its way
        carried_out(db, rest)
        eventually(lambda: len(live.payments(payment.checkout.reference)[0]["callbacks"]) == 3)
        with pytest.raises(DomainError, match="лише зарахований платіж"):
            request_refund(db, payment, Decimal("1.00"), "Ще раз", accountant)  # reversed now
    db.expire_all()
    assert [(r.amount, r.status) for r in db.scalars(select(Refund).order_by(Refund.id))] == [
        (Decimal("100.00"), "done"), (Decimal("200.00"), "done")]
    assert refunded_at_liqpay(live, payment) == Decimal("300.00")
    assert payment.status == "reversed" and invoice.status == "open"


def test_more_than_is_left_is_refused_with_what_is_left(app, live, db, paid, make_staff):
    payment, _ = paid
    accountant = make_staff("accountant")
    with app.test_request_context():
        request_refund(db, payment, Decimal("250.00"), "Брак", accountant)  # asked for, not carried out yet
        with pytest.raises(DomainError) as refused:
            request_refund(db, payment, Decimal("100.00"), "Ще брак", accountant)
    message = refused.value.message.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Повернути можна від 0,01 до 50,00 грн" in message and "уже повернено або чекає повернення 250,00 грн" in message
    assert refused.value.field == "amount"
    assert db.query(Refund).count() == 1


def test_a_refund_liqpay_made_before_the_worker_died_is_not_asked_for_again(app, live, db, paid, make_staff):
    payment, _ = paid
    with app.test_request_context():
        refund = request_refund(db, payment, Decimal("100.00"), "Частина", make_staff("accountant"))
        db.commit()
        # The worker asks LiqPay, which refunds, and dies before its transaction commits.
        died = db.begin_nested()
        carry_out(db, refund)
        died.rollback()
        eventually(lambda: len(live.payments(payment.checkout.reference)[0]["callbacks"]) == 2)
        db.expire_all()
        assert refund.status == "requested"
        event = db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "payment.refund_requested")).one()
        assert deliver(db, event.id) == "done"  # the redelivery
    db.expire_all()
    assert refund.status == "done" and refunded_at_liqpay(live, payment) == Decimal("100.00")


def test_two_racing_full_refunds_make_one(app, db):
    """Two accountants press "refund everything" at once, in two sessions on PostgreSQL:
    the second waits for the first's lock, then sees nothing left."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: there is no race to lock against")
    engine = app.extensions["db_engine"]
    with Session(engine) as setup:
        payment = Payment(source="liqpay", external_id=f"race-{time.monotonic_ns()}", status="succeeded",
                          amount=Decimal("300.00"), paid_on=kyiv_today(), details={})
        setup.add(payment)
        setup.commit()
        payment_id = payment.id
    first_holds_lock, outcomes = threading.Event(), {}

    def refund_all(name: str) -> None:
        staff = StaffUser(role="accountant", full_name=name)
        with app.test_request_context(), Session(engine) as session:
            if name == "second":
                first_holds_lock.wait(5)
            try:
                refund = request_refund(session, session.get(Payment, payment_id), None, "Повернення", staff)
                outcomes[name] = refund.amount
                if name == "first":
                    first_holds_lock.set()
                    time.sleep(0.5)  # the second is now waiting on the payment's row
                session.commit()
            except DomainError as exc:
                outcomes[name] = exc.message
            finally:
                first_holds_lock.set()

    threads = [threading.Thread(target=refund_all, args=(name,)) for name in ("first", "second")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert outcomes["first"] == Decimal("300.00")
        assert "уже повернено повністю" in outcomes["second"]
        with Session(engine) as check:
            assert check.scalars(select(Refund.amount).where(Refund.payment_id == payment_id)).all() == [Decimal("300.00")]
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(OutboxEvent).where(OutboxEvent.topic == "payment.refund_requested",
                                                      OutboxEvent.payload["payment_id"].as_integer() == payment_id))
            cleanup.execute(delete(Refund).where(Refund.payment_id == payment_id))
            cleanup.execute(delete(PaymentStatusChange).where(PaymentStatusChange.payment_id == payment_id))
            cleanup.execute(delete(Payment).where(Payment.id == payment_id))
            cleanup.commit()


def refund_event(db: Any, refund: Refund) -> OutboxEvent:
    return db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "payment.refund_requested",
                                                OutboxEvent.payload["refund_id"].as_integer() == refund.id)).one()


def test_a_permanent_refusal_fails_the_refund_at_once_and_tells_staff_why(app, live, db, paid, make_staff):
    payment, _ = paid
    accountant = make_staff("accountant")
    # LiqPay refuses our key (the status question and the refund alike): asking again cannot help.
    assert live.http.post("/_emulator/fail", data={"mode": "error", "err_code": "err_access", "count": "2"}).status_code == 200
    with app.test_request_context():
        refund = request_refund(db, payment, Decimal("100.00"), "Брак", accountant)
        event = refund_event(db, refund)
        db.commit()
        assert deliver(db, event.id) == "done"  # ended, not retried
    db.expire_all()
    assert refund.status == "failed" and refund.provider_answer.startswith("err_access:")
    assert refund.finished_at is not None and payment.status == "succeeded"
    assert refunded_at_liqpay(live, payment) == 0
    staff = app.test_client()
    assert login(staff, accountant.email, staff=True).status_code == 302
    assert "err_access" in staff.get(f"/staff/payments/{payment.id}").get_data(as_text=True)


def test_a_liqpay_that_is_down_leaves_the_refund_to_the_next_attempt(app, live, db, paid, make_staff):
    payment, _ = paid
    with app.test_request_context():
        refund = request_refund(db, payment, Decimal("100.00"), "Брак", make_staff("accountant"))
        event = refund_event(db, refund)
        db.commit()
        assert live.http.post("/_emulator/fail", data={"mode": "server_error"}).status_code == 200
        assert deliver(db, event.id) == "pending"
        db.expire_all()
        assert refund.status == "requested" and "http_503" in event.last_error
        assert deliver(db, event.id) == "done"
    eventually(lambda: len(live.payments(payment.checkout.reference)[0]["callbacks"]) == 2)
    db.expire_all()
    assert refund.status == "done" and refunded_at_liqpay(live, payment) == Decimal("100.00")
