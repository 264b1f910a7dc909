"""Generating a contract: the company card, its terms and manager and the supplier's settings
filled into the newest template, numbered, with the data it was made from kept beside it.

Required on the company card (a contract without them could not be signed or sent):
ЄДРПОУ/РНОКПП, e-mail (Vchasno sends the contract to it), legal address, IBAN, the signer's
name and position and the basis they sign on. The bank's name and the phone are printed when
known; the IBAN already names the bank.

A new contract supersedes the company's unsigned ones (in review, returned or approved) in
the same transaction. One already "sent" is with the customer in Vchasno, where they can
still sign it: superseding it here would leave a signable document we no longer track, so
generation is refused until it is signed, rejected or annulled.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.clock import kyiv_today, utcnow
from core.customers.models import Company
from core.errors import DomainError
from core.files.services import read_file, store_file
from core.staff.models import StaffUser
from edo import docx_template
from edo.fields import ContractFields
from edo.history import record
from edo.models import Contract
from edo.numbering import next_number
from edo.template_versions import DOCX, newest_template

REASONS = ("manual", "first_order", "terms_changed")
REASON_LABELS = {
    "manual": _l("вручну"),
    "first_order": _l("перше замовлення"),
    "terms_changed": _l("змінилися умови оплати"),
}
# Unsigned, so a newer contract replaces them.
SUPERSEDABLE = ("review", "returned", "approved")

# The company card's fields a contract cannot be made without, as the card names them.
REQUIRED = (
    ("tax_id", _l("ЄДРПОУ / РНОКПП")),
    ("email", _l("E-mail")),
    ("legal_address", _l("Юридична адреса")),
    ("iban", _l("IBAN")),
    ("signer_name", _l("Підписант (ПІБ)")),
    ("signer_position", _l("Посада підписанта")),
    ("signing_basis", _l("Діє на підставі")),
)


def missing_requisites(company: Company) -> list[str]:
    """The names of the required fields the company card leaves empty, in the card's order."""
    return [str(label) for name, label in REQUIRED if not (getattr(company, name) or "").strip()]


def generate_contract(session: Session, company: Company, staff_user: StaffUser | None, reason: str = "manual",
                      now: datetime | None = None) -> Contract:
    """A contract in the lawyer's queue, or a DomainError saying why not (every missing field
    named at once). `staff_user` is None when an event generated it. Only flushes."""
    if reason not in REASONS:
        raise ValueError(f"unknown contract reason {reason!r}")
    missing = missing_requisites(company)
    if missing:
        raise DomainError(gettext(
            "Договір не сформовано: на картці контрагента не заповнено: %(fields)s.", fields=", ".join(missing)))
    template = newest_template(session)
    if template is None:
        raise DomainError(gettext("Договір не сформовано: шаблону договору ще немає. Юрист завантажує його на сторінці «Шаблони договорів»."))
    take_turn(session, company.id)
    unsigned = list(session.scalars(
        select(Contract).where(Contract.company_id == company.id, Contract.status.in_(SUPERSEDABLE + ("sent",)))
    ))
    with_customer = [contract for contract in unsigned if contract.status == "sent"]
    if with_customer:
        raise DomainError(gettext(
            "Договір № %(number)s уже надіслано клієнту на підпис у «Вчасно». Новий можна сформувати, коли його "
            "підпишуть, відхилять або анулюють.", number=with_customer[0].number))
    now = now or utcnow()
    manager = company.manager or staff_user
    _refuse_a_repeat(template.id, unsigned, contract_fields(company, "", kyiv_today(now), manager))
    number = next_number(session, now)
    fields = contract_fields(company, number, kyiv_today(now), manager)
    filled = docx_template.render(read_file(template.file), fields)
    stored = store_file(session, filled, f"{number}.docx", DOCX)
    contract = Contract(number=number, company_id=company.id, template_id=template.id, reason=reason,
                        snapshot=snapshot(fields), generated_file_id=stored.id,
                        created_by_id=staff_user.id if staff_user else None, created_at=now, submitted_at=now)
    session.add(contract)
    session.flush()
    # History comments are kept as written, so these say it without words of any language:
    # the contract page labels the action, and the reason is the contract's own column.
    for old in unsigned:
        old.status = "superseded"
        record(session, old, "superseded", staff_user, f"№ {number}")
    record(session, contract, "generated", staff_user)
    outbox.emit(session, "contract.generated", {"contract_id": contract.id, "company_id": company.id, "reason": reason})
    return contract


