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

from flask_babel import force_locale

from core.orders import states
from core.reasons import reason_text
from core.orders.services import Actor, change_status
from core.outbox import OutboxEvent
from notify.models import Message
from payments.card import card_acquirer
from payments.liqpay.declines import decline_reason
from payments.liqpay.tasks import reconcile_card_payments
from payments.models import Allocation, CardCheckout, Payment
from tests.topics import delivered_in_request
from tests.payments.conftest import (
    CARD_DECLINED,
    CARD_DELAYED,
    backdate,
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
    assert all(delivered_in_request(db, e) for e in events if e.topic == "payment.received")
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
    # The reason in the customer's language, not LiqPay's English description.
    assert "перевищено ліміт картки" in told.body and "exceeded" not in told.body


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
        card_acquirer().refund(paid["order_id"], Decimal("300.00"))
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
            assert reconcile_card_payments(db) == 1
            assert reconcile_card_payments(db) == 0  # settled: not asked again
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
    # #10.21: the reason is a code, told in the reader's language.
    assert (payment.review_code, payment.review_params) == (
        "card.amount_mismatch", {"expected": "300.00 UAH", "received": "30.00 UAH"})
    with app.test_request_context(), force_locale("en"):
        assert reason_text(payment.review_code, payment.review_params, payment.review_reason) == (
            "The amount or currency does not match: expected 300.00 UAH, received 30.00 UAH")


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


# --- Coming back from LiqPay: paid, declined (why, try again) or waiting (#10.13) ---

def test_a_declined_card_says_why_in_ukrainian_and_a_retry_pays(live, db, customer, confirmed_order, portal_server):
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    declined = live.pay(_pay_link_checkout(portal_server, invoice.pay_token), card=CARD_DECLINED)
    assert declined["redirect"].startswith(f"{portal_server}/pay/{invoice.pay_token}?checkout=")
    back = httpx.get(declined["redirect"])
    assert back.status_code == 200 and 'data-test="outcome-declined"' in back.text
    assert "Банк відхилив оплату карткою" in back.text and "перевищено ліміт картки" in back.text
    assert "Дякуємо" not in back.text and "Refresh" not in back.headers
    assert "Спробувати ще раз" in back.text  # the pay button, now labelled as a retry

    again = httpx.post(f"{portal_server}/pay/{invoice.pay_token}")
    form = liqpay_form(again.text)
    assert checkout_payload(form)["amount"] == "300.00"
    assert checkout_payload(form)["order_id"] not in declined["redirect"]  # a new checkout
    paid = live.pay(form)
    back = httpx.get(paid["redirect"])
    assert "Рахунок оплачено" in back.text and "outcome-declined" not in back.text
    db.expire_all()
    assert invoice.status == "paid"


def test_the_cabinet_result_page_declines_then_retries_the_same_invoices(live, db, customer, confirmed_order, browser):
    first, second = confirmed_order(customer), confirmed_order(customer, (("50.00", "2"),))
    (a,), (b,) = invoices_of(db, first), invoices_of(db, second)
    client = browser(customer)
    declined = live.pay(liqpay_form(client.post("/invoices/pay", data={"invoice": [a.id, b.id]}).text), card=CARD_DECLINED)
    reference = declined["order_id"]
    assert declined["redirect"].endswith(f"/invoices/checkout/{reference}")
    page = client.get(f"/invoices/checkout/{reference}")
    assert page.status_code == 200 and "перевищено ліміт картки" in page.text and 'data-test="pay-again"' in page.text

    retry = client.post(f"/invoices/checkout/{reference}/again")
    form = liqpay_form(retry.text)
    assert checkout_payload(form)["amount"] == "400.00" and checkout_payload(form)["order_id"] != reference
    paid = live.pay(form)
    page = client.get(f"/invoices/checkout/{paid['order_id']}")
    assert 'data-test="outcome-paid"' in page.text and "pay-again" not in page.text
    db.expire_all()
    assert (a.status, b.status) == ("paid", "paid")


def test_back_before_the_bank_answered_the_page_waits_and_looks_again(live, db, customer, confirmed_order, browser):
    (invoice,) = invoices_of(db, confirmed_order(customer))
    client = browser(customer)
    lost = live.pay(liqpay_form(client.post("/invoices/pay", data={"invoice": [invoice.id]}).text), deliver_callback=False)
    page = client.get(f"/invoices/checkout/{lost['order_id']}")
    assert 'data-test="outcome-waiting"' in page.text and "Дякуємо" not in page.text
    assert page.headers["Refresh"].startswith("3; url=") and "look=1" in page.headers["Refresh"]
    last = client.get(f"/invoices/checkout/{lost['order_id']}?look=20")
    assert "Refresh" not in last.headers and "повідомимо" in last.text


def test_another_companys_checkout_is_not_found(live, db, customer, make_company, make_user, confirmed_order, browser):
    stranger = make_user(make_company())
    (foreign,) = invoices_of(db, confirmed_order(stranger))
    declined = live.pay(liqpay_form(browser(stranger).post("/invoices/pay", data={"invoice": [foreign.id]}).text),
                        card=CARD_DECLINED)
    client = browser(customer)
    assert client.get(f"/invoices/checkout/{declined['order_id']}").status_code == 404
    assert client.post(f"/invoices/checkout/{declined['order_id']}/again").status_code == 404
    # A pay link does not tell about a checkout of another invoice.
    (own,) = invoices_of(db, confirmed_order(customer))
    assert "outcome-" not in client.get(f"/pay/{own.pay_token}?checkout={declined['order_id']}").text


@pytest.mark.parametrize("code, words", [
    ("limit", "перевищено ліміт картки"), ("9851", "термін дії картки минув"), ("9859", "недостатньо коштів"),
    ("frod", "ризиковим"), ("LIMIT ", "перевищено ліміт картки"), ("no_such_code", "банк відхилив платіж"),
    ("", "банк відхилив платіж"), (None, "банк відхилив платіж"),
])
def test_liqpay_codes_become_short_ukrainian_reasons(app, code, words):
    with app.test_request_context():
        assert decline_reason(code) == words or words in decline_reason(code)


def test_a_decline_reason_is_english_for_an_english_customer(app):
    with app.test_request_context(), force_locale("en"):
        assert decline_reason("9851") == "the card has expired"
        assert decline_reason("whatever") == "the bank declined the payment"


# --- Paying from a phone: the pay action at the top, "pay overdue" goes to LiqPay (#10.14) ---

def _checkout_of(db, reference):
    db.expire_all()
    return db.query(CardCheckout).filter_by(reference=reference).one()


def test_pay_overdue_from_the_balance_starts_a_checkout_of_the_overdue_invoices(live, db, customer, confirmed_order, browser):
    (late,), (later,), (current,) = (invoices_of(db, confirmed_order(customer, lines)) for lines in
                                      ((("100.00", "3"),), (("50.00", "2"),), (("10.00", "1"),)))
    backdate(db, late, 30)
    backdate(db, later, 20)
    client = browser(customer)
    for page in ("/cart", "/invoices"):
        html = client.get(page).text
        button = html.index('data-test="pay-overdue"')
        assert 'action="/invoices/pay-open"' in html[:button] and 'value="overdue"' in html[button - 80:button]
        assert "400,00" in html[button:button + 200].replace("\xa0", " ")

    answer = client.post("/invoices/pay-open", data={"scope": "overdue"})
    assert answer.status_code == 200 and "data-autosubmit" in answer.text
    asked = checkout_payload(liqpay_form(answer.text))
    assert asked["amount"] == "400.00"
    checkout = _checkout_of(db, asked["order_id"])
    assert {item.invoice_id for item in checkout.items} == {late.id, later.id} and checkout.amount == Decimal("400.00")
    live.pay(liqpay_form(answer.text))
    db.expire_all()
    assert (late.status, later.status, current.status) == ("paid", "paid", "open")


def test_the_invoices_page_puts_the_total_and_pay_buttons_before_the_list(live, db, customer, confirmed_order, browser):
    invoices = [invoices_of(db, confirmed_order(customer))[0] for _ in range(3)]
    client = browser(customer)
    html = client.get("/invoices").text
    assert html.index('data-test="paybar"') < html.index("<tbody>") < html.index(f"№ {invoices[0].number}")
    bar = html[html.index('data-test="paybar"'):html.index("<tbody>")]
    assert "900,00" in bar.replace("\xa0", " ") and 'value="all"' in bar and 'formaction="/invoices/pay-open"' in bar

    answer = client.post("/invoices/pay-open", data={"scope": "all"})
    asked = checkout_payload(liqpay_form(answer.text))
    assert asked["amount"] == "900.00"
    assert {i.invoice_id for i in _checkout_of(db, asked["order_id"]).items} == {i.id for i in invoices}


@pytest.mark.parametrize("scope", ["everything", "", "overdue"])
def test_pay_open_with_nothing_to_pay_or_a_bad_scope_starts_nothing(live, db, customer, confirmed_order, browser, scope):
    confirmed_order(customer)  # open, not overdue
    client = browser(customer)
    answer = client.post("/invoices/pay-open", data={"scope": scope} if scope else {})
    assert answer.status_code == 302 and answer.headers["location"].endswith("/invoices")
    db.expire_all()
    assert db.query(CardCheckout).filter_by(company_id=customer.company_id).count() == 0
