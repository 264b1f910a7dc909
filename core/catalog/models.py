from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.clock import utcnow
from core.db import Base, Quantity
from core.textkeys import sku_key, sort_key_column, uk_sort_key


class Category(Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_sort: Mapped[str] = mapped_column(sort_key_column(200), default="", server_default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    # 1C's Ид of the group, for the catalog the 1C exchange keeps (onec/importer.py).
    onec_guid: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id])

    @validates("name")
    def _keep_name_sort(self, _key: str, name: str) -> str:
        self.name_sort = uk_sort_key(name)
        return name


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (
        # The catalog lists in Ukrainian alphabetical order: an index walk for a page
        # instead of sorting the table.
        Index("ix_product_name_sort_id", "name_sort", "id"),
        # Typos and partial codes: trigrams on PostgreSQL (a plain index on SQLite).
        Index(
            "ix_product_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    # The SKU without case, spaces and hyphens: what quick order looks a typed SKU up by.
    sku_key: Mapped[str] = mapped_column(String(40), index=True, default="", server_default="")
    name: Mapped[str] = mapped_column(String(300))
    name_sort: Mapped[str] = mapped_column(sort_key_column(300), default="", server_default="")
    barcode: Mapped[str | None] = mapped_column(String(20), index=True)
    unit: Mapped[str] = mapped_column(String(10), default="шт")
    pack_multiple: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("1"))
    vat_rate: Mapped[Decimal] = mapped_column(default=Decimal("20.00"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    onec_guid: Mapped[str | None] = mapped_column(String(36), unique=True)
    # Case-folded name, SKU (also as its key) and barcode: SQLite's lower() knows only
    # ASCII, and customers type Cyrillic in any case.
    search_text: Mapped[str] = mapped_column(String(400), default="")
    # Words and their Ukrainian/Russian stems for full text (core/catalog/search.py); on
    # PostgreSQL the generated tsvector search_vector with a GIN index, on SQLite the FTS5
    # table product_fts: both made by migration 0017, kept by the database as this changes.
    search_words: Mapped[str] = mapped_column(String(1000), default="", server_default="")

    category: Mapped[Category] = relationship()

    @validates("sku")
    def _keep_sku_key(self, _key: str, sku: str) -> str:
        self.sku_key = sku_key(sku)
        return sku

    @validates("name")
    def _keep_name_sort(self, _key: str, name: str) -> str:
        self.name_sort = uk_sort_key(name)
        return name


class PriceType(Base):
    __tablename__ = "price_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    onec_guid: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)


class Price(Base):
    __tablename__ = "price"

    price_type_id: Mapped[int] = mapped_column(ForeignKey("price_type.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True, index=True)
    amount: Mapped[Decimal]


class PriceChange(Base):
    """A price that moved: the customers who buy the product hear of it in a digest."""

    __tablename__ = "price_change"
    __table_args__ = (Index("ix_price_change_undigested", "digested_at", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    price_type_id: Mapped[int] = mapped_column(ForeignKey("price_type.id"))
    old_amount: Mapped[Decimal]
    new_amount: Mapped[Decimal]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    digested_at: Mapped[datetime | None]


class Warehouse(Base):
    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    onec_guid: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)


class Stock(Base):
    __tablename__ = "stock"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True, index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
