"""A LiqPay notice signed with our key but not a payment (no order, status or amount; an
amount that is not a positive number of cents) is refused wherever it comes from: the
callback answers 400 and stores nothing, a notice already stored is dropped for good,
a status answer of the reconciliation changes nothing."""
from __future__ import annotations

import base64
import hashlib
import json
import logging
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import func, select

from core import outbox
from core.outbox import OutboxEvent
from emulators.http import serve_in_thread
from payments.card import NOTICE_TOPIC, start_checkout
from payments.liqpay.tasks import reconcile_card_payments
from payments.models import Payment
from tests.payments.conftest import invoices_of

GOOD = {"version": 3, "action": "pay", "payment_id": 55001, "status": "success", "amount": 300.0,
        "currency": "UAH", "description": "x"}
WITHOUT = object()  # the field is left out
MALFORMED = [
    ("amount", WITHOUT), ("order_id", WITHOUT), ("status", WITHOUT),
    ("amount", "ten"), ("amount", "NaN"), ("amount", "Infinity"), ("amount", "-Infinity"), ("amount", 1e30),
    ("amount", -5), ("amount", "-5.00"), ("amount", 0), ("amount", "0.00"), ("amount", 10.005),
    ("amount", True), ("amount", None), ("amount", [300]), ("order_id", ""), ("status", ""),
    ("status", "x" * 30), ("payment_id", "abc"), ("payment_id", 10 ** 30), ("currency", "гривня"),
    ("end_date", 1e30),
]
IDS = [f"{field}={'missing' if value is WITHOUT else repr(value)[:12]}" for field, value in MALFORMED]


@pytest.fixture
def checkout(db: Any, customer: Any, confirmed_order: Any, ctx: None) -> Any:
    (invoice,) = invoices_of(db, confirmed_order(customer))
    return start_checkout(db, customer.company, [invoice])


def body_with(reference: str, field: str, value: Any) -> dict[str, Any]:
    body = {**GOOD, "order_id": reference, "public_key": "sandbox_i00000000001"}
    if value is WITHOUT:
        del body[field]
    else:
        body[field] = value
    return body


def signed(app: Any, body: dict[str, Any]) -> dict[str, str]:
    data = base64.b64encode(json.dumps(body).encode()).decode()
    key = app.config["LIQPAY_PRIVATE_KEY"]
    return {"data": data, "signature": base64.b64encode(hashlib.sha1((key + data + key).encode()).digest()).decode()}


def notices_stored(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == NOTICE_TOPIC))


def liqpay_payments(db: Any) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Payment).where(Payment.source == "liqpay"))


@pytest.mark.parametrize("field, value", MALFORMED, ids=IDS)
def test_the_callback_refuses_a_signed_but_malformed_notice(app, db, checkout, portal_server, caplog, field, value):
    before = notices_stored(db)
    with caplog.at_level(logging.WARNING, logger="payments.liqpay.callbacks"):
        answer = httpx.post(f"{portal_server}/payments/liqpay/callback",
                            data=signed(app, body_with(checkout.reference, field, value)))
    assert answer.status_code == 400 and answer.json() == {"ok": False, "error": "malformed notice"}
    assert any(field in record.getMessage() and "malformed" in record.getMessage() for record in caplog.records)
    assert notices_stored(db) == before and liqpay_payments(db) == 0
    db.expire_all()
    assert checkout.settled_at is None and all(item.invoice.status == "open" for item in checkout.items)


def test_a_well_formed_notice_still_pays(app, db, checkout, portal_server):
    answer = httpx.post(f"{portal_server}/payments/liqpay/callback",
                        data=signed(app, body_with(checkout.reference, "status", "sandbox")))
    assert answer.status_code == 200
    db.expire_all()
    assert liqpay_payments(db) == 1 and checkout.items[0].invoice.status == "paid"


@pytest.mark.parametrize("field, value", MALFORMED, ids=IDS)
def test_a_malformed_notice_already_stored_is_dropped_for_good(app, db, checkout, field, value):
    """Stored by the callback as it was before it checked the notice: the handler ends
    the event at once, changing nothing, instead of retrying it for ever."""
    event = outbox.emit(db, NOTICE_TOPIC, signed(app, body_with(checkout.reference, field, value)))
    db.flush()
    assert outbox.deliver(db, event.id) == "done"
    assert liqpay_payments(db) == 0
    db.expire_all()
    assert checkout.settled_at is None and all(item.invoice.status == "open" for item in checkout.items)


@pytest.fixture
def answering(app: Any) -> Any:
    """A LiqPay whose status answers are whatever the test sets in `answer`."""
    answer: dict[str, Any] = {}
    fake = Flask(__name__)
    fake.post("/api/request")(lambda: answer)
    url, stop = serve_in_thread(fake)
    saved = {key: app.config[key] for key in ("LIQPAY_BASE_URL", "LIQPAY_RECONCILE_AFTER_MINUTES")}
    app.config.update(LIQPAY_BASE_URL=url, LIQPAY_RECONCILE_AFTER_MINUTES=0)
    app.extensions.pop("card_acquirer", None)
    yield answer
    app.config.update(saved)
    app.extensions.pop("card_acquirer", None)
    stop()


@pytest.mark.parametrize("field, value", MALFORMED, ids=IDS)
def test_reconciliation_applies_the_same_checks_to_status_answers(app, db, checkout, answering, field, value):
    answering.update(body_with(checkout.reference, field, value))
    with app.test_request_context():
        assert reconcile_card_payments(db) == 0
    assert liqpay_payments(db) == 0
    db.expire_all()
    assert checkout.settled_at is None and all(item.invoice.status == "open" for item in checkout.items)
