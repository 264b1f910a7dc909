"""Which invoice a bank payment pays: the automatic rules, the suggestions shown in
the exceptions queue, and what a person does there.

The rules, tried in this order for every incoming line of a statement:

1. Invoice numbers in the purpose. Ours are "2026-00042" (year-seq); customers and
   their banks also write "2026-42", "2026/00042", "2026 / 42", with or without
   "№" or "рах." in front. The year is required: sequence numbers restart every
   year, and a bare "рах. 42 від 18.11" is as likely a contract, a delivery note or
   the customer's own numbering, so it only ranks suggestions and never moves money.
   Digits glued to a date ("2026-11-18", "18.11.2026-1") are not numbers.
   Every named invoice that is still open is paid in the order named; the rest of
   the money stays unallocated and the payment waits in the queue ("переплата").
   When the bank names a payer ЄДРПОУ of one of our companies and it is not the
   invoice's company, nothing is allocated: a person decides.
   A number naming an invoice that is paid or cancelled sends the payment to the
   queue (a second payment of the same invoice); a number naming no invoice of ours
   is ignored and the next rules apply.
2. The payer's ЄДРПОУ/РНОКПП is a company of ours and the amount equals what exactly
   one of its open invoices still owes.
3. The payer is a company of ours with open invoices: they are paid oldest due date
   first, if the company allows it (`Company.pay_oldest_first`) and BANK_AUTO_ALLOCATE_OLDEST
   is on (otherwise the queue decides); money
   over all of them stays unallocated and goes to the queue.
4. Anything else waits in the queue with the reason written down.

Review reasons are codes with parameters (core.reasons), told in the reader's language;
the Ukrainian sentence is stored beside them like the rest of the records.
The rules run over data loaded once per statement (`Matcher`), not per line.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from core.clock import kyiv_today, utcnow
from core.customers.models import Company
from core.errors import DomainError
from core.money import ZERO, format_money
from core.reasons import Reason, register
from core.staff.models import StaffUser
from payments.allocation import allocate
from payments.models import OPEN, SUCCEEDED, Allocation, Invoice, Payment

NUMBER, AMOUNT, OLDEST = "number", "amount", "oldest"
RULE_NOTES = {
    NUMBER: "Зіставлено за номером рахунку в призначенні платежу",
    AMOUNT: "Зіставлено за ЄДРПОУ платника і сумою рахунку",
    OLDEST: "Розподілено на відкриті рахунки платника, найстаріші першими",
}

# Not after a digit, '/', '-' or "12." (a date), not before another "-12"/".5"/"/3".
_FULL_NUMBER = re.compile(r"(?<![\d/\-–])(?<!\d\.)(20\d{2})\s?[-/–]\s?(\d{1,6})(?!\d)(?!\s?[-/.–]\s?\d)")
_LOOSE_NUMBER = re.compile(r"(?:\bрах\w*\.?|№|#)\s*№?\s*(\d{1,6})(?!\d)(?![-/.,–]\d)", re.IGNORECASE)


def invoice_numbers(purpose: str) -> list[tuple[int, int]]:
    """(year, seq) of every full invoice number in a purpose, in order, once each."""
    found = ((int(year), int(seq)) for year, seq in _FULL_NUMBER.findall(purpose))
    return list(dict.fromkeys(n for n in found if n[1] > 0))


def loose_numbers(purpose: str) -> set[int]:
    """Numbers without a year after "№" or "рах.": hints for a person, never for the rules."""
    return {int(n) for n in _LOOSE_NUMBER.findall(purpose) if int(n) > 0}


def format_number(year: int, seq: int) -> str:
    return f"{year}-{seq:05d}"


# --- the automatic rules ---------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFacts:
    id: int
    year: int
    seq: int
    company_id: int
    due_on: date
    outstanding: Decimal  # zero when paid or cancelled

    @property
    def number(self) -> str:
        return format_number(self.year, self.seq)

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceFacts:
        return cls(invoice.id, invoice.year, invoice.seq, invoice.company_id, invoice.due_on, invoice.outstanding)


NO_PAYER, UNKNOWN_PAYER, NOTHING_OPEN, NO_EXACT_AMOUNT = (
    "bank.no_payer", "bank.unknown_payer", "bank.nothing_open", "bank.no_exact_amount",
)
PAID_ALREADY, OTHER_PAYER, SEVERAL_COMPANIES, OVERPAID = (
    "bank.paid_already", "bank.other_payer", "bank.several_companies", "bank.overpaid",
)
register(NO_PAYER, _l("ЄДРПОУ платника не вказано, номера рахунку в призначенні немає"))
register(UNKNOWN_PAYER, _l("Платника з ЄДРПОУ %(tax_id)s немає серед контрагентів, номера рахунку в призначенні немає"))
register(NOTHING_OPEN, _l("У контрагента немає відкритих рахунків: аванс або помилковий платіж"))
register(NO_EXACT_AMOUNT, _l("Сума не збігається з жодним відкритим рахунком: автоматичний розподіл вимкнено"))
register(PAID_ALREADY, _l("Рахунок № %(numbers)s з призначення вже не чекає оплати: можлива повторна оплата"))
register(OTHER_PAYER, _l("Платник (ЄДРПОУ %(tax_id)s) — інший контрагент, ніж у рахунку № %(numbers)s"))
register(SEVERAL_COMPANIES, _l("Рахунки № %(numbers)s належать різним контрагентам"))
register(OVERPAID, _l("Переплата: %(remaining)s не розподілено після оплати рахунку № %(numbers)s"), money=("remaining",))


@dataclass(frozen=True)
class Match:
    company_id: int | None  # the payer's company, or the company of the invoices paid
    plan: tuple[tuple[int, Decimal], ...]  # (invoice id, amount) to allocate, in this order
    rule: str  # NUMBER / AMOUNT / OLDEST, '' when no rule allocated anything
    review: Reason | None  # None when no person needs to look at the payment

    @property
    def review_reason(self) -> str:
        """The review reason as the Ukrainian sentence stored with the payment."""
        return self.review.text if self.review else ""

    @property
    def review_columns(self) -> dict:
        """The payment's review_code and review_params."""
        return {"review_code": self.review.code if self.review else "",
                "review_params": self.review.params if self.review else None}


