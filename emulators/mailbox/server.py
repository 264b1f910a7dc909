"""The SMTP side of the mailbox: aiosmtpd in a background thread, and what it accepted."""
from __future__ import annotations

import asyncio
import hmac
import itertools
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from emulators.mailbox.messages import ReceivedMessage, parse


class Mailbox:
    """Every e-mail the server accepted, in arrival order; made by `start_mailbox`."""

    def __init__(self) -> None:
        self.host = ""
        self.port = 0
        self._controller: Controller | None = None
        self._arrived = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        # Copies accepted but not kept (their Message-ID was there already).
        self.duplicates = 0
        # Numbers keep counting across clear(), so a page's stale link never shows another e-mail.
        self._numbers = itertools.count(1)

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._arrived:
            return list(self._messages)

    def get(self, number: int) -> ReceivedMessage | None:
        with self._arrived:
            return next((m for m in self._messages if m.number == number), None)

    def clear(self) -> None:
        with self._arrived:
            self._messages.clear()
            self.duplicates = 0

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """The messages once there are at least `count`; TimeoutError if they do not come."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._messages)} of {count} e-mails arrived in {timeout} s")
                self._arrived.wait(left)
            return list(self._messages)

    def stop(self) -> None:
        """Close the port; safe to call twice. What was received stays readable."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _receive(self, mail_from: str, to: tuple[str, ...], raw: bytes, *, tls: bool, login: str | None) -> None:
        with self._arrived:
            message = parse(next(self._numbers), mail_from, to, raw, datetime.now(UTC), tls=tls, login=login)
            # A mailbox shows a message once, however often it arrives: a copy with a
            # Message-ID it already holds for the same recipients is the same e-mail.
            if message.message_id is not None and any(
                kept.message_id == message.message_id and kept.to == message.to for kept in self._messages
            ):
                self.duplicates += 1
                return
            self._messages.append(message)
            self._arrived.notify_all()


class _Handler:
    """aiosmtpd's hooks: who may send, which recipients are refused, what is kept."""

    def __init__(self, mailbox: Mailbox, *, login_required: bool, implicit_tls: bool):
        self.mailbox = mailbox
        self.login_required = login_required
        self.implicit_tls = implicit_tls

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        # Checked here rather than with aiosmtpd's auth_required, which warns on every
        # connection when AUTH is allowed without TLS (the plaintext test setup).
        if self.login_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        local_part = address.partition("@")[0].lower()
        if local_part.startswith("reject"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: mailbox unavailable"
        if local_part.startswith("busy"):
            return f"451 4.2.1 <{address}>: Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        auth_data = session.auth_data
        self.mailbox._receive(
            envelope.mail_from or "",
            tuple(envelope.rcpt_tos),
            envelope.original_content or b"",
            # aiosmtpd marks only STARTTLS sessions; an implicit TLS server is encrypted throughout.
            tls=self.implicit_tls or session.ssl is not None,
            login=auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None,
        )
        return "250 2.0.0 OK: queued"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Port 0 has the OS choose a free port; aiosmtpd's start-up probe must connect to
        # the one actually bound, and so must everyone who reads `port` afterwards.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _authenticator(login: str, password: str) -> Callable[[SMTP, Session, Envelope, str, Any], AuthResult]:
    expected = LoginPassword(login.encode(), password.encode())

    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, expected.login)
            and hmac.compare_digest(auth_data.password, expected.password)
        )
        # handled=False: aiosmtpd answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return check


def start_mailbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tls_cert: tuple[str, str] | None = None,
    require_starttls: bool = False,
    implicit_tls: bool = False,
    auth: tuple[str, str] | None = None,
) -> Mailbox:
    """Listen on host:port (0: a free port, read it from `.port`).

    tls_cert = (certificate file, key file) offers STARTTLS, or with `implicit_tls`
    speaks TLS from the first byte (SMTPS). auth = (login, password) requires a LOGIN or
    PLAIN login before MAIL FROM.
    """
    if (require_starttls or implicit_tls) and tls_cert is None:
        raise ValueError("require_starttls and implicit_tls need tls_cert")
    if require_starttls and implicit_tls:
        raise ValueError("an implicit TLS server has no STARTTLS to require")
    context = None
    if tls_cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls_cert)
    starttls = context is not None and not implicit_tls
    mailbox = Mailbox()
    controller = _Controller(
        _Handler(mailbox, login_required=auth is not None, implicit_tls=implicit_tls),
        hostname=host,
        port=port,
        ssl_context=context if implicit_tls else None,
        # Named, so aiosmtpd does not ask DNS for this machine's name.
        server_hostname="mailbox.emulator",
        tls_context=context if starttls else None,
        require_starttls=require_starttls,
        authenticator=_authenticator(*auth) if auth is not None else None,
        # Like a real submission server, a STARTTLS mailbox takes a password only after
        # STARTTLS, so a sender that logs in too early fails here as it would in
        # production. Without TLS, AUTH in the clear is what lets the login tests run;
        # with implicit TLS the whole session is encrypted, which aiosmtpd cannot see.
        auth_require_tls=starttls,
    )
    controller.start()
    mailbox.host, mailbox.port = host, controller.port
    mailbox._controller = controller
    return mailbox
