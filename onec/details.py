"""What 1C adds to a product's page in the portal (`Feature.product_details`): the
properties and extra barcodes it sent, and the images whose files arrived."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalog.details import Section
from onec.models import ProductBarcode, ProductImage, ProductProperty


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
