"""Test fixtures: one schema per run (built by the real migrations), one rolled-back
transaction per test. SQLite by default; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set."""
from __future__ import annotations

import itertools
import shutil
import os
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from core.app import create_app
from core.auth import hash_password
from core.catalog.models import Category, Price, PriceType, Product, Stock, Warehouse
from core.catalog.services import refresh_search_text
from core.cli import alembic_config
from core.config import sqlalchemy_url
from tests.config import TestConfig
from core.customers.models import Company, DeliveryPoint, User
from core.db import db_session
from core.orders import states
from core.orders.services import Actor, change_status, submit_order
from core.ids import edrpou_check_digit, rnokpp_check_digit
from core.staff.models import StaffUser
from emulators.mailbox import self_signed_cert

PASSWORD = "correct-horse-42"
_PASSWORD_HASH = hash_password(PASSWORD)
_seq = itertools.count(1)


def database_url(tmp_dir: str, name: str = "tests") -> str:
    return sqlalchemy_url(os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_dir}/{name}.db")


def reset_schema(url: str) -> None:
    """Drop whatever a previous run left and build the schema through the migrations."""
    from core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        # The tables the database has, not the ones this run has imported models of: a run of
        # a few tests would otherwise leave a feature's tables pointing at the kernel's.
        existing = MetaData()
        existing.reflect(conn)
        existing.drop_all(conn)
    engine.dispose()
    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = database_url(str(tmp_path_factory.mktemp("db")))

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = os.environ.get("REDIS_URL") or None
        FILES_DIR = str(tmp_path_factory.mktemp("files"))

    reset_schema(url)
    return create_app(Config)


