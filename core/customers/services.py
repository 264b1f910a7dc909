"""Companies, their delivery points and portal users; password reset for everyone."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from decimal import Decimal

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.auth import end_sessions, hash_password
from core.customers.models import COMPANY_KINDS, CUSTOMER_ROLES, PAYMENT_TERMS, Company, DeliveryPoint, User
from core.errors import DomainError
from core.ids import compact_iban, edrpou_is_valid, iban_is_valid, rnokpp_is_valid
from core.phones import normalize_phone
from core.staff.models import StaffUser

MIN_PASSWORD_LENGTH = 8
# What a contract states about payment: a change of any of these raises company.terms_changed.
TERMS_FIELDS = ("payment_terms", "deferral_days", "advance_percent")


@dataclass(frozen=True)
class Requisites:
    """The company's details a contract is made from, as the company card edits them."""

    legal_address: str = ""
    iban: str = ""
    bank_name: str = ""
    signer_name: str = ""
    signer_position: str = ""
    signing_basis: str = ""


def validate_tax_id(kind: str, tax_id: str) -> str:
    tax_id = tax_id.strip()
    if kind == "legal":
        if not edrpou_is_valid(tax_id):
            raise DomainError(gettext("Невірний код ЄДРПОУ: 8 цифр з правильною контрольною цифрою."), "tax_id")
    elif kind == "sole":
        if not rnokpp_is_valid(tax_id):
            raise DomainError(gettext("Невірний РНОКПП: 10 цифр з правильною контрольною цифрою."), "tax_id")
    else:
        raise DomainError(gettext("Оберіть тип контрагента."), "kind")
    return tax_id


def validate_iban(value: str) -> str:
    """A Ukrainian IBAN as stored (no spaces, upper case), or "" when none is given."""
    compact = compact_iban(value or "")
    if not compact:
        return ""
    if not (re.fullmatch(r"UA\d{27}", compact) and iban_is_valid(compact)):
        raise DomainError(gettext("Невірний IBAN: UA і 27 цифр з правильними контрольними цифрами."), "iban")
    return compact


def validate_terms(payment_terms: str, deferral_days: int, advance_percent: int) -> None:
    if payment_terms not in PAYMENT_TERMS:
        raise DomainError(gettext("Оберіть умови оплати."), "payment_terms")
    if payment_terms == "deferred" and not 1 <= deferral_days <= 365:
        raise DomainError(gettext("Відстрочка — від 1 до 365 днів."), "deferral_days")
    if payment_terms == "advance" and not 1 <= advance_percent <= 99:
        raise DomainError(gettext("Аванс — від 1 до 99 %."), "advance_percent")


def save_company(
    session: Session,
    company: Company | None,
    *,
    name: str,
    kind: str,
    tax_id: str,
    price_type_id: int,
    payment_terms: str,
    deferral_days: int = 0,
    advance_percent: int = 0,
    credit_limit: Decimal = Decimal("0.00"),
    manager_id: int | None = None,
    phone: str = "",
    email: str = "",
    pay_oldest_first: bool = True,
    requisites: Requisites | None = None,
) -> Company:
    """Create (company=None) or update a company after checking every field. Without
    `requisites` the contract details stay as they are (1C does not send them); a change
    of the payment terms of an existing company raises company.terms_changed."""
    if kind not in COMPANY_KINDS:
        raise DomainError(gettext("Оберіть тип контрагента."), "kind")
    tax_id = validate_tax_id(kind, tax_id)
    validate_terms(payment_terms, deferral_days, advance_percent)
    if credit_limit < 0:
        raise DomainError(gettext("Кредитний ліміт не може бути від'ємним."), "credit_limit")
    clash = session.scalar(select(Company.id).where(Company.tax_id == tax_id))
    if clash is not None and (company is None or clash != company.id):
        raise DomainError(gettext("Контрагент з таким кодом вже є."), "tax_id")
    if manager_id is not None:
        manager = session.get(StaffUser, manager_id)
        if manager is None or manager.role not in ("manager", "head_of_sales"):
            raise DomainError(gettext("Оберіть менеджера зі списку."), "manager_id")
    normalized_phone = None
    if phone.strip():
        normalized_phone = normalize_phone(phone)
        if normalized_phone is None:
            raise DomainError(gettext("Невірний номер телефону."), "phone")
    iban = validate_iban(requisites.iban) if requisites is not None else None
    terms_before = {name: getattr(company, name) for name in TERMS_FIELDS} if company is not None else None
    company = company or Company()
    company.name = name.strip()
    company.kind = kind
    company.tax_id = tax_id
    company.price_type_id = price_type_id
    company.payment_terms = payment_terms
    company.deferral_days = deferral_days if payment_terms == "deferred" else 0
    company.advance_percent = advance_percent if payment_terms == "advance" else 0
    company.credit_limit = credit_limit
    company.pay_oldest_first = pay_oldest_first
    company.manager_id = manager_id
    company.phone = normalized_phone
    company.email = email.strip().lower() or None
    if requisites is not None:
        for requisite in fields(Requisites):
            setattr(company, requisite.name, getattr(requisites, requisite.name).strip())
        company.iban = iban
    session.add(company)
    session.flush()
    terms_after = {name: getattr(company, name) for name in TERMS_FIELDS}
    if terms_before is not None and terms_before != terms_after:
        outbox.emit(session, "company.terms_changed",
                    {"company_id": company.id, "before": terms_before, "after": terms_after})
    return company


