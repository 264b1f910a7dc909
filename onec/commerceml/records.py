"""What the reader yields, one record per thing 1C sent, in the file's order.

Money and quantities are Decimal. A record is emitted only whole: an item that fails a
check becomes a `Skipped` instead, and the rest of the file still reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    parent_id: str | None
    deleted: bool = False


@dataclass(frozen=True)
class PropertyDef:
    id: str
    name: str
    value_type: str | None
    # 1C's directory properties: ИдЗначения -> Значение, so a product's value can be told
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Unit:
    code: str | None
    name: str | None
    full_name: str | None = None
    international: str | None = None


@dataclass(frozen=True)
class CatalogHeader:
    """Emitted before the catalog's first product (or at its end when it has none)."""
    id: str | None
    classifier_id: str | None
    name: str | None
    changes_only: bool


@dataclass(frozen=True)
class Product:
    id: str
    product_id: str
    characteristic_id: str | None
    sku: str | None
    name: str | None
    barcodes: tuple[str, ...]
    unit: Unit | None
    group_ids: tuple[str, ...]
    description: str | None
    images: tuple[str, ...]
    properties: tuple[tuple[str, str], ...]
    vat_rate: Decimal | None
    requisites: tuple[tuple[str, str], ...]
    pack_multiple: Decimal | None
    deleted: bool


@dataclass(frozen=True)
class PriceType:
    id: str
    name: str | None
    currency: str | None


@dataclass(frozen=True)
class Warehouse:
    id: str
    name: str | None


@dataclass(frozen=True)
class OffersHeader:
    """Emitted before the package's first price type, warehouse or offer (or at its end)."""
    id: str | None
    catalog_id: str | None
    classifier_id: str | None
    name: str | None
    changes_only: bool


@dataclass(frozen=True)
class Price:
    price_type_id: str
    value: Decimal
    currency: str | None
    unit: str | None
    factor: Decimal


@dataclass(frozen=True)
class Stock:
    """`warehouse_id` None: the offer's total over all warehouses (the <Количество> form)."""
    warehouse_id: str | None
    quantity: Decimal


@dataclass(frozen=True)
class Offer:
    id: str
    product_id: str
    characteristic_id: str | None
    sku: str | None
    name: str | None
    prices: tuple[Price, ...]
    stocks: tuple[Stock, ...]
    deleted: bool

    @property
    def quantity(self) -> Decimal | None:
        """The total 1C sent, else the sum per warehouse, else None (the file said nothing of stock)."""
        totals = [s.quantity for s in self.stocks if s.warehouse_id is None]
        if totals:
            return totals[0]
        per_warehouse = [s.quantity for s in self.stocks]
        return sum(per_warehouse, Decimal(0)) if per_warehouse else None


@dataclass(frozen=True)
class Skipped:
    """An item left out: `ref` is its Ид (or what identifies it), `reason_code` is stable."""
    ref: str | None
    reason_code: str
    detail: str


Record = Group | PropertyDef | Unit | CatalogHeader | Product | PriceType | Warehouse | OffersHeader | Offer | Skipped
