"""Order submit and every status change: one place that writes history and the outbox event."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import outbox
from core.catalog.services import orderable_products, snap_to_pack
from core.clock import kyiv_today, utcnow
from core.customers.models import Company, DeliveryPoint, User
from core.errors import DomainError
from core.money import ZERO, money, vat_included
from core.orders import states
from core.orders.discounts import online_order_reason, take_off
from core.orders.hooks import after_status_change
from core.orders.models import CHANNELS, Order, OrderLine, OrderStatusChange
from core.orders.promotions import ONLINE_ORDER, active_promotion, discount_of
from core.reasons import Reason
from core.staff.models import StaffUser

MAX_LINES = 500


@dataclass(frozen=True)
class Actor:
    kind: str  # customer / staff / system
    name: str
    department: str
    user_id: int | None = None
    staff_id: int | None = None

    @classmethod
    def of(cls, person: User | StaffUser) -> Actor:
        if isinstance(person, StaffUser):
            return cls("staff", person.full_name, person.department, staff_id=person.id)
        return cls("customer", person.full_name, "customer", user_id=person.id)


SYSTEM = Actor("system", "1C", "system")
CREDIT_CONTROL = Actor("system", "Кредитний контроль", "accounting")
FINANCE = Actor("system", "Фінанси", "accounting")  # releases an order whose payment terms are met


def _event_payload(order: Order, status: str) -> dict:
    return {
        "order_id": order.id,
        "company_id": order.company_id,
        "status": status,
        "total": str(order.total),
        "channel": order.channel,
    }


def _move(session: Session, order: Order, current: str | None, target: str, actor: Actor, note: str,
          reason: Reason | None = None) -> None:
    try:
        states.check_transition(current, target, actor.kind)
    except states.TransitionNotAllowed:
        raise DomainError(gettext("Замовлення в цьому статусі не можна змінити так.")) from None
    order.status = target
    order.history.append(
        OrderStatusChange(
            from_status=current,
            to_status=target,
            actor_kind=actor.kind,
            actor_name=actor.name,
            department=actor.department,
            note=reason.text if reason else note,
            reason_code=reason.code if reason else "",
            reason_params=reason.params if reason else None,
        )
    )
    session.flush()
    outbox.emit(session, states.EVENT_OF_STATUS[target], _event_payload(order, target))
    after_status_change(session, order, current, actor)


def change_status(session: Session, order: Order, target: str, actor: Actor, note: str = "") -> None:
    """The only way an order's status moves after submit."""
    if target == states.ASSEMBLING and order.released_at is None:
        raise DomainError(gettext("Замовлення ще не оплачене за умовами оплати: його не можна комплектувати."))
    _move(session, order, order.status, target, actor, note)


def hold_order(session: Session, order: Order, reason: Reason) -> None:
    """Put a just-submitted order in the managers' exception queue instead of refusing it."""
    _move(session, order, order.status, states.ON_HOLD, CREDIT_CONTROL, "", reason)


def release_hold(session: Session, order: Order, reason: Reason) -> None:
    """The cause of the hold is gone (the overdue debt is paid): the order is confirmed
    without waiting for a manager."""
    _move(session, order, states.ON_HOLD, states.CONFIRMED, CREDIT_CONTROL, "", reason)


def release_for_shipment(session: Session, order: Order, note: str) -> None:
    """The payment terms are met: the order may be assembled and shipped. Idempotent."""
    release_many(session, [(order, note)])


def release_many(session: Session, releases: list[tuple[Order, str]]) -> None:
    """`release_for_shipment` for many orders (a bank statement pays hundreds at once):
    history rows added without loading each order's history, events in one flush."""
    now = utcnow()
    released = []
    for order, note in releases:
        if order.released_at is not None:
            continue
        order.released_at = now
        session.add(
            OrderStatusChange(
                order_id=order.id,
                from_status=order.status,
                to_status=order.status,
                actor_kind=FINANCE.kind,
                actor_name=FINANCE.name,
                department=FINANCE.department,
                note=note,
            )
        )
        released.append(order)
    if released:
        outbox.emit_many(session, "order.released", [_event_payload(o, o.status) for o in released])


@dataclass(frozen=True)
class SubmitResult:
    order: Order
    duplicate: bool  # the same submit arrived before; nothing new was created


