"""Order history: six months of orders, each in the status its age implies.

Going through submit_order and change_status costs a dozen flushes and an outbox
event per order and move: 3,000 orders took 45 s on SQLite and 100 s on PostgreSQL
that way. So the history is built as rows
and inserted in bulk, priced by the same rules as submit_order (whole packs,
money() per line, VAT included per line; the tests hold the two side by side), and
every move is checked against the order state machine. History raises no outbox
events: its messages, invoices and 1C pushes belong to the past.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from random import Random
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.customers.models import User
from core.demo.bulk import insert_returning_ids, insert_rows
from core.demo.catalog import DemoCatalog, DemoProduct
from core.demo.customers import DemoCompany
from core.demo.vocabulary import ORDER_COMMENTS
from core.money import ZERO, money, vat_included
from core.orders import cart, states
from core.orders.models import Order, OrderLine, OrderStatusChange
from core.orders.services import KYIV, SYSTEM

HISTORY_DAYS = 180
CHANNEL_WEIGHTS = {"portal": 80, "phone": 12, "viber": 8}
CANCELLED_SHARE = 0.03
COMMENT_SHARE = 0.12
DESIRED_DATE_SHARE = 0.7
FROM_FAVOURITES_SHARE = 0.85
LINES_PER_ORDER = (3, 25, 8)  # fewest, most, most usual
PACKS_WEIGHTS = {1: 60, 2: 24, 3: 8, 4: 4, 5: 3, 10: 1}
# Kyiv hour -> weight: mornings and early afternoons, the portal also late in the evening.
HOUR_WEIGHTS = {7: 2, 8: 5, 9: 9, 10: 10, 11: 9, 12: 7, 13: 7, 14: 8, 15: 8, 16: 6, 17: 5, 18: 4, 19: 3,
                20: 3, 21: 3, 22: 2, 23: 1}
STAFF_HOURS = range(9, 18)  # phone and Viber orders are typed in by a manager at work
SHOWCASE_POSITIONS = (1, 12)  # the latest order and one from about a day before it
CANCEL_NOTES = (
    "Клієнт передумав.",
    "Замовлення-дубль.",
    "Немає потрібної кількості на складі.",
    "Клієнт оформив нове замовлення замість цього.",
)
ALL_CATEGORIES = ("CF", "TE", "DA", "FR", "DG", "BV", "DT", "CL")
# What each kind of venue buys, by SKU prefix of the top category.
SHOPPING_LISTS = {
    "Кав'ярня": ("CF", "TE", "DA", "BV", "DT"),
    "Кафе": ALL_CATEGORIES,
    "Ресторан": ("DA", "FR", "DG", "BV", "CL", "TE", "CF"),
    "Піцерія": ("DG", "DA", "FR", "BV", "DT", "CL"),
    "Бар": ("BV", "DT", "CL", "CF"),
    "Пекарня": ("DG", "DA", "FR", "DT", "CF"),
    "Готель": ("CF", "TE", "DA", "DG", "BV", "CL", "DT"),
    "Кейтеринг": ("DT", "DG", "FR", "DA", "BV"),
    "Їдальня": ("DG", "FR", "DA", "CL", "TE"),
    "Суші-бар": ("DG", "FR", "BV", "DT", "TE"),
    "Бургерна": ("FR", "DG", "DA", "BV", "DT"),
    "Кондитерська": ("DA", "DG", "CF", "TE", "DT", "FR"),
    "Гастробар": ("BV", "FR", "DG", "DA", "CL"),
}


@dataclass(frozen=True)
class _Actor:
    kind: str
    name: str
    department: str


@dataclass(frozen=True)
class _Move:
    status: str
    at: datetime
    actor: _Actor
    note: str = ""


ONE_C = _Actor(SYSTEM.kind, SYSTEM.name, SYSTEM.department)
T = TypeVar("T")


def _weighted(rng: Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), list(weights.values()))[0]


def _order_moment(rng: Random, now: datetime, channel: str) -> datetime:
    """When an order came in: busier lately (more customers order online), quiet on Sundays."""
    while True:
        days_ago = int(HISTORY_DAYS * (1 - rng.random() ** 0.8))
        day = (now - timedelta(days=days_ago)).astimezone(KYIV).date()
        if day.weekday() == 6 and rng.random() < 0.7:
            continue
        hour = _weighted(rng, HOUR_WEIGHTS)
        if channel != "portal" and hour not in STAFF_HOURS:
            continue
        moment = datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)), KYIV)
        if moment <= now:
            return moment.astimezone(timezone.utc)


def _during_work(rng: Random, moment: datetime) -> datetime:
    """Staff and the warehouse act in working hours: a move due at night happens next morning."""
    local = moment.astimezone(KYIV)
    if 8 <= local.hour < 19:
        return moment
    day = local.date() if local.hour < 8 else local.date() + timedelta(days=1)
    morning = datetime.combine(day, time(8, 30), KYIV) + timedelta(minutes=rng.randint(0, 90))
    return morning.astimezone(timezone.utc)


def _timeline(
    rng: Random, created: datetime, submitter: _Actor, manager: _Actor, ship_on: date | None
) -> list[_Move]:
    """Every move the order will make, some of them maybe still in the future."""
    moves = [_Move(states.SUBMITTED, created, submitter)]
    cancel_after = rng.choice((states.SUBMITTED, states.CONFIRMED)) if rng.random() < CANCELLED_SHARE else None
    steps = (
        (states.CONFIRMED, (15, 300), manager),
        (states.ASSEMBLING, (60, 480), ONE_C),
        (states.SHIPPED, (120, 600), ONE_C),
        (states.DELIVERED, (60, 480), ONE_C),
    )
    for status, (least, most), actor in steps:
        last = moves[-1]
        if last.status == cancel_after:
            by = submitter if last.status == states.SUBMITTED else manager
            at = last.at + timedelta(minutes=rng.randint(15, 240))
            moves.append(_Move(states.CANCELLED, at, by, rng.choice(CANCEL_NOTES)))
            break
        at = _during_work(rng, last.at + timedelta(minutes=rng.randint(least, most)))
        if status == states.SHIPPED and ship_on is not None:
            # The truck leaves on the day the customer asked for, not before.
            departure = datetime.combine(ship_on, time(7), KYIV) + timedelta(minutes=rng.randint(0, 120))
            at = max(at, departure.astimezone(timezone.utc))
        moves.append(_Move(status, at, actor))
    return moves


def _favourites(rng: Random, company: DemoCompany, by_category: dict[str, list[DemoProduct]]) -> list[DemoProduct]:
    """The few dozen products a venue orders again and again."""
    pool = [p for prefix in SHOPPING_LISTS.get(company.venue_kind, ALL_CATEGORIES) for p in by_category[prefix]]
    return rng.sample(pool, min(len(pool), rng.randint(30, 90)))


def _lines(
    rng: Random, company: DemoCompany, favourites: list[DemoProduct], everything: list[DemoProduct]
) -> list[dict]:
    fewest, most, usual = LINES_PER_ORDER
    wanted = min(most, int(rng.triangular(fewest, most + 1, usual)))
    chosen: dict[int, DemoProduct] = {}
    while len(chosen) < min(wanted, len(everything)):
        product = rng.choice(favourites if favourites and rng.random() < FROM_FAVOURITES_SHARE else everything)
        chosen[product.id] = product
    lines = []
    for product in chosen.values():
        # Already whole packs, as snap_to_pack would make them.
        quantity = product.pack_multiple * _weighted(rng, PACKS_WEIGHTS)
        price = product.price_by_type[company.price_type_id]
        lines.append({
            "product_id": product.id,
            "sku": product.sku,
            "name": product.name,
            "unit": product.unit,
            "quantity": quantity,
            "price": price,
            "vat_rate": product.vat_rate,
            "amount": money(price * quantity),
        })
    return lines


def seed_orders(
    session: Session,
    rng: Random,
    *,
    count: int,
    companies: list[DemoCompany],
    catalog: DemoCatalog,
    staff_names: dict[int, str],
    now: datetime,
    showcase: DemoCompany | None = None,
) -> None:
    """`showcase` gets some of the latest orders, so its portal shows open ones next to delivered."""
    orderable = [p for p in catalog.products if p.is_active]
    by_category: dict[str, list[DemoProduct]] = {prefix: [] for prefix in ALL_CATEGORIES}
    for product in orderable:
        by_category[product.top_category].append(product)
    favourites = {company.id: _favourites(rng, company, by_category) for company in companies}

    channels = [_weighted(rng, CHANNEL_WEIGHTS) for _ in range(count)]
    arrivals = sorted((_order_moment(rng, now, channel), channel) for channel in channels)
    chosen_companies = rng.choices(companies, [c.order_weight for c in companies], k=count)
    if showcase is not None:
        for position in SHOWCASE_POSITIONS:
            if position <= count:
                chosen_companies[-position] = showcase

    order_rows: list[dict] = []
    lines_of_order: list[list[dict]] = []
    moves_of_order: list[list[_Move]] = []
    for (created, channel), company in zip(arrivals, chosen_companies):
        manager = _Actor("staff", staff_names[company.manager_id], "sales")
        user_id, user_name = rng.choice(company.orderers)
        by_portal = channel == "portal"
        submitter = _Actor("customer", user_name, "customer") if by_portal else manager
        desired = None
        if rng.random() < DESIRED_DATE_SHARE:
            desired = created.astimezone(KYIV).date() + timedelta(days=rng.randint(1, 2))
        moves = [move for move in _timeline(rng, created, submitter, manager, desired) if move.at <= now]
        lines = _lines(rng, company, favourites[company.id], orderable)
        order_rows.append({
            "company_id": company.id,
            "status": moves[-1].status,
            "channel": channel,
            "idempotency_key": uuid.UUID(int=rng.getrandbits(128)).hex,
            "created_by_user_id": user_id if by_portal else None,
            "created_by_staff_id": None if by_portal else company.manager_id,
            "manager_id": company.manager_id,
            "delivery_point_id": rng.choice(company.delivery_point_ids),
            "desired_date": desired,
            "comment": rng.choice(ORDER_COMMENTS) if rng.random() < COMMENT_SHARE else "",
            "total": sum((line["amount"] for line in lines), ZERO),
            "vat_total": sum((vat_included(line["amount"], line["vat_rate"]) for line in lines), ZERO),
            "created_at": created,
            "updated_at": moves[-1].at,
        })
        lines_of_order.append(lines)
        moves_of_order.append(moves)

    order_ids = insert_returning_ids(session, Order, order_rows)
    insert_rows(session, OrderLine, [
        {**line, "order_id": order_id} for order_id, lines in zip(order_ids, lines_of_order) for line in lines
    ])
    insert_rows(session, OrderStatusChange, [
        _history_row(order_id, previous, move)
        for order_id, moves in zip(order_ids, moves_of_order)
        for previous, move in zip([None, *moves], moves)
    ])


def _history_row(order_id: int, previous: _Move | None, move: _Move) -> dict:
    from_status = previous.status if previous else None
    states.check_transition(from_status, move.status, move.actor.kind)
    return {
        "order_id": order_id,
        "from_status": from_status,
        "to_status": move.status,
        "at": move.at,
        "actor_kind": move.actor.kind,
        "actor_name": move.actor.name,
        "department": move.actor.department,
        "note": move.note,
    }


def fill_cart(session: Session, rng: Random, email: str, catalog: DemoCatalog, items: int = 5) -> None:
    """A half-made order waiting in a customer's cart, put there the way the portal does it."""
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        return
    orderable = [p for p in catalog.products if p.is_active]
    lines = [(p.id, p.pack_multiple * rng.randint(1, 3)) for p in rng.sample(orderable, min(items, len(orderable)))]
    cart.add_lines(session, user, lines)
