"""Contracts generated without a person: at a company's first order and when its payment
terms change. Inward handlers (our own database only); a redelivered event finds the
contract it made and makes no second one.

A company whose card lacks a required field is skipped, not failed: the company card's
contracts section names what is missing, and the manager generates with the button once
it is filled."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.customers.models import Company
from core.errors import DomainError
from core.outbox import OutboxEvent, handler
from edo.generate import generate_contract, missing_requisites
from edo.models import Contract

log = logging.getLogger(__name__)

# What the terms-change check compares: the company card's names -> the snapshot's.
TERMS_IN_SNAPSHOT = {"payment_terms": "payment_terms_kind", "deferral_days": "deferral_days",
                     "advance_percent": "advance_percent"}


@handler("order.submitted", name="edo.contract_at_first_order")
def contract_at_first_order(session: Session, outbox_event: OutboxEvent) -> None:
    """A company that never had a contract (superseded ones aside) gets one with its first
    order; one rejected or annulled is the manager's to take up, not this handler's."""
    company = session.get(Company, outbox_event.payload["company_id"])
    if company is None:
        return
    had_one = session.scalar(
        select(Contract.id).where(Contract.company_id == company.id, Contract.status != "superseded").limit(1)
    )
    if had_one is None:
        _generate(session, company, "first_order")


@handler(("company.terms_changed", "contract.signed"), name="edo.contract_on_new_terms")
def contract_on_new_terms(session: Session, outbox_event: OutboxEvent) -> None:
    """A company with a contract gets a new one when its payment terms no longer match the
    latest contract's (a redelivery finds they match). Without a contract, the first order
    or the button makes one. Terms changed while a contract was with the customer are
    taken up when it comes back signed (a rejected or annulled one is the manager's)."""
    company = session.get(Company, outbox_event.payload["company_id"])
    if company is None:
        return
    latest = session.scalar(
        select(Contract).where(Contract.company_id == company.id, Contract.status.not_in(("superseded", "rejected", "annulled")))
        .order_by(Contract.id.desc()).limit(1)
    )
    if latest is None or latest.status == "sent":
        return  # nothing to replace, or it is with the customer in Vchasno (edo.generate)
    if all(latest.snapshot.get(in_snapshot) == getattr(company, on_card)
           for on_card, in_snapshot in TERMS_IN_SNAPSHOT.items()):
        return
    _generate(session, company, "terms_changed")


def _generate(session: Session, company: Company, reason: str) -> None:
    if missing_requisites(company):
        log.info("no automatic contract for company %s: its card lacks %s", company.id, missing_requisites(company))
        return
    try:
        generate_contract(session, company, None, reason)
    except DomainError as error:  # no template yet: the button will say so to a person
        log.warning("no automatic contract for company %s: %s", company.id, error.message)
