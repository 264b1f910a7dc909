"""The statement of account (акт звірки) of one company for a period: invoices as
debit, money received (and promotion write-offs) as credit."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.customers.models import Company
from core.money import ZERO, money
from payments.documents import StatementEntry, StatementOfAccount
from payments.invoice_document import buyer_party, supplier_party
from payments.models import CANCELLED, SUCCEEDED, Invoice, Payment

CREDIT_LABELS = {"liqpay": "Оплата карткою", "bank": "Банківський платіж", "manual": "Оплата", "discount": "Знижка за онлайн-оплату",
                 "1c": "Оплата"}


def _invoices(company_id: int):
    return select(Invoice).where(Invoice.company_id == company_id, Invoice.status != CANCELLED)


def _payments(company_id: int):
    return select(Payment).where(Payment.company_id == company_id, Payment.status == SUCCEEDED)


def build_statement(session: Session, company: Company, period_from: date, period_to: date) -> StatementOfAccount:
    debit_before = session.scalar(
        select(func.coalesce(func.sum(Invoice.amount), 0)).where(
            Invoice.company_id == company.id, Invoice.status != CANCELLED, Invoice.issued_on < period_from
        )
    )
    credit_before = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.company_id == company.id, Payment.status == SUCCEEDED, Payment.paid_on < period_from
        )
    )
    opening = money(debit_before) - money(credit_before)
    entries = [
        StatementEntry(i.issued_on, f"Рахунок № {i.number}", debit=i.amount)
        for i in session.scalars(_invoices(company.id).where(Invoice.issued_on.between(period_from, period_to)))
    ] + [
        StatementEntry(p.paid_on, f"{CREDIT_LABELS[p.source]} {p.details.get('doc_number') or ''}".strip(), credit=p.amount)
        for p in session.scalars(_payments(company.id).where(Payment.paid_on.between(period_from, period_to)))
    ]
    entries.sort(key=lambda e: (e.on, e.credit > 0, e.document))
    closing = opening + sum((e.debit - e.credit for e in entries), ZERO)
    return StatementOfAccount(
        supplier=supplier_party(),
        buyer=buyer_party(company),
        period_from=period_from,
        period_to=period_to,
        opening_balance=opening,
        entries=entries,
        closing_balance=closing,
    )
