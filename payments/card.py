"""Card payments through the configured acquirer (`CARD_ACQUIRER`, LiqPay today):
starting a checkout, and recording what the acquirer reports (callback or status
answer) exactly once per payment. Nothing here knows the acquirer's wire format or
status names: it sees a `payments.acquirer.CardAcquirer` and its `PaymentNotice`s."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import outbox
from core.clock import kyiv_today, utcnow
from core.customers.models import Company
from core.errors import DomainError
from core.money import money
from core.orders.models import Promotion
from core.orders.promotions import ONLINE_PAYMENT, active_promotion, discount_of
from core.reasons import Reason, register
from core.web import public_url
from payments import allocation
from payments.acquirer import DECLINED, PAID, REVERSED, CardAcquirer, CheckoutForm, PaymentNotice
from payments.liqpay.client import LiqpayClient
from payments.models import (
    FAILED,
    OPEN,
    PENDING,
    SUCCEEDED,
    CardCheckout,
    CardCheckoutItem,
    Invoice,
    Payment,
)

ACTOR = "LiqPay"
# A verified callback waiting to be applied (payments.handlers).
NOTICE_TOPIC = "liqpay.notice"
# What reconciliation records when the acquirer knows no payment for a checkout (LiqPay's own code).
NOT_FOUND = "payment_not_found"
log = logging.getLogger(__name__)
# Why a card payment waits for a person (core.reasons: stored as codes, told in the reader's language).
UNKNOWN_CHECKOUT, AMOUNT_MISMATCH, PAID_BY_ANOTHER = "card.unknown_checkout", "card.amount_mismatch", "card.paid_by_another"
register(UNKNOWN_CHECKOUT, _l("Оплата з невідомим номером замовлення LiqPay"))
register(AMOUNT_MISMATCH, _l("Сума або валюта не збігається: очікували %(expected)s, отримали %(received)s"))
register(PAID_BY_ANOTHER, _l("Рахунки вже оплачені іншим платежем: залишок %(left)s"), money=("left",))


def _liqpay(config: Any) -> CardAcquirer:
    return LiqpayClient(config["LIQPAY_PUBLIC_KEY"], config["LIQPAY_PRIVATE_KEY"], config["LIQPAY_BASE_URL"])


# How each of CARD_ACQUIRER's values (payments.settings.CARD_ACQUIRERS) is built.
ACQUIRERS: dict[str, Callable[[Any], CardAcquirer]] = {"liqpay": _liqpay}


def card_acquirer() -> CardAcquirer:
    """One client per app: it holds a keep-alive HTTP connection pool."""
    app = current_app._get_current_object()
    client = app.extensions.get("card_acquirer")
    if client is None:
        client = ACQUIRERS[app.config["CARD_ACQUIRER"]](app.config)
        app.extensions["card_acquirer"] = client
    return client


def start_checkout(session: Session, company: Company, invoices: list[Invoice]) -> CardCheckout:
    """One payment for the open invoices chosen, oldest due first. An online-payment
    promotion lowers what the card pays, except on orders that already had the
    online-order discount: the two never add up."""
    if not invoices:
        raise DomainError(gettext("Оберіть хоча б один рахунок."))
    if any(i.company_id != company.id for i in invoices):
        raise DomainError(gettext("Рахунок не знайдено."))
    payable = sorted((i for i in invoices if i.status == OPEN and i.outstanding > 0), key=lambda i: (i.due_on, i.id))
    if len(payable) != len(invoices):
        raise DomainError(gettext("Деякі з обраних рахунків уже оплачені або скасовані. Оновіть сторінку."))
    promotion = active_promotion(session, ONLINE_PAYMENT, kyiv_today())
    items = []
    for invoice in payable:
        discount = card_discount(invoice, promotion)
        items.append(
            CardCheckoutItem(
                invoice_id=invoice.id,
                amount=invoice.outstanding - discount,
                discount=discount,
                promotion_id=promotion.id if discount else None,
            )
        )
    checkout = CardCheckout(
        reference=new_checkout_reference(),
        company_id=company.id,
        amount=sum((item.amount for item in items), money(0)),
        items=items,
    )
    session.add(checkout)
    session.flush()
    return checkout


def card_discount(invoice: Invoice, promotion: Promotion | None) -> Decimal:
    """What paying this invoice online saves; nothing on an order that had the online-order discount."""
    if invoice.order is not None and invoice.order.promotion_id is not None:
        return Decimal("0.00")
    return discount_of(invoice.outstanding, promotion)


def new_checkout_reference() -> str:
    return f"inv-{secrets.token_hex(12)}"


def checkout_description(numbers: list[str]) -> str:
    """What the payer's bank shows, and what the payment's purpose keeps."""
    return "Оплата за рахунком № " + ", ".join(numbers)


def checkout_form(checkout: CardCheckout, result_url: str) -> CheckoutForm:
    acquirer = card_acquirer()
    return acquirer.checkout_form(
        order_id=checkout.reference,
        amount=checkout.amount,
        description=checkout_description([item.invoice.number for item in checkout.items]),
        server_url=public_url(f"payments.{acquirer.name}_callback"),
        result_url=result_url,
        language="uk",
        currency=checkout.currency,
    )


def _payment_for(
    session: Session, source: str, notice: PaymentNotice, checkout: CardCheckout | None
) -> tuple[Payment, bool]:
    """The payment row for this acquirer's payment_id, locked; created on first sight.
    Concurrent duplicates meet at the unique constraint and take the winner's row."""
    external_id = str(notice.payment_id)
    query = (
        select(Payment)
        .where(Payment.source == source, Payment.external_id == external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = session.scalar(query)
    if found is not None:
        return found, False
    payment = Payment(
        source=source,
        external_id=external_id,
        company_id=checkout.company_id if checkout else None,
        checkout_id=checkout.id if checkout else None,
        amount=notice.amount,
        currency=notice.currency,
        paid_on=(notice.end_date or utcnow()).date(),
        purpose=notice.description,
        details={"card": notice.sender_card_mask, "paytype": notice.paytype},
        # Empty from the start: nothing to load when the first row is added.
        allocations=[],
        history=[],
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        return session.scalars(query).one(), False
    return payment, True


TARGETS = {PAID: SUCCEEDED, DECLINED: FAILED}


def record_notice(session: Session, source: str, notice: PaymentNotice) -> Payment | None:
    """Apply what the acquirer (`source`, its name) says about a payment. Idempotent:
    a repeated notice changes nothing."""
    if notice.payment_id is None:
        return None
    checkout = session.scalar(select(CardCheckout).where(CardCheckout.reference == notice.order_id))
    payment, created = _payment_for(session, source, notice, checkout)
    note = " ".join(filter(None, (notice.err_code, notice.err_description)))

    if notice.outcome == REVERSED:
        if notice.refund_amount is not None and notice.refund_amount < payment.amount:
            payment.details = {**payment.details, "refunded": str(notice.refund_amount)}
        elif payment.status == SUCCEEDED:
            allocation.reverse(session, payment, ACTOR, notice.status, note)
            _take_back_discounts(session, payment)
        elif created:
            allocation.set_payment_status(payment, FAILED, ACTOR, notice.status, "Повернено до зарахування")
        _settle(checkout)
        session.flush()
        return payment

    target = TARGETS.get(notice.outcome, PENDING)
    if not created and (payment.status, target) not in allocation.PAYMENT_TRANSITIONS:
        # A duplicate, or news older than what we know (a late "processing" after "success").
        if payment.status == PENDING:
            payment.provider_status = notice.status
        return payment
    allocation.set_payment_status(payment, target, ACTOR, notice.status, note)
    if target == SUCCEEDED:
        _settle(checkout)
        _allocate_card_payment(session, payment, notice, checkout)
    elif target == FAILED:
        # The code, not LiqPay's English text, is what the customer's reason is made from.
        payment.details = {**payment.details, "err_code": notice.err_code or ""}
        _settle(checkout)
        _tell_payment_failed(session, payment, checkout, note)
    return payment


def _tell_payment_failed(session: Session, payment: Payment, checkout: CardCheckout | None, reason: str) -> None:
    """The customer hears that the card was declined, with a way to try again."""
    if checkout is None:
        return
    invoices = [item.invoice for item in checkout.items]
    session.flush()
    outbox.emit(session, "payment.failed", {
        "payment_id": payment.id, "company_id": checkout.company_id, "amount": str(payment.amount),
        "numbers": [invoice.number for invoice in invoices],
        "pay_token": invoices[0].pay_token if len(invoices) == 1 else None, "reason": reason,
        "err_code": payment.details.get("err_code", ""),
    })


def _settle(checkout: CardCheckout | None) -> None:
    if checkout is not None and checkout.settled_at is None:
        checkout.settled_at = utcnow()


def _allocate_card_payment(session: Session, payment: Payment, notice: PaymentNotice, checkout: CardCheckout | None) -> None:
    """The money goes where the checkout said, unless it is not what was asked for."""
    if checkout is None:
        allocation.flag_for_review(payment, Reason(UNKNOWN_CHECKOUT))
    elif notice.currency != checkout.currency or notice.amount != checkout.amount:
        allocation.flag_for_review(payment, Reason(AMOUNT_MISMATCH, {
            "expected": f"{checkout.amount} {checkout.currency}", "received": f"{notice.amount} {notice.currency}"}))
    else:
        plan = [(item.invoice_id, item.amount) for item in checkout.items]
        left = allocation.allocate_in_order(session, payment, plan, ACTOR)
        for item in checkout.items:
            if item.discount and any(a.invoice_id == item.invoice_id for a in payment.allocations):
                _write_off_discount(session, checkout, item)
        if left > 0:
            allocation.flag_for_review(payment, Reason(PAID_BY_ANOTHER, {"left": str(left)}))


def _take_back_discounts(session: Session, payment: Payment) -> None:
    """The card money went back: so does the discount that came with it."""
    if payment.checkout_id is None:
        return
    write_offs = session.scalars(
        select(Payment).where(Payment.source == "discount", Payment.checkout_id == payment.checkout_id,
                              Payment.status == SUCCEEDED)
    )
    for write_off in write_offs:
        allocation.reverse(session, write_off, ACTOR, note="Оплату карткою повернено")


def _write_off_discount(session: Session, checkout: CardCheckout, item: CardCheckoutItem) -> None:
    """The promotion's part of the invoice, settled as a payment of source "discount"."""
    discount = Payment(
        source="discount",
        external_id=f"{checkout.reference}:{item.invoice_id}",
        company_id=checkout.company_id,
        checkout_id=checkout.id,
        amount=item.discount,
        paid_on=kyiv_today(),
        purpose=f"Знижка за онлайн-оплату (акція {item.promotion_id})",
        details={"promotion_id": item.promotion_id, "checkout": checkout.reference},
    )
    session.add(discount)
    allocation.set_payment_status(discount, SUCCEEDED, ACTOR)
    session.flush()
    allocation.allocate(session, discount, item.invoice_id, item.discount, ACTOR)


@dataclass(frozen=True)
class CheckoutOutcome:
    """What the customer coming back from LiqPay is told: "paid", "declined" (with
    LiqPay's err_code) or "waiting" (the browser came back before the bank's word)."""

    state: str
    err_code: str = ""


def checkout_outcome(session: Session, checkout: CardCheckout) -> CheckoutOutcome:
    attempts = list(session.scalars(
        select(Payment).where(Payment.checkout_id == checkout.id, Payment.source != "discount").order_by(Payment.id)
    ))
    if any(p.status == SUCCEEDED for p in attempts) or all(item.invoice.outstanding <= 0 for item in checkout.items):
        return CheckoutOutcome("paid")
    if attempts and attempts[-1].status == FAILED:
        return CheckoutOutcome("declined", _err_code(attempts[-1]))
    return CheckoutOutcome("waiting")


def _err_code(payment: Payment) -> str:
    """Stored since payments kept it; older failures have it as the first word of the history note."""
    if "err_code" in payment.details:
        return payment.details["err_code"]
    notes = [h.note for h in payment.history if h.to_status == FAILED and h.note]
    return notes[-1].split()[0] if notes else ""


def due_for_reconciliation(session: Session, limit: int = 200) -> list[tuple[int, str]]:
    """(id, reference) of the checkouts without a final word from LiqPay whose next
    check is due: older than the grace period, not given up on, least recently due first."""
    now = utcnow()
    grace = timedelta(minutes=current_app.config["LIQPAY_RECONCILE_AFTER_MINUTES"])
    return [
        (row.id, row.reference) for row in session.execute(
            select(CardCheckout.id, CardCheckout.reference)
            .where(CardCheckout.settled_at.is_(None), CardCheckout.lapsed == "", CardCheckout.created_at < now - grace,
                   or_(CardCheckout.next_check_at.is_(None), CardCheckout.next_check_at <= now))
            .order_by(CardCheckout.next_check_at.is_not(None), CardCheckout.next_check_at, CardCheckout.id)
            .limit(limit)
        )
    ]


def next_check_after(checks: int) -> timedelta:
    """The grace period, doubling with every check, at most LIQPAY_RECONCILE_MAX_HOURS:
    with the defaults 15 min, 30 min, 1 h, ... 6 h, about 35 questions in a week
    instead of one a minute."""
    config = current_app.config
    first = timedelta(minutes=max(config["LIQPAY_RECONCILE_AFTER_MINUTES"], 1))
    return min(first * 2 ** min(checks - 1, 20), timedelta(hours=config["LIQPAY_RECONCILE_MAX_HOURS"]))


def apply_status_answer(
    session: Session, source: str, checkout_id: int, notice: PaymentNotice | None, answer: str
) -> bool:
    """What the acquirer's (`source`) status API said about one checkout (`notice`; None when it knows no
    payment or could not be asked, `answer` says which). Records a payment it reports;
    otherwise schedules the next question, or gives up once the window has passed.
    Returns whether LiqPay reported a payment."""
    checkout = session.scalar(
        select(CardCheckout).where(CardCheckout.id == checkout_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if checkout is None or checkout.settled_at is not None or checkout.lapsed:
        return False  # a callback settled it while we were asking
    now = utcnow()
    checkout.status_checks += 1
    checkout.last_answer = answer[:40]
    if notice is not None:
        record_notice(session, source, notice)
    if checkout.settled_at is None:
        if now - checkout.created_at >= timedelta(days=current_app.config["LIQPAY_RECONCILE_DAYS"]):
            checkout.lapsed = "expired" if answer == NOT_FOUND else "unknown"
            checkout.lapsed_at = now
            log.warning("LiqPay checkout %s given up after %s checks: %s (last answer %s)",
                        checkout.reference, checkout.status_checks, checkout.lapsed, answer)
        else:
            checkout.next_check_at = now + next_check_after(checkout.status_checks)
    session.flush()
    return notice is not None
