"""The Vchasno EDO emulator over real HTTP, called the way Vchasno's API instruction and
py-vchasno call it: `Authorization: <token>`, the upload's parameters in the query string."""
from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulators.http import serve_in_thread
from emulators.vchasno import create_app

TOKEN, OTHER_TOKEN = "vchasno-test-token", "vchasno-other-company-token"
OWNER, OTHER_OWNER = "12345678", "87654321"
CUSTOMER, UNREGISTERED = "32855961", "40001234"
PDF = b"%PDF-1.4\n% contract 42\n"
OWNER_SIGNATURE = base64.b64encode(b"0\x82 owner's detached CAdES").decode()
http = httpx.Client(timeout=30)


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    url, stop = serve_in_thread(create_app({TOKEN: OWNER, OTHER_TOKEN: OTHER_OWNER}))
    yield url
    stop()


@pytest.fixture(autouse=True)
def fresh(emulator: str) -> None:
    assert http.post(f"{emulator}/_emulator/reset").status_code == 204


def api(emulator: str, method: str, path: str, *, token: str | None = TOKEN, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": token} if token is not None else {}
    return http.request(method, f"{emulator}/api/v2{path}", headers=headers, **kwargs)


def upload(emulator: str, *, token: str = TOKEN, content: bytes = PDF, filename: str = "dogovir-42.pdf", **params: Any) -> dict[str, Any]:
    query = {"recipient_edrpou": CUSTOMER, "recipient_emails": "buh@smak.ua", "title": "Договір № 42",
             "category": 3, "vendor_id": "contract-42"} | params
    response = api(emulator, "POST", "/documents", token=token, params=query, files={"file": (filename, content)})
    assert response.status_code == 201, response.text
    [document] = response.json()["documents"]
    return document


def statuses(emulator: str, ids: list[str], token: str = TOKEN) -> dict[str, int]:
    response = api(emulator, "POST", "/documents/statuses", token=token, json={"document_ids": ids})
    assert response.status_code == 200, response.text
    return {row["document_id"]: row["status_id"] for row in response.json()["data_list"]}


def status_of(emulator: str, document_id: str) -> int:
    return statuses(emulator, [document_id])[document_id]


def control(emulator: str, which: str, /, **body: Any) -> httpx.Response:
    return http.post(f"{emulator}/_emulator/{which}", json=body)


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["reason"], body
    return body


def test_the_api_refuses_a_call_without_the_token_or_with_a_wrong_one(emulator: str) -> None:
    for token in (None, "", "wrong-token", f"Bearer {TOKEN}"):
        refused(api(emulator, "GET", "/documents", token=token), 403, "login_required")
        refused(api(emulator, "POST", "/check/company", token=token, json={"edrpou": CUSTOMER}), 403, "login_required")
    refused(api(emulator, "POST", "/documents", token=None, files={"file": ("d.pdf", PDF)}), 403, "login_required")
    assert http.get(f"{emulator}/_emulator/documents").json() == []


def test_an_upload_signed_by_the_owner_is_signed_by_the_customer_on_the_page_and_downloaded(emulator: str) -> None:
    document = upload(emulator)
    assert document["status"] == 7001 and document["vendor_id"] == "contract-42" and document["category"] == 3
    assert document["title"] == "Договір № 42" and document["recipients"] == [{"edrpou": CUSTOMER, "emails": ["buh@smak.ua"]}]
    doc_id = document["id"]

    signed = api(emulator, "POST", f"/documents/{doc_id}/signatures", json={"signature": OWNER_SIGNATURE})
    assert signed.status_code == 200 and signed.json()["status"] == 7003
    assert api(emulator, "POST", f"/documents/{doc_id}/send").json()["status"] == 7004
    assert status_of(emulator, doc_id) == 7004

    # The customer signs on the page, as in the demo: a form post, 303 back to the page.
    page = http.post(f"{emulator}/_emulator/sign", data={"document_id": doc_id, "signer": "Іванов І. І."})
    assert page.status_code == 303 and page.headers["location"] == "/"
    assert status_of(emulator, doc_id) == 7008
    finished = api(emulator, "GET", f"/documents/{doc_id}").json()
    assert finished["date_finished"] and [s["edrpou"] for s in finished["signatures"]] == [OWNER, CUSTOMER]

    original = api(emulator, "GET", f"/documents/{doc_id}/original")
    assert original.status_code == 200 and original.content == PDF
    assert original.headers["content-type"] == "application/pdf"
    assert "dogovir-42.pdf" in original.headers["content-disposition"]
    container = api(emulator, "GET", f"/documents/{doc_id}/p7s")
    assert container.status_code == 200 and container.headers["content-type"] == "application/pkcs7-signature"

    assert container.content.startswith(b"VCHASNO EMULATOR P7S") and container.content.endswith(PDF)
    assert hashlib.sha256(PDF).hexdigest().encode() in container.content
    archive = zipfile.ZipFile(io.BytesIO(api(emulator, "GET", f"/documents/{doc_id}/archive").content))
    names = archive.namelist()
    assert names[0] == "dogovir-42.pdf" and archive.read(names[0]) == PDF and len(names) == 3

    home = http.get(emulator)
    assert home.status_code == 200 and "Підписаний усіма сторонами" in home.text and "Іванов І. І." in home.text


def test_a_ukrainian_file_name_is_downloaded_under_rfc_6266(emulator: str) -> None:
    doc_id = upload(emulator, filename="Договір № 42.pdf")["id"]
    http.post(f"{emulator}/_emulator/sign", data={"document_id": doc_id, "signer": "Іванов І. І."})
    original = api(emulator, "GET", f"/documents/{doc_id}/original")
    assert original.status_code == 200 and original.content == PDF
    assert "filename*=UTF-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D1%96%D1%80%20%E2%84%96%2042.pdf" in (
        original.headers["content-disposition"])


def test_a_document_the_owner_does_not_sign_goes_to_the_customer_at_once(emulator: str) -> None:
    doc_id = upload(emulator, recipient_edrpou=UNREGISTERED, expected_owner_signatures=0)["id"]
    assert api(emulator, "POST", f"/documents/{doc_id}/send").json()["status"] == 7002
    assert api(emulator, "POST", "/check/company", json={"edrpou": UNREGISTERED}).json()["is_registered"] is False
    assert control(emulator, "sign", document_id=doc_id).json()["status"] == 7008
    # Signing took a key and a login in Vchasno: the customer is registered now.
    assert api(emulator, "POST", "/check/company", json={"edrpou": UNREGISTERED}).json()["is_registered"] is True


def test_the_recipient_signs_first_and_the_owner_finishes(emulator: str) -> None:
    doc_id = upload(emulator, first_sign_by="recipient")["id"]
    refused(api(emulator, "POST", f"/documents/{doc_id}/signatures", json={"signature": OWNER_SIGNATURE}),
            400, "invalid_document_status")
    assert api(emulator, "POST", f"/documents/{doc_id}/send").json()["status"] == 7002
    assert control(emulator, "sign", document_id=doc_id).json()["status"] == 7007
    refused(control(emulator, "sign", document_id=doc_id), 400, "invalid_document_status")
    signed = api(emulator, "POST", f"/documents/{doc_id}/signatures", json={"signature": OWNER_SIGNATURE})
    assert signed.json()["status"] == 7008


def test_the_customer_rejects_with_a_reason_the_owner_reads_in_the_comments(emulator: str) -> None:
    doc_id = upload(emulator, expected_owner_signatures=0)["id"]
    api(emulator, "POST", f"/documents/{doc_id}/send")
    without_reason = http.post(f"{emulator}/_emulator/reject", data={"document_id": doc_id, "reason": " "})
    assert without_reason.status_code == 400 and "причину" in without_reason.text
    assert status_of(emulator, doc_id) == 7002

    page = http.post(f"{emulator}/_emulator/reject", data={"document_id": doc_id, "reason": "Невірна адреса доставки"})
    assert page.status_code == 303
    assert status_of(emulator, doc_id) == 7006
    [comment] = api(emulator, "GET", f"/documents/{doc_id}/comments").json()["comments"]
    assert comment["type"] == "rejection" and comment["text"] == "Невірна адреса доставки"
    assert comment["edrpou"] == CUSTOMER
    refused(control(emulator, "sign", document_id=doc_id), 400, "invalid_document_status")
    refused(api(emulator, "GET", f"/documents/{doc_id}/p7s"), 400, "invalid_document_status")


def test_a_document_is_found_by_the_clients_own_id_before_uploading_again(emulator: str) -> None:
    first = upload(emulator, vendor_id="contract-1")
    upload(emulator, vendor_id="contract-2")
    found = api(emulator, "GET", "/documents", params={"vendor_id": "contract-1"}).json()
    assert [document["id"] for document in found["documents"]] == [first["id"]] and found["next_cursor"] is None
    assert api(emulator, "GET", "/documents", params={"vendor_id": "contract-3"}).json()["documents"] == []
    # Vchasno does not refuse a repeated vendor_id: the second upload is a second document.
    again = upload(emulator, vendor_id="contract-1")
    both = api(emulator, "GET", "/documents", params={"vendor_id": "contract-1"}).json()["documents"]
    assert {document["id"] for document in both} == {first["id"], again["id"]}

    page = api(emulator, "GET", "/documents", params={"limit": 2}).json()
    assert len(page["documents"]) == 2 and page["next_cursor"] == "2"
    rest = api(emulator, "GET", "/documents", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(rest["documents"]) == 1 and rest["next_cursor"] is None
    assert len(api(emulator, "GET", "/documents", params={"status": 7001}).json()["documents"]) == 3
    assert api(emulator, "GET", "/documents", params={"status": 7008}).json()["documents"] == []


def test_another_companys_documents_are_not_found(emulator: str) -> None:
    doc_id = upload(emulator)["id"]
    for path in ("", "/original", "/comments"):
        refused(api(emulator, "GET", f"/documents/{doc_id}{path}", token=OTHER_TOKEN), 404, "object_does_not_exist")
    refused(api(emulator, "POST", f"/documents/{doc_id}/send", token=OTHER_TOKEN), 404, "object_does_not_exist")
    assert statuses(emulator, [doc_id], token=OTHER_TOKEN) == {}
    assert api(emulator, "GET", "/documents", token=OTHER_TOKEN).json()["documents"] == []
    refused(api(emulator, "GET", "/documents/no-such-id"), 404, "object_does_not_exist")
    assert status_of(emulator, doc_id) == 7001


def test_bad_uploads_are_refused_and_change_nothing(emulator: str) -> None:
    refused(api(emulator, "POST", "/documents", params={"recipient_edrpou": CUSTOMER}), 400, "invalid_request")
    bad = [
        {"recipient_edrpou": "1234"},
        {"recipient_edrpou": "", "recipient_emails": "buh@smak.ua"},
        {"recipient_emails": "not-an-email"},
        {"first_sign_by": "nobody"},
        {"category": "contract"},
        {"expected_recipient_signatures": 0},
    ]
    for params in bad:
        query = {"recipient_edrpou": CUSTOMER} | params
        response = api(emulator, "POST", "/documents", params=query, files={"file": ("d.pdf", PDF)})
        refused(response, 400, "invalid_request")
    refused(api(emulator, "POST", "/documents", files={"file": ("d.pdf", b"")}), 400, "invalid_request")
    too_big = api(emulator, "POST", "/documents", files={"file": ("d.pdf", b"0" * (5 * 1024 * 1024 + 1))})
    refused(too_big, 413, "file_too_large")
    assert api(emulator, "GET", "/documents").json()["documents"] == []

    no_recipient = upload(emulator, recipient_edrpou="", recipient_emails="")
    assert no_recipient["status"] == 7000 and no_recipient["recipients"] == []
    refused(api(emulator, "POST", f"/documents/{no_recipient['id']}/send"), 400, "invalid_request")
    refused(api(emulator, "POST", f"/documents/{no_recipient['id']}/signatures", json={"signature": "not base64!"}),
            400, "invalid_request")
    refused(control(emulator, "sign", document_id=no_recipient["id"]), 400, "invalid_document_status")


def test_statuses_take_up_to_500_ids(emulator: str) -> None:
    doc_id = upload(emulator)["id"]
    ids = [doc_id] + [f"missing-{number}" for number in range(499)]
    assert statuses(emulator, ids) == {doc_id: 7001}
    body = refused(api(emulator, "POST", "/documents/statuses", json={"document_ids": ids + ["one-more"]}),
                   400, "invalid_request")
    assert body["details"] == {"given": 501}
    for wrong in ({"document_ids": []}, {"document_ids": doc_id}, {"ids": [doc_id]}, [doc_id]):
        refused(api(emulator, "POST", "/documents/statuses", json=wrong), 400, "invalid_request")


def test_statuses_of_5000_open_documents_in_batches_of_500(emulator: str) -> None:
    seeded = control(emulator, "seed", owner_edrpou=OWNER, recipient_edrpou=CUSTOMER, count=5000)
    ids = seeded.json()["ids"]
    assert len(set(ids)) == 5000
    for doc_id in ids[:3]:
        api(emulator, "POST", f"/documents/{doc_id}/signatures", json={"signature": OWNER_SIGNATURE})
    with httpx.Client(base_url=f"{emulator}/api/v2", headers={"Authorization": TOKEN}, timeout=30) as client:
        seen: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            answer = client.post("/documents/statuses", json={"document_ids": ids[start:start + 500]})
            seen |= {row["document_id"]: row["status_id"] for row in answer.json()["data_list"]}
    assert set(seen) == set(ids)
    assert [seen[doc_id] for doc_id in ids[:4]] == [7003, 7003, 7003, 7001]
    assert sum(1 for status in seen.values() if status == 7001) == 4997
    found = api(emulator, "GET", "/documents", params={"vendor_id": "seed-4999"}).json()["documents"]
    assert [document["id"] for document in found] == [ids[-1]]
    assert statuses(emulator, ids[:1], token=OTHER_TOKEN) == {}


def test_seeding_refuses_what_it_cannot_make(emulator: str) -> None:
    refused(control(emulator, "seed", owner_edrpou="99999999", recipient_edrpou=CUSTOMER, count=1), 400, "invalid_request")
    refused(control(emulator, "seed", owner_edrpou=OWNER, recipient_edrpou="1", count=1), 400, "invalid_request")
    refused(control(emulator, "seed", owner_edrpou=OWNER, recipient_edrpou=CUSTOMER, count=10_001), 400, "invalid_request")
    assert http.get(f"{emulator}/_emulator/documents").json() == []


def test_company_registration_is_checked_and_registered(emulator: str) -> None:
    assert api(emulator, "POST", "/check/company", json={"edrpou": CUSTOMER}).json() == {
        "edrpou": CUSTOMER, "name": "ТОВ «Ресторанна група Смак»", "is_registered": True,
    }
    assert api(emulator, "POST", "/check/company", json={"edrpou": UNREGISTERED}).json() == {
        "edrpou": UNREGISTERED, "name": "", "is_registered": False,
    }
    for wrong in ({"edrpou": "123"}, {"edrpou": ""}, {}, [CUSTOMER]):
        refused(api(emulator, "POST", "/check/company", json=wrong), 400, "invalid_request")

    assert control(emulator, "register", edrpou=UNREGISTERED, name="ТОВ «Нова кухня»").json()["is_registered"] is True
    assert api(emulator, "POST", "/check/company", json={"edrpou": UNREGISTERED}).json()["name"] == "ТОВ «Нова кухня»"
    page = http.post(f"{emulator}/_emulator/register", data={"edrpou": "3012345678", "name": "ФОП Петренко"})
    assert page.status_code == 303 and "ФОП Петренко" in http.get(emulator).text
    wrong_page = http.post(f"{emulator}/_emulator/register", data={"edrpou": "12"})
    assert wrong_page.status_code == 400 and "8 цифр" in wrong_page.text


def test_armed_failures_answer_as_vchasno_would_and_then_pass(emulator: str) -> None:
    assert http.post(f"{emulator}/_emulator/fail", data={"mode": "no_tariff", "count": 2}).status_code == 200
    for _ in range(2):
        body = refused(api(emulator, "POST", "/check/company", json={"edrpou": CUSTOMER}), 403, "access_denied")
        assert "Інтеграція" in body["reason"]
    assert api(emulator, "POST", "/check/company", json={"edrpou": CUSTOMER}).status_code == 200

    http.post(f"{emulator}/_emulator/fail", data={"mode": "rate_limited", "retry_after": 7})
    limited = api(emulator, "GET", "/documents")
    refused(limited, 429, "too_many_requests")
    assert limited.headers["retry-after"] == "7"

    http.post(f"{emulator}/_emulator/fail", data={"mode": "server_error"})
    down = api(emulator, "POST", "/documents", files={"file": ("d.pdf", PDF)})
    assert down.status_code == 502 and down.headers["content-type"].startswith("text/html")
    # The spoiled upload stored nothing; the next call passes.
    assert api(emulator, "GET", "/documents").json()["documents"] == []

    # A wrong token is refused before any armed failure is used up.
    http.post(f"{emulator}/_emulator/fail", data={"mode": "server_error"})
    refused(api(emulator, "GET", "/documents", token="wrong"), 403, "login_required")
    assert api(emulator, "GET", "/documents").status_code == 502
    assert http.post(f"{emulator}/_emulator/fail", data={"mode": "explode"}).status_code == 400
    assert http.post(f"{emulator}/_emulator/fail", data={"mode": "rate_limited", "count": "x"}).status_code == 400
    assert http.post(f"{emulator}/_emulator/fail", data={"mode": "rate_limited", "retry_after": "-1"}).status_code == 400


def test_a_test_can_put_a_document_into_any_status(emulator: str) -> None:
    doc_id = upload(emulator)["id"]
    assert control(emulator, "status", document_id=doc_id, status=7011).json()["status_text"] == "Анульований"
    assert status_of(emulator, doc_id) == 7011
    refused(control(emulator, "status", document_id=doc_id, status=7005), 400, "invalid_request")
    refused(control(emulator, "status", document_id="no-such-id", status=7008), 404, "object_does_not_exist")
    [described] = http.get(f"{emulator}/_emulator/documents").json()
    assert [event["status"] for event in described["history"]] == [7000, 7001, 7011]
    assert described["owner_edrpou"] == OWNER and described["sha256"] == hashlib.sha256(PDF).hexdigest()
