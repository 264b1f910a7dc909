"""What 1C adds to the portal's pages: to a product's (`Feature.product_details`) the
properties and extra barcodes it sent and the images whose files arrived; to an order's
(`Feature.order_details`, the customer's and the staff's) the documents 1C made of it."""
from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalog.details import Section
from core.money import format_money
from core.orders.models import Order
from core.clock import KYIV
from onec.models import OnecDocument, OnecDocumentRef, ProductBarcode, ProductImage, ProductProperty
from onec.push import ORDER, portal_id


DOCUMENT_TITLES = {"invoice": _l("Рахунок 1С"), "shipment": _l("Видаткова накладна")}


def product_details(session: Session, product_id: int) -> list[Section]:
    sections = []
    images = session.scalars(
        select(ProductImage.file_id)
        .where(ProductImage.product_id == product_id, ProductImage.file_id.is_not(None))
        .order_by(ProductImage.position, ProductImage.path)
    ).all()
    if images:
        urls = [url_for("onec_customer.product_image", product_id=product_id, file_id=file_id)
                for file_id in dict.fromkeys(images)]
        sections.append(Section(gettext("Фото"), template="onec/_product_images.html", data={"urls": urls}))
    rows = list(session.execute(
        select(ProductProperty.name, ProductProperty.value)
        .where(ProductProperty.product_id == product_id)
        .order_by(ProductProperty.name)
    ).tuples())
    barcodes = session.scalars(
        select(ProductBarcode.barcode).where(ProductBarcode.product_id == product_id).order_by(ProductBarcode.barcode)
    ).all()
    if barcodes:
        rows.append((gettext("Інші штрихкоди"), ", ".join(barcodes)))
    if rows:
        sections.append(Section(gettext("Характеристики"), rows=tuple(rows)))
    return sections


def order_details(session: Session, order: Order) -> list[Section]:
    """1C's number of the order, and its invoices and shipments (видаткові накладні) as 1C
    posted them: the numbers a customer's accountant and a manager look for."""
    rows = []
    taken = session.get(OnecDocumentRef, (portal_id(ORDER, order.id), ORDER))
    if taken is not None:
        rows.append((gettext("Замовлення в 1С"), gettext("№ %(number)s від %(date)s", number=taken.number,
                                                        date=_day(taken.onec_date))))
    documents = session.scalars(
        select(OnecDocument)
        .where(OnecDocument.order_id == order.id, OnecDocument.kind.in_(DOCUMENT_TITLES),
               OnecDocument.posted.is_(True), OnecDocument.deleted.is_(False))
        .order_by(OnecDocument.date, OnecDocument.number)
    )
    for document in documents:
        rows.append((str(DOCUMENT_TITLES[document.kind]), gettext(
            "№ %(number)s від %(date)s на %(amount)s", number=document.number, date=_day(document.date),
            amount=format_money(document.amount))))
    return [Section(gettext("Документи 1С"), rows=tuple(rows))] if rows else []


def _day(moment: datetime) -> str:
    return moment.astimezone(KYIV).strftime("%d.%m.%Y")
