"""Order history: six months of orders, each in the status its age implies, with the
money that went with them (the money side a feature brings: payments/demo.py).

Going through submit_order and change_status costs a dozen flushes and an outbox
event per order and move: 3,000 orders took 45 s on SQLite and 100 s on PostgreSQL
that way. So the history is built as rows
and inserted in bulk, priced by submit_order's own functions (line_amount,
order_totals; whole packs, as snap_to_pack makes them), and every move is checked
against the order state machine. The orders are played in the
order they came in, so the credit check at submit sees the company's debt of that
moment: a breach puts the order on hold, and a manager decides later as decide_hold
does. Prepayment and advance orders wait for their invoice to be paid before they are
assembled. History raises no outbox events: its messages, invoices and 1C pushes
belong to the past.
"""
from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from random import Random
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.bulk import insert_keyed, insert_rows
from core.clock import KYIV
from core.customers.models import User
from demo.catalog import DemoCatalog, DemoProduct
from demo.customers import DemoCompany
from demo.history import LATER, NEVER, DemoBuild, MoneySide, NoMoney, OrderMoney, at_kyiv
from demo.vocabulary import ORDER_COMMENTS
from core.orders import cart, states
from core.orders.models import Order, OrderLine, OrderStatusChange
from core.orders.services import CREDIT_CONTROL, FINANCE, SYSTEM, Actor, line_amount, order_totals
from core.reasons import Reason
from core.staff.models import StaffUser

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
CANCEL_NOTES = (
    "Клієнт передумав.",
    "Замовлення-дубль.",
    "Немає потрібної кількості на складі.",
    "Клієнт оформив нове замовлення замість цього.",
)
UNPAID_CANCEL_NOTE = "Оплата за рахунком не надійшла в строк."
# What a manager writes when releasing a credit hold, or refusing it (decide_hold).
RELEASE_NOTES = (
    "Клієнт підтвердив оплату боргу цього тижня.",
    "Постійний клієнт, відвантаження погоджено.",
    "Клієнт надіслав платіжку, гроші в дорозі.",
    "Погоджено з керівником: борг закриють до кінця місяця.",
    "Ліміт тимчасово перевищено через сезон, клієнт надійний.",
)
REFUSE_NOTES = (
    "Спершу погашення заборгованості.",
    "Клієнт не відповідає, борг не погашено.",
    "Відвантаження після оплати простроченого рахунку.",
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
class _Move:
    status: str
    at: datetime
    actor: Actor
    note: str = ""
    # The payment terms are met (release_for_shipment): a history row without a status change.
    release: bool = False
    invoice: Any = None  # the note names its number where it says "{}"
    reason: Reason | None = None  # a system hold's reason as a code (core.reasons); the note is its sentence


T = TypeVar("T")


@dataclass(frozen=True)
class Showcase:
    """An order of a well-known company placed about `days_ago` days before now (and within
    `within`, or not at all); flags: "unpaid" (its invoice stays unpaid and falls overdue),
    "pay_later" (not paid yet)."""

    company: DemoCompany
    days_ago: float
    flags: frozenset[str] = frozenset()
    within: tuple[float, float] = (0, HISTORY_DAYS)


@dataclass(eq=False)
class _Draft:
    company: DemoCompany
    created: datetime
    channel: str
    submitter: Actor
    manager: Actor
    desired: date | None
    lines: list[dict]
    row: dict
    money: OrderMoney
    flags: frozenset[str] = field(default_factory=frozenset)


_CUMULATIVE: dict[tuple, tuple[list, list[int]]] = {}


def _weighted(rng: Random, weights: dict[T, int]) -> T:
    """rng.choices by weight, with the running sums of each set of weights kept: the same
    draws, without adding the weights up again on every one of some 40,000 calls."""
    key = tuple(weights.items())
    found = _CUMULATIVE.get(key)
    if found is None:
        found = _CUMULATIVE[key] = (list(weights), list(itertools.accumulate(weights.values())))
    return rng.choices(found[0], cum_weights=found[1])[0]


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
            "amount": line_amount(price, quantity),
        })
    return lines


