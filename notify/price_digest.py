"""Price changes reach the customers who buy those products: one digest per company.

Changes rest `PRICE_DIGEST_SETTLE_MINUTES` first, so an evening of edits (or one 1C
upload) is one message, and a price moved and moved back says nothing. Each change is
marked digested in the transaction that raises the companies' events.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import outbox
from core.catalog.models import PriceChange, Product
from core.clock import utcnow
from core.customers.models import Company
from core.jobs import periodic
from core.orders.models import Order, OrderLine
from core.orders.states import CANCELLED
from notify.tasks import QUEUE

BOUGHT_WITHIN_DAYS = 90


def raise_digests(session: Session, now: datetime | None = None) -> int:
    """Returns how many companies get a digest."""
    now = now or utcnow()
    settled = now - timedelta(minutes=current_app.config["PRICE_DIGEST_SETTLE_MINUTES"])
    query = (
        select(PriceChange)
        .where(PriceChange.digested_at.is_(None))
        .order_by(PriceChange.changed_at, PriceChange.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two overlapping runs never digest one change twice
    changes = list(session.scalars(query))
    # A price still being edited waits for its last edit to settle: a move and a move
    # back that straddle a run are one (no) change, not two messages.
    fresh = {(c.product_id, c.price_type_id) for c in changes if c.changed_at > settled}
    changes = [c for c in changes if (c.product_id, c.price_type_id) not in fresh]
    if not changes:
        return 0
    net: dict[tuple[int, int], tuple[Decimal, Decimal]] = {}
    for change in changes:
        key = (change.product_id, change.price_type_id)
        first_old = net[key][0] if key in net else change.old_amount
        net[key] = (first_old, change.new_amount)
    moved = {key: amounts for key, amounts in net.items() if amounts[0] != amounts[1]}
    session.execute(update(PriceChange).where(PriceChange.id.in_([c.id for c in changes])).values(digested_at=now))
    companies = _buyers(session, {product_id for product_id, _ in moved}, now) if moved else {}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_({pid for pid, _ in moved})))}
    payloads = []
    for company_id, (price_type_id, product_ids) in sorted(companies.items()):
        lines = [
            {"name": products[pid].name, "sku": products[pid].sku,
             "old": str(moved[(pid, price_type_id)][0]), "new": str(moved[(pid, price_type_id)][1])}
            for pid in sorted(product_ids, key=lambda pid: products[pid].name)
            if (pid, price_type_id) in moved
        ]
        if lines:
            payloads.append({"company_id": company_id, "lines": lines})
    outbox.emit_many(session, "prices.changed", payloads)
    session.flush()
    return len(payloads)


def _buyers(session: Session, product_ids: set[int], now: datetime) -> dict[int, tuple[int, set[int]]]:
    """company id -> (its price type, the changed products it bought lately)."""
    rows = session.execute(
        select(Order.company_id, Company.price_type_id, OrderLine.product_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Company, Company.id == Order.company_id)
        .where(OrderLine.product_id.in_(product_ids), Order.status != CANCELLED, Company.is_active,
               Order.created_at >= now - timedelta(days=BOUGHT_WITHIN_DAYS))
        .distinct()
    ).all()
    found: dict[int, tuple[int, set[int]]] = defaultdict(lambda: (0, set()))
    for company_id, price_type_id, product_id in rows:
        found[company_id] = (price_type_id, found[company_id][1] | {product_id})
    return dict(found)


@periodic("notify.price_digest", every_seconds=900, queue=QUEUE)
def price_digest_job(session: Session) -> int:
    count = raise_digests(session)
    session.commit()
    return count
