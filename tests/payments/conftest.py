"""Payments over real HTTP: the LiqPay emulator and the portal itself on real sockets.

The portal is served from a thread over the test's own database connection (the
rolled-back transaction of tests/conftest.py), so a callback the emulator POSTs is
seen by the test at once and vanishes with it. Requests reach that connection one at
a time: the test waits for each HTTP answer before it looks at the database.
"""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from core.clock import kyiv_today
from emulators.http import serve_in_thread
from emulators.liqpay import create_app as create_liqpay
from payments.allocation import allocate, set_payment_status
from payments.models import Invoice, Payment
from tests.conftest import PASSWORD
from tests.emulators.test_liqpay_emulator import eventually  # noqa: F401  (the payment tests poll too)

CARD_OK, CARD_DECLINED, CARD_DELAYED = "4242424242424242", "4000000000000002", "4000000000000077"


class Emulator:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def pay(self, form: dict[str, str], card: str = CARD_OK, deliver_callback: bool = True) -> dict[str, Any]:
        answer = self.http.post("/_emulator/pay", json={**form, "card": card, "deliver_callback": deliver_callback})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def payments(self, order_id: str) -> list[dict[str, Any]]:
        return self.http.get("/_emulator/payments", params={"order_id": order_id}).json()

    def resend(self, payment_id: int) -> None:
        assert self.http.post(f"/_emulator/resend/{payment_id}").status_code == 200


@pytest.fixture(scope="session")
def liqpay_server(app: Any) -> Iterator[Emulator]:
    url, stop = serve_in_thread(
        create_liqpay(app.config["LIQPAY_PUBLIC_KEY"], app.config["LIQPAY_PRIVATE_KEY"], delay=0.3, retry_delays=())
    )
    yield Emulator(url)
    stop()


@pytest.fixture(scope="session")
def portal_server(app: Any) -> Iterator[str]:
    url, stop = serve_in_thread(app)
    yield url
    stop()


@pytest.fixture
def live(app: Any, db: Any, liqpay_server: Emulator, portal_server: str) -> Iterator[Emulator]:
    """The portal reachable at PUBLIC_BASE_URL and talking to the emulator."""
    saved = {key: app.config[key] for key in ("PUBLIC_BASE_URL", "LIQPAY_BASE_URL")}
    app.config.update(PUBLIC_BASE_URL=portal_server, LIQPAY_BASE_URL=liqpay_server.url)
    app.extensions.pop("card_acquirer", None)
    yield liqpay_server
    app.config.update(saved)
    app.extensions.pop("card_acquirer", None)


@pytest.fixture
def browser(portal_server: str) -> Callable[[Any], httpx.Client]:
    """A customer's HTTP client against the live portal, logged in."""

    def open_for(user: Any) -> httpx.Client:
        client = httpx.Client(base_url=portal_server, timeout=10)
        answer = client.post("/login", data={"login": user.email, "password": PASSWORD})
        assert answer.status_code == 302, answer.text
        return client

    return open_for


def liqpay_form(page: str) -> dict[str, str]:
    """The data + signature the pay page hands the browser for LiqPay."""
    data = page.split('name="data" value="')[1].split('"')[0]
    signature = page.split('name="signature" value="')[1].split('"')[0]
    return {"data": data, "signature": signature}


def checkout_payload(form: dict[str, str]) -> dict[str, Any]:
    return json.loads(base64.b64decode(form["data"]))


def invoices_of(db: Any, order: Any) -> list[Invoice]:
    db.expire_all()
    return list(db.query(Invoice).filter_by(order_id=order.id).order_by(Invoice.id))


def pay_by_hand(db: Any, invoice: Invoice, amount: Decimal | None = None) -> Any:
    """A manual payment allocated to the invoice (what an accountant does for cash)."""
    payment = Payment(source="manual", external_id=f"m-{invoice.id}-{amount}-{time.monotonic_ns()}",
                      amount=amount or invoice.outstanding, paid_on=kyiv_today())
    db.add(payment)
    set_payment_status(payment, "succeeded", "Бухгалтер")
    db.flush()
    return allocate(db, payment, invoice.id, payment.amount, "Бухгалтер")


def backdate(db: Any, invoice: Invoice, days: int) -> None:
    invoice.issued_on -= timedelta(days=days)
    invoice.due_on -= timedelta(days=days)
    db.flush()

