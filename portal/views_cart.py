"""Cart: add from the list without leaving the page, change, remove, check out."""
from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from core.auth import customer_required
from core.clock import kyiv_today
from core.customers.models import Company
from core.db import db_session
from core.errors import DomainError
from core.orders import cart as carts
from core.orders.promotions import ONLINE_ORDER, active_promotion, discount_of
from core.orders.order_forms import attach_to_order
from core.orders.services import Actor, submit_order
from core.money import format_money, format_quantity
from payments.receivables import HELD_FOR_OVERDUE, company_balance, credit_hold
from portal.blueprint import bp
from portal.forms import CartLineForm, CheckoutForm
from portal.helpers import answer, back_within_site


def _snap_message(result: carts.SnapResult, pack_note: bool) -> str:
    if pack_note and result.snapped:
        return gettext(
            "Кількість округлено до %(q)s: товар продається упаковками.", q=format_quantity(result.quantity)
        )
    if result.quantity == 0:
        return gettext("Товар прибрано з кошика.")
    return gettext("У кошику: %(q)s.", q=format_quantity(result.quantity))


def _change_cart(add: bool) -> Any:
    form = CartLineForm()
    if not form.validate():
        message = next(iter(form.quantity.errors or form.product_id.errors), gettext("Невірна кількість."))
        return answer(str(message), 400, back_within_site())
    try:
        result = carts.set_quantity(db_session, current_user, form.product_id.data, form.quantity.data, add=add)
    except DomainError as exc:
        db_session.rollback()
        return answer(exc.message, 400, back_within_site())
    db_session.commit()
    return answer(
        _snap_message(result, pack_note=True),
        back=back_within_site(),
        category="warning" if result.snapped else "ok",
        quantity=format_quantity(result.quantity),
        snapped=result.snapped,
        cart_count=len(carts.cart_quantities(db_session, current_user.id)),
    )


@bp.post("/cart/add")
@customer_required
def cart_add() -> Any:
    return _change_cart(add=True)


@bp.post("/cart/set")
@customer_required
def cart_set() -> Any:
    return _change_cart(add=False)


def _checkout_form(company: Any) -> CheckoutForm:
    form = CheckoutForm()
    form.delivery_point.choices = [(p.id, f"{p.name} — {p.address}") for p in company.delivery_points if p.is_active]
    return form


@bp.get("/cart")
@customer_required
def cart() -> Any:
    view = carts.view_cart(db_session, current_user)
    g.cart_count = len(view.lines) + len(view.unavailable)
    form = _checkout_form(current_user.company)
    # A new key per rendered form: a resend of this form is the same order, a new visit a new one.
    form.idempotency_key.data = uuid.uuid4().hex
    return render_template("portal/cart.html", cart=view, form=form, **_money_context(current_user.company, view))


@bp.post("/checkout")
@customer_required
def checkout() -> Any:
    if not current_user.can_order:
        abort(403)
    company = current_user.company
    form = _checkout_form(company)
    view = carts.view_cart(db_session, current_user)
    if form.validate_on_submit():
        try:
            result = submit_order(
                db_session,
                company,
                [(line.product.id, line.quantity) for line in view.lines],
                actor=Actor.of(current_user),
                idempotency_key=form.idempotency_key.data,
                delivery_point_id=form.delivery_point.data,
                desired_date=form.desired_date.data,
                comment=form.comment.data or "",
            )
        except DomainError as exc:
            db_session.rollback()
            target = getattr(form, exc.field, None) if exc.field else None
            (target.errors if target is not None else form.form_errors).append(exc.message)
        else:
            if not result.duplicate:
                carts.clear_cart(db_session, current_user.id)
                attach_to_order(db_session, current_user, result.order)
            db_session.commit()
            if result.duplicate:
                flash(gettext("Це замовлення вже прийнято раніше — повторно не створювали."), "warning")
            else:
                flash(gettext("Замовлення №%(n)s прийнято. Менеджер уже його бачить.", n=result.order.number), "ok")
            return redirect(url_for("portal.order_detail", order_id=result.order.id))
    g.cart_count = len(view.lines) + len(view.unavailable)
    return render_template("portal/cart.html", cart=view, form=form, **_money_context(company, view)), 400


def _money_context(company: Company, view: carts.CartView) -> dict[str, Any]:
    """Debt and credit shown before submit, so a credit hold never comes as a surprise."""
    balance = company_balance(db_session, company)
    promotion = active_promotion(db_session, ONLINE_ORDER, kyiv_today())
    discount = discount_of(view.total, promotion)
    # The very rule the submit applies, to the total the order will have.
    reason = credit_hold(balance, adding=view.total - discount)
    warning = None
    if reason is not None and reason.code in HELD_FOR_OVERDUE:
        warning = gettext(
            "Є прострочена заборгованість %(amount)s: замовлення чекатиме рішення менеджера. "
            "Сплатіть прострочене, і його підтвердять одразу.",
            amount=format_money(balance.overdue),
        )
    elif reason is not None:
        warning = gettext(
            "Замовлення перевищує доступний кредит (%(amount)s): воно чекатиме рішення менеджера.",
            amount=format_money(balance.available_credit),
        )
    return {"balance": balance, "hold_warning": warning, "promotion": promotion, "discount": discount}
