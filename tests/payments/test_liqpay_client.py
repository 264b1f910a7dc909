"""Our LiqPay adapter against the emulator, over real HTTP: the protocol, and every
failure as a ProviderError that says whether to retry and carries LiqPay's code."""
from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from emulators.http import serve_in_thread
from emulators.liqpay import create_app
from core.providers import ProviderError
from payments.acquirer import DECLINED, PAID, REVERSED, SignatureError
from payments.liqpay.client import LiqpayClient
from tests.emulators.test_liqpay_emulator import PRIVATE, PUBLIC, Receiver, http, sign, signed


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    url, stop = serve_in_thread(create_app(PUBLIC, PRIVATE, retry_delays=()))
    yield url
    stop()


@pytest.fixture
def client(emulator: str) -> Iterator[LiqpayClient]:
    client = LiqpayClient(PUBLIC, PRIVATE, base_url=emulator, timeout=5)
    yield client
    client.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def checkout(client: LiqpayClient, receiver: Receiver, amount: str = "150.50") -> tuple[str, Any]:
    order_id = f"inv-{uuid.uuid4()}"
    form = client.checkout_form(order_id, Decimal(amount), "Рахунок 42", receiver.server_url, receiver.result_url)
    return order_id, form


def paid_callback(client: LiqpayClient, receiver: Receiver, card: str = "4242424242424242", amount: str = "150.50") -> dict[str, str]:
    """Pay a checkout of ours at the emulator and return the callback it POSTed to us."""
    _, form = checkout(client, receiver, amount)
    response = http.post(form.action_url.replace("/api/3/checkout", "/_emulator/pay"), json=form.fields | {"card": card})
    assert response.status_code == 200, response.text
    post = receiver.wait_for(1)[-1]
    return {"data": post["data"], "signature": post["signature"]}


def test_checkout_form_is_accepted_by_the_emulator(client: LiqpayClient, receiver: Receiver, emulator: str) -> None:
    _, form = checkout(client, receiver)
    assert form.action_url == f"{emulator}/api/3/checkout"
    # The amount travels as the exact decimal string, never through a float.
    assert json.loads(base64.b64decode(form.fields["data"]))["amount"] == "150.50"
    page = http.post(form.action_url, data=form.fields)
    assert page.status_code == 200 and "150.50 UAH" in page.text


@pytest.mark.parametrize("amount", [Decimal("10.005"), Decimal("0.00"), Decimal("NaN"), 10.5])
def test_checkout_form_refuses_amounts_it_cannot_send_exactly(client: LiqpayClient, amount: Any) -> None:
    with pytest.raises(ValueError):
        client.checkout_form("inv-1", amount, "x", "http://shop.test/cb", "http://shop.test/back")


def test_parse_a_real_callback(client: LiqpayClient, receiver: Receiver) -> None:
    post = paid_callback(client, receiver, amount="1234567.89")
    notice = client.verify_callback(post)

    assert notice.status == "sandbox" and notice.outcome == PAID
    # A sandbox payment is no money to a live shop.
    live = LiqpayClient("i00000000001", PRIVATE, base_url="http://127.0.0.1:9")
    assert live.verify_callback(post).outcome == DECLINED
    live.close()
    assert notice.amount == Decimal("1234567.89") and notice.currency == "UAH"
    assert isinstance(notice.payment_id, int) and notice.order_id.startswith("inv-")
    assert notice.description == "Рахунок 42" and notice.paytype == "card"
    assert notice.sender_card_mask == "424242*42" and notice.err_code is None
    assert notice.end_date is not None and notice.end_date.tzinfo is UTC
    assert abs((datetime.now(UTC) - notice.end_date).total_seconds()) < 60
    assert notice.raw["liqpay_order_id"]


def test_parse_a_failed_payment(client: LiqpayClient, receiver: Receiver) -> None:
    post = paid_callback(client, receiver, card="4000000000000002")
    notice = client.verify_callback(post)
    assert notice.outcome == DECLINED and notice.status == "failure"
    assert notice.err_code == "limit" and notice.err_description


def test_forged_and_garbled_callbacks_raise_signature_error(client: LiqpayClient, receiver: Receiver) -> None:
    post = paid_callback(client, receiver)
    body = json.loads(base64.b64decode(post["data"]))
    tampered = base64.b64encode(json.dumps(body | {"amount": 1.0}).encode()).decode()
    forged = signed(body, private="sandbox_someone-else")
    sha1_claiming_7 = signed(body | {"version": 7})
    cases = [
        (tampered, post["signature"]),
        (forged["data"], forged["signature"]),
        (post["data"], ""),
        ("", post["signature"]),
        (post["data"], post["signature"][:-2]),
        ("not base64!", sign("not base64!")),  # signed with our key, still not LiqPay data
        (signed([1, 2])["data"], signed([1, 2])["signature"]),
        (sha1_claiming_7["data"], sha1_claiming_7["signature"]),
    ]
    for data, signature in cases:
        with pytest.raises(SignatureError):
            client.verify_callback({"data": data, "signature": signature})


def test_version_7_callbacks_are_verified_with_sha3(client: LiqpayClient, receiver: Receiver, emulator: str) -> None:
    # We only write version 3 requests, so this checkout is made by hand.
    payload = {
        "public_key": PUBLIC, "version": 7, "action": "pay", "amount": "99.99", "currency": "UAH",
        "description": "v7", "order_id": f"inv-{uuid.uuid4()}", "server_url": receiver.server_url,
    }
    http.post(f"{emulator}/_emulator/pay", json=signed(payload, version=7) | {"card": "4242424242424242"})
    post = receiver.wait_for(1)[0]
    notice = client.verify_callback(post)
    assert notice.raw["version"] == 7 and notice.amount == Decimal("99.99")
    sha3_claiming_3 = signed(notice.raw | {"version": 3}, version=7)
    with pytest.raises(SignatureError):
        client.verify_callback(sha3_claiming_3)


