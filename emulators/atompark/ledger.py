"""What the emulated Atompark account remembers: its balance, every SMS it accepted and
the failures a test asked for. One lock around plain dicts: a request holds it for a
few dict operations, so many server threads can send at once."""
from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from emulators.atompark.protocol import DATETIME, NOT_ENOUGH_MONEY, ProtocolError, Sms
from emulators.failures import FailureSwitch

# Atompark's "no date yet" in delivery stats (seen in its PHP SDK's example answers).
NO_DATE = "0000-00-00 00:00:00"
UNDELIVERED_SUFFIX = "0000"
FAILURE_MODES = ("no_money", "server_error", "timeout")
# A campaign's status in getCampaignList (Atompark: 0 pending, 2 in progress, 3 done).
_CAMPAIGN_STATUS = {"0": "0", "SENT": "2", "DELIVERED": "3", "NOT_DELIVERED": "3"}


@dataclass(frozen=True)
class Message:
    campaign_id: int
    sms: Sms
    price: Decimal
    accepted_at: datetime
    # Delivery progresses on the monotonic clock, so a wall-clock jump cannot skip it.
    accepted_tick: float

    def progress(self, delay: float) -> tuple[str, datetime | None, datetime | None]:
        """(status, sent_at, done_at) now: queued ("0") for the first half of the delay,
        SENT for the second, then DELIVERED, or NOT_DELIVERED for numbers ending 0000."""
        elapsed = time.monotonic() - self.accepted_tick
        sent_at = self.accepted_at + timedelta(seconds=delay / 2)
        if elapsed < delay / 2:
            return "0", None, None
        if elapsed < delay:
            return "SENT", sent_at, None
        final = "NOT_DELIVERED" if self.sms.phone.endswith(UNDELIVERED_SUFFIX) else "DELIVERED"
        return final, sent_at, self.accepted_at + timedelta(seconds=delay)


@dataclass
class Failure:
    mode: str
    count: int
    seconds: float


class Ledger:
    def __init__(self, *, balance: Decimal, price_per_segment: Decimal, delivery_delay: float):
        self.initial_balance = balance
        self.price_per_segment = price_per_segment
        self.delivery_delay = delivery_delay
        self._lock = threading.Lock()
        self.failures: FailureSwitch[Failure] = FailureSwitch()
        # Seeded from the clock so a restarted emulator never repeats a campaign id the
        # shop already stored.
        self._ids = itertools.count(int(time.time() * 1000))
        self.reset()

    def reset(self) -> None:
        """Forget messages and armed failures, restore the balance (ids keep counting)."""
        with self._lock:
            self.balance = self.initial_balance
            self.messages: dict[int, Message] = {}
            self.failures.arm(None)

    def set_balance(self, balance: Decimal) -> None:
        with self._lock:
            self.balance = balance


    def accept(self, sms: Sms) -> Message:
        price = self.price_per_segment * sms.segments
        with self._lock:
            if self.balance < price:
                raise ProtocolError(NOT_ENOUGH_MONEY, f"{sms.segments} part(s) cost {price}, balance {self.balance}")
            self.balance -= price
            message = Message(
                campaign_id=next(self._ids), sms=sms, price=price,
                accepted_at=datetime.now(UTC), accepted_tick=time.monotonic(),
            )
            self.messages[message.campaign_id] = message
        return message

    def find(self, campaign_id: int) -> Message | None:
        with self._lock:
            return self.messages.get(campaign_id)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every accepted SMS, oldest first, with its delivery state as of now."""
        with self._lock:
            messages = list(self.messages.values())
        return [self.describe(message) for message in messages]

    def describe(self, message: Message) -> dict[str, Any]:
        status, sent_at, done_at = message.progress(self.delivery_delay)
        return {
            "campaign_id": message.campaign_id, "phone": message.sms.phone, "sender": message.sms.sender,
            "text": message.sms.text, "encoding": message.sms.encoding, "segments": message.sms.segments,
            "price": str(message.price), "accepted_at": message.accepted_at.isoformat(), "status": status,
            "sent_at": sent_at.isoformat() if sent_at else None, "done_at": done_at.isoformat() if done_at else None,
        }

    def campaign_list(self, start: int, count: int) -> dict[str, list[Any]]:
        """getCampaignList's parallel arrays (id, from = sender, body = text, status),
        newest first, `count` of them from the `start`-th."""
        with self._lock:
            newest_first = list(self.messages.values())[::-1][start:start + count]
        statuses = [_CAMPAIGN_STATUS[message.progress(self.delivery_delay)[0]] for message in newest_first]
        return {
            "id": [message.campaign_id for message in newest_first],
            "from": [message.sms.sender for message in newest_first],
            "body": [message.sms.text for message in newest_first],
            "status": statuses,
        }

    def delivery_stats(self, message: Message) -> dict[str, list[str]]:
        """getCampaignDeliveryStats' parallel arrays, one entry per phone of the campaign."""
        status, sent_at, done_at = message.progress(self.delivery_delay)
        return {
            "phone": [message.sms.phone],
            "sentdate": [_provider_time(sent_at)],
            "donedate": [_provider_time(done_at)],
            "status": [status],
        }


def _provider_time(moment: datetime | None) -> str:
    # Atompark does not say which time zone its dates are in; the emulator writes UTC.
    return moment.strftime(DATETIME) if moment else NO_DATE
