"""Quick order: paste "SKU quantity" lines or upload the Excel order form, check, confirm."""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from core.auth import customer_required
from core.db import db_session
from core.errors import DomainError
from core.orders import cart as carts
from core.orders.order_forms import keep_order_form, mark_added_to_cart
from core.orders.quick_order import QuickOrderResult, parse_text, parse_xlsx
from core.money import read_quantity
from core.spreadsheets import XlsxLimits
from portal.blueprint import bp
from portal.forms import QuickOrderConfirmForm, QuickOrderTextForm, QuickOrderUploadForm


def _page(result: QuickOrderResult | None = None, status: int = 200, upload_id: int | None = None,
          **forms: Any) -> Any:
    confirm = None
    if result is not None and result.good:
        confirm = QuickOrderConfirmForm(
            items=" ".join(f"{line.product_id}:{line.quantity}" for line in result.good), upload=upload_id,
            formdata=None,
        )
    return (
        render_template(
            "portal/quick_order.html",
            text_form=forms.get("text_form") or QuickOrderTextForm(formdata=None),
            upload_form=forms.get("upload_form") or QuickOrderUploadForm(formdata=None),
            result=result,
            confirm_form=confirm,
        ),
        status,
    )


@bp.get("/quick-order")
@customer_required
def quick_order() -> Any:
    return _page()


@bp.post("/quick-order/text")
@customer_required
def quick_order_text() -> Any:
    form = QuickOrderTextForm()
    if not form.validate_on_submit():
        return _page(status=400, text_form=form)
    try:
        result = parse_text(db_session, current_user.company.price_type_id, form.lines.data)
    except DomainError as exc:
        form.lines.errors.append(exc.message)
        return _page(status=400, text_form=form)
    return _page(result, text_form=form)


@bp.post("/quick-order/upload")
@customer_required
def quick_order_upload() -> Any:
    form = QuickOrderUploadForm()
    if not form.validate_on_submit():
        return _page(status=400, upload_form=form)
    upload = form.file.data
    if not (upload.filename or "").lower().endswith(".xlsx"):
        form.file.errors.append(gettext("Потрібен файл Excel у форматі .xlsx."))
        return _page(status=400, upload_form=form)
    data = upload.read()  # within ORDER_FORM_MAX_MB: the form checked the size
    try:
        result = parse_xlsx(
            db_session, current_user.company.price_type_id, io.BytesIO(data), XlsxLimits.from_config(current_app.config)
        )
        kept = keep_order_form(db_session, current_user, data, upload.filename or "", result)
    except DomainError as exc:
        db_session.rollback()
        form.file.errors.append(exc.message)
        return _page(status=400, upload_form=form)
    db_session.commit()
    return _page(result, upload_id=kept.id, upload_form=form)


def _confirmed_items(raw: str) -> list[tuple[int, Decimal]] | None:
    items = []
    for pair in raw.split()[:2000]:
        product_id, _, quantity_text = pair.partition(":")
        if not product_id.isdigit():
            return None
        try:
            items.append((int(product_id), read_quantity(quantity_text)))
        except DomainError:
            return None
    return items or None


@bp.post("/quick-order/confirm")
@customer_required
def quick_order_confirm() -> Any:
    form = QuickOrderConfirmForm()
    items = _confirmed_items(form.items.data or "") if form.validate_on_submit() else None
    if items is None:
        flash(gettext("Список товарів пошкоджено. Перевірте замовлення ще раз."), "error")
        return redirect(url_for("portal.quick_order"))
    try:
        # Prices or availability may have changed since the check: the cart re-validates every line.
        carts.add_lines(db_session, current_user, items)
        if (form.upload.data or "").isdigit():
            mark_added_to_cart(db_session, current_user, int(form.upload.data))
    except DomainError as exc:
        db_session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal.quick_order"))
    db_session.commit()
    flash(gettext("Додано в кошик %(n)s позицій.", n=len(items)), "ok")
    return redirect(url_for("portal.cart"))
