"""What the rest of the code sees of the e-mail channel: its settings and attachments."""
from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Literal

Security = Literal["none", "starttls", "ssl"]
SECURITIES: tuple[Security, ...] = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the relay. security: "none" (plain SMTP, a local relay only),
    "starttls" (usually port 587) or "ssl" (implicit TLS, usually port 465).

    from_address may carry a display name: 'ТОВ «Оптовик» <noreply@example.com>'. With
    verify_tls the relay's certificate must chain to the system's CAs, or to `ca_file`
    alone when it is given (a private CA, the emulator's self-signed certificate).
    """

    host: str
    port: int
    security: Security
    username: str | None
    password: str | None = field(repr=False)
    from_address: str
    timeout: float = 10.0
    verify_tls: bool = True
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.security not in SECURITIES:
            raise ValueError(f"security must be one of {SECURITIES}, got {self.security!r}")
        if self.username and self.password is None:
            raise ValueError("a username needs a password")
        # smtplib sends both as ASCII and would fail only at the first send.
        if not f"{self.username or ''}{self.password or ''}".isascii():
            raise ValueError("smtplib can send only an ASCII username and password")
        if "@" not in parseaddr(self.from_address)[1]:
            raise ValueError(f"from_address has no e-mail address: {self.from_address!r}")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)

    def __post_init__(self) -> None:
        maintype, _, subtype = self.content_type.partition("/")
        if not maintype or not subtype:
            raise ValueError(f"content_type must be type/subtype, got {self.content_type!r}")
