"""What a company owes: balance, overdue, available credit, aging; the credit check
at submit that puts an order on hold instead of refusing it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.customers.models import Company
from core.errors import DomainError
from core.money import ZERO, money
from core.orders import signals, states
from core.orders.models import Order
from core.orders.services import Actor, change_status, hold_order, kyiv_today
from core.staff.models import StaffUser
from payments.documents.formatting import money_uk
from payments.models import OPEN, Invoice

AGING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))
CREDIT_TERMS = ("deferred", "advance")


@dataclass(frozen=True)
class Balance:
    credit_limit: Decimal
    debt: Decimal  # the unpaid part of open invoices
    overdue: Decimal  # of which past the due date
    uninvoiced: Decimal  # orders taken but not confirmed (and so not invoiced) yet
    uses_credit: bool

    @property
    def exposure(self) -> Decimal:
        return self.debt + self.uninvoiced

    @property
    def available_credit(self) -> Decimal:
        return max(self.credit_limit - self.exposure, ZERO) if self.uses_credit else ZERO


def debts_by_company(session: Session, company_ids: list[int], today: date) -> dict[int, tuple[Decimal, Decimal]]:
    """(debt, overdue) of each company named, in one query (list pages)."""
    outstanding = Invoice.amount - Invoice.paid_amount
    rows = session.execute(
        select(
            Invoice.company_id,
            func.sum(outstanding),
            func.coalesce(func.sum(case((Invoice.due_on < today, outstanding), else_=0)), 0),
        )
        .where(Invoice.company_id.in_(company_ids), Invoice.status == OPEN)
        .group_by(Invoice.company_id)
    )
    return {company_id: (money(debt), money(overdue)) for company_id, debt, overdue in rows}


def company_balance(session: Session, company: Company, today: date | None = None) -> Balance:
    today = today or kyiv_today()
    debt, overdue = debts_by_company(session, [company.id], today).get(company.id, (ZERO, ZERO))
    uses_credit = company.payment_terms in CREDIT_TERMS
    # Orders not invoiced yet only weigh against a credit limit: no query without one.
    uninvoiced = session.scalar(
        select(func.coalesce(func.sum(Order.total), 0)).where(
            Order.company_id == company.id, Order.status.in_((states.SUBMITTED, states.ON_HOLD))
        )
    ) if uses_credit else ZERO
    return Balance(
        credit_limit=company.credit_limit,
        debt=debt,
        overdue=overdue,
        uninvoiced=money(uninvoiced),
        uses_credit=uses_credit,
    )


def aging(session: Session, company_id: int, today: date | None = None) -> list[tuple[str, Decimal]]:
    """Overdue debt by days past due: 0-30, 31-60, 61-90, 90+."""
    today = today or kyiv_today()
    rows = session.execute(
        select(Invoice.due_on, Invoice.amount - Invoice.paid_amount).where(
            Invoice.company_id == company_id, Invoice.status == OPEN, Invoice.due_on < today
        )
    )
    totals = [ZERO] * len(AGING_BUCKETS)
    for due_on, outstanding in rows:
        days = (today - due_on).days
        index = next(i for i, (low, high) in enumerate(AGING_BUCKETS) if high is None or days <= high)
        totals[index] += money(outstanding)
    labels = [f"{low}–{high}" if high else f"{low - 1}+" for low, high in AGING_BUCKETS]
    return list(zip(labels, totals))


def credit_breach(balance: Balance) -> str | None:
    """Why an order of a company in this state needs a manager, or None."""
    if balance.overdue > 0:
        return f"Прострочена заборгованість {money_uk(balance.overdue)} грн"
    if balance.uses_credit and balance.exposure > balance.credit_limit:
        return (f"Перевищено кредитний ліміт {money_uk(balance.credit_limit)} грн "
                f"(борг і замовлення: {money_uk(balance.exposure)} грн)")
    return None


@signals.order_status_changed.connect
def _check_credit_at_submit(session: Session, order: Order, previous: str | None, actor: Actor) -> None:
    if previous is not None or order.status != states.SUBMITTED:
        return
    reason = credit_breach(company_balance(session, order.company))
    if reason:
        hold_order(session, order, reason)


def head_release_threshold() -> Decimal:
    """CREDIT_RELEASE_HEAD_ABOVE: a held order above it is the head of sales' decision."""
    return Decimal(current_app.config["CREDIT_RELEASE_HEAD_ABOVE"])


def may_release(order: Order, staff: StaffUser) -> bool:
    return order.total <= head_release_threshold() or staff.has_role("head_of_sales")


def decide_hold(session: Session, order: Order, staff: StaffUser, release: bool, reason: str) -> None:
    """A manager releases a held order (it is confirmed) or cancels it, with a reason.
    Above CREDIT_RELEASE_HEAD_ABOVE only the head of sales may release."""
    if order.status != states.ON_HOLD:
        raise DomainError(gettext("Це замовлення не чекає рішення."))
    reason = reason.strip()
    if not reason:
        raise DomainError(gettext("Вкажіть причину рішення."), field="reason")
    if release and not may_release(order, staff):
        raise DomainError(
            gettext("Замовлення понад %(amount)s грн відпускає керівник відділу продажів.", amount=head_release_threshold())
        )
    change_status(session, order, states.CONFIRMED if release else states.CANCELLED, Actor.of(staff), reason)
