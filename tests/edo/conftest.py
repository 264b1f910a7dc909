"""Contracts: the built-in template installed, a company whose card has every requisite, and
logged-in staff of each role."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from core.customers.models import Company
from core.staff.models import StaffUser
from edo.generate import generate_contract
from edo.models import Contract, ContractTemplate
from edo.template_versions import install_template
from tests.conftest import login

IBAN = "UA213223130000026007233566001"


@pytest.fixture
def template(app: Flask, db: Session) -> ContractTemplate:
    with app.test_request_context():  # the file store is the app's
        return install_template(db)


@pytest.fixture
def manager(make_staff: Callable[..., StaffUser]) -> StaffUser:
    return make_staff("manager", full_name="Коваль Олена", phone="+380501112233")


@pytest.fixture
def ready_company(make_company: Callable[..., Company], manager: StaffUser, db: Session) -> Company:
    """A company whose card has everything a contract needs."""
    company = make_company(
        "ТОВ «Ромашка & Ко»", manager_id=manager.id, email="office@romashka.example", phone="+380671234567",
        payment_terms="deferred", deferral_days=14,
        legal_address="м. Київ, вул. Хрещатик, 1", iban=IBAN, bank_name="АТ «Універсал Банк»",
        signer_name="Петренко Іван Іванович", signer_position="директор", signing_basis="Статуту",
    )
    db.flush()
    return company


@pytest.fixture
def generate(app: Flask, db: Session, template: ContractTemplate) -> Callable[..., Contract]:
    def make(company: Company, staff: StaffUser | None = None, reason: str = "manual", **kw: Any) -> Contract:
        with app.test_request_context():
            contract = generate_contract(db, company, staff, reason, **kw)
        db.flush()
        return contract

    return make


def logged(app: Flask, staff: StaffUser) -> Any:
    client = app.test_client()
    assert login(client, staff.email, staff=True).status_code == 302
    return client
