"""Refunds of card payments, asked for in the backoffice and carried out through the
outbox (the LiqPay call is an outward effect: it happens after the commit, once)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.errors import DomainError
from core.money import money
from core.staff.models import StaffUser
from core.web import format_uah
from payments.card import liqpay_client, record_notice
from payments.liqpay.interface import REVERSED, LiqpayError, LiqpayNotice
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
    if payment.source != "liqpay" or payment.status != SUCCEEDED:
        raise DomainError(gettext("Повернути можна лише зарахований платіж карткою."))
    reason = reason.strip()
    if not reason:
        raise DomainError(gettext("Вкажіть причину повернення."), field="reason")
    refunded = refunded_so_far(session, payment)
    left = payment.amount - refunded
    if left <= 0:
        raise DomainError(gettext(
            "Платіж %(paid)s уже повернено повністю або повернення чекає виконання: повертати більше нічого.",
            paid=format_uah(payment.amount),
        ), field="amount")
    amount = money(amount) if amount is not None else left
    if amount <= 0 or amount > left:
        raise DomainError(gettext(
            "Повернути можна від 0,01 до %(left)s: з платежу %(paid)s уже повернено або чекає повернення %(refunded)s.",
            left=format_uah(left), paid=format_uah(payment.amount), refunded=format_uah(refunded),
        ), field="amount")
    refund = Refund(payment_id=payment.id, amount=amount, reason=reason, requested_by=staff.full_name)
    session.add(refund)
    session.flush()
    outbox.emit(session, "payment.refund_requested", {"refund_id": refund.id, "payment_id": payment.id})
    return refund


def carry_out(session: Session, refund: Refund) -> None:
    """Ask LiqPay to refund. A refusal is final (recorded); an unreachable LiqPay raises,
    so the outbox retries. A refund LiqPay already made is not asked for twice: its
    status answer says how much it has refunded in all, and when that already covers
    our done refunds and this one (the worker died after asking), this one is done."""
    if refund.status != "requested":
        return
    payment = _locked(session, refund.payment)
    reference = payment.checkout.reference if payment.checkout else payment.details.get("order_id", "")
    client = liqpay_client()
    current = client.status(reference)
    done_before = sum(session.scalars(
        select(Refund.amount).where(Refund.payment_id == payment.id, Refund.status == "done", Refund.id != refund.id)
    ), Decimal("0.00"))
    if current is not None and _refunded_at_liqpay(current) >= done_before + refund.amount:
        notice = current
    elif done_before + refund.amount > payment.amount:
        refund.status, refund.finished_at = "failed", utcnow()
        refund.provider_answer = f"not asked: {done_before} of {payment.amount} already refunded"
        return
    else:
        try:
            notice = client.refund(reference, refund.amount)
        except LiqpayError as exc:
            if exc.code in ("timeout", "unreachable") or exc.code.startswith("http_5"):
                raise
            refund.status, refund.provider_answer, refund.finished_at = "failed", str(exc), utcnow()
            return
    refund.status, refund.provider_answer, refund.finished_at = "done", notice.status, utcnow()
    record_notice(session, notice, client.sandbox)


def _refunded_at_liqpay(notice: LiqpayNotice) -> Decimal:
    if notice.refund_amount is not None:
        return notice.refund_amount
    return notice.amount if notice.status in REVERSED else Decimal("0.00")
