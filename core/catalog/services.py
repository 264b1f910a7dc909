"""Catalog reads for the customer: their own prices, stock and pack multiples."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from core.catalog.models import Category, Price, Product, Stock
from core.errors import DomainError

AVAILABILITY = ("in_stock", "low", "out")


def search_key(*parts: str | None) -> str:
    return " ".join(p for p in parts if p).casefold()


def refresh_search_text(product: Product) -> None:
    product.search_text = search_key(product.name, product.sku, product.barcode)


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class CatalogRow:
    id: int
    sku: str
    name: str
    unit: str
    pack_multiple: Decimal
    vat_rate: Decimal
    price: Decimal | None
    stock: Decimal
    availability: str
    in_cart: Decimal


@dataclass(frozen=True)
class CatalogPage:
    rows: list[CatalogRow]
    page: int
    has_next: bool


def availability(stock: Decimal, pack_multiple: Decimal, low_packs: int) -> str:
    if stock <= 0:
        return "out"
    return "low" if stock < pack_multiple * low_packs else "in_stock"


def category_tree(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.sort_order, Category.name)))


def descendants(categories: list[Category], root_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category.id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


def _listing_query(price_type_id: int) -> Select:
    stock_total = (
        select(func.coalesce(func.sum(Stock.quantity), 0))
        .where(Stock.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    return (
        select(
            Product.id,
            Product.sku,
            Product.name,
            Product.unit,
            Product.pack_multiple,
            Product.vat_rate,
            Price.amount,
            stock_total.label("stock"),
        )
        .outerjoin(Price, (Price.product_id == Product.id) & (Price.price_type_id == price_type_id))
        .where(Product.is_active.is_(True))
    )


def catalog_page(
    session: Session,
    price_type_id: int,
    *,
    category_ids: set[int] | None = None,
    query: str = "",
    page: int = 1,
    page_size: int = 50,
    low_packs: int = 5,
    cart: dict[int, Decimal] | None = None,
) -> CatalogPage:
    """One query for the page, whatever its size: rows, price and summed stock together."""
    stmt = _listing_query(price_type_id)
    if category_ids:
        stmt = stmt.where(Product.category_id.in_(category_ids))
    terms = query.casefold().split()
    for term in terms[:8]:
        stmt = stmt.where(Product.search_text.like(f"%{_like_escape(term)}%", escape="\\"))
    exact = query.strip()
    if exact:
        stmt = stmt.order_by(case((Product.sku == exact, 0), (Product.barcode == exact, 0), else_=1))
    page = max(page, 1)
    stmt = stmt.order_by(Product.name, Product.id).offset((page - 1) * page_size).limit(page_size + 1)
    result = session.execute(stmt).all()
    cart = cart or {}
    rows = [
        CatalogRow(
            id=r.id,
            sku=r.sku,
            name=r.name,
            unit=r.unit,
            pack_multiple=r.pack_multiple,
            vat_rate=r.vat_rate,
            price=r.amount,
            stock=Decimal(r.stock),
            availability=availability(Decimal(r.stock), r.pack_multiple, low_packs),
            in_cart=cart.get(r.id, Decimal(0)),
        )
        for r in result[:page_size]
    ]
    return CatalogPage(rows=rows, page=page, has_next=len(result) > page_size)


@dataclass(frozen=True)
class Orderable:
    """A product a given customer can put in a cart, with their price."""

    id: int
    sku: str
    name: str
    unit: str
    pack_multiple: Decimal
    vat_rate: Decimal
    price: Decimal


def orderable_products(
    session: Session,
    price_type_id: int,
    *,
    ids: Iterable[int] | None = None,
    skus: Iterable[str] | None = None,
) -> dict[Any, Orderable]:
    """Active products with a price for this price type, keyed by id (or by SKU)."""
    stmt = (
        select(Product.id, Product.sku, Product.name, Product.unit, Product.pack_multiple, Product.vat_rate, Price.amount)
        .join(Price, (Price.product_id == Product.id) & (Price.price_type_id == price_type_id))
        .where(Product.is_active.is_(True))
    )
    if ids is not None:
        stmt = stmt.where(Product.id.in_(set(ids)))
    if skus is not None:
        stmt = stmt.where(Product.sku.in_(set(skus)))
    found = [Orderable(*row) for row in session.execute(stmt)]
    return {(p.sku if skus is not None else p.id): p for p in found}


def snap_to_pack(quantity: Decimal, pack_multiple: Decimal) -> Decimal:
    """Round up to whole packs: a wholesaler ships packs, never a part of one."""
    if quantity <= 0:
        raise DomainError(gettext("Кількість має бути більшою за нуль."), field="quantity")
    if quantity > Decimal("100000"):
        raise DomainError(gettext("Кількість завелика."), field="quantity")
    packs = math.ceil(quantity / pack_multiple)
    return pack_multiple * packs
