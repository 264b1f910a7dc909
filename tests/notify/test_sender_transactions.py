"""#10.8 #10.22: the sender holds no transaction while a provider answers. On SQLite a
worker's transaction holds the write lock, so a slow provider would make every writing
request wait (and, past the busy timeout, fail with "database is locked"); on
PostgreSQL it would sit "idle in transaction" for as long."""
from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core import outbox
from tests.config import TestConfig
from core.customers.models import User
from core.db import db_session
from emulators.http import serve_in_thread
from emulators.mailbox import Mailbox
from notify import tasks
from notify.models import SENT, Message
from tests.apps import separate_app
from tests.conftest import PASSWORD
from tests.notify.conftest import PRIVATE_KEY, PUBLIC_KEY
from tests.own_database import own_database, seed_customers  # noqa: F401  (a fixture)

PROVIDER_SECONDS = 4.0  # how long the emulated Atompark takes to answer


def _queue_reset_sms(session: Session, email: str) -> int:
    """A password-reset SMS: its link is minted from the database as it is sent."""
    user = session.scalars(select(User).where(User.email == email)).one()
    raised = outbox.emit(session, "user.password_reset_requested", {
        "user": user.ref, "user_id": user.id, "recipient": user.phone, "locale": "uk", "link": "-", "valid_hours": 24})
    session.commit()
    outbox.deliver(session, raised.id)
    return session.scalars(select(Message.id).where(Message.recipient == user.phone)).one()


def test_a_request_that_writes_goes_through_while_the_provider_is_slow(
        app: Any, own_database: str, provider_servers: tuple[str, Mailbox]) -> None:
    emails, product_id = seed_customers(own_database, 2, Decimal("1"))
    sms_url, _mailbox = provider_servers
    httpx.post(f"{sms_url}/_emulator/reset").raise_for_status()

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = own_database
        REDIS_URL = None
        RATELIMIT_STORAGE_URI = "memory://"
        ATOMPARK_BASE_URL, ATOMPARK_PUBLIC_KEY, ATOMPARK_PRIVATE_KEY = f"{sms_url}/sms/3.0", PUBLIC_KEY, PRIVATE_KEY
        NOTIFY_PROVIDER_TIMEOUT = PROVIDER_SECONDS * 3

    with separate_app(app, Config) as own_app:
        with own_app.test_request_context():
            message_id = _queue_reset_sms(db_session(), emails[0])
        base, stop = serve_in_thread(own_app)
        customer = httpx.Client(base_url=base, timeout=30)
        try:
            assert customer.post("/login", data={"login": emails[1], "password": PASSWORD}).status_code == 302
            httpx.post(f"{sms_url}/_emulator/fail",
                       data={"mode": "timeout", "seconds": PROVIDER_SECONDS}).raise_for_status()

            def send() -> None:
                with own_app.app_context():
                    tasks.send_now(db_session())

            sender = threading.Thread(target=send)
            sender.start()
            engine = own_app.extensions["db_engine"]

            def status() -> str:
                with Session(engine) as session:
                    return session.get_one(Message, message_id).status

            # Claimed, the link minted, the request at the provider (a poll of the status
            # would itself wait for the lock the old sender held).
            time.sleep(1.0)
            if engine.dialect.name == "postgresql":
                with engine.connect() as conn:
                    idle_in_transaction = conn.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND state LIKE 'idle in transaction%'"))
                assert idle_in_transaction == 0
            started = time.monotonic()
            added = customer.post("/cart/add", data={"product_id": product_id, "quantity": "2"},
                                  headers={"Accept": "application/json"})
            took = time.monotonic() - started
            still_at_the_provider = sender.is_alive()
            sender.join()
        finally:
            customer.close()
            stop()
        assert added.status_code == 200 and added.json()["quantity"] == "2"
        assert took < PROVIDER_SECONDS / 3, f"the request waited {took:.1f} s for the sender"
        assert still_at_the_provider, "the provider answered before the request was made: nothing was tested"
        assert status() == SENT  # the outcome is recorded after the call, under the claim


def test_sending_runs_on_its_own_queue_and_the_outbox_on_the_default_one(app) -> None:
    # A burst of messages (SMTP conversations, invoice PDFs) must not hold up a payment on
    # its way to 1C: production runs a worker per queue (README).
    from core.celery import celery_app
    from core.relay import deliver_event
    from notify.tasks import send_due_task

    schedule = celery_app.conf.beat_schedule
    assert send_due_task.queue == "notify"
    assert {key for key, entry in schedule.items() if entry.get("options", {}).get("queue") == "notify"} == {
        "job:notify.send", "job:notify.delivery_status", "job:notify.price_digest"}
    assert schedule["job:payments.dunning"]["options"] == {"queue": "celery"}
    assert getattr(deliver_event, "queue", None) is None  # Celery's default queue, "celery"
