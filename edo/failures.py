"""What a failed send leaves on the contract, although the failure rolls the send back.

The outbox runs each handler in a savepoint and rolls it back when the handler raises
(core/outbox.py deliver), so a note written there would vanish with it. The failure is
kept instead (core.outbox.keep_after_rollback) and written just before the relay commits
the event's outcome: staff see the contract's last error, and its history a final failure.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.outbox import keep_after_rollback
from edo.models import Contract, ContractEvent


def keep_failure(session: Session, contract_id: int, error: str, *, final: bool) -> None:
    def write(kept: Session) -> None:
        kept.execute(update(Contract).where(Contract.id == contract_id).values(last_error=error))
        if final:
            kept.add(ContractEvent(contract_id=contract_id, action="upload_failed", comment=error))

    keep_after_rollback(session, write)
