"""LiqPay's wire format, written from https://www.liqpay.ua/documentation/en/data_signature.

data = base64(JSON); signature = base64(hash(private_key + data + private_key)), where
the hash is SHA-1 for API version 3 and SHA3-256 for version 7. Deliberately independent
of liqpy and of our adapter, so a mistake there cannot hide behind a shared copy.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

HASHES = {3: hashlib.sha1, 7: hashlib.sha3_256}
CURRENCIES = {"UAH", "USD", "EUR"}


class ProtocolError(Exception):
    """A request LiqPay would refuse; code and description are what LiqPay answers with."""

    def __init__(self, code: str, description: str):
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description

    def as_json(self) -> dict[str, str]:
        return {"result": "error", "status": "error", "err_code": self.code, "err_description": self.description}


def sign(data: str, private_key: str, version: int) -> str:
    digest = HASHES[version]((private_key + data + private_key).encode()).digest()
    return base64.b64encode(digest).decode()


def encode(payload: dict[str, Any], private_key: str, version: int) -> tuple[str, str]:
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    return data, sign(data, private_key, version)


def decode_signed(data: str | None, signature: str | None, private_key: str) -> tuple[dict[str, Any], int]:
    """The verified payload and its API version (which chose the hash)."""
    if not data or not signature:
        raise ProtocolError("err_missing", "Both data and signature are required")
    try:
        payload = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        raise ProtocolError("err_wrong", "data is not base64-encoded JSON") from None
    if not isinstance(payload, dict):
        raise ProtocolError("err_wrong", "data must encode a JSON object")
    version = _version(payload.get("version"))
    if not hmac.compare_digest(sign(data, private_key, version).encode(), signature.encode()):
        raise ProtocolError("invalid_signature", "Invalid signature")
    return payload, version


def _version(value: Any) -> int:
    # The docs' own examples send "version": "3" as a string, the SDKs send 3.
    if isinstance(value, bool) or str(value) not in {str(v) for v in HASHES}:
        raise ProtocolError("err_wrong", "version must be 3 (SHA-1 signature) or 7 (SHA3-256 signature)")
    return int(str(value))


def amount(value: Any, field: str = "amount") -> Decimal:
    """LiqPay takes amounts as JSON numbers or numeric strings ("3", 7.34)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProtocolError("err_wrong", f"{field} must be a number")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ProtocolError("err_wrong", f"{field} must be a number") from None
    if not result.is_finite() or result <= 0:
        raise ProtocolError("err_wrong", f"{field} must be greater than 0")
    return result


def validate_checkout(payload: dict[str, Any]) -> Decimal:
    """Check a checkout request's fields (the public key is checked with the signature); returns the amount."""
    if payload.get("action") != "pay":
        raise ProtocolError("err_action", "Only action 'pay' is supported by this checkout")
    for field in ("amount", "currency", "description"):
        if payload.get(field) in (None, ""):
            raise ProtocolError("err_missing", f"{field} is required")
    order_id = payload.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        raise ProtocolError("order_id_empty", "order_id is required")
    if len(order_id) > 255:
        raise ProtocolError("err_wrong", "order_id is longer than 255 characters")
    if payload["currency"] not in CURRENCIES:
        raise ProtocolError("err_currency_is_not_allowed", f"currency must be one of {sorted(CURRENCIES)}")
    if not isinstance(payload["description"], str):
        raise ProtocolError("err_wrong", "description must be a string")
    for field in ("server_url", "result_url"):
        url = payload.get(field)
        if url is not None and not _is_http_url(url):
            raise ProtocolError("err_wrong", f"{field} must be an http(s) URL")
    return amount(payload["amount"])


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
