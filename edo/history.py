"""A contract's history: one row per step, with who (staff) and why."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.staff.models import StaffUser
from edo.models import HISTORY_ACTIONS, Contract, ContractEvent


def record(session: Session, contract: Contract, action: str, staff_user: StaffUser | None = None,
           comment: str = "") -> ContractEvent:
    if action not in HISTORY_ACTIONS:
        raise ValueError(f"unknown contract history action {action!r}")
    event = ContractEvent(contract=contract, action=action, staff_user=staff_user, comment=comment)
    session.add(event)
    return event
