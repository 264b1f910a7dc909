"""Phones are stored in E.164; customers type them in every local spelling."""
from __future__ import annotations

import phonenumbers


def normalize_phone(raw: str, region: str = "UA") -> str | None:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
