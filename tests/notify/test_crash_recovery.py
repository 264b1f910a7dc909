"""A worker that dies while a message is on the wire: the provider is asked what it got
(Atompark, by sender, phone and text), an e-mail goes again under its own Message-ID,
what nobody can tell is left to staff, and a worker that lost its claim records nothing."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update

from notify import channels, delivery, tasks
from notify.models import Message
from tests.notify.test_flows import event, planned

def one_per_batch(app: Any) -> delivery.Limits:
    return replace(tasks.limits(app), batch=1)


def after_the_lease(limits: delivery.Limits, now: datetime | None = None) -> datetime:
    return (now or datetime.now(timezone.utc)) + timedelta(seconds=limits.lease_seconds + 1)


def due_now(db: Any) -> None:
    """The clock of the test has moved past the lease; bring what was queued then back to now."""
    db.execute(update(Message).where(Message.status == "queued").values(next_attempt_at=datetime.now(timezone.utc)))
    db.commit()


def order_sms(db: Any, make_company: Any, phone: str) -> Message:
    company = make_company(phone=phone, email=None)
    [message] = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    return message


def test_of_three_sms_in_doubt_the_two_atompark_got_are_sent_and_the_lost_one_goes_again(
        app, db, ctx, providers, make_company, make_user):
    company = make_company(phone="+380671230201", email=None)
    user = make_user(company, role="owner", email=None, phone="+380671230202")
    reset = planned(db, event(db, "user.password_reset_requested", {
        # user_id as well: planning then reads the user with the test's own session.
        "user": user.ref, "user_id": user.id, "recipient": user.phone, "locale": "uk",
        "valid_hours": 24}))
    messages = [*reset, order_sms(db, make_company, "+380671230203"), order_sms(db, make_company, "+380671230204")]
    assert [m.channel for m in messages] == ["sms"] * 3
    db.commit()
    limits = one_per_batch(app)
    for number, message in enumerate(messages):
        [row] = delivery.claim(db, limits)  # three workers, one message each
        assert row.id == message.id
        if number < 2:
            # Its request reached Atompark (with the reset link minted for sending), then the worker died.
            channels.prepare(db, row)()
    later = after_the_lease(limits)
    assert delivery.recover_abandoned(db, now=later) == {"in_doubt": 3, "requeued": 0}
    db.expire_all()
    assert [(m.status, m.error_code) for m in messages] == [("unknown", "outcome_unknown")] * 3

    assert delivery.resolve_unknown(db, channels.find_sent_sms, now=later) == {"sent": 2, "requeued": 1,
                                                                               "unresolved": 0}
    received = {f"+{sms['phone']}": str(sms["campaign_id"]) for sms in providers.sms()}
    db.expire_all()
    assert [(m.status, m.provider_id) for m in messages[:2]] == [("sent", received[m.recipient]) for m in messages[:2]]
    assert (messages[2].status, messages[2].error_code) == ("queued", "")
    due_now(db)
    assert tasks.send_now(db) == 1
    db.expire_all()
    assert {m.status for m in messages} == {"sent"}
    # Exactly one SMS per phone reached the provider.
    assert sorted(sms["phone"] for sms in providers.sms()) == sorted(m.recipient.removeprefix("+") for m in messages)


def test_an_sms_atompark_cannot_place_is_left_to_staff(app, db, ctx, providers, make_company):
    twice = order_sms(db, make_company, "+380671230211")
    db.commit()
    limits = one_per_batch(app)
    [row] = delivery.claim(db, limits)
    # The same text reached the same phone twice (an earlier attempt nobody recorded).
    client = channels.sms_client(app)
    client.send_sms(row.recipient, row.body)
    client.send_sms(row.recipient, row.body)
    later = after_the_lease(limits)
    delivery.recover_abandoned(db, now=later)
    assert delivery.resolve_unknown(db, channels.find_sent_sms, now=later)["unresolved"] == 1
    db.refresh(twice)
    assert (twice.status, twice.error_code) == ("unknown", "outcome_unresolved")
    assert "2 messages like it" in twice.last_error
    # Nobody asks again: it waits for staff.
    assert delivery.resolve_unknown(db, channels.find_sent_sms, now=later + timedelta(hours=1))["unresolved"] == 0


def test_while_atompark_does_not_answer_the_question_waits_then_goes_to_staff(app, db, ctx, providers, make_company):
    silent = order_sms(db, make_company, "+380671230221")
    db.commit()
    limits = one_per_batch(app)
    delivery.claim(db, limits)
    later = after_the_lease(limits)
    delivery.recover_abandoned(db, now=later)
    app.config["ATOMPARK_BASE_URL"] = "http://127.0.0.1:9/sms/3.0"  # nothing listens there
    app.extensions.pop("notify_sms", None)
    assert delivery.resolve_unknown(db, channels.find_sent_sms, now=later) == {"sent": 0, "requeued": 0,
                                                                               "unresolved": 0}
    db.refresh(silent)
    assert (silent.status, silent.error_code) == ("unknown", "outcome_unknown")
    assert silent.next_attempt_at > later and "asking the provider failed" in silent.last_error
    a_day_on = later + delivery.LOOKUP_FOR + timedelta(minutes=10)
    assert delivery.resolve_unknown(db, channels.find_sent_sms, now=a_day_on)["unresolved"] == 1
    db.refresh(silent)
    assert (silent.status, silent.error_code) == ("unknown", "outcome_unresolved")


def test_an_email_in_doubt_goes_again_under_its_message_id_and_arrives_once(app, db, ctx, providers, make_company):
    company = make_company(phone=None, email="once@cafe-doubt.ua")
    [message] = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    limits = one_per_batch(app)
    [row] = delivery.claim(db, limits)
    first_id = channels.prepare(db, row)()  # the relay took it; the worker died before recording
    providers.mailbox.wait_for(1)
    assert delivery.recover_abandoned(db, now=after_the_lease(limits)) == {"in_doubt": 1, "requeued": 0}
    db.refresh(message)
    assert message.status == "queued"
    due_now(db)
    assert tasks.send_now(db) == 1
    db.refresh(message)
    assert (message.status, message.provider_id) == ("sent", first_id)
    time.sleep(0.2)
    [kept] = providers.mailbox.messages
    assert kept.message_id == first_id and providers.mailbox.duplicates == 1


def test_a_worker_that_lost_its_claim_does_not_overwrite_the_next_ones_record(app, db, ctx, providers, make_company):
    message = order_sms(db, make_company, "+380671230231")
    db.commit()
    limits = one_per_batch(app)
    stale = delivery.claim(db, limits)  # worker A, which then stalls past its lease
    later = after_the_lease(limits)
    delivery.recover_abandoned(db, now=later)
    delivery.resolve_unknown(db, channels.find_sent_sms, now=later)  # Atompark has nothing: queued again
    fresh = delivery.claim(db, limits, now=later)  # worker B
    assert [r.id for r in fresh] == [r.id for r in stale] and fresh[0].claim != stale[0].claim

    # A wakes up (its clock says it may still send) and finishes its old batch.
    assert delivery.send_claimed(db, stale, channels.prepare, limits, claimed_at=time.monotonic()) == 0
    db.refresh(message)
    assert (message.status, message.claim, message.provider_id) == ("sending", fresh[0].claim, None)

    assert delivery.send_claimed(db, fresh, channels.prepare, limits) == 1
    db.refresh(message)
    last = providers.sms()[-1]
    assert (message.status, message.provider_id) == ("sent", str(last["campaign_id"]))


def test_a_late_success_settles_the_doubt_it_left(app, db, ctx, providers, make_company):
    message = order_sms(db, make_company, "+380671230241")
    db.commit()
    limits = one_per_batch(app)
    stale = delivery.claim(db, limits)
    delivery.recover_abandoned(db, now=after_the_lease(limits))
    db.refresh(message)
    assert message.status == "unknown"
    # The stalled worker's send went through after all: what it knows settles the question.
    assert delivery.send_claimed(db, stale, channels.prepare, limits, claimed_at=time.monotonic()) == 0
    db.refresh(message)
    assert (message.status, message.provider_id) == ("sent", str(providers.sms()[-1]["campaign_id"]))
    assert db.scalar(select(Message.claim).where(Message.id == message.id)) is None
