"""Payments' part of the demo (its `Feature.demo` step, `money_side`): the money side of
the order history demo/orders.py plays (demo/history.py: MoneySide) — invoices, card and
bank payments, allocations, credit holds, reminders and the exceptions queue, written in
bulk like the orders themselves.

Bulk, yet no rule of its own: the rules are the product's functions, called here as the
services call them, at each event's moment:
- invoices: payments.invoices.first_invoice (kind, amount, due date and release by terms),
  vat_of_share, remainder_amount and remainder_due_in after a paid advance,
  paid_release_note, goes_with_order when an order is cancelled; numbers gapless per
  year in the order of issue (invoice_number), with invoice_counter at the year's last
  number; the pay token from new_pay_token.
- payments: allocation.checked_amount decides each allocation, as for card notices
  (payments.card, whose checkout reference and description are used too) and bank
  statements; bank lines go through the importer's own Matcher, so the queue shows its
  reasons word for word.
- the credit check at submit is payments.receivables.credit_hold over the company's
  balance at that moment; the reminder ladder is payments.dunning's steps_reached and
  escalates, as its daily run would have met them.
tests/core/test_demo_data.py holds the result against the same functions.
Like the order history, none of it raises outbox events: its news belongs to the past.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from random import Random

from flask import current_app, has_app_context
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from core.bulk import insert_keyed, insert_returning_ids, insert_rows
from core.clock import KYIV
from core.customers.models import Company
from core.money import ZERO, money
from core.reasons import Reason
from demo.customers import DemoCompany
from demo.history import LATER, NEVER, DemoBuild, OrderMoney, at_kyiv, kyiv_day
from demo.identifiers import edrpou
from payments.allocation import checked_amount
from payments.bank.formats import fingerprint
from payments.bank.matching import RULE_NOTES, InvoiceFacts, Matcher
from payments.bank.samples import iban
from payments.card import ACTOR as LIQPAY
from payments.card import checkout_description, new_checkout_reference
from payments.dunning import escalates, parse_ladder, steps_reached
from payments.invoices import (
    CANCELLED_WITH_ORDER,
    ISSUER,
    first_invoice,
    goes_with_order,
    new_pay_token,
    paid_release_note,
    remainder_amount,
    remainder_due_in,
    vat_of_share,
)
from payments.models import (
    CANCELLED,
    FAILED,
    OPEN,
    PAID,
    SUCCEEDED,
    Allocation,
    BankStatement,
    CardCheckout,
    CardCheckoutItem,
    CollectionTask,
    Invoice,
    InvoiceCounter,
    InvoiceReminder,
    InvoiceStatusChange,
    Payment,
    PaymentStatusChange,
)
from payments.receivables import CREDIT_TERMS, balance_of, credit_hold, only_head_of_sales_releases
from payments.settings import PaymentsSettings

# Slow payers: a minority of the deferred-terms companies pay late or not at all.
SLOW_PAYER_SHARE = 0.08
SLOW_PAYERS_AT_LEAST = 2
NEVER_PAYS_SHARE = 0.02  # prepayment/advance orders whose invoice is never paid (the order is cancelled)
DECLINED_FIRST_SHARE = 0.05  # card payments that a declined attempt went before
TIGHT_LIMIT_SHARE = 0.04  # credit companies whose limit is below their usual exposure
OVERPAID_SHARE = 0.04  # recent bank payments rounded up by the payer: the rest waits in the queue
OVERPAID_WITHIN_DAYS = 14  # older overpayments are taken to be sorted out already
CARD_BINS = ("414962", "516875", "535145", "440588", "537541", "458279", "676280", "444111")
BANK_MFOS = ("305299", "300465", "322001", "380805", "300528", "322313", "351005", "334851")
DECLINE = ("limit", "The limit for the amount or number of customer payments has been exceeded")
PURPOSES = (
    "Оплата за товар згідно рахунку № {number} від {issued}, у т.ч. ПДВ {vat} грн",
    "Опл. за продукти харчування зг. рах. №{number} від {issued} р., в т.ч. ПДВ 20% - {vat} грн.",
    "Оплата за рахунком {number} від {issued}. {vat_text}",
    "Оплата за товар, рах. № {number}, {vat_text}",
)
PARTIAL_PURPOSE = "Часткова оплата за рах. № {number} від {issued}, {vat_text}"


def _setting(name: str) -> object:
    if has_app_context() and name in current_app.config:
        return current_app.config[name]
    return getattr(PaymentsSettings, name)


@dataclass(frozen=True)
class MoneyRules:
    prepayment_due_days: int
    remainder_due_days: int  # REMAINDER_DUE_DAYS: when an advance customer has no deferral of its own
    release_head_above: Decimal  # CREDIT_RELEASE_HEAD_ABOVE: bigger holds are released by the head of sales
    supplier_iban: str
    dunning_ladder: tuple[int, ...]  # DUNNING_LADDER: reminder steps, days after the due date

    @classmethod
    def from_config(cls) -> MoneyRules:
        return cls(
            prepayment_due_days=int(_setting("PREPAYMENT_DUE_DAYS")),  # type: ignore[arg-type]
            remainder_due_days=int(_setting("REMAINDER_DUE_DAYS")),  # type: ignore[arg-type]
            release_head_above=Decimal(str(_setting("CREDIT_RELEASE_HEAD_ABOVE"))),
            supplier_iban=str(_setting("SUPPLIER_IBAN")),
            dunning_ladder=tuple(parse_ladder(_setting("DUNNING_LADDER"))),
        )


# --- the calendar ----------------------------------------------------------------------


def business_day(day: date) -> date:
    """The day itself, or the Monday after a weekend: when a bank executes a payment."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def next_business_day(day: date) -> date:
    return business_day(day + timedelta(days=1))


