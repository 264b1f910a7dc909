"""Orders: the filtered list, one order with its history, and status moves."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, selectinload

from backoffice.access import COLLECTORS, ORDER_HANDLERS
from backoffice.blueprint import bp
from backoffice.forms import OrderFilterForm, StatusChangeForm
from backoffice.helpers import current_page, paginate
from backoffice.search import contains
from core.auth import staff_required
from core.catalog.details import order_sections
from core.clock import kyiv_moment, kyiv_today
from core.customers.models import Company
from core.db import db_session, is_postgres
from core.errors import DomainError
from core.orders import states
from core.files.web import download
from core.orders.models import Order, OrderFormUpload
from core.orders.order_forms import order_forms
from core.orders.services import Actor, change_status
from core.staff.models import StaffUser
from core.money import format_money
from core.web import channel_label, status_label
from payments.invoice_document import invoice_pdf as invoice_pdf_file
from payments.invoices import invoices_of_order
from payments.models import Invoice
from payments.receivables import (
    company_balance,
    debts_by_company,
    decide_hold,
    head_release_threshold,
    may_release,
)


def sales_staff_choices() -> list[tuple[int, str]]:
    people = db_session.scalars(
        select(StaffUser)
        .where(StaffUser.role.in_(("manager", "head_of_sales")), StaffUser.is_active_flag.is_(True))
        .order_by(StaffUser.full_name)
    )
    return [(person.id, person.full_name) for person in people]


def filtered_orders(form: OrderFilterForm) -> Select:
    """Apply every filter the staff member filled in correctly; a wrong one is shown, not applied."""
    stmt = select(Order).options(joinedload(Order.company), joinedload(Order.manager))

    def usable(field: Any) -> bool:
        return not field.errors and field.data not in (None, "")

    if usable(form.status):
        stmt = stmt.where(Order.status == form.status.data)
    if form.mine.data:
        stmt = stmt.where(Order.manager_id == current_user.id)
    elif usable(form.manager):
        stmt = stmt.where(Order.manager_id == form.manager.data)
    if usable(form.company_id):
        stmt = stmt.where(Order.company_id == form.company_id.data)
    if usable(form.company):
        term = form.company.data
        stmt = stmt.join(Company, Company.id == Order.company_id).where(
            or_(contains(Company.name, term), Company.tax_id.startswith(term, autoescape=True))
        )
    if usable(form.channel):
        stmt = stmt.where(Order.channel == form.channel.data)
    if usable(form.date_from):
        stmt = stmt.where(Order.created_at >= kyiv_moment(form.date_from.data))
    if usable(form.date_to):
        stmt = stmt.where(Order.created_at < kyiv_moment(form.date_to.data + timedelta(days=1)))
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


@bp.get("/orders")
@staff_required()
def orders() -> Any:
    form = OrderFilterForm(
        formdata=request.args,
        managers=sales_staff_choices(),
        status_label=status_label,
        channel_label=channel_label,
    )
    form.validate()
    filtered_company = db_session.get(Company, form.company_id.data) if form.company_id.data else None
    page = paginate(filtered_orders(form), current_page())
    return render_template("backoffice/orders.html", form=form, page=page, filtered_company=filtered_company)


def load_order(order_id: int, for_update: bool = False) -> Order:
    stmt = select(Order).where(Order.id == order_id)
    if for_update and is_postgres():
        # Two people pressing "confirm" at once: the second one waits and then sees the new status.
        stmt = stmt.with_for_update(of=Order)
    order = db_session.scalar(
        stmt.options(
            joinedload(Order.company),
            joinedload(Order.delivery_point),
            joinedload(Order.manager),
            joinedload(Order.created_by_staff),
            joinedload(Order.created_by_user),
            selectinload(Order.lines),
            selectinload(Order.discounts),
            selectinload(Order.history),
        )
    )
    if order is None:
        abort(404)
    return order


def heads_of_sales() -> str:
    names = db_session.scalars(
        select(StaffUser.full_name)
        .where(StaffUser.role == "head_of_sales", StaffUser.is_active_flag.is_(True))
        .order_by(StaffUser.full_name)
    )
    return ", ".join(names)


def status_actions(order: Order, staff: StaffUser) -> tuple[list[str], list[str]]:
    """The moves this person may make now, and why each move the table allows is not
    offered. The services refuse the same moves; this only spares a button that fails."""
    offered, withheld = [], []
    for target in states.next_statuses(order.status, "staff"):
        if target == states.ASSEMBLING and order.released_at is None:
            withheld.append(gettext("Чекає оплати за умовами клієнта: комплектувати ще не можна."))
        elif order.status == states.ON_HOLD and target == states.CONFIRMED and not may_release(order, staff):
            withheld.append(gettext(
                "Замовлення понад %(amount)s відпускає лише керівник відділу продажів (%(names)s).",
                amount=format_money(head_release_threshold()), names=heads_of_sales() or "—",
            ))
        else:
            offered.append(target)
    return offered, withheld


def render_order(order: Order, status_form: StatusChangeForm | None = None, code: int = 200) -> Any:
    offered, withheld = status_actions(order, current_user)
    return (
        render_template(
            "backoffice/order.html",
            order=order,
            next_statuses=offered,
            withheld_reasons=withheld,
            status_form=status_form or StatusChangeForm(),
            invoices=invoices_of_order(db_session, order.id),
            order_forms=order_forms(db_session, order.id),
            balance=company_balance(db_session, order.company) if order.status == states.ON_HOLD else None,
            sections=order_sections(db_session, order),
        ),
        code,
    )


@bp.get("/holds")
@staff_required(*COLLECTORS)
def holds() -> Any:
    """Orders waiting for a credit decision, oldest first, with each company's debt."""
    page = paginate(
        select(Order).where(Order.status == states.ON_HOLD).options(joinedload(Order.company), selectinload(Order.history))
        .order_by(Order.created_at, Order.id),
        current_page(),
    )
    debts = debts_by_company(db_session, [o.company_id for o in page.items], kyiv_today())
    return render_template("backoffice/holds.html", page=page, debts=debts, may_release=may_release)


