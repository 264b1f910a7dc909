"""Events to messages to providers, over real HTTP (Atompark emulator) and SMTP (mailbox)."""
from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, update

from core import outbox
from core.outbox import OutboxDelivery, OutboxEvent
from emulators.mailbox import start_mailbox
from notify import delivery, tasks
from notify.events import SPECS
from notify.models import CompanyNotifySettings, Message, MessageTemplate, NotifyRule
from notify.planning import first_attempt_at, plan_messages
from notify.quiet_hours import next_allowed
from notify.topics import AWAITS
from payments.invoices import invoices_of_order
from tests.emulators.test_liqpay_emulator import eventually

KYIV_NIGHT = datetime(2026, 11, 25, 21, 30, tzinfo=timezone.utc)  # 23:30 in Kyiv


def event(db: Any, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    raised = outbox.emit(db, topic, payload)
    db.flush()
    return raised


def planned(db: Any, raised: OutboxEvent) -> list[Message]:
    plan_messages(db, raised)
    db.flush()
    return list(db.scalars(select(Message).where(Message.event_id == raised.id).order_by(Message.id)))


@pytest.fixture
def cafe(make_company: Any, make_user: Any) -> Any:
    """A company whose card has contacts (they speak the owner's language, Ukrainian), an
    English-speaking accountant and a buyer."""
    company = make_company(phone="+380441234567", email="office@cafe-notify.ua")
    make_user(company, role="owner", email="owner@cafe-notify.ua", phone="+380671112255")
    accountant = make_user(company, role="accountant", locale="en", email="acc@cafe-notify.ua", phone="+380671112233")
    buyer = make_user(company, role="buyer", email="buyer@cafe-notify.ua", phone="+380671112244")
    return company, accountant, buyer


def test_invoice_issued_reaches_sms_and_email_with_the_pdf(app, db, ctx, providers, cafe, confirmed_order):
    company, owner, buyer = cafe
    order = confirmed_order(buyer)
    invoice = invoices_of_order(db, order.id)[0]
    raised = db.scalar(select(OutboxEvent).where(OutboxEvent.topic == "invoice.issued").order_by(OutboxEvent.id.desc()))
    messages = [m for m in planned(db, raised) if m.template == "invoice_issued"]

    # Invoices go to the card's contacts, the owner and the accountant (in English), not the buyer.
    by_address = {m.recipient: m for m in messages}
    assert set(by_address) == {"office@cafe-notify.ua", "+380441234567", "owner@cafe-notify.ua", "+380671112255",
                               "acc@cafe-notify.ua", "+380671112233"}
    assert by_address["+380671112233"].language == "en" and "Invoice" in by_address["+380671112233"].body
    # What is stored (and shown to staff) has the pay link masked; the customer gets the real one.
    assert "Рахунок" in by_address["+380441234567"].body and invoice.pay_token not in by_address["+380441234567"].body

    assert tasks.send_now(db) == 6
    sms = providers.sms()
    assert sorted(s["phone"] for s in sms) == ["380441234567", "380671112233", "380671112255"]
    assert all(f"/pay/{invoice.pay_token}" in s["text"] for s in sms)
    mails = providers.mailbox.wait_for(3)
    ukrainian = next(m for m in mails if "office@cafe-notify.ua" in m.to)
    assert invoice.number in ukrainian.subject and ukrainian.html and invoice.pay_token in ukrainian.text
    assert [a.content_type for a in ukrainian.attachments] == ["application/pdf"]
    assert ukrainian.attachments[0].data.startswith(b"%PDF")
    db.expire_all()
    assert {m.status for m in db.scalars(select(Message).where(Message.event_id == raised.id))} == {"sent"}


def test_a_redelivered_event_sends_nothing_twice(app, db, ctx, providers, cafe):
    company, owner, _ = cafe
    raised = event(db, "payment.received", {"payment_id": 1, "invoice_id": 1, "number": "2026-00001",
                                            "company_id": company.id, "amount": "100.00", "source": "bank",
                                            "invoice_paid": True})
    assert outbox.deliver(db, raised.id) == "done"
    first = db.scalar(select(func.count()).select_from(Message).where(Message.event_id == raised.id))
    tasks.send_now(db)
    # A worker that died before recording its delivery: the event comes again.
    db.execute(OutboxDelivery.__table__.delete().where(OutboxDelivery.event_id == raised.id))
    db.execute(update(OutboxEvent).where(OutboxEvent.id == raised.id).values(status="pending"))
    assert outbox.deliver(db, raised.id) == "done"
    tasks.send_now(db)
    assert db.scalar(select(func.count()).select_from(Message).where(Message.event_id == raised.id)) == first == 6
    assert len(providers.sms()) == 3 and len(providers.mailbox.messages) == 3


def test_every_event_is_wired_and_renders_in_both_languages(app, db, ctx, cafe, make_staff):
    company, owner, buyer = cafe
    head_of_sales = make_staff("head_of_sales")
    manager = make_staff("manager")
    company.manager_id = manager.id
    db.flush()
    declared = app.extensions["outbox"].topics
    for spec in SPECS:
        payload = {**spec.sample}
        if "company_id" in payload:
            payload["company_id"] = company.id
        if "user_id" in payload:
            payload["user_id"] = owner.id
        if "user" in payload:
            payload["user"] = owner.ref
        if spec.topic not in declared:
            # Its publisher is not built or not enabled yet: the event as it will write it.
            assert spec.topic in AWAITS
            raised = OutboxEvent(topic=spec.topic, payload=payload)
            db.add(raised)
            db.flush()
        else:
            raised = event(db, spec.topic, payload)
        messages = planned(db, raised)
        mine = [m for m in messages if m.template == spec.key]
        assert mine, spec.key
        assert {m.status for m in mine} == {"queued"}, [(m.template, m.error_code, m.last_error) for m in mine]
        assert {m.channel for m in mine} == set(spec.channels), spec.key
        if spec.audience == "staff":
            assert {m.recipient for m in mine} >= {head_of_sales.email} and {m.language for m in mine} == {"uk"}
            continue
        if spec.audience == "manager":
            assert {m.recipient for m in mine} == {manager.email} and {m.language for m in mine} == {"uk"}
            continue
        assert {m.language for m in mine if m.recipient in (owner.email, owner.phone)} <= {"en"}, spec.key
        assert {m.language for m in mine if m.recipient in (company.email, company.phone)} <= {"uk"}, spec.key
        assert all(m.subject for m in mine if m.channel == "email"), spec.key


def test_reminder_steps_use_their_own_wording(db, ctx, cafe):
    company, *_ = cafe
    base = {"invoice_id": 1, "number": "2026-00077", "company_id": company.id, "outstanding": "500.00",
            "due_on": "2026-11-20", "pay_token": "t"}
    templates = []
    for days in (-3, 0, 7):
        messages = planned(db, event(db, "invoice.reminder", {**base, "step": days, "days_past_due": days}))
        templates.append({m.template for m in messages})
    assert templates == [{"invoice_due_soon"}, {"invoice_due_today"}, {"invoice_overdue"}]


def test_quiet_hours_delay_sms_until_morning_and_never_email(app, db, ctx, cafe):
    company, *_ = cafe
    spec = next(s for s in SPECS if s.key == "order_confirmed")
    reset = next(s for s in SPECS if s.key == "password_reset")
    app.config["SMS_QUIET_HOURS"] = "21:00-08:00"
    try:
        morning = first_attempt_at(spec, "sms", KYIV_NIGHT)
        assert morning.astimezone(timezone(timedelta(hours=2))).hour == 8 and morning > KYIV_NIGHT
        assert first_attempt_at(spec, "email", KYIV_NIGHT) == KYIV_NIGHT
        assert first_attempt_at(reset, "sms", KYIV_NIGHT) == KYIV_NIGHT  # asked for right now
        noon = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
        assert first_attempt_at(spec, "sms", noon) == noon
    finally:
        app.config["SMS_QUIET_HOURS"] = ""
    # After midnight the same morning; across the spring DST change still 08:00 local.
    assert next_allowed(datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc), "21:00-08:00").hour == 6
    assert next_allowed(datetime(2026, 3, 28, 22, 0, tzinfo=timezone.utc), "21:00-08:00").hour == 5


