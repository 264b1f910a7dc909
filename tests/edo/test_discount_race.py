"""Two orders of one company submitted at the same moment, each in its own transaction on
its own connection (a database of its own, committed for real): the registration discount
goes to one of them only."""
from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.customers.models import Company
from core.db import make_engine
from core.orders.models import Order, OrderLine
from edo.discount import apply_registration_discount
from edo.models import RegistrationIncentive
from tests.own_database import own_database, seed_customers  # noqa: F401  the fixture


def test_two_simultaneous_orders_get_the_discount_once(own_database: str) -> None:  # noqa: F811
    _emails, product_id = seed_customers(own_database, 1, Decimal("1"))
    engine = make_engine(own_database)
    with Session(engine) as session:
        company_id = session.scalar(select(Company.id))
        session.add(RegistrationIncentive(company_id=company_id, percent=Decimal("5"), registered_at=utcnow()))
        orders = [
            Order(company_id=company_id, status="submitted", idempotency_key=f"race-{n}", total=Decimal("100.00"),
                  vat_total=Decimal("16.67"), lines=[OrderLine(product_id=product_id, sku="ML-6", name="Молоко 1 л",
                                                               unit="шт", quantity=Decimal("1"), price=Decimal("100.00"),
                                                               vat_rate=Decimal("20.00"), amount=Decimal("100.00"))])
            for n in range(2)
        ]
        session.add_all(orders)
        session.commit()
        order_ids = [order.id for order in orders]

    ready = threading.Barrier(2)
    problems: list[BaseException] = []

    def submit(order_id: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                order = session.get(Order, order_id)
                _ = order.lines
                # The read's transaction ends here: on SQLite a writing one holds the lock
                # from its BEGIN (core/db.py), which would keep the other thread from the start line.
                session.commit()
                ready.wait(timeout=10)
                apply_registration_discount(session, order, None, None)
                session.commit()
        except BaseException as exc:  # surfaced below, not lost in the thread
            problems.append(exc)

    threads = [threading.Thread(target=submit, args=(order_id,)) for order_id in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert problems == []
    with Session(engine) as session:
        discounts = sorted(session.scalars(select(Order.discount_amount).where(Order.id.in_(order_ids))))
        incentive = session.scalar(select(RegistrationIncentive))
    engine.dispose()
    assert discounts == [Decimal("0.00"), Decimal("5.00")]
    assert incentive.used_order_id in order_ids
