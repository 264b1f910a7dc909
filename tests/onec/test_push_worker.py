"""A push to 1C on a real Celery worker and Redis: the worker killed while PostOrder is in
flight (1C took the order, the answer never came back) loses nothing and makes no
second order in 1C. Runs when REDIS_URL is set."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core import relay
from core.app import create_app
from core.auth import hash_password
from core.catalog.models import Category, Price, PriceType, Product
from core.catalog.services import refresh_search_text
from core.config import ROOT
from core.customers.models import Company, DeliveryPoint, User
from core.db import db_session
from core.orders.services import Actor, submit_order
from core.outbox import OutboxEvent
from emulators.http import serve_in_thread
from emulators.onec import create_app as create_1c
from emulators.onec.seed import guid
from onec.models import ExchangeRun, OnecDocumentRef
from tests.apps import SIGNING_ENV
from tests.conftest import reset_schema
from tests.flows.test_celery_relay import _kill, _separate_database
from tests.onec.conftest import EXCHANGE_PASSWORD, FEATURES
from tests.config import TestConfig

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a real broker)")
USER, PASSWORD = "portal", "test-only-1c-service-password"
TAX_ID = "42152922"  # a customer the emulator's 1C has
SLOW_1C_SECONDS = 4.0


class Watched:
    """The emulated 1C, telling when a post has reached it. It reads the whole request
    first, as the web server in front of 1C does, so a client gone meanwhile does not
    take the request's body with it."""

    def __init__(self) -> None:
        self.app = create_1c(USER, PASSWORD)
        self.posted = threading.Event()

    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].startswith("/ws/"):
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            self.posted.set()
        return self.app(environ, start)


@pytest.fixture
def onec_1c() -> Iterator[tuple[str, Watched]]:
    watched = Watched()
    url, stop = serve_in_thread(watched)
    yield url, watched
    stop()


def _start_worker(db_url: str, service_url: str) -> subprocess.Popen:
    env = {
        **os.environ, **SIGNING_ENV, "DATABASE_URL": db_url, "REDIS_URL": REDIS_URL, "OUTBOX_DISPATCH": "celery",
        "FEATURES": FEATURES, "ONEC_EXCHANGE_PASSWORD": EXCHANGE_PASSWORD,
        "ONEC_SERVICE_URL": service_url, "ONEC_SERVICE_USER": USER, "ONEC_SERVICE_PASSWORD": PASSWORD,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wsgi:celery", "worker", "--concurrency", "1", "--pool", "prefork",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "-Q", "celery"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _order(app: Any) -> int:
    with app.test_request_context():
        session = db_session()
        price_type = PriceType(code="w", name="w")
        category = Category(name="Борошно")
        session.add_all([price_type, category])
        session.flush()
        company = Company(name="ТОВ «Альфа»", kind="legal", tax_id=TAX_ID, price_type_id=price_type.id)
        product = Product(sku="A-1001", name="Борошно", unit="шт", pack_multiple=Decimal("1"), vat_rate=Decimal("20"),
                          category_id=category.id, onec_guid=guid("product", "1001"))
        refresh_search_text(product)
        session.add_all([company, product])
        session.flush()
        session.add(Price(price_type_id=price_type.id, product_id=product.id, amount=Decimal("58.40")))
        owner = User(company_id=company.id, full_name="Тест", role="owner", email="t@t.ua",
                     password_hash=hash_password("x" * 10))
        point = DeliveryPoint(company_id=company.id, name="Склад", address="Київ")
        session.add_all([owner, point])
        session.flush()
        order = submit_order(session, company, [(product.id, Decimal("3"))], actor=Actor.of(owner),
                             idempotency_key="killed-mid-push", delivery_point_id=point.id).order
        session.commit()
        relay.dispatch_committed(app)
        return order.id


def test_a_worker_killed_while_1c_takes_the_order_makes_one_order_in_1c(tmp_path: Path, onec_1c: tuple[str, Watched]) -> None:
    service, watched = onec_1c
    db_url, drop = _separate_database(tmp_path)
    reset_schema(db_url)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = db_url
        REDIS_URL = globals()["REDIS_URL"]
        OUTBOX_DISPATCH = "celery"
        FEATURES = FEATURES
        ONEC_EXCHANGE_PASSWORD = EXCHANGE_PASSWORD

    app = create_app(Config)
    app.extensions["celery"].connection_for_write().default_channel.client.flushdb()
    worker = _start_worker(db_url, f"{service}/ws/portal_exchange")
    try:
        # 1C answers late: the worker is killed after 1C has the order, before its answer.
        httpx.post(f"{service}/_emulator/fail", data={"mode": "delay", "seconds": str(SLOW_1C_SECONDS)})
        order_id = _order(app)
        if not watched.posted.wait(60):
            _kill(worker)
            pytest.fail("the worker never posted the order: " + worker.stdout.read().decode()[-3000:])
        _kill(worker)
        time.sleep(SLOW_1C_SECONDS)  # 1C finishes taking it
        [taken] = httpx.get(f"{service}/_emulator/received").json()["orders"]
        with app.app_context():
            assert db_session.scalar(select(OutboxEvent.status).where(OutboxEvent.topic == "order.submitted")) == "pending"
            assert db_session.get(OnecDocumentRef, (f"order-{order_id}", "order")) is None
            db_session.remove()
        worker = _start_worker(db_url, f"{service}/ws/portal_exchange")
        deadline = time.monotonic() + 90
        with app.app_context():
            while True:
                ref = db_session.get(OnecDocumentRef, (f"order-{order_id}", "order"))
                if ref is not None:
                    break
                # No read left open while waiting: on SQLite it would keep the worker from writing.
                db_session.remove()
                assert time.monotonic() < deadline, "the order's push never finished after the restart"
                app.extensions["celery"].send_task("outbox.sweep")
                time.sleep(1)
            assert (ref.onec_id, ref.number) == (taken["id"], taken["number"])
            [run] = db_session.scalars(select(ExchangeRun).where(ExchangeRun.entity == "orders")).all()
            assert (run.status, run.created, run.unchanged) == ("success", 0, 1)  # 1C's answer to a repeat
            db_session.remove()
        assert len(httpx.get(f"{service}/_emulator/received").json()["orders"]) == 1
    finally:
        _kill(worker)
        app.extensions["db_engine"].dispose()
        drop()