def test_a_held_sms_waits_and_is_not_dropped(app, db, ctx, providers, cafe):
    company, *_ = cafe
    messages = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "10.00"}))
    sms = [m for m in messages if m.channel == "sms"]
    for message in sms:
        message.next_attempt_at = datetime.now(timezone.utc) + timedelta(hours=8)
    db.flush()
    tasks.send_now(db)
    assert providers.sms() == [] and {m.status for m in sms} == {"queued"}
    db.execute(update(Message).where(Message.id.in_([m.id for m in sms])).values(next_attempt_at=datetime.now(timezone.utc)))
    tasks.send_now(db)
    assert len(providers.sms()) == len(sms) == 3  # the card, the owner and the buyer


def test_company_channels_and_marketing_opt_out(db, ctx, cafe):
    company, *_ = cafe
    db.add(CompanyNotifySettings(company_id=company.id, sms=False, email=True, marketing=False))
    db.flush()
    receipt = planned(db, event(db, "payment.received", {"payment_id": 1, "invoice_id": 1, "number": "1",
                                                         "company_id": company.id, "amount": "5.00", "source": "liqpay"}))
    assert {m.channel for m in receipt} == {"email"}  # transactional: still sent, on the chosen channel
    digest = planned(db, event(db, "prices.changed", {"company_id": company.id, "lines": [
        {"name": "Кава", "sku": "C1", "old": "10.00", "new": "11.00"}]}))
    assert digest == []  # marketing: refused


