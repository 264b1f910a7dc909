"""The only place that talks to LiqPay: liqpy 0.19 encodes and signs, httpx carries.

The same code talks to LiqPay, its sandbox (sandbox keys) or the local emulator
(another base_url): nothing here knows which.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import warnings
from base64 import b64encode
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from liqpy.api import COMMON_HEADERS, decode, payload
from liqpy.api.encoder import Encoder
from liqpy.client import Client
from liqpy.constants import CHECKOUT_ENDPOINT, REQUEST_ENDPOINT
from liqpy.dev import LiqpyWarning
from liqpy.util.convert import from_milliseconds

from core.money import CENT
from payments.liqpay.interface import CheckoutForm, LiqpayError, LiqpayNotice, MalformedNotice, SignatureError


class _ExactAmounts(Encoder):
    """liqpy writes a Decimal as round(float(x), 4). LiqPay takes the amount as a numeric
    string too (its own examples send "amount": "3"), and a string stays exact."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return format(o, "f")
        return super().default(o)


class LiqpayClient:
    """base_url: LiqPay itself, or the emulator. Sandbox keys (`sandbox_...`) make LiqPay
    report paid test payments as status "sandbox"; see `interface.is_success`."""

    def __init__(self, public_key: str, private_key: str, base_url: str = "https://www.liqpay.ua", timeout: float = 10.0):
        with warnings.catch_warnings():
            # liqpy announces "Using sandbox/live LiqPay API" on every construction.
            warnings.simplefilter("ignore", LiqpyWarning)
            self._liqpy = Client(public_key, private_key, encoder=_ExactAmounts())
        # liqpy pins its httpx client to www.liqpay.ua; swap it for one at base_url.
        self._liqpy._client.close()
        self._liqpy._client = httpx.Client(
            base_url=base_url, headers=COMMON_HEADERS, timeout=timeout, follow_redirects=False
        )
        self._private_key = private_key.encode()
        self.checkout_url = base_url.rstrip("/") + CHECKOUT_ENDPOINT

    @property
    def sandbox(self) -> bool:
        """True for sandbox keys: pass it to `interface.is_success`."""
        return self._liqpy.sandbox

    def close(self) -> None:
        self._liqpy.close()

    def checkout_form(
        self, order_id: str, amount: Decimal, description: str, server_url: str, result_url: str,
        language: str = "uk", currency: str = "UAH",
    ) -> CheckoutForm:
        data, signature = self._encode(
            "pay", order_id=order_id, amount=_whole_cents(amount), currency=currency,
            description=description, server_url=server_url, result_url=result_url, language=language,
        )
        return CheckoutForm(self.checkout_url, data.decode(), signature.decode())

    def parse_callback(self, data: str, signature: str) -> LiqpayNotice:
        """Verify first, then decode. API version 3 is signed with SHA-1, version 7 with
        SHA3-256; the signature must match one of them and the version the data claims."""
        if not data or not signature:
            raise SignatureError("data and signature are both required")
        raw, given = data.encode(), signature.encode()
        sha1_ok = hmac.compare_digest(self._liqpy.sign(raw), given)
        sha3_ok = hmac.compare_digest(self._sign_sha3(raw), given)
        if not (sha1_ok or sha3_ok):
            raise SignatureError("signature does not match the data")
        try:
            body = decode(raw, decoder=json.JSONDecoder())
        except ValueError as exc:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
            raise SignatureError(f"data is not base64-encoded JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise SignatureError("data is not a JSON object")
        version = "7" if sha3_ok else "3"
        if str(body.get("version")) != version:
            raise SignatureError(f"version {body.get('version')!r} data signed as version {version}")
        return _notice(body)

    def status(self, order_id: str) -> LiqpayNotice | None:
        """The payment's current state; None when LiqPay knows no payment for the order."""
        body = self._request("status", opid=order_id)
        if "payment_id" not in body:
            if body.get("err_code") == "payment_not_found":
                return None
            raise _refused(body)
        return _notice(body)

    def refund(self, order_id: str, amount: Decimal) -> LiqpayNotice:
        """LiqPay's refund answer can be as small as payment_id + status; what it leaves
        out is taken from the request."""
        amount = _whole_cents(amount)
        body = self._request("refund", opid=order_id, amount=amount)
        if body.get("result") == "error" or body.get("status") in ("error", "failure"):
            raise _refused(body)
        return _notice(body, order_id=order_id, amount=amount, refund_amount=amount)

    def _encode(self, action: str, **params: Any) -> tuple[bytes, bytes]:
        try:
            return self._liqpy.encode(action, **params)
        except AssertionError as exc:
            # liqpy validates with assert; the reason is in the chained exception.
            raise ValueError(f"{exc} {exc.__cause__ or ''}".strip()) from exc

    def _request(self, action: str, **params: Any) -> dict[str, Any]:
        # Not liqpy's Client.request: it drops err_code from answers that carry a
        # payment (a failed payment's status) and raises on HTTP codes without a word.
        data, signature = self._encode(action, **params)
        try:
            response = self._liqpy._client.post(REQUEST_ENDPOINT, content=payload(data=data, signature=signature))
        except httpx.TimeoutException as exc:
            raise LiqpayError("timeout", f"{action}: no answer in time: {exc}") from exc
        except httpx.HTTPError as exc:
            raise LiqpayError("unreachable", f"{action}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise LiqpayError(f"http_{response.status_code}", f"{action}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise LiqpayError("bad_response", f"{action}: not a JSON object: {response.text[:200]}")
        return body

    def _sign_sha3(self, data: bytes) -> bytes:
        # liqpy 0.19 knows only SHA-1 (API version 3).
        return b64encode(hashlib.sha3_256(self._private_key + data + self._private_key).digest())


def _whole_cents(amount: Decimal) -> Decimal:
    """Money goes out exactly as given: a fraction of a cent is a bug to fix upstream, not to round away."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"amount must be a Decimal in whole cents, got {amount!r}")
    return amount.quantize(CENT)


# The most a Money column (Numeric(14, 2)) holds; a larger "amount" is not a payment.
MAX_AMOUNT = Decimal("999999999999.99")


def _amount(value: Any, field: str) -> Decimal:
    """A positive, finite amount in whole cents, or MalformedNotice saying why not."""
    # bool is an int to Python, but `true` is no amount; str() first: LiqPay sends floats
    # (150.5), and Decimal(float) would keep the binary noise.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise MalformedNotice(f"{field} {value!r} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise MalformedNotice(f"{field} {value!r} is not a number") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise MalformedNotice(f"{field} {value!r} is not a positive amount up to {MAX_AMOUNT}")
    if amount != amount.quantize(CENT):
        raise MalformedNotice(f"{field} {value!r} has fractions of a cent")
    return amount.quantize(CENT)


def _text(fields: dict[str, Any], key: str, longest: int) -> str:
    value = fields.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not 0 < len(str(value).strip()) <= longest:
        raise MalformedNotice(f"{key} {value!r} is missing, not text or longer than {longest}")
    return str(value).strip()


def _payment_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() or len(str(value)) > 20:
        raise MalformedNotice(f"payment_id {value!r} is not a payment number")
    return int(value)


def _currency(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise MalformedNotice(f"currency {value!r} is not a currency code")
    return value.upper()


def _end_date(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return from_milliseconds(value)
    except (OverflowError, OSError, ValueError):
        raise MalformedNotice(f"end_date {value!r} is not a time") from None


def _optional_text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _refused(body: dict[str, Any]) -> LiqpayError:
    return LiqpayError(str(body.get("err_code") or "unknown"), str(body.get("err_description") or body))


def _notice(body: dict[str, Any], **fallback: Any) -> LiqpayNotice:
    """Every field the payment depends on is checked here, in memory: the callback
    refuses a malformed notice before storing it, and the handler and reconciliation,
    which read notices through the same function, refuse one that is already stored."""
    fields = fallback | {key: value for key, value in body.items() if value is not None}
    missing = {"order_id", "status", "amount"} - fields.keys()
    if missing:
        raise MalformedNotice(f"the notice lacks {sorted(missing)}")
    refund_amount = fields.get("refund_amount")
    return LiqpayNotice(
        payment_id=_payment_id(fields.get("payment_id")),
        order_id=_text(fields, "order_id", 255),
        # Stored as the payment's provider_status, a column of 20.
        status=_text(fields, "status", 20),
        amount=_amount(fields["amount"], "amount"),
        currency=_currency(fields.get("currency")),
        description=str(fields.get("description", "")),
        raw=body,
        err_code=_optional_text(fields.get("err_code")),
        err_description=_optional_text(fields.get("err_description")),
        paytype=_optional_text(fields.get("paytype")),
        sender_card_mask=_optional_text(fields.get("sender_card_mask2")),
        end_date=_end_date(fields.get("end_date")),
        refund_amount=_amount(refund_amount, "refund_amount") if refund_amount is not None else None,
    )
