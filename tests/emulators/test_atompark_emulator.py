"""The Atompark SMS emulator over real HTTP, with control sums made by hand from Atompark's docs."""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from emulators.atompark import create_app
from emulators.http import serve_in_thread
from tests.emulators.test_liqpay_emulator import eventually

PUBLIC, PRIVATE = "atompark-test-public", "atompark-test-private"
# Queued for the first half: a look right after sending must find it so on a loaded machine.
DELAY = 1.0
PHONE = "380671234567"
NO_DATE = "0000-00-00 00:00:00"
http = httpx.Client(timeout=10)


def signed(action: str, *, public: str = PUBLIC, private: str = PRIVATE, **args: str) -> dict[str, str]:
    """What Atompark's PHP SDK posts: the arguments, key, version and action, and `sum`:
    the values in the order of their names, the private key appended, md5 hex."""
    params = args | {"key": public, "version": "3.0", "action": action}
    concatenated = "".join(value for _, value in sorted(params.items())) + private
    return params | {"sum": hashlib.md5(concatenated.encode()).hexdigest()}


def sms(
    text: str = "Замовлення 42 прийнято", phone: str = PHONE, sender: str = "OptMarket", **override: str
) -> dict[str, str]:
    return {"sender": sender, "text": text, "phone": phone, "datetime": "", "sms_lifetime": "0"} | override


def call(emulator: str, action: str, form: dict[str, str]) -> dict[str, Any]:
    response = http.post(f"{emulator}/sms/3.0/{action}", data=form)
    assert response.status_code == 200, response.text
    return response.json()


def send(emulator: str, **args: str) -> dict[str, Any]:
    return call(emulator, "sendSMS", signed("sendSMS", **sms(**args)))


def balance(emulator: str) -> Decimal:
    answer = call(emulator, "getUserBalance", signed("getUserBalance", currency="UAH"))
    return Decimal(str(answer["result"]["balance_currency"]))


def stats(emulator: str, campaign_id: Any) -> dict[str, Any]:
    return call(emulator, "getCampaignDeliveryStats", signed("getCampaignDeliveryStats", id=str(campaign_id)))


def recorded(emulator: str) -> list[dict[str, Any]]:
    return http.get(f"{emulator}/_emulator/messages").json()


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    url, stop = serve_in_thread(create_app(PUBLIC, PRIVATE, delivery_delay=DELAY))
    yield url
    stop()


@pytest.fixture(autouse=True)
def fresh(emulator: str) -> None:
    http.post(f"{emulator}/_emulator/reset")


def test_a_correctly_summed_sms_is_accepted_and_recorded(emulator: str) -> None:
    answer = send(emulator)
    assert set(answer) == {"result"}
    result = answer["result"]
    assert isinstance(result["id"], int) and result["price"] == 0.8 and result["currency"] == "UAH"
    [message] = recorded(emulator)
    assert message["campaign_id"] == result["id"] and message["phone"] == PHONE
    assert message["sender"] == "OptMarket" and message["text"] == "Замовлення 42 прийнято"
    assert message["segments"] == 1 and message["encoding"] == "UCS-2" and message["status"] == "0"


def test_action_and_version_are_summed_even_when_only_the_url_carries_them(emulator: str) -> None:
    form = signed("sendSMS", **sms())
    del form["action"], form["version"]
    assert "result" in call(emulator, "sendSMS", form)
    # A GET with the arguments in the query, and a method name in Atompark's lower case.
    query = signed("getuserbalance", currency="UAH")
    answer = http.get(f"{emulator}/sms/3.0/getuserbalance", params=query).json()
    assert answer["result"]["currency"] == "UAH"


def test_refused_sums_and_keys(emulator: str) -> None:
    good = signed("sendSMS", **sms())
    tampered = good | {"text": "Інший текст"}
    missing = {name: value for name, value in good.items() if name != "sum"}
    other_action = signed("getUserBalance", **sms()) | {"action": "sendSMS"}
    garbled = good | {"sum": "контрольна сума"}
    for form in (signed("sendSMS", private="someone-else", **sms()), tampered, missing, other_action, garbled):
        assert call(emulator, "sendSMS", form) == {"error": "Invalid control sum", "code": "-2"}
    unknown = call(emulator, "sendSMS", signed("sendSMS", public="someone-else", **sms()))
    assert unknown == {"error": "Invalid public key", "code": "-1"}
    assert recorded(emulator) == [] and balance(emulator) == Decimal("1000.00")


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"sender": ""}, "300"),
        ({"sender": "Оптовик"}, "300"),
        ({"sender": "TwelveLetter"}, "300"),
        ({"text": ""}, "301"),
        ({"text": "x" * (153 * 10 + 1)}, "301"),
        ({"phone": "+380671234567"}, "303"),
        ({"phone": "0671234567"}, "303"),
        ({"phone": "38067"}, "303"),
        ({"datetime": "tomorrow"}, "306"),
        ({"sms_lifetime": "-1"}, "306"),
    ],
)
def test_invalid_arguments_are_refused_and_nothing_is_charged(
    emulator: str, override: dict[str, str], code: str
) -> None:
    answer = send(emulator, **override)
    assert answer["code"] == code and answer["error"]
    assert recorded(emulator) == [] and balance(emulator) == Decimal("1000.00")