def test_a_rule_switched_off_sends_nothing_on_that_channel(db, ctx, cafe):
    company, *_ = cafe
    db.add(NotifyRule(event="order_confirmed", channel="sms", enabled=False))
    db.flush()
    messages = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    assert messages and {m.channel for m in messages} == {"email"}


def test_staff_wording_is_used_and_a_broken_template_fails_visibly(db, ctx, cafe):
    company, *_ = cafe
    db.add(MessageTemplate(event="order_confirmed", channel="sms", language="uk", body="Дякуємо! {{ order_number }}"))
    db.add(MessageTemplate(event="order_confirmed", channel="email", language="uk", subject="x", body="{{ nonsense }}"))
    db.flush()
    messages = planned(db, event(db, "order.confirmed", {"order_id": 7, "company_id": company.id, "total": "1.00"}))
    sms = next(m for m in messages if m.recipient == company.phone)
    assert sms.body == "Дякуємо! 7"
    email = next(m for m in messages if m.recipient == company.email)
    assert email.status == "failed" and email.error_code == "template_error"


def test_an_invalid_phone_fails_at_once_and_staff_can_fix_it(db, ctx, providers, make_company):
    company = make_company(phone="12345", email=None)
    messages = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    [message] = messages
    assert (message.status, message.error_code, message.attempts) == ("failed", "invalid_phone", 0)
    db.commit()
    tasks.send_now(db)
    assert providers.sms() == []  # not retried
    assert delivery.resend(db, message, "067 123 45 67") is None
    db.commit()
    tasks.send_now(db)
    db.refresh(message)
    assert message.status == "sent" and message.recipient == "+380671234567"
    assert [s["phone"] for s in providers.sms()] == ["380671234567"]


