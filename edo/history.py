"""A contract's history: one row per step, the one function every step writes it with."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.staff.models import StaffUser
from edo.models import HISTORY_ACTIONS, Contract, ContractEvent


def record(session: Session, contract: Contract, action: str, staff_user: StaffUser | None = None,
           comment: str = "") -> ContractEvent:
    """Add a step; `staff_user` is None for what Vchasno and the jobs do."""
    if action not in HISTORY_ACTIONS:
        raise ValueError(f"unknown contract history action {action!r}")
    step = ContractEvent(action=action, staff_user_id=staff_user.id if staff_user else None, comment=comment)
    contract.history.append(step)
    session.flush()
    return step
