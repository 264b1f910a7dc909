"""The LiqPay emulator over real HTTP, with signatures made by hand from LiqPay's docs."""
from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from flask import Flask, request

from emulators.http import serve_in_thread
from emulators.liqpay import create_app

PUBLIC, PRIVATE = "sandbox_i00000001", "sandbox_emulator-test-private-key"
LIVE_PUBLIC, LIVE_PRIVATE = "i00000002", "live-emulator-test-private-key"
DELAY = 0.3
http = httpx.Client(timeout=10)


def sign(data: str, private: str = PRIVATE, version: int = 3) -> str:
    digest = (hashlib.sha1 if version == 3 else hashlib.sha3_256)((private + data + private).encode()).digest()
    return base64.b64encode(digest).decode()


def signed(payload: Any, private: str = PRIVATE, version: int = 3) -> dict[str, str]:
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    return {"data": data, "signature": sign(data, private, version)}


def unsign(post: dict[str, str], private: str = PRIVATE, version: int = 3) -> dict[str, Any]:
    """Check a callback's signature and decode it."""
    assert post["signature"] == sign(post["data"], private, version)
    return json.loads(base64.b64decode(post["data"]))


class Receiver:
    """The shop's side: records every callback POSTed to /callback, answers `reply_status`."""

    def __init__(self) -> None:
        self.posts: list[dict[str, str]] = []
        self.reply_status = 200
        app = Flask(__name__)

        @app.post("/callback")
        def callback() -> Any:
            self.posts.append({"content_type": request.content_type or "", **request.form.to_dict()})
            return "ok", self.reply_status

        self.url, self.stop = serve_in_thread(app)
        self.server_url = f"{self.url}/callback"
        self.result_url = f"{self.url}/back"

    def wait_for(self, count: int) -> list[dict[str, str]]:
        eventually(lambda: len(self.posts) >= count)
        return self.posts


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll for what background threads (delayed payments, retries) do."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)
    return result


def serve_emulator(public: str, private: str) -> Iterator[str]:
    url, stop = serve_in_thread(create_app(public, private, delay=DELAY, retry_delays=(0.05, 0.1)))
    yield url
    stop()


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    yield from serve_emulator(PUBLIC, PRIVATE)


@pytest.fixture(scope="module")
def live_emulator() -> Iterator[str]:
    yield from serve_emulator(LIVE_PUBLIC, LIVE_PRIVATE)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def order(receiver: Receiver, public: str = PUBLIC, **override: Any) -> dict[str, Any]:
    return {
        "public_key": public, "version": 3, "action": "pay", "amount": "150.50", "currency": "UAH",
        "description": "Рахунок 42", "order_id": f"inv-{uuid.uuid4()}",
        "server_url": receiver.server_url, "result_url": receiver.result_url,
    } | override


def pay(emulator: str, form: dict[str, str], card: str) -> httpx.Response:
    return http.post(f"{emulator}/checkout/pay", data=form | {"card": card})


def recorded(emulator: str, order_id: str) -> list[dict[str, Any]]:
    return http.get(f"{emulator}/_emulator/payments", params={"order_id": order_id}).json()


def attempted(emulator: str, order_id: str, count: int) -> list[dict[str, Any]] | None:
    """The order's callbacks once the first has seen `count` delivery attempts."""
    [payment] = recorded(emulator, order_id)
    return payment["callbacks"] if len(payment["callbacks"][0]["attempts"]) >= count else None


def api(emulator: str, payload: dict[str, Any], private: str = PRIVATE) -> dict[str, Any]:
    response = http.post(f"{emulator}/api/request", data=signed({"public_key": PUBLIC, "version": 3} | payload, private))
    assert response.status_code == 200
    return response.json()


def test_bad_signature_is_refused_and_nothing_is_recorded(emulator: str, receiver: Receiver) -> None:
    payload = order(receiver)
    response = http.post(f"{emulator}/api/3/checkout", data=signed(payload, private="someone-else"))
    assert response.status_code == 400
    assert response.json()["err_code"] == "invalid_signature"
    assert recorded(emulator, payload["order_id"]) == []
    paid = http.post(f"{emulator}/_emulator/pay", json={"order_id": payload["order_id"], "card": "4242424242424242"})
    assert paid.status_code == 404


@pytest.mark.parametrize(
    ("override", "err_code"),
    [
        ({"action": "hold"}, "err_action"),
        ({"amount": "0"}, "err_wrong"),
        ({"amount": "abc"}, "err_wrong"),
        ({"currency": "RUB"}, "err_currency_is_not_allowed"),
        ({"description": ""}, "err_missing"),
        ({"order_id": ""}, "order_id_empty"),
        ({"public_key": "sandbox_other"}, "public_key_not_found"),
        ({"version": 5}, "err_wrong"),
        ({"server_url": "ftp://shop/cb"}, "err_wrong"),
    ],
)
def test_invalid_checkout_fields_are_refused(emulator: str, receiver: Receiver, override: dict, err_code: str) -> None:
    response = http.post(f"{emulator}/api/3/checkout", data=signed(order(receiver, **override)))
    assert response.status_code == 400
    assert response.json()["err_code"] == err_code


