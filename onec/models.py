"""What the 1C exchange keeps: a row per exchange run, and the parts of a 1C catalog the
kernel's catalog has no place for (properties, extra barcodes, images, units)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, UTCDateTime

# A run keeps this many skipped items with their reasons; `skipped` counts them all.
SKIPPED_KEPT = 500


class ExchangeRun(Base):
    """One exchange with 1C, either way: what it was, how it went, what it changed."""

    __tablename__ = "exchange_run"
    # "Last synced" (customers' pages) and the stalled-exchange job ask for the latest
    # success of a direction and entity: an index walk, however many runs there are.
    __table_args__ = (Index("ix_exchange_run_last_success", "direction", "status", "entity", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    entity: Mapped[str] = mapped_column(String(30), index=True)  # catalog, offers, prices, rests, ...
    source: Mapped[str] = mapped_column(String(20))  # commerceml | soap | cli
    status: Mapped[str] = mapped_column(String(10), default="running")  # running | success | failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    # "code: detail" of what stopped the run (a file that cannot be read); None when it did not stop.
    error: Mapped[str | None] = mapped_column(Text)
    # [{"ref", "reason", "detail"}], the first SKIPPED_KEPT.
    skipped_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    # The failed run a member of staff retried with this one; unique, so a double click
    # (or two people at once) makes one retry.
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("exchange_run.id"), unique=True)

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class OnecUnit(Base):
    """A unit of 1C's classifier: 3.1 packages name a product's unit by its code only."""

    __tablename__ = "onec_unit"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    full_name: Mapped[str | None] = mapped_column(String(100))
    international: Mapped[str | None] = mapped_column(String(10))


class OnecProperty(Base):
    """A property of 1C's classifier; a split package sends it in a file of its own,
    before the products that name it."""

    __tablename__ = "onec_property"

    guid: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # A directory property's values: ИдЗначения -> Значение.
    values: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class ProductProperty(Base):
    __tablename__ = "product_property"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class ProductBarcode(Base):
    """Barcodes past the first (the first is `Product.barcode`)."""

    __tablename__ = "product_barcode"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    barcode: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class ProductImage(Base):
    """An image 1C names, by its path in the package; `file_id` once the file itself arrived."""

    __tablename__ = "product_image"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    path: Mapped[str] = mapped_column(String(300), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
