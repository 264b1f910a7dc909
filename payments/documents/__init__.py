"""Accounting documents rendered from plain dataclasses: no database, no request, no gettext.

A Ukrainian accountant's document is always in Ukrainian, whatever language the reader's
screen is in, so the texts here are literal.
"""
from payments.documents.invoice_pdf import render_invoice_pdf
from payments.documents.model import DocLine, InvoiceDocument, Party, StatementEntry, StatementOfAccount
from payments.documents.statement import render_statement_pdf, render_statement_xlsx

__all__ = [
    "DocLine",
    "InvoiceDocument",
    "Party",
    "StatementEntry",
    "StatementOfAccount",
    "render_invoice_pdf",
    "render_statement_pdf",
    "render_statement_xlsx",
]
