"""The catalog, prices and stock of a GetChanges page as the CommerceML reader's records,
so the one importer (onec/importer) writes what the file exchange and the web service
bring alike. What the reader would skip in a file is skipped here with the same reasons."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from core.catalog.models import Price as PriceRow
from core.catalog.models import PriceType as PriceTypeRow
from core.catalog.models import Product as ProductRow
from onec.commerceml import Group, Offer, Price, PriceType, Product, Skipped, Stock, Unit, Warehouse
from onec.importer.common import Tally

# VatRate of the contract: "none" is exempt (без ПДВ), which the catalog keeps as 0, as
# the CommerceML reader does with "Без ПДВ".
VAT = {"20": Decimal(20), "14": Decimal(14), "7": Decimal(7), "0": Decimal(0), "none": Decimal(0)}


def items(page: Any, name: str) -> list[Any]:
    """A list of the answer (zeep leaves an absent repeated element as [] or None)."""
    return list(getattr(page, name, None) or [])


def catalog_records(page: Any) -> Iterator[Any]:
    for group in items(page, "Group"):
        if not group.Id:
            yield Skipped(group.Name, "missing_id", "a group without Id")
        else:
            yield Group(id=group.Id, name=group.Name or group.Id, parent_id=group.ParentId or None,
                        deleted=bool(group.Deleted))
    for product in items(page, "Product"):
        if not product.Id:
            yield Skipped(product.Sku or product.Name, "missing_id", "a product without Id")
            continue
        yield Product(
            id=product.Id, product_id=product.Id, characteristic_id=None, sku=product.Sku or None,
            name=product.Name or None, barcodes=tuple(b for b in (product.Barcode or ()) if b),
            unit=Unit(code=product.UnitCode or None, name=product.UnitName or None),
            group_ids=(product.GroupId,) if product.GroupId else (), description=product.Description,
            images=(), properties=tuple((p.Name, p.Value) for p in (product.Property or ()) if p.Name),
            vat_rate=VAT.get(product.VatRate), requisites=(), pack_multiple=product.PackQuantity,
            deleted=bool(product.Deleted),
        )


def price_records(page: Any, currencies: Sequence[str], deleted: list[tuple[str, str]]) -> Iterator[Any]:
    """`deleted` collects the (product, price type) pairs 1C no longer prices: the
    importer only writes prices, so run.py removes those rows itself."""
    accepted = {c.upper() for c in currencies}
    for price_type in items(page, "PriceType"):
        if not price_type.Id:
            yield Skipped(price_type.Name, "missing_id", "a price type without Id")
        elif not price_type.Deleted:
            # A deleted price type is kept: companies may still name it; its prices come deleted.
            yield PriceType(id=price_type.Id, name=price_type.Name, currency=price_type.Currency)
    for price in items(page, "Price"):
        ref = price.ProductId or None
        if not price.ProductId or not price.PriceTypeId:
            yield Skipped(ref, "missing_id", "a price without ProductId or PriceTypeId")
        elif price.Deleted:
            deleted.append((price.ProductId, price.PriceTypeId))
        elif (price.Currency or "").upper() not in accepted:
            yield Skipped(ref, "currency_not_accepted", f"the price of type {price.PriceTypeId} is in {price.Currency}")
        elif price.Price < 0:
            yield Skipped(ref, "negative_price", f"the price of type {price.PriceTypeId} is below zero: {price.Price}")
        else:
            yield Offer(id=price.ProductId, product_id=price.ProductId, characteristic_id=None, sku=None, name=None,
                        prices=(Price(price.PriceTypeId, price.Price, price.Currency, None, Decimal(1)),),
                        stocks=(), deleted=False)


def stock_records(page: Any) -> Iterator[Any]:
    named: set[str] = set()
    for stock in items(page, "Stock"):
        ref = stock.ProductId or None
        if not stock.ProductId or not stock.WarehouseId:
            yield Skipped(ref, "missing_id", "a stock row without ProductId or WarehouseId")
            continue
        if stock.Quantity < 0:
            yield Skipped(ref, "negative_stock", f"the stock at {stock.WarehouseId} is below zero: {stock.Quantity}")
            continue
        if stock.WarehouseId not in named:
            named.add(stock.WarehouseId)
            yield Warehouse(id=stock.WarehouseId, name=stock.WarehouseName or None)
        yield Offer(id=stock.ProductId, product_id=stock.ProductId, characteristic_id=None, sku=None, name=None,
                    prices=(), stocks=(Stock(stock.WarehouseId, stock.Quantity),), deleted=False)


def remove_prices(session: Session, pairs: list[tuple[str, str]], tally: Tally) -> None:
    """The prices 1C marked deleted: the product is no longer sold at that price type."""
    if not pairs:
        return
    rows = [tuple(row) for row in session.execute(
        select(PriceRow.product_id, PriceRow.price_type_id)
        .join(ProductRow, ProductRow.id == PriceRow.product_id)
        .join(PriceTypeRow, PriceTypeRow.id == PriceRow.price_type_id)
        .where(tuple_(ProductRow.onec_guid, PriceTypeRow.onec_guid).in_(pairs))
    )]
    if rows:
        session.execute(delete(PriceRow).where(tuple_(PriceRow.product_id, PriceRow.price_type_id).in_(rows)))
    tally.updated += len(rows)
