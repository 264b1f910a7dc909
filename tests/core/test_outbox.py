from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import outbox, relay
from core.clock import utcnow
from core.outbox import OutboxDelivery, OutboxEvent
from tests.topics import calls, record_ping

@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


def test_an_event_is_stored_with_the_change_and_lost_with_its_rollback(db):
    event = outbox.emit(db, "test.ping", {"n": 1})
    db.flush()  # written with the caller's next flush, in the caller's transaction
    event_id = event.id
    db.rollback()
    assert db.get(OutboxEvent, event_id) is None


def test_what_is_kept_after_rollback_outlives_its_savepoint_but_not_its_transaction(db):
    """A handler's failure rolls its savepoint back; the record of that failure is written
    at the transaction's commit, not at a later savepoint's, which a failure around it could
    undo. A transaction rolled back whole writes nothing it kept."""
    def kept_event(topic: str) -> None:
        with pytest.raises(RuntimeError):
            with db.begin_nested():
                outbox.emit(db, "test.later", {})  # the handler's own work, lost
                outbox.keep_after_rollback(db, lambda session: outbox.emit(session, topic, {}))
                raise RuntimeError("the handler failed")

    def stored(topic: str) -> int:
        return db.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == topic))

    kept_event("test.ping")
    with pytest.raises(RuntimeError):  # another handler: its own savepoint commits, then it fails
        with db.begin_nested():
            with db.begin_nested():
                outbox.emit(db, "test.later", {})
            raise RuntimeError("the next handler failed")
    db.commit()
    assert (stored("test.ping"), stored("test.later")) == (1, 0)
    kept_event("test.flaky")
    db.rollback()
    db.commit()
    assert stored("test.flaky") == 0


def test_redelivery_runs_each_handler_once(db):
    event = outbox.emit(db, "test.ping", {})
    db.commit()
    assert outbox.deliver(db, event.id) == "done"
    event.status = "pending"  # as if the relay crashed after the handler's commit
    db.commit()
    assert outbox.deliver(db, event.id) == "done"
    assert calls == [("ping", event.id)]


def test_a_failing_handler_is_retried_with_backoff_and_others_are_not_rerun(db):
    event = outbox.emit(db, "test.flaky", {"fail_times": 2})
    db.commit()
    assert outbox.deliver(db, event.id) == "pending"
    assert event.attempts == 1 and "provider down" in event.last_error
    assert event.next_attempt_at > utcnow() + timedelta(seconds=5)
    assert outbox.due_event_ids(db) == []  # not due before its backoff
    event.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert outbox.sweep(db) == 1
    event.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.commit()
    outbox.sweep(db)
    db.refresh(event)
    assert event.status == "done" and event.last_error == ""
    assert [name for name, _ in calls].count("steady") == 1
    assert [name for name, _ in calls].count("flaky") == 3


def test_after_max_attempts_the_event_is_failed_and_staff_can_retry(db):
    event = outbox.emit(db, "test.flaky", {"fail_times": 99})
    db.commit()
    for _ in range(3):
        event.next_attempt_at = utcnow()
        db.commit()
        outbox.deliver(db, event.id, max_attempts=3)
    assert event.status == "failed"
    assert outbox.backlog(db)["failed"] >= 1
    outbox.retry_failed(db, event.id)
    db.commit()
    assert event.status == "pending" and event.attempts == 0


def test_a_crash_mid_delivery_loses_nothing(db):
    """A worker killed inside a handler: its transaction never commits, the sweep delivers later."""
    event = outbox.emit(db, "test.ping", {})
    db.commit()
    db.begin_nested()
    record_ping(db, event)
    db.add(OutboxDelivery(event_id=event.id, handler="core.whatever"))
    db.rollback()  # the process died here
    assert event.id in outbox.due_event_ids(db)
    outbox.sweep(db)
    db.refresh(event)
    assert event.status == "done"


def test_events_without_handlers_complete(db):
    event = outbox.emit(db, "nobody.listens", {})
    db.commit()
    assert outbox.deliver(db, event.id) == "done"
    assert db.scalar(select(func.count()).select_from(OutboxDelivery).where(OutboxDelivery.event_id == event.id)) == 0


def test_events_nobody_listens_to_are_settled_in_one_go_after_the_commit(app, db):
    heard = outbox.emit(db, "test.ping", {})
    unheard = outbox.emit_many(db, "nobody.listens", [{"n": n} for n in range(3)])
    db.commit()
    relay.dispatch_committed(app)
    db.expire_all()
    assert [e.status for e in (heard, *unheard)] == ["done"] * 4
    assert [e.attempts for e in unheard] == [1, 1, 1]
    assert calls == [("ping", heard.id)]


def test_a_worker_delivers_what_its_task_raised_instead_of_queueing_it(app, db, monkeypatch):
    # A payment's steps (notice → payment.received → the push to 1C) done by one task:
    # queued one by one, each step would wait behind every other event under load.
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", "celery")
    monkeypatch.setattr(relay.celery_app, "flask_app", app)
    event = outbox.emit(db, "test.chain", {})
    db.commit()
    relay.deliver_event.run(event.id)
    [raised] = db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "test.ping")).all()
    assert raised.payload == {"raised_by": event.id}
    assert raised.status == "done"
    assert calls == [("chain", event.id), ("ping", raised.id)]


def test_events_written_as_rows_are_delivered_and_later_rows_do_not_collide(app, db):
    db.add(OutboxEvent(topic="before", payload={}))
    db.flush()
    outbox.emit_rows(db, "test.ping", [{"n": n} for n in range(5)])
    later = outbox.emit(db, "test.later", {})
    db.commit()
    relay.dispatch_committed(app)
    rows = db.execute(select(OutboxEvent.id, OutboxEvent.status, OutboxEvent.payload)
                      .where(OutboxEvent.topic == "test.ping").order_by(OutboxEvent.id)).all()
    assert [payload for _, _, payload in rows] == [{"n": n} for n in range(5)]
    assert {status for _, status, _ in rows} == {"done"}
    assert sorted(event_id for name, event_id in calls if name == "ping") == [event_id for event_id, _, _ in rows]
    assert later.id not in {event_id for event_id, _, _ in rows}


def test_a_features_backlog_is_what_its_handlers_still_owe(db):
    """`owed_to(prefix)`: an event waits for a handler of that name only until it delivered."""
    event = outbox.emit(db, "test.flaky", {"fail_times": 1})  # tests.flaky fails once, tests.steady runs
    other = outbox.emit(db, "test.ping", {})
    db.commit()
    assert outbox.deliver(db, event.id) == "pending"
    owed = lambda prefix: db.scalars(select(OutboxEvent.id).where(outbox.owed_to(db, prefix))).all()  # noqa: E731
    assert owed("tests.fl") == [event.id]
    assert owed("tests.st") == []  # delivered already: nothing owed, though the event still waits
    assert owed("nobody.") == []
    assert other.id in owed("tests.record")
    assert outbox.backlog(db, outbox.owed_to(db, "tests.fl"))["pending"] == 1
    assert outbox.backlog(db, outbox.owed_to(db, "tests.st"))["pending"] == 0
    assert outbox.deliver(db, event.id) == "done"
    assert owed("tests.fl") == []
