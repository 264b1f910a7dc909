"""The order status machine: every allowed move, and who may make it."""
from __future__ import annotations

SUBMITTED = "submitted"
ON_HOLD = "on_hold"  # over the credit limit or with overdue debt: a manager decides
CONFIRMED = "confirmed"
ASSEMBLING = "assembling"
SHIPPED = "shipped"
DELIVERED = "delivered"
CANCELLED = "cancelled"

STATUSES = (SUBMITTED, ON_HOLD, CONFIRMED, ASSEMBLING, SHIPPED, DELIVERED, CANCELLED)
OPEN_STATUSES = (SUBMITTED, ON_HOLD, CONFIRMED, ASSEMBLING, SHIPPED)

# (from, to) -> actor kinds allowed to make the move. "customer" may only cancel
# an order nobody has confirmed yet; later moves belong to staff or 1C ("system").
# Assembling also needs the order released for shipment (see services.change_status).
TRANSITIONS: dict[tuple[str | None, str], frozenset[str]] = {
    (None, SUBMITTED): frozenset({"customer", "staff", "system"}),
    (SUBMITTED, CONFIRMED): frozenset({"staff", "system"}),
    (SUBMITTED, CANCELLED): frozenset({"customer", "staff", "system"}),
    (SUBMITTED, ON_HOLD): frozenset({"system"}),
    # Releasing a hold is a manager's decision to take the order: it confirms it. The
    # system releases an order held only for overdue debt once that debt is paid.
    (ON_HOLD, CONFIRMED): frozenset({"staff", "system"}),
    (ON_HOLD, CANCELLED): frozenset({"customer", "staff"}),
    (CONFIRMED, ASSEMBLING): frozenset({"staff", "system"}),
    (CONFIRMED, CANCELLED): frozenset({"staff", "system"}),
    (ASSEMBLING, SHIPPED): frozenset({"staff", "system"}),
    (ASSEMBLING, CANCELLED): frozenset({"staff", "system"}),
    (SHIPPED, DELIVERED): frozenset({"staff", "system"}),
}

# The outbox topic each status raises.
EVENT_OF_STATUS = {status: f"order.{status}" for status in STATUSES}


class TransitionNotAllowed(Exception):
    def __init__(self, current: str | None, target: str, actor_kind: str) -> None:
        super().__init__(f"{actor_kind} cannot move an order from {current} to {target}")
        self.current, self.target, self.actor_kind = current, target, actor_kind


def next_statuses(current: str, actor_kind: str) -> list[str]:
    return [to for (frm, to), actors in TRANSITIONS.items() if frm == current and actor_kind in actors]


def allowed(current: str | None, target: str, actor_kind: str) -> bool:
    return actor_kind in TRANSITIONS.get((current, target), frozenset())


def check_transition(current: str | None, target: str, actor_kind: str) -> None:
    if not allowed(current, target, actor_kind):
        raise TransitionNotAllowed(current, target, actor_kind)
