"""A checkout LiqPay never called back about is asked about less and less often, and
given up after the window, marked for staff, instead of once a minute for a week."""
from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import pytest

from core.clock import utcnow
from payments.card import next_check_after, start_checkout
from payments.liqpay.tasks import reconcile_card_payments
from tests.conftest import login
from tests.payments.conftest import invoices_of


@pytest.fixture
def checkout(db: Any, customer: Any, confirmed_order: Any, ctx: None) -> Any:
    """A checkout the customer opened 20 minutes ago and never paid: LiqPay knows no payment."""
    (invoice,) = invoices_of(db, confirmed_order(customer))
    checkout = start_checkout(db, customer.company, [invoice])
    checkout.created_at = utcnow() - timedelta(minutes=20)
    db.flush()
    return checkout


def run_job(db: Any) -> int:
    answered = reconcile_card_payments(db)
    db.expire_all()
    return answered


def test_each_question_waits_twice_as_long_up_to_the_cap(app, ctx):
    assert [next_check_after(n) for n in range(1, 8)] == [
        timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2),
        timedelta(hours=4), timedelta(hours=6), timedelta(hours=6)]
    week, asked, waited = timedelta(days=7), 0, timedelta(minutes=15)
    while waited < week:
        asked += 1
        waited += next_check_after(asked)
    assert asked < 40  # not 10,080 (one a minute)


def test_a_checkout_liqpay_never_saw_is_asked_later_and_later_then_expires(live, db, checkout):
    assert run_job(db) == 0
    assert (checkout.status_checks, checkout.last_answer) == (1, "payment_not_found")
    first_next = checkout.next_check_at
    assert timedelta(minutes=14) < first_next - utcnow() <= timedelta(minutes=15)

    run_job(db)  # a minute later, as beat runs it: not due, not asked
    assert checkout.status_checks == 1 and checkout.next_check_at == first_next

    checkout.next_check_at = utcnow() - timedelta(seconds=1)
    db.flush()
    run_job(db)
    assert checkout.status_checks == 2
    assert timedelta(minutes=29) < checkout.next_check_at - utcnow() <= timedelta(minutes=30)

    checkout.created_at = utcnow() - timedelta(days=7, minutes=1)
    checkout.next_check_at = utcnow() - timedelta(seconds=1)
    db.flush()
    run_job(db)
    assert (checkout.lapsed, checkout.status_checks, checkout.settled_at) == ("expired", 3, None)
    assert checkout.lapsed_at is not None
    checkout.next_check_at = utcnow() - timedelta(seconds=1)
    db.flush()
    run_job(db)  # given up: never asked again
    assert checkout.status_checks == 3


def test_a_checkout_liqpay_could_not_be_asked_about_ends_unknown(app, db, checkout):
    with socket.socket() as closed:  # a port nobody listens on: LiqPay unreachable
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    saved = app.config["LIQPAY_BASE_URL"]
    app.config["LIQPAY_BASE_URL"] = f"http://127.0.0.1:{port}"
    app.extensions.pop("card_acquirer", None)
    try:
        checkout.created_at = utcnow() - timedelta(days=8)
        db.flush()
        run_job(db)
    finally:
        app.config["LIQPAY_BASE_URL"] = saved
        app.extensions.pop("card_acquirer", None)
    assert (checkout.lapsed, checkout.last_answer, checkout.status_checks) == ("unknown", "unreachable", 1)


def test_staff_see_the_checkouts_given_up_without_an_answer(app, db, checkout, make_staff):
    checkout.lapsed, checkout.lapsed_at, checkout.last_answer = "unknown", utcnow(), "unreachable"
    db.commit()
    client = app.test_client()
    assert login(client, make_staff("accountant").email, staff=True).status_code == 302
    page = client.get("/staff/payments/queue").get_data(as_text=True)
    assert 'data-test="unanswered-checkouts"' in page and checkout.reference in page
    assert checkout.items[0].invoice.number in page and "unreachable" in page
