"""Companies: list and search, create and edit, the card with delivery points and portal users."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from backoffice.blueprint import bp
from backoffice.views_money import company_money
from backoffice.access import COMPANY_EDITORS
from backoffice.forms import ActionForm, CompanyForm, CustomerUserForm, DeliveryPointForm, SearchForm
from backoffice.helpers import commit_or_report, current_page, get_or_404, paginate
from backoffice.search import contains
from backoffice.views_orders import sales_staff_choices
from core.auth import staff_required
from core.catalog.models import PriceType
from core.customers import services
from core.customers.models import Company, DeliveryPoint, User
from core.db import db_session
from core.orders.models import Order

RECENT_ORDERS = 10


@bp.get("/companies")
@staff_required()
def companies() -> Any:
    form = SearchForm(formdata=request.args)
    stmt = select(Company).options(joinedload(Company.manager), joinedload(Company.price_type))
    if form.validate() and form.q.data:
        term = form.q.data
        stmt = stmt.where(or_(contains(Company.name, term), Company.tax_id.startswith(term, autoescape=True)))
    page = paginate(stmt.order_by(Company.name_sort, Company.id), current_page())
    return render_template("backoffice/companies.html", form=form, page=page)


def company_form(**kw: Any) -> CompanyForm:
    price_types = [(pt.id, pt.name) for pt in db_session.scalars(select(PriceType).order_by(PriceType.name))]
    return CompanyForm(price_types=price_types, managers=sales_staff_choices(), **kw)


def _save(form: CompanyForm, company: Company | None) -> Company | None:
    return commit_or_report(form, lambda: services.save_company(db_session, company, **form.values()))


@bp.route("/companies/new", methods=["GET", "POST"])
@staff_required(*COMPANY_EDITORS)
def new_company() -> Any:
    form = company_form()
    if form.validate_on_submit():
        company = _save(form, None)
        if company is not None:
            flash(gettext("Контрагента «%(name)s» створено.", name=company.name), "ok")
            return redirect(url_for("backoffice.company", company_id=company.id))
    return render_template("backoffice/company_form.html", form=form, company=None), (400 if form.errors else 200)


@bp.route("/companies/<int:company_id>/edit", methods=["GET", "POST"])
@staff_required(*COMPANY_EDITORS)
def edit_company(company_id: int) -> Any:
    company = get_or_404(Company, company_id)
    form = company_form(obj=company)
    if form.validate_on_submit():
        if _save(form, company) is not None:
            flash(gettext("Зміни збережено."), "ok")
            return redirect(url_for("backoffice.company", company_id=company.id))
    return render_template("backoffice/company_form.html", form=form, company=company), (400 if form.errors else 200)


def load_company(company_id: int) -> Company:
    company = db_session.scalar(
        select(Company)
        .where(Company.id == company_id)
        .options(
            joinedload(Company.manager),
            joinedload(Company.price_type),
            selectinload(Company.delivery_points),
            selectinload(Company.users),
        )
    )
    if company is None:
        abort(404)
    return company


def render_card(
    company: Company,
    point_form: DeliveryPointForm | None = None,
    user_form: CustomerUserForm | None = None,
    code: int = 200,
) -> Any:
    recent = db_session.scalars(
        select(Order).where(Order.company_id == company.id).order_by(Order.created_at.desc()).limit(RECENT_ORDERS)
    )
    return (
        render_template(
            "backoffice/company.html",
            company=company,
            recent_orders=list(recent),
            point_form=point_form or DeliveryPointForm(formdata=None),
            user_form=user_form or CustomerUserForm(formdata=None),
            action_form=ActionForm(),
            **company_money(company),
        ),
        code,
    )


@bp.get("/companies/<int:company_id>")
@staff_required()
def company(company_id: int) -> Any:
    return render_card(load_company(company_id))


@bp.post("/companies/<int:company_id>/points")
@staff_required(*COMPANY_EDITORS)
def add_delivery_point(company_id: int) -> Any:
    company = load_company(company_id)
    form = DeliveryPointForm()
    if form.validate_on_submit():
        point = commit_or_report(
            form, lambda: services.add_delivery_point(db_session, company, form.name.data, form.address.data)
        )
        if point is not None:
            flash(gettext("Точку доставки додано."), "ok")
            return redirect(url_for("backoffice.company", company_id=company.id))
    return render_card(company, point_form=form, code=400)


def _company_part(model: type[Any], company_id: int, part_id: int) -> Any:
    """A point or a user of THIS company; another company's id is a 404, like a missing one."""
    part = get_or_404(model, part_id)
    if part.company_id != company_id:
        abort(404)
    return part


def _checked_action() -> bool:
    if ActionForm().validate_on_submit():
        return True
    flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
    return False


@bp.post("/companies/<int:company_id>/points/<int:point_id>/deactivate")
@staff_required(*COMPANY_EDITORS)
def deactivate_delivery_point(company_id: int, point_id: int) -> Any:
    point = _company_part(DeliveryPoint, company_id, point_id)
    if _checked_action():
        services.deactivate_delivery_point(db_session, point)
        db_session.commit()
        flash(gettext("Точку доставки «%(name)s» вимкнено.", name=point.name), "ok")
    return redirect(url_for("backoffice.company", company_id=company_id))


@bp.post("/companies/<int:company_id>/users")
@staff_required(*COMPANY_EDITORS)
def add_customer_user(company_id: int) -> Any:
    company = load_company(company_id)
    form = CustomerUserForm()
    if form.validate_on_submit():
        user = commit_or_report(
            form,
            lambda: services.create_customer_user(
                db_session,
                company,
                full_name=form.full_name.data,
                role=form.role.data,
                email=form.email.data or "",
                phone=form.phone.data or "",
                password=form.password.data or None,
            ),
        )
        if user is not None:
            flash(gettext("Користувача «%(name)s» створено.", name=user.full_name), "ok")
            return redirect(url_for("backoffice.company", company_id=company.id))
    return render_card(company, user_form=form, code=400)


@bp.post("/companies/<int:company_id>/users/<int:user_id>/<any(activate, deactivate):action>")
@staff_required(*COMPANY_EDITORS)
def set_customer_user_active(company_id: int, user_id: int, action: str) -> Any:
    user = _company_part(User, company_id, user_id)
    if _checked_action():
        services.set_customer_user_active(db_session, user, action == "activate")
        db_session.commit()
        if user.is_active:
            flash(gettext("Доступ користувача «%(name)s» увімкнено.", name=user.full_name), "ok")
        else:
            flash(gettext("Доступ користувача «%(name)s» вимкнено.", name=user.full_name), "ok")
    return redirect(url_for("backoffice.company", company_id=company_id))


@bp.post("/companies/<int:company_id>/users/<int:user_id>/password-link")
@staff_required(*COMPANY_EDITORS)
def send_password_link(company_id: int, user_id: int) -> Any:
    user = _company_part(User, company_id, user_id)
    if _checked_action():
        if user.is_active:
            services.request_password_reset(db_session, user)
            db_session.commit()
            flash(gettext("Посилання для входу надіслано на %(to)s.", to=user.email or user.phone), "ok")
        else:
            flash(gettext("Доступ цього користувача вимкнено: спершу увімкніть його."), "error")
    return redirect(url_for("backoffice.company", company_id=company_id))
