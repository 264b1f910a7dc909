"""The notification pages of the backoffice: templates and rules with their preview, the
message log and its failures (fix the address, send again), a company's channels."""
from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import func, select

from core import outbox
from notify import tasks
from notify.events import SPECS
from notify.models import CompanyNotifySettings, Message, MessageTemplate, NotifyRule
from notify.planning import plan_messages
from tests.notify.conftest import provider_servers, providers  # noqa: F401  (the emulator and the mailbox)

TEMPLATES = "/staff/notify/templates"


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def template_rows(db: Any) -> list[MessageTemplate]:
    return list(db.scalars(select(MessageTemplate)))


def plan(app: Any, db: Any, topic: str, payload: dict[str, Any]) -> list[Message]:
    """An event as its producer raises it, planned into messages as the outbox handler does."""
    with app.test_request_context():
        raised = outbox.emit(db, topic, payload)
        db.flush()
        plan_messages(db, raised)
        db.flush()
    return list(db.scalars(select(Message).where(Message.event_id == raised.id).order_by(Message.id)))


def message_row(db: Any, **fields: Any) -> Message:
    values = {"channel": "sms", "template": "order_confirmed", "language": "uk", "recipient": "+380670000001",
              "subject": "", "body": "Текст", "status": "queued", "attempts": 0, "error_code": "", "last_error": "",
              **fields}
    message = Message(**values)
    db.add(message)
    db.flush()
    return message


# --- templates and rules ---------------------------------------------------------------


def test_the_templates_page_lists_every_event_for_the_head_of_sales(app, client, db, as_staff):
    as_staff("head_of_sales")
    response = client.get(TEMPLATES)
    assert response.status_code == 200
    page = text_of(response)
    with app.test_request_context():
        titles = [str(spec.title) for spec in SPECS]
    for spec, title in zip(SPECS, titles):
        assert title in page, spec.key
        for channel in ("sms", "email"):
            for language in ("uk", "en"):
                # An event sends, and has wording, only on its own channels (staff's alarms: e-mail).
                assert (f"{TEMPLATES}/{spec.key}/{channel}/{language}" in page) == (channel in spec.channels)


def test_a_channel_an_event_does_not_send_on_has_no_template_or_rule(client, db, as_staff):
    as_staff("head_of_sales")
    assert client.get(f"{TEMPLATES}/exchange_stalled/sms/uk").status_code == 404
    assert client.get(f"{TEMPLATES}/exchange_stalled/email/uk").status_code == 200
    assert client.post("/staff/notify/rules/exchange_stalled/sms").status_code == 404


@pytest.mark.parametrize("role", ["manager", "accountant", "lawyer"])
def test_other_roles_may_not_touch_templates_or_rules(client, db, as_staff, role):
    as_staff(role)
    assert client.get(TEMPLATES).status_code == 403
    assert client.get(f"{TEMPLATES}/order_confirmed/sms/uk").status_code == 403
    assert client.post(f"{TEMPLATES}/order_confirmed/sms/uk", data={"body": "x"}).status_code == 403
    assert client.post(f"{TEMPLATES}/order_confirmed/sms/uk/preview", data={"body": "x"}).status_code == 403
    assert client.post(f"{TEMPLATES}/order_confirmed/sms/uk/reset").status_code == 403
    assert client.post("/staff/notify/rules/order_confirmed/sms").status_code == 403
    assert template_rows(db) == [] and db.scalar(select(func.count()).select_from(NotifyRule)) == 0


def test_the_admin_may_edit_templates(client, db, as_staff):
    as_staff("admin")
    assert client.get(TEMPLATES).status_code == 200


def test_the_editor_shows_the_shipped_text_until_it_is_changed(client, db, as_staff):
    as_staff("head_of_sales")
    response = client.get(f"{TEMPLATES}/order_confirmed/sms/uk")
    assert response.status_code == 200
    assert "Замовлення {{ order_number }} на {{ total }} підтверджено." in text_of(response)
    assert client.get(f"{TEMPLATES}/no_such_event/sms/uk").status_code == 404
    assert client.get(f"{TEMPLATES}/order_confirmed/fax/uk").status_code == 404
    assert client.get(f"{TEMPLATES}/order_confirmed/sms/de").status_code == 404


