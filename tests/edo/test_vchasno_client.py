"""The Vchasno adapter (edo/vchasno) over real HTTP against the Vchasno emulator: every
operation round-trips, and every failure is the ProviderError the outbox can act on."""
from __future__ import annotations

import hashlib
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from flask import Flask

from core.providers import ProviderError
from edo.vchasno import VchasnoClient, VchasnoDocument, from_config
from edo.vchasno.client import retry_after_seconds
from edo.vchasno.interface import FULLY_SIGNED, READY, REJECTED, SENT_FOR_FIRST_SIGNATURE
from edo.vchasno.settings import VchasnoSettings
from emulators.http import serve_in_thread
from emulators.vchasno import create_app

TOKEN, OTHER_TOKEN = "edo-test-token", "edo-other-company-token"
OWNER, OTHER_OWNER = "12345678", "87654321"
CUSTOMER, UNREGISTERED = "32855961", "40001234"
PDF = b"%PDF-1.4\n% contract 7\n"
http = httpx.Client(timeout=30)
# API calls the emulator received, by method and path (the test's view, not the adapter's).
calls: Counter[tuple[str, str]] = Counter()


def counting(app: Flask) -> Callable[..., Any]:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        calls[(environ["REQUEST_METHOD"], environ["PATH_INFO"])] += 1
        return app(environ, start_response)

    return middleware


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    url, stop = serve_in_thread(counting(create_app({TOKEN: OWNER, OTHER_TOKEN: OTHER_OWNER})))
    yield url
    stop()


@pytest.fixture(autouse=True)
def fresh(emulator: str) -> None:
    assert http.post(f"{emulator}/_emulator/reset").status_code == 204
    calls.clear()


@pytest.fixture
def vchasno(emulator: str) -> Iterator[VchasnoClient]:
    client = from_config({"VCHASNO_BASE_URL": emulator, "VCHASNO_TOKEN": TOKEN, "VCHASNO_TIMEOUT": 10.0})
    yield client
    client.close()


def upload(vchasno: VchasnoClient, vendor_id: str = "contract-7", **overrides: Any) -> VchasnoDocument:
    given = {"vendor_id": vendor_id, "recipient_edrpou": CUSTOMER, "recipient_email": "buh@smak.ua",
             "title": "Договір поставки № 7", "number": "7/2026"} | overrides
    return vchasno.upload(PDF, "dogovir-7.pdf", **given)


