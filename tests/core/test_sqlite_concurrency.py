"""The embedded default (SQLite) under a burst of writes: 200 "add to cart" at once on a
real threaded server must all succeed and lose no update."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalog.models import Category, Price, PriceType, Product, Stock, Warehouse
from core.catalog.services import refresh_search_text
from core.customers.models import Company, DeliveryPoint, User
from core.db import make_engine
from core.orders.models import CartItem
from emulators.http import serve_in_thread
from tests.apps import separate_app
from tests.config import TestConfig
from tests.conftest import _PASSWORD_HASH, PASSWORD, reset_schema, valid_edrpou

CUSTOMERS = 10
ADDS_PER_CUSTOMER = 20  # 200 requests in all, every one in flight at once


def _seed(url: str) -> tuple[list[str], int]:
    engine = make_engine(url)
    with Session(engine) as session:
        price_type = PriceType(code="wholesale", name="wholesale")
        category = Category(name="Кава")
        warehouse = Warehouse(name="Київ")
        session.add_all([price_type, category, warehouse])
        session.flush()
        product = Product(sku="CF-1", name="Кава", unit="шт", pack_multiple=Decimal("1"), vat_rate=Decimal("20.00"),
                          category_id=category.id, is_active=True)
        refresh_search_text(product)
        session.add(product)
        session.flush()
        session.add(Price(price_type_id=price_type.id, product_id=product.id, amount=Decimal("100.00")))
        session.add(Stock(warehouse_id=warehouse.id, product_id=product.id, quantity=Decimal("100000")))
        emails = []
        for n in range(CUSTOMERS):
            company = Company(name=f"Кафе {n}", kind="legal", tax_id=valid_edrpou(), price_type_id=price_type.id)
            session.add(company)
            session.flush()
            session.add(DeliveryPoint(company_id=company.id, name="Кафе", address="Київ"))
            emails.append(f"burst{n}@cafe.ua")
            session.add(User(company_id=company.id, full_name=f"Покупець {n}", email=emails[-1],
                             password_hash=_PASSWORD_HASH))
        session.commit()
        product_id = product.id
    engine.dispose()
    return emails, product_id


def test_200_concurrent_adds_to_cart_on_sqlite_all_succeed(app: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/burst.db"
    reset_schema(url)
    emails, product_id = _seed(url)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = None
        RATELIMIT_STORAGE_URI = "memory://"

    with separate_app(app, Config) as burst_app:
        base, stop = serve_in_thread(burst_app)
        try:
            clients = []
            for email in emails:
                client = httpx.Client(base_url=base, timeout=60)
                assert client.post("/login", data={"login": email, "password": PASSWORD}).status_code == 302
                clients.append(client)
            start = threading.Barrier(CUSTOMERS * ADDS_PER_CUSTOMER)

            def add(client: httpx.Client) -> int:
                start.wait()
                return client.post(
                    "/cart/add", data={"product_id": product_id, "quantity": "1"}, headers={"Accept": "application/json"}
                ).status_code

            with ThreadPoolExecutor(CUSTOMERS * ADDS_PER_CUSTOMER) as pool:
                statuses = list(pool.map(add, [c for c in clients for _ in range(ADDS_PER_CUSTOMER)]))
            for client in clients:
                client.close()
        finally:
            stop()
        engine = burst_app.extensions["db_engine"]
        with Session(engine) as session:
            quantities = session.scalars(select(CartItem.quantity)).all()
    failed = [s for s in statuses if s != 200]
    assert not failed, f"{len(failed)} of {len(statuses)} adds failed: {sorted(set(failed))}"
    assert sorted(quantities) == [Decimal(ADDS_PER_CUSTOMER)] * CUSTOMERS  # no add lost to a race
