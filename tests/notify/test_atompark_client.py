"""Our Atompark adapter against the emulator, over real HTTP; every failure a
ProviderError of provider "atompark" that says whether a retry can help."""
from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask

from core.providers import ProviderError
from emulators.atompark import create_app
from emulators.http import serve_in_thread
from notify.atompark.client import AtomparkClient, control_sum
from notify.atompark.interface import DELIVERED, PENDING, UNDELIVERED, SmsAccepted
from tests.emulators.test_atompark_emulator import PRIVATE, PUBLIC, http, recorded
from tests.emulators.test_liqpay_emulator import eventually

SENDER = "OptMarket"


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    # Queued for the first half: the first look, right after sending, must still find it so
    # on a loaded machine (with 0.3 s a CI run once looked 0.15 s late).
    url, stop = serve_in_thread(create_app(PUBLIC, PRIVATE, delivery_delay=1.0))
    yield url
    stop()


@pytest.fixture(autouse=True)
def fresh(emulator: str) -> None:
    http.post(f"{emulator}/_emulator/reset")


def connect(
    url: str, public: str = PUBLIC, private: str = PRIVATE, sender: str = SENDER, timeout: float = 5
) -> AtomparkClient:
    return AtomparkClient(public, private, sender, base_url=f"{url}/sms/3.0", timeout=timeout)


@pytest.fixture
def client(emulator: str) -> Iterator[AtomparkClient]:
    client = connect(emulator)
    yield client
    client.close()


