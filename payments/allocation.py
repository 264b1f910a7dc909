"""Payments and their allocation to invoices: the one place money moves.

Every payment status change goes through `set_payment_status` (history row, transition
table); every allocation raises `payment.received`, every reversal `payment.reversed`.
Invoice rows are locked before their paid amount changes, so two payments arriving at
once for one invoice never both see it unpaid.
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.db import utcnow
from core.errors import DomainError
from core.money import money
from payments.invoices import after_invoice_paid, set_invoice_status
from payments.models import FAILED, OPEN, PAID, PENDING, REVERSED, SUCCEEDED, Allocation, Invoice, Payment, PaymentStatusChange

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
    current = payment.status if payment.history else None
    if (current, target) not in PAYMENT_TRANSITIONS:
        raise ValueError(f"payment {payment.id}: {current} -> {target} is not a payment transition")
    payment.history.append(
        PaymentStatusChange(
            from_status=current, to_status=target, provider_status=provider_status, actor_name=actor_name, note=note
        )
    )
    payment.status = target
    payment.provider_status = provider_status or payment.provider_status


def locked_invoice(session: Session, invoice_id: int) -> Invoice:
    return session.scalars(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)
    ).one()


def allocate(session: Session, payment: Payment, invoice_id: int, amount: Decimal, actor_name: str) -> Allocation:
    """Settle up to `amount` of an invoice from a payment's unallocated money."""
    invoice = locked_invoice(session, invoice_id)
    if payment.status != SUCCEEDED:
        raise DomainError(gettext("Цей платіж не зарахований: його не можна розподілити."))
    if payment.company_id is not None and invoice.company_id != payment.company_id:
        raise DomainError(gettext("Рахунок належить іншому клієнту."))
    if invoice.status != OPEN or invoice.outstanding <= 0:
        raise DomainError(gettext("Рахунок № %(number)s уже не чекає оплати.", number=invoice.number))
    amount = min(money(amount), invoice.outstanding, payment.unallocated)
    if amount <= 0:
        raise DomainError(gettext("У платежі не залишилося нерозподілених коштів."))
    if any(a.invoice_id == invoice.id for a in payment.allocations):
        raise DomainError(gettext("Цей платіж уже зараховано на рахунок № %(number)s.", number=invoice.number))
    payment.company_id = invoice.company_id
    allocation = Allocation(invoice_id=invoice.id, amount=amount, allocated_by=actor_name)
    payment.allocations.append(allocation)
    invoice.paid_amount += amount
    if invoice.paid_amount == invoice.amount:
        set_invoice_status(invoice, PAID, actor_name, f"Платіж {payment.source} {payment.external_id}")
    session.flush()
    outbox.emit(
        session,
        "payment.received",
        {
            "payment_id": payment.id,
            "allocation_id": allocation.id,
            "invoice_id": invoice.id,
            "company_id": invoice.company_id,
            "amount": str(amount),
            "source": payment.source,
            "invoice_paid": invoice.status == PAID,
        },
    )
    if invoice.status == PAID:
        after_invoice_paid(session, invoice)
    return allocation


def allocate_in_order(session: Session, payment: Payment, plan: list[tuple[int, Decimal]], actor_name: str) -> Decimal:
    """Allocate along a plan of (invoice, at most this much); what is left stays unallocated."""
    for invoice_id, wanted in plan:
        if payment.unallocated <= 0:
            break
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.status != OPEN or invoice.outstanding <= 0:
            continue
        allocate(session, payment, invoice_id, min(wanted, payment.unallocated), actor_name)
    return payment.unallocated


def reverse(session: Session, payment: Payment, actor_name: str, provider_status: str = "", note: str = "") -> None:
    """The money went back: undo its allocations and reopen what they had paid."""
    now = utcnow()
    for allocation in payment.allocations:
        if allocation.reversed_at is not None:
            continue
        invoice = locked_invoice(session, allocation.invoice_id)
        allocation.reversed_at = now
        invoice.paid_amount -= allocation.amount
        if invoice.status == PAID:
            set_invoice_status(invoice, OPEN, actor_name, f"Платіж {payment.external_id} повернено")
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
