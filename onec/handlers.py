"""The outbox handlers that push to 1C's web service. Outward: never inside a request;
the relay (a Celery worker in production) retries a retryable failure with backoff and
stops at a permanent one, which staff then see on the event and in the exchange log.

When ONEC_SERVICE_URL is empty the web service is not used: the handlers finish without
a call, and 1C takes orders by CommerceML's sale query instead (/1c/exchange). Events
delivered while it was empty are not pushed later."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.db import app_of
from core.orders.models import Order
from core.outbox import OutboxEvent, handler
from onec.contract_push import push_contract_status
from onec.payment_push import push_payment
from onec.push import push_cancellation, push_order
from onec.soap.client import service_client
from payments.models import Payment

# Declared by payments and by the contracts feature (edo); without them enabled these
# pushes wait, inactive.
AWAITS = ("payment.received", "contract.signed", "contract.rejected", "contract.annulled")


@handler("order.submitted", name="onec.push_order", outward=True)
def push_submitted_order(session: Session, outbox_event: OutboxEvent) -> None:
    _push_the_order(session, outbox_event, push_order)


@handler("order.cancelled", name="onec.push_cancellation", outward=True)
def push_cancelled_order(session: Session, outbox_event: OutboxEvent) -> None:
    _push_the_order(session, outbox_event, push_cancellation)


def _push_the_order(session: Session, outbox_event: OutboxEvent, push: Callable[..., object]) -> None:
    client = service_client(app_of(session))
    order = session.get(Order, outbox_event.payload["order_id"])
    if client is not None and order is not None:
        push(session, client, order)


@handler("payment.received", name="onec.push_payment", outward=True)
def push_received_payment(session: Session, outbox_event: OutboxEvent) -> None:
    """One event per allocation: the first pushes the payment with all its allocations,
    the others find it pushed."""
    client = service_client(app_of(session))
    payment = session.get(Payment, outbox_event.payload["payment_id"])
    if client is not None and payment is not None:
        push_payment(session, client, payment)


@handler(("contract.signed", "contract.rejected", "contract.annulled"), name="onec.push_contract_status", outward=True)
def push_contract(session: Session, outbox_event: OutboxEvent) -> None:
    """The payload is all 1C needs (edo/polling.py status_payload): onec reads no contract."""
    client = service_client(app_of(session))
    if client is not None:
        push_contract_status(session, client, outbox_event.payload)