def test_garbled_data_is_refused(emulator: str) -> None:
    response = http.post(f"{emulator}/api/3/checkout", data={"data": "not base64!", "signature": sign("not base64!")})
    assert (response.status_code, response.json()["err_code"]) == (400, "err_wrong")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_checkout_page_shows_the_payment_and_the_test_cards(emulator: str, receiver: Receiver, method: str) -> None:
    form = signed(order(receiver))
    if method == "GET":
        response = http.get(f"{emulator}/api/3/checkout", params=form)
    else:
        response = http.post(f"{emulator}/api/3/checkout", data=form)
    assert response.status_code == 200
    for text in ("150.50 UAH", "Рахунок 42", "4242424242424242", "4000000000000002", 'action="/checkout/pay"'):
        assert text in response.text


def test_success_card_calls_back_then_redirects(emulator: str, receiver: Receiver) -> None:
    payload = order(receiver)
    response = pay(emulator, signed(payload), "4242 4242 4242 4242")

    assert response.status_code == 302
    assert response.headers["location"] == receiver.result_url
    # The callback arrived before the redirect did.
    [post] = receiver.posts
    assert post["content_type"] == "application/x-www-form-urlencoded"
    notice = unsign(post)
    assert notice["status"] == "sandbox"  # sandbox keys never say "success"
    assert notice["amount"] == 150.5 and isinstance(notice["amount"], float)
    assert notice["order_id"] == payload["order_id"]
    assert notice["version"] == 3 and notice["action"] == "pay"
    assert isinstance(notice["payment_id"], int) and notice["liqpay_order_id"]
    assert notice["sender_card_mask2"] == "424242*42"
    assert notice["currency"] == "UAH" and notice["description"] == "Рахунок 42"
    assert notice["end_date"] >= notice["create_date"] > 0


def test_live_keys_report_success(live_emulator: str, receiver: Receiver) -> None:
    assert pay(live_emulator, signed(order(receiver, LIVE_PUBLIC), LIVE_PRIVATE), "4242424242424242").status_code == 302
    assert unsign(receiver.posts[0], LIVE_PRIVATE)["status"] == "success"


def test_failure_card(emulator: str, receiver: Receiver) -> None:
    payload = order(receiver)
    assert pay(emulator, signed(payload), "4000000000000002").status_code == 302
    notice = unsign(receiver.posts[0])
    assert (notice["status"], notice["err_code"]) == ("failure", "limit")
    assert notice["err_description"]
    # A failed order can be paid again, as a new payment.
    assert pay(emulator, signed(payload), "4242424242424242").status_code == 302
    retry = unsign(receiver.wait_for(2)[1])
    assert retry["status"] == "sandbox" and retry["payment_id"] != notice["payment_id"]


def test_paid_order_cannot_be_paid_twice(emulator: str, receiver: Receiver) -> None:
    form = signed(order(receiver))
    assert pay(emulator, form, "4242424242424242").status_code == 302
    again = pay(emulator, form, "4242424242424242")
    assert again.status_code == 400 and "already has a payment" in again.text


def test_unknown_card_shows_the_page_again(emulator: str, receiver: Receiver) -> None:
    payload = order(receiver)
    response = pay(emulator, signed(payload), "5555555555554444")
    assert response.status_code == 400 and "Unknown card" in response.text
    assert recorded(emulator, payload["order_id"]) == [] and receiver.posts == []


def test_delayed_card_waits_then_succeeds(emulator: str, receiver: Receiver) -> None:
    started = time.monotonic()
    assert pay(emulator, signed(order(receiver)), "4000000000000077").status_code == 302
    first = unsign(receiver.posts[0])
    assert first["status"] == "wait_accept"
    second = unsign(receiver.wait_for(2)[1])
    assert time.monotonic() - started >= DELAY
    assert second["status"] == "sandbox" and second["payment_id"] == first["payment_id"]


def test_version_7_is_signed_with_sha3_both_ways(emulator: str, receiver: Receiver) -> None:
    payload = order(receiver, version=7)
    sha1_signed = signed(payload, version=3)
    assert http.post(f"{emulator}/api/3/checkout", data=sha1_signed).json()["err_code"] == "invalid_signature"

    form = signed(payload, version=7)
    assert http.post(f"{emulator}/api/3/checkout", data=form).status_code == 200
    assert pay(emulator, form, "4242424242424242").status_code == 302
    notice = unsign(receiver.posts[0], version=7)
    assert notice["version"] == 7


