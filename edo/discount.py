"""The discount a customer earned by registering in Vchasno, given once, to the first
order it submits after its registration was seen.

An order hook (core/orders/hooks.py), the way payments checks credit at submit: it runs
in the submit's transaction, after the promotion of ordering online (if any) was taken
off in core/orders/services.py, and takes its percent of the goods (the lines' sum) off
the order's total as a discount of its own (core.orders.discounts), which the invoice,
1C's order and the reports name apart from the promotion's. "Once" is one
conditional UPDATE: of two orders submitted at the same moment, only the one whose
UPDATE claims the incentive (used_order_id still empty) gets the discount; the other
finds it claimed (PostgreSQL re-reads the row after the first commits; SQLite writes one
at a time).

A cancelled order gives its discount back (`return_with_cancelled_order`): the customer
earned it by registering, and an order that was never delivered gave them nothing of it.
The next order submitted gets it.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.money import ZERO, money
from core.orders import states
from core.orders.discounts import rate_param, take_off
from core.orders.models import Order
from core.reasons import Reason, register
from edo.models import RegistrationIncentive

# Orders 1C made came to the portal from 1C: their prices are 1C's.
FROM_1C = "1c"
REGISTRATION_DISCOUNT = "discount.vchasno_registration"
register(REGISTRATION_DISCOUNT, _l("Знижка %(percent)s %% за реєстрацію у Вчасно"), rates=("percent",))


def apply_registration_discount(session: Session, order: Order, previous: str | None, actor: Any) -> None:
    if previous is not None or order.channel == FROM_1C:
        return  # only a new order; a hold or a later move of it is not a submit
    claimed = session.execute(
        update(RegistrationIncentive)
        .where(RegistrationIncentive.company_id == order.company_id, RegistrationIncentive.registered_at.is_not(None),
               RegistrationIncentive.used_order_id.is_(None), RegistrationIncentive.percent > 0)
        .values(used_order_id=order.id, used_at=utcnow())
        .returning(RegistrationIncentive.percent)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if claimed is None:
        return
    goods = sum((line.amount for line in order.lines), ZERO)
    if take_off(order, Reason(REGISTRATION_DISCOUNT, {"percent": rate_param(claimed)}), money(goods * claimed / 100)):
        session.flush()
    else:  # nothing left to take off (a few kopecks, or a promotion took it all): the next order gets it
        _release(session, order)


def return_with_cancelled_order(session: Session, order: Order, previous: str | None, actor: Any) -> None:
    if order.status == states.CANCELLED:
        _release(session, order)


def _release(session: Session, order: Order) -> None:
    session.execute(
        update(RegistrationIncentive).where(RegistrationIncentive.used_order_id == order.id)
        .values(used_order_id=None, used_at=None).execution_options(synchronize_session=False)
    )
