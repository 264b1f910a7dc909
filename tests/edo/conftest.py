"""Contracts: the built-in template installed, a company whose card has every requisite,
logged-in staff of each role; and the contracts' trip through Vchasno: the suite's app
pointed at a Vchasno emulator on loopback (and, for the status push, at the 1C emulator),
contracts made as rows in "approved" the way the lawyer's approval leaves them."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.customers.models import Company
from core.files.services import store_file
from core.outbox import OutboxEvent
from core.staff.models import StaffUser
from edo.generate import generate_contract
from edo.models import Contract, ContractTemplate
from edo.template_versions import install_template
from emulators.http import serve_in_thread
from emulators.onec import create_app as create_onec
from emulators.vchasno import create_app as create_vchasno
from tests.conftest import login
from tests.edo.documents import docx

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

TOKEN, OWNER = "edo-send-test-token", "43210989"
ONEC_USER, ONEC_PASSWORD = "portal", "test-only-1c-service-password"
ONEC_TAX_ID = "42152922"  # a customer the 1C emulator's books have
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
http = httpx.Client(timeout=30)
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def vchasno_emulator() -> Iterator[str]:
    url, stop = serve_in_thread(create_vchasno({TOKEN: OWNER}))
    yield url
    stop()


@pytest.fixture(scope="session")
def onec_emulator() -> Iterator[str]:
    url, stop = serve_in_thread(create_onec(ONEC_USER, ONEC_PASSWORD))
    yield url
    stop()


@pytest.fixture
def edo(app: Flask, db: Any, vchasno_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The suite's app talking to a fresh Vchasno, without LibreOffice (the one test of
    the PDF turns it on), inside a request context for the services and the messages."""
    assert http.post(f"{vchasno_emulator}/_emulator/reset").status_code == 204
    for name, value in {"VCHASNO_BASE_URL": vchasno_emulator, "VCHASNO_TOKEN": TOKEN, "VCHASNO_TIMEOUT": 10.0,
                        "EDO_SEND_PDF": False, "EDO_REGISTRATION_DISCOUNT_PERCENT": "5"}.items():
        monkeypatch.setitem(app.config, name, value)
    with app.test_request_context():
        yield app


@pytest.fixture
def onec(edo: Flask, onec_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    assert http.post(f"{onec_emulator}/_emulator/reset").status_code in (200, 204)
    for name, value in {"ONEC_SERVICE_URL": f"{onec_emulator}/ws/portal_exchange", "ONEC_SERVICE_USER": ONEC_USER,
                        "ONEC_SERVICE_PASSWORD": ONEC_PASSWORD}.items():
        monkeypatch.setitem(edo.config, name, value)
    edo.extensions.pop("onec_service", None)
    yield onec_emulator
    edo.extensions.pop("onec_service", None)


@pytest.fixture
def plain_template(db: Any, edo: Flask) -> ContractTemplate:
    """A one-line template: the trip through Vchasno does not read what a contract says."""
    stored = store_file(db, docx("Договір поставки № {{ contract_number }}"), "template.docx", DOCX)
    found = ContractTemplate(version=next(_numbers) + 1000, file_id=stored.id, placeholders=["contract_number"])
    db.add(found)
    db.flush()
    return found


@pytest.fixture
def make_contract(db: Any, plain_template: ContractTemplate) -> Callable[..., Contract]:
    """A contract as the lawyer's approval leaves it: "approved", its .docx stored."""

    def make(company: Company, status: str = "approved") -> Contract:
        number = f"2026-T{next(_numbers):05d}"
        generated = store_file(db, docx(f"Договір поставки № {number}", f"Покупець: {company.name}"),
                               f"dogovir-{number}.docx", DOCX)
        contract = Contract(number=number, company_id=company.id, template_id=plain_template.id, status=status,
                            snapshot={"contract_number": number}, generated_file_id=generated.id)
        db.add(contract)
        db.flush()
        return contract

    return make


@pytest.fixture
def buyer_company(make_company: Callable[..., Company], make_user: Callable[..., Any],
                  make_staff: Callable[..., Any], vchasno_emulator: str, edo: Flask) -> Company:
    """A customer registered in Vchasno, with an owner, an e-mail and a manager."""
    company = make_company(email="office@cafe-test.ua", phone="+380671110000", manager_id=make_staff("manager").id)
    make_user(company, role="owner")
    register(vchasno_emulator, company.tax_id)
    return company


def approve(db: Any, contract: Contract) -> None:
    """What the lawyer's approval does (A's edo service): the status and the event, one commit."""
    contract.status = "approved"
    outbox.emit(db, "contract.approved", {"contract_id": contract.id})
    db.commit()


def relay(db: Any, rounds: int = 4) -> None:
    """The relay's sweep until nothing is due: the events the handlers raise go too."""
    for _ in range(rounds):
        if not outbox.sweep(db, current_app.config["OUTBOX_MAX_ATTEMPTS"]):
            break
    db.expire_all()


def events(db: Any, topic: str) -> list[OutboxEvent]:
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)))


def control(emulator: str, which: str, /, **body: Any) -> dict[str, Any]:
    response = http.post(f"{emulator}/_emulator/{which}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def register(emulator: str, edrpou: str) -> None:
    control(emulator, "register", edrpou=edrpou, name=f"Компанія {edrpou}")


def documents(emulator: str) -> list[dict[str, Any]]:
    return http.get(f"{emulator}/_emulator/documents").json()


def fail_next(emulator: str, mode: str, **form: Any) -> None:
    assert http.post(f"{emulator}/_emulator/fail", data={"mode": mode, **form}).status_code == 200
