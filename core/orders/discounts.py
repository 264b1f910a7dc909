"""Discounts off an order's total, each kept with its own name.

The lines keep their prices; each discount is a row of `OrderDiscount` and the total is
net of them all, so the invoice, 1C's order and the reports name every discount apart
instead of one sum under the promotion's name. Core gives the online-order promotion
(core.orders.services.submit_order); a feature gives its own from an order hook in the
submit's transaction (edo: registering in Vchasno), registering its code's sentence with
core.reasons.
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from core.money import ZERO, money
from core.orders.models import Order, OrderDiscount, Promotion
from core.reasons import Reason, register

ONLINE_ORDER_DISCOUNT = "discount.online_order"
register(ONLINE_ORDER_DISCOUNT, _l("Знижка «%(promotion)s» %(percent)s %% за замовлення онлайн"), rates=("percent",))
# A sum that migration 0026 could not attribute (an order discounted before discounts had names).
UNNAMED_DISCOUNT = "discount"
register(UNNAMED_DISCOUNT, _l("Знижка"))


def rate_param(rate: Decimal) -> str:
    """A percent as a reason's parameter (`rates`): 2.50 → "2.5", told in the reader's language."""
    return format(rate.normalize(), "f")


def online_order_reason(promotion: Promotion) -> Reason:
    return Reason(ONLINE_ORDER_DISCOUNT, {"promotion": promotion.name, "percent": rate_param(promotion.percent)})


def take_off(order: Order, reason: Reason, amount: Decimal) -> Decimal:
    """Take `amount` off the order's total as a discount named by `reason`; the VAT in the
    total shrinks in proportion. Never below zero: discounts of several givers, each a
    percent of the goods, may add up past them. Returns what was taken off."""
    amount = min(money(amount), order.total)
    if amount <= 0:
        return ZERO
    before = order.total
    order.total = before - amount
    order.vat_total = money(order.vat_total * order.total / before)
    order.discount_amount = (order.discount_amount or ZERO) + amount
    order.discounts.append(OrderDiscount(code=reason.code, params=reason.params, name=reason.text, amount=amount))
    return amount