def test_status_of_paid_failed_and_unknown_orders(client: LiqpayClient, receiver: Receiver) -> None:
    paid = client.verify_callback(paid_callback(client, receiver))
    notice = client.status(paid.order_id)
    assert notice is not None
    assert (notice.payment_id, notice.status, notice.amount) == (paid.payment_id, "sandbox", Decimal("150.50"))

    failed = client.verify_callback(paid_callback(client, receiver, card="4000000000009995"))
    assert client.status(failed.order_id).err_code == "9859"
    assert client.status(f"inv-{uuid.uuid4()}") is None


def test_refund(client: LiqpayClient, receiver: Receiver) -> None:
    paid = client.verify_callback(paid_callback(client, receiver))

    partial = client.refund(paid.order_id, Decimal("50.10"))
    assert partial.outcome == REVERSED and partial.refund_amount == Decimal("50.10")
    assert partial.amount == Decimal("150.50") and partial.payment_id == paid.payment_id
    assert client.status(paid.order_id).status == "sandbox"

    full = client.refund(paid.order_id, Decimal("100.40"))
    assert full.refund_amount == Decimal("150.50")
    assert client.status(paid.order_id).status == "reversed"
    with pytest.raises(ProviderError) as refused:
        client.refund(paid.order_id, Decimal("1.00"))
    assert (refused.value.provider, refused.value.code, refused.value.permanent) == ("liqpay", "payment_err_status", True)

    callbacks = [client.verify_callback(p) for p in receiver.wait_for(3)[1:]]
    assert [(c.status, c.refund_amount) for c in callbacks] == [
        ("reversed", Decimal("50.10")), ("reversed", Decimal("150.50"))
    ]


def fail_next(emulator: str, **form: Any) -> None:
    assert http.post(f"{emulator}/_emulator/fail", data=form).status_code == 200


@pytest.mark.parametrize(("form", "code", "retryable"), [
    ({"mode": "server_error"}, "http_503", True),
    ({"mode": "timeout", "seconds": "1"}, "timeout", True),
    ({"mode": "error", "err_code": "err_cache"}, "err_cache", True),
    ({"mode": "error", "err_code": "err_access"}, "err_access", False),
    ({"mode": "error", "err_code": "invalid_signature"}, "invalid_signature", False),
])
def test_each_failure_of_the_emulator_is_a_provider_error(emulator: str, form: dict[str, str], code: str, retryable: bool) -> None:
    client = LiqpayClient(PUBLIC, PRIVATE, base_url=emulator, timeout=0.3)
    fail_next(emulator, **form)
    try:
        with pytest.raises(ProviderError) as failed:
            client.status("inv-1")
        assert (failed.value.provider, failed.value.code, failed.value.retryable) == ("liqpay", code, retryable)
        assert failed.value.permanent is not retryable
        assert client.status("inv-1") is None  # the failure was the next call's only
    finally:
        client.close()


def test_a_refund_refused_by_liqpay_is_permanent_with_its_code(client: LiqpayClient, receiver: Receiver, emulator: str) -> None:
    paid = client.verify_callback(paid_callback(client, receiver))
    fail_next(emulator, mode="error", err_code="err_access")
    with pytest.raises(ProviderError) as refused:
        client.refund(paid.order_id, Decimal("10.00"))
    assert refused.value.permanent and refused.value.code == "err_access"
    fail_next(emulator, mode="server_error")
    with pytest.raises(ProviderError) as unavailable:
        client.refund(paid.order_id, Decimal("10.00"))
    assert unavailable.value.retryable and unavailable.value.code == "http_503"


def test_http_failures_outside_the_protocol_are_provider_errors() -> None:
    """What a proxy or a half-down LiqPay may answer: a 4xx, a page instead of JSON,
    silence, and a port nobody listens on."""
    app = Flask(__name__)

    @app.post("/broken/api/request")
    def broken() -> Any:
        return "upstream down", 502

    @app.post("/forbidden/api/request")
    def forbidden() -> Any:
        return "not for you", 403

    @app.post("/throttled/api/request")
    def throttled() -> Any:
        return "slow down", 429

    @app.post("/html/api/request")
    def html() -> Any:
        return "<html>maintenance</html>", 200

    @app.post("/slow/api/request")
    def slow() -> Any:
        time.sleep(1)
        return {"result": "ok"}

    url, stop = serve_in_thread(app)
    try:
        for path, code, retryable in [
            ("/broken", "http_502", True), ("/forbidden", "http_403", False), ("/throttled", "http_429", True),
            ("/html", "bad_response", False), ("/slow", "timeout", True),
        ]:
            client = LiqpayClient(PUBLIC, PRIVATE, base_url=url + path, timeout=0.3)
            with pytest.raises(ProviderError) as failed:
                client.status("inv-1")
            assert (failed.value.code, failed.value.retryable) == (code, retryable), path
            client.close()
    finally:
        stop()
    client = LiqpayClient(PUBLIC, PRIVATE, base_url=url, timeout=0.3)
    with pytest.raises(ProviderError) as gone:
        client.status("inv-1")
    assert (gone.value.code, gone.value.retryable) == ("unreachable", True)
    client.close()