def test_delivery_is_pending_first_then_delivered(emulator: str) -> None:
    campaign_id = send(emulator)["result"]["id"]
    first = stats(emulator, campaign_id)["result"]
    assert first["phone"] == [PHONE] and first["status"][0] in ("0", "SENT") and first["donedate"] == [NO_DATE]
    done = eventually(lambda: (r := stats(emulator, campaign_id)["result"])["status"] == ["DELIVERED"] and r)
    assert NO_DATE not in done["sentdate"] + done["donedate"] and done["sentdate"][0] <= done["donedate"][0]


def test_a_phone_ending_in_0000_is_not_delivered(emulator: str) -> None:
    campaign_id = send(emulator, phone="380671230000")["result"]["id"]
    eventually(lambda: stats(emulator, campaign_id)["result"]["status"] == ["NOT_DELIVERED"])
    assert recorded(emulator)[0]["status"] == "NOT_DELIVERED"


def test_an_unknown_campaign_is_refused(emulator: str) -> None:
    for campaign_id in ("12345", "abc", ""):
        assert stats(emulator, campaign_id)["code"] == "320"


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 2),
        ("ї" * 70, "UCS-2", 1),
        ("ї" * 71, "UCS-2", 2),
        ("Оплатіть рахунок " * 7 + "x" * 15, "UCS-2", 2),  # 134 characters
        ("Оплатіть рахунок " * 7 + "x" * 16, "UCS-2", 3),
    ],
)
def test_balance_is_charged_per_segment(emulator: str, text: str, encoding: str, segments: int) -> None:
    result = send(emulator, text=text)["result"]
    assert Decimal(str(result["price"])) == Decimal("0.80") * segments
    assert balance(emulator) == Decimal("1000.00") - Decimal("0.80") * segments
    [message] = recorded(emulator)
    assert (message["encoding"], message["segments"]) == (encoding, segments)


def test_not_enough_money_refuses_and_charges_nothing(emulator: str) -> None:
    assert http.post(f"{emulator}/_emulator/balance", data={"balance": "1.00"}).json() == {"balance": "1.00"}
    assert send(emulator, text="ї" * 71)["code"] == "305"
    assert recorded(emulator) == [] and balance(emulator) == Decimal("1.00")
    assert "result" in send(emulator, text="ї" * 70)
    assert balance(emulator) == Decimal("0.20")


def test_armed_failures_spoil_only_the_next_sends(emulator: str) -> None:
    armed = http.post(f"{emulator}/_emulator/fail", data={"mode": "server_error", "count": "2"})
    assert armed.json() == {"mode": "server_error", "count": 2, "seconds": 15.0}
    assert balance(emulator) == Decimal("1000.00")  # other methods neither fail nor use the count up
    for _ in range(2):
        assert http.post(f"{emulator}/sms/3.0/sendSMS", data=signed("sendSMS", **sms())).status_code == 500
    assert "result" in send(emulator)
    assert http.post(f"{emulator}/_emulator/fail", data={"mode": "nap"}).status_code == 400


def test_concurrent_senders_get_distinct_campaigns_and_exact_charges(emulator: str) -> None:
    ids: list[int] = []

    def sender() -> None:
        with httpx.Client(timeout=10) as own:
            for _ in range(25):
                form = signed("sendSMS", **sms())
                ids.append(own.post(f"{emulator}/sms/3.0/sendSMS", data=form).json()["result"]["id"])

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 100 and len(recorded(emulator)) == 100
    assert balance(emulator) == Decimal("1000.00") - 100 * Decimal("0.80")


def test_the_messages_page_lists_every_sms_newest_first(emulator: str) -> None:
    send(emulator, text="Перше <b>SMS</b>")
    send(emulator, text="Друге SMS", phone="380501112233")
    page = http.get(f"{emulator}/_emulator/messages", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Перше &lt;b&gt;SMS&lt;/b&gt;" in page.text and "+380671234567" in page.text
    assert page.text.index("Друге SMS") < page.text.index("Перше")
    assert http.get(f"{emulator}/_emulator/messages", params={"format": "html"}).text.count("<tr>") == 3
    assert [m["text"] for m in recorded(emulator)] == ["Перше <b>SMS</b>", "Друге SMS"]


def test_an_unknown_method_is_not_found(emulator: str) -> None:
    assert http.post(f"{emulator}/sms/3.0/deleteCampaign", data=signed("deleteCampaign", id="1")).status_code == 404


def test_the_campaign_list_finds_what_was_sent_newest_first_and_pages(emulator):
    first = send(emulator, text="Перше")["result"]["id"]
    second = send(emulator, text="Друге", phone="380671234500", sender="Other")["result"]["id"]
    listed = call(emulator, "getCampaignList", signed("getCampaignList"))["result"]
    assert listed["id"] == [second, first] and listed["from"] == ["Other", "OptMarket"]
    assert listed["body"] == ["Друге", "Перше"] and set(listed["status"]) <= {"0", "2", "3"}
    page = call(emulator, "getCampaignList", signed("getCampaignList", **{"from": "1", "offset": "1"}))["result"]
    assert page["id"] == [first]
    refused = call(emulator, "getCampaignList", signed("getCampaignList", offset="many"))
    assert refused["code"] == "306"
    # The sum covers the paging too.
    forged = signed("getCampaignList", offset="1") | {"offset": "2"}
    assert call(emulator, "getCampaignList", forged)["code"] == "-2"
