"""What 1C did with the portal's orders (GetOrderStatuses from a cursor, and shipments
among its documents), walked onto the orders by onec/order_moves.py."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.orders import states
from core.orders.models import Order
from onec.importer.common import Tally
from onec.order_moves import move_to
from onec.pull.offers import items
from onec.push import ORDER, portal_id

# 1C's status -> the step it means.
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
        moved = move_to(session, order, target, f"1С: {item.Status}, документ {item.Number}", tally, ref=item.PortalId)
        if moved is True:
            tally.updated += 1
        elif moved is False:
            tally.unchanged += 1
