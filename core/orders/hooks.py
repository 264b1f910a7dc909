"""Follow-ups of an order's status change that must land in the same transaction.

A feature lists them in its `Feature.order_hooks` (payments issues the invoice when an
order is confirmed and checks credit when one is submitted), so `core` never imports a
feature package and a disabled feature's hooks do not run. A hook gets the session and
only `flush()`es; its DomainError aborts the change.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.db import app_of
from core.orders.models import Order


def after_status_change(session: Session, order: Order, previous: str | None, actor: Any) -> None:
    """`actor`: the `core.orders.services.Actor` who moved the order."""
    for hook in app_of(session).extensions["order_hooks"]:
        hook(session, order, previous, actor)
