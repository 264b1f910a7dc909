"""Refunds of card payments, asked for in the backoffice and carried out through the
outbox (the LiqPay call is an outward effect: it happens after the commit, once)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.db import utcnow
from core.errors import DomainError
from core.money import money
from core.staff.models import StaffUser
from payments.card import liqpay_client, record_notice
from payments.liqpay.interface import LiqpayError
from payments.models import SUCCEEDED, Payment, Refund

REFUNDERS = ("accountant", "head_of_sales")


def refunded_so_far(session: Session, payment: Payment) -> Decimal:
    amounts = session.scalars(
        select(Refund.amount).where(Refund.payment_id == payment.id, Refund.status.in_(("requested", "done")))
    )
    return sum(amounts, Decimal("0.00"))


def request_refund(session: Session, payment: Payment, amount: Decimal | None, reason: str, staff: StaffUser) -> Refund:
    if not staff.has_role(*REFUNDERS):
        raise DomainError(gettext("Повернення коштів робить бухгалтер або керівник відділу продажів."))
    if payment.source != "liqpay" or payment.status != SUCCEEDED:
        raise DomainError(gettext("Повернути можна лише зарахований платіж карткою."))
    reason = reason.strip()
    if not reason:
        raise DomainError(gettext("Вкажіть причину повернення."), field="reason")
    left = payment.amount - refunded_so_far(session, payment)
    amount = money(amount) if amount is not None else left
    if amount <= 0 or amount > left:
        raise DomainError(gettext("Сума повернення має бути від 0,01 до %(left)s грн.", left=left), field="amount")
    refund = Refund(payment_id=payment.id, amount=amount, reason=reason, requested_by=staff.full_name)
    session.add(refund)
    session.flush()
    outbox.emit(session, "payment.refund_requested", {"refund_id": refund.id, "payment_id": payment.id})
    return refund


def carry_out(session: Session, refund: Refund) -> None:
    """Ask LiqPay to refund. A refusal is final (recorded); an unreachable LiqPay raises,
    so the outbox retries. A refund LiqPay already made is not asked for twice."""
    if refund.status != "requested":
        return
    payment = refund.payment
    reference = payment.checkout.reference if payment.checkout else payment.details.get("order_id", "")
    client = liqpay_client()
    current = client.status(reference)
    if current is not None and current.status == "reversed":
        notice = current
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
