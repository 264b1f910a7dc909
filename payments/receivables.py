"""What a company owes: balance, overdue, available credit, aging; the credit check
at submit that puts an order on hold instead of refusing it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.clock import kyiv_today
from core.customers.models import Company
from core.errors import DomainError
from core.money import ZERO, format_money, money
from core.orders import states
from core.orders.models import Order, OrderStatusChange
from core.orders.services import Actor, change_status, hold_order, release_hold
from core.reasons import Reason, register
from core.staff.models import StaffUser
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

    def over_limit(self, adding: Decimal = ZERO) -> bool:
        """The one limit rule: debt and orders not invoiced yet, with `adding` (an order
        about to be placed) on top, above the limit. Reaching it exactly is still within
        it; a zero limit on credit terms means no credit; prepaying companies have none."""
        return self.uses_credit and self.exposure + adding > self.credit_limit


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


def balance_of(company: Company, debt: Decimal, overdue: Decimal, uninvoiced: Decimal) -> Balance:
    """A company's balance from its open debt, the overdue part of it and its orders not
    invoiced yet; those weigh against a credit limit only on credit terms."""
    uses_credit = company.payment_terms in CREDIT_TERMS
    return Balance(
        credit_limit=company.credit_limit,
        debt=money(debt),
        overdue=money(overdue),
        uninvoiced=money(uninvoiced) if uses_credit else ZERO,
        uses_credit=uses_credit,
    )


def company_balance(session: Session, company: Company, today: date | None = None) -> Balance:
    today = today or kyiv_today()
    debt, overdue = debts_by_company(session, [company.id], today).get(company.id, (ZERO, ZERO))
    # Orders not invoiced yet only weigh against a credit limit: no query without one.
    uninvoiced = session.scalar(
        select(func.coalesce(func.sum(Order.total), 0)).where(
            Order.company_id == company.id, Order.status.in_((states.SUBMITTED, states.ON_HOLD))
        )
    ) if company.payment_terms in CREDIT_TERMS else ZERO
    return balance_of(company, debt, overdue, uninvoiced)


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


# Why an order waits for a manager, kept as a code (core.reasons) and told in the reader's language.
OVERDUE, OVER_LIMIT, OVERDUE_AND_OVER_LIMIT, DEBT_PAID = (
    "credit.overdue", "credit.over_limit", "credit.overdue_over_limit", "credit.debt_paid",
)
HELD_FOR_OVERDUE = (OVERDUE, OVERDUE_AND_OVER_LIMIT)
register(OVERDUE, _l("Прострочена заборгованість %(overdue)s"), money=("overdue",))
register(OVER_LIMIT, _l("Перевищено кредитний ліміт %(limit)s (борг і замовлення: %(exposure)s)"),
         money=("limit", "exposure"))
register(OVERDUE_AND_OVER_LIMIT, _l("Прострочена заборгованість %(overdue)s; перевищено кредитний ліміт %(limit)s "
                                    "(борг і замовлення: %(exposure)s)"), money=("overdue", "limit", "exposure"))
register(DEBT_PAID, _l("Прострочену заборгованість сплачено: замовлення підтверджено автоматично"))
# Holds written before reasons had codes: their sentence tells an overdue hold.
LEGACY_OVERDUE_NOTE = "Прострочена заборгованість"


def credit_hold(balance: Balance, adding: Decimal = ZERO) -> Reason | None:
    """Why an order of a company in this state needs a manager (every cause, with the
    amounts), or None. At submit the order already counts in the balance; the cart asks
    with the order's total (after any online discount) as `adding`."""
    overdue = balance.overdue > 0
    over_limit = balance.over_limit(adding)
    amounts = {"overdue": str(balance.overdue), "limit": str(balance.credit_limit),
               "exposure": str(balance.exposure + adding)}
    if overdue and over_limit:
        return Reason(OVERDUE_AND_OVER_LIMIT, amounts)
    if overdue:
        return Reason(OVERDUE, {"overdue": amounts["overdue"]})
    if over_limit:
        return Reason(OVER_LIMIT, {"limit": amounts["limit"], "exposure": amounts["exposure"]})
    return None


def check_credit_at_submit(session: Session, order: Order, previous: str | None, actor: Actor) -> None:
    if previous is not None or order.status != states.SUBMITTED:
        return
    reason = credit_hold(company_balance(session, order.company))
    if reason:
        hold_order(session, order, reason)


def head_release_threshold() -> Decimal:
    """CREDIT_RELEASE_HEAD_ABOVE: a held order above it is the head of sales' decision."""
    return Decimal(current_app.config["CREDIT_RELEASE_HEAD_ABOVE"])


def only_head_of_sales_releases(total: Decimal, threshold: Decimal) -> bool:
    """A held order above the threshold is the head of sales' decision, not a manager's."""
    return total > threshold


def may_release(order: Order, staff: StaffUser) -> bool:
    return not only_head_of_sales_releases(order.total, head_release_threshold()) or staff.has_role("head_of_sales")


def hold_of(order: Order) -> OrderStatusChange | None:
    """The history row that put the order on hold (the latest, should there be several)."""
    return next((h for h in reversed(order.history) if h.to_status == states.ON_HOLD), None)


def held_for_overdue(hold: OrderStatusChange) -> bool:
    return hold.reason_code in HELD_FOR_OVERDUE or (not hold.reason_code and hold.note.startswith(LEGACY_OVERDUE_NOTE))


def release_paid_holds(session: Session, company_ids: set[int]) -> None:
    """Paying the overdue debt is what an overdue hold waited for: such orders are
    confirmed at once, without a manager, unless the company is still in breach (over
    its limit, or other invoices overdue). An order held only for the limit stays a
    manager's decision. Called in the transaction that applied the money."""
    if not company_ids:
        return
    held = session.scalars(
        select(Order).where(Order.company_id.in_(company_ids), Order.status == states.ON_HOLD)
        .options(selectinload(Order.history), joinedload(Order.company)).order_by(Order.id)
    )
    for order in held:
        hold = hold_of(order)
        # Re-read per order: a release invoices the order and so moves its sum into the debt.
        if hold is not None and held_for_overdue(hold) and credit_hold(company_balance(session, order.company)) is None:
            release_hold(session, order, Reason(DEBT_PAID))


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
            gettext("Замовлення понад %(amount)s відпускає керівник відділу продажів.", amount=format_money(head_release_threshold()))
        )
    change_status(session, order, states.CONFIRMED if release else states.CANCELLED, Actor.of(staff), reason)
