"""Invoices follow the company's payment terms; numbers run without gaps per year.

An order hook (payments/feature.py): confirming an order issues its invoice in the
same transaction, cancelling it cancels the unpaid ones.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from core import outbox
from core.clock import kyiv_today
from core.customers.models import Company
from core.money import money
from core.orders import states
from core.orders.models import Order
from core.orders.services import Actor, release_for_shipment, release_many
from payments.models import (
    CANCELLED,
    OPEN,
    Invoice,
    InvoiceCounter,
    InvoiceStatusChange,
)

ISSUER = "Система"  # the actor of an invoice's first history row
CANCELLED_WITH_ORDER = "Замовлення скасовано"


def next_seq(session: Session, year: int) -> int:
    """The year's next invoice number. The UPDATE locks the counter row until the
    issuing transaction ends, so a rolled-back invoice leaves no gap."""
    bump = (
        update(InvoiceCounter)
        .where(InvoiceCounter.year == year)
        .values(last_seq=InvoiceCounter.last_seq + 1)
        .returning(InvoiceCounter.last_seq)
    )
    seq = session.scalar(bump)
    if seq is not None:
        return seq
    try:
        with session.begin_nested():
            session.add(InvoiceCounter(year=year, last_seq=1))
        return 1
    except IntegrityError:  # another transaction opened the year first
        return session.scalar(bump)


def set_invoice_status(session: Session, invoice: Invoice, target: str, actor_name: str, note: str = "") -> None:
    row = InvoiceStatusChange(from_status=invoice.status, to_status=target, actor_name=actor_name, note=note)
    if "history" in inspect(invoice).unloaded:
        # Not loaded: add the row beside it rather than load every earlier one (bulk imports).
        row.invoice_id = invoice.id
        session.add(row)
    else:
        invoice.history.append(row)
    invoice.status = target


def new_pay_token() -> str:
    return secrets.token_urlsafe(16)


def vat_of_share(amount: Decimal, order_total: Decimal, order_vat_total: Decimal) -> Decimal:
    """The VAT an invoice for part of an order carries: the order's VAT in that proportion."""
    share = amount / order_total if order_total else Decimal(0)
    return money(order_vat_total * share)


def issue_invoice(
    session: Session, order: Order, kind: str, amount: Decimal, due_on: date, *, today: date | None = None
) -> Invoice:
    today = today or kyiv_today()
    amount = money(amount)
    invoice = Invoice(
        year=today.year,
        seq=next_seq(session, today.year),
        company_id=order.company_id,
        order=order,
        kind=kind,
        status=OPEN,
        amount=amount,
        vat_amount=vat_of_share(amount, order.total, order.vat_total),
        issued_on=today,
        due_on=due_on,
        pay_token=new_pay_token(),
        history=[InvoiceStatusChange(from_status=None, to_status=OPEN, actor_name=ISSUER)],
    )
    session.add(invoice)
    session.flush()
    outbox.emit(
        session,
        "invoice.issued",
        {
            "invoice_id": invoice.id,
            "number": invoice.number,
            "company_id": invoice.company_id,
            "order_id": order.id,
            "kind": kind,
            "amount": str(amount),
            "due_on": due_on.isoformat(),
            "pay_token": invoice.pay_token,
        },
    )
    return invoice


def invoices_of_order(session: Session, order_id: int) -> list[Invoice]:
    return list(session.scalars(select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id)))


@dataclass(frozen=True)
class FirstInvoice:
    kind: str
    amount: Decimal
    due_on: date
    release_note: str | None  # deferred terms release the order for shipment at once, with this note


