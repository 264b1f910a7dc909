"""Our LiqPay adapter against the emulator, over real HTTP."""
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
from payments.liqpay.client import LiqpayClient
from payments.liqpay.interface import FAILED, REVERSED, LiqpayError, SignatureError, is_success
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
    response = http.post(form.action_url.replace("/api/3/checkout", "/_emulator/pay"),
                         json={"data": form.data, "signature": form.signature, "card": card})
    assert response.status_code == 200, response.text
    post = receiver.wait_for(1)[-1]
    return {"data": post["data"], "signature": post["signature"]}


def test_checkout_form_is_accepted_by_the_emulator(client: LiqpayClient, receiver: Receiver, emulator: str) -> None:
    _, form = checkout(client, receiver)
    assert form.action_url == f"{emulator}/api/3/checkout"
    # The amount travels as the exact decimal string, never through a float.
    assert json.loads(base64.b64decode(form.data))["amount"] == "150.50"
    page = http.post(form.action_url, data={"data": form.data, "signature": form.signature})
    assert page.status_code == 200 and "150.50 UAH" in page.text


@pytest.mark.parametrize("amount", [Decimal("10.005"), Decimal("0.00"), Decimal("NaN"), 10.5])
def test_checkout_form_refuses_amounts_it_cannot_send_exactly(client: LiqpayClient, amount: Any) -> None:
    with pytest.raises(ValueError):
        client.checkout_form("inv-1", amount, "x", "http://shop.test/cb", "http://shop.test/back")


def test_parse_a_real_callback(client: LiqpayClient, receiver: Receiver) -> None:
    post = paid_callback(client, receiver, amount="1234567.89")
    notice = client.parse_callback(post["data"], post["signature"])

    assert notice.status == "sandbox" and is_success(notice.status, client.sandbox)
    assert not is_success(notice.status, sandbox=False)
    assert notice.amount == Decimal("1234567.89") and notice.currency == "UAH"
    assert isinstance(notice.payment_id, int) and notice.order_id.startswith("inv-")
    assert notice.description == "Рахунок 42" and notice.paytype == "card"
    assert notice.sender_card_mask == "424242*42" and notice.err_code is None
    assert notice.end_date is not None and notice.end_date.tzinfo is UTC
    assert abs((datetime.now(UTC) - notice.end_date).total_seconds()) < 60
    assert notice.raw["liqpay_order_id"]


def test_parse_a_failed_payment(client: LiqpayClient, receiver: Receiver) -> None:
    post = paid_callback(client, receiver, card="4000000000000002")
    notice = client.parse_callback(post["data"], post["signature"])
    assert notice.status in FAILED and notice.err_code == "limit" and notice.err_description


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
            client.parse_callback(data, signature)


def test_version_7_callbacks_are_verified_with_sha3(client: LiqpayClient, receiver: Receiver, emulator: str) -> None:
    # liqpy only writes version 3 requests, so this checkout is made by hand.
    payload = {
        "public_key": PUBLIC, "version": 7, "action": "pay", "amount": "99.99", "currency": "UAH",
        "description": "v7", "order_id": f"inv-{uuid.uuid4()}", "server_url": receiver.server_url,
    }
    http.post(f"{emulator}/_emulator/pay", json=signed(payload, version=7) | {"card": "4242424242424242"})
    post = receiver.wait_for(1)[0]
    notice = client.parse_callback(post["data"], post["signature"])
    assert notice.raw["version"] == 7 and notice.amount == Decimal("99.99")
    sha3_claiming_3 = signed(notice.raw | {"version": 3}, version=7)
    with pytest.raises(SignatureError):
        client.parse_callback(sha3_claiming_3["data"], sha3_claiming_3["signature"])


def test_status_of_paid_failed_and_unknown_orders(client: LiqpayClient, receiver: Receiver) -> None:
    paid = client.parse_callback(**paid_callback(client, receiver))
    notice = client.status(paid.order_id)
    assert notice is not None
    assert (notice.payment_id, notice.status, notice.amount) == (paid.payment_id, "sandbox", Decimal("150.50"))

    failed = client.parse_callback(**paid_callback(client, receiver, card="4000000000009995"))
    # liqpy's own Client.request would have dropped err_code here.
    assert client.status(failed.order_id).err_code == "9859"
    assert client.status(f"inv-{uuid.uuid4()}") is None


def test_refund(client: LiqpayClient, receiver: Receiver) -> None:
    paid = client.parse_callback(**paid_callback(client, receiver))

    partial = client.refund(paid.order_id, Decimal("50.10"))
    assert partial.status in REVERSED and partial.refund_amount == Decimal("50.10")
    assert partial.amount == Decimal("150.50") and partial.payment_id == paid.payment_id
    assert client.status(paid.order_id).status == "sandbox"

    full = client.refund(paid.order_id, Decimal("100.40"))
    assert full.refund_amount == Decimal("150.50")
    assert client.status(paid.order_id).status == "reversed"
    with pytest.raises(LiqpayError) as refused:
        client.refund(paid.order_id, Decimal("1.00"))
    assert refused.value.code == "payment_err_status"

    callbacks = [client.parse_callback(p["data"], p["signature"]) for p in receiver.wait_for(3)[1:]]
    assert [(c.status, c.refund_amount) for c in callbacks] == [
        ("reversed", Decimal("50.10")), ("reversed", Decimal("150.50"))
    ]


def test_http_failures_raise_liqpay_error() -> None:
    app = Flask(__name__)

    @app.post("/broken/api/request")
    def broken() -> Any:
        return "upstream down", 502

    @app.post("/html/api/request")
    def html() -> Any:
        return "<html>maintenance</html>", 200

    @app.post("/slow/api/request")
    def slow() -> Any:
        time.sleep(1)
        return {"result": "ok"}

    url, stop = serve_in_thread(app)
    try:
        for path, code in [("/broken", "http_502"), ("/html", "bad_response"), ("/slow", "timeout")]:
            client = LiqpayClient(PUBLIC, PRIVATE, base_url=url + path, timeout=0.3)
            with pytest.raises(LiqpayError) as failed:
                client.status("inv-1")
            assert failed.value.code == code
            client.close()
    finally:
        stop()
    client = LiqpayClient(PUBLIC, PRIVATE, base_url=url, timeout=0.3)
    with pytest.raises(LiqpayError) as gone:
        client.status("inv-1")
    assert gone.value.code == "unreachable"
    client.close()