@bp.get("/orders/<int:order_id>")
@staff_required()
def order(order_id: int) -> Any:
    return render_order(load_order(order_id))


@bp.get("/orders/<int:order_id>/forms/<int:upload_id>")
@staff_required(*ORDER_HANDLERS)
def order_form_file(order_id: int, upload_id: int) -> Any:
    upload = db_session.get(OrderFormUpload, upload_id)
    if upload is None or upload.order_id != order_id:
        abort(404)
    return download(upload.file)


@bp.post("/orders/<int:order_id>/status")
@staff_required(*ORDER_HANDLERS)
def change_order_status(order_id: int) -> Any:
    order = load_order(order_id, for_update=True)
    form = StatusChangeForm()
    if not form.validate_on_submit():
        db_session.rollback()
        flash(gettext("Не вдалося змінити статус: перевірте форму."), "error")
        return render_order(order, form, 400)
    target = form.target.data
    try:
        if order.status == states.ON_HOLD:
            # A credit decision: a reason is required, big orders take the head of sales.
            decide_hold(db_session, order, current_user, target == states.CONFIRMED, form.note.data or "")
        else:
            change_status(db_session, order, target, Actor.of(current_user), form.note.data or "")
    except DomainError as exc:
        db_session.rollback()
        flash(exc.message, "error")
        return render_order(load_order(order_id), form, 400)
    db_session.commit()
    flash(gettext("Статус замовлення №%(n)s: %(s)s.", n=order.number, s=status_label(target)), "ok")
    return redirect(url_for("backoffice.order", order_id=order.id))


@bp.get("/invoices/<int:invoice_id>.pdf")
@staff_required()
def invoice_pdf(invoice_id: int) -> Any:
    invoice = db_session.get(Invoice, invoice_id)
    if invoice is None:
        abort(404)
    pdf, name = invoice_pdf_file(invoice, pay_link_masked=True)
    return pdf, 200, {"Content-Type": "application/pdf", "Content-Disposition": f'inline; filename="{name}"'}
