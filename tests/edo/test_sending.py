"""An approved contract to the customer in Vchasno and back, over real HTTP against the
Vchasno emulator (and the 1C emulator for the status push): uploaded once, sent, signed
or rejected by the customer, the signed files kept, 1C told, the messages planned."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from core import outbox
from core.clock import frozen_at, utcnow
from core.customers.models import Company
from core.files.services import read_file
from edo.models import Contract
from edo.notes import last_error_text
from edo.polling import poll_statuses
from edo.sending import send_contract
from edo.vchasno import from_config
from edo.vchasno.interface import SENT_FOR_FIRST_SIGNATURE
from notify.models import Message
from tests.edo.conftest import ONEC_TAX_ID, approve, control, documents, events, fail_next, http, register, relay


def poll(edo: Flask, db: Any) -> Any:
    provider = from_config(edo.config)
    try:
        return poll_statuses(db, provider)
    finally:
        provider.close()
        db.expire_all()


def history(contract: Contract) -> list[str]:
    return [event.action for event in contract.history]


def messages(db: Any, template: str) -> list[Message]:
    return list(db.scalars(select(Message).where(Message.template == template).order_by(Message.id)))


@pytest.fixture
def onec_company(db: Any, buyer_company: Company, vchasno_emulator: str) -> Company:
    buyer_company.tax_id = ONEC_TAX_ID
    db.flush()
    register(vchasno_emulator, ONEC_TAX_ID)
    return buyer_company


def test_approved_contract_goes_as_a_pdf_is_signed_and_arrives_everywhere(
    edo: Flask, db: Any, vchasno_emulator: str, onec: str, onec_company: Company,
    make_contract: Callable[..., Contract], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(edo.config, "EDO_SEND_PDF", True)
    contract = make_contract(onec_company, status="review")
    approve(db, contract)
    relay(db)

    assert contract.status == "sent" and contract.sent_at is not None and contract.last_error == ""
    assert history(contract) == ["uploaded", "sent"]
    [document] = documents(vchasno_emulator)
    assert (document["id"], document["vendor_id"], document["status"]) == (
        contract.vchasno_id, f"contract-{contract.id}", SENT_FOR_FIRST_SIGNATURE)
    assert document["recipients"] == [{"edrpou": ONEC_TAX_ID, "emails": ["office@cafe-test.ua"]}]
    assert (document["category"], document["number"], document["extension"]) == (3, contract.number, ".pdf")
    # The PDF went; the .docx stays beside it.
    assert contract.pdf_file.content_type == "application/pdf" and contract.generated_file is not None
    assert document["sha256"] == contract.pdf_file.sha256
    [sent_message] = [m for m in messages(db, "contract_sent") if m.channel == "email" and m.recipient == "office@cafe-test.ua"]
    assert f"/app/documents/{contract.vchasno_id}" in sent_message.body
    assert {m.channel for m in messages(db, "contract_sent")} == {"sms", "email"}

    control(vchasno_emulator, "sign", document_id=contract.vchasno_id, signer="Директор Кафе")
    result = poll(edo, db)
    assert (result.asked, result.changed) == (1, {"signed": 1})
    assert contract.status == "signed" and contract.signed_at is not None and contract.vchasno_status == 7008
    assert history(contract) == ["uploaded", "sent", "signed"]
    signed, signature = contract.signed_file, contract.signature_file
    assert hashlib.sha256(read_file(signed)).hexdigest() == signed.sha256 == document["sha256"]
    assert hashlib.sha256(read_file(signature)).hexdigest() == signature.sha256 and signature.name.endswith(".p7s")
    [signed_event] = events(db, "contract.signed")
    assert signed_event.payload["status"] == "signed" and signed_event.payload["company_tax_id"] == ONEC_TAX_ID

    relay(db)
    [in_1c] = http.get(f"{onec}/_emulator/received").json()["contracts"]
    assert (in_1c["portal_id"], in_1c["status"], in_1c["number"]) == (f"contract-{contract.id}", "signed", contract.number)
    assert {m.channel for m in messages(db, "contract_signed")} == {"sms", "email"}
    [to_manager] = messages(db, "contract_signed_manager")
    assert to_manager.recipient == onec_company.manager.email

    # A second poll finds nothing to ask about, and the files are never replaced.
    signed_id, signature_id = contract.signed_file_id, contract.signature_file_id
    assert poll(edo, db).asked == 0
    assert (contract.signed_file_id, contract.signature_file_id) == (signed_id, signature_id)


def test_a_rejection_returns_the_customers_reason_to_the_manager_and_1c(
    edo: Flask, db: Any, vchasno_emulator: str, onec: str, onec_company: Company, make_contract: Callable[..., Contract],
) -> None:
    contract = make_contract(onec_company)
    approve(db, contract)
    relay(db)
    control(vchasno_emulator, "reject", document_id=contract.vchasno_id, reason="Невірний IBAN у реквізитах")
    assert poll(edo, db).changed == {"rejected": 1}
    assert (contract.status, contract.rejection_reason) == ("rejected", "Невірний IBAN у реквізитах")
    assert contract.history[-1].action == "rejected" and contract.history[-1].comment == "Невірний IBAN у реквізитах"
    assert contract.signed_file_id is None
    relay(db)
    [to_manager] = messages(db, "contract_rejected")
    assert to_manager.recipient == onec_company.manager.email and "Невірний IBAN у реквізитах" in to_manager.body
    [in_1c] = http.get(f"{onec}/_emulator/received").json()["contracts"]
    assert in_1c["status"] == "rejected"


def test_annulled_moves_the_contract_and_other_codes_are_only_noted(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    annulled, waiting = make_contract(buyer_company), make_contract(buyer_company)
    for contract in (annulled, waiting):
        approve(db, contract)
    relay(db)
    control(vchasno_emulator, "status", document_id=annulled.vchasno_id, status=7011)
    control(vchasno_emulator, "status", document_id=waiting.vchasno_id, status=7007)
    assert poll(edo, db).changed == {"annulled": 1}
    assert (annulled.status, history(annulled)[-1]) == ("annulled", "annulled")
    assert [e.payload["status"] for e in events(db, "contract.annulled")] == ["terminated"]
    assert (waiting.status, waiting.vchasno_status) == ("sent", 7007) and waiting.vchasno_checked_at is not None
    assert history(waiting) == ["uploaded", "sent"]


def test_one_contract_that_cannot_be_taken_does_not_stop_the_others(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    broken, fine = make_contract(buyer_company), make_contract(buyer_company)
    for contract in (broken, fine):
        approve(db, contract)
    relay(db)
    # Marked signed with no signature on it: its signature container cannot be downloaded.
    control(vchasno_emulator, "status", document_id=broken.vchasno_id, status=7008)
    control(vchasno_emulator, "sign", document_id=fine.vchasno_id)
    result = poll(edo, db)
    assert (result.changed, result.failed) == ({"signed": 1}, [broken.id])
    assert (broken.status, broken.signed_file_id, fine.status) == ("sent", None, "signed")
    assert len(events(db, "contract.signed")) == 1
    assert broken.last_error.startswith("poll signed: ") and fine.last_error == ""
    assert "не зміг його прийняти" in last_error_text(broken.last_error)
    control(vchasno_emulator, "status", document_id=broken.vchasno_id, status=7002)
    control(vchasno_emulator, "sign", document_id=broken.vchasno_id)  # signed for real this time
    poll(edo, db)
    assert (broken.status, broken.last_error) == ("signed", "") and broken.signed_file_id is not None


def test_the_poll_asks_in_batches(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    contracts = [make_contract(buyer_company) for _ in range(5)]
    for contract in contracts:
        approve(db, contract)
    relay(db)
    control(vchasno_emulator, "sign", document_id=contracts[3].vchasno_id)
    provider = from_config(edo.config)
    try:
        result = poll_statuses(db, provider, batch=2)
    finally:
        provider.close()
    assert (result.asked, result.answered, result.changed) == (5, 5, {"signed": 1})


def test_a_worker_that_died_after_the_upload_does_not_upload_twice(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    died_after_send, died_before_send = make_contract(buyer_company), make_contract(buyer_company)
    db.commit()
    provider = from_config(edo.config)
    try:
        # The whole send ran, then the worker died before its commit: nothing of it is kept here.
        savepoint = db.begin_nested()
        assert send_contract(db, provider, died_after_send)
        savepoint.rollback()
        # This one died between the upload and the send.
        provider.upload(b"%PDF-1.4\n", "d.pdf", vendor_id=f"contract-{died_before_send.id}",
                        recipient_edrpou=buyer_company.tax_id, recipient_email="office@cafe-test.ua",
                        title="Договір", number=died_before_send.number)
    finally:
        provider.close()
    db.expire_all()
    assert died_after_send.status == "approved" and died_after_send.vchasno_id is None
    assert len(documents(vchasno_emulator)) == 2

    for contract in (died_after_send, died_before_send):
        approve(db, contract)
    relay(db)
    in_vchasno = {d["vendor_id"]: d for d in documents(vchasno_emulator)}
    assert len(in_vchasno) == 2 and len(documents(vchasno_emulator)) == 2
    for contract in (died_after_send, died_before_send):
        assert contract.status == "sent" and contract.vchasno_id == in_vchasno[f"contract-{contract.id}"]["id"]
        assert in_vchasno[f"contract-{contract.id}"]["status"] == SENT_FOR_FIRST_SIGNATURE
        assert contract.history[0].comment == "знайдено у Вчасно за нашим ідентифікатором"


def test_a_redelivered_approval_and_a_contract_not_approved_send_nothing(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    contract = make_contract(buyer_company)
    approve(db, contract)
    relay(db)
    approve_again = make_contract(buyer_company, status="review")
    outbox.emit(db, "contract.approved", {"contract_id": contract.id})  # the same approval again
    outbox.emit(db, "contract.approved", {"contract_id": approve_again.id})  # not approved by a lawyer
    outbox.emit(db, "contract.approved", {"contract_id": 10**9})  # no such contract
    db.commit()
    relay(db)
    assert len(documents(vchasno_emulator)) == 1
    assert approve_again.status == "review" and approve_again.vchasno_id is None
    assert [e.status for e in events(db, "contract.approved")] == ["done"] * 4


def test_no_integration_tariff_is_not_retried_and_shows_on_the_contract(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    contract = make_contract(buyer_company)
    fail_next(vchasno_emulator, "no_tariff", count="5")
    approve(db, contract)
    relay(db)
    [event] = events(db, "contract.approved")
    assert (event.status, event.attempts) == ("failed", 1) and "no_tariff" in event.last_error
    assert contract.status == "approved" and contract.last_error.startswith("vchasno no_tariff")
    assert history(contract) == ["upload_failed"] and "no_tariff" in contract.history[0].comment
    assert documents(vchasno_emulator) == []


def test_a_wrong_token_is_an_auth_error_on_the_contract(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(edo.config, "VCHASNO_TOKEN", "not-our-token")
    contract = make_contract(buyer_company)
    approve(db, contract)
    relay(db)
    [event] = events(db, "contract.approved")
    assert event.status == "failed" and "vchasno auth" in event.last_error
    assert contract.last_error.startswith("vchasno auth") and history(contract) == ["upload_failed"]


def test_rate_limit_waits_for_retry_after_and_a_5xx_is_retried(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    contract = make_contract(buyer_company)
    fail_next(vchasno_emulator, "rate_limited", retry_after="600")
    approve(db, contract)
    relay(db)
    [event] = events(db, "contract.approved")
    assert event.status == "pending" and "rate_limited" in event.last_error
    assert event.next_attempt_at >= utcnow() + timedelta(seconds=590)  # Vchasno's wait, not the 10 s backoff
    assert contract.status == "approved" and contract.last_error.startswith("vchasno rate_limited")
    assert history(contract) == []  # not final: nothing in the history yet

    fail_next(vchasno_emulator, "server_error")
    with frozen_at(utcnow() + timedelta(minutes=11)):
        relay(db)
        assert "http_502" in event.last_error and event.status == "pending"
    with frozen_at(utcnow() + timedelta(minutes=30)):
        relay(db)
    assert (event.status, contract.status, contract.last_error) == ("done", "sent", "")
    assert len(documents(vchasno_emulator)) == 1


def test_the_last_retry_that_fails_is_a_final_failure(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(edo.config, "OUTBOX_MAX_ATTEMPTS", 2)
    contract = make_contract(buyer_company)
    fail_next(vchasno_emulator, "server_error", count="2")
    approve(db, contract)
    relay(db)
    assert history(contract) == []
    with frozen_at(utcnow() + timedelta(hours=2)):
        relay(db)
    [event] = events(db, "contract.approved")
    assert event.status == "failed" and history(contract) == ["upload_failed"]
    assert contract.status == "approved"


def test_edo_poll_command_polls_now(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    contract = make_contract(buyer_company)
    approve(db, contract)
    relay(db)
    control(vchasno_emulator, "sign", document_id=contract.vchasno_id)
    result = edo.test_cli_runner().invoke(args=["edo-poll"])
    assert result.exit_code == 0, result.output
    assert "asked about 1 contracts, Vchasno answered 1: signed 1" in result.output
    db.expire_all()
    assert contract.status == "signed"


def test_the_reason_a_contract_waits_is_told_to_staff_in_their_language(edo: Flask) -> None:
    from flask_babel import force_locale

    from edo.notes import last_error_text

    assert last_error_text("") == ""
    assert "зареєстрований у Вчасно" in last_error_text("waiting_registration")
    assert "«Інтеграція»" in last_error_text("vchasno no_tariff: HTTP 403: Для роботи з API потрібен тариф")
    assert "автоматично" in last_error_text("vchasno http_502: HTTP 502: <html>")
    assert last_error_text("vchasno invalid_request: HTTP 400: title: занадто довгий") == (
        "Вчасно відмовив: HTTP 400: title: занадто довгий")
    with force_locale("en"):
        assert last_error_text("vchasno auth: HTTP 403: Токен").startswith("Vchasno did not accept the API token")
        assert last_error_text("waiting_registration").startswith("The customer is not registered in Vchasno yet")
