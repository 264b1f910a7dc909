"""#11.4/#11.5: declared topics and handler names, outward handlers kept out of requests,
retries decided from ProviderError, a disabled feature's handlers and jobs idle."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from core import outbox, relay
from core.app import create_app
from core.celery import celery_app, init_celery
from core.clock import utcnow
from core.config import ConfigError
from core.db import db_session
from core.jobs import enabled_jobs, init_jobs
from core.outbox import OutboxDelivery, OutboxEvent, Routing, Subscription, Topic, UndeclaredTopic
from core.topics import TOPICS as KERNEL_TOPICS
from tests.apps import separate_app
from tests.config import TestConfig
from tests.emulators.test_liqpay_emulator import eventually
from tests.own_database import own_database  # noqa: F401  (a fixture)
from tests.topics import calls

UNHANDLED = [Topic("test.unhandled", "declared, and nobody handles it")]


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    calls.clear()


def _events(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(OutboxEvent))


def elsewhere(fn: Any) -> Any:
    """A handler of a package no app of the suite counts as its own."""
    fn.__module__ = "elsewhere.handlers"
    return fn


@contextmanager
def refused_start(suite_app: Flask) -> Iterator[Any]:
    """create_app binds the shared session and Celery before it refuses; put them back."""
    bound_before = db_session.session_factory.kw.get("bind")
    try:
        with pytest.raises(ConfigError) as refusal:
            yield refusal
    finally:
        db_session.remove()
        db_session.configure(bind=bound_before)
        init_celery(suite_app)
        init_jobs(suite_app)


def test_an_undeclared_topic_is_refused_at_once_and_nothing_is_written(db: Any) -> None:
    before = _events(db)
    for emit in (
        lambda: outbox.emit(db, "order.confimred", {"order_id": 1}),
        lambda: outbox.emit_many(db, "order.confimred", [{"order_id": 1}]),
        lambda: outbox.emit_one(db, "order.confimred", {"order_id": 1}),
        lambda: outbox.emit_rows(db, "order.confimred", [{"order_id": 1}]),
    ):
        with pytest.raises(UndeclaredTopic, match="'order.confimred' is declared by neither"):
            emit()
    db.flush()
    assert _events(db) == before
    assert not db.info.get("outbox_new")


def test_every_topic_the_kernel_and_features_publish_is_declared(app: Flask) -> None:
    declared = app.extensions["outbox"].topics
    assert {"order.submitted", "order.confirmed", "order.released", "user.invited", "liqpay.notice",
            "payment.refund_requested", "invoice.issued", "payment.received", "messages.queued"} <= set(declared)
    assert all(topic.announcement for topic in KERNEL_TOPICS)  # the kernel knows no listener


def test_a_declared_topic_nobody_handles_stops_the_start(app: Flask) -> None:
    config = type("Unhandled", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "FILES_DIR": app.config["FILES_DIR"],
        "OUTBOX_EXTRA_TOPICS": ("tests.topics:TOPICS", "tests.core.test_topics:UNHANDLED"),
    })
    with refused_start(app) as refusal:
        create_app(config)
    assert "nothing handles the outbox topic 'test.unhandled'" in str(refusal.value)


def test_a_handler_of_a_topic_nobody_declares_stops_the_start_unless_awaited() -> None:
    @outbox.handler("test.nobody_declares", name="elsewhere.lost")
    @elsewhere
    def lost(session: Any, event: Any) -> None:
        pass

    ours = lambda module: module.startswith("elsewhere.")  # noqa: E731
    with pytest.raises(ConfigError, match="'elsewhere.lost' listens to 'test.nobody_declares', which neither"):
        outbox.route(KERNEL_TOPICS, ours)
    waiting = outbox.route(KERNEL_TOPICS, ours, awaited=["test.nobody_declares"])
    assert waiting.handlers_for("test.nobody_declares") == []  # inactive until a feature declares it
    declared = outbox.route([*KERNEL_TOPICS, Topic("test.nobody_declares", "now declared")], ours)
    assert [s.name for s in declared.handlers_for("test.nobody_declares")] == ["elsewhere.lost"]


def test_notify_awaits_the_topics_of_packages_not_built_yet(app: Flask) -> None:
    routing = app.extensions["outbox"]
    assert "quote.sent" not in routing.topics and routing.handlers_for("quote.sent") == []
    assert [s.name for s in routing.handlers_for("order.confirmed")] == ["notify.plan_messages"]


def test_a_moved_handler_keeps_its_deliveries(app: Flask, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The delivery key is the declared name: the function under a new module path (or a
    new function name) does not run again for an event it already took."""
    ran: list[str] = []

    def before_the_move(session: Any, event: Any) -> None:
        ran.append("before")

    def after_the_move(session: Any, event: Any) -> None:
        ran.append("after")

    topics = {"test.moved": Topic("test.moved", "a handler that moves")}

    def routing(fn: Any) -> Routing:
        return Routing(topics, {"test.moved": [Subscription("test.moved", "tests.moved", fn, outward=False)]})

    monkeypatch.setitem(app.extensions, "outbox", routing(before_the_move))
    event = outbox.emit(db, "test.moved", {})
    db.commit()
    assert outbox.deliver(db, event.id) == "done"
    event.status = "pending"  # the sweep takes it again (a worker died before marking it done)
    db.commit()
    monkeypatch.setitem(app.extensions, "outbox", routing(after_the_move))
    assert outbox.deliver(db, event.id) == "done"
    assert ran == ["before"]
    assert db.scalars(select(OutboxDelivery.handler).where(OutboxDelivery.event_id == event.id)).all() == ["tests.moved"]


