"""What a failed send leaves on the contract, although the failure rolls the send back.

The outbox runs each handler in a savepoint and rolls it back when the handler raises
(core/outbox.py deliver), so a note written there would vanish with it. The failure is
kept in the session's info instead and written just before the relay commits the
event's outcome: staff see the contract's last error, and its history a final failure.
"""
from __future__ import annotations

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from edo.models import Contract, ContractEvent

_KEPT = "edo_failed_sends"


def keep_failure(session: Session, contract_id: int, error: str, *, final: bool) -> None:
    session.info.setdefault(_KEPT, []).append((contract_id, error, final))


@event.listens_for(Session, "before_commit")
def _write_kept_failures(session: Session) -> None:
    for contract_id, error, final in session.info.pop(_KEPT, ()):
        session.execute(update(Contract).where(Contract.id == contract_id).values(last_error=error))
        if final:
            session.add(ContractEvent(contract_id=contract_id, action="upload_failed", comment=error))


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_full_rollback(session: Session, previous_transaction: object) -> None:
    # A savepoint's rollback is the failure being kept; the whole transaction's is not.
    if session.get_transaction() is None:
        session.info.pop(_KEPT, None)
