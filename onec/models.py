"""What the 1C exchange keeps: a row per exchange run, what 1C answered for each document
the portal pushed, and the parts of a 1C catalog the kernel's catalog has no place for
(properties, extra barcodes, images, units)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.customers.models import Company
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


class OnecDocumentRef(Base):
    """1C's document for one the portal pushed (onec/push.py): staff see 1C's number, and
    a push 1C has answered is not sent again. A cancellation answers the order's document,
    so its row has the order's `portal_id` under its own `kind`."""

    __tablename__ = "onec_document_ref"
    __table_args__ = (Index("ix_onec_document_ref_kind_object", "kind", "object_id"),)

    portal_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "order-42", "payment-7"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # order | payment | cancellation
    object_id: Mapped[int]  # the portal's order or payment id
    onec_id: Mapped[str] = mapped_column(String(36))  # 1C's Ид of the document
    number: Mapped[str] = mapped_column(String(50))  # its number in 1C
    onec_date: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    pushed_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


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


class ExchangeSession(Base):
    """A conversation of 1C's "exchange with website", from checkauth on: the cookie 1C was
    given (kept only as a hash), when it expires, its folder and what it has sent so far."""

    __tablename__ = "onec_exchange_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the cookie's value: a leaked table does not let anyone exchange.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), index=True)
    # Bytes written into its folder (uploaded and unpacked): bounded by ONEC_EXCHANGE_MAX_MB.
    received_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # The orders its last sale query sent, each with the status sent ([[order_id, status], ...]):
    # what mode=success marks exported, and nothing submitted after the query.
    sale_sent: Mapped[list[list[Any]] | None] = mapped_column(JSON)
    # The file being imported (1C imports one at a time and asks until it hears the end),
    # since when, and its run once it ended: any worker process can answer the next ask.
    import_name: Mapped[str | None] = mapped_column(String(255))
    import_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_run.id", ondelete="SET NULL"))


class SaleExport(Base):
    """An order 1C has taken (mode=success after the query that sent it), in the status sent."""

    __tablename__ = "onec_sale_export"

    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
class OnecCursor(Base):
    """The last `Version` taken from 1C per entity (GetChanges) or for order statuses:
    moved in the transaction that writes the page it ends, never before."""

    __tablename__ = "onec_cursor"

    entity: Mapped[str] = mapped_column(String(30), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


class OnecLease(Base):
    """One pull at a time: a beat tick that finds the lease held (and not run out) does
    nothing. A lease that runs out frees itself, so a killed puller blocks nobody for long."""

    __tablename__ = "onec_lease"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class OnecCompany(Base):
    """What 1C says of a customer that the kernel's Company has no place for."""

    __tablename__ = "onec_company"

    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(500))
    vat_number: Mapped[str | None] = mapped_column(String(12))
    address: Mapped[str | None] = mapped_column(String(500))
    manager_name: Mapped[str | None] = mapped_column(String(200))


class OnecBalance(Base):
    """1C's figure of what a customer owes, beside the portal's at the time it came.
    `differs_since` set: the two differ and staff must look (the portal's balance is never
    overwritten); cleared when a later figure agrees."""

    __tablename__ = "onec_balance"

    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), primary_key=True)
    debt: Mapped[Decimal]
    overdue_debt: Mapped[Decimal]
    as_of: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    portal_debt: Mapped[Decimal]
    differs_since: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    company: Mapped[Company] = relationship(Company, lazy="joined", viewonly=True)

    @property
    def difference(self) -> Decimal:
        return self.debt - self.portal_debt


class OnecDocument(Base):
    """A document made in 1C (shipment, invoice, payment) as it last came, and what the
    portal made of it: the payment it became or was recognised as, the order it names."""

    __tablename__ = "onec_document"

    guid: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # shipment | invoice | payment
    number: Mapped[str] = mapped_column(String(50))
    date: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    amount: Mapped[Decimal]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    # The payment's PortalId when the portal posted it: ours coming back.
    portal_id: Mapped[str | None] = mapped_column(String(64))
    payment_source: Mapped[str | None] = mapped_column(String(10))
    posted: Mapped[bool] = mapped_column(default=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