class _Play:
    """One order's life from submit to delivery, with its invoices and payments, cut at `now`."""

    def __init__(self, rng: Random, ledger: MoneySide, now: datetime, head_of_sales: Actor) -> None:
        self.rng = rng
        self.ledger = ledger
        self.now = now
        self.head_of_sales = head_of_sales

    def __call__(self, draft: _Draft) -> list[_Move]:
        rng, ledger, order = self.rng, self.ledger, draft.money
        moves: list[_Move] = []

        def happen(move: _Move) -> bool:
            if move.at > self.now:
                return False
            moves.append(move)
            return True

        def cancel(at: datetime, actor: Actor, note: str) -> None:
            if happen(_Move(states.CANCELLED, at, actor, note)):
                ledger.cancel(order, at, actor.name)

        happen(_Move(states.SUBMITTED, draft.created, draft.submitter))
        showcase = "showcase" in draft.flags
        reason = ledger.breach(order)
        cancel_after = None
        if reason:
            # payments.receivables: the order waits for a manager instead of being refused.
            happen(_Move(states.ON_HOLD, draft.created, CREDIT_CONTROL, reason.text, reason=reason))
            decided = _during_work(rng, draft.created + timedelta(minutes=rng.randint(20, 480)))
            if rng.random() < 0.5:  # the manager first gives the customer a day or three to pay
                decided = _during_work(rng, decided + timedelta(days=rng.randint(1, 3)))
            likely = 0.85 if ledger.oldest_overdue_days(order) <= 30 else 0.45
            if not showcase and rng.random() >= likely:
                cancel(decided, draft.manager, rng.choice(REFUSE_NOTES))
                return moves
            decider = self.head_of_sales if ledger.needs_head_of_sales(order) else draft.manager
            confirm = _Move(states.CONFIRMED, decided, decider, rng.choice(RELEASE_NOTES))
        else:
            if not showcase and rng.random() < CANCELLED_SHARE:
                cancel_after = rng.choice((states.SUBMITTED, states.CONFIRMED))
            if cancel_after == states.SUBMITTED:
                at = draft.created + timedelta(minutes=rng.randint(15, 240))
                cancel(at, draft.submitter, rng.choice(CANCEL_NOTES))
                return moves
            at = _during_work(rng, draft.created + timedelta(minutes=rng.randint(15, 300)))
            confirm = _Move(states.CONFIRMED, at, draft.manager)
        if not happen(confirm):
            return moves

        # payments.invoices: confirming issues the invoice; deferred terms release at once.
        order.confirmed_at = confirm.at
        first = ledger.issue_by_terms(order, confirm.at)
        if order.released_at is not None:
            moves.append(_Move(states.CONFIRMED, confirm.at, FINANCE, order.release_note, release=True))
        if cancel_after == states.CONFIRMED:
            cancel(confirm.at + timedelta(minutes=rng.randint(15, 240)), draft.manager, rng.choice(CANCEL_NOTES))
            return moves
        if first is None:  # no money side: nothing releases the order for assembly
            return moves

        if order.released_at is None:  # prepayment or advance: nothing is assembled before the money
            paid = ledger.collect_first(first)
            if paid == NEVER:
                chase = at_kyiv(first.due_on + timedelta(days=rng.randint(1, 3)), 10, rng.randint(0, 59))
                cancel(_during_work(rng, chase), draft.manager, UNPAID_CANCEL_NOTE)
                return moves
            if paid == LATER:
                return moves
            assert isinstance(paid, datetime) and order.released_at == paid
            moves.append(_Move(states.CONFIRMED, paid, FINANCE, order.release_note, release=True,
                               invoice=order.release_invoice))
            ready = paid
        else:
            ledger.collect_deferred(first)
            ready = confirm.at

        delivered = self._ship(draft, ready, happen)
        ledger.collect_remainder(order, delivered)
        return moves

    def _ship(self, draft: _Draft, ready: datetime, happen: Callable[[_Move], bool]) -> datetime | None:
        """1C assembles, ships (on the day the customer asked for, not before) and delivers."""
        rng = self.rng
        last = ready
        steps = ((states.ASSEMBLING, (60, 480)), (states.SHIPPED, (120, 600)), (states.DELIVERED, (60, 480)))
        for status, (least, most) in steps:
            at = _during_work(rng, last + timedelta(minutes=rng.randint(least, most)))
            if status == states.SHIPPED and draft.desired is not None:
                departure = datetime.combine(draft.desired, time(7), KYIV) + timedelta(minutes=rng.randint(0, 120))
                at = max(at, departure.astimezone(timezone.utc))
            if not happen(_Move(status, at, SYSTEM)):
                return None
            last = at
        return last


def _assign_showcase(rng: Random, arrivals: list[tuple[datetime, str]], companies: list[DemoCompany],
                     showcase: Sequence[Showcase], now: datetime) -> list[frozenset[str]]:
    """Give each showcase the order that came in nearest to its moment."""
    flags = [frozenset[str]()] * len(arrivals)
    taken: set[int] = set()
    for wanted in showcase:
        target = now - timedelta(days=wanted.days_ago)
        newest, oldest = (now - timedelta(days=days) for days in wanted.within)
        free = [i for i in range(len(arrivals)) if i not in taken and oldest <= arrivals[i][0] <= newest]
        if not free:
            continue
        best = min(free, key=lambda i: abs(arrivals[i][0] - target))
        taken.add(best)
        companies[best] = wanted.company
        flags[best] = frozenset({"showcase", *wanted.flags})
    return flags


