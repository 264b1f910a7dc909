"""What 1C did with a portal order, moved onto it through the kernel's `change_status`
along the transition table, the one way both ways in use: the web service's pulled order
states and shipments (onec/pull) and the CommerceML sale file (onec/exchange)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import DomainError
from core.orders import states
from core.orders.models import Order
from core.orders.services import SYSTEM, change_status
from onec.importer.common import Tally

# The steps an order goes through, in order.
PATH = (states.SUBMITTED, states.CONFIRMED, states.ASSEMBLING, states.SHIPPED, states.DELIVERED)


def move_to(session: Session, order: Order, target: str, note: str, tally: Tally, *, ref: str) -> bool | None:
    """Walk the order to `target` through each step the table allows 1C (the system actor);
    what cannot be done (an order held for a manager, not paid by its terms, cancelled) is
    skipped with the reason and the order stays where it got. News older than the order's
    state (1C says confirmed of a shipped order) changes nothing. True when it moved (if
    only part of the way, the step it stopped at is skipped too), False when there was
    nothing to do, None when it could not move at all."""
    if order.status == target:
        return False
    if order.status == states.ON_HOLD:
        # The credit hold is the portal's manager's decision, not 1C's.
        tally.skip(ref, "order_on_hold", f"order {order.id} waits for a manager (credit hold)")
        return None
    if target == states.CANCELLED or order.status not in PATH or target not in PATH:
        steps = [target]
    elif PATH.index(target) < PATH.index(order.status):
        return False
    else:
        steps = list(PATH[PATH.index(order.status) + 1:PATH.index(target) + 1])
    moved: bool | None = None
    for step in steps:
        if not states.allowed(order.status, step, SYSTEM.kind):
            tally.skip(ref, "status_not_allowed", f"order {order.id}: {order.status} -> {step} is not allowed")
            return moved
        try:
            # A refusal (not paid by its terms, a hook's rule) undoes its own writes only.
            with session.begin_nested():
                change_status(session, order, step, SYSTEM, note)
        except DomainError as error:
            session.refresh(order)
            tally.skip(ref, "order_not_released", f"order {order.id}: {error.message}")
            return moved
        moved = True
    return moved
