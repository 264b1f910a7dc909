"""Catalog upkeep (admin): products with their prices and stock, price types."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.blueprint import bp
from backoffice.access import CATALOG_EDITORS
from backoffice.forms import PriceTypeForm, ProductForm, SearchForm, product_numbers_form
from backoffice.helpers import commit_or_report, current_page, get_or_404, paginate
from core.auth import staff_required
from core.catalog import search, services
from core.catalog.models import Price, PriceType, Product, Stock, Warehouse
from core.catalog.services import CategoryNode
from core.db import db_session
from core.errors import DomainError
from core.textkeys import uk_sort_key
from core.web import put_error


@bp.get("/catalog/products")
@staff_required(*CATALOG_EDITORS)
def products() -> Any:
    form = SearchForm(formdata=request.args)
    stmt = select(Product).options(joinedload(Product.category))
    hits = search.matching(db_session, form.q.data) if form.validate() and form.q.data else None
    if hits is not None:
        stmt = stmt.where(hits.where).order_by(*hits.order_by)
    page = paginate(stmt.order_by(Product.name_sort, Product.id), current_page())
    return render_template("backoffice/products.html", form=form, page=page)


def category_choices() -> list[tuple[int, str]]:
    categories = services.category_tree(db_session)
    by_id = {category.id: category for category in categories}

    def path(category: CategoryNode) -> str:
        parent = by_id.get(category.parent_id) if category.parent_id else None
        return f"{path(parent)} / {category.name}" if parent else category.name

    return sorted(((category.id, path(category)) for category in categories), key=lambda choice: uk_sort_key(choice[1]))


def _product_values(form: ProductForm) -> dict[str, Any]:
    return {
        "sku": form.sku.data,
        "name": form.name.data,
        "barcode": form.barcode.data or "",
        "unit": form.unit.data,
        "pack_multiple": form.pack_multiple.data,
        "vat_rate": form.vat_rate.data,
        "category_id": form.category_id.data,
        "is_active": form.is_active.data,
    }


def _save_product(form: ProductForm, product: Product | None) -> Product | None:
    return commit_or_report(form, lambda: services.save_product(db_session, product, **_product_values(form)))


@bp.route("/catalog/products/new", methods=["GET", "POST"])
@staff_required(*CATALOG_EDITORS)
def new_product() -> Any:
    form = ProductForm(categories=category_choices())
    if form.validate_on_submit():
        product = _save_product(form, None)
        if product is not None:
            flash(gettext("Товар %(sku)s створено. Вкажіть ціни та залишки.", sku=product.sku), "ok")
            return redirect(url_for("backoffice.product", product_id=product.id))
    return render_template("backoffice/product_new.html", form=form), (400 if form.errors else 200)


def _numbers_form(product: Product, price_types: list[PriceType], warehouses: list[Warehouse], **kw: Any) -> Any:
    prices = dict(db_session.execute(select(Price.price_type_id, Price.amount).where(Price.product_id == product.id)).all())
    stock = dict(db_session.execute(select(Stock.warehouse_id, Stock.quantity).where(Stock.product_id == product.id)).all())
    current = {f"price_{pt.id}": prices.get(pt.id) for pt in price_types}
    current |= {f"stock_{w.id}": stock.get(w.id) for w in warehouses}
    return product_numbers_form(price_types, warehouses, data=current, **kw)


def _render_product(product: Product, form: ProductForm | None = None, numbers: Any = None, code: int = 200) -> Any:
    price_types = list(db_session.scalars(select(PriceType).order_by(PriceType.name)))
    warehouses = list(db_session.scalars(select(Warehouse).order_by(Warehouse.name)))
    return (
        render_template(
            "backoffice/product.html",
            product=product,
            form=form or ProductForm(formdata=None, obj=product, categories=category_choices()),
            numbers=numbers or _numbers_form(product, price_types, warehouses, formdata=None),
            price_types=price_types,
            warehouses=warehouses,
        ),
        code,
    )


@bp.route("/catalog/products/<int:product_id>", methods=["GET", "POST"])
@staff_required(*CATALOG_EDITORS)
def product(product_id: int) -> Any:
    product = get_or_404(Product, product_id)
    if request.method == "GET":
        return _render_product(product)
    form = ProductForm(obj=product, categories=category_choices())
    if form.validate_on_submit() and _save_product(form, product) is not None:
        flash(gettext("Зміни збережено."), "ok")
        return redirect(url_for("backoffice.product", product_id=product.id))
    return _render_product(product, form=form, code=400)


@bp.post("/catalog/products/<int:product_id>/numbers")
@staff_required(*CATALOG_EDITORS)
def product_numbers(product_id: int) -> Any:
    product = get_or_404(Product, product_id)
    price_types = list(db_session.scalars(select(PriceType).order_by(PriceType.name)))
    warehouses = list(db_session.scalars(select(Warehouse).order_by(Warehouse.name)))
    numbers = product_numbers_form(price_types, warehouses)
    if numbers.validate_on_submit():
        prices: dict[int, Decimal | None] = {pt.id: numbers[f"price_{pt.id}"].data for pt in price_types}
        stock: dict[int, Decimal | None] = {w.id: numbers[f"stock_{w.id}"].data for w in warehouses}
        try:
            services.set_product_prices(db_session, product, prices)
            services.set_product_stock(db_session, product, stock)
        except DomainError as exc:
            db_session.rollback()
            put_error(numbers, exc)
        else:
            db_session.commit()
            flash(gettext("Ціни та залишки збережено."), "ok")
            return redirect(url_for("backoffice.product", product_id=product.id))
    return _render_product(product, numbers=numbers, code=400)


@bp.route("/catalog/price-types", methods=["GET", "POST"])
@staff_required(*CATALOG_EDITORS)
def price_types() -> Any:
    form = PriceTypeForm()
    if form.validate_on_submit():
        price_type = commit_or_report(
            form, lambda: services.create_price_type(db_session, code=form.code.data, name=form.name.data)
        )
        if price_type is not None:
            flash(gettext("Тип ціни «%(name)s» створено.", name=price_type.name), "ok")
            return redirect(url_for("backoffice.price_types"))
    found = list(db_session.scalars(select(PriceType).order_by(PriceType.name)))
    return render_template("backoffice/price_types.html", form=form, price_types=found), (400 if form.errors else 200)
