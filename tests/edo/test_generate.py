"""Generating a contract: the fields from the card, the terms and the settings; numbers;
the snapshot; every missing field named at once; what a new contract supersedes."""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.files.services import read_file
from core.outbox import OutboxEvent
from edo.generate import generate_contract
from edo.models import Contract
from edo.numbering import next_number
from tests.edo.documents import texts

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def test_a_contract_is_filled_from_the_card_the_terms_and_the_supplier(app, db, ready_company, manager, generate):
    contract = generate(ready_company, manager, now=NOW)
    assert contract.status == "review" and contract.reason == "manual" and contract.submitted_at == NOW
    assert re.fullmatch(r"Д-2026-\d{5}", contract.number)
    with app.app_context():
        text = "\n".join(texts(read_file(contract.generated_file)))
    assert f"ДОГОВІР ПОСТАВКИ № {contract.number}" in text and "м. Київ, 07.12.2026" in text
    assert "ТОВ «Ромашка & Ко» (далі — Покупець), в особі директор Петренко Іван Іванович, що діє на підставі Статуту" in text
    assert "протягом 14 календарних днів з дня її поставки" in text and "передоплати" not in text
    assert "ТОВ «Оптовик Демо»" in text and "IBAN UA213223130000026007233566001" in text
    assert "менеджер Постачальника Коваль Олена, тел. +380501112233" in text
    [step] = contract.history
    assert (step.action, step.staff_user_id) == ("generated", manager.id)
    event = db.scalar(select(OutboxEvent).where(OutboxEvent.topic == "contract.generated").order_by(OutboxEvent.id.desc()))
    assert event.payload == {"contract_id": contract.id, "company_id": ready_company.id, "reason": "manual"}


def test_the_snapshot_is_plain_json_with_money_as_a_string(ready_company, manager, generate):
    ready_company.credit_limit = Decimal("150000.50")
    contract = generate(ready_company, manager, now=NOW)
    snapshot = contract.snapshot
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["credit_limit"] == "150000.50" and snapshot["contract_date"] == "2026-12-07"
    assert snapshot["company_iban"] == "UA213223130000026007233566001"
    assert snapshot["payment_terms_kind"] == "deferred" and snapshot["deferral_days"] == 14
    assert snapshot["payment_terms"] == "відстрочка платежу 14 календарних днів"
    assert snapshot["manager_name"] == "Коваль Олена" and snapshot["price_type"] == "wholesale"


def test_numbers_count_per_year_and_never_repeat(make_company, ready_company, manager, generate, db):
    first = generate(ready_company, manager, now=NOW)
    other = make_company(manager_id=manager.id, **{name: getattr(ready_company, name) for name in (
        "email", "legal_address", "iban", "signer_name", "signer_position", "signing_basis")})
    second = generate(other, manager, now=NOW)
    next_year = generate(other, manager, now=datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc))  # 1 Jan in Kyiv
    assert second.number == f"Д-2026-{int(first.number[-5:]) + 1:05d}"
    assert re.fullmatch(r"Д-2027-\d{5}", next_year.number)


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"), reason="SQLite has one writer at a time")
def test_two_generations_at_once_take_two_numbers_without_waiting_for_each_other(app):
    """Each in a transaction still open (rendering, say): the second is not held up by the first."""
    engine = app.extensions["db_engine"]
    with app.app_context(), Session(engine) as first, Session(engine) as second:
        first.execute(text("SET lock_timeout = '2s'"))
        second.execute(text("SET lock_timeout = '2s'"))
        numbers = [next_number(first, NOW), next_number(second, NOW), next_number(first, NOW)]
        first.rollback()
        second.rollback()
    sequence = [int(number[-5:]) for number in numbers]
    assert sequence == [sequence[0], sequence[0] + 1, sequence[0] + 2]


def test_every_missing_field_is_named_at_once_and_nothing_is_made(app, db, make_company, template):
    company = make_company(legal_address="м. Київ", signer_position="директор")
    with app.test_request_context(), pytest.raises(DomainError) as refused:
        generate_contract(db, company, None)
    assert refused.value.message == (
        "Договір не сформовано: на картці контрагента не заповнено: "
        "E-mail, IBAN, Підписант (ПІБ), Діє на підставі."
    )
    assert db.scalar(select(Contract.id).where(Contract.company_id == company.id)) is None


def test_without_a_template_generation_says_so(app, db, ready_company):
    with app.test_request_context(), pytest.raises(DomainError, match="шаблону договору ще немає"):
        generate_contract(db, ready_company, None)


def test_a_new_contract_supersedes_the_unsigned_one_but_not_one_with_the_customer(app, db, ready_company, manager, generate):
    first = generate(ready_company, manager, now=NOW)
    ready_company.signing_basis = "Виписки з ЄДР"  # the same data again would be refused as a repeat
    second = generate(ready_company, manager)
    assert first.status == "superseded" and second.status == "review"
    assert [step.action for step in first.history] == ["generated", "superseded"]
    assert first.history[-1].comment == f"№ {second.number}"
    second.status = "sent"  # uploaded to Vchasno: the customer may sign it there
    db.flush()
    with app.test_request_context(), pytest.raises(DomainError, match=f"№ {second.number} уже надіслано клієнту"):
        generate_contract(db, ready_company, manager)
    assert second.status == "sent"


def test_a_sole_proprietor_is_named_by_rnokpp(make_company, manager, generate, app, db):
    company = make_company("ФОП Іваненко Марія Петрівна", sole=True, manager_id=manager.id, email="m@ivanenko.example",
                           legal_address="м. Львів", iban="UA213223130000026007233566001", signer_name="Іваненко Марія Петрівна",
                           signer_position="фізична особа — підприємець", signing_basis="Виписки з ЄДР")
    contract = generate(company, manager)
    with app.app_context():
        text = "\n".join(texts(read_file(contract.generated_file)))
    assert f"РНОКПП {company.tax_id}" in text and "фізична особа — підприємець, що діє на підставі Виписки з ЄДР" in text
