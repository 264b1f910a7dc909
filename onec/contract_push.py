"""A contract's status pushed to 1C's web service (PostContractStatus, onec/WEBSERVICE.md)
from the contracts feature's events. Only the event's payload is read: onec does not
import the contracts package, whose events carry what 1C needs (our id and number, the
customer's codes, the status in 1C's words, the dates).

Once per status: 1C keys a contract's push by PortalId and status, and so does the kept
answer (`OnecDocumentRef` of kind `contract_<status>`), so a redelivered event sends
nothing, and one whose answer was lost is sent again and answered as a repeat."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from onec.models import OnecDocumentRef
from onec.push import CONTRACT_STATUSES, known, post_once
from onec.soap.client import OnecClient
from onec.soap.interface import onec_error


def push_contract_status(session: Session, client: OnecClient, payload: dict[str, Any]) -> OnecDocumentRef:
    status = payload["status"]
    if status not in CONTRACT_STATUSES:
        raise onec_error("VALIDATION", f"1C knows no contract status {status!r}", retryable=False)
    pid, kind = f"contract-{payload['contract_id']}", f"contract_{status}"
    return known(session, pid, kind) or post_once(
        session, kind, pid, payload["contract_id"], lambda: client.post_contract_status(contract_state(payload))
    )


def contract_state(payload: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {
        "PortalId": f"contract-{payload['contract_id']}", "Number": payload["number"],
        "CompanyTaxId": payload["company_tax_id"], "Status": payload["status"],
        "Date": datetime.fromisoformat(payload["date"]),
    }
    if payload.get("company_onec_id"):
        state["CompanyId"] = payload["company_onec_id"]
    if payload.get("signed_on"):
        state["SignedDate"] = date.fromisoformat(payload["signed_on"])
    return state
