"""A local mailbox: a real SMTP server (aiosmtpd) that keeps every e-mail it accepts.

SMTP, as any relay speaks it:
- `start_mailbox()` listens on 127.0.0.1 and a free port; `.host`/`.port` say where.
- `tls_cert` offers STARTTLS (`require_starttls`: every command but EHLO/HELO/NOOP/QUIT
  before it gets `530 Must issue a STARTTLS command first`); with `implicit_tls` the
  server speaks TLS from the first byte (SMTPS). `self_signed_cert()` makes a cert.
- `auth=(login, password)`: AUTH LOGIN/PLAIN with exactly these, else `535`; MAIL FROM
  before a login gets `530 5.7.0 Authentication required`. A STARTTLS mailbox offers
  AUTH only after STARTTLS, like a real submission server; without TLS, AUTH works in
  the clear (for tests).
- Recipients whose local part starts with `reject` are refused for good at RCPT
  (`550 5.1.1`), those starting with `busy` for now (`451 4.2.1`); everyone else is
  accepted, and so is any message for them.
- Like a mail client's inbox, it keeps one copy of a Message-ID per recipients: a second
  copy is accepted (250) but not kept, and counted in `Mailbox.duplicates`.

What arrived: `Mailbox.messages` (arrival order, parsed with the stdlib `email`:
envelope sender and recipients, decoded subject and From, text and HTML parts,
attachments, Message-ID, whether the session was encrypted and who logged in, the raw
bytes), `wait_for(count)`, `clear()`, `stop()`.

The web pages (`create_web_app(mailbox)`, Ukrainian, for the demo's "every sent e-mail"):
- `GET /`: every e-mail, newest first: subject, recipients, sender, time (Kyiv), text
  part, attachments, a link to the HTML part.
- `GET /<number>/html`: the HTML part as sent, sandboxed (CSP) so its scripts cannot run
  on this origin; `GET /<number>/attachments/<index>`: an attachment's bytes.
- `GET /messages.json`: every e-mail in arrival order, without the raw bytes.
"""
from emulators.mailbox.app import create_web_app
from emulators.mailbox.certs import self_signed_cert
from emulators.mailbox.messages import ReceivedAttachment, ReceivedMessage
from emulators.mailbox.server import Mailbox, start_mailbox

__all__ = [
    "Mailbox", "ReceivedAttachment", "ReceivedMessage", "create_web_app", "self_signed_cert", "start_mailbox",
]
