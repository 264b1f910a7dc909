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
register(ONLINE_ORDER_DISCOUNT, _l("Знижка «%(promotion)s» %(percent)s %% за замовлення онлайн"))


def percent_text(rate: Decimal) -> str:
    """5.00 → "5", 2.50 → "2,5": as a person writes a percent in Ukrainian."""
    return format(rate.normalize(), "f").replace(".", ",")


def online_order_reason(promotion: Promotion) -> Reason:
    return Reason(ONLINE_ORDER_DISCOUNT, {"promotion": promotion.name, "percent": percent_text(promotion.percent)})


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
    order.discount_amount += amount
    order.discounts.append(OrderDiscount(code=reason.code, params=reason.params, name=reason.text, amount=amount))
    return amount
