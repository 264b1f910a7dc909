"""Orders, payments and cancellations pushed to the 1C emulator over real HTTP by the
outbox handlers: once, in order, through 1C being away, and never what 1C sent us."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from flask import Flask, current_app
from sqlalchemy import delete, select
from werkzeug.wrappers import Response

from core import outbox
from core.clock import frozen_at, utcnow
from core.customers.models import Company, User
from core.orders import states
from core.orders.models import Order
from core.orders.services import Actor, change_status, submit_order
from core.outbox import OutboxDelivery, OutboxEvent
from emulators.http import serve_in_thread
from emulators.onec import create_app
from emulators.onec.seed import guid
from onec.backlog import retry_away
from onec.models import ExchangeRun, OnecDocumentRef
from onec.payment_push import came_from_1c, push_payment
from onec.soap.client import service_client
from payments.allocation import allocate, set_payment_status
from payments.invoices import invoices_of_order
from payments.models import Payment

USER, PASSWORD = "portal", "test-only-1c-service-password"
TAX_ID = "42152922"  # a customer the emulator's 1C has
http = httpx.Client(timeout=10)


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    url, stop = serve_in_thread(create_app(USER, PASSWORD))
    yield url
    stop()


@pytest.fixture
def onec(onec_app: Flask, emulator: str) -> Iterator[Flask]:
    """The onec app talking to a fresh emulated 1C, inside a request context for the services."""
    http.post(f"{emulator}/_emulator/reset")
    onec_app.config.update(
        ONEC_SERVICE_URL=f"{emulator}/ws/portal_exchange", ONEC_SERVICE_USER=USER, ONEC_SERVICE_PASSWORD=PASSWORD
    )
    with onec_app.test_request_context():
        yield onec_app


@pytest.fixture
def buyer(db: Any, make_company: Callable[..., Company], make_user: Callable[..., User]) -> User:
    company = make_company()
    company.tax_id = TAX_ID
    db.flush()
    return make_user(company)


@pytest.fixture
def products(make_product: Callable[..., Any], db: Any) -> list[Any]:
    """Two products 1C has (the emulator's seeded A-1001 and A-1002)."""
    made = [make_product(prices={"wholesale": "58.40"}), make_product(prices={"wholesale": "64.99"})]
    for product, code in zip(made, ("1001", "1002")):
        product.onec_guid = guid("product", code)
    db.flush()
    return made


def submit(db: Any, buyer: User, products: list[Any], quantities: tuple[str, ...] = ("12", "2")) -> Order:
    items = [(product.id, Decimal(quantity)) for product, quantity in zip(products, quantities)]
    order = submit_order(
        db, buyer.company, items, actor=Actor.of(buyer), idempotency_key=f"k{time.monotonic_ns()}",
        delivery_point_id=buyer.company.delivery_points[0].id,
    ).order
    db.commit()
    return order


def pay(db: Any, order: Order, make_staff: Callable[..., Any], source: str = "liqpay") -> Payment:
    change_status(db, order, states.CONFIRMED, Actor.of(make_staff("manager")))
    [invoice] = invoices_of_order(db, order.id)
    payment = Payment(source=source, external_id=f"p-{time.monotonic_ns()}", amount=invoice.amount,
                      company_id=order.company_id, purpose=f"Оплата рахунку {invoice.number}")
    db.add(payment)
    set_payment_status(payment, "succeeded", "LiqPay")
    db.flush()
    allocate(db, payment, invoice.id, payment.amount, "LiqPay")
    db.commit()
    return payment


def relay(db: Any) -> None:
    """What the relay's sweep does on a worker: every due event delivered."""
    outbox.sweep(db, current_app.config["OUTBOX_MAX_ATTEMPTS"])
    db.expire_all()


def later(minutes: int = 90) -> Any:
    """Past every backoff the failures so far earned."""
    return frozen_at(utcnow() + timedelta(minutes=minutes))


def received(emulator: str) -> dict[str, Any]:
    return http.get(f"{emulator}/_emulator/received").json()


def fail(emulator: str, **form: str) -> None:
    assert http.post(f"{emulator}/_emulator/fail", data=form).status_code == 200


def events(db: Any, topic: str) -> list[OutboxEvent]:
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)))


