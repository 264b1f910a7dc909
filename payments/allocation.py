"""Payments and their allocation to invoices: the one place money moves.

Every payment status change goes through `set_payment_status` (history row, transition
table); every allocation raises `payment.received`, every reversal `payment.reversed`.
Invoice rows are locked before their paid amount changes, so two payments arriving at
once for one invoice never both see it unpaid.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from core import outbox
from core.db import utcnow
from core.errors import DomainError
from core.money import money
from payments.invoices import after_invoices_paid, set_invoice_status
from payments.models import FAILED, OPEN, PAID, PENDING, REVERSED, SUCCEEDED, Allocation, Invoice, Payment, PaymentStatusChange

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


def allocate(session: Session, payment: Payment, invoice_id: int, amount: Decimal, actor_name: str) -> Allocation:
    """Settle up to `amount` of an invoice from a payment's unallocated money."""
    return allocate_many(session, [(payment, invoice_id, amount)], actor_name)[0]


def allocate_many(
    session: Session,
    items: Sequence[tuple[Payment, int, Decimal]],
    actor_name: str,
    locked: dict[int, Invoice] | None = None,
) -> list[Allocation]:
    """`allocate` for many (payment, invoice, at most this much), in this order: one
    locking read (none when the caller holds the locks), one flush, whatever the count
    (a bank statement settles thousands of invoices at once)."""
    invoices = locked if locked is not None else locked_invoices(session, {invoice_id for _, invoice_id, _ in items})
    left: dict[int, Decimal] = {}  # what each payment still has, by id(payment)
    done: list[tuple[Allocation, Invoice, Payment, bool]] = []
    for payment, invoice_id, wanted in items:
        invoice = invoices.get(invoice_id)
        if invoice is None:
            raise DomainError(gettext("Рахунок не знайдено."))
        if payment.status != SUCCEEDED:
            raise DomainError(gettext("Цей платіж не зарахований: його не можна розподілити."))
        if payment.company_id is not None and invoice.company_id != payment.company_id:
            raise DomainError(gettext("Рахунок належить іншому клієнту."))
        if invoice.status != OPEN or invoice.outstanding <= 0:
            raise DomainError(gettext("Рахунок № %(number)s уже не чекає оплати.", number=invoice.number))
        if any(a.invoice_id == invoice.id for a in payment.allocations):
            raise DomainError(gettext("Цей платіж уже зараховано на рахунок № %(number)s.", number=invoice.number))
        available = left.setdefault(id(payment), payment.unallocated)
        amount = min(money(wanted), invoice.outstanding, available)
        if amount <= 0:
            raise DomainError(gettext("У платежі не залишилося нерозподілених коштів."))
        left[id(payment)] = available - amount
        payment.company_id = invoice.company_id
        allocation = Allocation(invoice_id=invoice.id, amount=amount, allocated_by=actor_name)
        payment.allocations.append(allocation)
        invoice.paid_amount += amount
        completes = invoice.paid_amount == invoice.amount
        if completes:
            set_invoice_status(session, invoice, PAID, actor_name, f"Платіж {payment.source} {payment.external_id}")
        done.append((allocation, invoice, payment, completes))
    if any(payment.id is None for payment, _, _ in items):
        session.flush()  # the events name the payment
    outbox.emit_many(
        session,
        "payment.received",
        [
            {
                "payment_id": payment.id,  # with invoice_id: the allocation (unique together)
                "invoice_id": invoice.id,
                "number": invoice.number,
                "company_id": invoice.company_id,
                "amount": str(allocation.amount),
                "source": payment.source,
                "invoice_paid": completes,
            }
            for allocation, invoice, payment, completes in done
        ],
    )
    after_invoices_paid(session, [invoice for _, invoice, _, completes in done if completes])
    return [allocation for allocation, *_ in done]


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


def flag_for_review(payment: Payment, reason: str) -> None:
    payment.needs_review = True
    payment.review_reason = reason