def test_provider_errors_are_retried_with_backoff_then_go_through(db, ctx, providers, make_company):
    company = make_company(phone="+380671230001", email=None)
    [message] = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    providers.fail_sms("server_error")
    tasks.send_now(db)
    db.refresh(message)
    assert (message.status, message.error_code, message.attempts) == ("queued", "provider_error", 1)
    assert message.next_attempt_at > datetime.now(timezone.utc) + timedelta(seconds=20)
    providers.fail_sms("timeout", seconds=3)
    message.next_attempt_at = datetime.now(timezone.utc)
    db.commit()
    tasks.send_now(db)
    db.refresh(message)
    assert (message.status, message.error_code, message.attempts) == ("queued", "timeout", 2)
    message.next_attempt_at = datetime.now(timezone.utc)
    db.commit()
    tasks.send_now(db)
    db.refresh(message)
    assert message.status == "sent" and message.provider_id and message.error_code == ""
    # The provider took the timed-out request after all: a retried timeout can arrive twice,
    # which is why only timeouts and 5xx are retried, never an answer we understood.
    eventually(lambda: len(providers.sms()) == 2, timeout=5)


def test_permanent_errors_are_not_retried(app, db, ctx, providers, make_company):
    company = make_company(phone="+380671230002", email=None)
    [message] = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    app.config["SMS_SENDER"], saved = "Оптовик", app.config["SMS_SENDER"]  # Cyrillic: not a valid sender name
    app.extensions.pop("notify_sms", None)
    try:
        tasks.send_now(db)
    finally:
        app.config["SMS_SENDER"] = saved
        app.extensions.pop("notify_sms", None)
    db.refresh(message)
    assert (message.status, message.error_code, message.attempts) == ("failed", "bad_sender", 1)


def test_a_wrong_control_sum_is_refused_by_the_emulator(app, db, ctx, providers, make_company):
    company = make_company(phone="+380671230003", email=None)
    [message] = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    app.config["ATOMPARK_PRIVATE_KEY"] = "not-the-key"
    app.extensions.pop("notify_sms", None)
    tasks.send_now(db)
    db.refresh(message)
    assert (message.status, message.error_code) == ("failed", "bad_sum")
    assert providers.sms() == []


def test_a_dead_workers_batch_is_recovered_without_a_second_copy(app, db, ctx, providers, make_company):
    company = make_company(phone="+380671230004", email="dead-worker@cafe.ua")
    messages = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    limits = tasks.limits(app)
    rows = delivery.claim(db, limits)
    assert [r.id for r in rows] == [m.id for m in messages]
    # The worker died with the batch: nothing recorded, the lease runs out.
    later = datetime.now(timezone.utc) + timedelta(seconds=limits.lease_seconds + 1)
    assert delivery.recover_abandoned(db, now=later) == {"in_doubt": 1, "requeued": 1}
    for m in messages:
        db.refresh(m)
    # The e-mail in doubt goes again (under its own Message-ID, see test_crash_recovery);
    # the SMS after it was never tried.
    assert [(m.channel, m.status, m.error_code) for m in messages] == [("email", "queued", ""), ("sms", "queued", "")]
    assert messages[1].attempts == 0


