"""The mailbox emulator over real SMTP, spoken with plain smtplib (not our sender)."""
from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from emulators.mailbox import Mailbox, create_web_app, start_mailbox

LOGIN, PASSWORD = "portal", "s3cret-pass"
PDF = b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF\n"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    mailbox = start_mailbox()
    yield mailbox
    mailbox.stop()


def trusting(cert: tuple[str, str]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cert[0])


def letter(
    to: str = "buyer@shop.example", subject: str = "Рахунок № 42 до сплати", message_id: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "ТОВ «Оптовик» <noreply@opt.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="opt.example")
    message.set_content("Добрий день!\nСума: 1 250,00 грн.\n")
    message.add_alternative("<p>Добрий день!</p><p>Сума: <b>1 250,00 грн</b>.</p>\n", subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="рахунок-42.pdf")
    return message


def test_parses_what_it_accepts_on_a_port_of_its_own(mailbox: Mailbox) -> None:
    assert mailbox.host == "127.0.0.1" and mailbox.port > 0
    with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as smtp:
        smtp.send_message(letter(message_id="<42@opt.example>"), "bounce@opt.example", ["buyer@shop.example"])

    [received] = mailbox.messages
    assert (received.number, received.mail_from, received.to) == (1, "bounce@opt.example", ("buyer@shop.example",))
    assert received.from_header == "ТОВ «Оптовик» <noreply@opt.example>"
    assert received.subject == "Рахунок № 42 до сплати"
    assert received.message_id == "<42@opt.example>"
    assert received.text == "Добрий день!\nСума: 1 250,00 грн.\n"
    assert received.html == "<p>Добрий день!</p><p>Сума: <b>1 250,00 грн</b>.</p>\n"
    [pdf] = received.attachments
    assert (pdf.filename, pdf.content_type, pdf.size, pdf.data) == ("рахунок-42.pdf", "application/pdf", len(PDF), PDF)
    assert received.received_at.tzinfo is not None
    assert (received.tls, received.login) == (False, None)
    assert b"Subject: =?utf-8?" in received.raw


def test_refuses_reject_for_good_and_busy_for_now(mailbox: Mailbox) -> None:
    with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("a@opt.example", ["reject.me@shop.example", "Busy-desk@shop.example"], b"Subject: x\r\n\r\nx\r\n")
        assert {rcpt: code for rcpt, (code, _) in refused.value.recipients.items()} == {
            "reject.me@shop.example": 550, "Busy-desk@shop.example": 451,
        }
        # Only the accepted recipient is in the envelope.
        smtp.sendmail("a@opt.example", ["reject@shop.example", "ok@shop.example"], b"Subject: x\r\n\r\nx\r\n")
    [received] = mailbox.messages
    assert received.to == ("ok@shop.example",)


def test_login_is_required_and_checked() -> None:
    mailbox = start_mailbox(auth=(LOGIN, PASSWORD))
    try:
        with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                smtp.sendmail("a@opt.example", ["b@shop.example"], b"Subject: x\r\n\r\nx\r\n")
            assert refused.value.smtp_code == 530
            with pytest.raises(smtplib.SMTPAuthenticationError) as wrong:
                smtp.login(LOGIN, "guess")
            assert wrong.value.smtp_code == 535
            smtp.login(LOGIN, PASSWORD)
            smtp.sendmail("a@opt.example", ["b@shop.example"], b"Subject: x\r\n\r\nx\r\n")
        [received] = mailbox.messages
        assert received.login == LOGIN
    finally:
        mailbox.stop()


def test_starttls_comes_before_anything_else(cert: tuple[str, str]) -> None:
    mailbox = start_mailbox(tls_cert=cert, require_starttls=True, auth=(LOGIN, PASSWORD))
    try:
        with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as smtp:
            smtp.ehlo()
            assert smtp.has_extn("starttls") and not smtp.has_extn("auth")
            assert smtp.mail("a@opt.example")[0] == 530
            smtp.starttls(context=trusting(cert))
            smtp.ehlo()
            assert smtp.has_extn("auth") and not smtp.has_extn("starttls")
            smtp.login(LOGIN, PASSWORD)
            smtp.send_message(letter(), "a@opt.example", ["b@shop.example"])
        [received] = mailbox.messages
        assert (received.tls, received.login) == (True, LOGIN)
    finally:
        mailbox.stop()


def test_implicit_tls(cert: tuple[str, str]) -> None:
    mailbox = start_mailbox(tls_cert=cert, implicit_tls=True, auth=(LOGIN, PASSWORD))
    try:
        with smtplib.SMTP_SSL(mailbox.host, mailbox.port, timeout=5, context=trusting(cert)) as smtp:
            smtp.login(LOGIN, PASSWORD)
            smtp.send_message(letter(), "a@opt.example", ["b@shop.example"])
        [received] = mailbox.messages
        assert (received.tls, received.login, received.subject) == (True, LOGIN, "Рахунок № 42 до сплати")
    finally:
        mailbox.stop()


def test_tls_options_need_a_certificate() -> None:
    with pytest.raises(ValueError):
        start_mailbox(implicit_tls=True)


def test_a_message_id_it_holds_is_kept_once_per_recipient(mailbox: Mailbox) -> None:
    with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as smtp:
        smtp.send_message(letter(message_id="<same@opt.example>"))
        smtp.send_message(letter(message_id="<same@opt.example>", subject="Те саме ще раз"))  # accepted, not kept
        smtp.send_message(letter(to="other@shop.example", message_id="<same@opt.example>"))
        smtp.send_message(letter())
    kept = mailbox.wait_for(3)
    time.sleep(0.1)
    assert [(m.to, m.subject) for m in mailbox.messages] == [
        (("buyer@shop.example",), "Рахунок № 42 до сплати"), (("other@shop.example",), "Рахунок № 42 до сплати"),
        (("buyer@shop.example",), "Рахунок № 42 до сплати")]
    assert len(kept) == 3 and mailbox.duplicates == 1


def test_wait_for_clear_and_stop(mailbox: Mailbox) -> None:
    with pytest.raises(TimeoutError):
        mailbox.wait_for(1, timeout=0.05)
    with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as smtp:
        smtp.send_message(letter())
        smtp.send_message(letter())
    assert [m.number for m in mailbox.wait_for(2)] == [1, 2]
    mailbox.clear()
    assert mailbox.messages == []
    with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as smtp:
        smtp.send_message(letter())
    # Numbers go on, so an old link never opens another e-mail.
    assert [m.number for m in mailbox.messages] == [3]
    mailbox.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(mailbox.host, mailbox.port, timeout=5)


def test_web_pages_list_every_email_and_serve_its_html(mailbox: Mailbox) -> None:
    web = create_web_app(mailbox).test_client()
    assert "Листів ще немає" in web.get("/").text
    with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as smtp:
        smtp.send_message(letter(subject="Перший лист"))
        smtp.send_message(letter(to="Покупець <second@shop.example>", subject="Другий лист"))

    page = web.get("/").text
    assert page.index("Другий лист") < page.index("Перший лист")
    assert "second@shop.example" in page and "Сума: 1 250,00 грн." in page and "рахунок-42.pdf" in page
    assert 'href="/2/html"' in page and 'href="/2/attachments/0"' in page

    html = web.get("/2/html")
    assert html.status_code == 200 and html.content_type == "text/html; charset=utf-8"
    assert html.text == "<p>Добрий день!</p><p>Сума: <b>1 250,00 грн</b>.</p>\n"
    assert html.headers["Content-Security-Policy"] == "sandbox"
    pdf = web.get("/2/attachments/0")
    assert (pdf.content_type, pdf.data) == ("application/pdf", PDF)
    assert web.get("/9/html").status_code == 404
    assert web.get("/2/attachments/1").status_code == 404

    listed = web.get("/messages.json").json
    assert [(m["number"], m["subject"], m["to"]) for m in listed] == [
        (1, "Перший лист", ["buyer@shop.example"]), (2, "Другий лист", ["second@shop.example"]),
    ]
    assert listed[0]["attachments"] == [{"filename": "рахунок-42.pdf", "content_type": "application/pdf", "size": len(PDF)}]
