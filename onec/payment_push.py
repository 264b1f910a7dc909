"""Payments pushed to 1C (PostPayment) with their allocations, each allocated order in
1C first (onec/push.py says why)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from onec.models import OnecDocumentRef
from onec.push import CURRENCY, FROM_1C, ORDER, PAYMENT, known, portal_id, post_once, push_order
from onec.soap.client import OnecClient
from payments.models import SUCCEEDED, Allocation, Payment

# Our payment sources as the contract's PaymentSource. A "discount" is a promotion's
# write-off kept as a payment, not money: the contract has no place for it, and it is
# not sent. A "manual" payment is one staff recorded by hand: cash at the office.
SOURCE_FOR_1C = {"liqpay": "card", "bank": "bank", "manual": "cash"}


def came_from_1c(payment: Payment) -> bool:
    """A payment 1C told us about (entered there, read by the pull): 1C has it already, and
    pushing it back would count the money twice."""
    return payment.source == FROM_1C


def push_payment(session: Session, client: OnecClient, payment: Payment) -> OnecDocumentRef | None:
    """The payment in 1C, or None for one that is not 1C's to take (it came from 1C, it
    is no money, it did not succeed)."""
    if came_from_1c(payment) or payment.source not in SOURCE_FOR_1C or payment.status != SUCCEEDED:
        return None
    pid = portal_id(PAYMENT, payment.id)
    found = known(session, pid, PAYMENT)
    if found is not None:
        return found
    allocations = [a for a in payment.allocations if a.reversed_at is None]
    orders_in_1c = set()
    for allocation in allocations:
        order = allocation.invoice.order
        if order is not None and push_order(session, client, order) is not None:
            orders_in_1c.add(order.id)
    document = payment_document(payment, allocations, orders_in_1c)
    return post_once(session, PAYMENT, pid, payment.id, lambda: client.post_payment(document))


def payment_document(payment: Payment, allocations: list[Allocation], orders_in_1c: set[int]) -> dict[str, Any]:
    """PostPayment's `Payment`: each allocation names the order 1C has, and our invoice;
    what is left unallocated is an advance in 1C."""
    company = payment.company
    document: dict[str, Any] = {
        "PortalId": portal_id(PAYMENT, payment.id), "Source": SOURCE_FOR_1C[payment.source],
        "ExternalId": payment.external_id, "Date": payment.created_at, "Amount": payment.amount,
        "Currency": payment.currency or CURRENCY,
        "PayerTaxId": payment.payer_tax_id or (company.tax_id if company else ""),
        "Allocation": [_allocation(a, orders_in_1c) for a in allocations],
    }
    if company is not None and company.onec_guid:
        document["CompanyId"] = company.onec_guid
    if payment.payer_name:
        document["PayerName"] = payment.payer_name[:300]
    if payment.purpose:
        document["Purpose"] = payment.purpose
    return document


def _allocation(allocation: Allocation, orders_in_1c: set[int]) -> dict[str, Any]:
    invoice = allocation.invoice
    line: dict[str, Any] = {
        "InvoicePortalId": portal_id("invoice", invoice.id), "InvoiceNumber": invoice.number,
        "Amount": Decimal(allocation.amount),
    }
    if invoice.order_id in orders_in_1c:
        line["OrderPortalId"] = portal_id(ORDER, invoice.order_id)
    return line
