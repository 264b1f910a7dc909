"""What each promotion gave away, and on how many orders or paid invoices."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.money import money
from core.orders.discounts import ONLINE_ORDER_DISCOUNT
from core.orders.models import Order, OrderDiscount, Promotion
from core.orders.states import CANCELLED
from payments.models import Allocation, CardCheckoutItem, Payment


@dataclass(frozen=True)
class PromotionReport:
    promotion: Promotion
    orders: int  # orders that got the online-order discount
    order_discount: Decimal
    payments: int  # invoices paid online with the online-payment discount
    payment_discount: Decimal


def promotion_reports(session: Session, promotions: list[Promotion]) -> list[PromotionReport]:
    """Two grouped queries whatever the number of promotions."""
    ids = [p.id for p in promotions]
    by_order = {
        pid: (count, money(total))
        for pid, count, total in session.execute(
            # The promotion's own discount: an order may carry another's too (edo's).
            select(Order.promotion_id, func.count(), func.sum(OrderDiscount.amount))
            .join(OrderDiscount, (OrderDiscount.order_id == Order.id) & (OrderDiscount.code == ONLINE_ORDER_DISCOUNT))
            .where(Order.promotion_id.in_(ids), Order.status != CANCELLED)
            .group_by(Order.promotion_id)
        )
    }
    # A write-off counts while its allocation stands (a reversed card payment takes it back too).
    by_payment = {
        pid: (count, money(total))
        for pid, count, total in session.execute(
            select(CardCheckoutItem.promotion_id, func.count(), func.sum(Allocation.amount))
            .join(Payment, Payment.checkout_id == CardCheckoutItem.checkout_id)
            .join(Allocation, (Allocation.payment_id == Payment.id) & (Allocation.invoice_id == CardCheckoutItem.invoice_id))
            .where(CardCheckoutItem.promotion_id.in_(ids), Payment.source == "discount", Allocation.reversed_at.is_(None))
            .group_by(CardCheckoutItem.promotion_id)
        )
    }
    none = (0, Decimal("0.00"))
    return [PromotionReport(p, *by_order.get(p.id, none), *by_payment.get(p.id, none)) for p in promotions]
