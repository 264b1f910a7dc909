"""Order to cash by card, over real HTTP: the portal on a socket, the LiqPay emulator
calling it back. Order -> invoice -> pay link -> checkout -> callback -> paid -> released."""
from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from core.orders import states
from core.orders.services import Actor, change_status
from core.outbox import OutboxEvent
from notify.models import Message
from payments.card import liqpay_client, reconcile
from payments.models import Allocation, Payment
from tests.payments.conftest import (
    CARD_DECLINED,
    CARD_DELAYED,
    checkout_payload,
    eventually,
    invoices_of,
    liqpay_form,
)


def _pay_link_checkout(portal: str, token: str) -> dict[str, str]:
    page = httpx.get(f"{portal}/pay/{token}")
    assert page.status_code == 200 and "Сплатити 300,00" in page.text.replace("\xa0", " ")
    answer = httpx.post(f"{portal}/pay/{token}")
    assert answer.status_code == 200, answer.text
    return liqpay_form(answer.text)


def _payments(db, order) -> list[Payment]:
    db.expire_all()
    invoice_ids = [i.id for i in invoices_of(db, order)]
    allocated = select(Allocation.payment_id).where(Allocation.invoice_id.in_(invoice_ids))
    return list(db.scalars(select(Payment).where(Payment.id.in_(allocated))))


def test_prepaid_order_is_invoiced_paid_by_the_link_and_released(live, db, app, customer, confirmed_order, portal_server):
    customer.role = "owner"  # receipts go to owners and accountants
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    assert (invoice.kind, invoice.status, invoice.amount, order.released_at) == ("full", "open", Decimal("300.00"), None)

    form = _pay_link_checkout(portal_server, invoice.pay_token)
    asked = checkout_payload(form)
    assert asked["amount"] == "300.00" and asked["server_url"] == f"{portal_server}/payments/liqpay/callback"
    assert invoice.number in asked["description"]

    paid = live.pay(form)
    assert paid["callbacks"][0]["delivered"]

    db.expire_all()
    assert invoice.status == "paid" and invoice.paid_amount == Decimal("300.00")
    assert order.released_at is not None
    (payment,) = _payments(db, order)
    assert payment.status == "succeeded" and payment.external_id == str(paid["payment_id"])
    events = db.query(OutboxEvent).filter(OutboxEvent.payload["company_id"].as_integer() == customer.company_id).all()
    assert {"payment.received", "order.released"} <= {e.topic for e in events}
    # What the notice's handler raised was relayed too, within the callback: the receipt is written.
    assert all(e.status == "done" for e in events if e.topic == "payment.received")
    receipts = db.query(Message).filter(Message.template == "payment_received", Message.company_id == customer.company_id)
    assert {m.recipient for m in receipts} >= {customer.email, customer.phone}
    assert "Рахунок оплачено" in httpx.get(f"{portal_server}/pay/{invoice.pay_token}").text
    change_status(db, order, states.ASSEMBLING, Actor.of(confirmed_order.manager))  # released: allowed now


def test_the_same_callback_twenty_times_is_one_payment_and_one_allocation(live, db, customer, confirmed_order, portal_server):
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    paid = live.pay(_pay_link_checkout(portal_server, invoice.pay_token))
    for _ in range(20):
        live.resend(paid["payment_id"])
    (payment,) = _payments(db, order)
    assert len(payment.allocations) == 1 and invoice.paid_amount == Decimal("300.00")
    assert db.query(OutboxEvent).filter_by(topic="payment.received").filter(
        OutboxEvent.payload["invoice_id"].as_integer() == invoice.id
    ).count() == 1


@pytest.mark.parametrize(
    "tamper",
    ["signature", "data", "missing-signature", "garbage", "wrong-key"],
)
def test_a_forged_callback_is_refused_and_changes_nothing(live, db, app, customer, confirmed_order, portal_server, tamper):
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    form = _pay_link_checkout(portal_server, invoice.pay_token)
    reference = checkout_payload(form)["order_id"]
    body = {"version": 3, "action": "pay", "payment_id": 991, "order_id": reference, "status": "success",
            "amount": 300.0, "currency": "UAH", "description": "x", "public_key": app.config["LIQPAY_PUBLIC_KEY"]}
    data = base64.b64encode(json.dumps(body).encode()).decode()
    key = app.config["LIQPAY_PRIVATE_KEY"] if tamper != "wrong-key" else "sandbox_someone-else"
    signature = base64.b64encode(hashlib.sha1((key + data + key).encode()).digest()).decode()
    post = {
        "signature": {"data": data, "signature": signature[:-4] + "AAA="},
        "data": {"data": data[:-4] + "AAAA", "signature": signature},
        "missing-signature": {"data": data},
        "garbage": {"data": "%%%", "signature": "%%%"},
        "wrong-key": {"data": data, "signature": signature},
    }[tamper]
    answer = httpx.post(f"{portal_server}/payments/liqpay/callback", data=post)
    assert answer.status_code == 400
    db.expire_all()
    assert invoice.status == "open" and db.query(Payment).filter_by(external_id="991").count() == 0