def runs(db: Any, entity: str) -> list[ExchangeRun]:
    return list(db.scalars(select(ExchangeRun).where(ExchangeRun.entity == entity).order_by(ExchangeRun.id)))


def test_a_submitted_order_arrives_in_1c_with_our_id_and_1cs_number_is_kept(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any]
) -> None:
    order = submit(db, buyer, products)
    relay(db)
    [taken] = received(emulator)["orders"]
    assert taken["portal_id"] == f"order-{order.id}" and taken["company"] == 'ТОВ "Альфа-Трейд"'
    assert Decimal(taken["amount"]) == order.total == Decimal("830.78") and taken["lines"] == 2
    ref = db.get(OnecDocumentRef, (f"order-{order.id}", "order"))
    assert (ref.onec_id, ref.number, ref.object_id) == (taken["id"], taken["number"], order.id)
    [run] = runs(db, "orders")
    assert (run.direction, run.source, run.status, run.created, run.error) == ("out", "soap", "success", 1, None)
    assert run.duration_seconds >= 0
    assert [e.status for e in events(db, "order.submitted")] == ["done"]


def test_a_payment_arrives_with_its_allocations_after_its_order(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any], make_staff: Callable[..., Any]
) -> None:
    order = submit(db, buyer, products)
    payment = pay(db, order, make_staff)
    relay(db)
    got = received(emulator)
    [taken] = got["payments"]
    [invoice] = invoices_of_order(db, order.id)
    assert (taken["portal_id"], taken["source"], Decimal(taken["amount"])) == (f"payment-{payment.id}", "card", invoice.amount)
    assert taken["allocations"] == [
        {"order_portal_id": f"order-{order.id}", "invoice_number": invoice.number, "amount": str(invoice.amount)}
    ]
    assert [o["portal_id"] for o in got["orders"]] == [f"order-{order.id}"]
    assert db.get(OnecDocumentRef, (f"payment-{payment.id}", "payment")).number == taken["number"]


def test_the_same_event_delivered_again_makes_no_second_document(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any]
) -> None:
    order = submit(db, buyer, products)
    relay(db)
    [event] = events(db, "order.submitted")
    first = db.get(OnecDocumentRef, (f"order-{order.id}", "order")).number
    # The answer never reached us (a worker killed after 1C took the order): the event is
    # delivered again and the push sent again under the same PortalId.
    db.execute(delete(OnecDocumentRef))
    db.execute(delete(OutboxDelivery).where(OutboxDelivery.event_id == event.id))
    event.status = outbox.PENDING
    db.commit()
    relay(db)
    assert len(received(emulator)["orders"]) == 1
    assert db.get(OnecDocumentRef, (f"order-{order.id}", "order")).number == first
    assert [(r.created, r.unchanged) for r in runs(db, "orders")] == [(1, 0), (0, 1)]
    # And with 1C's answer kept, a third delivery sends nothing at all.
    db.execute(delete(OutboxDelivery).where(OutboxDelivery.event_id == event.id))
    event.status = outbox.PENDING
    db.commit()
    relay(db)
    assert len(runs(db, "orders")) == 2