def seed_orders(
    session: Session,
    rng: Random,
    *,
    count: int,
    companies: list[DemoCompany],
    catalog: DemoCatalog,
    staff: list[StaffUser],
    now: datetime,
    showcase: Sequence[Showcase] = (),
    reliable: Sequence[DemoCompany] = (),
    money_side: Callable[[DemoBuild], MoneySide] | None = None,
) -> MoneySide:
    """`showcase` orders make the well-known companies show what the demo script shows;
    `reliable` companies keep their credit limits and always pay (unless a showcase says otherwise);
    `money_side` (a feature's demo step) plays the money beside each order, if any."""
    orderable = [p for p in catalog.products if p.is_active]
    by_category: dict[str, list[DemoProduct]] = {prefix: [] for prefix in ALL_CATEGORIES}
    for product in orderable:
        by_category[product.top_category].append(product)
    favourites = {company.id: _favourites(rng, company, by_category) for company in companies}
    staff_by_id = {person.id: person for person in staff}
    head = next(p for p in staff if p.role == "head_of_sales")
    build = DemoBuild(session, rng, now, companies, staff, frozenset(reliable))
    ledger = money_side(build) if money_side else NoMoney()

    channels = [_weighted(rng, CHANNEL_WEIGHTS) for _ in range(count)]
    arrivals = sorted((_order_moment(rng, now, channel), channel) for channel in channels)
    chosen_companies = rng.choices(companies, [c.order_weight for c in companies], k=count)
    flags_of = _assign_showcase(rng, arrivals, chosen_companies, showcase, now)

    drafts: list[_Draft] = []
    for (created, channel), company, flags in zip(arrivals, chosen_companies, flags_of):
        manager = Actor.of(staff_by_id[company.manager_id])
        user_id, user_name = rng.choice(company.orderers)
        by_portal = channel == "portal"
        submitter = Actor("customer", user_name, "customer", user_id=user_id) if by_portal else manager
        desired = None
        if rng.random() < DESIRED_DATE_SHARE:
            desired = created.astimezone(KYIV).date() + timedelta(days=rng.randint(1, 2))
        lines = _lines(rng, company, favourites[company.id], orderable)
        total, vat_total = order_totals((line["amount"], line["vat_rate"]) for line in lines)
        row = {
            "company_id": company.id,
            "channel": channel,
            "idempotency_key": uuid.UUID(int=rng.getrandbits(128)).hex,
            "created_by_user_id": user_id if by_portal else None,
            "created_by_staff_id": None if by_portal else company.manager_id,
            "manager_id": company.manager_id,
            "delivery_point_id": rng.choice(company.delivery_point_ids),
            "desired_date": desired,
            "comment": rng.choice(ORDER_COMMENTS) if rng.random() < COMMENT_SHARE else "",
            "total": total,
            "vat_total": vat_total,
            "created_at": created,
        }
        drafts.append(_Draft(company, created, channel, submitter, manager, desired, lines, row,
                             OrderMoney(company, total, vat_total, created, flags), flags))

    totals: dict[int, list[Decimal]] = {}
    for draft in drafts:
        totals.setdefault(draft.company.id, []).append(draft.money.total)
    ledger.size_credit_limits(session, totals, HISTORY_DAYS)

    play = _Play(rng, ledger, now, Actor.of(head))
    moves_of_order: list[list[_Move]] = []
    for draft in drafts:  # in the order they came in: each credit check sees the debt of its moment
        ledger.submitted(draft.money)
        moves_of_order.append(play(draft))
        ledger.settle(draft.money)
    ledger.finish()

    order_rows = []
    for draft, moves in zip(drafts, moves_of_order):
        last = moves[-1]
        order_rows.append({**draft.row, "status": last.status, "updated_at": last.at,
                           "released_at": draft.money.released_at})
    order_ids = insert_keyed(session, Order, order_rows, ("company_id", "idempotency_key"))
    for draft, order_id in zip(drafts, order_ids):
        draft.money.id = order_id
    insert_rows(session, OrderLine, [
        {**line, "order_id": order_id} for order_id, draft in zip(order_ids, drafts) for line in draft.lines
    ])
    insert_rows(session, OrderStatusChange, [
        _history_row(order_id, previous, move)
        for order_id, moves in zip(order_ids, moves_of_order)
        for previous, move in zip([None, *_statuses(moves)], moves)
    ])
    ledger.write(session)
    return ledger


def _statuses(moves: list[_Move]) -> list[str]:
    return [move.status for move in moves]


def _history_row(order_id: int, previous: str | None, move: _Move) -> dict:
    if move.release:
        if previous != move.status:
            raise ValueError(f"order {order_id}: a release row must keep the status {previous}")
    else:
        states.check_transition(previous, move.status, move.actor.kind)
    return {
        "order_id": order_id,
        "from_status": previous,
        "to_status": move.status,
        "at": move.at,
        "actor_kind": move.actor.kind,
        "actor_name": move.actor.name,
        "department": move.actor.department,
        "note": move.note.format(move.invoice.number) if move.invoice else move.note,
        "reason_code": move.reason.code if move.reason else "",
        "reason_params": move.reason.params if move.reason else None,
    }


def fill_cart(session: Session, rng: Random, email: str, catalog: DemoCatalog, items: int = 5) -> None:
    """A half-made order waiting in a customer's cart, put there the way the portal does it."""
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        return
    orderable = [p for p in catalog.products if p.is_active]
    lines = [(p.id, p.pack_multiple * rng.randint(1, 3)) for p in rng.sample(orderable, min(items, len(orderable)))]
    cart.add_lines(session, user, lines)