# --- what is remembered while the history is built ----------------------------------------


@dataclass(eq=False)
class InvoiceEvent:
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    note: str = ""
    payment: PaymentRec | None = None  # "Платіж <source> <external id>", known once the payment is written


@dataclass(eq=False)
class InvoiceRec:
    index: int  # order of issue, for ties
    order: OrderMoney
    kind: str
    amount: Decimal
    vat_amount: Decimal
    issued_at: datetime
    due_on: date
    status: str = OPEN
    paid_amount: Decimal = ZERO
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    allocations: list[tuple[datetime, Decimal]] = field(default_factory=list)
    events: list[InvoiceEvent] = field(default_factory=list)
    year: int = 0
    seq: int = 0
    id: int = 0

    @property
    def company(self) -> DemoCompany:
        return self.order.company

    @property
    def issued_on(self) -> date:
        return kyiv_day(self.issued_at)

    # The product's own, over these fields (as allocation.LockedInvoice does).
    number = Invoice.number
    outstanding = Invoice.outstanding

    @property
    def company_id(self) -> int:
        return self.company.id

    def left_at(self, moment: datetime) -> Decimal:
        """What the invoice still asked for at that moment (zero before issue or once cancelled)."""
        if self.issued_at > moment or (self.cancelled_at is not None and self.cancelled_at <= moment):
            return ZERO
        return self.amount - sum((amount for at, amount in self.allocations if at <= moment), ZERO)


@dataclass(eq=False)
class PaymentRec:
    index: int
    source: str  # "liqpay" / "bank"
    at: datetime  # recorded: the callback, or the statement import
    amount: Decimal
    company: DemoCompany | None  # the payer, when it is one of ours
    paid_on: date
    actor: str
    status: str = SUCCEEDED
    provider_status: str = ""
    note: str = ""
    details: dict = field(default_factory=dict)
    payer_name: str = ""
    payer_tax_id: str = ""
    purpose: str = ""
    purpose_of: Callable[[], str] | None = None  # bank purposes name invoice numbers, known at the end
    external_id: str = ""
    needs_review: bool = False
    review_reason: str = ""
    review_columns: dict = field(default_factory=lambda: {"review_code": "", "review_params": None})
    allocations: list[tuple[InvoiceRec, Decimal]] = field(default_factory=list)
    # card
    checkout_reference: str = ""
    checkout_created_at: datetime | None = None
    checkout_items: list[tuple[InvoiceRec, Decimal]] = field(default_factory=list)
    # bank: the statement it came with, and what the importer's Matcher knew then
    statement_day: date | None = None
    facts: list[tuple[InvoiceRec, Decimal]] = field(default_factory=list)
    expected_plan: list[tuple[InvoiceRec, Decimal]] = field(default_factory=list)
    id: int = 0

    @property
    def unallocated(self) -> Decimal:
        return self.amount - sum((amount for _, amount in self.allocations), ZERO)


@dataclass
class _Payer:
    """How one company pays."""

    card_share: float
    slow: bool
    never_pays_share: float
    card_mask: str
    account: str  # its IBAN, as the bank statement shows it
    purpose: str  # how its accountant words a payment


def money_side(build: DemoBuild) -> Ledger:
    """Payments' demo step (`Feature.demo`): the invoices and payments of the order history."""
    accountant = next(person for person in build.staff if person.role == "accountant")
    return Ledger(build.rng, build.now, build.companies, rules=MoneyRules.from_config(),
                  accountant=(accountant.id, accountant.full_name), reliable=build.reliable)