def test_an_outward_handler_waits_for_the_relay_outside_the_request(app: Flask, db: Any) -> None:
    with app.test_request_context(method="POST"):
        session = db_session()
        raised = outbox.emit(session, "test.outward", {})
        session.commit()
        event_id = raised.id
        relay.dispatch_committed(app)  # what the request's teardown does
    event = db.get(OutboxEvent, event_id)
    assert event.status == "pending" and event.attempts == 0
    assert calls == [("local", event_id)]
    outbox.sweep(db)  # the relay thread's round, or the sweep task's
    db.refresh(event)
    assert event.status == "done"
    assert calls == [("local", event_id), ("outward", event_id)]


def test_the_relay_thread_delivers_what_a_request_left(app: Flask, own_database: str) -> None:  # noqa: F811
    config = type("Threaded", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": own_database, "FILES_DIR": app.config["FILES_DIR"],
        # Long: only the request's wake-up can make it deliver within the test.
        "OUTBOX_RELAY_THREAD": True, "OUTBOX_RELAY_SECONDS": 60.0,
    })
    with separate_app(app, config) as threaded:
        def emit_outward() -> str:
            event = outbox.emit(db_session(), "test.outward", {})
            db_session.commit()
            return str(event.id)

        threaded.add_url_rule("/emit-outward", view_func=emit_outward, methods=["POST"])
        try:
            event_id = int(threaded.test_client().post("/emit-outward").get_data(as_text=True))
            eventually(lambda: ("outward", event_id) in calls)
        finally:
            relay.stop_relay_thread(threaded)
        assert ("outward in a request", event_id) not in calls and ("local", event_id) in calls
        with threaded.app_context():
            eventually(lambda: db_session.get(OutboxEvent, event_id, populate_existing=True).status == "done")


def test_a_permanent_provider_error_fails_the_event_at_once(db: Any) -> None:
    event = outbox.emit(db, "test.provider", {"code": "err_access", "retryable": False})
    db.commit()
    assert outbox.deliver(db, event.id, max_attempts=10) == "failed"
    assert event.attempts == 1 and "liqpay err_access" in event.last_error
    assert event.id not in outbox.due_event_ids(db)
    outbox.retry_failed(db, event.id)  # staff's button on the failed-events page
    db.commit()
    assert event.status == "pending" and event.id in outbox.due_event_ids(db)


def test_a_retryable_provider_error_backs_off(db: Any) -> None:
    event = outbox.emit(db, "test.provider", {"code": "http_503", "retryable": True})
    db.commit()
    assert outbox.deliver(db, event.id, max_attempts=10) == "pending"
    assert event.attempts == 1 and "liqpay http_503" in event.last_error
    assert event.next_attempt_at > utcnow() + timedelta(seconds=5)


def test_a_provider_asking_to_wait_longer_than_the_backoff_is_not_asked_again_sooner(db: Any) -> None:
    event = outbox.emit(db, "test.provider", {"code": "too_many_requests", "retryable": True, "retry_after": 120})
    db.commit()
    before = utcnow()
    assert outbox.deliver(db, event.id, max_attempts=10) == "pending"
    assert event.next_attempt_at >= before + timedelta(seconds=120)  # the first backoff alone is 10 s
    assert event.next_attempt_at < utcnow() + timedelta(seconds=121)


def test_a_short_retry_after_does_not_shorten_the_backoff(db: Any) -> None:
    event = outbox.emit(db, "test.provider", {"code": "too_many_requests", "retryable": True, "retry_after": 1})
    db.commit()
    assert outbox.deliver(db, event.id, max_attempts=10) == "pending"
    assert event.next_attempt_at > utcnow() + timedelta(seconds=5)


def test_a_disabled_features_handlers_hooks_and_jobs_stay_idle(app: Flask, db: Any) -> None:
    assert {"notify.send", "payments.dunning"} <= {job.name for job in enabled_jobs(app)}
    config = type("PaymentsOnly", (TestConfig,), {"FEATURES": "payments"})
    with separate_app(app, config, own_sessions=False) as lean:
        routing = lean.extensions["outbox"]
        assert routing.handlers_for("order.confirmed") == []  # notify's planner is imported, not enabled
        assert "prices.changed" not in routing.topics
        assert {job.name for job in enabled_jobs(lean)} == {"payments.dunning", "liqpay.reconcile"}
        assert not any(key.startswith("job:notify.") for key in celery_app.conf.beat_schedule)
        assert "outbox-sweep" in celery_app.conf.beat_schedule
    assert any(key.startswith("job:notify.") for key in celery_app.conf.beat_schedule)  # the suite's again
    config = type("KernelOnly", (TestConfig,), {"FEATURES": ""})
    with separate_app(app, config, own_sessions=False) as kernel:
        assert kernel.extensions["order_hooks"] == []  # no invoice at confirm, no credit check at submit
        assert not any(key.startswith("job:") for key in celery_app.conf.beat_schedule)
