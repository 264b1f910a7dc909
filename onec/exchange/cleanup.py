"""The exchange's leftovers swept on a schedule: a checkauth sweeps some expired sessions
too, but when 1C stops calling, a 2 GB package of its last session would stay on disk."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.jobs import periodic
from onec.exchange.sessions import SWEEP, sweep_expired, sweep_orphan_folders


@periodic("onec.exchange_sweep", every_seconds=900)
def exchange_sweep_job(session: Session) -> dict[str, int]:
    expired = 0
    while True:  # in batches, each committed: a long backlog never holds one long transaction
        swept = sweep_expired(session)
        session.commit()
        expired += swept
        if swept < SWEEP:
            break
    orphans = sweep_orphan_folders(session)
    session.commit()
    return {"expired": expired, "orphan_folders": orphans}