class Ledger:
    def __init__(
        self, rng: Random, now: datetime, companies: list[DemoCompany], *, rules: MoneyRules,
        accountant: tuple[int, str], reliable: Iterable[DemoCompany] = (),
    ) -> None:
        self.rng = rng
        self.now = now
        self.rules = rules
        self.accountant_id, self.accountant = accountant
        self.companies = companies
        self.reliable = set(reliable)
        self.orders: dict[int, list[OrderMoney]] = defaultdict(list)  # by company id
        self.invoices: list[InvoiceRec] = []
        self.payments: list[PaymentRec] = []
        self._payers: dict[int, _Payer] = {}
        self._imports: dict[date, datetime] = {}
        self._liqpay_ids: set[int] = set()
        self._doc_numbers: dict[int, int] = {}
        deferred = [c for c in companies if c.payment_terms == "deferred" and c not in self.reliable]
        slow_count = min(len(deferred), max(SLOW_PAYERS_AT_LEAST, round(len(deferred) * SLOW_PAYER_SHARE)))
        self.slow = set(rng.sample(deferred, slow_count))

    # --- companies -----------------------------------------------------------------

    def payer(self, company: DemoCompany) -> _Payer:
        found = self._payers.get(company.id)
        if found is None:
            rng = self.rng
            online = company.payment_terms != "deferred"
            card_share = rng.uniform(0.55, 0.85) if online else rng.uniform(0.08, 0.25)
            if company in self.reliable:
                card_share = 0.9 if online else 0.3
            mfo = rng.choice(BANK_MFOS)
            found = _Payer(
                card_share=card_share,
                slow=company in self.slow,
                never_pays_share=0.0 if company in self.reliable else NEVER_PAYS_SHARE,
                card_mask=f"{rng.choice(CARD_BINS)}*{rng.randint(0, 99):02d}",
                account=iban(mfo, f"{rng.randint(10**13, 10**14 - 1)}"),
                purpose=rng.choice(PURPOSES),
            )
            self._payers[company.id] = found
        return found

    def size_credit_limits(self, session: Session, orders: dict[int, list[Decimal]], days: int) -> None:
        """Credit limits in proportion to what each credit customer buys (its usual debt, and
        its biggest orders), a few of them tight, so that the check at submit holds some orders
        and passes most. Reliable (well-known) companies keep theirs."""
        rows = []
        for company in self.companies:
            totals = orders.get(company.id)
            if company.payment_terms not in CREDIT_TERMS or company in self.reliable or not totals:
                continue
            usual = sum(totals) / days * (company.deferral_days + 7)
            usual = max(usual * self._factor(2.0, 3.5), max(totals) * self._factor(1.8, 2.5))
            if self.rng.random() < TIGHT_LIMIT_SHARE:
                usual *= self._factor(0.5, 0.7)
            limit = max(10_000, math.ceil(usual / 5_000) * 5_000)
            company.credit_limit = money(limit)
            rows.append({"company_id": company.id, "limit": company.credit_limit})
        if rows:
            table = Company.__table__
            session.execute(
                update(table).where(table.c.id == bindparam("company_id")).values(credit_limit=bindparam("limit")),
                rows,
            )

    def _factor(self, low: float, high: float) -> Decimal:
        return Decimal(f"{self.rng.uniform(low, high):.3f}")

    # --- orders ----------------------------------------------------------------------

    def submitted(self, order: OrderMoney) -> None:
        self.orders[order.company.id].append(order)

    def settle(self, order: OrderMoney) -> None:
        """Once its whole life is played: when it stopped counting in the company's debt."""
        if any(invoice.status == OPEN for invoice in order.invoices):
            return
        if order.cancelled_at is not None:
            order.settled_at = order.cancelled_at
        elif order.invoices:
            order.settled_at = max(invoice.paid_at for invoice in order.invoices if invoice.paid_at)

    def needs_head_of_sales(self, order: OrderMoney) -> bool:
        """Above CREDIT_RELEASE_HEAD_ABOVE only the head of sales may release a hold."""
        return only_head_of_sales_releases(order.total, self.rules.release_head_above)

    def breach(self, order: OrderMoney) -> Reason | None:
        """payments.receivables' check at submit, over the company's books at that moment
        (the new order already counts, as the service flushes it first)."""
        moment = order.submitted_at
        today = kyiv_day(moment)
        uninvoiced = debt = overdue = ZERO
        # Orders come in time order: what was settled before this one stays out for good.
        live = [other for other in self.orders[order.company.id]
                if other.settled_at is None or other.settled_at > moment]
        self.orders[order.company.id] = live
        for other in live:
            if other.submitted_at > moment or (other.cancelled_at is not None and other.cancelled_at <= moment):
                continue
            if other.confirmed_at is None or other.confirmed_at > moment:
                uninvoiced += other.total
                continue
            for invoice in other.invoices:
                left = invoice.left_at(moment)
                debt += left
                if invoice.due_on < today:
                    overdue += left
        return credit_hold(balance_of(order.company, debt, overdue, uninvoiced))

    def oldest_overdue_days(self, order: OrderMoney) -> int:
        moment = order.submitted_at
        today = kyiv_day(moment)
        days = [
            (today - invoice.due_on).days
            for other in self.orders[order.company.id] if other is not order
            for invoice in other.invoices
            if invoice.due_on < today and invoice.left_at(moment) > 0
        ]
        return max(days, default=0)

    def cancel(self, order: OrderMoney, at: datetime, actor: str) -> None:
        """payments.invoices.cancel_unpaid: unpaid invoices of a cancelled order are cancelled."""
        order.cancelled_at = at
        for invoice in order.invoices:
            if goes_with_order(invoice):
                invoice.status = CANCELLED
                invoice.cancelled_at = at
                invoice.events.append(InvoiceEvent(at, OPEN, CANCELLED, actor, CANCELLED_WITH_ORDER))

    # --- invoices: by payments.invoices' own rules -------------------------------------

    def _issue(self, order: OrderMoney, kind: str, amount: Decimal, at: datetime, due_on: date) -> InvoiceRec:
        amount = money(amount)
        invoice = InvoiceRec(
            index=len(self.invoices), order=order, kind=kind, amount=amount,
            vat_amount=vat_of_share(amount, order.total, order.vat_total), issued_at=at, due_on=due_on,
        )
        invoice.events.append(InvoiceEvent(at, None, OPEN, ISSUER))
        order.invoices.append(invoice)
        self.invoices.append(invoice)
        return invoice

    def issue_by_terms(self, order: OrderMoney, at: datetime) -> InvoiceRec:
        """The first invoice at confirmation; deferred terms release the order at once."""
        first = first_invoice(order.company, order.total, kyiv_day(at), self.rules.prepayment_due_days)
        if first.release_note is not None:
            self._release(order, at, first.release_note, None)
        return self._issue(order, first.kind, first.amount, at, first.due_on)

    def _release(self, order: OrderMoney, at: datetime, note: str, invoice: InvoiceRec | None) -> None:
        if order.released_at is None:
            order.released_at, order.release_note, order.release_invoice = at, note, invoice

    def _after_paid(self, invoice: InvoiceRec, at: datetime) -> None:
        order = invoice.order
        if order.cancelled_at is not None and order.cancelled_at <= at:
            return
        # The number is given once the whole history is known: "{}" holds its place.
        note = paid_release_note(invoice.kind, "{}")
        if note is not None:
            self._release(order, at, note, invoice)
        if invoice.kind == "advance":
            if not any(i.kind == "remainder" for i in order.invoices):
                remainder = remainder_amount(order.total, order.invoices)
                if remainder > 0:
                    due = kyiv_day(at) + remainder_due_in(order.company, self.rules.remainder_due_days)
                    self._issue(order, "remainder", remainder, at, due)

    # --- payments: by allocation's own rules --------------------------------------------

    def _allocate(self, payment: PaymentRec, invoice: InvoiceRec, amount: Decimal) -> Decimal:
        at = payment.at
        already = any(other is invoice for other, _ in payment.allocations)
        payer = payment.company.id if payment.company else None
        take = checked_amount(invoice, payment.status, payer, already, payment.unallocated, amount)
        payment.allocations.append((invoice, take))
        invoice.allocations.append((at, take))
        invoice.paid_amount += take
        if invoice.paid_amount == invoice.amount:
            invoice.status, invoice.paid_at = PAID, at
            invoice.events.append(InvoiceEvent(at, OPEN, PAID, payment.actor, payment=payment))
            self._after_paid(invoice, at)
        return take

    def _new_payment(self, **fields: object) -> PaymentRec:
        payment = PaymentRec(index=len(self.payments), **fields)  # type: ignore[arg-type]
        self.payments.append(payment)
        return payment

    def _liqpay_id(self, at: datetime) -> int:
        # LiqPay's ids grow with time (the emulator starts its own at the current milliseconds).
        payment_id = int(at.timestamp() * 1000)
        while payment_id in self._liqpay_ids:
            payment_id += 1
        self._liqpay_ids.add(payment_id)
        return payment_id

    def pay_by_card(self, invoices: list[InvoiceRec], at: datetime) -> PaymentRec:
        """A checkout of the invoices chosen, paid: payments.card.start_checkout + record_notice."""
        rng = self.rng
        company = invoices[0].company
        payer = self.payer(company)
        items = [(i, i.outstanding) for i in sorted(invoices, key=lambda i: (i.due_on, i.index))]
        amount = sum((left for _, left in items), ZERO)
        def description() -> str:
            return checkout_description([i.number for i, _ in items])

        started = at - timedelta(minutes=rng.randint(1, 4), seconds=rng.randint(0, 59))
        if rng.random() < DECLINED_FIRST_SHARE:
            # A first try with a card over its limit: a failed payment on a checkout of its own.
            code, reason = DECLINE
            failed_at = started - timedelta(seconds=rng.randint(30, 120))
            self._new_payment(
                source="liqpay", at=failed_at, amount=amount, company=company, paid_on=failed_at.date(), actor=LIQPAY,
                status=FAILED, provider_status="failure", note=f"{code} {reason}",
                details={"card": f"{rng.choice(CARD_BINS)}*{rng.randint(0, 99):02d}", "paytype": "card"},
                purpose_of=description, external_id=str(self._liqpay_id(failed_at)),
                checkout_reference=new_checkout_reference(),
                checkout_created_at=failed_at - timedelta(minutes=rng.randint(1, 3)), checkout_items=items,
            )
        payment = self._new_payment(
            source="liqpay", at=at, amount=amount, company=company, paid_on=at.date(), actor=LIQPAY,
            provider_status="success", details={"card": payer.card_mask, "paytype": "card"}, purpose_of=description,
            external_id=str(self._liqpay_id(at)), checkout_reference=new_checkout_reference(),
            checkout_created_at=started, checkout_items=items,
        )
        for invoice, left in items:
            self._allocate(payment, invoice, left)
        return payment

    def import_moment(self, day: date) -> datetime:
        """When the accountant imports the statement that arrives on this business day."""
        found = self._imports.get(day)
        if found is None:
            found = at_kyiv(day, 9) + timedelta(minutes=self.rng.randint(0, 90))
            self._imports[day] = found
        return found

    def _doc_number(self, company: DemoCompany | None) -> str:
        key = company.id if company else 0
        number = self._doc_numbers.get(key) or self.rng.randint(100, 3000)
        self._doc_numbers[key] = number + 1
        return str(number)

    def pay_by_bank(
        self, invoice: InvoiceRec, amount: Decimal, paid_on: date, partial: bool = False
    ) -> PaymentRec | None:
        """A payment order the customer's bank executed on `paid_on`, imported with the next
        morning's statement and matched by the invoice number in its purpose."""
        paid_on = business_day(paid_on)
        at = self.import_moment(next_business_day(paid_on))
        if at > self.now:
            return None
        company = invoice.company
        payer = self.payer(company)
        left = invoice.outstanding
        amount = money(amount)
        template = PARTIAL_PURPOSE if partial else payer.purpose

        def purpose() -> str:
            vat = vat_of_share(amount, invoice.amount, invoice.vat_amount) if partial else invoice.vat_amount
            vat_text = f"у т.ч. ПДВ {_comma(vat)} грн" if vat > 0 else "без ПДВ"
            return template.format(
                number=invoice.number, issued=invoice.issued_on.strftime("%d.%m.%Y"), vat=_comma(vat), vat_text=vat_text
            )

        payment = self._new_payment(
            source="bank", at=at, amount=amount, company=company, paid_on=paid_on, actor=self.accountant,
            payer_name=company.name, payer_tax_id=company.tax_id, purpose_of=purpose,
            details={"doc_number": self._doc_number(company), "payer_account": payer.account},
            statement_day=kyiv_day(at), facts=[(invoice, left)], expected_plan=[(invoice, min(amount, left))],
        )
        self._allocate(payment, invoice, amount)
        return payment

    # --- how customers pay ------------------------------------------------------------

    def _card_moment(self, after: datetime) -> datetime:
        """A customer paying from the SMS link or the cabinet: soon, but not in the small hours."""
        rng = self.rng
        minutes = rng.choice((rng.randint(3, 60), rng.randint(60, 360), rng.randint(360, 1440)))
        moment = after + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        local = moment.astimezone(KYIV)
        if local.hour < 7:
            moment = at_kyiv(local.date(), 7, rng.randint(30, 59)) + timedelta(minutes=rng.randint(0, 120))
        return moment

    def collect_first(self, invoice: InvoiceRec) -> datetime | str:
        """A prepayment or advance invoice: when it was paid, or LATER / NEVER."""
        rng = self.rng
        flags = invoice.order.flags
        if "pay_later" in flags or "unpaid" in flags:
            return LATER
        payer = self.payer(invoice.company)
        if rng.random() < payer.never_pays_share:
            return NEVER
        if rng.random() < payer.card_share:
            moment = self._card_moment(invoice.issued_at)
            if moment > self.now:
                return LATER
            self.pay_by_card([invoice], moment)
            return moment
        paid_on = invoice.issued_on + timedelta(days=rng.choice((0, 0, 1)))
        payment = self.pay_by_bank(invoice, invoice.outstanding, paid_on)
        return payment.at if payment else LATER

    def collect_deferred(self, invoice: InvoiceRec) -> None:
        """A deferred invoice is paid around its due date; slow payers pay late, in part or not at all."""
        rng = self.rng
        order = invoice.order
        if "unpaid" in order.flags or "pay_later" in order.flags:
            return
        payer = self.payer(invoice.company)
        if payer.slow:
            roll = rng.random()
            if roll < 0.3:
                return
            if roll < 0.42:
                part = max(Decimal(100), Decimal(int(invoice.amount * self._factor(0.3, 0.7) / 100) * 100))
                if part < invoice.amount:
                    self.pay_by_bank(invoice, part, invoice.due_on + timedelta(days=rng.randint(3, 30)), partial=True)
                return
            pay_day = invoice.due_on + timedelta(days=round(rng.triangular(0, 45, 10)))
        else:
            pay_day = invoice.due_on + timedelta(days=round(rng.triangular(-8, 3, -2)))
        pay_day = max(pay_day, invoice.issued_on + timedelta(days=1))
        self._pay_on(invoice, pay_day, payer)

    def collect_remainder(self, order: OrderMoney, delivered_at: datetime | None) -> None:
        """The rest of an advance-terms order is paid once the goods are there."""
        invoice = next((i for i in order.invoices if i.kind == "remainder"), None)
        if invoice is None or delivered_at is None or "unpaid" in order.flags:
            return
        rng = self.rng
        payer = self.payer(invoice.company)
        if rng.random() < payer.card_share:
            moment = self._card_moment(delivered_at)
            if moment <= self.now:
                self.pay_by_card([invoice], moment)
            return
        self.pay_by_bank(invoice, invoice.outstanding, kyiv_day(delivered_at) + timedelta(days=rng.randint(0, 2)))

    def _pay_on(self, invoice: InvoiceRec, day: date, payer: _Payer) -> None:
        rng = self.rng
        if rng.random() < payer.card_share:
            moment = at_kyiv(day, rng.randint(9, 20), rng.randint(0, 59))
            if moment <= self.now and moment > invoice.issued_at:
                self.pay_by_card([invoice], moment)
            return
        self.pay_by_bank(invoice, invoice.outstanding, day)

    # --- the exceptions queue -----------------------------------------------------------

    def open_invoices_at(self, company: DemoCompany, moment: datetime) -> list[tuple[InvoiceRec, Decimal]]:
        found = []
        for order in self.orders[company.id]:
            for invoice in order.invoices:
                if invoice.status == PAID and invoice.paid_at is not None and invoice.paid_at <= moment:
                    continue
                left = invoice.left_at(moment)
                if left > 0:
                    found.append((invoice, left))
        return found

    def overpay_recent(self) -> None:
        """Some recent bank payments were rounded up by the payer: the importer pays the
        invoice and leaves the rest in the queue ("Переплата")."""
        since = self.now - timedelta(days=OVERPAID_WITHIN_DAYS)
        for payment in self.payments:
            if payment.source != "bank" or payment.at < since or len(payment.allocations) != 1:
                continue
            invoice, taken = payment.allocations[0]
            if invoice.status != PAID or taken != payment.amount or self.rng.random() >= OVERPAID_SHARE:
                continue
            rounded = money(math.ceil(payment.amount / 100) * 100)
            if rounded == payment.amount:
                rounded += 100
            payment.amount = rounded

    def add_review_queue(self) -> None:
        """Bank lines the rules could not place, from the last few statements: an unknown
        payer, a payer without a tax id, a customer paying with nothing to pay, a second
        payment of a paid invoice, a customer paying another customer's invoice."""
        rng = self.rng
        days = sorted(day for day, moment in self._imports.items() if moment <= self.now)[-5:]
        if not days or not self.companies:
            return
        companies = self.companies

        def line(day: date, amount: Decimal, payer: DemoCompany | None, name: str, tax_id: str,
                 purpose: str | Callable[[], str], facts: list[tuple[InvoiceRec, Decimal]]) -> None:
            if payer is not None:
                account = self.payer(payer).account
            else:
                account = iban(rng.choice(BANK_MFOS), str(rng.randint(10**13, 10**14 - 1)))
            self._new_payment(
                source="bank", at=self.import_moment(day), amount=money(amount), company=payer,
                paid_on=_previous_business_day(day), actor=self.accountant, payer_name=name, payer_tax_id=tax_id,
                purpose=purpose if isinstance(purpose, str) else "",
                purpose_of=None if isinstance(purpose, str) else purpose,
                details={"doc_number": self._doc_number(payer), "payer_account": account},
                statement_day=day, facts=facts,
            )

        # An ЄДРПОУ that is none of ours.
        ours = {company.tax_id for company in companies}
        stranger = edrpou(rng)
        while stranger in ours:
            stranger = edrpou(rng)
        day = rng.choice(days)
        line(day, Decimal(rng.randrange(2_000, 40_000, 50)), None, "ТОВ «Смачна Зупинка»", stranger,
             f"Оплата за продукти харчування згідно рахунку від {_previous_business_day(day):%d.%m.%Y}, у т.ч. ПДВ", [])
        # A private person's transfer: no tax id, no invoice number.
        day = rng.choice(days)
        line(day, Decimal(rng.randrange(500, 6_000, 10)), None, "Гончаренко Світлана Іванівна", "",
             "Переказ коштів за замовлення, кава і молоко", [])
        # A customer with nothing to pay: an advance, or a mistake.
        day = rng.choice(days)
        moment = self.import_moment(day)
        candidates = [c for c in companies if c not in self.reliable]
        rng.shuffle(candidates)
        payer = next((c for c in candidates if not self.open_invoices_at(c, moment)), None)
        if payer is not None:
            line(day, Decimal(rng.randrange(3_000, 25_000, 100)), payer, payer.name, payer.tax_id,
                 "Передоплата за продукти харчування згідно договору поставки", [])
        # A second payment of an invoice paid by bank a few days before.
        paid_before = [p for p in self.payments if p.source == "bank" and p.status == SUCCEEDED and p.allocations
                       and len(p.allocations) == 1 and p.allocations[0][0].status == PAID
                       and p.company is not None and days[0] - timedelta(days=10) <= p.paid_on < days[-1]]
        if paid_before:
            first = rng.choice(paid_before)
            invoice = first.allocations[0][0]
            later = [d for d in days if self.import_moment(d) > first.at] or [days[-1]]
            day = rng.choice(later)
            line(day, invoice.amount, first.company, first.payer_name, first.payer_tax_id,
                 lambda i=invoice: f"Оплата за товар згідно рахунку № {i.number}, "
                                   f"у т.ч. ПДВ {_comma(i.vat_amount)} грн",
                 [(invoice, ZERO)])
        # A customer paying an invoice of another customer (a chain's second company, a mix-up).
        day = days[-1]
        moment = self.import_moment(day)
        owing = [(i, left) for c in companies for i, left in self.open_invoices_at(c, moment)
                 if i.due_on >= kyiv_day(moment)]
        if owing and len(companies) > 1:
            invoice, left = rng.choice(owing)
            payer = rng.choice([c for c in companies if c is not invoice.company])
            line(day, left, payer, payer.name, payer.tax_id,
                 lambda i=invoice: f"Оплата за рахунком № {i.number} від {i.issued_on:%d.%m.%Y}",
                 [(invoice, left), *self.open_invoices_at(payer, moment)])

    # --- writing ---------------------------------------------------------------------

    def finish(self) -> None:
        """Once every order is played: the exceptions queue, and the invoices' numbers."""
        self.overpay_recent()
        self.add_review_queue()
        self.number_invoices()

    def number_invoices(self) -> dict[int, int]:
        """Numbers in the order of issue, from 1 every year: the year's last number by year."""
        last: dict[int, int] = {}
        for invoice in sorted(self.invoices, key=lambda i: (i.issued_at, i.index)):
            year = invoice.issued_on.year
            last[year] = last.get(year, 0) + 1
            invoice.year, invoice.seq = year, last[year]
        return last

    def counts(self, session: Session, today: date) -> dict[str, int]:
        def count(model: type, *where: object) -> int:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

        return {
            "invoices": count(Invoice),
            "open invoices": count(Invoice, Invoice.status == OPEN),
            "overdue invoices": count(Invoice, Invoice.status == OPEN, Invoice.due_on < today),
            "payments": count(Payment),
            "card payments": count(Payment, Payment.source == "liqpay"),
            "bank payments": count(Payment, Payment.source == "bank"),
            "allocations": count(Allocation),
            "bank statements": count(BankStatement),
            "payments to review": count(Payment, Payment.needs_review.is_(True)),
            "collection tasks": count(CollectionTask),
            "reminders": count(InvoiceReminder),
        }

    def write(self, session: Session) -> None:
        """Insert everything (the orders must have their ids by now)."""
        last_seq = self.number_invoices()
        self._resolve_purposes()
        self._match_bank_lines()

        invoices = sorted(self.invoices, key=lambda i: (i.year, i.seq))
        ids = insert_keyed(session, Invoice, [_invoice_row(i) for i in invoices], ("year", "seq"))
        for invoice, invoice_id in zip(invoices, ids):
            invoice.id = invoice_id
        insert_rows(session, InvoiceCounter, [
            {"year": year, "last_seq": seq} for year, seq in sorted(last_seq.items())
        ])

        payments = sorted(self.payments, key=lambda p: (p.at, p.index))
        statement_of = self._write_statements(session, payments)
        checkout_of = self._write_checkouts(session, payments)
        ids = insert_keyed(session, Payment, [
            _payment_row(p, statement_of.get(p.statement_day), checkout_of.get(p.index)) for p in payments
        ], ("source", "external_id"))
        for payment, payment_id in zip(payments, ids):
            payment.id = payment_id
        insert_rows(session, PaymentStatusChange, [
            {"payment_id": p.id, "from_status": None, "to_status": p.status, "provider_status": p.provider_status,
             "at": p.at, "actor_name": p.actor,
             "note": p.note}
            for p in payments
        ])
        insert_rows(session, Allocation, [
            {"payment_id": p.id, "invoice_id": invoice.id, "amount": amount, "allocated_by": p.actor,
             "created_at": p.at, "reversed_at": None}
            for p in payments for invoice, amount in p.allocations
        ])
        insert_rows(session, InvoiceStatusChange, [
            {"invoice_id": i.id, "from_status": e.from_status, "to_status": e.to_status, "at": e.at,
             "actor_name": e.actor,
             "note": f"Платіж {e.payment.source} {e.payment.external_id}" if e.payment else e.note}
            for i in invoices for e in i.events
        ])
        self._write_dunning(session, invoices)

    def _write_dunning(self, session: Session, invoices: list[InvoiceRec]) -> None:
        """The reminder ladder as payments.dunning would have walked it for the invoices still
        open: every step reached raised on its day, and a manager's collection task after the
        last one, so the demo's first ladder run finds nothing old to send."""
        steps = self.rules.dunning_ladder
        if not steps:
            return
        today = kyiv_day(self.now)
        reminders, tasks = [], []
        for invoice in invoices:
            if invoice.status != OPEN or invoice.outstanding <= 0:
                continue
            for step in steps_reached(steps, invoice.due_on, today):
                day = invoice.due_on + timedelta(days=step)
                raised = min(max(at_kyiv(day, 9), invoice.issued_at), self.now)
                reminders.append({"invoice_id": invoice.id, "offset_days": step, "raised_at": raised, "skipped": False})
            if escalates(steps, invoice.due_on, today):
                created = min(at_kyiv(invoice.due_on + timedelta(days=steps[-1]), 9), self.now)
                tasks.append({"invoice_id": invoice.id, "company_id": invoice.company.id,
                              "manager_id": invoice.company.manager_id, "created_at": created})
        insert_rows(session, InvoiceReminder, reminders)
        insert_rows(session, CollectionTask, tasks)

    def _resolve_purposes(self) -> None:
        for payment in self.payments:
            if payment.purpose_of is not None:
                payment.purpose = payment.purpose_of()
            if payment.source == "bank":
                payment.external_id = fingerprint(
                    payment.details["doc_number"], payment.paid_on, payment.amount,
                    payment.details["payer_account"], payment.payer_tax_id, payment.purpose,
                )

    def _match_bank_lines(self) -> None:
        """Every bank line through the importer's Matcher, over what it would have known then:
        the allocations made here must be its plan, its reason goes to the queue."""
        by_tax_id = {company.tax_id: company.id for company in self.companies}
        company_of = {company.id: company for company in self.companies}
        for payment in self.payments:
            if payment.source != "bank":
                continue
            facts = [InvoiceFacts(i.index, i.year, i.seq, i.company.id, i.due_on, left) for i, left in payment.facts]
            match = Matcher(by_tax_id, facts, set(company_of)).match(payment.amount, payment.payer_tax_id, payment.purpose)
            planned = [(invoice_index, amount) for invoice_index, amount in match.plan]
            made = [(invoice.index, amount) for invoice, amount in payment.allocations]
            if planned != made:
                raise AssertionError(
                    f"demo bank line {payment.purpose!r}: the importer would allocate {planned}, not {made}"
                )
            payment.company = company_of.get(match.company_id) if match.company_id else None
            payment.needs_review, payment.review_reason = bool(match.review_reason), match.review_reason
            payment.review_columns = match.review_columns
            payment.note = RULE_NOTES.get(match.rule, "")

    def _write_statements(self, session: Session, payments: list[PaymentRec]) -> dict[date, int]:
        lines: dict[date, list[PaymentRec]] = defaultdict(list)
        for payment in payments:
            if payment.statement_day is not None:
                lines[payment.statement_day].append(payment)
        days = sorted(lines)
        rows = []
        for day in days:
            covered = _previous_business_day(day)
            new = lines[day]
            rows.append({
                "filename": f"vypyska_{covered:%Y%m%d}.txt", "file_format": "1c", "account": self.rules.supplier_iban,
                "lines_total": len(new) + self.rng.randint(0, 6),  # and our own outgoing payments
                "lines_new": len(new), "lines_matched": sum(1 for p in new if p.allocations),
                "imported_by_staff_id": self.accountant_id, "imported_at": self.import_moment(day),
            })
        return dict(zip(days, insert_returning_ids(session, BankStatement, rows)))

    def _write_checkouts(self, session: Session, payments: list[PaymentRec]) -> dict[int, int]:
        card = [p for p in payments if p.checkout_reference]
        ids = insert_keyed(session, CardCheckout, [
            {"reference": p.checkout_reference, "company_id": p.company.id if p.company else None, "amount": p.amount,
             "currency": "UAH", "created_at": p.checkout_created_at, "settled_at": p.at}
            for p in card
        ], ("reference",))
        insert_rows(session, CardCheckoutItem, [
            {"checkout_id": checkout_id, "invoice_id": invoice.id, "amount": amount}
            for p, checkout_id in zip(card, ids) for invoice, amount in p.checkout_items
        ])
        return {p.index: checkout_id for p, checkout_id in zip(card, ids)}


