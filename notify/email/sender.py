"""The only place that talks SMTP: stdlib `email` builds the message, `smtplib` sends it.

One connection per message: a relay that drops idle connections, or a failure halfway,
then never affects the next message. What goes wrong becomes a `ProviderError` of provider
"smtp" with one of our stable codes, so the delivery engine knows whether trying again can help.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal

from core.providers import ProviderError
from notify.email.interface import Attachment, SmtpSettings

# The settings and attachments come with the sender, for callers that need all three.
__all__ = ["Attachment", "SmtpSender", "SmtpSettings"]

# Bodies go out as quoted-printable or base64, never raw 8-bit: every relay takes that,
# whether it announces 8BITMIME or not.
_POLICY = policy.SMTP.clone(cte_type="7bit")

Stage = Literal["connect", "starttls", "login", "send"]


class SmtpSender:
    """A `notify.gateways.MailRelay` over any SMTP relay."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._sender = parseaddr(settings.from_address)[1]
        self._tls = _tls_context(settings) if settings.security != "none" else None

    def send(
        self, to: str, subject: str, text: str, html: str,
        attachments: Sequence[Attachment] | Callable[[], Sequence[Attachment]] = (), message_id: str | None = None,
    ) -> str:
        """Send one e-mail to `to` (an address, or 'Name <address>'); returns its Message-ID.

        `attachments` may be a function: it is called only once the relay has let us in,
        so a relay that is down costs no PDF rendering on every retry. It must not touch
        the database: the delivery engine reads what the files need before it ends its
        transaction, and no lock is held while the relay answers.
        Pass the `message_id` of the first attempt when retrying: a relay or a mail client
        that already has it can then tell the copy for what it is.
        """
        recipient = parseaddr(to)[1]
        if "@" not in recipient or "\n" in to or "\r" in to:
            raise _error("recipient_refused", f"not an e-mail address: {to!r}", permanent=True)
        message_id = message_id or make_msgid(domain=self._sender.rpartition("@")[2])
        files = attachments if callable(attachments) else lambda: attachments
        self._deliver(lambda: self._compose(to, subject, text, html, files(), message_id), recipient)
        return message_id

    def _compose(
        self, to: str, subject: str, text: str, html: str, attachments: Sequence[Attachment], message_id: str
    ) -> EmailMessage:
        # The policy encodes Cyrillic subjects and display names (RFC 2047) and file names (RFC 2231).
        message = EmailMessage(policy=_POLICY)
        message["From"] = self.settings.from_address
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = message_id
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        # The first attachment wraps the text/HTML alternative into multipart/mixed.
        for attachment in attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
        return message

    def _deliver(self, compose: Callable[[], EmailMessage], recipient: str) -> None:
        settings = self.settings
        with _failures("connect"):
            if settings.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=settings.timeout, context=self._tls
                )
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.security == "starttls":
                with _failures("starttls"):
                    smtp.starttls(context=self._tls)
            if settings.username:
                with _failures("login"):
                    smtp.login(settings.username, settings.password or "")
            message = compose()
            with _failures("send"):
                smtp.send_message(message, self._sender, [recipient])
            # The relay has taken the message: a failed goodbye must not become a retry
            # and a second copy in the customer's inbox.
            with suppress(smtplib.SMTPException, OSError):
                smtp.quit()
        finally:
            smtp.close()


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    if not settings.verify_tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=settings.ca_file)


@contextmanager
def _failures(stage: Stage) -> Iterator[None]:
    """Turn what smtplib and ssl raise during `stage` into our codes.

    The order matters: smtplib's and ssl's exceptions are all OSErrors.
    """
    try:
        yield
    except smtplib.SMTPRecipientsRefused as exc:
        # One recipient per message, so one refusal.
        code, reply = next(iter(exc.recipients.values()))
        if code >= 500:
            raise _error("recipient_refused", _said(code, reply), permanent=True) from exc
        raise _error("mailbox_busy", _said(code, reply), permanent=False) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise _error("auth_failed", _said(exc.smtp_code, exc.smtp_error), permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise _answered(stage, exc.smtp_code, exc.smtp_error) from exc
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib reports a reply that never came as a disconnection; the timeout is its cause.
        if isinstance(exc.__context__, TimeoutError):
            raise _error("timeout", f"no answer in time ({stage}): {exc}", permanent=False) from exc
        raise _error("unreachable", f"the connection broke ({stage}): {exc}", permanent=False) from exc
    except smtplib.SMTPException as exc:
        # smtplib's own refusals: the server does not offer STARTTLS, AUTH or a
        # mechanism we speak, or what the message needs (SMTPUTF8). All configuration.
        reason = {"starttls": "tls_failed", "login": "auth_failed"}.get(stage, "smtp_error")
        raise _error(reason, str(exc), permanent=True) from exc
    except ssl.SSLCertVerificationError as exc:
        raise _error("tls_failed", exc.verify_message or str(exc), permanent=True) from exc
    except ssl.SSLError as exc:
        # During the handshake it is how the server or we are set up; after it, a
        # connection that broke like any other.
        if stage in ("connect", "starttls"):
            raise _error("tls_failed", str(exc), permanent=True) from exc
        raise _error("unreachable", str(exc), permanent=False) from exc
    except TimeoutError as exc:
        raise _error("timeout", f"no answer in time ({stage}): {exc}", permanent=False) from exc
    except OSError as exc:
        raise _error("unreachable", f"{type(exc).__name__}: {exc}", permanent=False) from exc


def _answered(stage: Stage, code: int, reply: bytes | str) -> ProviderError:
    said = _said(code, reply)
    # 530 is "authentication required" (RFC 4954) or "must issue STARTTLS first" (RFC
    # 3207); 538 is "encryption required for this mechanism". Either way, our settings.
    if code == 538 or (code == 530 and "STARTTLS" in said.upper()):
        return _error("tls_failed", said, permanent=True)
    if code == 530:
        return _error("auth_failed", said, permanent=True)
    if stage == "starttls":
        return _error("tls_failed", said, permanent=True)
    return _error("smtp_error", said, permanent=code >= 500)


def _error(code: str, detail: str, *, permanent: bool) -> ProviderError:
    return ProviderError("smtp", code, detail, retryable=not permanent)


def _said(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {text}"