def test_a_template_with_an_unknown_variable_is_refused(client, db, as_staff):
    as_staff("head_of_sales")
    response = client.post(f"{TEMPLATES}/order_confirmed/sms/uk", data={"body": "Замовлення {{ nonsense }}"})
    assert response.status_code == 400
    page = text_of(response)
    assert "Шаблон не заповнюється" in page and "nonsense" in page
    assert template_rows(db) == []


def test_a_template_with_a_syntax_error_is_refused(client, db, as_staff):
    as_staff("head_of_sales")
    response = client.post(f"{TEMPLATES}/order_confirmed/sms/uk", data={"body": "Замовлення {{ order_number "})
    assert response.status_code == 400 and "Шаблон не заповнюється" in text_of(response)
    assert template_rows(db) == []


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__['os'] }}",
    "{{ company.__class__.__base__.__subclasses__() }}",
    "{{ '{0.__class__}'.format(company) }}",
])
def test_a_template_reaching_out_of_the_sandbox_is_refused(client, db, as_staff, body):
    as_staff("head_of_sales")
    response = client.post(f"{TEMPLATES}/order_confirmed/sms/uk", data={"body": body})
    assert response.status_code == 400
    page = text_of(response)
    assert "Шаблон не заповнюється" in page and "unsafe" in page
    assert "<class " not in page and "__builtins__" not in page and "<function" not in page
    assert template_rows(db) == []
    # The live preview refuses it too, and shows nothing of what it reached for.
    preview = client.post(f"{TEMPLATES}/order_confirmed/sms/uk/preview", data={"body": body}).get_json()
    assert preview["error"] and preview["body"] == "" and preview["characters"] is None


@pytest.mark.parametrize(("body", "words"), [
    ('{{ "x"|center(200000000) }}', "шаблон будує занадто довгий текст"),
    ('{% for a in range(1000) %}{% for b in range(1000) %}{{ "x" * 1000 }}{% endfor %}{% endfor %}',
     "повідомлення виходить занадто довгим"),
])
def test_a_template_that_would_cost_too_much_is_refused_in_words(client, db, as_staff, body, words):
    as_staff("head_of_sales")
    response = client.post(f"{TEMPLATES}/order_confirmed/email/uk", data={"subject": "Тема", "body": body})
    assert response.status_code == 400
    assert f"Шаблон не заповнюється: {words}" in text_of(response)
    assert template_rows(db) == []
    preview = client.post(f"{TEMPLATES}/order_confirmed/email/uk/preview", data={"body": body}).get_json()
    assert words in preview["error"] and preview["body"] == ""
    client.get("/lang/en")
    english = client.post(f"{TEMPLATES}/order_confirmed/email/uk", data={"subject": "Тема", "body": body})
    assert english.status_code == 400 and "The template does not fill in: " in text_of(english)
    assert "шаблон" not in text_of(english).split("The template does not fill in: ", 1)[1][:80]


