"""#10.8: "add to cart" of a product not yet in the cart, sent several times at once by
the same customer (two tabs, a double tap), on a real threaded server and a database of
its own: no request fails on the cart's unique key, and no add is lost."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.orders.models import CartItem
from emulators.http import serve_in_thread
from tests.apps import separate_app
from tests.config import TestConfig
from tests.conftest import PASSWORD
from tests.own_database import own_database, seed_customers  # noqa: F401  (a fixture)

CUSTOMERS = 6
ADDS_PER_CUSTOMER = 8  # all of them in flight at once
PACK = Decimal("6")
EACH_ADD = "4"  # snapped up to a whole pack: every add puts one more pack in the cart


def test_simultaneous_adds_of_a_new_product_all_succeed_and_add_up(app: Any, own_database: str) -> None:
    emails, product_id = seed_customers(own_database, CUSTOMERS, PACK)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = own_database
        REDIS_URL = None
        RATELIMIT_STORAGE_URI = "memory://"

    with separate_app(app, Config) as race_app:
        base, stop = serve_in_thread(race_app)
        clients = [httpx.Client(base_url=base, timeout=60) for _ in emails]
        try:
            for client, email in zip(clients, emails, strict=True):
                assert client.post("/login", data={"login": email, "password": PASSWORD}).status_code == 302
            start = threading.Barrier(CUSTOMERS * ADDS_PER_CUSTOMER)

            def add(client: httpx.Client) -> int:
                start.wait()
                return client.post("/cart/add", data={"product_id": product_id, "quantity": EACH_ADD},
                                   headers={"Accept": "application/json"}).status_code

            with ThreadPoolExecutor(CUSTOMERS * ADDS_PER_CUSTOMER) as pool:
                statuses = list(pool.map(add, [c for c in clients for _ in range(ADDS_PER_CUSTOMER)]))
        finally:
            for client in clients:
                client.close()
            stop()
        with Session(race_app.extensions["db_engine"]) as session:
            quantities = session.scalars(select(CartItem.quantity)).all()
    failed = [status for status in statuses if status != 200]
    assert not failed, f"{len(failed)} of {len(statuses)} adds failed: {sorted(set(failed))}"
    assert sorted(quantities) == [PACK * ADDS_PER_CUSTOMER] * CUSTOMERS
