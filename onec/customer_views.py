"""A product image 1C sent, for a customer who may see the product."""
from __future__ import annotations

import io
from typing import Any

from flask import abort, send_file
from sqlalchemy import select

from core.auth import customer_required
from core.catalog.models import Product
from core.db import db_session
from core.files.models import StoredFile
from core.files.services import read_file
from onec.customer_blueprint import bp
from onec.models import ProductImage

# Shown inline only as these: the file came from outside, and an SVG or HTML file of 1C's
# must never render as a page of ours.
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


@bp.get("/products/<int:product_id>/images/<int:file_id>")
@customer_required
def product_image(product_id: int, file_id: int) -> Any:
    """404 unless the file is an image of this product and the product is in the catalog
    (active): the same rule as the product's page."""
    stored = db_session.scalar(
        select(StoredFile)
        .join(ProductImage, ProductImage.file_id == StoredFile.id)
        .join(Product, Product.id == ProductImage.product_id)
        .where(ProductImage.product_id == product_id, StoredFile.id == file_id, Product.is_active.is_(True))
        .limit(1)
    )
    if stored is None or stored.content_type not in IMAGE_TYPES:
        abort(404)
    response = send_file(io.BytesIO(read_file(stored)), mimetype=stored.content_type, etag=stored.sha256,
                         max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Only the customer's browser keeps it: a shared cache must not serve it to whoever asks.
    response.cache_control.public = False
    response.cache_control.private = True
    return response
