"""Backoffice fixtures: a logged-in staff member of any role, and ready-made orders."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from core.catalog.models import Product
from core.customers.models import Company
from core.orders.models import Order, OrderLine, OrderStatusChange
from core.staff.models import StaffUser
from tests.conftest import login

_seq = itertools.count(1)


@pytest.fixture
def as_staff(client: Any, db: Any, make_staff: Callable[..., StaffUser]) -> Callable[..., StaffUser]:
    """Log the test client in as a new staff member of the given role."""

    def log_in(role: str = "manager", **fields: Any) -> StaffUser:
        staff = make_staff(role, **fields)
        response = login(client, staff.email, staff=True)
        assert response.status_code == 302, response.get_data(as_text=True)
        return staff

    return log_in


@pytest.fixture
def make_order(db: Any) -> Callable[..., Order]:
    """An order row as 1C or the portal would have left it, with one line and its history."""

    def make(
        company: Company,
        *,
        status: str = "submitted",
        channel: str = "portal",
        manager: StaffUser | None = None,
        created_at: datetime | None = None,
        total: str = "100.00",
    ) -> Order:
        order = Order(
            company_id=company.id,
            status=status,
            channel=channel,
            idempotency_key=uuid4().hex,
            manager_id=manager.id if manager else company.manager_id,
            delivery_point_id=company.delivery_points[0].id if company.delivery_points else None,
            total=Decimal(total),
            vat_total=Decimal("16.67"),
            created_at=created_at or datetime.now(timezone.utc),
        )
        db.add(order)
        db.flush()
        db.add(
            OrderLine(
                order_id=order.id,
                product_id=_any_product_id(db),
                sku=f"SKU-X{next(_seq)}",
                name="Кава зернова",
                unit="шт",
                quantity=Decimal("1"),
                price=Decimal(total),
                vat_rate=Decimal("20.00"),
                amount=Decimal(total),
            )
        )
        db.add(
            OrderStatusChange(
                order_id=order.id, to_status="submitted", actor_kind="customer", actor_name="Покупець", department="customer"
            )
        )
        db.flush()
        return order

    return make


def _any_product_id(db: Any) -> int:
    product_id = db.scalar(select(Product.id).limit(1))
    assert product_id is not None, "make_order needs a product: use the make_product fixture first"
    return product_id