def _previous_business_day(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _comma(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


def _invoice_row(invoice: InvoiceRec) -> dict:
    return {
        "year": invoice.year, "seq": invoice.seq, "company_id": invoice.company.id, "order_id": invoice.order.id,
        "kind": invoice.kind, "status": invoice.status, "amount": invoice.amount, "vat_amount": invoice.vat_amount,
        "paid_amount": invoice.paid_amount, "issued_on": invoice.issued_on, "due_on": invoice.due_on,
        "pay_token": new_pay_token(), "created_at": invoice.issued_at, "updated_at": invoice.events[-1].at,
    }


def _payment_row(payment: PaymentRec, statement_id: int | None, checkout_id: int | None) -> dict:
    return {
        "source": payment.source, "external_id": payment.external_id,
        "company_id": payment.company.id if payment.company else None,
        "checkout_id": checkout_id, "statement_id": statement_id, "status": payment.status,
        "provider_status": payment.provider_status, "amount": payment.amount, "currency": "UAH",
        "paid_on": payment.paid_on, "payer_name": payment.payer_name[:300], "payer_tax_id": payment.payer_tax_id,
        "purpose": payment.purpose, "needs_review": payment.needs_review, "review_reason": payment.review_reason,
        **payment.review_columns,
        "details": payment.details, "created_at": payment.at, "updated_at": payment.at,
    }