def control(emulator: str, which: str, /, **body: Any) -> dict[str, Any]:
    response = http.post(f"{emulator}/_emulator/{which}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def in_emulator(emulator: str, document_id: str) -> dict[str, Any]:
    [document] = [d for d in http.get(f"{emulator}/_emulator/documents").json() if d["id"] == document_id]
    return document


def fail_next(emulator: str, mode: str, **form: Any) -> None:
    assert http.post(f"{emulator}/_emulator/fail", data={"mode": mode, **form}).status_code == 200


def refused(call: Callable[[], Any]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    assert caught.value.provider == "vchasno"
    return caught.value


def test_a_contract_is_uploaded_for_the_customers_signature_only_sent_signed_and_downloaded(
    emulator: str, vchasno: VchasnoClient
) -> None:
    document = upload(vchasno)
    assert document.status == READY
    stored = in_emulator(emulator, document.id)
    assert stored["vendor_id"] == "contract-7" and stored["category"] == 3 and stored["owner_edrpou"] == OWNER
    assert stored["title"] == "Договір поставки № 7" and stored["number"] == "7/2026"
    assert stored["recipients"] == [{"edrpou": CUSTOMER, "emails": ["buh@smak.ua"]}]
    assert stored["first_sign_by"] == "recipient" and stored["expected_owner_signatures"] == 0
    assert stored["sha256"] == hashlib.sha256(PDF).hexdigest()

    vchasno.send(document.id)
    assert vchasno.statuses([document.id]) == {document.id: SENT_FOR_FIRST_SIGNATURE}
    control(emulator, "sign", document_id=document.id)  # the customer alone makes it signed
    assert vchasno.statuses([document.id]) == {document.id: FULLY_SIGNED}
    assert vchasno.download_original(document.id) == PDF
    signature = vchasno.download_signature(document.id)
    assert signature == http.get(f"{emulator}/api/v2/documents/{document.id}/p7s", headers={"Authorization": TOKEN}).content
    assert signature.endswith(PDF)
    assert vchasno.rejection_reason(document.id) is None


def test_sending_twice_is_refused_for_good(emulator: str, vchasno: VchasnoClient) -> None:
    document = upload(vchasno)
    vchasno.send(document.id)
    error = refused(lambda: vchasno.send(document.id))
    assert error.code == "invalid_document_status" and error.permanent
    assert vchasno.statuses([document.id])[document.id] == SENT_FOR_FIRST_SIGNATURE


def test_an_uploaded_contract_is_found_by_our_id_before_uploading_again(emulator: str, vchasno: VchasnoClient) -> None:
    assert vchasno.find_by_vendor_id("contract-7") == []
    first = upload(vchasno)
    upload(vchasno, vendor_id="contract-8")
    assert vchasno.find_by_vendor_id("contract-7") == [first]
    vchasno.send(first.id)
    assert vchasno.find_by_vendor_id("contract-7") == [VchasnoDocument(first.id, SENT_FOR_FIRST_SIGNATURE)]
    other = VchasnoClient(emulator, OTHER_TOKEN, timeout=10)
    try:
        assert other.find_by_vendor_id("contract-7") == []  # another company's token sees none of ours
        error = refused(lambda: other.download_original(first.id))
        assert error.code == "not_found" and error.permanent
    finally:
        other.close()


def test_every_page_of_documents_with_one_vendor_id_is_read(emulator: str, vchasno: VchasnoClient) -> None:
    # Vchasno does not refuse a second upload with the same vendor_id; the emulator pages by 100.
    uploaded = [upload(vchasno).id for _ in range(101)]
    calls.clear()
    assert [document.id for document in vchasno.find_by_vendor_id("contract-7")] == uploaded
    assert calls[("GET", "/api/v2/documents")] == 2


def test_statuses_of_1200_documents_take_three_calls(emulator: str, vchasno: VchasnoClient) -> None:
    ids = control(emulator, "seed", owner_edrpou=OWNER, recipient_edrpou=CUSTOMER, count=1200)["ids"]
    control(emulator, "status", document_id=ids[700], status=REJECTED)
    calls.clear()
    found = vchasno.statuses(ids + ids[:10] + ["00000000-0000-0000-0000-000000000000"])
    assert calls[("POST", "/api/v2/documents/statuses")] == 3  # 1,201 distinct ids: 500 + 500 + 201
    assert len(found) == 1200 and found[ids[700]] == REJECTED
    assert {status for key, status in found.items() if key != ids[700]} == {READY}
    calls.clear()
    assert vchasno.statuses([]) == {} and not calls


def test_a_rejection_carries_the_customers_reason(emulator: str, vchasno: VchasnoClient) -> None:
    document = upload(vchasno)
    vchasno.send(document.id)
    control(emulator, "reject", document_id=document.id, reason="Невірні реквізити покупця")
    assert vchasno.statuses([document.id]) == {document.id: REJECTED}
    assert vchasno.rejection_reason(document.id) == "Невірні реквізити покупця"


def test_registration_in_vchasno_is_checked_one_code_at_a_time(emulator: str, vchasno: VchasnoClient) -> None:
    assert vchasno.is_registered(CUSTOMER) is True
    assert vchasno.is_registered(UNREGISTERED) is False
    control(emulator, "register", edrpou=UNREGISTERED, name="ТОВ «Нова»")
    assert vchasno.is_registered(UNREGISTERED) is True
    error = refused(lambda: vchasno.is_registered("1234"))
    assert error.code == "invalid_request" and error.permanent and "ЄДРПОУ" in error.detail


def test_a_wrong_or_missing_token_is_a_permanent_auth_failure(emulator: str) -> None:
    for token in ("wrong-token", ""):
        client = VchasnoClient(emulator, token, timeout=10)
        try:
            error = refused(lambda: client.is_registered(CUSTOMER))
            assert error.code == "auth" and error.permanent and "403" in error.detail
            assert refused(lambda: upload(client)).code == "auth"
        finally:
            client.close()
    assert http.get(f"{emulator}/_emulator/documents").json() == []


def test_no_integration_tariff_is_permanent(emulator: str, vchasno: VchasnoClient) -> None:
    fail_next(emulator, "no_tariff")
    error = refused(lambda: upload(vchasno))
    assert error.code == "no_tariff" and error.permanent and "Інтеграція" in error.detail
    assert http.get(f"{emulator}/_emulator/documents").json() == []


def test_the_rate_limit_is_retryable_after_vchasnos_retry_after(emulator: str, vchasno: VchasnoClient) -> None:
    fail_next(emulator, "rate_limited", retry_after=37)
    error = refused(lambda: vchasno.statuses(["x"]))
    assert error.code == "rate_limited" and error.retryable and error.retry_after == 37.0
    assert calls[("POST", "/api/v2/documents/statuses")] == 1  # py-vchasno did not retry on its own
    assert vchasno.statuses(["x"]) == {}  # the limit passed


def test_a_server_error_is_retryable_and_not_retried_here(emulator: str, vchasno: VchasnoClient) -> None:
    fail_next(emulator, "server_error", count=2)
    error = refused(lambda: upload(vchasno))
    assert error.code == "http_502" and error.retryable and error.retry_after is None
    assert calls[("POST", "/api/v2/documents")] == 1
    assert refused(lambda: vchasno.find_by_vendor_id("contract-7")).code == "http_502"
    assert http.get(f"{emulator}/_emulator/documents").json() == []
    assert upload(vchasno).status == READY


def test_an_unknown_document_is_not_found(vchasno: VchasnoClient) -> None:
    for call in (vchasno.download_original, vchasno.download_signature, vchasno.rejection_reason, vchasno.send):
        error = refused(lambda: call("00000000-0000-0000-0000-000000000000"))
        assert error.code == "not_found" and error.permanent


def test_a_bad_upload_is_refused_for_good_and_stores_nothing(emulator: str, vchasno: VchasnoClient) -> None:
    for overrides, code in (
        ({"recipient_email": "not-an-address"}, "invalid_request"),
        ({"recipient_edrpou": "12AB5678"}, "invalid_request"),
    ):
        error = refused(lambda: upload(vchasno, **overrides))
        assert error.code == code and error.permanent
    assert refused(lambda: vchasno.upload(b"", "empty.pdf", vendor_id="c", recipient_edrpou=CUSTOMER,
                                          recipient_email="buh@smak.ua", title="t", number="1")).code == "invalid_request"
    too_big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    error = refused(lambda: vchasno.upload(too_big, "big.pdf", vendor_id="c", recipient_edrpou=CUSTOMER,
                                           recipient_email="buh@smak.ua", title="t", number="1"))
    assert error.code == "file_too_large" and error.permanent and "413" in error.detail
    assert http.get(f"{emulator}/_emulator/documents").json() == []


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert retry_after_seconds("120") == 120.0 and retry_after_seconds("0") == 0.0
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= (retry_after_seconds(in_a_minute) or 0) <= 60
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # already past: ask again now
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None and retry_after_seconds("") is None


def test_a_signature_of_an_unsigned_document_is_refused(vchasno: VchasnoClient) -> None:
    error = refused(lambda: vchasno.download_signature(upload(vchasno).id))
    assert error.code == "invalid_document_status" and error.permanent


def test_a_silent_server_is_a_retryable_timeout_and_a_closed_port_unreachable() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts the connection, never answers
        client = VchasnoClient(f"http://127.0.0.1:{silent.getsockname()[1]}", TOKEN, timeout=0.3)
        error = refused(lambda: client.statuses(["x"]))
        client.close()
        silent.setblocking(False)
        assert len(accepted(silent)) == 1  # one try: the outbox decides when to ask again
    assert error.code == "timeout" and error.retryable
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = VchasnoClient(f"http://127.0.0.1:{port}", TOKEN, timeout=1)
    error = refused(lambda: client.is_registered(CUSTOMER))
    client.close()
    assert error.code == "unreachable" and error.retryable


def accepted(listening: socket.socket) -> list[socket.socket]:
    connections = []
    while True:
        try:
            connections.append(listening.accept()[0])
        except BlockingIOError:
            break
    for connection in connections:
        connection.close()
    return connections


def test_an_answer_we_cannot_read_is_a_permanent_bad_answer() -> None:
    garbage = Flask("garbage")
    garbage.add_url_rule("/api/v2/documents/statuses", "statuses", lambda: ({"rows": []}, 200), methods=["POST"])
    garbage.add_url_rule(
        "/api/v2/check/company", "check", lambda: ("{not json", 200, {"Content-Type": "application/json"}), methods=["POST"]
    )
    url, stop = serve_in_thread(garbage)
    client = VchasnoClient(url, TOKEN, timeout=5)
    try:
        for call in (lambda: client.statuses(["x"]), lambda: client.is_registered(CUSTOMER)):
            error = refused(call)
            assert error.code == "bad_answer" and error.permanent
    finally:
        client.close()
        stop()


def test_plain_http_is_refused_to_another_machine() -> None:
    error = refused(lambda: VchasnoClient("http://edo.vchasno.ua", TOKEN, timeout=5))
    assert error.code == "insecure_url" and error.permanent
    VchasnoClient("https://edo.vchasno.ua", TOKEN, timeout=5).close()


def test_the_settings_default_to_vchasno_itself() -> None:
    client = from_config({name: getattr(VchasnoSettings, name) for name in dir(VchasnoSettings) if name.isupper()})
    client.close()
    assert VchasnoSettings.VCHASNO_BASE_URL == "https://edo.vchasno.ua" and VchasnoSettings.VCHASNO_TIMEOUT > 0
