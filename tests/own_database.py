"""A database of its own for a test that runs a real server: the server's requests
commit for real, beside the suite's rolled-back test transactions."""
from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from core.catalog.models import Category, Price, PriceType, Product, Stock, Warehouse
from core.catalog.services import refresh_search_text
from core.config import sqlalchemy_url
from core.customers.models import Company, DeliveryPoint, User
from core.db import make_engine
from tests.conftest import _PASSWORD_HASH, reset_schema, valid_edrpou


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database built by the migrations, dropped afterwards
    (PostgreSQL: the suite's database name + "_own"; SQLite: a file)."""
    suite_url = os.environ.get("DATABASE_URL")
    if not suite_url:
        url = f"sqlite:///{tmp_path}/own.db"
        reset_schema(url)
        yield url
        return
    suite = make_url(sqlalchemy_url(suite_url))
    name = f"{suite.database}_own"
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


def seed_customers(url: str, customers: int, pack: Decimal) -> tuple[list[str], int]:
    """`customers` customer users (log in with their e-mail and the suite's password, a
    phone each) of companies of their own, and one product sold in packs of `pack`;
    committed. Returns the e-mails and the product's id."""
    engine = make_engine(url)
    with Session(engine) as session:
        price_type, category, warehouse = PriceType(code="wholesale", name="wholesale"), Category(name="Молоко"), Warehouse(name="Київ")
        session.add_all([price_type, category, warehouse])
        session.flush()
        product = Product(sku="ML-6", name="Молоко 1 л", unit="шт", pack_multiple=pack, vat_rate=Decimal("20.00"),
                          category_id=category.id, is_active=True)
        refresh_search_text(product)
        session.add(product)
        session.flush()
        session.add(Price(price_type_id=price_type.id, product_id=product.id, amount=Decimal("41.20")))
        session.add(Stock(warehouse_id=warehouse.id, product_id=product.id, quantity=Decimal("100000")))
        emails = [f"race{n}@cafe.ua" for n in range(customers)]
        for n, email in enumerate(emails):
            company = Company(name=f"Кафе {n}", kind="legal", tax_id=valid_edrpou(), price_type_id=price_type.id)
            session.add(company)
            session.flush()
            session.add(DeliveryPoint(company_id=company.id, name="Кафе", address="Київ"))
            session.add(User(company_id=company.id, full_name=f"Покупець {n}", email=email, phone=f"+38067550{n:04d}",
                             password_hash=_PASSWORD_HASH))
        session.commit()
        product_id = product.id
    engine.dispose()
    return emails, product_id