def add_delivery_point(session: Session, company: Company, name: str, address: str) -> DeliveryPoint:
    if not name.strip() or not address.strip():
        raise DomainError(gettext("Вкажіть назву та адресу точки доставки."))
    point = DeliveryPoint(company_id=company.id, name=name.strip(), address=address.strip())
    session.add(point)
    session.flush()
    return point


def create_customer_user(
    session: Session,
    company: Company,
    *,
    full_name: str,
    role: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
) -> User:
    """A portal user for a company: an e-mail or a phone to log in with, unique across all users."""
    if role not in CUSTOMER_ROLES:
        raise DomainError(gettext("Оберіть роль користувача."), "role")
    email = email.strip().lower()
    normalized_phone = None
    if phone.strip():
        normalized_phone = normalize_phone(phone)
        if normalized_phone is None:
            raise DomainError(gettext("Невірний номер телефону."), "phone")
    if not email and not normalized_phone:
        raise DomainError(gettext("Потрібен e-mail або телефон для входу."), "email")
    if email and session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError(gettext("Користувач з таким e-mail вже є."), "email")
    if normalized_phone and session.scalar(select(User.id).where(User.phone == normalized_phone)) is not None:
        raise DomainError(gettext("Користувач з таким телефоном вже є."), "phone")
    user = User(
        company_id=company.id,
        full_name=full_name.strip(),
        role=role,
        email=email or None,
        phone=normalized_phone,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User | StaffUser, password: str, confirm: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(gettext("Пароль має містити щонайменше %(n)s символів.", n=MIN_PASSWORD_LENGTH), "password")
    if password != confirm:
        raise DomainError(gettext("Паролі не збігаються."), "confirm")
    user.password_hash = hash_password(password)
    end_sessions(user)  # whoever held a session on the old password is out
    session.flush()


def request_password_reset(session: Session, user: User | StaffUser | None) -> None:
    """Raise the reset-link event. Unknown logins do nothing, and say nothing different."""
    if user is None or not user.is_active:
        return
    # No link in the event: the sender mints the token when the message goes out, so no
    # working link is ever stored (the outbox keeps its events).
    outbox.emit(
        session,
        "user.password_reset_requested",
        {
            "user": user.ref,
            "recipient": user.email or user.phone,
            "locale": getattr(user, "locale", "uk"),
            "valid_hours": current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600,
        },
    )


def set_customer_user_active(session: Session, user: User, active: bool) -> None:
    """Staff switch portal access off and on; the user's history stays."""
    user.is_active_flag = active
    if not active:
        end_sessions(user)  # switched back on later, the old cookies still open nothing
    session.flush()


def deactivate_delivery_point(session: Session, point: DeliveryPoint) -> None:
    """Old orders keep pointing at it, so it is hidden from new orders instead of deleted."""
    point.is_active = False
    session.flush()
