"""What the rest of the code sees of Atompark: plain dataclasses and the error mapping."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.providers import ProviderError

PENDING, DELIVERED, UNDELIVERED = "pending", "delivered", "undelivered"

# Atompark's per-phone statuses in getCampaignDeliveryStats (its API docs, mirrored in
# the ePochta client docs: 0, SENT, DELIVERED, NOT_DELIVERED, INVALID_PHONE_NUMBER, SPAM;
# EXPIRED and "duplicate" are seen in clients in the wild). Any other status, "0" and
# "SENT" among them, is not decided yet.
STATUSES = {
    "DELIVERED": DELIVERED,
    "NOT_DELIVERED": UNDELIVERED,
    "INVALID_PHONE_NUMBER": UNDELIVERED,
    "SPAM": UNDELIVERED,
    "EXPIRED": UNDELIVERED,
    "DUPLICATE": UNDELIVERED,
}

# Our stable codes, and whether retrying cannot help.
PERMANENT = {
    "bad_sum": True,  # our keys or signing are wrong: a config problem, a retry repeats it
    "bad_key": True,
    "no_money": False,  # topping the account up fixes it
    "bad_sender": True,
    "invalid_phone": True,
    "bad_text": True,
    "unknown_campaign": True,
    "provider_error": False,  # 5xx, an answer we cannot read, an error code we do not know
    "provider_refused": True,  # an HTTP 4xx other than 408/425/429: the request itself is refused
    "timeout": False,
    "unreachable": False,  # connection refused or reset
    "lookup_incomplete": False,  # a campaign list too long to read through: asked again, then staff decide
}

# Atompark's error codes (API v3 code list: 300-306 sendSMS, 320-322 delivery stats).
# -1 and -2 are not confirmed: the list has no code for a bad key or control sum, and
# these are the codes the local emulator answers with. A code missing here is a
# transient provider_error whose detail keeps Atompark's code and words.
PROVIDER_ERRORS = {
    "-1": "bad_key",
    "-2": "bad_sum",
    "300": "bad_sender",  # sender id missing (or not allowed)
    "301": "bad_text",  # text missing
    "303": "invalid_phone",  # no valid recipients
    "304": "no_money",  # not enough credits on a trial account
    "305": "no_money",  # not enough money on the account
    "320": "unknown_campaign",  # wrong campaign id
    "321": "unknown_campaign",  # campaign deleted
}


def atompark_error(code: str, detail: str) -> ProviderError:
    return ProviderError("atompark", code, detail, retryable=not PERMANENT[code])


def provider_refusal(provider_code: str, text: str) -> ProviderError:
    """The ProviderError for Atompark's `{"error": text, "code": provider_code}`: our
    stable code, Atompark's own code kept in the detail."""
    return atompark_error(PROVIDER_ERRORS.get(provider_code, "provider_error"), f"Atompark {provider_code}: {text}")


@dataclass(frozen=True)
class SmsAccepted:
    """Atompark took the SMS: `campaign_id` asks for its delivery later."""

    campaign_id: str
    price: Decimal
    currency: str


@dataclass(frozen=True)
class Campaign:
    """One campaign as getCampaignList lists it: its id, sender name and text."""

    campaign_id: str
    sender: str
    body: str


@dataclass(frozen=True)
class DeliveryReport:
    """One phone of a campaign: `status` is PENDING, DELIVERED or UNDELIVERED; `done_at`
    (UTC) is when Atompark settled it, None while pending."""

    phone: str
    status: str
    done_at: datetime | None
