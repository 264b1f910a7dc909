"""What the order history shares with the feature that plays its money (payments' demo
step, `Feature.demo`): the order as that side sees it, and what the side must answer.
Without such a feature the history has no money: no credit check, no invoice, and no
release for shipment, so confirmed orders wait (core.orders.services.change_status)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from random import Random
from typing import Any, Protocol

from sqlalchemy.orm import Session

from core.clock import KYIV
from core.reasons import Reason
from core.staff.models import StaffUser
from demo.customers import DemoCompany

# Outcomes of waiting for a payment.
LATER = "later"  # it will be paid, but not yet
NEVER = "never"  # it will not be paid


def kyiv_day(moment: datetime) -> date:
    return moment.astimezone(KYIV).date()


def at_kyiv(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), KYIV).astimezone(timezone.utc)


@dataclass(eq=False)
class OrderMoney:
    """An order as the money side sees it."""

    company: DemoCompany
    total: Decimal
    vat_total: Decimal
    submitted_at: datetime
    flags: frozenset[str]
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    released_at: datetime | None = None
    release_note: str = ""  # "{}" stands for release_invoice's number
    release_invoice: Any = None  # what the note names: anything with a `number`
    invoices: list[Any] = field(default_factory=list)
    settled_at: datetime | None = None  # from then on it owes nothing and never will
    id: int = 0


@dataclass(frozen=True)
class DemoBuild:
    """What a feature's demo step is given: the demo built so far, before the history."""

    session: Session
    rng: Random
    now: datetime
    companies: list[DemoCompany]
    staff: list[StaffUser]
    reliable: frozenset[DemoCompany]


class MoneySide(Protocol):
    """The money played beside each order, in the order the orders came in."""

    def size_credit_limits(self, session: Session, orders: dict[int, list[Decimal]], days: int) -> None: ...
    def submitted(self, order: OrderMoney) -> None: ...
    def breach(self, order: OrderMoney) -> Reason | None: ...
    def oldest_overdue_days(self, order: OrderMoney) -> int: ...
    def needs_head_of_sales(self, order: OrderMoney) -> bool: ...
    def cancel(self, order: OrderMoney, at: datetime, actor: str) -> None: ...
    # The first invoice (None: nothing is invoiced); deferred terms set `released_at` at once.
    def issue_by_terms(self, order: OrderMoney, at: datetime) -> Any: ...
    # A prepayment or advance invoice: when it was paid, or LATER / NEVER.
    def collect_first(self, invoice: Any) -> datetime | str: ...
    def collect_deferred(self, invoice: Any) -> None: ...
    def collect_remainder(self, order: OrderMoney, delivered_at: datetime | None) -> None: ...
    def settle(self, order: OrderMoney) -> None: ...
    def finish(self) -> None: ...
    def write(self, session: Session) -> None: ...
    def counts(self, session: Session, today: date) -> dict[str, int]: ...


class NoMoney:
    """The money side of a product without payments: none."""

    def size_credit_limits(self, session: Session, orders: dict[int, list[Decimal]], days: int) -> None:
        pass

    def submitted(self, order: OrderMoney) -> None:
        pass

    def breach(self, order: OrderMoney) -> Reason | None:
        return None

    def oldest_overdue_days(self, order: OrderMoney) -> int:
        return 0

    def needs_head_of_sales(self, order: OrderMoney) -> bool:
        return False

    def cancel(self, order: OrderMoney, at: datetime, actor: str) -> None:
        order.cancelled_at = at

    def issue_by_terms(self, order: OrderMoney, at: datetime) -> None:
        return None  # and so nothing is ever collected

    def settle(self, order: OrderMoney) -> None:
        pass

    def finish(self) -> None:
        pass

    def write(self, session: Session) -> None:
        pass

    def counts(self, session: Session, today: date) -> dict[str, int]:
        return {}
