""""I paid by bank transfer": a customer's claim with proof, confirmed by a manager in
one click once the statement line is there (no more asking for receipts)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.clock import kyiv_today, utcnow
from core.customers.models import Company, User
from core.errors import DomainError
from core.files.services import store_file
from core.money import money
from core.staff.models import StaffUser
from payments import allocation
from payments.models import OPEN, SUCCEEDED, Invoice, Payment, PaymentClaim

PROOF_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic"}
MAX_PROOF_BYTES = 4 * 1024 * 1024
MATCH_WINDOW = timedelta(days=7)


def _looks_like(content: bytes, mime: str) -> bool:
    """The proof is what it says it is (a renamed .exe is not a PDF)."""
    signatures = {
        "application/pdf": (b"%PDF",),
        "image/jpeg": (b"\xff\xd8\xff",),
        "image/png": (b"\x89PNG\r\n\x1a\n",),
        "image/heic": (b"ftypheic", b"ftypmif1", b"ftypheix"),
    }
    head = content[:16]
    return any(head.startswith(sig) or sig in head for sig in signatures[mime])


def submit_claim(
    session: Session, user: User, paid_on: date, amount: Decimal, invoice_id: int | None,
    file_name: str, mime: str, content: bytes, note: str = "",
) -> PaymentClaim:
    if paid_on > kyiv_today() or paid_on < kyiv_today() - timedelta(days=90):
        raise DomainError(gettext("Дата оплати має бути не пізніше сьогодні й не раніше ніж 90 днів тому."), field="paid_on")
    if amount <= 0:
        raise DomainError(gettext("Вкажіть суму платежу."), field="amount")
    if mime not in PROOF_TYPES or not content or not _looks_like(content, mime):
        raise DomainError(gettext("Додайте платіжне доручення у PDF або фото (JPEG, PNG, HEIC)."), field="proof")
    if len(content) > MAX_PROOF_BYTES:
        raise DomainError(gettext("Файл завеликий: до 4 МБ."), field="proof")
    if invoice_id is not None:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.company_id != user.company_id:
            raise DomainError(gettext("Рахунок не знайдено."), field="invoice")
    proof = store_file(session, content, file_name[-200:] or f"proof{PROOF_TYPES[mime]}", mime)
    claim = PaymentClaim(
        company_id=user.company_id, user_id=user.id, invoice_id=invoice_id, paid_on=paid_on, amount=money(amount),
        note=note.strip()[:1000], file=proof,
    )
    session.add(claim)
    session.flush()
    return claim


def matching_payments(session: Session, claims: list[PaymentClaim]) -> dict[int, list[Payment]]:
    """Bank lines that could be each claim: same payer, same amount, near the date, not
    yet spent. One query for the lot (the claims queue shows a page of them)."""
    if not claims:
        return {}
    companies = {c.id: c.tax_id for c in session.scalars(select(Company).where(Company.id.in_({c.company_id for c in claims})))}
    candidates = list(
        session.scalars(
            select(Payment)
            .where(
                Payment.source == "bank",
                Payment.status == SUCCEEDED,
                Payment.amount.in_({c.amount for c in claims}),
                Payment.paid_on.between(min(c.paid_on for c in claims) - MATCH_WINDOW,
                                        max(c.paid_on for c in claims) + MATCH_WINDOW),
                Payment.company_id.in_(companies) | Payment.payer_tax_id.in_(companies.values()),
            )
            .options(selectinload(Payment.allocations))  # `unallocated` of each candidate
            .order_by(Payment.paid_on, Payment.id)
        )
    )
    return {
        claim.id: [
            p for p in candidates
            if p.amount == claim.amount
            and abs(p.paid_on - claim.paid_on) <= MATCH_WINDOW
            and (p.company_id == claim.company_id or p.payer_tax_id == companies[claim.company_id])
            and p.unallocated > 0
        ]
        for claim in claims
    }


def confirm_claim(session: Session, claim: PaymentClaim, payment: Payment, staff: StaffUser) -> None:
    """The statement line is this claim: its money goes to the claimed invoice (or the
    oldest open ones) and the claim closes."""
    if claim.status != "open":
        raise DomainError(gettext("Цю заявку вже розглянуто."))
    if payment not in matching_payments(session, [claim])[claim.id]:
        raise DomainError(gettext("Цей платіж не підходить до заявки: інший платник, сума або дата."))
    invoices = ([claim.invoice] if claim.invoice and claim.invoice.status == OPEN else []) or list(
        session.scalars(
            select(Invoice)
            .where(Invoice.company_id == claim.company_id, Invoice.status == OPEN)
            .order_by(Invoice.due_on, Invoice.id)
        )
    )
    payment.company_id = claim.company_id
    left = allocation.allocate_in_order(session, payment, [(i.id, i.outstanding) for i in invoices], staff.full_name)
    if left <= 0:
        payment.needs_review, payment.review_reason = False, ""
    claim.status, claim.payment_id, claim.decided_by, claim.decided_at = "confirmed", payment.id, staff.full_name, utcnow()
    session.flush()


def reject_claim(session: Session, claim: PaymentClaim, staff: StaffUser, reason: str) -> None:
    if claim.status != "open":
        raise DomainError(gettext("Цю заявку вже розглянуто."))
    if not reason.strip():
        raise DomainError(gettext("Вкажіть причину рішення."), field="reason")
    claim.status, claim.decided_by, claim.decided_at = "rejected", staff.full_name, utcnow()
    claim.note = f"{claim.note}\n{staff.full_name}: {reason.strip()}".strip()
    session.flush()
