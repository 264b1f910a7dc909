"""Vchasno has no webhooks: the contracts with the customer are asked about, 500 ids a
call (POST /api/v2/documents/statuses), every EDO_POLL_SECONDS and by `flask edo-poll`.

7008 fully signed: the signed original and the signature container are stored (with
their sha256) once and never replaced, the contract is "signed" and `contract.signed`
raised; 7006 rejected: "rejected" with the customer's reason from the document's
comments, `contract.rejected`; 7011 annulled: "annulled", `contract.annulled`. Any other
code is only noted. Each contract's change commits on its own, so one that fails (a
download refused) is asked about again next time and does not hold up the others.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import KYIV, utcnow
from core.files.services import store_file
from core.jobs import periodic
from core.outbox import emit
from core.providers import ProviderError
from edo.history import record
from edo.models import Contract
from edo.sending import SENT, title_of
from edo.settings import EdoSettings
from edo.review import locked
from edo.vchasno import EdoProvider, opened
from edo.vchasno.interface import ANNULLED, FULLY_SIGNED, REJECTED, STATUS_BATCH

log = logging.getLogger(__name__)
OUTCOME = {FULLY_SIGNED: "signed", REJECTED: "rejected", ANNULLED: "annulled"}
# What 1C's ContractStatus calls each (onec/WEBSERVICE.md).
ONEC_STATUS = {"signed": "signed", "rejected": "rejected", "annulled": "terminated"}


@dataclass
class PollResult:
    asked: int = 0
    answered: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)


@periodic("edo.poll_statuses", EdoSettings.EDO_POLL_SECONDS)
def poll_job(session: Session) -> PollResult:
    with opened(current_app.config) as provider:
        return poll_statuses(session, provider)


def poll_statuses(session: Session, provider: EdoProvider, batch: int = STATUS_BATCH) -> PollResult:
    """Every contract with the customer asked about once; commits per contract changed
    and per batch."""
    result = PollResult()
    after = 0
    while True:
        rows = session.execute(
            select(Contract.id, Contract.vchasno_id)
            .where(Contract.status == SENT, Contract.vchasno_id.is_not(None), Contract.id > after)
            .order_by(Contract.id).limit(batch)
        ).all()
        session.rollback()  # no transaction held open across the call to Vchasno
        if not rows:
            return result
        after = rows[-1].id
        result.asked += len(rows)
        try:
            codes = provider.statuses([row.vchasno_id for row in rows])
        except ProviderError as error:
            log.warning("Vchasno statuses failed: %s", error)
            if not error.retryable:
                raise
            return result  # the next round asks again
        result.answered += len(codes)
        _note_statuses(session, {row.id: codes[row.vchasno_id] for row in rows if row.vchasno_id in codes})
        for row in rows:
            outcome = OUTCOME.get(codes.get(row.vchasno_id, 0))
            if outcome is None:
                continue
            try:
                if settle(session, provider, row.id, outcome):
                    result.changed[outcome] = result.changed.get(outcome, 0) + 1
                session.commit()
            except Exception as error:  # one contract's failure must not stop the others
                session.rollback()
                log.exception("contract %s: Vchasno's %s could not be taken", row.id, outcome)
                result.failed.append(row.id)
                _note_failure(session, row.id, outcome, error)
        if len(rows) < batch:
            return result


def _note_failure(session: Session, contract_id: int, outcome: str, error: Exception) -> None:
    """Shown on the contract and the exchange page (edo.notes), not only in the log; the
    next poll tries again and, settling it, clears it."""
    session.execute(
        update(Contract).where(Contract.id == contract_id)
        .values(last_error=f"poll {outcome}: {type(error).__name__}: {error}"[:2000])
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _note_statuses(session: Session, code_of: dict[int, int]) -> None:
    """Every answered code and when, one UPDATE per distinct code."""
    now = utcnow()
    by_code: dict[int, list[int]] = {}
    for contract_id, code in code_of.items():
        by_code.setdefault(code, []).append(contract_id)
    for code, ids in by_code.items():
        session.execute(
            update(Contract).where(Contract.id.in_(ids)).values(vchasno_status=code, vchasno_checked_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()


def settle(session: Session, provider: EdoProvider, contract_id: int, outcome: str) -> bool:
    """The contract moved to its final state; False when it was there already."""
    contract = locked(session, contract_id)  # two polls at once: one settles it, the other finds it settled
    if contract is None or contract.status != SENT:
        return False
    now = utcnow()
    if outcome == "signed":
        _keep_signed_files(session, provider, contract)
        contract.signed_at = now
        record(session, contract, "signed")
    elif outcome == "rejected":
        contract.rejection_reason = provider.rejection_reason(contract.vchasno_id) or ""
        record(session, contract, "rejected", comment=contract.rejection_reason)
    else:
        record(session, contract, "annulled")
    contract.status, contract.last_error = outcome, ""
    emit(session, f"contract.{outcome}", status_payload(contract, outcome, now))
    session.flush()
    return True


def _keep_signed_files(session: Session, provider: EdoProvider, contract: Contract) -> None:
    """Set once: a signed file already kept is never replaced by another download."""
    sent = contract.pdf_file or contract.edited_file or contract.generated_file
    if contract.signed_file_id is None:
        original = provider.download_original(contract.vchasno_id)
        contract.signed_file = store_file(session, original, sent.name, sent.content_type)
    if contract.signature_file_id is None:
        signature = provider.download_signature(contract.vchasno_id)
        contract.signature_file = store_file(session, signature, f"{sent.name}.p7s", "application/pkcs7-signature")


def status_payload(contract: Contract, outcome: str, when: datetime) -> dict:
    """What the listeners need, in the payload: 1C's push (which may not import this
    package), the messages to the customer and to the manager."""
    company = contract.company
    return {
        "contract_id": contract.id, "company_id": company.id, "manager_id": company.manager_id,
        "number": contract.number, "title": title_of(contract),
        "company_tax_id": company.tax_id, "company_onec_id": company.onec_guid,
        "status": ONEC_STATUS[outcome], "date": when.isoformat(),
        "signed_on": when.astimezone(KYIV).date().isoformat() if outcome == "signed" else None,
        "reason": contract.rejection_reason if outcome == "rejected" else "",
    }
