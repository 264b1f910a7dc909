"""Invoices, payments and what ties them: allocations, card checkouts, bank statements."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.customers.models import Company
from core.db import Base
from core.files.models import StoredFile
from core.orders.models import Order

OPEN, PAID, CANCELLED = "open", "paid", "cancelled"
PENDING, SUCCEEDED, FAILED, REVERSED = "pending", "succeeded", "failed", "reversed"


class InvoiceCounter(Base):
    """The last invoice number of a year. Its row is locked by the issuing transaction,
    so numbers have no gaps: a rolled-back invoice gives its number back."""

    __tablename__ = "invoice_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


def invoice_number(year: int, seq: int) -> str:
    return f"{year}-{seq:05d}"


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_invoice_year_seq"),
        CheckConstraint("kind IN ('full', 'advance', 'remainder')", name="kind"),
        CheckConstraint("status IN ('open', 'paid', 'cancelled')", name="status"),
        CheckConstraint("paid_amount >= 0 AND paid_amount <= amount", name="paid_within_amount"),
        Index("ix_invoice_company_status", "company_id", "status"),
        Index("ix_invoice_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    seq: Mapped[int]
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    amount: Mapped[Decimal]
    vat_amount: Mapped[Decimal]
    paid_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    issued_on: Mapped[date]
    due_on: Mapped[date]
    # The pay link: unguessable, works without logging in (sent by SMS/e-mail).
    pay_token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()
    order: Mapped[Order | None] = relationship()
    history: Mapped[list[InvoiceStatusChange]] = relationship(
        back_populates="invoice", order_by="InvoiceStatusChange.id", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        return invoice_number(self.year, self.seq)

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount if self.status == OPEN else Decimal("0.00")


class InvoiceStatusChange(Base):
    __tablename__ = "invoice_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")

    invoice: Mapped[Invoice] = relationship(back_populates="history")


class CardCheckout(Base):
    """One press of "pay": the invoices it covers and the order id LiqPay knows it by."""

    __tablename__ = "card_checkout"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # LiqPay's order_id
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="UAH")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set once LiqPay reports a final outcome; until then reconciliation may ask.
    settled_at: Mapped[datetime | None] = mapped_column(index=True)
    # Reconciliation asks about a checkout without a final word less and less often
    # (payments.card.next_check_after) and gives up after LIQPAY_RECONCILE_DAYS.
    status_checks: Mapped[int] = mapped_column(default=0)
    next_check_at: Mapped[datetime | None]
    # What LiqPay said when last asked: its status, "payment_not_found", or why asking failed.
    last_answer: Mapped[str] = mapped_column(String(40), default="")
    # Given up without a final word (set with lapsed_at): "expired" when LiqPay never saw a
    # payment (the customer left the card page), "unknown" when it never said how one
    # ended or could not be asked; staff see these on the payments queue.
    lapsed: Mapped[str] = mapped_column(String(10), default="")
    lapsed_at: Mapped[datetime | None] = mapped_column(index=True)

    company: Mapped[Company] = relationship()
    items: Mapped[list[CardCheckoutItem]] = relationship(
        back_populates="checkout", order_by="CardCheckoutItem.invoice_id", cascade="all, delete-orphan"
    )


class CardCheckoutItem(Base):
    __tablename__ = "card_checkout_item"

    checkout_id: Mapped[int] = mapped_column(ForeignKey("card_checkout.id", ondelete="CASCADE"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), primary_key=True)
    amount: Mapped[Decimal]  # what the card pays towards this invoice
    # The online-payment promotion's part, written off once the card payment succeeds.
    discount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotion.id"))

    checkout: Mapped[CardCheckout] = relationship(back_populates="items")
    invoice: Mapped[Invoice] = relationship()


class BankStatement(Base):
    __tablename__ = "bank_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(5))
    account: Mapped[str] = mapped_column(String(40), default="")
    lines_total: Mapped[int] = mapped_column(default=0)
    lines_new: Mapped[int] = mapped_column(default=0)
    lines_matched: Mapped[int] = mapped_column(default=0)
    imported_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # SHA-256 of the file's bytes: the same file twice is recognised and refused
    # (unique, so two uploads racing with one file cannot both be taken).
    content_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The file as the bank sent it (statements imported before the file store have none).
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))

    file: Mapped[StoredFile | None] = relationship()


class Payment(Base):
    """Money that came in (or tried to). One row per provider reference, however
    often the provider reports it."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_payment_source_external_id"),
        # "discount": not money but a promotion's write-off (paying online), kept as a
        # payment so an invoice's allocations always add up to what settled it. "1c": money
        # entered in 1C (a bank payment, cash) that the portal learnt of from 1C.
        CheckConstraint("source IN ('liqpay', 'bank', 'manual', 'discount', '1c')", name="source"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'reversed')", name="status"),
        Index("ix_payment_review", "needs_review", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))
    external_id: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), index=True)
    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("card_checkout.id"), index=True)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("bank_statement.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    provider_status: Mapped[str] = mapped_column(String(20), default="")
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="UAH")
    paid_on: Mapped[date | None]
    payer_name: Mapped[str] = mapped_column(String(300), default="")
    payer_tax_id: Mapped[str] = mapped_column(String(10), default="", index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    # The exceptions queue: money we could not (or must not) allocate by ourselves.
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    # The same reason as a code and its parameters (core.reasons), told in the reader's language.
    review_code: Mapped[str] = mapped_column(String(40), default="")
    review_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company | None] = relationship()
    checkout: Mapped[CardCheckout | None] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="payment", order_by="Allocation.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[PaymentStatusChange]] = relationship(
        back_populates="payment", order_by="PaymentStatusChange.id", cascade="all, delete-orphan"
    )

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations if a.reversed_at is None), Decimal("0.00"))

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.allocated if self.status == SUCCEEDED else Decimal("0.00")


