"""Refunds of card payments, asked for in the backoffice and carried out through the
outbox (the acquirer's call is an outward effect: it happens after the commit, once)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.errors import DomainError
from core.money import format_money, money
from core.providers import ProviderError
from core.staff.models import StaffUser
from payments.acquirer import REVERSED, CardAcquirer, PaymentNotice
from payments.card import card_acquirer, record_notice
from payments.models import SUCCEEDED, Payment, Refund

REFUNDERS = ("accountant", "head_of_sales")


def _locked(session: Session, payment: Payment) -> Payment:
    """The payment row, locked until commit (PostgreSQL: FOR UPDATE; SQLite lets one
    writer at a time anyway): two refunds of one payment are decided one after the other."""
    return session.scalars(
        select(Payment).where(Payment.id == payment.id).with_for_update().execution_options(populate_existing=True)
    ).one()


def refunded_so_far(session: Session, payment: Payment) -> Decimal:
    """What is refunded or on its way back: our refunds asked for and done, or what LiqPay
    reported refunded (a refund made in LiqPay's own cabinet), whichever is more."""
    amounts = session.scalars(
        select(Refund.amount).where(Refund.payment_id == payment.id, Refund.status.in_(("requested", "done")))
    )
    reported = money((payment.details or {}).get("refunded", "0"))
    return max(sum(amounts, Decimal("0.00")), reported)


def request_refund(session: Session, payment: Payment, amount: Decimal | None, reason: str, staff: StaffUser) -> Refund:
    if not staff.has_role(*REFUNDERS):
        raise DomainError(gettext("Повернення коштів робить бухгалтер або керівник відділу продажів."))
    payment = _locked(session, payment)
    if payment.source != card_acquirer().name or payment.status != SUCCEEDED:
        raise DomainError(gettext("Повернути можна лише зарахований платіж карткою."))
    reason = reason.strip()
    if not reason:
        raise DomainError(gettext("Вкажіть причину повернення."), field="reason")
    refunded = refunded_so_far(session, payment)
    left = payment.amount - refunded
    if left <= 0:
        raise DomainError(gettext(
            "Платіж %(paid)s уже повернено повністю або повернення чекає виконання: повертати більше нічого.",
            paid=format_money(payment.amount),
        ), field="amount")
    amount = money(amount) if amount is not None else left
    if amount <= 0 or amount > left:
        raise DomainError(gettext(
            "Повернути можна від 0,01 до %(left)s: з платежу %(paid)s уже повернено або чекає повернення %(refunded)s.",
            left=format_money(left), paid=format_money(payment.amount), refunded=format_money(refunded),
        ), field="amount")
    refund = Refund(payment_id=payment.id, amount=amount, reason=reason, requested_by=staff.full_name)
    session.add(refund)
    session.flush()
    outbox.emit(session, "payment.refund_requested", {"refund_id": refund.id, "payment_id": payment.id})
    return refund


def carry_out(session: Session, refund: Refund) -> None:
    """Ask the acquirer to refund. A permanent refusal (its code and words kept for staff
    on the refund) is final; a failure worth a retry (timeout, unreachable, 5xx) raises,
    so the outbox tries again. A refund the acquirer already made is not asked for twice:
    its status answer says how much it has refunded in all, and when that already covers
    our done refunds and this one (the worker died after asking), this one is done."""
    if refund.status != "requested":
        return
    payment = _locked(session, refund.payment)
    reference = payment.checkout.reference if payment.checkout else payment.details.get("order_id", "")
    acquirer = card_acquirer()
    try:
        notice = _refund_once(session, acquirer, payment, refund, reference)
    except ProviderError as exc:
        if exc.retryable:
            raise
        refund.status, refund.provider_answer, refund.finished_at = "failed", f"{exc.code}: {exc.detail}", utcnow()
        return
    if notice is None:
        return
    refund.status, refund.provider_answer, refund.finished_at = "done", notice.status, utcnow()
    record_notice(session, acquirer.name, notice)


def _refund_once(session: Session, acquirer: CardAcquirer, payment: Payment, refund: Refund, reference: str) -> PaymentNotice | None:
    """The acquirer's notice of this refund, asked for only when its status does not
    show it made already; None when the refund is refused without asking (marked failed)."""
    current = acquirer.status(reference)
    done_before = sum(session.scalars(
        select(Refund.amount).where(Refund.payment_id == payment.id, Refund.status == "done", Refund.id != refund.id)
    ), Decimal("0.00"))
    if current is not None and _refunded_already(current) >= done_before + refund.amount:
        return current
    if done_before + refund.amount > payment.amount:
        refund.status, refund.finished_at = "failed", utcnow()
        refund.provider_answer = f"not asked: {done_before} of {payment.amount} already refunded"
        return None
    return acquirer.refund(reference, refund.amount)


def _refunded_already(notice: PaymentNotice) -> Decimal:
    if notice.refund_amount is not None:
        return notice.refund_amount
    return notice.amount if notice.outcome == REVERSED else Decimal("0.00")