def test_a_good_template_is_saved_and_used_by_the_next_message(app, client, db, as_staff, make_company):
    staff = as_staff("head_of_sales")
    company = make_company(phone="+380441230011", email="pages@cafe.ua")
    response = client.post(f"{TEMPLATES}/order_confirmed/sms/uk",
                           data={"body": "Дякуємо, {{ company }}! Замовлення {{ order_number }}: {{ total }}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{TEMPLATES}/order_confirmed/sms/uk"
    [own] = template_rows(db)
    assert (own.event, own.channel, own.language, own.updated_by) == ("order_confirmed", "sms", "uk", staff.full_name)
    assert "Шаблон збережено" in text_of(client.get(response.headers["Location"]))

    messages = plan(app, db, "order.confirmed", {"order_id": 77, "company_id": company.id, "total": "1250.00"})
    sms = next(m for m in messages if m.channel == "sms")
    assert sms.status == "queued"
    assert sms.body == f"Дякуємо, {company.name}! Замовлення 77: 1 250,00 грн"
    email = next(m for m in messages if m.channel == "email")
    assert email.subject == "Замовлення 77 підтверджено"  # the other channel keeps its shipped wording

    # Saving again changes the same row.
    assert client.post(f"{TEMPLATES}/order_confirmed/sms/uk", data={"body": "Ок {{ order_number }}"}).status_code == 302
    db.expire_all()
    assert [t.body for t in template_rows(db)] == ["Ок {{ order_number }}"]


def test_an_email_template_needs_a_subject(client, db, as_staff):
    as_staff("head_of_sales")
    response = client.post(f"{TEMPLATES}/order_confirmed/email/uk", data={"subject": "  ", "body": "Замовлення {{ order_number }}"})
    assert response.status_code == 400 and "У листа має бути тема." in text_of(response)
    assert template_rows(db) == []
    response = client.post(f"{TEMPLATES}/order_confirmed/email/uk",
                           data={"subject": "Тема {{ order_number }}", "body": "Замовлення {{ order_number }}"})
    assert response.status_code == 302
    [own] = template_rows(db)
    assert (own.subject, own.body) == ("Тема {{ order_number }}", "Замовлення {{ order_number }}")


def test_an_empty_template_is_refused(client, db, as_staff):
    as_staff("head_of_sales")
    response = client.post(f"{TEMPLATES}/order_confirmed/sms/uk", data={"body": "   "})
    assert response.status_code == 400 and "Текст повідомлення не може бути порожнім." in text_of(response)
    assert template_rows(db) == []


def test_reset_brings_the_shipped_text_back(client, db, as_staff):
    as_staff("head_of_sales")
    db.add(MessageTemplate(event="order_confirmed", channel="sms", language="en", body="Own {{ order_number }}"))
    db.add(MessageTemplate(event="order_confirmed", channel="sms", language="uk", body="Свій {{ order_number }}"))
    db.commit()
    assert "Own {{ order_number }}" in text_of(client.get(f"{TEMPLATES}/order_confirmed/sms/en"))
    response = client.post(f"{TEMPLATES}/order_confirmed/sms/en/reset")
    assert response.status_code == 302 and response.headers["Location"] == f"{TEMPLATES}/order_confirmed/sms/en"
    db.expire_all()
    assert [(t.language, t.body) for t in template_rows(db)] == [("uk", "Свій {{ order_number }}")]  # only that one
    page = text_of(client.get(f"{TEMPLATES}/order_confirmed/sms/en"))
    assert "Order {{ order_number }} for {{ total }} is confirmed." in page and "Own {{" not in page


def test_the_preview_counts_sms_characters_and_segments(client, db, as_staff):
    as_staff("head_of_sales")
    url = f"{TEMPLATES}/order_confirmed/sms/uk/preview"
    one = client.post(url, data={"body": "Ж" * 70}).get_json()
    assert (one["characters"], one["segments"], one["unicode"], one["error"]) == (70, 1, True, "")
    two = client.post(url, data={"body": "Ж" * 71}).get_json()
    assert (two["characters"], two["segments"], two["unicode"]) == (71, 2, True)
    assert two["body"] == "Ж" * 71 and two["html"] == ""
    latin = client.post(url, data={"body": "A" * 161}).get_json()
    assert (latin["characters"], latin["segments"], latin["unicode"]) == (161, 2, False)
    broken = client.post(url, data={"body": "{{ nonsense }}"}).get_json()
    assert "nonsense" in broken["error"] and broken["segments"] is None


def test_the_preview_of_an_email_is_html(client, db, as_staff):
    as_staff("head_of_sales")
    response = client.post(f"{TEMPLATES}/order_confirmed/email/uk/preview",
                           data={"subject": "Сума {{ total }}", "body": "Рядок <b>1</b>\nhttps://x.ua/a"})
    data = response.get_json()
    assert response.status_code == 200 and data["error"] == "" and data["segments"] is None
    assert data["subject"] == "Сума 12 480,00 грн" and data["source"] == "sample"
    assert "<html" in data["html"] and "&lt;b&gt;1&lt;/b&gt;" in data["html"]  # staff text is escaped
    assert '<a href="https://x.ua/a">' in data["html"]
    assert client.post(f"{TEMPLATES}/nope/email/uk/preview", data={"body": "x"}).status_code == 404


def test_the_preview_uses_the_latest_real_event_or_else_the_sample(app, client, db, as_staff, make_company):
    as_staff("head_of_sales")
    url = f"{TEMPLATES}/order_confirmed/sms/uk/preview"
    body = {"body": "{{ order_number }} / {{ total }} / {{ company }}"}
    sample = client.post(url, data=body).get_json()
    assert sample["source"] == "sample" and "12 480,00 грн" in sample["body"]

    company = make_company(name="ТОВ «Превʼю»")
    older = outbox.emit(db, "order.confirmed", {"order_id": 5, "company_id": company.id, "total": "10.00"})
    newer = outbox.emit(db, "order.confirmed", {"order_id": 6, "company_id": company.id, "total": "777.00"})
    outbox.emit(db, "invoice.issued", {"invoice_id": 1, "number": "X", "company_id": company.id, "order_id": 6,
                                       "amount": "1.00", "due_on": "2026-12-01"})  # another topic: not used
    db.commit()
    real = client.post(url, data=body).get_json()
    assert older.id < newer.id and real["source"] == f"event:{newer.id}"
    assert real["body"] == "6 / 777,00 грн / ТОВ «Превʼю»"
    # The editor page shows where its preview comes from.
    assert f"event:{newer.id}" in text_of(client.get(f"{TEMPLATES}/order_confirmed/sms/uk"))


def test_the_preview_of_reminders_takes_an_event_of_its_own_step(client, db, as_staff, make_company):
    as_staff("head_of_sales")
    company = make_company()
    base = {"invoice_id": 1, "number": "R-1", "company_id": company.id, "outstanding": "5.00", "due_on": "2026-11-20"}
    overdue = outbox.emit(db, "invoice.reminder", {**base, "step": 3, "days_past_due": 3})
    outbox.emit(db, "invoice.reminder", {**base, "step": 1, "days_past_due": -3})  # the latest, but another step
    db.commit()
    data = client.post(f"{TEMPLATES}/invoice_overdue/sms/uk/preview", data={"body": "{{ days }}"}).get_json()
    assert data["source"] == f"event:{overdue.id}" and data["body"] == "3"


def test_a_rule_is_switched_off_and_on(app, client, db, as_staff, make_company):
    as_staff("head_of_sales")
    company = make_company(phone="+380441230012", email="rules@cafe.ua")
    response = client.post("/staff/notify/rules/order_confirmed/sms")
    assert response.status_code == 302 and response.headers["Location"] == TEMPLATES
    rule = db.get(NotifyRule, ("order_confirmed", "sms"))
    assert rule is not None and rule.enabled is False
    assert 'data-test="rule-off"' in client.get(TEMPLATES).get_data(as_text=True)
    messages = plan(app, db, "order.confirmed", {"order_id": 1, "company_id": company.id, "total": "1.00"})
    assert {m.channel for m in messages} == {"email"}

    assert client.post("/staff/notify/rules/order_confirmed/sms").status_code == 302
    db.expire_all()
    assert db.get(NotifyRule, ("order_confirmed", "sms")).enabled is True
    messages = plan(app, db, "order.confirmed", {"order_id": 2, "company_id": company.id, "total": "1.00"})
    assert {m.channel for m in messages} == {"sms", "email"}


def test_a_rule_of_an_unknown_event_or_channel_is_404(client, db, as_staff):
    as_staff("head_of_sales")
    assert client.post("/staff/notify/rules/no_such_event/sms").status_code == 404
    assert client.post("/staff/notify/rules/order_confirmed/fax").status_code == 404
    assert db.scalar(select(func.count()).select_from(NotifyRule)) == 0


# --- the message log -------------------------------------------------------------------


def test_the_message_log_filters_by_status_and_channel(client, db, as_staff):
    as_staff("accountant")
    message_row(db, channel="sms", status="failed", recipient="+380670000101", error_code="invalid_phone")
    message_row(db, channel="sms", status="sent", recipient="+380670000102")
    message_row(db, channel="email", status="failed", recipient="failed@log.ua", error_code="invalid_email")
    message_row(db, channel="email", status="queued", recipient="queued@log.ua")
    db.commit()

    def shown(query: str) -> set[str]:
        response = client.get(f"/staff/messages{query}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        return {r for r in ("+380670000101", "+380670000102", "failed@log.ua", "queued@log.ua") if r in page}

    assert shown("") == {"+380670000101", "+380670000102", "failed@log.ua", "queued@log.ua"}
    assert shown("?status=failed") == {"+380670000101", "failed@log.ua"}
    assert shown("?channel=email") == {"failed@log.ua", "queued@log.ua"}
    assert shown("?status=failed&channel=sms") == {"+380670000101"}
    assert shown("?status=delivered") == set()
    assert shown("?status=bogus&channel=bogus") == shown("")  # unknown filters are ignored
    assert "Некоректний номер телефону" in text_of(client.get("/staff/messages?status=failed"))



def test_the_dashboard_counts_the_messages_that_failed_this_week(client, db, as_staff):
    as_staff("manager")
    before = int(_failed_card(client))
    message_row(db, channel="sms", status="failed", recipient="+380670000103", error_code="invalid_phone")
    message_row(db, channel="sms", status="sent", recipient="+380670000104")
    db.commit()
    assert int(_failed_card(client)) == before + 1


def _failed_card(client: Any) -> str:
    page = client.get("/staff/").get_data(as_text=True)
    card = page.split('data-test="failed-messages"', 1)[1]
    return card.split('<div class="number">', 1)[1].split("<", 1)[0]


@pytest.fixture
def failed_sms(app: Any, db: Any, make_company: Any) -> Message:
    """An order confirmation to a company whose card has a phone no operator takes."""
    company = make_company(phone="12345", email=None)
    [message] = plan(app, db, "order.confirmed", {"order_id": 9, "company_id": company.id, "total": "100.00"})
    assert (message.channel, message.status, message.error_code) == ("sms", "failed", "invalid_phone")
    db.commit()
    return message


def test_a_manager_fixes_the_phone_of_a_failed_sms_and_it_goes(app, client, db, as_staff, failed_sms, providers):
    as_staff("manager")
    url = f"/staff/messages/{failed_sms.id}"
    page = text_of(client.get(url))
    assert "Некоректний номер телефону" in page and "Виправити й надіслати ще раз" in page
    response = client.post(url, data={"recipient": "067 123 45 67"})
    assert response.status_code == 302 and response.headers["Location"] == url
    db.refresh(failed_sms)
    assert (failed_sms.status, failed_sms.recipient, failed_sms.attempts, failed_sms.error_code) == (
        "queued", "+380671234567", 0, "")
    assert "Повідомлення поставлено в чергу на відправлення." in text_of(client.get(url))

    db.commit()
    with app.app_context():
        assert tasks.send_now(db) == 1
    db.refresh(failed_sms)
    assert failed_sms.status == "sent" and failed_sms.provider_id
    [sent] = providers.sms()
    assert sent["phone"] == "380671234567" and sent["text"] == failed_sms.body


def test_an_accountant_may_resend_too(client, db, as_staff, failed_sms):
    as_staff("accountant")
    assert client.post(f"/staff/messages/{failed_sms.id}", data={"recipient": "+380671234500"}).status_code == 302
    db.refresh(failed_sms)
    assert (failed_sms.status, failed_sms.recipient) == ("queued", "+380671234500")


def test_a_lawyer_may_not_read_the_message_log_nor_resend(client, db, as_staff, failed_sms):
    as_staff("lawyer")
    assert client.get("/staff/messages").status_code == 403
    assert client.get(f"/staff/messages/{failed_sms.id}").status_code == 403
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert "/staff/messages" not in dashboard and 'data-test="failed-messages"' not in dashboard
    assert client.post(f"/staff/messages/{failed_sms.id}", data={"recipient": "+380671234567"}).status_code == 403
    db.refresh(failed_sms)
    assert (failed_sms.status, failed_sms.recipient) == ("failed", "12345")


@pytest.mark.parametrize("new_phone", ["067 12", "not a phone", "+1 555 0100 999 999 99"])
def test_a_bad_new_phone_is_refused_with_the_reason(client, db, as_staff, failed_sms, new_phone):
    as_staff("manager")
    response = client.post(f"/staff/messages/{failed_sms.id}", data={"recipient": new_phone})
    assert response.status_code == 400 and "Некоректний номер телефону" in text_of(response)
    db.refresh(failed_sms)
    assert (failed_sms.status, failed_sms.recipient, failed_sms.error_code) == ("failed", "12345", "invalid_phone")


def test_an_empty_recipient_is_refused(client, db, as_staff, failed_sms):
    as_staff("manager")
    response = client.post(f"/staff/messages/{failed_sms.id}", data={"recipient": " "})
    assert response.status_code == 400 and "Вкажіть, кому надіслати." in text_of(response)
    db.refresh(failed_sms)
    assert failed_sms.status == "failed"


def test_the_same_invalid_phone_is_not_sent_again(client, db, as_staff, failed_sms):
    """Pressing "send again" without correcting the number must not put it on the wire."""
    as_staff("manager")
    response = client.post(f"/staff/messages/{failed_sms.id}", data={"recipient": "12345"})
    assert response.status_code == 400 and "Некоректний номер телефону" in text_of(response)
    db.refresh(failed_sms)
    assert (failed_sms.status, failed_sms.error_code) == ("failed", "invalid_phone")


def test_a_message_that_did_not_fail_cannot_be_resent(client, db, as_staff):
    as_staff("manager")
    for status in ("queued", "sent", "delivered"):
        message = message_row(db, status=status, recipient=f"+38067000020{len(status)}")
        db.commit()
        response = client.post(f"/staff/messages/{message.id}", data={"recipient": "+380671234567"})
        assert response.status_code == 200
        assert "Повторно надіслати можна лише повідомлення з помилкою." in text_of(response)
        assert "Виправити й надіслати ще раз" not in text_of(response)
        db.refresh(message)
        assert (message.status, message.recipient) == (status, f"+38067000020{len(status)}")


def test_a_message_whose_template_failed_is_not_resent_empty(app, client, db, as_staff, make_company):
    """It was never written: sending it again would send an empty text."""
    company = make_company(phone="+380441230013", email=None)
    db.add(MessageTemplate(event="order_confirmed", channel="sms", language="uk", body="{{ nonsense }}"))
    db.flush()
    [message] = plan(app, db, "order.confirmed", {"order_id": 1, "company_id": company.id, "total": "1.00"})
    assert (message.status, message.error_code) == ("failed", "template_error")
    db.commit()
    as_staff("manager")
    response = client.post(f"/staff/messages/{message.id}", data={"recipient": company.phone})
    assert response.status_code == 400
    db.refresh(message)
    assert message.status == "failed"


def test_a_failed_email_is_fixed_and_sent(app, client, db, as_staff, make_company, providers):
    company = make_company(phone=None, email="office@cafe-pages.ua")
    [message] = plan(app, db, "payment.received", {"payment_id": 1, "invoice_id": 1, "number": "2026-00009",
                                                   "company_id": company.id, "amount": "12.00", "source": "bank"})
    message.status, message.error_code = "failed", "recipient_refused"
    db.commit()
    as_staff("head_of_sales")
    response = client.post(f"/staff/messages/{message.id}", data={"recipient": "not-an-address"})
    assert response.status_code == 400 and "Некоректна адреса e-mail" in text_of(response)
    assert client.post(f"/staff/messages/{message.id}", data={"recipient": "Boss@Cafe-Pages.ua "}).status_code == 302
    db.refresh(message)
    assert message.status == "queued" and message.recipient == "Boss@Cafe-Pages.ua"
    db.commit()
    with app.app_context():
        assert tasks.send_now(db) == 1
    [mail] = providers.mailbox.wait_for(1)
    assert "Boss@Cafe-Pages.ua" in mail.to and "2026-00009" in mail.text


# --- a company's channels --------------------------------------------------------------


def test_company_channels_cannot_both_be_off(client, db, as_staff, make_company):
    as_staff("manager")
    company = make_company()
    response = client.post(f"/staff/companies/{company.id}/notifications", data={"marketing": "y"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Залиште хоча б один канал" in text_of(response)
    assert db.get(CompanyNotifySettings, company.id) is None


def test_company_channels_sms_and_marketing_off(client, db, as_staff, make_company):
    as_staff("head_of_sales")
    company = make_company()
    page = client.get(f"/staff/companies/{company.id}").get_data(as_text=True)
    assert 'data-test="company-channels"' in page and f"/staff/companies/{company.id}/notifications" in page
    response = client.post(f"/staff/companies/{company.id}/notifications", data={"email": "y"})
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/companies/{company.id}"
    settings = db.get(CompanyNotifySettings, company.id)
    assert (settings.sms, settings.email, settings.marketing) == (False, True, False)
    page = text_of(client.get(f"/staff/companies/{company.id}"))
    assert "Канали повідомлень збережено." in page

    # And back on: an existing row is changed, not added.
    assert client.post(f"/staff/companies/{company.id}/notifications",
                       data={"sms": "y", "email": "y", "marketing": "y"}).status_code == 302
    db.expire_all()
    settings = db.get(CompanyNotifySettings, company.id)
    assert (settings.sms, settings.email, settings.marketing) == (True, True, True)
    assert db.scalar(select(func.count()).select_from(CompanyNotifySettings)) == 1


@pytest.mark.parametrize("role", ["accountant", "lawyer"])
def test_company_channels_are_kept_by_sales(client, db, as_staff, make_company, role):
    as_staff(role)
    company = make_company()
    assert client.post(f"/staff/companies/{company.id}/notifications", data={"email": "y"}).status_code == 403
    assert db.get(CompanyNotifySettings, company.id) is None


def test_company_channels_of_a_missing_company_is_404(client, db, as_staff):
    as_staff("manager")
    assert client.post("/staff/companies/999999/notifications", data={"email": "y"}).status_code == 404



def test_messages_in_doubt_are_counted_listed_and_resent_in_one_click(app, client, db, as_staff, providers):
    as_staff("manager")
    before = int(_card(client, "unknown-messages"))
    doubt = message_row(db, channel="sms", status="unknown", recipient="+380670000301", error_code="outcome_unresolved",
                        body="Замовлення 1 підтверджено")
    message_row(db, channel="sms", status="sent", recipient="+380670000302")
    db.commit()
    assert int(_card(client, "unknown-messages")) == before + 1
    page = text_of(client.get("/staff/messages?status=unknown"))
    assert "+380670000301" in page and "+380670000302" not in page
    assert "Невідомо, чи надіслано" in page and "провайдер не дав певної відповіді" in page
    response = client.post(f"/staff/messages/{doubt.id}/resend")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/messages?status=unknown"
    db.refresh(doubt)
    assert (doubt.status, doubt.recipient, doubt.error_code) == ("queued", "+380670000301", "")
    # Once queued it is no longer in doubt, and a second click changes nothing.
    client.post(f"/staff/messages/{doubt.id}/resend")
    assert "Повторно надіслати можна лише повідомлення з помилкою." in text_of(client.get("/staff/messages"))
    with app.app_context():
        assert tasks.send_now(db) == 1
    assert [sms["phone"] for sms in providers.sms()] == ["380670000301"]


@pytest.mark.parametrize("role", ["lawyer"])
def test_a_role_without_the_log_cannot_resend_from_it(client, db, as_staff, role):
    as_staff(role)
    doubt = message_row(db, status="unknown", error_code="outcome_unresolved")
    db.commit()
    assert client.post(f"/staff/messages/{doubt.id}/resend").status_code == 403
    db.refresh(doubt)
    assert doubt.status == "unknown"


def _card(client: Any, name: str) -> str:
    page = client.get("/staff/").get_data(as_text=True)
    card = page.split(f'data-test="{name}"', 1)[1]
    return card.split('<div class="number">', 1)[1].split("<", 1)[0]