def refused(call: Callable[[], object]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


def test_control_sum_follows_the_documented_recipe() -> None:
    # Atompark's own example (addAddressbook): values in the order of the names
    # action, description, key, name, version, then the private key.
    params = {
        "version": "3.0", "action": "addAddressbook", "key": "open-key",
        "name": "Test addressbook", "description": "Test description",
    }
    expected = hashlib.md5(b"addAddressbookTest descriptionopen-keyTest addressbook3.0private-key").hexdigest()
    assert control_sum(params, "private-key") == expected
    cyrillic = {"text": "Привіт", "key": "k"}
    assert control_sum(cyrillic, "p") == hashlib.md5("kПривітp".encode()).hexdigest()


def test_send_sms_and_follow_its_delivery(client: AtomparkClient, emulator: str) -> None:
    accepted = client.send_sms("+380671234567", "Рахунок 42 на 1 250,00 грн: https://opt.example/p/x7")
    assert accepted == SmsAccepted(campaign_id=accepted.campaign_id, price=Decimal("0.8"), currency="UAH")
    assert accepted.campaign_id.isdigit()
    [message] = recorded(emulator)
    assert message["phone"] == "380671234567" and message["sender"] == SENDER and message["segments"] == 1
    [report] = client.delivery_stats(accepted.campaign_id)
    assert (report.phone, report.status, report.done_at) == ("+380671234567", PENDING, None)
    [report] = eventually(lambda: (r := client.delivery_stats(accepted.campaign_id))[0].status != PENDING and r)
    assert report.status == DELIVERED and report.done_at is not None
    assert abs(datetime.now(UTC) - report.done_at) < timedelta(minutes=1)


def test_a_number_ending_in_0000_is_undelivered(client: AtomparkClient) -> None:
    campaign_id = client.send_sms("+380671230000", "Код: 4321").campaign_id
    [report] = eventually(lambda: (r := client.delivery_stats(campaign_id))[0].status != PENDING and r)
    assert report.status == UNDELIVERED and report.done_at is not None


def test_balance(client: AtomparkClient) -> None:
    assert client.balance() == Decimal("1000.00")
    client.send_sms("+380671234567", "ї" * 71)  # two UCS-2 parts
    assert client.balance("UAH") == Decimal("998.40")
    # The emulated account answers in UAH only: an answer in another currency is not trusted.
    error = refused(lambda: client.balance("USD"))
    assert (error.code, error.permanent) == ("provider_error", False)


@pytest.mark.parametrize(
    ("connection", "phone", "text", "code"),
    [
        ({"private": "someone-else"}, "+380671234567", "x", "bad_sum"),
        ({"public": "someone-else"}, "+380671234567", "x", "bad_key"),
        ({"sender": "Оптовик"}, "+380671234567", "x", "bad_sender"),
        ({}, "+38067", "x", "invalid_phone"),
        ({}, "+380671234567", "", "bad_text"),
        ({}, "+380671234567", "ї" * 700, "bad_text"),
    ],
)
def test_refusals_are_permanent_provider_errors(
    emulator: str, connection: dict[str, str], phone: str, text: str, code: str
) -> None:
    client = connect(emulator, **connection)
    error = refused(lambda: client.send_sms(phone, text))
    client.close()
    assert (error.provider, error.code, error.permanent) == ("atompark", code, True)
    assert error.detail.startswith("Atompark ")
    assert recorded(emulator) == []


def test_an_unknown_campaign_is_permanent(client: AtomparkClient) -> None:
    error = refused(lambda: client.delivery_stats("12345"))
    assert (error.code, error.permanent) == ("unknown_campaign", True)


@pytest.mark.parametrize(("mode", "code"), [("no_money", "no_money"), ("server_error", "provider_error")])
def test_provider_failures_are_transient(client: AtomparkClient, emulator: str, mode: str, code: str) -> None:
    http.post(f"{emulator}/_emulator/fail", data={"mode": mode, "count": "1"})
    error = refused(lambda: client.send_sms("+380671234567", "x"))
    assert (error.code, error.permanent) == (code, False)
    # The failure was for one request only: the retry goes through.
    assert client.send_sms("+380671234567", "x").campaign_id


def test_an_empty_account_is_no_money(client: AtomparkClient, emulator: str) -> None:
    http.post(f"{emulator}/_emulator/balance", data={"balance": "0.50"})
    error = refused(lambda: client.send_sms("+380671234567", "x"))
    assert (error.code, error.permanent) == ("no_money", False)


def test_a_slow_answer_is_a_timeout(emulator: str) -> None:
    http.post(f"{emulator}/_emulator/fail", data={"mode": "timeout", "seconds": "0.4"})
    client = connect(emulator, timeout=0.2)
    error = refused(lambda: client.send_sms("+380671234567", "x"))
    client.close()
    assert (error.code, error.permanent) == ("timeout", False)
    # As with a real slow provider, the SMS goes out after the client gave up on it.
    eventually(lambda: len(recorded(emulator)) == 1)


def test_a_refused_connection_is_unreachable() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    client = connect(f"http://127.0.0.1:{port}")
    error = refused(lambda: client.send_sms("+380671234567", "x"))
    client.close()
    assert (error.code, error.permanent) == ("unreachable", False)


def test_an_unreadable_answer_is_a_provider_error() -> None:
    app = Flask(__name__)

    @app.post("/sms/3.0/<action>")
    def garbage(action: str) -> str:
        return "<html>Service temporarily unavailable</html>"

    url, stop = serve_in_thread(app)
    client = connect(url)
    try:
        error = refused(lambda: client.send_sms("+380671234567", "x"))
    finally:
        client.close()
        stop()
    assert (error.code, error.permanent) == ("provider_error", False)
    assert "Service temporarily unavailable" in error.detail


@pytest.mark.parametrize(("status", "code", "retryable"), [
    (403, "provider_refused", False), (404, "provider_refused", False),
    (429, "provider_error", True), (503, "provider_error", True),
])
def test_http_errors_are_retried_only_when_they_say_not_now(status: int, code: str, retryable: bool) -> None:
    app = Flask(__name__)

    @app.post("/sms/3.0/<action>")
    def answer(action: str) -> tuple[str, int]:
        return "no", status

    url, stop = serve_in_thread(app)
    client = connect(url)
    try:
        error = refused(lambda: client.send_sms("+380671234567", "x"))
    finally:
        client.close()
        stop()
    assert (error.provider, error.code, error.retryable) == ("atompark", code, retryable)
    assert f"HTTP {status}" in error.detail


def test_one_client_is_shared_by_threads(client: AtomparkClient, emulator: str) -> None:
    ids: list[str] = []

    def worker() -> None:
        for _ in range(20):
            ids.append(client.send_sms("+380671234567", "Замовлення прийнято").campaign_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 80 and len(recorded(emulator)) == 80


def test_find_campaigns_looks_past_the_first_page_and_checks_sender_and_phone(client, emulator):
    wanted = client.send_sms("+380671234567", "Замовлення 7 підтверджено").campaign_id
    other_phone = client.send_sms("+380671234500", "Замовлення 7 підтверджено").campaign_id
    connect(emulator, sender="OtherShop").send_sms("+380671234567", "Замовлення 7 підтверджено")
    for number in range(100):  # newer campaigns push ours to the second page
        client.send_sms("+380671234511", f"Інше {number}")
    same_text = "Замовлення 7 підтверджено".__eq__
    assert client.find_campaigns("+380671234567", same_text) == [wanted]
    assert client.find_campaigns("+380671234500", same_text) == [other_phone]
    assert client.find_campaigns("+380671234599", same_text) == []
    # A list longer than it may read is no answer: "not found among the newest hundred"
    # would send a second SMS once newer messages pushed the first one back.
    with pytest.raises(ProviderError) as incomplete:
        client.find_campaigns("+380671234567", same_text, max_campaigns=100)
    assert (incomplete.value.code, incomplete.value.permanent) == ("lookup_incomplete", False)