def test_while_1c_is_away_orders_and_payments_queue_then_go_in_order_once(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any], make_staff: Callable[..., Any]
) -> None:
    fail(emulator, mode="server_error", count="2")
    order = submit(db, buyer, products)
    payment = pay(db, order, make_staff)
    relay(db)  # the order fails, and the payment fails pushing its order first
    assert received(emulator) | {"contracts": [], "documents": []} == {"orders": [], "payments": [], "contracts": [], "documents": []}
    waiting = events(db, "order.submitted") + events(db, "payment.received")
    assert [e.status for e in waiting] == ["pending", "pending"]
    assert all("onec http_503" in e.last_error and e.next_attempt_at > utcnow() for e in waiting)
    relay(db)  # nothing is due yet: 1C is not asked again
    assert [r.status for r in runs(db, "orders")] == ["failed", "failed"]
    fail(emulator, mode="server_error", count="1")
    with later():
        relay(db)  # the order fails once more; the payment pushes its order, then itself
        assert [e.status for e in events(db, "payment.received")] == ["done"]
        relay(db)
    with later(180):
        relay(db)  # the order's own event finds it pushed
    got = received(emulator)
    assert [o["portal_id"] for o in got["orders"]] == [f"order-{order.id}"]
    assert [p["portal_id"] for p in got["payments"]] == [f"payment-{payment.id}"]
    assert got["payments"][0]["allocations"][0]["order_portal_id"] == f"order-{order.id}"
    assert [e.status for e in events(db, "order.submitted")] == ["done"]
    assert [r.status for r in runs(db, "orders")] == ["failed", "failed", "failed", "success"]
    assert all("http_503" in r.error for r in runs(db, "orders")[:3])


def test_a_refusal_fails_the_push_at_once_and_is_not_retried(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any]
) -> None:
    buyer.company.tax_id = "12345678"  # a customer 1C does not have
    db.flush()
    submit(db, buyer, products)
    relay(db)
    [event] = events(db, "order.submitted")
    assert event.status == "failed" and "onec UNKNOWN_COMPANY" in event.last_error and event.attempts == 1
    [run] = runs(db, "orders")
    assert run.status == "failed" and "UNKNOWN_COMPANY" in run.error
    with later():
        relay(db)
    assert events(db, "order.submitted")[0].attempts == 1 and len(runs(db, "orders")) == 1
    assert received(emulator)["orders"] == []


def test_a_product_1c_does_not_have_is_refused_before_any_call(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any], make_product: Callable[..., Any]
) -> None:
    portal_only = make_product(sku="OWN-1")
    submit(db, buyer, [*products, portal_only], ("12", "2", "1"))
    relay(db)
    [event] = events(db, "order.submitted")
    assert event.status == "failed" and "UNKNOWN_PRODUCT" in event.last_error and "OWN-1" in event.last_error
    assert received(emulator)["orders"] == []


def test_a_cancellation_follows_its_order_and_goes_once(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any]
) -> None:
    fail(emulator, mode="server_error", count="1")
    order = submit(db, buyer, products)
    relay(db)  # 1C away: the order waits
    change_status(db, order, states.CANCELLED, Actor.of(buyer), note="Передумали")
    db.commit()
    relay(db)  # the cancellation pushes the order first, then cancels it
    [taken] = received(emulator)["orders"]
    assert taken["status"] == "cancelled" and "Передумали" in taken["cancel_reason"]
    ref = db.get(OnecDocumentRef, (f"order-{order.id}", "cancellation"))
    assert ref.onec_id == taken["id"]
    with later():
        relay(db)
    assert [e.status for e in events(db, "order.submitted") + events(db, "order.cancelled")] == ["done", "done"]
    assert [r.entity for r in runs(db, "orders") + runs(db, "cancellations")] == ["orders", "orders", "cancellations"]


def test_what_came_from_1c_or_is_no_money_is_not_pushed(onec: Flask, db: Any, emulator: str) -> None:
    client = service_client(onec)
    from_1c = Payment(source="1c", external_id="1c-doc", amount=Decimal("100.00"), status="succeeded")
    assert came_from_1c(from_1c) and push_payment(db, client, from_1c) is None
    write_off = Payment(source="discount", external_id="promo", amount=Decimal("10.00"), status="succeeded")
    assert not came_from_1c(write_off) and push_payment(db, client, write_off) is None
    declined = Payment(source="liqpay", external_id="declined", amount=Decimal("10.00"), status="failed")
    assert push_payment(db, client, declined) is None
    assert received(emulator)["payments"] == [] and runs(db, "payments") == []


def test_without_the_web_service_the_handlers_make_no_call(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any]
) -> None:
    onec.config["ONEC_SERVICE_URL"] = ""
    submit(db, buyer, products)
    relay(db)
    assert [e.status for e in events(db, "order.submitted")] == ["done"]
    assert received(emulator)["orders"] == [] and runs(db, "orders") == []


