"""A manager takes an order by phone, Viber or e-mail: pick the company, paste "SKU quantity" lines."""
from __future__ import annotations

from typing import Any
from uuid import uuid4

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from backoffice.access import ORDER_HANDLERS
from backoffice.blueprint import bp
from backoffice.forms import PhoneOrderForm, SearchForm
from backoffice.search import contains
from core.auth import staff_required
from core.customers.models import Company
from core.db import db_session
from core.errors import DomainError
from core.orders.quick_order import QuickOrderResult, parse_text
from core.orders.services import Actor, submit_order
from core.web import put_error

COMPANY_PICK_LIMIT = 30


@bp.get("/orders/new")
@staff_required(*ORDER_HANDLERS)
def new_order() -> Any:
    form = SearchForm(formdata=request.args)
    found: list[Company] = []
    if form.validate() and form.q.data:
        term = form.q.data
        found = list(
            db_session.scalars(
                select(Company)
                .where(Company.is_active.is_(True))
                .where(or_(contains(Company.name, term), Company.tax_id.startswith(term, autoescape=True)))
                .order_by(Company.name_sort, Company.id)
                .limit(COMPANY_PICK_LIMIT)
            )
        )
    return render_template("backoffice/order_new_pick.html", form=form, found=found)


def _load_company(company_id: int) -> Company:
    company = db_session.scalar(
        select(Company).where(Company.id == company_id).options(selectinload(Company.delivery_points))
    )
    if company is None or not company.is_active:
        abort(404)
    return company


def _render(company: Company, form: PhoneOrderForm, checked: QuickOrderResult | None = None, code: int = 200) -> Any:
    return render_template("backoffice/order_new.html", company=company, form=form, checked=checked), code


@bp.route("/orders/new/<int:company_id>", methods=["GET", "POST"])
@staff_required(*ORDER_HANDLERS)
def new_order_for(company_id: int) -> Any:
    company = _load_company(company_id)
    form = PhoneOrderForm(company)
    if not form.is_submitted():
        form.idempotency_key.data = uuid4().hex
        return _render(company, form)
    if not form.validate():
        return _render(company, form, code=400)
    try:
        checked = parse_text(db_session, company.price_type_id, form.lines.data)
    except DomainError as exc:
        form.lines.errors.append(exc.message)
        return _render(company, form, code=400)
    if not checked.good:
        form.lines.errors.append(gettext("Жодного правильного рядка: виправте помилки нижче."))
        return _render(company, form, checked, 400)
    if checked.bad and not form.accept_good_only.data:
        # Show what is wrong and let the manager fix it, or knowingly drop those lines.
        form.lines.errors.append(gettext("Є рядки з помилками: виправте їх або підтвердіть замовлення без них."))
        return _render(company, form, checked, 400)
    try:
        result = submit_order(
            db_session,
            company,
            [(line.product_id, line.quantity) for line in checked.good],
            actor=Actor.of(current_user),
            idempotency_key=form.idempotency_key.data,
            delivery_point_id=form.delivery_point.data,
            desired_date=form.desired_date.data,
            comment=form.comment.data or "",
            channel=form.channel.data,
        )
    except DomainError as exc:
        db_session.rollback()
        put_error(form, exc)
        return _render(company, form, checked, 400)
    db_session.commit()
    if result.duplicate:
        flash(gettext("Це замовлення вже створено раніше — нового не додано."), "ok")
    else:
        flash(gettext("Замовлення №%(n)s створено.", n=result.order.number), "ok")
    return redirect(url_for("backoffice.order", order_id=result.order.id))
