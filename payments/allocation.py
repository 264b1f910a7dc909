"""Payments and their allocation to invoices: the one place money moves.

Every payment status change goes through `set_payment_status` (history row, transition
table); every allocation raises `payment.received`, every reversal `payment.reversed`.
Invoice rows are locked before their paid amount changes, so two payments arriving at
once for one invoice never both see it unpaid. An invoice paid in full may release its
order (terms met) and orders held for overdue debt (payments.receivables).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import ColumnElement, bindparam, inspect, select, update
from sqlalchemy.orm import Session

from core import outbox
from core.bulk import insert_rows
from core.clock import utcnow
from core.errors import DomainError
from core.money import money
from core.reasons import Reason
from payments.invoices import after_invoices_paid, set_invoice_status
from payments.models import (
    FAILED,
    OPEN,
    PAID,
    PENDING,
    REVERSED,
    SUCCEEDED,
    Allocation,
    Invoice,
    InvoiceStatusChange,
    Payment,
    PaymentStatusChange,
)
from payments.receivables import release_paid_holds

LOCK_CHUNK = 5000  # ids per locking query, well under any driver's parameter limit
PAYMENT_TRANSITIONS = {
    (None, PENDING),
    (None, SUCCEEDED),
    (None, FAILED),
    (PENDING, SUCCEEDED),
    (PENDING, FAILED),
    (FAILED, SUCCEEDED),  # the provider is the judge: a late success after a decline
    (SUCCEEDED, REVERSED),
}


def set_payment_status(payment: Payment, target: str, actor_name: str, provider_status: str = "", note: str = "") -> None:
    state = inspect(payment)
    history_unloaded = state.persistent and "history" in state.unloaded
    # Before its first history row a payment has no status of its own (only the column default).
    current = payment.status if history_unloaded or payment.history else None
    if (current, target) not in PAYMENT_TRANSITIONS:
        raise ValueError(f"payment {payment.id}: {current} -> {target} is not a payment transition")
    row = PaymentStatusChange(
        from_status=current, to_status=target, provider_status=provider_status, actor_name=actor_name, note=note
    )
    if history_unloaded:
        # Not loaded: add the row beside the history rather than load it all to append.
        row.payment_id = payment.id
        state.session.add(row)
    else:
        payment.history.append(row)
    payment.status = target
    payment.provider_status = provider_status or payment.provider_status


def locked_invoices(session: Session, invoice_ids: set[int]) -> dict[int, Invoice]:
    """The invoices, locked FOR UPDATE in id order (two allocators never wait on each
    other crosswise), re-read so the paid amounts are the committed ones."""
    ids = sorted(invoice_ids)
    found: dict[int, Invoice] = {}
    for start in range(0, len(ids), LOCK_CHUNK):
        found.update(
            (invoice.id, invoice)
            for invoice in session.scalars(
                select(Invoice).where(Invoice.id.in_(ids[start:start + LOCK_CHUNK])).order_by(Invoice.id)
                .with_for_update().execution_options(populate_existing=True)
            )
        )
    return found


def allocate(
    session: Session, payment: Payment, invoice_id: int, amount: Decimal, actor_name: str, other_company_reason: str = ""
) -> Allocation:
    """Settle up to `amount` of an invoice from a payment's unallocated money.
    With `other_company_reason` the invoice may be another company's than the payer's
    (a parent paying for its branch, a payer who got the number wrong): the reason is
    kept on the allocation and the payment stays the payer's."""
    items = [(payment, invoice_id, amount)]
    return allocate_many(session, items, actor_name, other_company_reason=other_company_reason)[0]


