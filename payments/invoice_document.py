"""An Invoice from the database, as the document renderers want it."""
from __future__ import annotations

from decimal import Decimal

from flask import current_app

from core.customers.models import Company
from core.money import format_money
from core.orders.models import Order
from core.web import public_url
from payments.documents import DocLine, InvoiceDocument, Party, render_invoice_pdf
from payments.models import Invoice

KIND_LABELS = {"full": "", "advance": "Аванс", "remainder": "Доплата"}
# What staff see in place of the pay link's token (the message log masks it the same way).
PAY_TOKEN_MASK = "••••••"
_TOKEN_PLACEHOLDER = "0-secret-0"


def supplier_party() -> Party:
    config = current_app.config
    return Party(
        name=config["SUPPLIER_NAME"],
        tax_id=config["SUPPLIER_TAX_ID"],
        address=config["SUPPLIER_ADDRESS"],
        iban=config["SUPPLIER_IBAN"],
        bank_name=config["SUPPLIER_BANK"],
        phone=config["SUPPLIER_PHONE"],
        vat_payer_id=config["SUPPLIER_VAT_ID"] or None,
    )


def buyer_party(company: Company) -> Party:
    address = company.delivery_points[0].address if company.delivery_points else ""
    return Party(name=company.name, tax_id=company.tax_id, address=address, phone=company.phone or "")


def invoice_document(invoice: Invoice, pay_url: str | None, *, pay_url_masked: bool = False) -> InvoiceDocument:
    order = invoice.order
    if invoice.kind == "full" and order is not None:
        lines = [
            DocLine(no, line.sku, line.name, line.unit, line.quantity, line.price, line.amount)
            for no, line in enumerate(order.lines, start=1)
        ]
    else:
        # An advance or a remainder is one line: that share of the order.
        what = f"{KIND_LABELS[invoice.kind]} за замовленням № {order.number}" if order else KIND_LABELS[invoice.kind]
        lines = [DocLine(1, "", what, "послуга", Decimal(1), invoice.amount, invoice.amount)]
    rates = {line.vat_rate for line in order.lines} if order else set()
    return InvoiceDocument(
        number=invoice.number,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        supplier=supplier_party(),
        buyer=buyer_party(invoice.company),
        lines=lines,
        total=invoice.amount,
        vat_total=invoice.vat_amount,
        vat_rate_label=_percent(rates.pop()) if len(rates) == 1 else "",
        kind_label=KIND_LABELS[invoice.kind],
        basis=f"Замовлення № {order.number}" if order else "",
        pay_url=pay_url if invoice.outstanding > 0 else None,
        pay_url_masked=pay_url_masked,
        discount_note=_discount_note(order) if invoice.kind == "full" else None,
    )


def _discount_note(order: Order | None) -> str | None:
    """Lines keep their prices; each discount is named once, under them."""
    if order is None or not order.discounts:
        return None
    named = "; ".join(f"{discount.name}: −{format_money(discount.amount, 'uk')}" for discount in order.discounts)
    return f"{named} (сума рядків {format_money(order.total + order.discount_amount, 'uk')})"


def _percent(rate: Decimal) -> str:
    return f"{rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate.normalize()} %"


def invoice_pdf(invoice: Invoice, *, pay_link_masked: bool = False) -> tuple[bytes, str]:
    """The invoice as PDF with its pay link printed on it, and a file name for it. The
    customer's copy (portal, e-mail) carries the working link; the staff copy shows it with
    the token masked: the link pays without a login, so no staff member should hold it."""
    document, filename = invoice_pdf_source(invoice, pay_link_masked=pay_link_masked)
    return render_invoice_pdf(document), filename


def invoice_pdf_source(invoice: Invoice, *, pay_link_masked: bool = False) -> tuple[InvoiceDocument, str]:
    """What the PDF is made of, read from the database now; `render_invoice_pdf` turns it
    into bytes later without touching the database (the e-mail sender renders it only
    once the relay has let us in)."""
    if pay_link_masked:
        pay_url = public_url("portal.pay_link", token=_TOKEN_PLACEHOLDER).replace(_TOKEN_PLACEHOLDER, PAY_TOKEN_MASK)
    else:
        pay_url = public_url("portal.pay_link", token=invoice.pay_token)
    return invoice_document(invoice, pay_url, pay_url_masked=pay_link_masked), f"rakhunok-{invoice.number}.pdf"
