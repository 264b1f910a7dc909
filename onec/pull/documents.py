"""Documents made in 1C (GetChanges `documents`): every one kept as an OnecDocument; a
payment entered in 1C becomes a portal payment once (by its 1C Id) and is allocated by
the bank statement's rules; the portal's own payment coming back, and a bank transfer the
portal already has from a statement, are only linked; a posted
shipment of our order moves the order on to shipped.

Unposted or deleted in 1C (Posted false, Deleted true): a payment the portal made of it
is reversed (its invoices reopen), and one posted again after that waits for a person in
the payments queue; a shipment's order is not moved back (goods that left come back by a
return document in 1C), the document is only recorded as such."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.catalog.services import MAX_MONEY
from core.clock import KYIV, utcnow
from core.customers.models import Company
from core.money import money
from core.orders import states
from core.reasons import Reason, register
from onec.importer.common import Tally
from onec.models import OnecDocument
from onec.pull.offers import items
from onec.order_moves import move_to
from onec.pull.orders import order_of, posted_id
from onec.push import FROM_1C, PAYMENT
from onec.soap.client import from_1c_moment
from payments.allocation import allocate_in_order, flag_for_review, reverse, set_payment_status
from payments.bank.matching import InvoiceFacts, Matcher, invoice_numbers
from payments.models import OPEN, REVERSED, SUCCEEDED, Invoice, Payment

ACTOR = "1С"
KINDS = ("shipment", "invoice", "payment")
PAYMENT_SOURCES = ("bank", "cash", "card")
REPOSTED = "onec.reposted"
# A transfer's date in 1C and in the bank statement may differ by a weekend.
STATEMENT_DAYS = timedelta(days=3)
register(REPOSTED, _l("Платіж %(number)s знову проведено в 1С після скасування: перевірте і розподіліть вручну"))


def apply_documents(session: Session, page: Any, tally: Tally, currencies: list[str]) -> None:
    accepted = {c.upper() for c in currencies}
    for item in items(page, "Document"):
        if not item.Id or not tally.takes_id(item.Id):
            if not item.Id:
                tally.skip(item.Number, "missing_id", "a document without Id")
            continue
        company = session.scalar(select(Company).where(Company.onec_guid == item.CompanyId)) if item.CompanyId else None
        if company is None:
            tally.skip(item.Id, "unknown_company", f"{item.Number}: a company the portal does not have from 1C")
            continue
        if item.Kind not in KINDS:
            tally.skip(item.Id, "unknown_kind", f"{item.Number}: a document of kind {str(item.Kind)[:20]!r}")
            continue
        if (item.Currency or "").upper() not in accepted:
            tally.skip(item.Id, "currency_not_accepted", f"{item.Number}: the document is in {item.Currency}")
            continue
        if item.Amount is None or not 0 <= item.Amount <= MAX_MONEY:
            tally.skip(item.Id, "bad_amount", f"{item.Number}: amount {item.Amount}")
            continue
        row = session.get(OnecDocument, item.Id)
        if row is None:
            row = OnecDocument(guid=item.Id)
            session.add(row)
            tally.created += 1
        elif row.version == item.Version:
            tally.unchanged += 1
            continue
        else:
            tally.updated += 1
        order = order_of(session, item.OrderPortalId)
        if order is not None and order.company_id != company.id:
            tally.skip(item.Id, "other_company_order", f"{item.Number}: order {item.OrderPortalId} is another customer's")
            order = None
        row.kind, row.number, row.date = item.Kind, (item.Number or "")[:50], from_1c_moment(item.Date)
        row.company_id, row.amount, row.order_id = company.id, money(item.Amount), order.id if order else None
        row.portal_id = (item.PortalId or None) and item.PortalId[:64]
        row.payment_source = item.PaymentSource if item.PaymentSource in PAYMENT_SOURCES else None
        row.posted, row.deleted, row.version, row.updated_at = bool(item.Posted), bool(item.Deleted), item.Version, utcnow()
        session.flush()
        live = row.posted and not row.deleted
        if item.Kind == "payment":
            _payment(session, row, item, company, live, tally)
        elif item.Kind == "shipment" and order is not None and live:
            move_to(session, order, states.SHIPPED, f"1С: видаткова накладна {row.number}", tally, ref=item.Id)


def _payment(session: Session, row: OnecDocument, item: Any, company: Company, live: bool, tally: Tally) -> None:
    if item.PortalId:
        _ours_back(session, row, item, company, tally)
    elif row.payment_id is None:
        if live:
            twin = _statement_twin(session, row, company) if row.payment_source == "bank" else None
            row.payment_id = twin.id if twin is not None else _record(session, row, item, company).id
    else:
        payment = session.get(Payment, row.payment_id)
        if not live and payment.status == SUCCEEDED:
            reverse(session, payment, ACTOR, note=f"Документ {row.number} в 1С скасовано або видалено")
        elif live and payment.status == REVERSED and payment.review_code != REPOSTED:
            flag_for_review(payment, Reason(REPOSTED, {"number": row.number}))


def _ours_back(session: Session, row: OnecDocument, item: Any, company: Company, tally: Tally) -> None:
    """The portal's own payment, posted by us, back in 1C's documents: linked, never counted again."""
    found = posted_id(item.PortalId, PAYMENT)
    payment = session.get(Payment, found) if found is not None else None
    if payment is None or payment.company_id not in (None, company.id):
        tally.skip(item.Id, "unknown_portal_payment", f"{row.number}: PortalId {item.PortalId} is none of ours")
        return
    row.payment_id = payment.id
    if (payment.details or {}).get("onec_id") != item.Id:
        payment.details = {**(payment.details or {}), "onec_id": item.Id, "onec_number": row.number}


def _statement_twin(session: Session, row: OnecDocument, company: Company) -> Payment | None:
    """The same bank transfer already in the portal from a bank statement (the accountant
    loaded the statement in both places): its company, amount and a date within a few
    days, not yet tied to another 1C document. It is linked, never counted a second time."""
    paid_on = row.date.astimezone(KYIV).date()
    linked = select(OnecDocument.guid).where(OnecDocument.payment_id == Payment.id, OnecDocument.guid != row.guid)
    return session.scalars(
        select(Payment).where(
            Payment.source == "bank", Payment.company_id == company.id, Payment.amount == row.amount,
            Payment.status == SUCCEEDED, Payment.paid_on.between(paid_on - STATEMENT_DAYS, paid_on + STATEMENT_DAYS),
            ~linked.exists(),
        ).order_by(Payment.paid_on, Payment.id)
    ).first()


def _record(session: Session, row: OnecDocument, item: Any, company: Company) -> Payment:
    """A payment entered in 1C as the portal's payment, allocated by the rules a bank
    statement's line goes through (invoice numbers in the purpose and in 1C's allocations,
    then the exact amount, then the oldest invoices); what they cannot place waits in the
    payments queue."""
    purpose = item.Purpose or ""
    payment = Payment(
        # Its own source: the push (onec/payment_push.py came_from_1c) never sends it back to
        # 1C, and a bank statement's lines (source bank) are not matched against it.
        source=FROM_1C, external_id=item.Id, company_id=company.id, amount=row.amount,
        paid_on=row.date.astimezone(KYIV).date(), payer_name=company.name[:300], payer_tax_id=company.tax_id,
        purpose=purpose,
        details={"onec_id": item.Id, "onec_number": row.number, "doc_number": row.number,
                 "onec_source": item.PaymentSource or ""},
    )
    session.add(payment)
    set_payment_status(payment, SUCCEEDED, ACTOR, note=f"1С: {row.number}")
    session.flush()
    named = " ".join(a.InvoiceNumber for a in (item.Allocation or ()) if a.InvoiceNumber)
    text = f"{purpose} {named}".strip()
    oldest = company.pay_oldest_first and current_app.config["BANK_AUTO_ALLOCATE_OLDEST"]
    matcher = Matcher({company.tax_id: company.id}, _invoices(session, company, text), {company.id} if oldest else set())
    match = matcher.match(row.amount, company.tax_id, text)
    if match.review is not None:
        flag_for_review(payment, match.review)
    if match.plan:
        allocate_in_order(session, payment, list(match.plan), ACTOR)
    return payment


def _invoices(session: Session, company: Company, text: str) -> list[InvoiceFacts]:
    named = [and_(Invoice.year == year, Invoice.seq == seq) for year, seq in invoice_numbers(text)]
    mine = and_(Invoice.company_id == company.id, Invoice.status == OPEN)
    return [InvoiceFacts.of(i) for i in session.scalars(select(Invoice).where(or_(mine, *named)).order_by(Invoice.id))]