class Matcher:
    """The rules over one statement's invoices, loaded beforehand. It keeps what every
    invoice still owes as lines are planned, so two lines paying one invoice see each other."""

    def __init__(self, companies: dict[str, int], invoices: Iterable[InvoiceFacts], oldest_first: set[int]) -> None:
        """`oldest_first`: the companies whose unnamed payments may pay their oldest invoices first."""
        self.companies = companies
        self.oldest_first = oldest_first
        self.invoices = {invoice.id: invoice for invoice in invoices}
        self.left = {invoice.id: invoice.outstanding for invoice in self.invoices.values()}
        self.by_number = {(i.year, i.seq): i for i in self.invoices.values()}
        self.open_of_company: dict[int, list[InvoiceFacts]] = defaultdict(list)
        for invoice in sorted(self.invoices.values(), key=lambda i: (i.due_on, i.id)):
            if invoice.outstanding > 0:
                self.open_of_company[invoice.company_id].append(invoice)

    def match(self, amount: Decimal, payer_tax_id: str, purpose: str) -> Match:
        payer = self.companies.get(payer_tax_id) if payer_tax_id else None
        named = [self.by_number[n] for n in invoice_numbers(purpose) if n in self.by_number]
        if named:
            return self._by_number(amount, payer, payer_tax_id, named)
        if payer is None:
            if not payer_tax_id:
                return Match(None, (), "", Reason(NO_PAYER))
            return Match(None, (), "", Reason(UNKNOWN_PAYER, {"tax_id": payer_tax_id}))
        owed = [i for i in self.open_of_company.get(payer, ()) if self.left[i.id] > 0]
        if not owed:
            return Match(payer, (), "", Reason(NOTHING_OPEN))
        exact = [i for i in owed if self.left[i.id] == amount]
        if len(exact) == 1:
            return self._planned(payer, AMOUNT, amount, exact)
        if payer not in self.oldest_first:
            return Match(payer, (), "", Reason(NO_EXACT_AMOUNT))
        return self._planned(payer, OLDEST, amount, owed)

    def _by_number(self, amount: Decimal, payer: int | None, payer_tax_id: str, named: list[InvoiceFacts]) -> Match:
        numbers = ", ".join(i.number for i in named)
        owed = [i for i in named if self.left[i.id] > 0]
        if not owed:
            return Match(payer, (), "", Reason(PAID_ALREADY, {"numbers": numbers}))
        owners = {i.company_id for i in owed}
        if payer is not None and owners != {payer}:
            return Match(payer, (), "", Reason(OTHER_PAYER, {"tax_id": payer_tax_id, "numbers": numbers}))
        if len(owners) > 1:
            return Match(None, (), "", Reason(SEVERAL_COMPANIES, {"numbers": numbers}))
        return self._planned(owners.pop(), NUMBER, amount, owed)

    def _planned(self, company_id: int, rule: str, amount: Decimal, invoices: list[InvoiceFacts]) -> Match:
        plan = []
        remaining = amount
        for invoice in invoices:
            take = min(remaining, self.left[invoice.id])
            if take <= 0:
                continue
            plan.append((invoice.id, take))
            self.left[invoice.id] -= take
            remaining -= take
        reason = None
        if remaining > 0:
            paid = ", ".join(self.invoices[invoice_id].number for invoice_id, _ in plan)
            reason = Reason(OVERPAID, {"remaining": str(remaining), "numbers": paid})
        return Match(company_id, tuple(plan), rule, reason)


