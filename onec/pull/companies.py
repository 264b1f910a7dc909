"""Customers (контрагенти) of a GetChanges page into the portal's companies, matched by
1C's Id, written through the kernel's own `save_company` (the checks staff edits pass).
A company that arrives with a phone or an e-mail and has no cabinet gets one and its
invitation by the kernel's invitation rules."""
from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.catalog.models import PriceType
from core.catalog.services import MAX_MONEY
from core.customers.invitations import invite_companies_without_users
from core.customers.models import Company
from core.customers.services import save_company
from core.errors import DomainError
from core.ids import edrpou_is_valid, rnokpp_is_valid
from core.phones import normalize_phone
from core.staff.models import StaffUser
from onec.importer.common import Tally
from onec.models import OnecCompany
from onec.pull.offers import items

MANAGER_ROLES = ("manager", "head_of_sales")
# save_company names the field it refuses; the run names the reason.
REASON_OF_FIELD = {
    "tax_id": "duplicate_tax_id", "kind": "invalid_kind", "payment_terms": "invalid_terms",
    "deferral_days": "invalid_terms", "advance_percent": "invalid_terms", "credit_limit": "invalid_credit_limit",
}
TAX_ID_CHECKS = {"legal": edrpou_is_valid, "sole": rnokpp_is_valid}


def apply_companies(session: Session, page: Any, tally: Tally) -> None:
    invitable = []
    for item in items(page, "Company"):
        company = _apply(session, item, tally)
        if company is not None and company.is_active and (company.phone or company.email):
            invitable.append(company.id)
    if invitable:
        # The invitation's texts are the kernel's, in the portal's default language.
        with force_locale("uk"):
            run = invite_companies_without_users(session, company_ids=invitable)
        for name, reason in run.skipped:
            tally.skip(None, "not_invited", f"{name}: {reason}")


def _apply(session: Session, item: Any, tally: Tally) -> Company | None:
    if not item.Id:
        tally.skip(item.TaxId, "missing_id", "a company without Id")
        return None
    if not tally.takes_id(item.Id):
        return None
    company = session.scalar(select(Company).where(Company.onec_guid == item.Id))
    if company is None and item.TaxId:
        # A company staff made before 1C sent it is taken over by its code.
        company = session.scalar(select(Company).where(Company.tax_id == item.TaxId, Company.onec_guid.is_(None)))
    if item.Deleted:
        if company is not None and company.is_active:
            company.is_active = False
            tally.updated += 1
        return None
    tax_id = (item.TaxId or "").strip()
    check = TAX_ID_CHECKS.get(item.Kind)
    if check is None or not check(tax_id):
        tally.skip(item.Id, "invalid_tax_id", f"{item.Name}: {item.Kind} {tax_id!r} is not a valid ЄДРПОУ/РНОКПП")
        return None
    if item.CreditLimit is None or item.CreditLimit > MAX_MONEY:
        tally.skip(item.Id, "invalid_credit_limit", f"{item.Name}: credit limit {item.CreditLimit}")
        return None
    price_type_id = _price_type(session, item, company)
    if price_type_id is None:
        tally.skip(item.Id, "unknown_price_type", f"{item.Name}: no price type {item.PriceTypeId!r} and none at all")
        return None
    before = _signature(company)
    try:
        company = save_company(
            session, company, name=(item.Name or tax_id)[:300], kind=item.Kind, tax_id=tax_id, price_type_id=price_type_id,
            payment_terms=item.PaymentTerms, deferral_days=item.DeferralDays or 0,
            advance_percent=item.AdvancePercent or 0, credit_limit=item.CreditLimit,
            manager_id=_manager(session, item, company), phone=_phone(item.Phone), email=_email(item.Email),
            pay_oldest_first=company.pay_oldest_first if company is not None else True,
        )
    except DomainError as error:
        tally.skip(item.Id, REASON_OF_FIELD.get(error.field or "", "invalid"), f"{item.Name}: {error.message}")
        return None
    company.onec_guid = item.Id
    company.is_active = True
    details_changed = _details(session, company, item)
    session.flush()
    if before is None:
        tally.created += 1
    elif before != _signature(company) or details_changed:
        tally.updated += 1
    else:
        tally.unchanged += 1
    return company


def _price_type(session: Session, item: Any, company: Company | None) -> int | None:
    if item.PriceTypeId:
        found = session.scalar(select(PriceType.id).where(PriceType.onec_guid == item.PriceTypeId))
        if found is not None:
            return found
    if company is not None:
        return company.price_type_id
    # A new customer 1C gives no (known) price type buys at the portal's first one.
    return session.scalar(select(func.min(PriceType.id)))


def _manager(session: Session, item: Any, company: Company | None) -> int | None:
    """The staff user of ManagerEmail; one the portal does not know leaves the manager as it was."""
    if item.ManagerEmail:
        found = session.scalar(select(StaffUser.id).where(
            func.lower(StaffUser.email) == item.ManagerEmail.strip().lower(), StaffUser.role.in_(MANAGER_ROLES)))
        if found is not None:
            return found
    return company.manager_id if company is not None else None


def _phone(raw: str | None) -> str:
    """A number the portal cannot read is left out, not the company with it."""
    return raw if raw and normalize_phone(raw) else ""


def _email(raw: str | None) -> str:
    value = (raw or "").strip()
    return value if "@" in value and len(value) <= 254 else ""


def _details(session: Session, company: Company, item: Any) -> bool:
    values = {
        "full_name": (item.FullName or None) and item.FullName[:500],
        "vat_number": (item.VatNumber or None) and item.VatNumber[:12],
        "address": (item.Address or None) and item.Address[:500],
        "manager_name": (item.ManagerName or None) and item.ManagerName[:200],
    }
    row = session.get(OnecCompany, company.id)
    if row is None:
        session.add(OnecCompany(company_id=company.id, **values))
        return True
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _signature(company: Company | None) -> tuple | None:
    if company is None:
        return None
    return (company.name, company.kind, company.tax_id, company.price_type_id, company.payment_terms,
            company.deferral_days, company.advance_percent, company.credit_limit, company.manager_id, company.phone,
            company.email, company.is_active, company.onec_guid)
