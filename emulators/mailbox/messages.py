"""What the mailbox keeps of each accepted e-mail, read back with the stdlib `email` parser."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import MIMEPart
from email.parser import BytesParser
from typing import Any


@dataclass(frozen=True)
class ReceivedAttachment:
    filename: str | None
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted e-mail. `mail_from` and `to` are the SMTP envelope (MAIL FROM, the
    accepted RCPT TOs), which is where a message really goes; the headers only say so."""

    number: int
    mail_from: str
    to: tuple[str, ...]
    from_header: str
    subject: str
    message_id: str | None
    text: str | None
    html: str | None
    attachments: tuple[ReceivedAttachment, ...]
    received_at: datetime
    # Whether the session was encrypted (STARTTLS or implicit TLS), and who logged in:
    # a test of the sender's security settings checks these, not just that mail arrived.
    tls: bool
    login: str | None
    raw: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number, "mail_from": self.mail_from, "to": list(self.to),
            "from": self.from_header, "subject": self.subject, "message_id": self.message_id,
            "text": self.text, "html": self.html,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size} for a in self.attachments
            ],
            "received_at": self.received_at.isoformat(), "tls": self.tls, "login": self.login,
        }


def parse(
    number: int, mail_from: str, to: tuple[str, ...], raw: bytes, received_at: datetime, *, tls: bool, login: str | None
) -> ReceivedMessage:
    # policy.default decodes RFC 2047 headers and RFC 2231 file names, as a mail client would.
    message = BytesParser(policy=policy.default).parsebytes(raw)
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    message_id = message.get("Message-ID")
    return ReceivedMessage(
        number=number,
        mail_from=mail_from,
        to=to,
        from_header=str(message.get("From", "")),
        subject=str(message.get("Subject", "")),
        message_id=str(message_id) if message_id is not None else None,
        text=_lines(text),
        html=_lines(html),
        attachments=tuple(
            ReceivedAttachment(part.get_filename(), part.get_content_type(), _data(part))
            for part in message.iter_attachments()
        ),
        received_at=received_at,
        tls=tls,
        login=login,
        raw=raw,
    )


def _lines(part: MIMEPart | None) -> str | None:
    # MIME text travels with CRLF line ends (RFC 2045's canonical form); read as Python text.
    return part.get_content().replace("\r\n", "\n") if part is not None else None


def _data(part: MIMEPart) -> bytes:
    payload = part.get_payload(decode=True)
    # An attached e-mail (message/rfc822) has parts, not a payload: it is its own bytes.
    return payload if isinstance(payload, bytes) else part.as_bytes()
