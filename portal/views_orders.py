"""Order history, one order, repeat into the cart, cancel before confirmation."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.auth import customer_required
from core.catalog.details import order_sections
from core.db import db_session
from core.errors import DomainError
from core.orders import cart as carts
from core.orders import states
from core.orders.models import Order
from core.orders.services import Actor, change_status, repeat_lines
from payments.invoices import invoices_of_order
from payments.receivables import company_balance, hold_of
from portal.blueprint import bp
from portal.forms import OrderPageForm

PAGE_SIZE = 25


def _own_order(order_id: int) -> Order:
    """Another company's order is "not found", never "forbidden": ids reveal nothing."""
    order = db_session.scalar(
        select(Order)
        .where(Order.id == order_id, Order.company_id == current_user.company_id)
        .options(selectinload(Order.lines), selectinload(Order.history), selectinload(Order.delivery_point),
                 selectinload(Order.discounts))
    )
    if order is None:
        abort(404)
    return order


@bp.get("/orders")
@customer_required
def orders() -> Any:
    page = max(request.args.get("page", type=int) or 1, 1)
    rows = list(
        db_session.scalars(
            select(Order)
            .where(Order.company_id == current_user.company_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return render_template(
        "portal/orders.html", orders=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE, form=OrderPageForm()
    )


@bp.get("/orders/<int:order_id>")
@customer_required
def order_detail(order_id: int) -> Any:
    order = _own_order(order_id)
    can_cancel = current_user.can_order and states.CANCELLED in states.next_statuses(order.status, "customer")
    return render_template(
        "portal/order.html",
        order=order,
        form=OrderPageForm(),
        can_cancel=can_cancel,
        invoices=invoices_of_order(db_session, order.id),
        hold=_hold_explained(order),
        sections=order_sections(db_session, order),
    )


def _hold_explained(order: Order) -> dict[str, Any] | None:
    """Why the order waits (as written when it was held) and what the customer can do
    now: pay the overdue debt (then it is confirmed by itself, unless over the limit
    too) or wait for the manager's decision on the limit."""
    if order.status != states.ON_HOLD:
        return None
    balance = company_balance(db_session, current_user.company)
    return {
        "row": hold_of(order),
        "overdue": balance.overdue,
        "over_limit": balance.over_limit(),
    }


@bp.post("/orders/<int:order_id>/repeat")
@customer_required
def order_repeat(order_id: int) -> Any:
    order = _own_order(order_id)
    if not OrderPageForm().validate_on_submit():
        abort(400)
    added = skipped = 0
    for product_id, quantity in repeat_lines(order):
        try:
            carts.set_quantity(db_session, current_user, product_id, quantity, add=True)
            added += 1
        except DomainError:
            skipped += 1
    db_session.commit()
    if skipped:
        flash(
            gettext("Додано в кошик %(added)s позицій; %(skipped)s більше недоступні.", added=added, skipped=skipped),
            "warning",
        )
    else:
        flash(gettext("Усі %(added)s позицій замовлення додано в кошик.", added=added), "ok")
    return redirect(url_for("portal.cart"))


@bp.post("/orders/<int:order_id>/cancel")
@customer_required
def order_cancel(order_id: int) -> Any:
    order = _own_order(order_id)
    if not current_user.can_order or not OrderPageForm().validate_on_submit():
        abort(403)
    try:
        change_status(db_session, order, states.CANCELLED, Actor.of(current_user), gettext("Скасовано клієнтом"))
    except DomainError as exc:
        db_session.rollback()
        flash(exc.message, "error")
    else:
        db_session.commit()
        flash(gettext("Замовлення скасовано."), "ok")
    return redirect(url_for("portal.order_detail", order_id=order.id))
