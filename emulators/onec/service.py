"""The operations of PortalExchange: a request element in, a record for `return` out.
Checks here are the request's own (formats, sums); what needs 1C's books (is this
company or product known, was this PortalId posted) is the infobase's."""
from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from emulators.onec.infobase import CONTRACT_STATUSES, ENTITIES, Infobase
from emulators.onec.protocol import Fault, Reader, parse_request, response
from emulators.onec.records import DocumentAllocation, DocumentLine

# The most items one GetChanges or GetOrderStatuses answer holds.
MAX_LIMIT = 1000
MAX_PORTAL_ID = 64
CENT = Decimal("0.01")
CURRENCY = "UAH"
PAYMENT_SOURCES = ("card", "bank", "cash")
TAX_ID = re.compile(r"\d{8}|\d{10}")


def call(infobase: Infobase, body: bytes) -> bytes:
    name, request = parse_request(body)
    operation = OPERATIONS.get(name)
    if operation is None:
        raise Fault("VALIDATION", f"PortalExchange has no operation {name}")
    return response(name, operation(infobase, request))


def get_changes(infobase: Infobase, request: Reader) -> Any:
    entity = request.choice("Entity", ENTITIES)
    since = request.integer("SinceVersion")
    _not_negative(since)
    return infobase.changes(entity, since, _limit(request))


def get_order_statuses(infobase: Infobase, request: Reader) -> Any:
    portal_ids = request.child("PortalIds").texts("PortalId")
    since = request.integer("SinceVersion")
    _not_negative(since)
    return infobase.order_states(portal_ids, since, _limit(request))


def post_order(infobase: Infobase, request: Reader) -> Any:
    order = request.child("Order")
    _currency(order)
    lines = [_order_line(line) for line in order.children("Line")]
    if not lines:
        raise Fault("VALIDATION", f"{order.path} has no Line")
    amount = _money(order, "Amount")
    if sum(line.amount for line in lines) != amount:
        raise Fault("VALIDATION", f"{order.path}/Amount {amount} is not the sum of the lines' Amount")
    return infobase.post_order(
        portal_id=_portal_id(order), number=order.required("Number"), when=order.moment("Date"),
        company_id=order.text("CompanyId"), company_tax_id=_tax_id(order, "CompanyTaxId"),
        amount=amount, lines=lines, comment=order.text("Comment"),
    )


def post_payment(infobase: Infobase, request: Reader) -> Any:
    payment = request.child("Payment")
    _currency(payment)
    amount = _money(payment, "Amount")
    allocations = [_allocation(allocation) for allocation in payment.children("Allocation")]
    if sum(allocation.amount for allocation in allocations) > amount:
        raise Fault("VALIDATION", f"{payment.path}: the allocations add up to more than Amount {amount}")
    return infobase.post_payment(
        portal_id=_portal_id(payment), source=payment.choice("Source", PAYMENT_SOURCES),
        when=payment.moment("Date"), amount=amount, company_id=payment.text("CompanyId"),
        payer_tax_id=_tax_id(payment, "PayerTaxId"), purpose=payment.text("Purpose"),
        allocations=allocations,
    )


def post_order_cancellation(infobase: Infobase, request: Reader) -> Any:
    cancellation = request.child("Cancellation")
    cancellation.moment("Date")
    return infobase.cancel_order(
        portal_id=_portal_id(cancellation), reason=cancellation.text("Reason"),
    )


def post_contract_status(infobase: Infobase, request: Reader) -> Any:
    contract = request.child("Contract")
    status = contract.choice("Status", CONTRACT_STATUSES)
    signed_date = contract.day("SignedDate")
    if status == "signed" and signed_date is None:
        raise Fault("VALIDATION", f"{contract.path}/SignedDate is required when Status is signed")
    return infobase.post_contract(
        portal_id=_portal_id(contract), number=contract.required("Number"),
        company_id=contract.text("CompanyId"), company_tax_id=_tax_id(contract, "CompanyTaxId"),
        status=status, signed_date=signed_date, when=contract.moment("Date"),
    )


OPERATIONS: dict[str, Callable[[Infobase, Reader], Any]] = {
    "GetChanges": get_changes,
    "GetOrderStatuses": get_order_statuses,
    "PostOrder": post_order,
    "PostPayment": post_payment,
    "PostOrderCancellation": post_order_cancellation,
    "PostContractStatus": post_contract_status,
}


def _order_line(line: Reader) -> DocumentLine:
    quantity = line.decimal("Quantity")
    price = line.decimal("Price")
    if quantity <= 0 or price < 0:
        raise Fault("VALIDATION", f"{line.path}: Quantity must be above 0 and Price not below 0")
    amount = _money(line, "Amount", positive=False)
    expected = (quantity * price).quantize(CENT, ROUND_HALF_UP)
    if amount != expected:
        raise Fault("VALIDATION", f"{line.path}/Amount {amount} is not Quantity × Price = {expected}")
    return DocumentLine(product_id=line.required("ProductId"), quantity=quantity, price=price, amount=amount)


def _allocation(allocation: Reader) -> DocumentAllocation:
    order_portal_id = allocation.text("OrderPortalId")
    invoice = allocation.text("InvoiceNumber") or allocation.text("InvoicePortalId")
    if not (order_portal_id or invoice):
        raise Fault("VALIDATION", f"{allocation.path} names no order or invoice")
    return DocumentAllocation(order_portal_id=order_portal_id, invoice_number=invoice, amount=_money(allocation, "Amount"))


def _portal_id(reader: Reader) -> str:
    value = reader.required("PortalId")
    if len(value) > MAX_PORTAL_ID:
        raise Fault("VALIDATION", f"{reader.path}/PortalId is longer than {MAX_PORTAL_ID} characters")
    return value


def _money(reader: Reader, name: str, *, positive: bool = True) -> Decimal:
    value = reader.decimal(name)
    if value != value.quantize(CENT) or value < 0 or (positive and value == 0):
        must = "above 0" if positive else "not below 0"
        raise Fault("VALIDATION", f"{reader.path}/{name} must be {must} with at most 2 decimal places, not {value}")
    return value


def _currency(reader: Reader) -> None:
    if reader.required("Currency") != CURRENCY:
        raise Fault("VALIDATION", f"{reader.path}/Currency must be {CURRENCY}")


def _tax_id(reader: Reader, name: str) -> str:
    value = reader.required(name)
    if not TAX_ID.fullmatch(value):
        raise Fault("VALIDATION", f"{reader.path}/{name} must be an ЄДРПОУ (8 digits) or РНОКПП (10 digits)")
    return value


def _not_negative(since: int) -> None:
    if since < 0:
        raise Fault("VALIDATION", "SinceVersion must not be negative")


def _limit(request: Reader) -> int:
    limit = request.integer("Limit")
    if not 1 <= limit <= MAX_LIMIT:
        raise Fault("VALIDATION", f"Limit must be from 1 to {MAX_LIMIT}")
    return limit