def first_invoice(company: Company, total: Decimal, today: date, prepayment_due_days: int) -> FirstInvoice:
    """What a confirmed order is invoiced first, by the company's payment terms."""
    pay_within = timedelta(days=prepayment_due_days)
    percent = Decimal(company.advance_percent or 0)
    if company.payment_terms == "deferred" or (company.payment_terms == "advance" and percent <= 0):
        note = f"Відстрочка платежу {company.deferral_days} дн."
        return FirstInvoice("full", total, today + timedelta(days=company.deferral_days), note)
    if company.payment_terms == "advance" and percent < 100:
        return FirstInvoice("advance", total * percent / 100, today + pay_within, None)
    return FirstInvoice("full", total, today + pay_within, None)


def issue_by_terms(session: Session, order: Order) -> None:
    """The first invoice of a confirmed order, by the company's payment terms."""
    if invoices_of_order(session, order.id):
        return
    first = first_invoice(order.company, order.total, kyiv_today(), current_app.config["PREPAYMENT_DUE_DAYS"])
    if first.release_note is not None:
        release_for_shipment(session, order, first.release_note)
    issue_invoice(session, order, first.kind, first.amount, first.due_on)


def remainder_due_in(company: Company, default_days: int) -> timedelta:
    """The remainder after an advance: the company's own deferral, else REMAINDER_DUE_DAYS
    (due the day the advance is paid would make every advance customer overdue at once)."""
    return timedelta(days=company.deferral_days or default_days)


def remainder_amount(order_total: Decimal, issued: Iterable[Invoice]) -> Decimal:
    """What the remainder invoice asks after an advance: the order less what its other
    invoices (not cancelled) ask."""
    return order_total - sum((i.amount for i in issued if i.status != CANCELLED), Decimal(0))


def paid_release_note(kind: str, number: str) -> str | None:
    """The note of the release a paid invoice of this kind brings (prepayment and advance
    terms), or None: a remainder releases nothing."""
    if kind == "full":
        return f"Рахунок № {number} оплачено"
    if kind == "advance":
        return f"Аванс за рахунком № {number} оплачено"
    return None


def after_invoices_paid(session: Session, invoices: list[Invoice]) -> None:
    """Prepayment and advance terms release the order once their invoice is paid; the
    advance also brings the remainder invoice. For many invoices at once."""
    order_ids = {i.order_id for i in invoices if i.order_id is not None}
    if not order_ids:
        return
    orders = {o.id: o for o in session.scalars(
        select(Order).where(Order.id.in_(order_ids)).options(joinedload(Order.company))
    )}
    releases, advanced = [], []
    for invoice in invoices:
        order = orders.get(invoice.order_id)
        if order is None or order.status == states.CANCELLED:
            continue
        note = paid_release_note(invoice.kind, invoice.number)
        if note is not None:
            releases.append((order, note))
        if invoice.kind == "advance":
            advanced.append(order)
    release_many(session, releases)
    for order in advanced:
        issued = invoices_of_order(session, order.id)
        if not any(i.kind == "remainder" for i in issued):
            remainder = remainder_amount(order.total, issued)
            if remainder > 0:
                issue_invoice(session, order, "remainder", remainder, kyiv_today() + remainder_due_in(order.company, current_app.config["REMAINDER_DUE_DAYS"]))


def goes_with_order(invoice: Invoice) -> bool:
    """Whether cancelling its order cancels the invoice: only one nobody has paid into."""
    return invoice.status == OPEN and invoice.paid_amount == 0


def cancel_unpaid(session: Session, order: Order, actor: Actor) -> None:
    for invoice in invoices_of_order(session, order.id):
        if goes_with_order(invoice):
            set_invoice_status(session, invoice, CANCELLED, actor.name, CANCELLED_WITH_ORDER)
            outbox.emit(session, "invoice.cancelled", {"invoice_id": invoice.id, "company_id": invoice.company_id})
    session.flush()


def follow_order(session: Session, order: Order, previous: str | None, actor: Actor) -> None:
    if order.status == states.CONFIRMED:
        issue_by_terms(session, order)
    elif order.status == states.CANCELLED:
        cancel_unpaid(session, order, actor)
