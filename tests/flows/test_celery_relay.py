"""The outbox over a real Celery worker and Redis: a worker killed with SIGKILL in the
middle of the run loses no event and delivers none twice. Runs when REDIS_URL is set."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.auth import hash_password
from core.config import ROOT, sqlalchemy_url
from tests.config import TestConfig
from core.customers.models import Company, DeliveryPoint, User
from core.catalog.models import Category, Price, PriceType, Product
from core.catalog.services import refresh_search_text
from core.customers.services import request_password_reset
from core.db import db_session
from core import outbox, relay
from core.orders import states
from core.orders.services import Actor, change_status, submit_order
from core.outbox import OutboxEvent
from notify.models import Message
from payments.card import start_checkout
from payments.invoices import invoices_of_order
from payments.models import Invoice
from tests.apps import SIGNING_ENV
from tests.conftest import reset_schema, valid_edrpou

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a real broker)")
EVENTS = 300


def _separate_database(tmp_path: Path) -> tuple[str, callable]:
    base = os.environ.get("DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path}/celery.db", lambda: None
    import psycopg

    admin_url = base.replace("postgresql+psycopg://", "postgresql://")
    name = admin_url.rsplit("/", 1)[1] + "_celery"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return sqlalchemy_url(admin_url.rsplit("/", 1)[0] + "/" + name), drop


def _start_worker(url: str) -> subprocess.Popen:
    # The suite's keys: the worker verifies the LiqPay notices the test signs.
    env = {**os.environ, **SIGNING_ENV, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "OUTBOX_DISPATCH": "celery"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wsgi:celery", "worker", "--concurrency", "2", "--pool", "prefork",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "-Q", "celery"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _kill(worker: subprocess.Popen) -> None:
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=10)


class CeleryWorld:
    """An app in Celery mode on a database of its own, and a real worker process."""

    def __init__(self, tmp_path: Path) -> None:
        self.url, self._drop = _separate_database(tmp_path)
        reset_schema(self.url)

        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = self.url
            REDIS_URL = globals()["REDIS_URL"]
            OUTBOX_DISPATCH = "celery"

        self.app = create_app(Config)
        self.app.extensions["celery"].connection_for_write().default_channel.client.flushdb()
        self.worker = _start_worker(self.url)

    def restart_worker(self) -> None:
        self.worker = _start_worker(self.url)

    def close(self) -> None:
        _kill(self.worker)
        self.app.extensions["db_engine"].dispose()
        self._drop()


@pytest.fixture
def celery_world(tmp_path: Path) -> Iterator[CeleryWorld]:
    world = CeleryWorld(tmp_path)
    yield world
    world.close()


def test_killed_worker_loses_nothing_and_repeats_nothing(celery_world):
    app = celery_world.app
    with app.test_request_context():
        session = db_session()
        price_type = PriceType(code="w", name="w")
        session.add(price_type)
        session.flush()
        company = Company(name="ТОВ «Тест»", kind="legal", tax_id=valid_edrpou(), price_type_id=price_type.id)
        session.add(company)
        session.flush()
        user = User(company_id=company.id, full_name="Тест", email="t@t.ua", password_hash=hash_password("x" * 10))
        session.add(user)
        session.flush()
        for _ in range(EVENTS):
            request_password_reset(session, user)
        session.commit()
        relay.dispatch_committed(app)
    # Kill the worker while it is delivering, then start a new one.
    deadline = time.monotonic() + 60
    with app.app_context():
        while db_session.scalar(select(func.count()).select_from(Message)) < EVENTS // 5:
            assert time.monotonic() < deadline, "the worker delivered nothing"
            time.sleep(0.05)
            db_session.remove()
    _kill(celery_world.worker)
    with app.app_context():
        delivered_before_kill = db_session.scalar(select(func.count()).select_from(Message))
        db_session.remove()
    assert delivered_before_kill < EVENTS, "the kill came too late to test anything"
    celery_world.restart_worker()
    # Messages the killed worker had taken and not acknowledged come back; the
    # sweep (beat's job in production) picks up whatever is still pending.
    deadline = time.monotonic() + 90
    with app.app_context():
        while True:
            db_session.remove()
            pending = db_session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")
            )
            if pending == 0:
                break
            assert time.monotonic() < deadline, f"{pending} events never delivered"
            app.extensions["celery"].send_task("outbox.sweep")
            time.sleep(1)
        db_session.remove()
        per_event = db_session.execute(
            select(Message.event_id, func.count()).group_by(Message.event_id)
        ).all()
    assert len(per_event) == EVENTS
    assert {count for _, count in per_event} == {1}


def _signed_notice(app, payload: dict) -> dict[str, str]:
    """A LiqPay callback as LiqPay signs it (API version 3: base64 SHA-1 of private + data + private)."""
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    private = app.config["LIQPAY_PRIVATE_KEY"].encode()
    signature = base64.b64encode(hashlib.sha1(private + data.encode() + private).digest()).decode()
    return {"data": data, "signature": signature}


def test_what_a_handler_raises_is_relayed_by_the_worker_without_waiting_for_the_sweep(celery_world):
    """A LiqPay notice applied by the worker raises payment.received; the worker hands that
    on at once (no sweep runs here), so the customer's receipt is written within seconds."""
    app = celery_world.app
    with app.test_request_context():
        session = db_session()
        price_type = PriceType(code="w", name="w")
        session.add(price_type)
        session.flush()
        company = Company(name="ТОВ «Тест»", kind="legal", tax_id=valid_edrpou(), price_type_id=price_type.id,
                          email="office@test.ua")
        session.add(company)
        session.flush()
        category = Category(name="Кава")
        session.add(category)
        session.flush()
        product = Product(sku="T-1", name="Кава", unit="кг", pack_multiple=Decimal("1"), vat_rate=Decimal("20"),
                          category_id=category.id)
        refresh_search_text(product)
        session.add(product)
        session.flush()
        session.add(Price(price_type_id=price_type.id, product_id=product.id, amount=Decimal("100.00")))
        owner = User(company_id=company.id, full_name="Тест", role="owner", email="t@t.ua",
                     password_hash=hash_password("x" * 10))
        session.add(owner)
        session.flush()
        point = DeliveryPoint(company_id=company.id, name="Кафе", address="Київ")
        session.add(point)
        session.flush()
        order = submit_order(session, company, [(product.id, Decimal("2"))], actor=Actor.of(owner),
                             idempotency_key="celery-chain", delivery_point_id=point.id).order
        change_status(session, order, states.CONFIRMED, Actor("staff", "Менеджер", "sales"))
        (invoice,) = invoices_of_order(session, order.id)
        checkout = start_checkout(session, company, [invoice])
        notice = _signed_notice(app, {
            "version": 3, "public_key": app.config["LIQPAY_PUBLIC_KEY"], "action": "pay", "payment_id": 777001,
            "order_id": checkout.reference, "status": "success", "amount": float(checkout.amount),
            "currency": "UAH", "description": "Оплата",
        })
        outbox.emit(session, "liqpay.notice", notice)
        session.commit()
        relay.dispatch_committed(app)

    deadline = time.monotonic() + 30
    with app.app_context():
        while True:
            db_session.remove()
            receipts = db_session.scalar(
                select(func.count()).select_from(Message).where(Message.template == "payment_received")
            )
            if receipts:
                break
            assert time.monotonic() < deadline, "payment.received waited for a sweep that never came"
            time.sleep(0.2)
        assert db_session.scalar(select(Invoice.status).where(Invoice.id == invoice.id)) == "paid"
        db_session.remove()