# --- suggestions for the queue -----------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    invoice: Invoice
    score: int
    reasons: list[str] = field(default_factory=list)


def rank(payment: Payment, company_id: int | None, candidates: Iterable[Invoice], limit: int) -> list[Suggestion]:
    """Score open invoices for one payment; the best first, ties by nearest due date."""
    wanted = payment.unallocated if payment.status == SUCCEEDED else payment.amount
    full = set(invoice_numbers(payment.purpose))
    loose = loose_numbers(payment.purpose)
    paid_on = payment.paid_on or kyiv_today()
    taken = {a.invoice_id for a in payment.allocations if a.reversed_at is None}
    scored = []
    for invoice in candidates:
        owed = invoice.outstanding
        if owed <= 0 or invoice.id in taken:
            continue
        # Money of a known payer can only pay that payer's invoices (allocate refuses others).
        if payment.company_id is not None and invoice.company_id != payment.company_id:
            continue
        score, reasons = 0, []
        if (invoice.year, invoice.seq) in full:
            score += 50
            reasons.append(gettext("номер рахунку в призначенні платежу"))
        elif invoice.seq in loose:
            score += 20
            reasons.append(gettext("у призначенні є номер %(seq)s, але без року", seq=invoice.seq))
        if company_id is not None and invoice.company_id == company_id:
            score += 25
            reasons.append(gettext("рахунок цього платника"))
        difference = abs(wanted - owed)
        if difference == 0:
            score += 40
            reasons.append(gettext("сума збігається з несплаченою частиною"))
        elif difference <= owed * Decimal("0.05"):
            score += 20
            reasons.append(gettext("сума близька: різниця %(diff)s", diff=format_money(difference)))
        days = abs((invoice.due_on - paid_on).days)
        if days <= 3:
            score += 10
            reasons.append(gettext("строк оплати поруч з датою платежу"))
        elif days <= 14:
            score += 5
            reasons.append(gettext("строк оплати в межах двох тижнів від платежу"))
        if score > 0:
            scored.append((score, days, invoice.id, Suggestion(invoice, score, reasons)))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    return [suggestion for *_, suggestion in scored[:limit]]


