"""What 1C did with the portal's orders (GetOrderStatuses from a cursor, and shipments
among its documents) moved onto the orders through the kernel's `change_status`, along
the transition table: the portal's order walks the steps 1C's took, one by one."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.errors import DomainError
from core.orders import states
from core.orders.models import Order
from core.orders.services import SYSTEM, change_status
from onec.importer.common import Tally
from onec.pull.offers import items
from onec.push import ORDER, portal_id

# The steps an order goes through, in order; 1C's status -> the step it means.
PATH = (states.SUBMITTED, states.CONFIRMED, states.ASSEMBLING, states.SHIPPED, states.DELIVERED)
STEP_OF_STATUS = {
    "confirmed": states.CONFIRMED, "assembling": states.ASSEMBLING, "shipped": states.SHIPPED,
    "closed": states.DELIVERED, "cancelled": states.CANCELLED,
}


def posted_id(pid: str | None, kind: str) -> int | None:
    """The portal's own id in a PortalId the push posted ("order-42"), else None."""
    head, _, tail = (pid or "").rpartition("-")
    if head != kind or not tail.isdigit() or portal_id(kind, int(tail)) != pid:
        return None
    return int(tail)


def order_of(session: Session, pid: str | None) -> Order | None:
    """Our order by the PortalId it was posted under; None for anything else."""
    found = posted_id(pid, ORDER)
    return session.get(Order, found) if found is not None else None


def apply_order_states(session: Session, page: Any, tally: Tally) -> None:
    for item in items(page, "Order"):
        order = order_of(session, item.PortalId)
        if order is None:
            tally.skip(item.PortalId, "unknown_order", "no portal order with this PortalId")
            continue
        target = STEP_OF_STATUS.get(item.Status)
        if target is None:  # accepted: 1C has it, nothing moved yet
            tally.unchanged += 1
            continue
        note = f"1С: {item.Status}, документ {item.Number}"
        if move_to(session, order, target, note, tally, ref=item.PortalId):
            tally.updated += 1
        else:
            tally.unchanged += 1


def move_to(session: Session, order: Order, target: str, note: str, tally: Tally, *, ref: str) -> bool:
    """Walk the order to `target` through each step the table allows 1C ("system"); what
    cannot be done (an order held for a manager, not paid by its terms, cancelled) is
    skipped with the reason and the order stays where it got. True when it moved."""
    if order.status == target:
        return False
    if order.status == states.ON_HOLD:
        # The credit hold is the portal's manager's decision, not 1C's.
        tally.skip(ref, "order_on_hold", f"order {order.id} waits for a manager (credit hold)")
        return False
    if target == states.CANCELLED:
        steps = [states.CANCELLED]
    elif order.status in PATH and PATH.index(order.status) < PATH.index(target):
        steps = list(PATH[PATH.index(order.status) + 1:PATH.index(target) + 1])
    else:
        # Already past it (1C reports an older state) or cancelled: nothing to walk.
        return False
    moved = False
    for step in steps:
        if not states.allowed(order.status, step, SYSTEM.kind):
            tally.skip(ref, "status_not_allowed", f"order {order.id}: {order.status} -> {step} is not allowed")
            return moved
        try:
            # A refusal (not paid by its terms, a hook's rule) leaves the order as it was.
            with session.begin_nested():
                change_status(session, order, step, SYSTEM, note)
        except DomainError as error:
            session.refresh(order)
            tally.skip(ref, "order_not_released", f"order {order.id}: {error.message}")
            return moved
        moved = True
    return moved