def test_onec_push_sends_what_waits_now(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any]
) -> None:
    fail(emulator, mode="server_error", count="1")
    waiting = submit(db, buyer, products)
    relay(db)  # 1C away: the order waits out its backoff
    buyer.company.tax_id = "12345678"
    db.flush()
    refused = submit(db, buyer, products)
    relay(db)  # refused for good
    buyer.company.tax_id = TAX_ID  # staff fixed the customer's code
    db.commit()
    result = onec.test_cli_runner().invoke(args=["onec-push"])
    assert result.exit_code == 0, result.output
    assert "pushed 2, still waiting 0, failed 0" in result.output
    assert {o["portal_id"] for o in received(emulator)["orders"]} == {f"order-{waiting.id}", f"order-{refused.id}"}
    again = onec.test_cli_runner().invoke(args=["onec-push"])
    assert "pushed 0, still waiting 0, failed 0" in again.output


def test_onec_push_says_what_failed_and_refuses_without_the_service(
    onec: Flask, db: Any, buyer: User, products: list[Any]
) -> None:
    buyer.company.tax_id = "12345678"
    db.flush()
    submit(db, buyer, products)
    result = onec.test_cli_runner().invoke(args=["onec-push"])
    assert result.exit_code == 1 and "failed 1" in result.output and "UNKNOWN_COMPANY" in result.output
    onec.config["ONEC_SERVICE_URL"] = ""
    off = onec.test_cli_runner().invoke(args=["onec-push"])
    assert off.exit_code == 1 and "ONEC_SERVICE_URL is empty" in off.output


def test_an_answer_about_another_document_is_not_kept(
    onec: Flask, db: Any, buyer: User, products: list[Any]
) -> None:
    """A 1C answering PostOrder with another PortalId's document (a bug on its side): kept
    under our id, it would stand for our order for good."""
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="urn:portal-exchange:1"><s:Body>'
        "<m:PostOrderResponse><m:return><m:PortalId>order-999999</m:PortalId>"
        "<m:Id>5f0c0000-0000-4000-8000-000000000001</m:Id><m:Number>ЗМ-1</m:Number>"
        "<m:Date>2026-12-01T10:00:00</m:Date><m:Created>true</m:Created></m:return></m:PostOrderResponse>"
        "</s:Body></s:Envelope>"
    )
    answer = Response(envelope, 200, content_type="text/xml; charset=utf-8")
    url, stop = serve_in_thread(lambda environ, start: answer(environ, start))
    onec.config["ONEC_SERVICE_URL"] = f"{url}/ws"
    try:
        order = submit(db, buyer, products)
        relay(db)
    finally:
        stop()
    [event] = events(db, "order.submitted")
    assert event.status == "failed" and "bad_answer" in event.last_error and "order-999999" in event.last_error
    assert db.get(OnecDocumentRef, (f"order-{order.id}", "order")) is None


def test_a_push_that_outlasted_its_retries_goes_when_1c_returns_and_a_refusal_stays(
    onec: Flask, db: Any, emulator: str, buyer: User, products: list[Any]
) -> None:
    onec.config["OUTBOX_MAX_ATTEMPTS"] = 2
    buyer.company.tax_id = "12345678"
    db.flush()
    refused = submit(db, buyer, products)
    relay(db)  # refused at once: a customer 1C does not have
    buyer.company.tax_id = TAX_ID
    db.flush()
    fail(emulator, mode="server_error", count="2")
    away = submit(db, buyer, products)
    relay(db)
    with later():
        relay(db)  # the second and last attempt: 1C is still away
    assert [e.status for e in events(db, "order.submitted")] == ["failed", "failed"]
    assert retry_away(db) == 1  # 1C is back: only the one that waited for it is tried
    db.expire_all()
    assert [o["portal_id"] for o in received(emulator)["orders"]] == [f"order-{away.id}"]
    assert [e.status for e in events(db, "order.submitted")] == ["failed", "done"]
    assert retry_away(db) == 0
    assert db.get(OnecDocumentRef, (f"order-{refused.id}", "order")) is None

