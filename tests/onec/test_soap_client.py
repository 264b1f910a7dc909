"""The 1C web-service client over real HTTP against the 1C emulator: every operation
round-trips, and every way a call can fail becomes one `ProviderError` that says whether
to retry."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from flask import Flask
from werkzeug.wrappers import Response

from core.providers import ProviderError
from emulators.http import serve_in_thread
from emulators.onec import create_app
from emulators.onec.seed import guid
from onec.settings import OnecSettings, check_onec_settings
from onec.soap.client import OnecClient, service_client

USER, PASSWORD = "portal", "test-only-1c-service-password"
TAX_ID = "42152922"  # a seeded customer of the emulator
PRODUCT = guid("product", "1001")
http = httpx.Client(timeout=10)


SENT: list[bytes] = []


def recording(app: Any) -> Any:
    """The emulator, keeping the body of every request it is sent."""
    def wsgi(environ: dict[str, Any], start: Any) -> Any:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        SENT.append(body)
        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start)
    return wsgi


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    url, stop = serve_in_thread(recording(create_app(USER, PASSWORD)))
    yield url
    stop()


@pytest.fixture(autouse=True)
def fresh(emulator: str) -> None:
    http.post(f"{emulator}/_emulator/reset")


@pytest.fixture(scope="module")
def onec(emulator: str) -> OnecClient:
    return OnecClient(f"{emulator}/ws/portal_exchange.1cws", USER, PASSWORD, timeout=5)


def fail(emulator: str, **form: str) -> None:
    assert http.post(f"{emulator}/_emulator/fail", data=form).status_code == 200


def received(emulator: str) -> dict[str, Any]:
    return http.get(f"{emulator}/_emulator/received").json()


def order(portal_id: str = "order-1", **override: Any) -> dict[str, Any]:
    return {
        "PortalId": portal_id, "Number": "П-000001", "Date": datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
        "CompanyTaxId": TAX_ID, "Currency": "UAH", "Amount": Decimal("116.80"),
        "Line": [{"LineNo": 1, "ProductId": PRODUCT, "Sku": "A-1001", "Quantity": Decimal("2"),
                  "Price": Decimal("58.40"), "Amount": Decimal("116.80")}],
    } | override


def raised(call: Callable[[], Any]) -> ProviderError:
    with pytest.raises(ProviderError) as error:
        call()
    assert error.value.provider == "onec"
    return error.value


def test_every_operation_round_trips(emulator: str, onec: OnecClient) -> None:
    changes = onec.get_changes("catalog", 0, 5)
    assert changes.Entity == "catalog" and len(changes.Group) + len(changes.Product) == 5 and changes.More

    placed = onec.post_order(order())
    assert placed.portal_id == "order-1" and placed.number and placed.created is True
    assert placed.date.tzinfo is not None and len(placed.onec_id) == 36
    again = onec.post_order(order())
    assert (again.onec_id, again.number, again.created) == (placed.onec_id, placed.number, False)
    [taken] = received(emulator)["orders"]
    assert (taken["portal_id"], taken["amount"]) == ("order-1", "116.80")

    states = onec.get_order_statuses(["order-1", "never-sent"], 0, 10)
    assert [(s.PortalId, s.Status) for s in states.Order] == [("order-1", "accepted")]
    assert [s.PortalId for s in onec.get_order_statuses([], 0, 10).Order] == ["order-1"]

    paid = onec.post_payment({
        "PortalId": "payment-1", "Source": "card", "ExternalId": "liqpay-1", "Date": datetime(2026, 12, 1, 9, tzinfo=UTC),
        "Amount": Decimal("116.80"), "Currency": "UAH", "PayerTaxId": TAX_ID, "Purpose": "Оплата П-000001",
        "Allocation": [{"OrderPortalId": "order-1", "Amount": Decimal("116.80")}],
    })
    assert paid.portal_id == "payment-1" and paid.created
    [payment] = received(emulator)["payments"]
    assert payment["allocations"] == [{"order_portal_id": "order-1", "invoice_number": None, "amount": "116.80"}]

    cancelled = onec.post_order_cancellation(
        {"PortalId": "order-1", "Date": datetime(2026, 12, 2, tzinfo=UTC), "Reason": "Клієнт передумав"}
    )
    assert (cancelled.onec_id, cancelled.created) == (placed.onec_id, True)
    assert received(emulator)["orders"][0]["status"] == "cancelled"

    contract = {"PortalId": "contract-1", "Number": "Д-1", "CompanyTaxId": TAX_ID, "Status": "signed",
                "SignedDate": date(2026, 12, 3), "Date": datetime(2026, 12, 3, tzinfo=UTC)}
    assert onec.post_contract_status(contract).created and not onec.post_contract_status(contract).created


def test_a_moment_goes_to_1c_as_kyiv_wall_clock_and_comes_back_as_utc(onec: OnecClient) -> None:
    placed = onec.post_order(order())
    assert b"<ns0:Date>2026-12-01T10:30:00</ns0:Date>" in SENT[-1]
    # The emulator dates the order as sent; read back with no offset, it is the same moment.
    assert placed.date == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    with pytest.raises(ProviderError) as naive:
        onec.post_order(order("order-naive", Date=datetime(2026, 12, 1, 8, 30)))
    assert (naive.value.code, naive.value.retryable) == ("bad_request", False)


def test_a_5xx_and_a_busy_1c_are_retryable(emulator: str, onec: OnecClient) -> None:
    fail(emulator, mode="server_error", count="1")
    error = raised(lambda: onec.post_order(order()))
    assert (error.code, error.retryable) == ("http_503", True)
    fail(emulator, mode="fault", code="BUSY")
    error = raised(lambda: onec.get_changes("stock", 0, 1))
    assert (error.code, error.retryable) == ("BUSY", True)
    fail(emulator, mode="fault", code="INTERNAL")
    assert raised(lambda: onec.post_order(order())).retryable
    assert received(emulator)["orders"] == []
    assert onec.post_order(order()).created


def test_a_refusal_is_permanent_with_the_contracts_code(emulator: str, onec: OnecClient) -> None:
    error = raised(lambda: onec.post_order(order(CompanyTaxId="12345678")))
    assert (error.code, error.retryable) == ("UNKNOWN_COMPANY", False) and "12345678" in error.detail
    error = raised(lambda: onec.post_order(order(Amount=Decimal("116.81"))))
    assert (error.code, error.retryable) == ("VALIDATION", False)
    error = raised(lambda: onec.post_order_cancellation(
        {"PortalId": "never-sent", "Date": datetime(2026, 12, 2, tzinfo=UTC), "Reason": "-"}
    ))
    assert (error.code, error.retryable) == ("UNKNOWN_ORDER", False)
    # A request that breaks the schema never leaves: zeep refuses to build it.
    error = raised(lambda: onec.post_order({"PortalId": "order-2", "Unknown": 1}))
    assert (error.code, error.retryable) == ("bad_request", False)
    assert received(emulator)["orders"] == []


def test_an_answer_later_than_the_timeout_is_a_retryable_timeout(emulator: str) -> None:
    impatient = OnecClient(f"{emulator}/ws/portal_exchange", USER, PASSWORD, timeout=0.3)
    fail(emulator, mode="delay", seconds="1")
    error = raised(lambda: impatient.get_changes("balances", 0, 1))
    assert (error.code, error.retryable) == ("timeout", True)
    impatient.close()


def test_wrong_credentials_are_the_permanent_auth_error(emulator: str) -> None:
    for user, password in ((USER, "wrong-password"), ("someone", PASSWORD)):
        stranger = OnecClient(f"{emulator}/ws/portal_exchange", user, password)
        error = raised(lambda: stranger.post_order(order()))
        assert (error.code, error.retryable) == ("auth", False)
    assert received(emulator)["orders"] == []


def test_a_refused_connection_is_retryable() -> None:
    url, stop = serve_in_thread(lambda environ, start: Response("")(environ, start))
    stop()  # nothing listens there any more
    error = raised(lambda: OnecClient(f"{url}/ws/portal_exchange", USER, PASSWORD, timeout=2).get_changes("stock", 0, 1))
    assert (error.code, error.retryable) == ("unreachable", True)


def _fault_server(faultcode: str, faultstring: str) -> tuple[str, Callable[[], None]]:
    """A service whose every answer is a fault without detail, as a 1C module's
    exception comes out of the platform."""
    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        f"<faultcode>{faultcode}</faultcode><faultstring>{faultstring}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    )
    answer = Response(envelope, 500, content_type="text/xml; charset=utf-8")
    return serve_in_thread(lambda environ, start: answer(environ, start))


@pytest.mark.parametrize(
    ("faultcode", "faultstring", "code", "retryable"),
    [
        ("soap:Client", "[UNKNOWN_PRODUCT] Номенклатуру не знайдено", "UNKNOWN_PRODUCT", False),
        ("soap:Server", "[BUSY] Базу заблоковано", "BUSY", True),
        ("soap:Server", "Ошибка при вызове метода контекста", "INTERNAL", True),
        ("soap:Client", "[SOMETHING_NEW] Невідомо", "SOMETHING_NEW", False),
    ],
)
def test_a_fault_without_detail_is_read_from_the_code_in_its_text(
    faultcode: str, faultstring: str, code: str, retryable: bool
) -> None:
    url, stop = _fault_server(faultcode, faultstring)
    try:
        error = raised(lambda: OnecClient(f"{url}/ws", USER, PASSWORD).post_order(order()))
    finally:
        stop()
    assert (error.code, error.retryable) == (code, retryable)


def test_the_client_is_built_once_and_only_when_the_service_is_configured(onec_app: Flask, emulator: str) -> None:
    assert onec_app.config["ONEC_SERVICE_URL"] == "" and service_client(onec_app) is None
    onec_app.config.update(ONEC_SERVICE_URL=f"{emulator}/ws/portal_exchange", ONEC_SERVICE_PASSWORD=PASSWORD)
    client = service_client(onec_app)
    assert client is service_client(onec_app)
    assert client.get_changes("balances", 0, 1).Balance


def test_the_service_settings_are_checked() -> None:
    defaults = {name: getattr(OnecSettings, name) for name in dir(OnecSettings) if name.isupper()}
    fine = defaults | {"ONEC_SERVICE_URL": "", "ONEC_SERVICE_PASSWORD": ""}
    assert check_onec_settings(fine) == []
    assert check_onec_settings(fine | {"ONEC_SERVICE_URL": "https://1c.example/base/ws/portal_exchange.1cws",
                                       "ONEC_SERVICE_PASSWORD": "s3cret-enough"}) == []
    for wrong, named in (
        ({"ONEC_SERVICE_URL": "https://1c.example/ws"}, "ONEC_SERVICE_PASSWORD"),
        ({"ONEC_SERVICE_URL": "1c.example/ws", "ONEC_SERVICE_PASSWORD": "x"}, "ONEC_SERVICE_URL"),
        ({"ONEC_SERVICE_TIMEOUT": 0.0}, "ONEC_SERVICE_TIMEOUT"),
        ({"ONEC_PULL_LIMIT": 1001}, "ONEC_PULL_LIMIT"),
        ({"ONEC_PULL_SECONDS": 0}, "ONEC_PULL_SECONDS"),
    ):
        [problem] = check_onec_settings(fine | wrong)
        assert named in problem
