"""SmtpSender against the local mailbox over real SMTP: what arrives, and how failures are named."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from core.providers import ProviderError
from emulators.mailbox import Mailbox, start_mailbox
from notify.email.interface import Attachment, SmtpSettings
from notify.email.sender import SmtpSender

FROM = "ТОВ «Оптовик» <noreply@opt.example>"
LOGIN, PASSWORD = "portal", "s3cret-pass"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
HTML = "<p>Рахунок <b>№ 42</b> на суму 1 250,00 грн.</p>"
TEXT = "Рахунок № 42 на суму 1 250,00 грн.\nСплатити: https://opt.example/p/abc\n"


@pytest.fixture
def mailboxes() -> Iterator[Any]:
    """start_mailbox for a test; every mailbox it started is stopped afterwards."""
    started: list[Mailbox] = []

    def start(**options: Any) -> Mailbox:
        started.append(start_mailbox(**options))
        return started[-1]

    yield start
    for mailbox in started:
        mailbox.stop()


def sender(mailbox: Mailbox, **override: Any) -> SmtpSender:
    settings: dict[str, Any] = {
        "host": mailbox.host, "port": mailbox.port, "security": "none", "username": None, "password": None,
        "from_address": FROM, "timeout": 5.0,
    }
    return SmtpSender(SmtpSettings(**settings | override))


def failure(smtp: SmtpSender, to: str = "buyer@shop.example") -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        smtp.send(to, "Тема", TEXT, HTML)
    return raised.value


def test_cyrillic_parts_and_a_pdf_arrive_intact(mailboxes: Any) -> None:
    mailbox = mailboxes()
    message_id = sender(mailbox).send(
        "Покупець <buyer@shop.example>", "Рахунок № 42 від ТОВ «Оптовик»", TEXT, HTML,
        [Attachment("рахунок-42.pdf", "application/pdf", PDF)],
    )

    [received] = mailbox.messages
    assert (received.mail_from, received.to) == ("noreply@opt.example", ("buyer@shop.example",))
    assert received.from_header == FROM
    assert received.subject == "Рахунок № 42 від ТОВ «Оптовик»"
    assert received.message_id == message_id and message_id.endswith("@opt.example>")
    assert (received.text, received.html) == (TEXT, HTML + "\n")
    [pdf] = received.attachments
    assert (pdf.filename, pdf.content_type, pdf.data) == ("рахунок-42.pdf", "application/pdf", PDF)

    parsed = message_from_bytes(received.raw, policy=policy.default)
    assert parsedate_to_datetime(parsed["Date"]).tzinfo is not None
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf",
    ]
    # Headers are RFC 2047 words and bodies 7-bit encodings: any relay carries them unchanged.
    assert received.raw.isascii()


def test_without_attachments_it_is_just_the_alternative_and_keeps_a_given_message_id(mailboxes: Any) -> None:
    mailbox = mailboxes()
    assert sender(mailbox).send("buyer@shop.example", "Тема", TEXT, HTML, message_id="<m-7@opt.example>") == (
        "<m-7@opt.example>"
    )
    [received] = mailbox.messages
    parsed = message_from_bytes(received.raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert (received.message_id, received.attachments) == ("<m-7@opt.example>", ())


def test_starttls_and_login_with_the_certificate_trusted_through_ca_file(
    mailboxes: Any, cert: tuple[str, str]
) -> None:
    # require_starttls + AUTH only after STARTTLS: a sender that skipped or postponed TLS fails here.
    mailbox = mailboxes(tls_cert=cert, require_starttls=True, auth=(LOGIN, PASSWORD))
    sender(mailbox, security="starttls", username=LOGIN, password=PASSWORD, ca_file=cert[0]).send(
        "buyer@shop.example", "Тема", TEXT, HTML
    )
    [received] = mailbox.messages
    assert (received.tls, received.login) == (True, LOGIN)


def test_implicit_tls(mailboxes: Any, cert: tuple[str, str]) -> None:
    mailbox = mailboxes(tls_cert=cert, implicit_tls=True, auth=(LOGIN, PASSWORD))
    sender(mailbox, security="ssl", username=LOGIN, password=PASSWORD, ca_file=cert[0]).send(
        "buyer@shop.example", "Тема", TEXT, HTML
    )
    [received] = mailbox.messages
    assert (received.tls, received.login) == (True, LOGIN)


@pytest.mark.parametrize(("security", "implicit_tls"), [("starttls", False), ("ssl", True)])
def test_an_untrusted_certificate_is_a_tls_failure(
    mailboxes: Any, cert: tuple[str, str], security: str, implicit_tls: bool
) -> None:
    mailbox = mailboxes(tls_cert=cert, implicit_tls=implicit_tls)
    error = failure(sender(mailbox, security=security))
    assert (error.code, error.permanent) == ("tls_failed", True)
    assert "self-signed" in error.detail
    # verify_tls=False accepts it: for a relay on a private network, knowingly.
    sender(mailbox, security=security, verify_tls=False).send("buyer@shop.example", "Тема", TEXT, HTML)
    assert len(mailbox.messages) == 1


def test_plain_smtp_to_a_mailbox_that_requires_starttls_is_a_tls_failure(
    mailboxes: Any, cert: tuple[str, str]
) -> None:
    error = failure(sender(mailboxes(tls_cert=cert, require_starttls=True)))
    assert (error.code, error.permanent) == ("tls_failed", True)


def test_a_wrong_password_or_none_at_all_is_an_auth_failure(mailboxes: Any) -> None:
    mailbox = mailboxes(auth=(LOGIN, PASSWORD))
    wrong = failure(sender(mailbox, username=LOGIN, password="guess"))
    assert (wrong.provider, wrong.code, wrong.permanent) == ("smtp", "auth_failed", True)
    assert wrong.detail.startswith("535")
    missing = failure(sender(mailbox))
    assert (missing.code, missing.permanent) == ("auth_failed", True)
    assert missing.detail.startswith("530")
    assert mailbox.messages == []


def test_refused_recipients(mailboxes: Any) -> None:
    smtp = sender(mailboxes())
    rejected = failure(smtp, "reject-me@shop.example")
    assert (rejected.code, rejected.permanent) == ("recipient_refused", True)
    assert rejected.detail.startswith("550")
    busy = failure(smtp, "busy@shop.example")
    assert (busy.code, busy.permanent) == ("mailbox_busy", False)
    assert busy.detail.startswith("451")
    not_an_address = failure(smtp, "buyer at shop")
    assert (not_an_address.code, not_an_address.permanent) == ("recipient_refused", True)


def test_a_closed_port_is_unreachable(mailboxes: Any) -> None:
    # A bound socket that does not listen: the port is surely closed and surely ours.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        mailbox = mailboxes()
        error = failure(sender(mailbox, port=closed.getsockname()[1]))
    assert (error.provider, error.code, error.retryable) == ("smtp", "unreachable", True)


def test_attachments_are_built_only_once_the_relay_lets_us_in(mailboxes: Any) -> None:
    built: list[str] = []

    def invoice() -> list[Attachment]:
        built.append("pdf")
        return [Attachment("рахунок-42.pdf", "application/pdf", PDF)]

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        with pytest.raises(ProviderError):
            sender(mailboxes(), port=closed.getsockname()[1]).send("buyer@shop.example", "Тема", TEXT, HTML, invoice)
    assert built == []  # a relay that is down costs no PDF
    mailbox = mailboxes()
    sender(mailbox).send("buyer@shop.example", "Тема", TEXT, HTML, invoice)
    assert built == ["pdf"] and mailbox.wait_for(1)[0].attachments[0].data == PDF


def test_a_server_that_never_answers_is_a_timeout(mailboxes: Any) -> None:
    # Listening, so the connection is made, but nobody ever sends the greeting.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        error = failure(sender(mailboxes(), port=silent.getsockname()[1], timeout=0.2))
    assert (error.code, error.permanent) == ("timeout", False)


def test_settings_are_checked_when_made() -> None:
    base: dict[str, Any] = {
        "host": "127.0.0.1", "port": 25, "security": "none", "username": None, "password": None, "from_address": FROM,
    }
    for bad in ({"security": "tls"}, {"username": LOGIN}, {"from_address": "Оптовик"}, {"username": "ім'я", "password": "x"}):
        with pytest.raises(ValueError):
            SmtpSettings(**base | bad)
    assert "s3cret" not in repr(SmtpSettings(**base | {"username": LOGIN, "password": PASSWORD}))
    with pytest.raises(ValueError):
        Attachment("a.pdf", "pdf", b"")
