"""`flask serve-demo` brings the LiqPay emulator along and points the app at it."""
from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import click
import httpx
import pytest
from flask import Flask

from demo import serve
from payments.liqpay.client import LiqpayClient


@pytest.fixture
def stoppers() -> Iterator[list[Callable[[], None]]]:
    found: list[Callable[[], None]] = []
    yield found
    for stop in found:
        stop()


def _bare_app() -> Flask:
    app = Flask("serve-demo-test")
    app.config.update(
        LIQPAY_PUBLIC_KEY="sandbox_i00000000001", LIQPAY_PRIVATE_KEY="sandbox_demo-private-key",
        LIQPAY_BASE_URL="https://www.liqpay.ua", PUBLIC_BASE_URL="http://127.0.0.1:5000",
    )
    return app


def test_the_emulator_takes_checkouts_signed_with_the_apps_keys(stoppers: list) -> None:
    app = _bare_app()
    url, stop = serve.start_liqpay_emulator(app, 0, fixed=True)
    stoppers.append(stop)
    client = LiqpayClient(app.config["LIQPAY_PUBLIC_KEY"], app.config["LIQPAY_PRIVATE_KEY"], url)
    try:
        form = client.checkout_form(
            order_id="inv-test", amount=Decimal("120.50"), description="Оплата за рахунком № 2026-00001",
            server_url="http://127.0.0.1:9/callback", result_url="http://127.0.0.1:9/done",
        )
    finally:
        client.close()
    assert form.action_url == f"{url}/api/3/checkout"
    page = httpx.post(form.action_url, data=form.fields, timeout=10)
    assert page.status_code == 200 and "120.50" in page.text
    assert all(card in page.text for card, _ in serve.TEST_CARDS)


def test_a_taken_default_port_moves_the_emulator_and_an_asked_for_one_fails(stoppers: list) -> None:
    app = _bare_app()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        url, stop = serve.start_liqpay_emulator(app, port, fixed=False)
        stoppers.append(stop)
        assert url.startswith("http://127.0.0.1:") and not url.endswith(f":{port}")
        with pytest.raises(click.ClickException, match=str(port)):
            serve.start_liqpay_emulator(app, port, fixed=True)


def test_the_app_is_pointed_at_the_emulator_and_at_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    app = _bare_app()
    app.extensions["card_acquirer"] = object()  # a client built before would talk to LiqPay itself
    serve.configure_demo_payments(app, "127.0.0.1", 5077, "http://127.0.0.1:5078")
    assert app.config["LIQPAY_BASE_URL"] == "http://127.0.0.1:5078"
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5077"
    assert "liqpay" not in app.extensions

    serve.configure_demo_payments(app, "0.0.0.0", 8000, "http://127.0.0.1:8001")
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"  # callbacks come back over loopback

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://demo.example.ua")
    app.config["PUBLIC_BASE_URL"] = "https://demo.example.ua"
    serve.configure_demo_payments(app, "127.0.0.1", 5077, "http://127.0.0.1:5078")
    assert app.config["PUBLIC_BASE_URL"] == "https://demo.example.ua"  # set explicitly: kept


def test_serve_demo_starts_the_emulator_on_the_next_port(app: Any, monkeypatch: pytest.MonkeyPatch,
                                                        stoppers: list) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started: dict[str, Any] = {}
    real_start = serve.start_liqpay_emulator

    def start(app_: Any, liqpay_port: int, *, fixed: bool) -> tuple[str, Callable[[], None]]:
        url, stop = real_start(app_, liqpay_port, fixed=fixed)
        started.update(port=liqpay_port, fixed=fixed, url=url)
        stoppers.append(stop)
        return url, stop

    def run_simple(host: str, port_: int, wsgi: Any, **options: Any) -> None:
        started.update(host=host, served=port_, liqpay=wsgi.config["LIQPAY_BASE_URL"],
                       public=wsgi.config["PUBLIC_BASE_URL"], relay_thread=wsgi.config["OUTBOX_RELAY_THREAD"])

    # serve-demo points the suite's app at its emulators (LiqPay, 1C, Vchasno ...): all of it
    # is undone, or later tests would talk to them.
    saved_config, saved_extensions = dict(app.config), set(app.extensions)
    monkeypatch.setattr(serve, "start_liqpay_emulator", start)
    monkeypatch.setattr(serve, "run_simple", run_simple)
    monkeypatch.setattr(serve, "_run_jobs_forever", lambda *args: None)
    try:
        result = app.test_cli_runner().invoke(args=["serve-demo", "--port", str(port)])
    finally:
        app.config.clear()
        app.config.update(saved_config)
        for added in set(app.extensions) - saved_extensions:
            app.extensions.pop(added)
        for client in ("card_acquirer", "onec_service"):  # made before with the suite's settings
            app.extensions.pop(client, None)
    assert result.exit_code == 0, result.output
    assert (started["port"], started["fixed"], started["served"]) == (port + 1, False, port)
    assert started["liqpay"] == started["url"] and started["public"] == f"http://127.0.0.1:{port}"
    assert started["relay_thread"] is True  # outward handlers (refunds) are delivered beside the requests
    assert f"LiqPay:     {started['url']}/" in result.output and "4242424242424242" in result.output
