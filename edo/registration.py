"""Customers invited to register in Vchasno, asked after again until they have: once one
has, its waiting contracts go out (`contract.customer_registered`) and its discount is
earned (edo/discount.py gives it on the next order)."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.jobs import periodic
from core.outbox import emit
from core.providers import ProviderError
from edo.models import Contract, RegistrationIncentive
from edo.sending import APPROVED, mark_registered
from edo.settings import EdoSettings
from edo.vchasno import EdoProvider, opened

log = logging.getLogger(__name__)


@periodic("edo.registration_check", EdoSettings.EDO_REGISTRATION_CHECK_SECONDS)
def registration_check_job(session: Session) -> int:
    with opened(current_app.config) as provider:
        return check_invited(session, provider, current_app.config["EDO_REGISTRATION_CHECK_BATCH"])


def check_invited(session: Session, provider: EdoProvider, batch: int) -> int:
    """Ask about the `batch` invited companies asked about longest ago; commits. Returns
    how many have registered. A failed question leaves that company for the next round."""
    waiting = list(session.scalars(
        select(RegistrationIncentive)
        .where(RegistrationIncentive.registered_at.is_(None))
        .order_by(RegistrationIncentive.checked_at.is_not(None), RegistrationIncentive.checked_at, RegistrationIncentive.id)
        .limit(batch)
    ))
    registered = 0
    for incentive in waiting:
        try:
            is_registered = provider.is_registered(incentive.company.tax_id)
        except ProviderError as error:
            log.warning("Vchasno registration check of company %s failed: %s", incentive.company_id, error)
            if error.code in ("auth", "no_tariff", "rate_limited"):
                break  # every other question would fail the same way now
            continue
        incentive.checked_at = utcnow()
        if is_registered:
            mark_registered(session, incentive.company_id)
            release_waiting_contracts(session, incentive.company_id)
            registered += 1
        session.commit()
    session.commit()
    return registered


def release_waiting_contracts(session: Session, company_id: int) -> None:
    for contract_id in session.scalars(
        select(Contract.id).where(Contract.company_id == company_id, Contract.status == APPROVED).order_by(Contract.id)
    ):
        emit(session, "contract.customer_registered", {"contract_id": contract_id, "company_id": company_id})