def allocate_many(
    session: Session,
    items: Sequence[tuple[Payment, int, Decimal]],
    actor_name: str,
    locked: dict[int, Invoice] | None = None,
    other_company_reason: str = "",
) -> list[Allocation]:
    """`allocate` for many (payment, invoice, at most this much), in this order: one
    locking read (none when the caller holds the locks), one flush."""
    invoices = locked if locked is not None else locked_invoices(session, {invoice_id for _, invoice_id, _ in items})
    left: dict[int, Decimal] = {}  # what each payment still has, by id(payment)
    done: list[tuple[Allocation, Invoice, Payment, bool]] = []
    for payment, invoice_id, wanted in items:
        invoice = invoices.get(invoice_id)
        available = left.setdefault(id(payment), payment.unallocated)
        payer = None if other_company_reason else payment.company_id  # None: any company's invoice
        already = invoice_id in {a.invoice_id for a in payment.allocations}
        amount = checked_amount(invoice, payment.status, payer, already, available, wanted)
        left[id(payment)] = available - amount
        if payment.company_id is None:
            payment.company_id = invoice.company_id
        allocation = Allocation(invoice_id=invoice.id, amount=amount, allocated_by=actor_name, note=other_company_reason)
        payment.allocations.append(allocation)
        invoice.paid_amount += amount
        completes = invoice.paid_amount == invoice.amount
        if completes:
            set_invoice_status(session, invoice, PAID, actor_name, _paid_note(payment.source, payment.external_id))
        done.append((allocation, invoice, payment, completes))
    if any(payment.id is None for payment, _, _ in items):
        session.flush()  # the events name the payment
    outbox.emit_many(
        session,
        "payment.received",
        [_received(payment.id, payment.source, invoice, allocation.amount, completes)
         for allocation, invoice, payment, completes in done],
    )
    paid = [invoice for _, invoice, _, completes in done if completes]
    after_invoices_paid(session, paid)
    release_paid_holds(session, {invoice.company_id for invoice in paid})
    return [allocation for allocation, *_ in done]


def checked_amount(invoice: Invoice | LockedInvoice | None, payment_status: str, payment_company_id: int | None,
                   already_paid: bool, available: Decimal, wanted: Decimal) -> Decimal:
    """How much of `wanted` may go to the invoice, or why none may: the rules both kinds
    of allocation keep, and the demo's history too."""
    if invoice is None:
        raise DomainError(gettext("Рахунок не знайдено."))
    if payment_status != SUCCEEDED:
        raise DomainError(gettext("Цей платіж не зарахований: його не можна розподілити."))
    if payment_company_id is not None and invoice.company_id != payment_company_id:
        raise DomainError(gettext("Рахунок належить іншому клієнту."))
    if invoice.status != OPEN or invoice.outstanding <= 0:
        raise DomainError(gettext("Рахунок № %(number)s уже не чекає оплати.", number=invoice.number))
    if already_paid:
        raise DomainError(gettext("Цей платіж уже зараховано на рахунок № %(number)s.", number=invoice.number))
    amount = min(money(wanted), invoice.outstanding, available)
    if amount <= 0:
        raise DomainError(gettext("У платежі не залишилося нерозподілених коштів."))
    return amount


def _paid_note(source: str, external_id: str) -> str:
    return f"Платіж {source} {external_id}"


def _received(payment_id: int, source: str, invoice: Invoice | LockedInvoice, amount: Decimal, completes: bool) -> dict:
    return {
        "payment_id": payment_id,  # with invoice_id: the allocation (unique together)
        "invoice_id": invoice.id,
        "number": invoice.number,
        "company_id": invoice.company_id,
        "amount": str(amount),
        "source": source,
        "invoice_paid": completes,
    }


@dataclass
class LockedInvoice:
    """An invoice as a bulk allocation reads it (locked) and changes it: a row, not an object."""

    id: int
    year: int
    seq: int
    company_id: int
    order_id: int | None
    kind: str
    status: str
    amount: Decimal
    paid_amount: Decimal
    due_on: date

    number = Invoice.number
    outstanding = Invoice.outstanding


@dataclass(frozen=True)
class NewPayment:
    """A succeeded payment written as a row (a bank statement's line), with its id."""

    id: int
    source: str
    external_id: str
    company_id: int | None
    amount: Decimal


def locked_invoice_rows(session: Session, where: ColumnElement[bool]) -> list[LockedInvoice]:
    """The invoices matching `where`, locked FOR UPDATE in id order, as rows."""
    columns = [getattr(Invoice, f.name) for f in fields(LockedInvoice)]
    rows = session.execute(select(*columns).where(where).order_by(Invoice.id).with_for_update(of=Invoice))
    return [LockedInvoice(*row) for row in rows]


