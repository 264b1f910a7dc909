"""The notification tests send for real: SMS over HTTP to the Atompark emulator,
e-mail over SMTP to the local mailbox, both on loopback."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core import outbox
from core.outbox import OutboxEvent

from emulators.atompark import create_app as create_atompark
from emulators.http import serve_in_thread
from emulators.mailbox import Mailbox, start_mailbox
from notify import tasks

PUBLIC_KEY, PRIVATE_KEY = "test-public", "test-private"
# The path of a link that logs in or pays, as it reaches the person.
SECRET_PATH = re.compile(r"https?://[^\s<>\"']+?(/(?:staff/)?(?:reset|welcome|pay)/[^\s<>\"'/]+)")


@dataclass
class Providers:
    sms_url: str
    mailbox: Mailbox

    def sms(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.sms_url}/_emulator/messages").json()

    def fail_sms(self, mode: str, count: int = 1, **extra: Any) -> None:
        httpx.post(f"{self.sms_url}/_emulator/fail", data={"mode": mode, "count": count, **extra}).raise_for_status()


@pytest.fixture(scope="session")
def provider_servers() -> Iterator[tuple[str, Mailbox]]:
    url, stop = serve_in_thread(create_atompark(PUBLIC_KEY, PRIVATE_KEY, delivery_delay=0.2))
    mailbox = start_mailbox()
    yield url, mailbox
    stop()
    mailbox.stop()


@pytest.fixture
def providers(app: Any, db: Any, provider_servers: tuple[str, Mailbox]) -> Iterator[Providers]:
    url, mailbox = provider_servers
    httpx.post(f"{url}/_emulator/reset").raise_for_status()
    mailbox.clear()
    wanted = {
        "ATOMPARK_BASE_URL": f"{url}/sms/3.0", "ATOMPARK_PUBLIC_KEY": PUBLIC_KEY, "ATOMPARK_PRIVATE_KEY": PRIVATE_KEY,
        "SMTP_HOST": mailbox.host, "SMTP_PORT": mailbox.port, "SMTP_SECURITY": "none",
        "NOTIFY_PROVIDER_TIMEOUT": 2.0,
    }
    saved = {key: app.config[key] for key in wanted}
    app.config.update(wanted)
    app.extensions.pop("notify_sms", None)  # the cached client points elsewhere
    yield Providers(f"{url}", mailbox)
    app.config.update(saved)
    app.extensions.pop("notify_sms", None)


def delivered_link(app: Any, db: Any, providers: Providers, address: str) -> str:
    """Relay the pending events, send what is due, and return the path of the newest reset,
    invitation or pay link that reached `address` (an e-mail or a phone): the link the
    person really got, since nothing we store holds it."""
    with app.test_request_context():
        for event_id in db.scalars(select(OutboxEvent.id).where(OutboxEvent.status == "pending")).all():
            outbox.deliver(db, event_id)
    db.commit()
    with app.app_context():
        tasks.send_now(db)
    if "@" in address:
        texts = [mail.text or "" for mail in providers.mailbox.messages if address in mail.to]
    else:
        texts = [sms["text"] for sms in providers.sms() if sms["phone"] == address.lstrip("+")]
    links = [path for text in texts for path in SECRET_PATH.findall(text)]
    assert links, f"no link reached {address}"
    return links[-1]
