"""Promotions with date ranges: which one applies today, and the online-order discount."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.money import money
from core.orders.models import Promotion

ONLINE_ORDER, ONLINE_PAYMENT = "online_order", "online_payment"


def active_promotion(session: Session, kind: str, on: date) -> Promotion | None:
    """The most generous active promotion of a kind on a day (two overlapping ones do not add up)."""
    return session.scalar(
        select(Promotion)
        .where(Promotion.kind == kind, Promotion.is_active.is_(True), Promotion.starts_on <= on, Promotion.ends_on >= on)
        .order_by(Promotion.percent.desc(), Promotion.id)
        .limit(1)
    )


def discount_of(amount: Decimal, promotion: Promotion | None) -> Decimal:
    return money(amount * promotion.percent / 100) if promotion else Decimal("0.00")

