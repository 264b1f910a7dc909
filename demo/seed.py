"""One call builds the whole demo: catalog, staff, customers, order history, a cart."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from random import Random

from flask import current_app, has_app_context
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import core.models  # noqa: F401  every table, so a reset empties them all
from core.auth import hash_password
from core.catalog.models import Category, Price, Product, Stock, Warehouse
from core.clock import kyiv_today, utcnow
from core.customers.models import Company, DeliveryPoint, User
from core.db import Base
from core.features import installed_names, load, resolve
from demo.catalog import catalog_capacity, seed_catalog
from demo.customers import (
    Registries,
    await_cabinet,
    insert_companies,
    random_company_plan,
)
from demo.identifiers import Unique
from demo.orders import Showcase, fill_cart, seed_orders
from demo.staff import seed_staff
from demo.well_known import (
    CAFE_DEMO,
    CAFE_SHOWCASE,
    FOP_SHOWCASE,
    well_known_plans,
)
from core.orders.models import CartItem, Order, OrderLine, OrderStatusChange
from core.staff.models import StaffUser
from demo.history import MoneySide

DEMO_PASSWORD = "demo12345"
# One customer in this many was taken on in the last days and has no cabinet yet.
AWAITING_CABINET_EVERY = 25


@dataclass(frozen=True)
class DemoSummary:
    counts: dict[str, int]
    orders_by_status: dict[str, int]


def existing_data(session: Session) -> dict[str, int]:
    """Rows the demo would collide with; all zero on a freshly migrated database."""
    return {
        "products": session.scalar(select(func.count()).select_from(Product)) or 0,
        "companies": session.scalar(select(func.count()).select_from(Company)) or 0,
        "staff users": session.scalar(select(func.count()).select_from(StaffUser)) or 0,
    }


def clear_database(session: Session) -> None:
    """Empty every table, so the demo starts over with ids from 1."""
    tables = Base.metadata.sorted_tables
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        names = ", ".join(dialect.identifier_preparer.format_table(table) for table in tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    else:  # SQLite numbers from the largest id left, so an empty table starts at 1 again
        for table in reversed(tables):  # children before the rows they point at
            session.execute(table.delete())
    # Loaded objects now stand for deleted rows, whose ids the new rows will reuse.
    session.expunge_all()


def demo_steps() -> list[str]:
    """The enabled features' demo steps (`Feature.demo`); outside an app, every installed one's."""
    registry = current_app.extensions["features"] if has_app_context() else load(installed_names())
    return [feature.demo for feature in registry.features if feature.demo]


def demo_showcases() -> list[str]:
    """The enabled features' showcases (`Feature.demo_showcase`); none outside an app."""
    if not has_app_context():
        return []
    return [feature.demo_showcase for feature in current_app.extensions["features"].features if feature.demo_showcase]


def seed_demo(
    session: Session,
    *,
    products: int = 3000,
    companies: int = 300,
    orders: int = 3000,
    seed: int = 42,
    now: datetime | None = None,
    steps: Sequence[str] | None = None,
) -> DemoSummary:
    """Fill an empty database. Only flushes: the caller commits (or, in tests, rolls back).
    `steps`: the features' demo steps to take (default: the enabled features')."""
    capacity = catalog_capacity()
    if not 1 <= products <= capacity:
        raise ValueError(f"products must be between 1 and {capacity}")
    if companies < 1 or orders < 0:
        raise ValueError("companies must be at least 1 and orders not negative")
    steps = demo_steps() if steps is None else list(steps)
    if len(steps) > 1:
        raise ValueError(f"one feature plays the money of the order history, not {len(steps)}: {', '.join(steps)}")
    now = now or utcnow()
    rng = Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose

    catalog = seed_catalog(session, rng, products)
    phones = Unique()
    staff = seed_staff(session, rng, phones, password_hash)
    manager_ids = [person.id for person in staff if person.role == "manager"]
    registries = Registries(phones)
    shared = {
        "price_type_ids": catalog.price_type_ids,
        "manager_ids": manager_ids,
        "password_hash": password_hash,
        "now": now,
    }
    plans = well_known_plans(rng, registries, **shared)[:companies]
    well_known = len(plans)
    plans += [random_company_plan(rng, registries, **shared) for _ in range(companies - len(plans))]
    awaiting = min(companies // AWAITING_CABINET_EVERY, companies - well_known)
    for plan in plans[len(plans) - awaiting:]:
        await_cabinet(plan, rng, now)
    demo_companies = insert_companies(session, plans)[:len(plans) - awaiting]
    showcase = [
        Showcase(company, days_ago, frozenset(flags), within)
        for company, script in zip(demo_companies[:well_known], (CAFE_SHOWCASE, FOP_SHOWCASE))
        for days_ago, flags, within in script
    ]
    money = seed_orders(
        session,
        rng,
        count=orders,
        companies=demo_companies,
        catalog=catalog,
        staff=staff,
        now=now,
        showcase=showcase,
        reliable=demo_companies[:well_known],
        money_side=resolve(steps[0]) if steps else None,
    )
    fill_cart(session, rng, CAFE_DEMO.email, catalog)
    session.flush()
    for showcase_step in demo_showcases():
        resolve(showcase_step)(session, now)
    return summarize(session, money, kyiv_today(now))


def summarize(session: Session, money: MoneySide, today: date) -> DemoSummary:
    def count(model: type, *where: object) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    counts = {
        "categories": count(Category),
        "products": count(Product),
        "inactive products": count(Product, Product.is_active.is_(False)),
        "prices": count(Price),
        "warehouses": count(Warehouse),
        "stock rows": count(Stock),
        "staff users": count(StaffUser),
        "companies": count(Company),
        "sole proprietors": count(Company, Company.kind == "sole"),
        "delivery points": count(DeliveryPoint),
        "customer users": count(User),
        "orders": count(Order),
        "order lines": count(OrderLine),
        "status changes": count(OrderStatusChange),
        "cart items": count(CartItem),
        **money.counts(session, today),
    }
    by_status = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    return DemoSummary(counts=counts, orders_by_status=by_status)