class PaymentStatusChange(Base):
    __tablename__ = "payment_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    provider_status: Mapped[str] = mapped_column(String(20), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")

    payment: Mapped[Payment] = relationship(back_populates="history")


class Allocation(Base):
    """This much of a payment settles this much of an invoice. A reversal keeps the
    row (for the record) and marks it reversed."""

    __tablename__ = "allocation"
    __table_args__ = (UniqueConstraint("payment_id", "invoice_id", name="uq_allocation_payment_invoice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal]
    allocated_by: Mapped[str] = mapped_column(String(200))
    # Why a person sent the money to an invoice of a company other than the payer's.
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reversed_at: Mapped[datetime | None]

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship()


class InvoiceReminder(Base):
    """One row per step of the reminder ladder an invoice went through: a step is
    never raised twice, whatever the job's schedule."""

    __tablename__ = "invoice_reminder"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), primary_key=True)
    offset_days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # days after due; negative = before
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    skipped: Mapped[bool] = mapped_column(default=False)  # passed while the job was not running


class CollectionTask(Base):
    """The ladder is exhausted: a manager takes the debt in hand."""

    __tablename__ = "collection_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_by: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    invoice: Mapped[Invoice] = relationship()
    company: Mapped[Company] = relationship()


class Refund(Base):
    """Money sent back through LiqPay: who asked, why, and what LiqPay answered."""

    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("status IN ('requested', 'done', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    amount: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="requested")
    provider_answer: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    payment: Mapped[Payment] = relationship()


class PaymentClaim(Base):
    """"I paid by bank transfer": the customer's word and proof, until the statement line
    arrives and a manager confirms it in one click."""

    __tablename__ = "payment_claim"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'confirmed', 'rejected')", name="status"),
        Index("ix_payment_claim_status_company", "status", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("customer_user.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    paid_on: Mapped[date]
    amount: Mapped[Decimal]
    note: Mapped[str] = mapped_column(Text, default="")
    # The payment order the customer attached (name and type are the stored file's).
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Company] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    payment: Mapped[Payment | None] = relationship()
    file: Mapped[StoredFile] = relationship()
