"""The contracts' part of the staff's exchange page (`Feature.sync_details`): contracts held
up on their way through Vchasno (approved and not taken, or sent and Vchasno's answer not
taken), each with why in words (edo.notes) and since when, as many as this member of staff
may see (a manager: their own companies')."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.catalog.details import Section
from core.customers.models import Company
from edo import access
from edo.models import Contract
from edo.notes import last_error_text

# The page lists this many, oldest first; the contracts page filters the rest.
SHOWN = 50


def sync_details(session: Session, staff_user: Any) -> list[Section]:
    if staff_user.role not in (*access.CONTRACT_READERS, "admin"):
        return []
    query = (
        select(Contract).join(Contract.company).options(joinedload(Contract.company))
        .where(Contract.status.in_(("approved", "sent")), Contract.last_error != "")
        .order_by(Contract.approved_at, Contract.id).limit(SHOWN)
    )
    if not access.sees_every_contract(staff_user):
        query = query.where(Company.manager_id == staff_user.id)
    waiting = [(contract, last_error_text(contract.last_error)) for contract in session.scalars(query)]
    if not waiting:
        return []
    return [Section(gettext("Вчасно: договори, що застрягли"), template="edo/_sync_section.html",
                    data={"waiting": waiting})]
