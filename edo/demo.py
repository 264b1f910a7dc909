"""Contracts in the demo (`Feature.demo_showcase`): the built-in template installed, the
companies' requisites filled (one left without its signer, to show the refusal), a
contract waiting for the lawyer, one returned with a comment, and four approved ones taken
through Vchasno (`edo.demo_vchasno`): with the customer, signed, rejected, and one of a
company not registered there. The well-known cafe has none, so the README's walk-through
starts with the button."""
from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.customers.models import Company
from core.staff.models import StaffUser
from edo.demo_vchasno import seed_vchasno_states
from edo.generate import generate_contract
from edo.review import approve, return_contract
from edo.template_versions import install_template, newest_template

# МФО and name: the banks the demo customers keep their accounts in.
BANKS = (
    ("305299", "АТ КБ «ПриватБанк»"),
    ("300465", "АТ «Ощадбанк»"),
    ("322001", "АТ «Універсал Банк»"),
    ("380805", "АТ «Райффайзен Банк»"),
)
RETURN_COMMENT = "Уточніть підставу підпису: у виписці з ЄДР директор діє на підставі Статуту в новій редакції."


def ukrainian_iban(bank_code: str, account: str) -> str:
    """UA, the check digits (ISO 7064 mod 97-10), the МФО, then the 19-digit account."""
    bban = bank_code + account.rjust(19, "0")
    check = 98 - int(bban + "3010" + "00") % 97  # U=30, A=10
    return f"UA{check:02d}{bban}"


def contracts_showcase(session: Session, now: datetime) -> None:
    if newest_template(session) is None:
        install_template(session)
    rng = Random(13)
    companies = list(session.scalars(
        select(Company).options(selectinload(Company.users), selectinload(Company.delivery_points)).order_by(Company.id)
    ))
    for company in companies:
        fill_requisites(company, rng)
    session.flush()
    if len(companies) < 9:
        return
    # companies[0] is the cafe of the walk-through: no contract yet.
    companies[2].signer_name = ""  # the button names what is missing
    lawyer = session.scalar(select(StaffUser).where(StaffUser.role == "lawyer").limit(1))
    waiting = companies[3]
    generate_contract(session, waiting, waiting.manager, "manual", now=now - timedelta(hours=2, minutes=15))
    returned = companies[4]
    contract = generate_contract(session, returned, returned.manager, "first_order", now=now - timedelta(days=1, hours=3))
    if lawyer is None:
        session.flush()
        return
    return_contract(session, contract, lawyer, RETURN_COMMENT)
    in_vchasno = []
    for days_ago, company in enumerate(companies[5:9], start=2):
        made = generate_contract(session, company, company.manager, "manual", now=now - timedelta(days=days_ago))
        approve(session, made, lawyer)
        in_vchasno.append(made)
    session.flush()
    with_customer, signed, rejected, unregistered = in_vchasno
    unregistered.company.vchasno_registered = False  # the invitation and its discount to show
    seed_vchasno_states(session, with_customer=with_customer, signed=signed, rejected=rejected,
                        unregistered=unregistered)


def fill_requisites(company: Company, rng: Random) -> None:
    owner = next((user for user in company.users if user.role == "owner"), None)
    point = company.delivery_points[0] if company.delivery_points else None
    bank_code, bank_name = rng.choice(BANKS)
    company.legal_address = point.address if point else "м. Київ, вул. Хрещатик, 1"
    company.iban = ukrainian_iban(bank_code, "2600" + "".join(rng.choice("0123456789") for _ in range(15)))
    company.bank_name = bank_name
    sole = company.kind == "sole"
    # A customer taken on in the last days has no users yet: a ФОП signs as named on the
    # card, a company's director is still to be written in (its card shows what is missing).
    company.signer_name = owner.full_name if owner else (company.name.removeprefix("ФОП ") if sole else "")
    company.signer_position = "фізична особа — підприємець" if sole else "директор"
    company.signing_basis = "Виписки з ЄДР" if sole else "Статуту"
    if not company.email and owner is not None and owner.email:
        company.email = owner.email