def allocate_rows(
    session: Session, items: Sequence[tuple[NewPayment, int, Decimal]], invoices: dict[int, LockedInvoice], actor_name: str
) -> int:
    """`allocate_many` for a bank statement's thousands: the same rules (`checked_amount`),
    written as plain rows — a COPY or executemany per table and one executemany UPDATE of
    the invoices — instead of objects the ORM tracks one by one. Returns the allocations made."""
    left: dict[int, Decimal] = {}
    paid_already: dict[int, set[int]] = {}
    allocations, changes, received, paid = [], [], [], []
    for payment, invoice_id, wanted in items:
        invoice = invoices.get(invoice_id)
        available = left.setdefault(payment.id, payment.amount)
        already = invoice_id in paid_already.setdefault(payment.id, set())
        amount = checked_amount(invoice, SUCCEEDED, payment.company_id, already, available, wanted)
        left[payment.id] = available - amount
        paid_already[payment.id].add(invoice.id)
        allocations.append({"payment_id": payment.id, "invoice_id": invoice.id, "amount": amount, "allocated_by": actor_name})
        invoice.paid_amount += amount
        completes = invoice.paid_amount == invoice.amount
        if completes:
            changes.append({"invoice_id": invoice.id, "from_status": invoice.status, "to_status": PAID,
                            "actor_name": actor_name, "note": _paid_note(payment.source, payment.external_id)})
            invoice.status = PAID
            paid.append(invoice.id)
        received.append(_received(payment.id, payment.source, invoice, amount, completes))
    touched = {invoice_id for _, invoice_id, _ in items}
    if touched:
        session.execute(
            update(Invoice.__table__).where(Invoice.__table__.c.id == bindparam("invoice")).values(
                paid_amount=bindparam("paid"), status=bindparam("status"), updated_at=utcnow()),
            [{"invoice": i, "paid": invoices[i].paid_amount, "status": invoices[i].status} for i in sorted(touched)],
        )
    insert_rows(session, Allocation, allocations)
    insert_rows(session, InvoiceStatusChange, changes)
    outbox.emit_rows(session, "payment.received", received)
    _forget_stale(session, touched)
    after_invoices_paid(session, _with_orders(session, paid))
    release_paid_holds(session, {invoices[invoice_id].company_id for invoice_id in paid})
    return len(allocations)


def _forget_stale(session: Session, invoice_ids: set[int]) -> None:
    """Invoice objects the session already holds no longer say what the rows say."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Invoice) and obj.id in invoice_ids:
            session.expire(obj)


def _with_orders(session: Session, invoice_ids: list[int]) -> list[Invoice]:
    found: list[Invoice] = []
    for start in range(0, len(invoice_ids), LOCK_CHUNK):
        chunk = invoice_ids[start:start + LOCK_CHUNK]
        found += session.scalars(select(Invoice).where(Invoice.id.in_(chunk), Invoice.order_id.is_not(None)))
    return found


def allocate_in_order(session: Session, payment: Payment, plan: list[tuple[int, Decimal]], actor_name: str) -> Decimal:
    """Allocate along a plan of (invoice, at most this much), skipping invoices no longer
    open; what is left stays unallocated. Returns that rest."""
    invoices = locked_invoices(session, {invoice_id for invoice_id, _ in plan})
    left = payment.unallocated
    items = []
    for invoice_id, wanted in plan:
        invoice = invoices.get(invoice_id)
        if left <= 0 or invoice is None or invoice.status != OPEN or invoice.outstanding <= 0:
            continue
        amount = min(wanted, invoice.outstanding, left)
        items.append((payment, invoice_id, amount))
        left -= amount
    if items:
        allocate_many(session, items, actor_name, locked=invoices)
    return payment.unallocated


def reverse(session: Session, payment: Payment, actor_name: str, provider_status: str = "", note: str = "") -> None:
    """The money went back: undo its allocations and reopen what they had paid."""
    now = utcnow()
    for allocation in payment.allocations:
        if allocation.reversed_at is not None:
            continue
        invoice = locked_invoices(session, {allocation.invoice_id})[allocation.invoice_id]
        allocation.reversed_at = now
        invoice.paid_amount -= allocation.amount
        if invoice.status == PAID:
            set_invoice_status(session, invoice, OPEN, actor_name, f"Платіж {payment.external_id} повернено")
    set_payment_status(payment, REVERSED, actor_name, provider_status, note)
    session.flush()
    outbox.emit(
        session,
        "payment.reversed",
        {"payment_id": payment.id, "company_id": payment.company_id, "amount": str(payment.amount)},
    )


def flag_for_review(payment: Payment, reason: Reason | str) -> None:
    """Into the exceptions queue; a Reason is kept as its code too, told in the reader's language."""
    payment.needs_review = True
    if isinstance(reason, Reason):
        payment.review_reason, payment.review_code, payment.review_params = reason.text, reason.code, reason.params
    else:
        payment.review_reason, payment.review_code, payment.review_params = reason, "", None