@pytest.fixture
def db(app: Any) -> Iterator[Session]:
    """The test's own session, inside one transaction rolled back at the end.

    Requests made by the test client get sessions of their own on the same
    connection; their commits and rollbacks are savepoints. No app context is held
    open here: Flask would share it (and `g`) with every request the test makes.
    """
    engine = app.extensions["db_engine"]
    db_session.remove()
    connection = engine.connect()
    transaction = connection.begin()
    db_session.configure(bind=connection, join_transaction_mode="create_savepoint")
    session = db_session()
    yield session
    db_session.remove()
    transaction.rollback()
    connection.close()
    db_session.configure(bind=engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def ctx(app: Any, db: Session) -> Iterator[None]:
    """A request context for tests that call services directly (translations, url_for)."""
    with app.test_request_context():
        yield


@pytest.fixture
def client(app: Any, db: Any) -> Any:
    return app.test_client()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def valid_edrpou() -> str:
    first = f"{3000000 + next(_seq) % 2999999:07d}"
    return first + str(edrpou_check_digit(first))


def valid_rnokpp() -> str:
    first = f"{300000000 + next(_seq):09d}"
    return first + str(rnokpp_check_digit(first))


@pytest.fixture
def price_types(db: Any) -> dict[str, PriceType]:
    types = {code: PriceType(code=code, name=code) for code in ("retail", "wholesale", "key")}
    db.add_all(types.values())
    db.flush()
    return types


@pytest.fixture
def warehouses(db: Any) -> list[Warehouse]:
    found = [Warehouse(name="Київ"), Warehouse(name="Львів")]
    db.add_all(found)
    db.flush()
    return found


@pytest.fixture
def make_product(db: Any, price_types: dict[str, PriceType], warehouses: list[Warehouse]) -> Callable[..., Product]:
    category = Category(name="Кава")
    db.add(category)
    db.flush()

    def make(
        name: str = "Кава зернова Арабіка 1 кг",
        *,
        sku: str | None = None,
        barcode: str | None = None,
        pack: str = "1",
        prices: dict[str, str] | None = None,
        stock: tuple[str, ...] = ("100", "20"),
        unit: str = "шт",
        active: bool = True,
        vat: str = "20.00",
    ) -> Product:
        product = Product(
            sku=sku or unique("SKU-"),
            name=name,
            barcode=barcode,
            unit=unit,
            pack_multiple=Decimal(pack),
            vat_rate=Decimal(vat),
            category_id=category.id,
            is_active=active,
        )
        refresh_search_text(product)
        db.add(product)
        db.flush()
        for code, amount in (prices or {"retail": "120.00", "wholesale": "100.00", "key": "90.00"}).items():
            db.add(Price(price_type_id=price_types[code].id, product_id=product.id, amount=Decimal(amount)))
        for warehouse, quantity in zip(warehouses, stock):
            db.add(Stock(warehouse_id=warehouse.id, product_id=product.id, quantity=Decimal(quantity)))
        db.flush()
        return product

    make.category = category  # type: ignore[attr-defined]
    return make


@pytest.fixture
def make_staff(db: Any) -> Callable[..., StaffUser]:
    def make(role: str = "manager", **fields: Any) -> StaffUser:
        staff = StaffUser(
            email=fields.pop("email", None) or f"{unique('staff')}@distributor.ua",
            full_name=fields.pop("full_name", f"Менеджер {next(_seq)}"),
            role=role,
            password_hash=_PASSWORD_HASH,
            **fields,
        )
        db.add(staff)
        db.flush()
        return staff

    return make


@pytest.fixture
def make_company(db: Any, price_types: dict[str, PriceType]) -> Callable[..., Company]:
    def make(name: str | None = None, *, price_type: str = "wholesale", sole: bool = False, **fields: Any) -> Company:
        company = Company(
            name=name or f"ТОВ «Кафе {next(_seq)}»",
            kind="sole" if sole else "legal",
            tax_id=valid_rnokpp() if sole else valid_edrpou(),
            price_type_id=price_types[price_type].id,
            payment_terms=fields.pop("payment_terms", "prepayment"),
            **fields,
        )
        db.add(company)
        db.flush()
        db.add(DeliveryPoint(company_id=company.id, name="Кафе на Подолі", address="Київ, вул. Сагайдачного, 1"))
        db.flush()
        return company

    return make


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(company: Company, role: str = "buyer", **fields: Any) -> User:
        n = next(_seq)
        user = User(
            company_id=company.id,
            full_name=fields.pop("full_name", f"Покупець {n}"),
            role=role,
            email=fields.pop("email", f"buyer{n}@cafe.ua"),
            phone=fields.pop("phone", f"+38067{n:07d}"),
            password_hash=_PASSWORD_HASH,
            **fields,
        )
        db.add(user)
        db.flush()
        return user

    return make


def login(client: Any, login_name: str, password: str = PASSWORD, staff: bool = False) -> Any:
    url = "/staff/login" if staff else "/login"
    return client.post(url, data={"login": login_name, "password": password})


@pytest.fixture
def customer(make_company: Callable[..., Company], make_user: Callable[..., User]) -> User:
    return make_user(make_company())


@pytest.fixture
def logged_in(client: Any, customer: User) -> Any:
    response = login(client, customer.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def confirmed_order(app: Any, db: Any, make_product: Any, make_staff: Any) -> Callable[..., Any]:
    """An order of `user`'s company, submitted and confirmed by a manager (or on hold,
    when the credit check says so)."""
    manager = make_staff("manager")

    def make(user: Any, lines: tuple[tuple[str, str], ...] = (("100.00", "3"),)) -> Any:
        items = [(make_product(prices={"wholesale": price}).id, Decimal(qty)) for price, qty in lines]
        # A context only while the services run: one held open would be shared with
        # the test client's requests (and their `g`).
        with app.test_request_context():
            order = submit_order(
                db, user.company, items, actor=Actor.of(user), idempotency_key=f"k{time.monotonic_ns()}",
                delivery_point_id=user.company.delivery_points[0].id,
            ).order
            if order.status == states.SUBMITTED:
                change_status(db, order, states.CONFIRMED, Actor.of(manager))
            db.flush()
        return order

    make.manager = manager  # type: ignore[attr-defined]
    return make


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (the SMTP tests' STARTTLS and SMTPS)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: no certificate for the TLS tests")
    return self_signed_cert(tmp_path_factory.mktemp("tls"))
