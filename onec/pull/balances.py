"""1C's figure of each customer's debt beside the portal's own (payments.receivables, the
one balance rule). A difference opens an exception for the managers, never an overwrite;
a later figure that agrees closes it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalog.services import MAX_MONEY
from core.clock import utcnow
from core.customers.models import Company
from core.money import money
from onec.importer.common import Tally
from onec.models import OnecBalance
from onec.pull.offers import items
from onec.soap.client import from_1c_moment
from payments.receivables import company_balance


def apply_balances(session: Session, page: Any, tally: Tally, currencies: list[str]) -> None:
    accepted = {c.upper() for c in currencies}
    for item in items(page, "Balance"):
        company = session.scalar(select(Company).where(Company.onec_guid == item.CompanyId)) if item.CompanyId else None
        if company is None:
            tally.skip(item.CompanyId, "unknown_company", "a balance of a company the portal does not have from 1C")
        elif (item.Currency or "").upper() not in accepted:
            tally.skip(item.CompanyId, "currency_not_accepted", f"the balance is in {item.Currency}")
        elif not all(v is not None and abs(v) <= MAX_MONEY for v in (item.Debt, item.OverdueDebt)):
            tally.skip(item.CompanyId, "bad_amount", f"debt {item.Debt}, overdue {item.OverdueDebt}")
        else:
            _compare(session, company, item, tally)


def _compare(session: Session, company: Company, item: Any, tally: Tally) -> None:
    now = utcnow()
    portal_debt = company_balance(session, company).debt
    row = session.get(OnecBalance, company.id)
    if row is None:
        row = OnecBalance(company_id=company.id)
        session.add(row)
        tally.created += 1
    else:
        tally.updated += 1
    row.debt, row.overdue_debt = money(item.Debt), money(item.OverdueDebt)
    row.as_of, row.portal_debt, row.updated_at = from_1c_moment(item.AsOf), portal_debt, now
    if row.debt != portal_debt:
        if row.differs_since is None:
            row.differs_since, row.resolved_at = now, None
    elif row.differs_since is not None:
        row.differs_since, row.resolved_at = None, now


def open_differences(session: Session, manager_id: int | None = None) -> list[OnecBalance]:
    """The managers' exceptions: customers whose 1C debt differs from the portal's, oldest
    first; with `manager_id`, only that manager's customers."""
    stmt = select(OnecBalance).where(OnecBalance.differs_since.is_not(None))
    if manager_id is not None:
        stmt = stmt.join(Company, Company.id == OnecBalance.company_id).where(Company.manager_id == manager_id)
    return list(session.scalars(stmt.order_by(OnecBalance.differs_since, OnecBalance.company_id)))
