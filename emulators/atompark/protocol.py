"""Atompark SMS API v3 on the wire, written from https://atompark.com/bulk-sms-service/smsapiv3.

The control sum: every parameter except `sum` (the method's arguments, `key`, `version`
and `action`), sorted by name, values concatenated in that order, the private key
appended, md5 hex. Deliberately independent of our adapter (notify/atompark), so a
mistake there cannot hide behind a shared copy.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

VERSION = "3.0"

# Error codes of API v3 as Atompark's code list has them (mirrored in the ePochta
# client docs, github.com/pekc83/epochta-client lib/errors.js): 300-306 for sendSMS,
# 320-322 for getCampaignDeliveryStats.
SENDER_MISSING = ("300", "Sender id missing")
TEXT_MISSING = ("301", "Text missing")
NO_VALID_RECIPIENTS = ("303", "No valid recipients")
NOT_ENOUGH_MONEY = ("305", "Not enough money on account")
SEND_FAILED = ("306", "Default error")
WRONG_CAMPAIGN_ID = ("320", "Wrong campaign id")
# Not confirmed: that list has no entry for a bad key or control sum, nor for a text
# that is too long. These are the emulator's own; notify/atompark maps the same codes,
# and any code it does not know becomes a transient `provider_error`.
UNKNOWN_KEY = ("-1", "Invalid public key")
WRONG_SUM = ("-2", "Invalid control sum")
TEXT_TOO_LONG = ("301", "Text is too long")

# GSM 03.38: the basic set (one septet each) and the extension table (escape + char).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
# The emulator's own cap; Atompark's documented maximum was not found.
MAX_SEGMENTS = 10

SENDER = re.compile(r"[A-Za-z0-9 ._-]{1,11}")
PHONE = re.compile(r"[1-9][0-9]{9,14}")  # E.164 digits without the +
DATETIME = "%Y-%m-%d %H:%M:%S"


class ProtocolError(Exception):
    """A request Atompark would refuse; answered as `{"error": text, "code": code}`."""

    def __init__(self, error: tuple[str, str], detail: str = ""):
        self.code, text = error
        self.text = f"{text}: {detail}" if detail else text
        super().__init__(f"{self.code}: {self.text}")

    def as_json(self) -> dict[str, str]:
        return {"error": self.text, "code": self.code}


def control_sum(params: Mapping[str, str], private_key: str) -> str:
    joined = "".join(params[name] for name in sorted(params)) + private_key
    return hashlib.md5(joined.encode()).hexdigest()


def verify(params: Mapping[str, str], action: str, keys: Mapping[str, str]) -> None:
    """Check key and sum of a request's parameters. `action` and `version` take part in
    the sum; clients send both as parameters too, but the URL is what names them here:
    absent they are taken from the path, and a client that summed other values than
    the path's fails the sum."""
    private_key = keys.get(params.get("key", ""))
    if private_key is None:
        raise ProtocolError(UNKNOWN_KEY)
    summed = {name: value for name, value in params.items() if name != "sum"}
    summed |= {"action": action, "version": VERSION}
    # Bytes: compare_digest refuses str with non-ASCII characters, and a sum can hold anything.
    if not hmac.compare_digest(control_sum(summed, private_key).encode(), params.get("sum", "").encode()):
        raise ProtocolError(WRONG_SUM)


@dataclass(frozen=True)
class Sms:
    sender: str
    text: str
    phone: str
    encoding: str
    segments: int


def segments(text: str) -> tuple[str, int]:
    """(encoding, parts): GSM-7 holds 160 septets in one SMS and 153 per part of a long
    one; anything else (Cyrillic) goes as UCS-2: 70 UTF-16 units, 67 per part."""
    if all(char in GSM_BASIC or char in GSM_EXTENDED for char in text):
        length = sum(2 if char in GSM_EXTENDED else 1 for char in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    return encoding, 1 if length <= single else math.ceil(length / part)


def parse_send(params: Mapping[str, str]) -> Sms:
    sender = params.get("sender", "")
    # An alpha name needs a letter: an all-digit sender would be a phone number.
    if not SENDER.fullmatch(sender) or not re.search("[A-Za-z]", sender):
        raise ProtocolError(SENDER_MISSING, "up to 11 Latin letters, digits, space . _ -")
    text = params.get("text", "")
    if not text.strip():
        raise ProtocolError(TEXT_MISSING)
    encoding, parts = segments(text)
    if parts > MAX_SEGMENTS:
        raise ProtocolError(TEXT_TOO_LONG, f"{parts} parts, at most {MAX_SEGMENTS}")
    phone = params.get("phone", "")
    if not PHONE.fullmatch(phone):
        raise ProtocolError(NO_VALID_RECIPIENTS, f"{phone!r} is not an international number without +")
    # "" means now; a time schedules the campaign (not emulated: it is sent at once).
    when = params.get("datetime", "")
    if when:
        try:
            datetime.strptime(when, DATETIME)
        except ValueError:
            raise ProtocolError(SEND_FAILED, f"datetime {when!r} is not YYYY-MM-DD HH:MM:SS") from None
    if not params.get("sms_lifetime", "0").isdigit():
        raise ProtocolError(SEND_FAILED, "sms_lifetime is hours as a whole number, 0 = the longest")
    return Sms(sender=sender, text=text, phone=phone, encoding=encoding, segments=parts)
