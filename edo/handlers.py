"""The outbox handlers of the contracts feature: an approved contract uploaded to Vchasno
and sent for the customer's signature. Outward: never inside a request; the relay retries
a retryable failure (429 after its Retry-After, 5xx, timeouts) with backoff and stops at a
permanent one (403: no token or no "Інтеграція" tariff). Either way the contract shows
the last error, and a failure that ends the tries is a row in its history."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from core.outbox import OutboxEvent, handler
from core.providers import ProviderError
from edo.failures import keep_failure
from edo.models import Contract
from edo.sending import send_contract
from edo.vchasno import EdoProvider, from_config


@contextmanager
def vchasno() -> Iterator[EdoProvider]:
    provider = from_config(current_app.config)
    try:
        yield provider
    finally:
        provider.close()


@handler(("contract.approved", "contract.customer_registered"), name="edo.send_to_vchasno", outward=True)
def send_approved_contract(session: Session, outbox_event: OutboxEvent) -> None:
    contract = session.get(Contract, outbox_event.payload["contract_id"])
    if contract is None:
        return
    try:
        with vchasno() as provider:
            send_contract(session, provider, contract)
    except ProviderError as error:
        final = error.permanent or outbox_event.attempts + 1 >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
        keep_failure(session, contract.id, f"{error.provider} {error.code}: {error.detail}"[:2000], final=final)
        raise