def test_failed_delivery_is_recorded_retried_and_does_not_block_the_redirect(emulator: str, receiver: Receiver) -> None:
    receiver.reply_status = 500
    payload = order(receiver)
    assert pay(emulator, signed(payload), "4242424242424242").status_code == 302
    # The first attempt and both retries.
    [callback] = eventually(lambda: attempted(emulator, payload["order_id"], 3))
    assert [a["http_status"] for a in callback["attempts"]] == [500, 500, 500]
    assert callback["delivered"] is False and len(receiver.posts) == 3


def test_unreachable_server_url_is_recorded(emulator: str, receiver: Receiver) -> None:
    gone = Receiver()
    gone.stop()
    payload = order(receiver, server_url=gone.server_url)
    response = pay(emulator, signed(payload), "4242424242424242")
    assert response.status_code == 302 and response.headers["location"] == receiver.result_url
    [callback] = eventually(lambda: attempted(emulator, payload["order_id"], 3))
    assert all(a["http_status"] is None and a["error"] for a in callback["attempts"])


def test_status_and_refunds_through_api_request(emulator: str, receiver: Receiver) -> None:
    payload = order(receiver)
    pay(emulator, signed(payload), "4242424242424242")
    order_id = payload["order_id"]

    status = api(emulator, {"action": "status", "order_id": order_id})
    assert (status["result"], status["status"], status["amount"]) == ("ok", "sandbox", 150.5)

    partial = api(emulator, {"action": "refund", "order_id": order_id, "amount": 50})
    assert (partial["result"], partial["status"], partial["refund_amount"]) == ("ok", "reversed", 50.0)
    assert api(emulator, {"action": "status", "order_id": order_id})["status"] == "sandbox"
    assert api(emulator, {"action": "refund", "order_id": order_id, "amount": "200"})["err_code"] == "amount_limit"

    full = api(emulator, {"action": "refund", "order_id": order_id, "amount": "100.50"})
    assert (full["status"], full["refund_amount"]) == ("reversed", 150.5)
    assert api(emulator, {"action": "status", "order_id": order_id})["status"] == "reversed"
    assert api(emulator, {"action": "refund", "order_id": order_id, "amount": 1})["err_code"] == "payment_err_status"

    callbacks = [unsign(post) for post in receiver.wait_for(3)]
    assert [(c["status"], c.get("refund_amount")) for c in callbacks] == [
        ("sandbox", None), ("reversed", 50.0), ("reversed", 150.5)
    ]


def test_api_request_errors(emulator: str) -> None:
    missing = api(emulator, {"action": "status", "order_id": "no-such-order"})
    assert (missing["result"], missing["status"], missing["err_code"]) == ("error", "error", "payment_not_found")
    forged = api(emulator, {"action": "status", "order_id": "x"}, private="someone-else")
    assert forged["err_code"] == "invalid_signature"
    assert api(emulator, {"action": "reports"})["err_code"] == "err_action"


def test_lost_callback_then_resend(emulator: str, receiver: Receiver) -> None:
    payload = order(receiver)
    paid = http.post(
        f"{emulator}/_emulator/pay",
        json=signed(payload) | {"card": "4242424242424242", "deliver_callback": False},
    ).json()
    assert paid["status"] == "sandbox" and paid["redirect"] == receiver.result_url
    assert paid["callbacks"][0]["lost"] is True and receiver.posts == []
    # LiqPay still knows: what reconciliation asks for.
    assert api(emulator, {"action": "status", "order_id": payload["order_id"]})["status"] == "sandbox"

    for count in (1, 2):
        resent = http.post(f"{emulator}/_emulator/resend/{paid['payment_id']}").json()
        assert resent["delivered"] is True
        assert receiver.wait_for(count)[-1]["data"] == paid["callbacks"][0]["data"]
    assert unsign(receiver.posts[0]) == unsign(receiver.posts[1])
    assert http.post(f"{emulator}/_emulator/resend/1").status_code == 404


def test_pay_by_order_id_of_an_opened_checkout(emulator: str, receiver: Receiver) -> None:
    payload = order(receiver)
    http.post(f"{emulator}/api/3/checkout", data=signed(payload))
    paid = http.post(f"{emulator}/_emulator/pay", json={"order_id": payload["order_id"], "card": "4000000000000002"})
    assert paid.json()["status"] == "failure"
    assert unsign(receiver.posts[0])["err_code"] == "limit"


def test_reset_forgets_everything() -> None:
    url, stop = serve_in_thread(create_app(PUBLIC, PRIVATE))
    try:
        form = signed({
            "public_key": PUBLIC, "version": 3, "action": "pay", "amount": 1, "currency": "USD",
            "description": "x", "order_id": "reset-me",
        })
        paid = http.post(f"{url}/checkout/pay", data=form | {"card": "4242424242424242"})
        assert paid.status_code == 200 and "sandbox" in paid.text  # no result_url: a result page
        assert len(http.get(f"{url}/_emulator/payments").json()) == 1
        assert http.post(f"{url}/_emulator/reset").status_code == 204
        assert http.get(f"{url}/_emulator/payments").json() == []
    finally:
        stop()
