"""The demo's contracts in Vchasno, made by the product's own code against the Vchasno
emulator: one with the customer (sent), one signed (its files stored), one rejected with
the customer's reason, one of a company not registered in Vchasno (invited, its discount
pending).

The emulator keeps its documents in memory, so two moments:
- `seed_vchasno_states` (seed-demo): a throwaway emulator takes the uploads, the
  signature and the rejection; the poll stores what it answers. Signed and rejected
  contracts are final: nothing of them is asked again.
- `start_vchasno_emulator` (serve-demo): the emulator the demo runs with, knowing every
  demo customer except the invited ones (registering them is a step of the walkthrough),
  with the contracts still with the customer uploaded to it again under their own ids.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.customers.models import Company
from core.outbox import OutboxEvent
from edo.models import Contract, RegistrationIncentive
from edo.polling import poll_statuses
from edo.sending import SENT, send_contract, upload_document
from edo.vchasno import opened
from edo.vchasno.interface import READY

REJECTION = "Просимо змінити відстрочку платежу з 14 на 21 день"


def seed_vchasno_states(session: Session, *, with_customer: Contract, signed: Contract, rejected: Contract,
                        unregistered: Contract) -> None:
    """Four approved contracts of four companies taken to their demo states; commits."""
    with _emulator(session, invited={unregistered.company_id}) as url:
        for contract in (with_customer, signed, rejected, unregistered):
            _send(session, contract)
        _control(url, "sign", document_id=signed.vchasno_id, signer=signed.company.signer_name or "Підписант")
        _control(url, "reject", document_id=rejected.vchasno_id, reason=REJECTION)
        with opened(current_app.config) as provider:
            poll_statuses(session, provider)
    _approvals_done(session, (with_customer, signed, rejected, unregistered))
    session.commit()


def _approvals_done(session: Session, contracts: tuple[Contract, ...]) -> None:
    """The contracts went to Vchasno here, by the code the approval's handler runs: their
    approvals' events have nothing left to do. Left pending, a process without the demo's
    emulator (a benchmark on the demo's data) would try Vchasno itself, forever."""
    ids = {contract.id for contract in contracts}
    pending = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "contract.approved",
                                                        OutboxEvent.status == outbox.PENDING))
    outbox.settle_unheard(session, [event.id for event in pending if event.payload.get("contract_id") in ids])


def start_vchasno_emulator(app: Any, session: Session) -> tuple[str, str, Callable[[], None]]:
    """The demo's Vchasno on a free loopback port, the app pointed at it with a token made
    for this run; the contracts with the customer uploaded to it again. Returns what
    serve-demo prints, its page and how to stop it (`Feature.demo_services`)."""
    from emulators.http import serve_in_thread
    from emulators.vchasno import create_app as create_vchasno

    token = secrets.token_urlsafe(18)
    url, stop = serve_in_thread(create_vchasno({token: app.config["SUPPLIER_TAX_ID"]}, companies=_known(session, set())))
    app.config.update(VCHASNO_BASE_URL=url, VCHASNO_TOKEN=token)
    _upload_again(session)
    name = (f"Vchasno (emulator: the customer signs or rejects contracts, registers a company;"
            f" asked every {app.config['EDO_POLL_SECONDS']} s)")
    return name, url, stop


@contextmanager
def _emulator(session: Session, invited: set[int]) -> Iterator[str]:
    from emulators.http import serve_in_thread
    from emulators.vchasno import create_app as create_vchasno

    config = current_app.config
    token, before = secrets.token_urlsafe(18), (config["VCHASNO_BASE_URL"], config["VCHASNO_TOKEN"])
    url, stop = serve_in_thread(create_vchasno({token: config["SUPPLIER_TAX_ID"]}, companies=_known(session, invited)))
    config.update(VCHASNO_BASE_URL=url, VCHASNO_TOKEN=token)
    try:
        yield url
    finally:
        config["VCHASNO_BASE_URL"], config["VCHASNO_TOKEN"] = before
        stop()


def _known(session: Session, invited: set[int]) -> dict[str, str]:
    """Every demo customer is in Vchasno but those invited and not registered yet."""
    waiting = invited | set(session.scalars(
        select(RegistrationIncentive.company_id).where(RegistrationIncentive.registered_at.is_(None))))
    return {tax_id: name for company_id, tax_id, name in session.execute(select(Company.id, Company.tax_id, Company.name))
            if company_id not in waiting}


def _send(session: Session, contract: Contract) -> None:
    with opened(current_app.config) as provider:
        send_contract(session, provider, contract)
    session.commit()


def _upload_again(session: Session) -> None:
    """A fresh emulator knows none of the documents: each contract with the customer is
    uploaded and sent to it again and keeps the new id (its history says so); the
    customer is not told again."""
    with opened(current_app.config) as provider:
        for contract in session.scalars(select(Contract).where(Contract.status == SENT).order_by(Contract.id)):
            document = upload_document(session, provider, contract)
            if document.status == READY:
                provider.send(document.id)
    session.commit()


def _control(url: str, which: str, **body: Any) -> None:
    httpx.post(f"{url}/_emulator/{which}", json=body, timeout=30).raise_for_status()
