"""The Excel order forms customers upload, kept as sent and tied to the order they led to."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from core.clock import utcnow
from core.customers.models import User
from core.files.services import store_file
from core.orders.models import Order, OrderFormUpload
from core.orders.quick_order import QuickOrderResult

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def keep_order_form(session: Session, user: User, data: bytes, filename: str, result: QuickOrderResult) -> OrderFormUpload:
    """Only a form that was read is kept: one refused unread is not what anyone ordered from."""
    upload = OrderFormUpload(
        company_id=user.company_id, user_id=user.id, file=store_file(session, data, filename or "order.xlsx", XLSX),
        lines_good=len(result.good), lines_bad=len(result.bad),
    )
    session.add(upload)
    session.flush()
    return upload


def mark_added_to_cart(session: Session, user: User, upload_id: int) -> None:
    """The form's lines are in the cart now. An id that is not this customer's own form
    still waiting for an order changes nothing (the id came back through the browser)."""
    session.execute(
        update(OrderFormUpload)
        .where(OrderFormUpload.id == upload_id, OrderFormUpload.user_id == user.id, OrderFormUpload.order_id.is_(None))
        .values(added_to_cart_at=utcnow())
    )


def attach_to_order(session: Session, user: User, order: Order) -> None:
    """The order submitted from the cart came (in part) from the forms added to it."""
    session.execute(
        update(OrderFormUpload)
        .where(OrderFormUpload.user_id == user.id, OrderFormUpload.order_id.is_(None),
               OrderFormUpload.added_to_cart_at.is_not(None))
        .values(order_id=order.id)
    )


def order_forms(session: Session, order_id: int) -> list[OrderFormUpload]:
    return list(session.scalars(
        select(OrderFormUpload).where(OrderFormUpload.order_id == order_id)
        .options(joinedload(OrderFormUpload.file)).order_by(OrderFormUpload.id)
    ))