def _existing(session: Session, company_id: int, key: str) -> Order | None:
    return session.scalar(select(Order).where(Order.company_id == company_id, Order.idempotency_key == key))


def _check_delivery(session: Session, company: Company, delivery_point_id: int | None, desired: date | None) -> None:
    if delivery_point_id is None:
        raise DomainError(gettext("Оберіть точку доставки."), field="delivery_point")
    point = session.get(DeliveryPoint, delivery_point_id)
    if point is None or point.company_id != company.id or not point.is_active:
        raise DomainError(gettext("Оберіть точку доставки зі списку."), field="delivery_point")
    if desired is not None and desired < kyiv_today():
        raise DomainError(gettext("Бажана дата доставки не може бути в минулому."), field="desired_date")


def line_amount(price: Decimal, quantity: Decimal) -> Decimal:
    return money(price * quantity)


def order_totals(lines: Iterable[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    """(total, VAT in it) of lines given as (amount, VAT rate): VAT is included per line."""
    total = vat_total = ZERO
    for amount, vat_rate in lines:
        total += amount
        vat_total += vat_included(amount, vat_rate)
    return total, vat_total


def submit_order(
    session: Session,
    company: Company,
    lines: list[tuple[int, Decimal]],
    *,
    actor: Actor,
    idempotency_key: str,
    delivery_point_id: int | None,
    desired_date: date | None = None,
    comment: str = "",
    channel: str = "portal",
) -> SubmitResult:
    """Create an order at the company's current prices.

    The same idempotency key for the same company returns the order it created the
    first time, also when two submits race each other.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise DomainError(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."))
    existing = _existing(session, company.id, idempotency_key)
    if existing is not None:
        return SubmitResult(existing, duplicate=True)
    if channel not in CHANNELS:
        raise DomainError(gettext("Невідомий канал замовлення."), field="channel")
    if not lines:
        raise DomainError(gettext("Кошик порожній."))
    if len(lines) > MAX_LINES:
        raise DomainError(gettext("Забагато рядків в одному замовленні (максимум %(n)s).", n=MAX_LINES))
    _check_delivery(session, company, delivery_point_id, desired_date)

    products = orderable_products(session, company.price_type_id, ids=[pid for pid, _ in lines])
    missing = [pid for pid, _ in lines if pid not in products]
    if missing:
        raise DomainError(gettext("Деякі товари більше недоступні. Перевірте кошик."))

    order = Order(
        company_id=company.id,
        channel=channel,
        idempotency_key=idempotency_key,
        created_by_user_id=actor.user_id,
        created_by_staff_id=actor.staff_id,
        manager_id=company.manager_id,
        delivery_point_id=delivery_point_id,
        desired_date=desired_date,
        comment=comment.strip()[:2000],
        status=states.SUBMITTED,
        history=[],  # a new order has none: no lazy load when the first change is appended
        discounts=[],
        discount_amount=ZERO,
    )
    merged: dict[int, Decimal] = {}
    for product_id, quantity in lines:
        merged[product_id] = merged.get(product_id, ZERO) + quantity
    for product_id, quantity in merged.items():
        product = products[product_id]
        quantity = snap_to_pack(quantity, product.pack_multiple)
        order.lines.append(
            OrderLine(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                unit=product.unit,
                quantity=quantity,
                price=product.price,
                vat_rate=product.vat_rate,
                amount=line_amount(product.price, quantity),
            )
        )
    order.total, order.vat_total = order_totals((line.amount, line.vat_rate) for line in order.lines)
    # Ordering online (the customer in the portal, not a manager by phone) may earn a discount.
    promotion = active_promotion(session, ONLINE_ORDER, kyiv_today()) if channel == "portal" else None
    if promotion is not None and take_off(order, online_order_reason(promotion), discount_of(order.total, promotion)):
        order.promotion = promotion

    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError:
        # Lost a race with an identical submit: hand back the winner's order.
        existing = _existing(session, company.id, idempotency_key)
        if existing is None:
            raise
        return SubmitResult(existing, duplicate=True)
    _move(session, order, None, states.SUBMITTED, actor, "")
    return SubmitResult(order, duplicate=False)


def repeat_lines(order: Order) -> list[tuple[int, Decimal]]:
    return [(line.product_id, line.quantity) for line in order.lines]