def _refuse_a_repeat(template_id: int, unsigned: list[Contract], fields: ContractFields) -> None:
    """A second click of the button (or the button after the first order made one) would
    supersede a contract waiting for the lawyer with one that says the same, its number
    aside: same template, same data, same day."""
    same = {name: value for name, value in snapshot(fields).items() if name != "contract_number"}
    for contract in unsigned:
        kept = {name: value for name, value in contract.snapshot.items() if name != "contract_number"}
        if contract.status == "review" and contract.template_id == template_id and kept == same:
            raise DomainError(gettext(
                "Договір № %(number)s з тими самими даними вже чекає на візу юриста: новий не сформовано.",
                number=contract.number))


def take_turn(session: Session, company_id: int) -> None:
    """Two generations for one company take turns here, so neither leaves the other's
    contract unsuperseded; so does an upload (edo.handlers), so a contract is never
    superseded under its upload. Other companies do not wait, nor do the company's orders:
    NO KEY UPDATE leaves the foreign key checks of rows referring to it free."""
    session.scalar(select(Company.id).where(Company.id == company_id).with_for_update(key_share=True))


def contract_fields(company: Company, number: str, day: date, manager: StaffUser | None) -> ContractFields:
    config = current_app.config
    return ContractFields(
        contract_number=number,
        contract_date=day,
        company_name=company.name,
        company_tax_id=company.tax_id,
        company_legal_address=company.legal_address,
        company_iban=company.iban,
        company_bank=company.bank_name,
        company_email=company.email or "",
        company_phone=company.phone or "",
        signer_name=company.signer_name,
        signer_position=company.signer_position,
        signing_basis=company.signing_basis,
        payment_terms_kind=company.payment_terms,
        payment_terms=terms_in_words(company),
        deferral_days=company.deferral_days,
        advance_percent=company.advance_percent,
        credit_limit=company.credit_limit,
        price_type=company.price_type.name,
        manager_name=manager.full_name if manager else "",
        manager_phone=(manager.phone or "") if manager else "",
        manager_email=manager.email if manager else "",
        supplier_name=config["EDO_SUPPLIER_NAME"],
        supplier_tax_id=config["EDO_SUPPLIER_TAX_ID"],
        supplier_legal_address=config["EDO_SUPPLIER_LEGAL_ADDRESS"],
        supplier_iban=config["EDO_SUPPLIER_IBAN"],
        supplier_bank=config["EDO_SUPPLIER_BANK"],
        supplier_signer_name=config["EDO_SUPPLIER_SIGNER_NAME"],
        supplier_signer_position=config["EDO_SUPPLIER_SIGNER_POSITION"],
        supplier_signing_basis=config["EDO_SUPPLIER_SIGNING_BASIS"],
    )


def terms_in_words(company: Company) -> str:
    """The payment terms as the contract's Ukrainian text states them, whatever the reader's language."""
    if company.payment_terms == "deferred":
        return f"відстрочка платежу {company.deferral_days} {_days(company.deferral_days)}"
    if company.payment_terms == "advance":
        return f"аванс {company.advance_percent} %, решта після поставки"
    return "100 % передоплата"


def _days(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "календарний день"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "календарні дні"
    return "календарних днів"


def snapshot(fields: ContractFields) -> dict[str, Any]:
    """The fields as JSON keeps them: dates ISO, money as strings (never a float)."""
    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    return {name: plain(value) for name, value in asdict(fields).items()}
