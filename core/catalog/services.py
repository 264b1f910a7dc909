"""Catalog reads for the customer: their own prices, stock and pack multiples."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from flask_babel import gettext
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from core.catalog.models import Category, Price, PriceChange, PriceType, Product, Stock, Warehouse
from core.catalog import search
from core.catalog.search import refresh_search_text
from core.errors import DomainError
from core.textkeys import sku_key

AVAILABILITY = ("in_stock", "low", "out")


class CatalogRow(NamedTuple):
    """A tuple, not a frozen dataclass: every listed product makes one, and a frozen dataclass
    took four times as long to make."""

    id: int
    sku: str
    name: str
    unit: str
    pack_multiple: Decimal
    vat_rate: Decimal
    price: Decimal | None
    stock: Decimal
    availability: str


@dataclass(frozen=True)
class CatalogPage:
    rows: list[CatalogRow]
    page: int
    has_next: bool


def availability(stock: Decimal, pack_multiple: Decimal, low_packs: int) -> str:
    if stock <= 0:
        return "out"
    return "low" if stock < pack_multiple * low_packs else "in_stock"


@dataclass(frozen=True)
class CategoryNode:
    id: int
    parent_id: int | None
    name: str


def category_tree(session: Session) -> list[CategoryNode]:
    """All categories, ordered for display; plain rows, as every portal page reads them."""
    rows = session.execute(
        select(Category.id, Category.parent_id, Category.name).order_by(Category.sort_order, Category.name_sort)
    )
    return [CategoryNode(*row) for row in rows]


def descendants(categories: list[CategoryNode], root_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category.id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


def _stock_total(product_id: Any) -> Any:
    return select(func.coalesce(func.sum(Stock.quantity), 0)).where(Stock.product_id == product_id).scalar_subquery()


# What a listing row reads of the product, before its price and stock (_catalog_row).
_LISTED = ("id", "sku", "name", "unit", "pack_multiple", "vat_rate")


def _listing_query(price_type_id: Any) -> Select:
    return (
        select(*(getattr(Product, c) for c in _LISTED), Price.amount, _stock_total(Product.id).label("stock"))
        .outerjoin(Price, (Price.product_id == Product.id) & (Price.price_type_id == price_type_id))
        .where(Product.is_active.is_(True))
    )


def _listing_page(price_type_id: Any, where: list[Any], keys: list[Any], offset: Any, limit: Any) -> Select:
    """The listing's rows in the order of `keys` (each ascending, the last Product.id: the
    order is total, so pages neither skip nor repeat), as _listing_query's columns.

    The page's products are chosen on the product table alone, carrying what the rows
    show of them, and only they meet their price and stock: a search's estimate of its
    matches can be far too high, and a join planned for it read every price of the catalog
    for a page of 34 rows."""
    labels = [f"key_{n}" for n in range(len(keys))]
    chosen = (
        select(*(key.label(label) for key, label in zip(keys, labels)), *(getattr(Product, c) for c in _LISTED))
        .where(Product.is_active.is_(True), *where)
        .order_by(*keys)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    return (
        select(*(chosen.c[c] for c in _LISTED), Price.amount, _stock_total(chosen.c.id).label("stock"))
        .select_from(chosen)
        .outerjoin(Price, (Price.product_id == chosen.c.id) & (Price.price_type_id == price_type_id))
        .order_by(*(chosen.c[label] for label in labels))
    )


# The values a listing statement of _bound_page takes, besides the search's own.
PRICE_TYPE, CATEGORIES, OFFSET, LIMIT = "listing_price_type", "listing_categories", "listing_offset", "listing_limit"


@lru_cache(maxsize=None)
def _bound_page(dialect: str, searching: bool, by_category: bool) -> Select:
    """A page of the listing, or of a full-text search, with everything a request varies
    bound: built once for each shape instead of on every request."""
    where = [Product.category_id.in_(bindparam(CATEGORIES, expanding=True))] if by_category else []
    keys = [Product.name_sort, Product.id]
    if searching:
        hits = search.bound_full_text(dialect)
        where, keys = [*where, hits.where], [*hits.order_by, *keys]
    return _listing_page(bindparam(PRICE_TYPE, type_=Integer), where, keys,
                         bindparam(OFFSET, type_=Integer), bindparam(LIMIT, type_=Integer))


def catalog_page(
    session: Session,
    price_type_id: int,
    *,
    category_ids: set[int] | None = None,
    query: str = "",
    page: int = 1,
    page_size: int = 50,
    low_packs: int = 5,
) -> CatalogPage:
    """One query for the page, whatever its size: rows, price and summed stock together.

    A search is full text first; a page it leaves empty is asked again of the near misses
    (search.near_misses: a typo, a part of a code). Asking for the page itself, not first
    whether full text finds anything, spares a found word that statement."""
    page = max(page, 1)
    dialect = session.get_bind().dialect.name
    connection = session.connection()
    values: dict[str, Any] = {PRICE_TYPE: price_type_id, OFFSET: (page - 1) * page_size, LIMIT: page_size + 1}
    if category_ids:
        values[CATEGORIES] = sorted(category_ids)
    if not search.typed(query):
        result = connection.execute(_bound_page(dialect, False, bool(category_ids)), values).all()
    else:
        found = search.bound_values(dialect, query)  # None: nothing but signs typed ("%", "&")
        result = []
        if found:
            result = connection.execute(_bound_page(dialect, True, bool(category_ids)), {**values, **found}).all()
        if not result:
            result = connection.execute(_near_misses_page(session, query, price_type_id, category_ids,
                                                          values[OFFSET], values[LIMIT])).all()
    rows = [_catalog_row(row, low_packs) for row in result[:page_size]]
    return CatalogPage(rows=rows, page=page, has_next=len(result) > page_size)


def _near_misses_page(session: Session, query: str, price_type_id: int, category_ids: set[int] | None,
                      offset: int, limit: int) -> Select:
    """Built for its query: the near misses' conditions depend on the words typed (rare: only
    when full text found nothing)."""
    hits = search.near_misses(session, query)
    where = [Product.category_id.in_(category_ids)] if category_ids else []
    return _listing_page(price_type_id, [*where, hits.where], [*hits.order_by, Product.name_sort, Product.id],
                         offset, limit)


def _catalog_row(row: Any, low_packs: int) -> CatalogRow:
    """A listing row (by position: the listing's columns, then any added)."""
    product_id, sku, name, unit, pack_multiple, vat_rate, amount, stock = row[:8]
    stock = Decimal(stock)
    return CatalogRow(product_id, sku, name, unit, pack_multiple, vat_rate, amount, stock,
                      availability(stock, pack_multiple, low_packs))


@dataclass(frozen=True)
class ProductCard:
    """One product as its page shows it to a customer: the listing's row (the same price
    and availability rule) and what the listing leaves out."""

    row: CatalogRow
    barcode: str | None
    category_path: list[CategoryNode]


def product_card(session: Session, price_type_id: int, product_id: int, *, low_packs: int = 5) -> ProductCard | None:
    """An active product at this price type, or None (inactive or unknown: the page is a 404)."""
    found = session.execute(
        _listing_query(price_type_id).add_columns(Product.barcode, Product.category_id).where(Product.id == product_id)
    ).first()
    if found is None:
        return None
    categories = {c.id: c for c in category_tree(session)}
    path, current = [], categories.get(found.category_id)
    while current is not None and current not in path:
        path.insert(0, current)
        current = categories.get(current.parent_id) if current.parent_id is not None else None
    return ProductCard(row=_catalog_row(found, low_packs), barcode=found.barcode, category_path=path)


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


VAT_RATES = (Decimal("20.00"), Decimal("14.00"), Decimal("7.00"), Decimal("0.00"))
MAX_PACK = Decimal("100000")
MAX_MONEY = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_STOCK = Decimal("999999999.999")  # Numeric(12, 3)


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def save_product(
    session: Session,
    product: Product | None,
    *,
    sku: str,
    name: str,
    barcode: str = "",
    unit: str,
    pack_multiple: Decimal,
    vat_rate: Decimal,
    category_id: int,
    is_active: bool = True,
) -> Product:
    """Create (product=None) or update a product after checking every field."""
    sku, name, barcode, unit = sku.strip(), name.strip(), barcode.strip(), unit.strip()
    if not sku or len(sku) > 40:
        raise DomainError(gettext("Артикул — від 1 до 40 символів."), "sku")
    # Quick order splits pasted lines on whitespace and ";": such an SKU could never be found.
    if any(ch.isspace() or ch == ";" for ch in sku):
        raise DomainError(gettext("Артикул не може містити пробілів і «;»."), "sku")
    # "CF-1" and "cf 1" are one SKU to a customer typing it: never two products.
    clashes = select(Product.id).where(Product.sku_key == sku_key(sku))
    if product is not None:
        clashes = clashes.where(Product.id != product.id)
    if session.scalar(clashes.limit(1)) is not None:
        raise DomainError(gettext("Товар з таким артикулом вже є."), "sku")
    if not name or len(name) > 300:
        raise DomainError(gettext("Назва — від 1 до 300 символів."), "name")
    if barcode and (not barcode.isdigit() or len(barcode) > 20):
        raise DomainError(gettext("Штрихкод — лише цифри, до 20 знаків."), "barcode")
    if not unit or len(unit) > 10:
        raise DomainError(gettext("Одиниця виміру — від 1 до 10 символів."), "unit")
    if pack_multiple <= 0 or pack_multiple > MAX_PACK or _places(pack_multiple) > 3:
        raise DomainError(
            gettext("Кратність упаковки — більше нуля, не більше 100000, до трьох знаків після коми."), "pack_multiple"
        )
    if vat_rate not in VAT_RATES:
        raise DomainError(gettext("Оберіть ставку ПДВ зі списку."), "vat_rate")
    if session.get(Category, category_id) is None:
        raise DomainError(gettext("Оберіть категорію зі списку."), "category_id")
    product = product or Product()
    product.sku = sku
    product.name = name
    product.barcode = barcode or None
    product.unit = unit
    product.pack_multiple = pack_multiple
    product.vat_rate = vat_rate
    product.category_id = category_id
    product.is_active = is_active
    refresh_search_text(product)
    session.add(product)
    session.flush()
    return product


def _write_per_product_rows(
    session: Session,
    model: type[Price] | type[Stock],
    key: str,
    value: str,
    product: Product,
    values: dict[int, Decimal | None],
) -> None:
    """Upsert one row per key for a product (a price per type, stock per warehouse); None deletes."""
    existing = {getattr(row, key): row for row in session.scalars(select(model).where(model.product_id == product.id))}
    for key_id, amount in values.items():
        row = existing.get(key_id)
        if amount is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(model(**{key: key_id, "product_id": product.id, value: amount}))
        else:
            setattr(row, value, amount)
    session.flush()


def set_product_prices(session: Session, product: Product, amounts: dict[int, Decimal | None]) -> None:
    """Price per price type id; None removes the price (the product is then not orderable at it).

    Every amount is checked before any is written, so a bad one changes nothing.
    """
    known = set(session.scalars(select(PriceType.id).where(PriceType.id.in_(amounts))))
    for price_type_id, amount in amounts.items():
        if price_type_id not in known:
            raise DomainError(gettext("Невідомий тип ціни."), f"price_{price_type_id}")
        if amount is not None and (amount < 0 or amount > MAX_MONEY or _places(amount) > 2):
            raise DomainError(
                gettext("Ціна — число від 0, не більше двох знаків після коми."), f"price_{price_type_id}"
            )
    old_amounts = dict(
        session.execute(select(Price.price_type_id, Price.amount).where(Price.product_id == product.id)).all()
    )
    _write_per_product_rows(session, Price, "price_type_id", "amount", product, amounts)
    session.add_all(
        PriceChange(product_id=product.id, price_type_id=price_type_id, old_amount=old_amounts[price_type_id], new_amount=amount)
        for price_type_id, amount in amounts.items()
        if amount is not None and price_type_id in old_amounts and old_amounts[price_type_id] != amount
    )
    session.flush()


def set_product_stock(session: Session, product: Product, quantities: dict[int, Decimal | None]) -> None:
    """Stock per warehouse id; None means none on hand. Checked in full before anything is written."""
    known = set(session.scalars(select(Warehouse.id).where(Warehouse.id.in_(quantities))))
    for warehouse_id, quantity in quantities.items():
        if warehouse_id not in known:
            raise DomainError(gettext("Невідомий склад."), f"stock_{warehouse_id}")
        if quantity is not None and (quantity < 0 or quantity > MAX_STOCK or _places(quantity) > 3):
            raise DomainError(
                gettext("Залишок — число від 0, не більше трьох знаків після коми."), f"stock_{warehouse_id}"
            )
    _write_per_product_rows(session, Stock, "warehouse_id", "quantity", product, quantities)


def create_price_type(session: Session, *, code: str, name: str) -> PriceType:
    code, name = code.strip(), name.strip()
    if not code or len(code) > 20:
        raise DomainError(gettext("Код — від 1 до 20 символів."), "code")
    if session.scalar(select(PriceType.id).where(PriceType.code == code)) is not None:
        raise DomainError(gettext("Тип ціни з таким кодом вже є."), "code")
    if not name or len(name) > 100:
        raise DomainError(gettext("Назва — від 1 до 100 символів."), "name")
    price_type = PriceType(code=code, name=name)
    session.add(price_type)
    session.flush()
    return price_type
