"""What the delivery engine sees of the two outgoing channels: an SMS gateway and a mail
relay. Atompark (`notify.atompark.client.AtomparkClient`) and SMTP
(`notify.email.sender.SmtpSender`) implement them today; a failure of either is a
`core.providers.ProviderError`, whose `.retryable` decides retry or give-up."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from notify.atompark.interface import DeliveryReport, SmsAccepted
from notify.email.interface import Attachment


class SmsGateway(Protocol):
    sender: str

    def send_sms(self, phone_e164: str, text: str) -> SmsAccepted: ...

    def delivery_stats(self, campaign_id: str) -> list[DeliveryReport]:
        """One report per phone of the campaign."""

    def find_campaigns(self, phone_e164: str, same_text: Callable[[str], bool]) -> list[str]:
        """Ids of what the gateway took for this phone with a text that passes `same_text`:
        the only way to learn whether a send whose answer was lost went through."""

    def close(self) -> None: ...


class MailRelay(Protocol):
    def send(
        self, to: str, subject: str, text: str, html: str,
        attachments: Sequence[Attachment] | Callable[[], Sequence[Attachment]] = (), message_id: str | None = None,
    ) -> str:
        """Send one e-mail; returns its Message-ID."""
