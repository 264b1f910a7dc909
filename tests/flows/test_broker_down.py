"""Redis (the Celery broker) down: work that was committed answers as usual and fast;
its events stay pending for the sweep, and the failure is in the log."""
from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from core.orders import states
from core.orders.models import Order
from core.orders.services import Actor, submit_order
from core.outbox import PENDING, OutboxEvent
from tests.apps import separate_app
from tests.config import TestConfig
from tests.conftest import login

# Nothing listens on the discard port: the broker refuses every connection.
DEAD_BROKER = "redis://127.0.0.1:9/0"
FAST_ENOUGH_SECONDS = 5.0


@pytest.fixture
def without_broker(app: Flask, db: Any) -> Iterator[Flask]:
    """The suite's database and configuration, in Celery mode with a broker that is down."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        REDIS_URL = DEAD_BROKER
        OUTBOX_DISPATCH = "celery"
        RATELIMIT_STORAGE_URI = "memory://"

    with separate_app(app, Config, own_sessions=False) as dead:
        yield dead


def _events(db: Any, topic: str) -> list[OutboxEvent]:
    db.expire_all()
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic)))


def test_a_staff_confirm_answers_as_usual_and_leaves_the_event_to_the_sweep(
    without_broker: Flask, db: Any, customer: Any, make_product: Any, make_staff: Any, caplog: Any
) -> None:
    product = make_product(prices={"wholesale": "100.00"})
    with without_broker.test_request_context():
        order = submit_order(db, customer.company, [(product.id, Decimal("2"))], actor=Actor.of(customer),
                             idempotency_key="broker-down", delivery_point_id=customer.company.delivery_points[0].id).order
        db.flush()
    assert order.status == states.SUBMITTED
    client = without_broker.test_client()
    assert login(client, make_staff("manager").email, staff=True).status_code == 302
    started = time.monotonic()
    response = client.post(f"/staff/orders/{order.id}/status", data={"target": "confirmed"})
    assert time.monotonic() - started < FAST_ENOUGH_SECONDS
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Order, order.id).status == states.CONFIRMED
    (confirmed,) = _events(db, "order.confirmed")
    assert confirmed.status == PENDING and confirmed.attempts == 0  # the sweep's to deliver
    assert "broker unavailable" in caplog.text and f"outbox.deliver({confirmed.id}" in caplog.text


def test_a_liqpay_callback_answers_ok_and_keeps_the_notice(without_broker: Flask, db: Any, caplog: Any) -> None:
    config = without_broker.config
    notice = {"version": 3, "action": "pay", "payment_id": 99001, "order_id": "inv-broker-down", "status": "success",
              "amount": 120.5, "currency": "UAH", "description": "x", "public_key": config["LIQPAY_PUBLIC_KEY"]}
    data = base64.b64encode(json.dumps(notice).encode()).decode()
    key = config["LIQPAY_PRIVATE_KEY"]
    signature = base64.b64encode(hashlib.sha1((key + data + key).encode()).digest()).decode()
    started = time.monotonic()
    response = without_broker.test_client().post("/payments/liqpay/callback", data={"data": data, "signature": signature})
    assert time.monotonic() - started < FAST_ENOUGH_SECONDS
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    (stored,) = _events(db, "liqpay.notice")
    assert stored.status == PENDING and stored.payload["data"] == data
    assert "broker unavailable" in caplog.text