def test_a_declined_card_is_a_failed_attempt_and_the_invoice_stays_open(live, db, customer, confirmed_order, portal_server):
    customer.role = "owner"  # told of the failure, as owners and accountants are
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    paid = live.pay(_pay_link_checkout(portal_server, invoice.pay_token), card=CARD_DECLINED)
    db.expire_all()
    payment = db.query(Payment).filter_by(source="liqpay", external_id=str(paid["payment_id"])).one()
    assert payment.status == "failed" and payment.allocations == [] and invoice.status == "open"
    assert [h.to_status for h in payment.history] == ["failed"]
    told = db.query(Message).filter(Message.template == "payment_failed", Message.recipient == customer.email).one()
    # Stored (and shown to staff) with the pay link masked; the e-mail carries the real one.
    assert "/pay/••••••" in told.body and invoice.pay_token not in told.body


def test_a_delayed_payment_is_pending_then_paid(live, db, customer, confirmed_order, portal_server):
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    paid = live.pay(_pay_link_checkout(portal_server, invoice.pay_token), card=CARD_DELAYED)
    db.expire_all()
    payment = db.query(Payment).filter_by(external_id=str(paid["payment_id"])).one()
    assert payment.status == "pending" and invoice.status == "open"
    eventually(lambda: len(live.payments(paid["order_id"])[0]["callbacks"]) == 2)
    eventually(lambda: live.payments(paid["order_id"])[0]["callbacks"][-1]["attempts"])
    db.expire_all()
    assert payment.status == "succeeded" and invoice.status == "paid"
    assert [h.to_status for h in payment.history] == ["pending", "succeeded"]


def test_a_refund_reverses_the_allocation_and_reopens_the_invoice(live, db, app, customer, confirmed_order, portal_server):
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    paid = live.pay(_pay_link_checkout(portal_server, invoice.pay_token))
    with app.app_context():
        liqpay_client().refund(paid["order_id"], Decimal("300.00"))
    eventually(lambda: len(live.payments(paid["order_id"])[0]["callbacks"]) == 2)
    db.expire_all()
    (payment,) = _payments(db, order)
    assert payment.status == "reversed" and invoice.status == "open" and invoice.paid_amount == 0
    assert payment.allocations[0].reversed_at is not None


def test_a_lost_callback_is_recovered_by_the_reconciliation_job(live, db, app, customer, confirmed_order, portal_server):
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    live.pay(_pay_link_checkout(portal_server, invoice.pay_token), deliver_callback=False)
    db.expire_all()
    assert invoice.status == "open"
    app.config["LIQPAY_RECONCILE_AFTER_MINUTES"] = 0
    try:
        with app.test_request_context():
            assert reconcile(db) == 1
            assert reconcile(db) == 0  # settled: not asked again
    finally:
        app.config["LIQPAY_RECONCILE_AFTER_MINUTES"] = 15
    db.expire_all()
    assert invoice.status == "paid" and order.released_at is not None


def test_an_amount_that_differs_from_the_checkout_lands_in_the_exception_queue(live, db, app, customer, confirmed_order, portal_server):
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    reference = checkout_payload(_pay_link_checkout(portal_server, invoice.pay_token))["order_id"]
    body = {"version": 3, "action": "pay", "payment_id": 77123, "order_id": reference, "status": "sandbox",
            "amount": 30.0, "currency": "UAH", "description": "x", "public_key": app.config["LIQPAY_PUBLIC_KEY"]}
    data = base64.b64encode(json.dumps(body).encode()).decode()
    key = app.config["LIQPAY_PRIVATE_KEY"]
    signature = base64.b64encode(hashlib.sha1((key + data + key).encode()).digest()).decode()
    assert httpx.post(f"{portal_server}/payments/liqpay/callback", data={"data": data, "signature": signature}).status_code == 200
    db.expire_all()
    payment = db.query(Payment).filter_by(external_id="77123").one()
    assert payment.status == "succeeded" and payment.needs_review and "30.00" in payment.review_reason
    assert payment.allocations == [] and invoice.status == "open"


def test_several_invoices_paid_together_from_the_cabinet(live, db, customer, confirmed_order, browser):
    first, second = confirmed_order(customer), confirmed_order(customer, (("50.00", "2"),))
    (a,), (b,) = invoices_of(db, first), invoices_of(db, second)
    client = browser(customer)
    page = client.post("/invoices/pay", data={"invoice": [a.id, b.id]})
    form = liqpay_form(page.text)
    assert checkout_payload(form)["amount"] == "400.00"
    live.pay(form)
    db.expire_all()
    assert (a.status, b.status) == ("paid", "paid")
    assert first.released_at is not None and second.released_at is not None


def test_another_companys_invoice_is_not_found(live, db, customer, make_company, make_user, confirmed_order, browser):
    stranger = make_user(make_company())
    (foreign,) = invoices_of(db, confirmed_order(stranger))
    (own,) = invoices_of(db, confirmed_order(customer))
    client = browser(customer)
    assert client.get(f"/invoices/{foreign.id}.pdf").status_code == 404
    assert client.post("/invoices/pay", data={"invoice": [own.id, foreign.id]}).status_code == 404
    assert client.get(f"/invoices/{own.id}.pdf").headers["content-type"] == "application/pdf"