def test_delivery_reports_come_back_from_the_provider(db, ctx, providers, make_company):
    ok = make_company(phone="+380671239999", email=None)
    lost = make_company(phone="+380671230000", email=None)  # the emulator never delivers to ...0000
    for company in (ok, lost):
        planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    tasks.send_now(db)
    db.execute(update(Message).values(sent_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    db.commit()

    def settled() -> bool:
        tasks.delivery_status_job(db)
        return db.scalar(select(func.count()).select_from(Message).where(Message.status == "sent")) == 0

    eventually(settled, timeout=5)
    statuses = dict(db.execute(select(Message.recipient, Message.status)).all())
    assert statuses == {"+380671239999": "delivered", "+380671230000": "failed"}


def test_a_message_that_failed_on_its_template_goes_out_once_the_template_is_fixed(db, ctx, providers, make_company):
    company = make_company(phone=None, email="fixed-template@cafe.ua")
    broken = MessageTemplate(event="order_confirmed", channel="email", language="uk", subject="x", body="{{ oops }}")
    db.add(broken)
    db.flush()
    [message] = planned(db, event(db, "order.confirmed", {"order_id": None, "number": "000777",
                                                          "company_id": company.id, "total": "1.00"}))
    assert (message.status, message.error_code, message.body) == ("failed", "template_error", "")
    assert delivery.resend(db, message) == "template_error" and message.status == "failed"
    broken.body = "Замовлення {{ order_number }} підтверджено."
    assert delivery.resend(db, message) is None
    db.commit()
    tasks.send_now(db)
    [mail] = providers.mailbox.wait_for(1)
    assert mail.text.strip() == "Замовлення 000777 підтверджено."


def test_our_own_failure_while_sending_is_retried_and_shown(app, db, ctx, providers, make_company):
    company = make_company(phone=None, email="config@cafe.ua")
    [message] = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    app.config.update(SMTP_USERNAME="relay-user", SMTP_PASSWORD="")  # a login without a password
    try:
        tasks.send_now(db)
    finally:
        app.config.update(SMTP_USERNAME="", SMTP_PASSWORD="")
    db.refresh(message)
    assert (message.status, message.error_code, message.attempts) == ("queued", "internal_error", 1)
    assert "password" in message.last_error


def test_a_batch_slowed_by_its_provider_gives_the_rest_back_before_its_lease_ends(app, db, ctx, providers, make_company):
    companies = [make_company(phone=f"+38067123{n:04d}", email=None) for n in (11, 12, 13)]
    for company in companies:
        planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    limits = delivery.Limits(lease_seconds=8, send_seconds=2, batch=50, quiet_hours="")  # sends start within 1 s
    providers.fail_sms("timeout", seconds=1.2)  # the first SMS takes 1.2 s, then goes through
    rows = delivery.claim(db, limits)
    assert len(rows) == 3
    assert delivery.send_claimed(db, rows, tasks.channels.prepare, limits) == 1
    statuses = dict(db.execute(select(Message.id, Message.status).where(Message.id.in_([r.id for r in rows]))).all())
    assert sorted(statuses.values()) == ["queued", "queued", "sent"]
    assert db.scalar(select(func.max(Message.attempts)).where(Message.status == "queued")) == 0
    # The rest go in the next batch, each once.
    assert delivery.send_due(db, tasks.channels.prepare, limits, budget_seconds=5) == 2
    # (An earlier test's timed-out SMS may still land in the emulator: only this test's phones count.)
    mine = sorted(s["phone"] for s in providers.sms() if s["phone"].startswith("38067123001"))
    assert mine == ["380671230011", "380671230012", "380671230013"]


def test_a_lease_shorter_than_a_provider_timeout_is_refused():
    with pytest.raises(ValueError):
        delivery.Limits(lease_seconds=10, send_seconds=10)


def test_an_email_relay_refusing_our_login_fails_at_once_and_one_that_is_down_is_retried(app, db, ctx, providers, make_company):
    """The sender decides from ProviderError.retryable alone: a refused login is ours to
    fix (failed, not retried), a relay that refuses connections may be back soon."""
    company = make_company(phone=None, email="relay@cafe.ua")
    [message] = planned(db, event(db, "order.confirmed", {"order_id": None, "company_id": company.id, "total": "1.00"}))
    db.commit()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD")}
    guarded = start_mailbox(auth=("portal", "right-password"))
    try:
        with socket.socket() as closed:  # bound, not listening: surely closed, surely ours
            closed.bind(("127.0.0.1", 0))
            app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=closed.getsockname()[1])
            tasks.send_now(db)
        db.refresh(message)
        assert (message.status, message.error_code, message.attempts) == ("queued", "unreachable", 1)
        app.config.update(SMTP_HOST=guarded.host, SMTP_PORT=guarded.port, SMTP_USERNAME="portal", SMTP_PASSWORD="guess")
        message.next_attempt_at = datetime.now(timezone.utc)
        db.commit()
        tasks.send_now(db)
        db.refresh(message)
        assert (message.status, message.error_code, message.attempts) == ("failed", "auth_failed", 2)
        assert message.last_error.startswith("535") and guarded.messages == []
    finally:
        app.config.update(saved)
        guarded.stop()