def suggestions_for(session: Session, payments: list[Payment], limit: int = 5) -> dict[int, list[Suggestion]]:
    """Suggestions for a page of the queue in two queries, however long the page."""
    if not payments:
        return {}
    unknown = {p.payer_tax_id for p in payments if p.company_id is None and p.payer_tax_id}
    by_tax_id = (
        dict(session.execute(select(Company.tax_id, Company.id).where(Company.tax_id.in_(unknown))).tuples().all())
        if unknown else {}
    )
    company_of = {p.id: p.company_id or by_tax_id.get(p.payer_tax_id) for p in payments}
    conditions = []
    companies = {c for c in company_of.values() if c is not None}
    if companies:
        conditions.append(Invoice.company_id.in_(companies))
    named: dict[int, set[int]] = defaultdict(set)
    loose: set[int] = set()
    for payment in payments:
        for year, seq in invoice_numbers(payment.purpose):
            named[year].add(seq)
        loose |= loose_numbers(payment.purpose)
    conditions += [and_(Invoice.year == year, Invoice.seq.in_(seqs)) for year, seqs in named.items()]
    if loose:
        conditions.append(Invoice.seq.in_(loose))
    amounts = {p.unallocated for p in payments if p.unallocated > 0}
    if amounts:
        conditions.append((Invoice.amount - Invoice.paid_amount).in_(amounts))
    candidates = list(
        session.scalars(
            select(Invoice).options(joinedload(Invoice.company)).where(Invoice.status == OPEN, or_(*conditions))
        )
    ) if conditions else []
    return {p.id: rank(p, company_of[p.id], candidates, limit) for p in payments}


def suggestions(session: Session, payment: Payment, limit: int = 5) -> list[Suggestion]:
    return suggestions_for(session, [payment], limit)[payment.id]


# --- what a person does in the queue -----------------------------------------------------


# Money sent to the wrong company's invoice is the accounts' business, not every salesperson's.
OTHER_COMPANY_ALLOCATORS = ("accountant", "head_of_sales")


def find_invoice(session: Session, typed: str) -> Invoice:
    """The invoice a person typed, by its full number ("2026-00042", "2026/42")."""
    numbers = invoice_numbers(typed.strip())
    if len(numbers) != 1:
        raise DomainError(gettext("Вкажіть номер рахунку повністю, з роком: наприклад 2026-00042."), field="number")
    year, seq = numbers[0]
    invoice = session.scalar(select(Invoice).where(Invoice.year == year, Invoice.seq == seq))
    if invoice is None:
        raise DomainError(gettext("Рахунку № %(number)s немає.", number=format_number(year, seq)), field="number")
    return invoice


def allocate_by_staff(
    session: Session, payment: Payment, invoice_id: int, amount: Decimal | None, staff: StaffUser,
    other_company_reason: str = "",
) -> Allocation:
    """Settle an invoice from the payment's unallocated money (all of it unless `amount`).
    The payment leaves the queue once nothing is left unallocated; its status does not
    change, so no status history is written: the allocation row says who, when and (for
    another company's invoice) why, and review_reason keeps why it had waited."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise DomainError(gettext("Рахунок не знайдено."))
    reason = other_company_reason.strip()
    if payment.company_id is None or invoice.company_id == payment.company_id:
        reason = ""
    elif not staff.has_role(*OTHER_COMPANY_ALLOCATORS):
        raise DomainError(gettext(
            "Рахунок № %(number)s належить іншому клієнту. Зарахувати платіж на рахунок іншого клієнта "
            "може бухгалтер або керівник продажів.", number=invoice.number))
    elif not reason:
        raise DomainError(gettext(
            "Рахунок № %(number)s належить іншому клієнту (%(company)s): вкажіть, чому платіж іде на нього.",
            number=invoice.number, company=invoice.company.name), field="reason")
    allocation = allocate(session, payment, invoice_id, payment.unallocated if amount is None else amount, staff.full_name,
                          other_company_reason=reason)
    if payment.unallocated == ZERO:
        payment.needs_review = False
    session.flush()
    return allocation


def mark_handled(session: Session, payment: Payment, note: str, staff: StaffUser) -> Payment:
    """Out of the queue without allocating: not our money, returned to the payer, booked in 1C ..."""
    note = note.strip()
    if not note:
        raise DomainError(gettext("Напишіть, що зроблено з цим платежем."), field="note")
    if not payment.needs_review:
        raise DomainError(gettext("Цей платіж уже розібрано."))
    payment.needs_review = False
    # A new dict: JSON columns notice reassignment, not changes inside.
    payment.details = {**payment.details, "handled": {"by": staff.full_name, "at": utcnow().isoformat(), "note": note}}
    session.flush()
    return payment
