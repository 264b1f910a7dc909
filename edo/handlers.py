"""The outbox handlers of the contracts feature: an approved contract uploaded to Vchasno
and sent for the customer's signature. Outward: never inside a request; the relay retries
a retryable failure (429 after its Retry-After, 5xx, timeouts) with backoff and stops at a
permanent one (403: no token or no "Інтеграція" tariff). Either way the contract shows
the last error, and a failure that ends the tries is a row in its history."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.outbox import OutboxEvent, handler
from core.providers import ProviderError
from edo.failures import keep_failure
from edo.generate import take_turn
from edo.models import Contract
from edo.sending import send_contract
from edo.vchasno import opened


@handler(("contract.approved", "contract.customer_registered"), name="edo.send_to_vchasno", outward=True)
def send_approved_contract(session: Session, outbox_event: OutboxEvent) -> None:
    contract_id = outbox_event.payload["contract_id"]
    company_id = session.scalar(select(Contract.company_id).where(Contract.id == contract_id))
    if company_id is None:
        return
    take_turn(session, company_id)  # a generation superseding it waits, or is waited for
    contract = session.scalars(select(Contract).where(Contract.id == contract_id)
                               .execution_options(populate_existing=True)).one()
    try:
        with opened(current_app.config) as provider:
            send_contract(session, provider, contract)
    except ProviderError as error:
        final = error.permanent or outbox_event.attempts + 1 >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
        keep_failure(session, contract.id, f"{error.provider} {error.code}: {error.detail}"[:2000], final=final)
        raise
