"""Card payments through LiqPay: starting a checkout, and recording what LiqPay reports
(callback or status answer) exactly once per payment."""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.customers.models import Company
from core.db import utcnow
from core.errors import DomainError
from core.web import public_url
from core.money import money
from payments import allocation
from payments.liqpay.client import LiqpayClient
from payments.liqpay.interface import FAILED as LIQPAY_FAILED
from payments.liqpay.interface import REVERSED as LIQPAY_REVERSED
from payments.liqpay.interface import CheckoutForm, LiqpayError, LiqpayNotice, is_success
from payments.models import FAILED, OPEN, PENDING, SUCCEEDED, CardCheckout, CardCheckoutItem, Invoice, Payment

ACTOR = "LiqPay"
log = logging.getLogger(__name__)


def liqpay_client() -> LiqpayClient:
    """One client per app: it holds a keep-alive HTTP connection pool."""
    app = current_app._get_current_object()
    client = app.extensions.get("liqpay")
    if client is None:
        config = app.config
        client = LiqpayClient(config["LIQPAY_PUBLIC_KEY"], config["LIQPAY_PRIVATE_KEY"], config["LIQPAY_BASE_URL"])
        app.extensions["liqpay"] = client
    return client


def start_checkout(session: Session, company: Company, invoices: list[Invoice]) -> CardCheckout:
    """One payment for the open invoices chosen, oldest due first."""
    if not invoices:
        raise DomainError(gettext("Оберіть хоча б один рахунок."))
    if any(i.company_id != company.id for i in invoices):
        raise DomainError(gettext("Рахунок не знайдено."))
    payable = sorted((i for i in invoices if i.status == OPEN and i.outstanding > 0), key=lambda i: (i.due_on, i.id))
    if len(payable) != len(invoices):
        raise DomainError(gettext("Деякі з обраних рахунків уже оплачені або скасовані. Оновіть сторінку."))
    checkout = CardCheckout(
        reference=f"inv-{secrets.token_hex(12)}",
        company_id=company.id,
        amount=sum((i.outstanding for i in payable), money(0)),
        items=[CardCheckoutItem(invoice_id=i.id, amount=i.outstanding) for i in payable],
    )
    session.add(checkout)
    session.flush()
    return checkout


def checkout_form(checkout: CardCheckout, result_url: str) -> CheckoutForm:
    numbers = ", ".join(item.invoice.number for item in checkout.items)
    return liqpay_client().checkout_form(
        order_id=checkout.reference,
        amount=checkout.amount,
        description=f"Оплата за рахунком № {numbers}",
        server_url=public_url("payments.liqpay_callback"),
        result_url=result_url,
        language="uk",
        currency=checkout.currency,
    )


def _payment_for(session: Session, notice: LiqpayNotice, checkout: CardCheckout | None) -> tuple[Payment, bool]:
    """The payment row for this LiqPay payment_id, locked; created on first sight.
    Concurrent duplicates meet at the unique constraint and take the winner's row."""
    external_id = str(notice.payment_id)
    query = (
        select(Payment)
        .where(Payment.source == "liqpay", Payment.external_id == external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = session.scalar(query)
    if found is not None:
        return found, False
    payment = Payment(
        source="liqpay",
        external_id=external_id,
        company_id=checkout.company_id if checkout else None,
        checkout_id=checkout.id if checkout else None,
        amount=notice.amount,
        currency=notice.currency,
        paid_on=(notice.end_date or utcnow()).date(),
        purpose=notice.description,
        details={"card": notice.sender_card_mask, "paytype": notice.paytype},
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        return session.scalars(query).one(), False
    return payment, True


def _target_status(notice: LiqpayNotice, sandbox: bool) -> str:
    if is_success(notice.status, sandbox):
        return SUCCEEDED
    if notice.status in LIQPAY_FAILED or (notice.status == "sandbox" and not sandbox):
        return FAILED
    return PENDING


def record_notice(session: Session, notice: LiqpayNotice, sandbox: bool) -> Payment | None:
    """Apply what LiqPay says about a payment. Idempotent: a repeated notice changes nothing."""
    if notice.payment_id is None:
        return None
    checkout = session.scalar(select(CardCheckout).where(CardCheckout.reference == notice.order_id))
    payment, created = _payment_for(session, notice, checkout)
    note = " ".join(filter(None, (notice.err_code, notice.err_description)))

    if notice.status in LIQPAY_REVERSED:
        if notice.refund_amount is not None and notice.refund_amount < payment.amount:
            payment.details = {**payment.details, "refunded": str(notice.refund_amount)}
        elif payment.status == SUCCEEDED:
            allocation.reverse(session, payment, ACTOR, notice.status, note)
        elif created:
            allocation.set_payment_status(payment, FAILED, ACTOR, notice.status, "Повернено до зарахування")
        _settle(checkout)
        session.flush()
        return payment

    target = _target_status(notice, sandbox)
    if not created and (payment.status == target or payment.status == "reversed" or (payment.status == SUCCEEDED)):
        if payment.status == PENDING:
            payment.provider_status = notice.status
        return payment  # a duplicate, or news older than what we know
    allocation.set_payment_status(payment, target, ACTOR, notice.status, note)
    session.flush()
    if target == SUCCEEDED:
        _settle(checkout)
        _allocate_card_payment(session, payment, notice, checkout)
    elif target == FAILED:
        _settle(checkout)
    return payment


def _settle(checkout: CardCheckout | None) -> None:
    if checkout is not None and checkout.settled_at is None:
        checkout.settled_at = utcnow()


def _allocate_card_payment(session: Session, payment: Payment, notice: LiqpayNotice, checkout: CardCheckout | None) -> None:
    """The money goes where the checkout said, unless it is not what was asked for."""
    if checkout is None:
        allocation.flag_for_review(payment, "Оплата з невідомим номером замовлення LiqPay")
    elif notice.currency != checkout.currency or notice.amount != checkout.amount:
        allocation.flag_for_review(
            payment, f"Сума або валюта не збігається: очікували {checkout.amount} {checkout.currency}, "
            f"отримали {notice.amount} {notice.currency}"
        )
    else:
        plan = [(item.invoice_id, item.amount) for item in checkout.items]
        left = allocation.allocate_in_order(session, payment, plan, ACTOR)
        if left > 0:
            allocation.flag_for_review(payment, f"Рахунки вже оплачені іншим платежем: залишок {left} грн")


def checkouts_to_reconcile(session: Session, limit: int = 200) -> list[CardCheckout]:
    """Checkouts without a final word from LiqPay, older than the grace period and
    younger than a week (an abandoned checkout is not asked about forever)."""
    now = utcnow()
    grace = timedelta(minutes=current_app.config["LIQPAY_RECONCILE_AFTER_MINUTES"])
    return list(
        session.scalars(
            select(CardCheckout)
            .where(CardCheckout.settled_at.is_(None), CardCheckout.created_at < now - grace,
                   CardCheckout.created_at > now - timedelta(days=7))
            .order_by(CardCheckout.id)
            .limit(limit)
        )
    )


def reconcile(session: Session) -> int:
    """Ask LiqPay about checkouts it never called back for; returns how many it knew."""
    client = liqpay_client()
    answered = 0
    for checkout in checkouts_to_reconcile(session):
        try:
            notice = client.status(checkout.reference)
        except LiqpayError as exc:
            log.warning("LiqPay status of %s failed: %s", checkout.reference, exc)
            continue
        if notice is not None:
            record_notice(session, notice, client.sandbox)
            answered += 1
    return answered
