"""#10.8: "add to cart" of a product not yet in the cart, sent several times at once by
the same customer (two tabs, a double tap), on a real threaded server and a database of
its own: no request fails on the cart's unique key, and no add is lost."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, select, text
from sqlalchemy.orm import Session

from core.catalog.models import Category, Price, PriceType, Product, Stock, Warehouse
from core.catalog.services import refresh_search_text
from core.config import TestConfig, sqlalchemy_url
from core.customers.models import Company, DeliveryPoint, User
from core.db import make_engine
from core.orders.models import CartItem
from emulators.http import serve_in_thread
from tests.apps import separate_app
from tests.conftest import _PASSWORD_HASH, PASSWORD, reset_schema, valid_edrpou

CUSTOMERS = 6
ADDS_PER_CUSTOMER = 8  # all of them in flight at once
PACK = Decimal("6")
EACH_ADD = "4"  # snapped up to a whole pack: every add puts one more pack in the cart


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own beside the suite's (PostgreSQL: the suite's name + "_cart_race";
    SQLite: a file), built by the migrations: the server's requests commit for real."""
    suite_url = os.environ.get("DATABASE_URL")
    if not suite_url:
        url = f"sqlite:///{tmp_path}/cart_race.db"
        reset_schema(url)
        yield url
        return
    suite = make_url(sqlalchemy_url(suite_url))
    name = f"{suite.database}_cart_race"
    admin = make_engine(suite.render_as_string(hide_password=False)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = suite.set(database=name).render_as_string(hide_password=False)
    try:
        reset_schema(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed(url: str) -> tuple[list[str], int]:
    engine = make_engine(url)
    with Session(engine) as session:
        price_type, category, warehouse = PriceType(code="wholesale", name="wholesale"), Category(name="Молоко"), Warehouse(name="Київ")
        session.add_all([price_type, category, warehouse])
        session.flush()
        product = Product(sku="ML-6", name="Молоко 1 л", unit="шт", pack_multiple=PACK, vat_rate=Decimal("20.00"),
                          category_id=category.id, is_active=True)
        refresh_search_text(product)
        session.add(product)
        session.flush()
        session.add(Price(price_type_id=price_type.id, product_id=product.id, amount=Decimal("41.20")))
        session.add(Stock(warehouse_id=warehouse.id, product_id=product.id, quantity=Decimal("100000")))
        emails = [f"race{n}@cafe.ua" for n in range(CUSTOMERS)]
        for n, email in enumerate(emails):
            company = Company(name=f"Кафе {n}", kind="legal", tax_id=valid_edrpou(), price_type_id=price_type.id)
            session.add(company)
            session.flush()
            session.add(DeliveryPoint(company_id=company.id, name="Кафе", address="Київ"))
            session.add(User(company_id=company.id, full_name=f"Покупець {n}", email=email, password_hash=_PASSWORD_HASH))
        session.commit()
        product_id = product.id
    engine.dispose()
    return emails, product_id


def test_simultaneous_adds_of_a_new_product_all_succeed_and_add_up(app: Any, own_database: str) -> None:
    emails, product_id = _seed(own_database)

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
